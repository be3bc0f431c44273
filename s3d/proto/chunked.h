// Incremental decoder of aws-chunked request bodies (Content-Encoding:
// aws-chunked), in the four forms S3 accepts:
//
//   kSigned          STREAMING-AWS4-HMAC-SHA256-PAYLOAD: every chunk carries
//                    ";chunk-signature=" chained from the seed signature.
//   kSignedTrailer   STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: the same,
//                    then trailing headers closed by x-amz-trailer-signature.
//   kUnsignedTrailer STREAMING-UNSIGNED-PAYLOAD-TRAILER: plain chunks, then
//                    trailing headers.
//   kUnsigned        plain chunks; trailing headers only if declared.
//
// Feed() takes the body in slices of any size and passes the decoded payload
// to the sink as it goes: memory stays bounded whatever the chunk size. A
// chunk's bytes reach the sink before its signature (at the chunk's end) and
// the trailer checksum (at the body's end) are checked, so the caller must
// keep nothing unless Finish() returns OK. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/checksum.h"
#include "proto/crypto.h"
#include "proto/errors.h"
#include "proto/sigv4.h"

namespace seglake::s3 {

enum class ChunkedMode { kSigned, kSignedTrailer, kUnsignedTrailer, kUnsigned };

// The chunked mode of a streaming payload mode; nullopt for kSha256 and
// kUnsigned, whose bodies are not chunk-signed.
std::optional<ChunkedMode> ChunkedModeFor(PayloadMode payload);

struct ChunkedOptions {
  ChunkedMode mode = ChunkedMode::kUnsigned;
  // x-amz-decoded-content-length, when the request has one.
  std::optional<uint64_t> decoded_length;
  // x-amz-trailer as sent, e.g. "x-amz-checksum-crc32c"; empty for none.
  std::string trailer;
  // Signed modes: from the AuthResult of the request.
  std::string signing_key;
  std::string amz_date;
  std::string scope;
  std::string seed_signature;
};

using ChunkSink = std::function<S3Status(std::string_view payload)>;

class ChunkedDecoder {
 public:
  // InvalidArgument when the trailer declaration is unusable (not a
  // x-amz-checksum-* name, several checksums, trailers in kSigned mode).
  static S3Result<ChunkedDecoder> Create(ChunkedOptions options, ChunkSink sink);

  // Consumes body bytes. After an error every later call returns it again.
  S3Status Feed(std::string_view bytes);
  // The body ended: IncompleteBody unless the final chunk and trailers were
  // read. Returns the first error if one happened.
  S3Status Finish();

  bool done() const { return state_ == State::kDone; }
  uint64_t decoded_bytes() const { return total_; }
  // The trailing checksum, once done: algorithm and base64 value as sent
  // (and verified).
  const std::optional<std::pair<ChecksumAlgorithm, std::string>>& checksum() const {
    return checksum_value_;
  }

 private:
  enum class State { kSizeLine, kData, kDataEnd, kTrailer, kDone, kFailed };

  ChunkedDecoder(ChunkedOptions options, ChunkSink sink);
  S3Status Fail(ErrorCode code, std::string message);
  S3Status OnSizeLine(std::string_view line);
  S3Status OnChunkEnd();
  S3Status OnTrailerLine(std::string_view line);
  S3Status OnTrailersDone();
  std::string ChunkSignature(std::string_view chunk_sha256_hex) const;
  bool signed_mode() const;

  ChunkedOptions opt_;
  ChunkSink sink_;
  State state_ = State::kSizeLine;
  S3Error error_;
  std::string line_;             // partial size or trailer line
  uint64_t remaining_ = 0;       // bytes left in the current chunk
  uint64_t total_ = 0;           // payload bytes decoded so far
  int crlf_seen_ = 0;            // bytes of the CRLF after chunk data
  std::string chunk_signature_;  // declared signature of the current chunk
  std::string prev_signature_;
  std::optional<Digest> chunk_sha_;
  std::optional<Checksummer> checksum_;
  std::vector<std::string> declared_;  // lowercase trailer names
  std::vector<std::pair<std::string, std::string>> trailers_;
  size_t trailer_bytes_ = 0;
  std::optional<std::pair<ChecksumAlgorithm, std::string>> checksum_value_;
};

}  // namespace seglake::s3
