#include "server/payload.h"

#include "proto/chunked.h"
#include "proto/crypto.h"
#include "proto/encoding.h"

namespace seglake::s3d {
namespace {

bool HasAwsChunked(std::string_view encoding) {
  size_t start = 0;
  while (start <= encoding.size()) {
    size_t comma = encoding.find(',', start);
    if (comma == std::string_view::npos) comma = encoding.size();
    if (s3::EqualsIgnoreCase(s3::TrimSpaces(encoding.substr(start, comma - start)),
                             "aws-chunked")) {
      return true;
    }
    start = comma + 1;
  }
  return false;
}

}  // namespace

std::string StoredContentEncoding(std::string_view header) {
  std::string out;
  bool dropped = false;
  size_t start = 0;
  while (start <= header.size()) {
    size_t comma = header.find(',', start);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view token = s3::TrimSpaces(header.substr(start, comma - start));
    if (s3::EqualsIgnoreCase(token, "aws-chunked")) {
      dropped = true;
    } else if (!token.empty()) {
      if (!out.empty()) out += ", ";
      out += token;
    }
    start = comma + 1;
  }
  // Without aws-chunked, the value is kept as the client wrote it.
  return dropped ? out : std::string(s3::TrimSpaces(header));
}

Payload::Payload(const Context& c) : c_(c) {
  if (auto mode = s3::ChunkedModeFor(c.auth.payload)) {
    chunked_ = true;
    mode_ = *mode;
  } else if (auto enc = c.Header("Content-Encoding"); enc && HasAwsChunked(*enc)) {
    chunked_ = true;
    mode_ = s3::ChunkedMode::kUnsigned;
  }
  const char* length_header = chunked_ ? "x-amz-decoded-content-length" : "Content-Length";
  if (auto v = c.Header(length_header)) {
    declared_ = s3::ParseDecimal(s3::TrimSpaces(*v));
    if (!declared_) bad_length_ = length_header;
  }
  if (!chunked_ && !c.req.has_body && !declared_) {
    // No Content-Length and no chunked transfer: an empty body.
    if (!c.Header("Transfer-Encoding")) declared_ = 0;
  }
}

s3::S3Status Payload::Check(uint64_t max_bytes, bool need_length) const {
  // A negative or malformed length never reads as "no body" (an empty object).
  if (!bad_length_.empty()) {
    return s3::S3Err(s3::ErrorCode::kInvalidArgument,
                     bad_length_ + " must be a non-negative decimal number");
  }
  if (need_length && !declared_ && !c_.Header("Transfer-Encoding")) {
    return s3::S3Err(s3::ErrorCode::kMissingContentLength);
  }
  if (declared_ && *declared_ > max_bytes) return s3::S3Err(s3::ErrorCode::kEntityTooLarge);
  return {};
}

s3::S3Status Payload::ReadTo(const PayloadSink& sink, uint64_t max_bytes) {
  std::optional<s3::S3Error> error;
  auto deliver = [&](std::string_view data) -> s3::S3Status {
    bytes_ += data.size();
    if (bytes_ > max_bytes) return s3::S3Err(s3::ErrorCode::kEntityTooLarge);
    return sink(data);
  };
  std::optional<s3::Digest> sha;
  if (c_.auth.payload == s3::PayloadMode::kSha256) sha.emplace(s3::Digest::Kind::kSha256);
  std::optional<s3::ChunkedDecoder> decoder;
  if (chunked_) {
    s3::ChunkedOptions opt;
    opt.mode = mode_;
    opt.decoded_length = declared_;
    if (auto t = c_.Header("x-amz-trailer")) opt.trailer = *t;
    opt.signing_key = c_.auth.signing_key;
    opt.amz_date = c_.auth.amz_date;
    opt.scope = c_.auth.scope;
    opt.seed_signature = c_.auth.signature;
    auto d = s3::ChunkedDecoder::Create(std::move(opt), deliver);
    if (!d) return tl::unexpected(d.error());
    decoder.emplace(std::move(*d));
  }
  const bool ok = c_.req.read_body([&](std::string_view data) {
    if (sha) sha->Update(data);
    s3::S3Status st = decoder ? decoder->Feed(data) : deliver(data);
    if (!st) {
      error = st.error();
      return false;
    }
    return true;
  });
  if (error) return tl::unexpected(*error);
  if (!ok) return s3::S3Err(s3::ErrorCode::kIncompleteBody);
  if (decoder) {
    if (auto st = decoder->Finish(); !st) return st;
    trailer_checksum_ = decoder->checksum();
  } else if (declared_ && bytes_ != *declared_) {
    return s3::S3Err(s3::ErrorCode::kIncompleteBody);
  }
  if (sha && !s3::ConstantTimeEquals(s3::HexEncode(sha->Final()), c_.auth.payload_sha256)) {
    return s3::S3Err(s3::ErrorCode::kXAmzContentSHA256Mismatch);
  }
  return {};
}

s3::S3Result<std::string> Payload::ReadSmall(size_t max_bytes) {
  std::string out;
  auto st = ReadTo(
      [&](std::string_view data) -> s3::S3Status {
        out.append(data);
        return {};
      },
      max_bytes);
  if (!st) return tl::unexpected(st.error());
  return out;
}

}  // namespace seglake::s3d
