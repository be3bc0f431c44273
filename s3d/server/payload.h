// The body of an authenticated request, decoded and verified while it
// streams: the hex SHA-256 of x-amz-content-sha256, or aws-chunked framing
// (STREAMING-* modes) with chunk-signature chains and trailing checksums.
// Nothing is buffered beyond one slice; the caller must keep nothing unless
// ReadTo() returns OK, since verification completes at the end.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "proto/checksum.h"
#include "proto/chunked.h"
#include "server/context.h"

namespace seglake::s3d {

using PayloadSink = std::function<s3::S3Status(std::string_view data)>;

class Payload {
 public:
  explicit Payload(const Context& c);

  // Whether the body uses aws-chunked framing.
  bool chunked() const { return chunked_; }
  // The decoded length the client declared, if any
  // (x-amz-decoded-content-length for aws-chunked, else Content-Length).
  std::optional<uint64_t> declared_length() const { return declared_; }
  // Header checks before reading: MissingContentLength when the length is
  // unknown and `need_length`; EntityTooLarge past max_bytes.
  s3::S3Status Check(uint64_t max_bytes, bool need_length) const;
  // Streams the decoded body into sink and verifies it. A sink error stops
  // reading and is returned; IncompleteBody when the connection ended early;
  // EntityTooLarge past max_bytes.
  s3::S3Status ReadTo(const PayloadSink& sink, uint64_t max_bytes);
  // Reads a small body (an XML document) whole.
  s3::S3Result<std::string> ReadSmall(size_t max_bytes);

  uint64_t bytes() const { return bytes_; }
  // The trailing checksum of an aws-chunked body, once verified.
  const std::optional<std::pair<s3::ChecksumAlgorithm, std::string>>& trailer_checksum() const {
    return trailer_checksum_;
  }

 private:
  const Context& c_;
  bool chunked_ = false;
  s3::ChunkedMode mode_ = s3::ChunkedMode::kUnsigned;
  std::optional<uint64_t> declared_;
  std::string bad_length_;  // the length header that is not a decimal count, if any
  uint64_t bytes_ = 0;
  std::optional<std::pair<s3::ChecksumAlgorithm, std::string>> trailer_checksum_;
};

// Content-Encoding as stored: the header without its aws-chunked token.
std::string StoredContentEncoding(std::string_view header);

}  // namespace seglake::s3d
