// ChunkedDecoder: the declaration of trailing headers (x-amz-trailer), and
// the trailer section after the final chunk: its signature and checksum.
#include <algorithm>

#include "proto/chunked.h"
#include "proto/encoding.h"
#include "proto/sigv4_canonical.h"

namespace seglake::s3 {
namespace {

constexpr std::string_view kTrailerSignature = "x-amz-trailer-signature";
constexpr size_t kMaxTrailerBytes = 16 * 1024;
constexpr size_t kMaxTrailers = 16;

}  // namespace

S3Result<ChunkedDecoder> ChunkedDecoder::Create(ChunkedOptions options, ChunkSink sink) {
  ChunkedDecoder d(std::move(options), std::move(sink));
  std::string_view rest = d.opt_.trailer;
  while (!TrimSpaces(rest).empty()) {
    const size_t comma = rest.find(',');
    const std::string name = AsciiLower(TrimSpaces(rest.substr(0, comma)));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (name.empty()) continue;
    auto alg = ChecksumAlgorithmFromHeader(name);
    if (!alg) {
      return S3Err(ErrorCode::kInvalidArgument,
                   "The trailing header " + name + " declared in x-amz-trailer is not supported.");
    }
    if (d.checksum_) {
      return S3Err(ErrorCode::kInvalidArgument,
                   "Expecting a single x-amz-checksum- header. Multiple checksum Types are not "
                   "allowed.");
    }
    d.checksum_.emplace(*alg);
    d.declared_.push_back(name);
  }
  if (d.opt_.mode == ChunkedMode::kSigned && !d.declared_.empty()) {
    return S3Err(ErrorCode::kInvalidArgument,
                 "x-amz-trailer needs STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER.");
  }
  return d;
}

S3Status ChunkedDecoder::OnTrailerLine(std::string_view line) {
  if (line.empty()) return OnTrailersDone();
  trailer_bytes_ += line.size();
  if (trailer_bytes_ > kMaxTrailerBytes || trailers_.size() == kMaxTrailers) {
    return Fail(ErrorCode::kMalformedTrailerError, "Too many trailing headers.");
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Fail(ErrorCode::kMalformedTrailerError, "A trailing header has no name.");
  }
  std::string name = AsciiLower(TrimSpaces(line.substr(0, colon)));
  std::string value(TrimSpaces(line.substr(colon + 1)));
  for (const auto& [n, v] : trailers_) {
    if (n == name) return Fail(ErrorCode::kMalformedTrailerError, "Repeated trailing header.");
  }
  trailers_.emplace_back(std::move(name), std::move(value));
  return {};
}

S3Status ChunkedDecoder::OnTrailersDone() {
  const bool want_signature = opt_.mode == ChunkedMode::kSignedTrailer;
  std::optional<std::string> signature;
  std::vector<std::pair<std::string, std::string>> headers;
  for (auto& [name, value] : trailers_) {
    if (name == kTrailerSignature) {
      signature = value;
      continue;
    }
    if (std::find(declared_.begin(), declared_.end(), name) == declared_.end()) {
      return Fail(ErrorCode::kMalformedTrailerError,
                  "The trailing header " + name + " was not declared in x-amz-trailer.");
    }
    headers.emplace_back(name, value);
  }
  if (signature.has_value() != want_signature) {
    return Fail(ErrorCode::kMalformedTrailerError,
                want_signature ? "The trailer has no x-amz-trailer-signature."
                               : "Unexpected x-amz-trailer-signature.");
  }
  if (headers.size() != declared_.size()) {
    return Fail(ErrorCode::kMalformedTrailerError,
                "A trailing header declared in x-amz-trailer is missing.");
  }
  if (want_signature) {
    std::sort(headers.begin(), headers.end());
    std::string canonical;
    for (const auto& [name, value] : headers) canonical += name + ":" + value + "\n";
    std::string sts = "AWS4-HMAC-SHA256-TRAILER\n";
    sts.append(opt_.amz_date).push_back('\n');
    sts.append(opt_.scope).push_back('\n');
    sts.append(prev_signature_).push_back('\n');
    sts.append(Sha256Hex(canonical));
    if (!ConstantTimeEquals(SignatureHex(opt_.signing_key, sts), *signature)) {
      return Fail(ErrorCode::kSignatureDoesNotMatch,
                  "The trailer signature we calculated does not match the one you provided.");
    }
  }
  if (checksum_) {
    const std::string& sent = headers.front().second;
    const ChecksumAlgorithm alg = checksum_->algorithm();
    auto raw = Base64Decode(sent);
    if (!raw || raw->size() != ChecksumSize(alg)) {
      return Fail(ErrorCode::kInvalidRequest,
                  "Value for " + ChecksumHeaderName(alg) + " trailing header is invalid.");
    }
    if (checksum_->Final() != *raw) {
      return Fail(ErrorCode::kBadDigest, "The " + std::string(ChecksumName(alg)) +
                                             " you specified did not match the calculated "
                                             "checksum.");
    }
    checksum_value_.emplace(alg, sent);
  }
  state_ = State::kDone;
  return {};
}

}  // namespace seglake::s3
