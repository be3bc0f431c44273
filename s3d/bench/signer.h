// Client-side SigV4 (header auth) for S3 requests, built on the canonical
// request pieces of seglake_s3proto. One Signer per worker thread: it caches
// the day's signing key and is not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seglake::bench {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

class Signer {
 public:
  Signer(std::string access_key, std::string secret_key, std::string region);

  // Signs a request whose headers already hold Host (and any other header to
  // send). Adds x-amz-date and x-amz-content-sha256 (= payload_hash: a hex
  // SHA-256 or UNSIGNED-PAYLOAD), then Authorization. Every header in the
  // list is signed; headers the HTTP layer adds later (Content-Length, ...)
  // are not. raw_path and raw_query are exactly what goes on the request
  // line (already percent-encoded; raw_query without '?').
  // Returns false when the path or query has a bad percent escape.
  bool Sign(std::string_view method, std::string_view raw_path, std::string_view raw_query,
            std::string_view payload_hash, int64_t unix_seconds, HeaderList* headers);

 private:
  std::string access_key_;
  std::string secret_key_;
  std::string region_;
  std::string day_;  // YYYYMMDD of signing_key_
  std::string signing_key_;
};

}  // namespace seglake::bench
