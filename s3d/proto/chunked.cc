#include "proto/chunked.h"

#include "proto/encoding.h"
#include "proto/sigv4_canonical.h"

namespace seglake::s3 {
namespace {

constexpr size_t kMaxSizeLine = 1024;  // "hex;chunk-signature=<64 hex>" is ~100 bytes
constexpr std::string_view kSigExt = ";chunk-signature=";

// 1 to 16 hex digits, either case.
std::optional<uint64_t> ParseHexSize(std::string_view s) {
  if (s.empty() || s.size() > 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0) return std::nullopt;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

}  // namespace

std::optional<ChunkedMode> ChunkedModeFor(PayloadMode payload) {
  switch (payload) {
    case PayloadMode::kStreamingSigned:
      return ChunkedMode::kSigned;
    case PayloadMode::kStreamingSignedTrailer:
      return ChunkedMode::kSignedTrailer;
    case PayloadMode::kStreamingUnsignedTrailer:
      return ChunkedMode::kUnsignedTrailer;
    case PayloadMode::kSha256:
    case PayloadMode::kUnsigned:
      break;
  }
  return std::nullopt;
}

ChunkedDecoder::ChunkedDecoder(ChunkedOptions options, ChunkSink sink)
    : opt_(std::move(options)), sink_(std::move(sink)), prev_signature_(opt_.seed_signature) {}

bool ChunkedDecoder::signed_mode() const {
  return opt_.mode == ChunkedMode::kSigned || opt_.mode == ChunkedMode::kSignedTrailer;
}

S3Status ChunkedDecoder::Fail(ErrorCode code, std::string message) {
  state_ = State::kFailed;
  error_ = S3Error{code, std::move(message), {}};
  return tl::unexpected(error_);
}

S3Status ChunkedDecoder::Feed(std::string_view bytes) {
  while (!bytes.empty()) {
    switch (state_) {
      case State::kFailed:
        return tl::unexpected(error_);
      case State::kDone:
        return Fail(ErrorCode::kInvalidRequest, "Unexpected data after the final chunk.");
      case State::kSizeLine:
      case State::kTrailer: {
        const size_t nl = bytes.find('\n');
        const size_t take = nl == std::string_view::npos ? bytes.size() : nl + 1;
        const size_t cap = state_ == State::kSizeLine ? kMaxSizeLine : 4096;
        if (line_.size() + take > cap + 2) {
          return Fail(state_ == State::kSizeLine ? ErrorCode::kInvalidRequest
                                                 : ErrorCode::kMalformedTrailerError,
                      "A chunk header or trailer line is too long.");
        }
        line_.append(bytes.substr(0, take));
        bytes.remove_prefix(take);
        if (nl == std::string_view::npos) break;
        if (line_.size() < 2 || line_[line_.size() - 2] != '\r') {
          return Fail(ErrorCode::kInvalidRequest, "A chunk line does not end with CRLF.");
        }
        const std::string line = line_.substr(0, line_.size() - 2);
        line_.clear();
        S3Status st = state_ == State::kSizeLine ? OnSizeLine(line) : OnTrailerLine(line);
        if (!st) return st;
        break;
      }
      case State::kData: {
        const size_t take =
            remaining_ < bytes.size() ? static_cast<size_t>(remaining_) : bytes.size();
        const std::string_view piece = bytes.substr(0, take);
        bytes.remove_prefix(take);
        remaining_ -= take;
        total_ += take;
        if (chunk_sha_) chunk_sha_->Update(piece);
        if (checksum_) checksum_->Update(piece);
        if (auto st = sink_(piece); !st) {
          state_ = State::kFailed;
          error_ = st.error();
          return st;
        }
        if (remaining_ == 0) {
          if (auto st = OnChunkEnd(); !st) return st;
          state_ = State::kDataEnd;
        }
        break;
      }
      case State::kDataEnd:
        if (bytes.front() != (crlf_seen_ == 0 ? '\r' : '\n')) {
          return Fail(ErrorCode::kInvalidRequest, "Chunk data is not followed by CRLF.");
        }
        bytes.remove_prefix(1);
        if (++crlf_seen_ == 2) {
          crlf_seen_ = 0;
          state_ = State::kSizeLine;
        }
        break;
    }
  }
  return state_ == State::kFailed ? S3Status(tl::unexpected(error_)) : S3Status();
}

S3Status ChunkedDecoder::Finish() {
  if (state_ == State::kFailed) return tl::unexpected(error_);
  if (state_ != State::kDone) {
    return Fail(ErrorCode::kIncompleteBody, "The request body terminated unexpectedly");
  }
  return {};
}

S3Status ChunkedDecoder::OnSizeLine(std::string_view line) {
  std::string_view hex = line;
  chunk_signature_.clear();
  const size_t semi = line.find(';');
  if (semi != std::string_view::npos) {
    hex = line.substr(0, semi);
    const std::string_view ext = line.substr(semi);
    if (!signed_mode() || !ext.starts_with(kSigExt)) {
      return Fail(ErrorCode::kInvalidRequest, "Unexpected chunk extension.");
    }
    chunk_signature_ = std::string(ext.substr(kSigExt.size()));
    if (chunk_signature_.size() != 64 || !IsLowerHex(chunk_signature_)) {
      return Fail(ErrorCode::kInvalidRequest, "The chunk signature is malformed.");
    }
  } else if (signed_mode()) {
    return Fail(ErrorCode::kInvalidRequest, "A chunk has no chunk-signature.");
  }
  auto size = ParseHexSize(hex);
  if (!size) return Fail(ErrorCode::kInvalidRequest, "The chunk size is not valid hex.");
  if (opt_.decoded_length && *size > *opt_.decoded_length - total_) {
    return Fail(ErrorCode::kIncompleteBody,
                "The chunks hold more data than x-amz-decoded-content-length.");
  }
  if (signed_mode()) chunk_sha_.emplace(Digest::Kind::kSha256);
  remaining_ = *size;
  if (*size > 0) {
    state_ = State::kData;
    return {};
  }
  // The final, empty chunk.
  if (auto st = OnChunkEnd(); !st) return st;
  if (opt_.decoded_length && total_ != *opt_.decoded_length) {
    return Fail(ErrorCode::kIncompleteBody,
                "The chunks hold less data than x-amz-decoded-content-length.");
  }
  state_ = State::kTrailer;
  return {};
}

std::string ChunkedDecoder::ChunkSignature(std::string_view chunk_sha256_hex) const {
  std::string sts = "AWS4-HMAC-SHA256-PAYLOAD\n";
  sts.append(opt_.amz_date).push_back('\n');
  sts.append(opt_.scope).push_back('\n');
  sts.append(prev_signature_).push_back('\n');
  sts.append(kEmptySha256Hex).push_back('\n');
  sts.append(chunk_sha256_hex);
  return SignatureHex(opt_.signing_key, sts);
}

S3Status ChunkedDecoder::OnChunkEnd() {
  if (!signed_mode()) return {};
  const std::string expected = ChunkSignature(HexEncode(chunk_sha_->Final()));
  chunk_sha_.reset();
  if (!ConstantTimeEquals(expected, chunk_signature_)) {
    return Fail(ErrorCode::kSignatureDoesNotMatch,
                "The chunk signature we calculated does not match the one you provided.");
  }
  prev_signature_ = chunk_signature_;
  return {};
}

}  // namespace seglake::s3
