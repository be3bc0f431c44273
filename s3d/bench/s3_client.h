// The S3 calls seglake-bench makes, signed with SigV4 over one keep-alive
// connection. One S3Client per worker thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/http_client.h"
#include "bench/options.h"
#include "bench/signer.h"

namespace seglake::bench {

struct OpResult {
  bool ok = false;
  int status = 0;                    // HTTP status; 0 for a transport failure
  std::string error;                 // "HTTP 404 NoSuchKey: ...", "HTTP Connection", ...
  uint64_t bytes = 0;                // body bytes sent (PUT, part) or received (GET, listing XML)
  std::chrono::nanoseconds ttfb{0};  // GET only
  std::string etag;                  // PUT, part
  std::string upload_id;             // CreateMultipartUpload
  // ListObjectsV2
  bool truncated = false;
  std::string next_token;
  uint64_t keys = 0;
};

class S3Client {
 public:
  explicit S3Client(const Options& opts);

  OpResult CreateBucket(const std::string& bucket);
  // body_sha256: the body's hex SHA-256, or empty for UNSIGNED-PAYLOAD.
  OpResult Put(const std::string& bucket, const std::string& key, const BodySource& body,
               const std::string& body_sha256);
  // The body is counted and dropped; `expect_size` (when not UINT64_MAX)
  // makes a short or long body an error.
  OpResult Get(const std::string& bucket, const std::string& key, uint64_t expect_size);
  OpResult Head(const std::string& bucket, const std::string& key);
  OpResult Delete(const std::string& bucket, const std::string& key);
  OpResult ListV2(const std::string& bucket, const std::string& prefix, const std::string& token,
                  int max_keys);
  OpResult CreateMultipart(const std::string& bucket, const std::string& key);
  OpResult UploadPart(const std::string& bucket, const std::string& key,
                      const std::string& upload_id, int part_number, const BodySource& body,
                      const std::string& body_sha256);
  OpResult CompleteMultipart(const std::string& bucket, const std::string& key,
                             const std::string& upload_id, const std::vector<std::string>& etags);
  OpResult AbortMultipart(const std::string& bucket, const std::string& key,
                          const std::string& upload_id);

 private:
  OpResult Do(std::string_view method, const std::string& path, const std::string& query,
              const BodySource* body, std::string_view small_body, std::string_view payload_hash,
              size_t keep_body, std::string_view content_type = "application/octet-stream");

  std::string host_header_;
  HttpClient http_;
  Signer signer_;
};

// "/bucket/key" with the key percent-encoded by AWS rules ('/' kept).
std::string ObjectPath(const std::string& bucket, const std::string& key);

// The S3 error document's Code and Message, "Code: Message"; empty when the
// body is not one.
std::string ErrorFromXml(std::string_view body);

// The CompleteMultipartUpload request body for parts 1..etags.size().
std::string CompleteMultipartXml(const std::vector<std::string>& etags);

}  // namespace seglake::bench
