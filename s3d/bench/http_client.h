// A keep-alive HTTP/1.1 client for one worker thread. This is the only part
// of seglake-bench that sees cpp-httplib (http_client.cc is the only file
// including httplib.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "bench/signer.h"

namespace seglake::bench {

// A request body of `length` bytes produced on demand: chunk(offset) returns
// the contiguous bytes that start at `offset` (at least one byte, possibly
// more than are left; the client takes only what it needs).
struct BodySource {
  uint64_t length = 0;
  std::function<std::string_view(uint64_t offset)> chunk;
};

struct HttpRequest {
  std::string_view method;           // GET, HEAD, PUT, POST, DELETE
  std::string target;                // "/bucket/key?query", already percent-encoded
  HeaderList headers;                // sent as given (Host included)
  const BodySource* body = nullptr;  // PUT/POST: streamed body, or
  std::string_view small_body;       // PUT/POST: a body held in memory
  std::string_view content_type = "application/octet-stream";  // PUT/POST
  // How many bytes of the response body to keep in HttpResponse::body: the
  // whole XML of listings and multipart answers, a little for errors.
  size_t keep_body = 0;
  // Only for GET: keep the body only when the status is not 2xx.
  bool keep_body_on_error_only = false;
};

struct HttpResponse {
  int status = 0;                    // 0: the request failed at the transport level
  std::string error;                 // the transport error when status == 0
  std::string etag;                  // the ETag header, as sent
  std::string body;                  // at most keep_body bytes of the response body
  uint64_t body_bytes = 0;           // all response body bytes received
  std::chrono::nanoseconds ttfb{0};  // GET: request start -> response headers
};

class HttpClient {
 public:
  HttpClient(const std::string& host, int port, std::chrono::seconds timeout);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse Send(const HttpRequest& req);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace seglake::bench
