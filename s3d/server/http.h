// The HTTP request and response as the S3 handlers see them. Handlers are
// plain functions over these structs; only http_server.cc knows the HTTP
// library. Request bodies are pulled through read_body (never buffered
// whole); response bodies are either a small string or pulled from a
// BodySource in bounded slices.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/headers.h"

namespace seglake::s3d {

// Receives a slice of the request body; returns false to stop reading.
using BodySink = std::function<bool(std::string_view data)>;

// Fills up to n bytes of the response body into buf and returns the count
// (0 only once the body is complete), or nullopt on failure (the connection
// is then dropped: the status line is already sent).
using BodySource = std::function<std::optional<size_t>(char* buf, size_t n)>;

struct HttpRequest {
  std::string method;     // "GET", "PUT", ...
  std::string raw_path;   // percent-encoded, as received, without the query
  std::string raw_query;  // as received, without '?'
  s3::HeaderMap headers;
  std::string remote;  // "address:port" of the client
  bool tls = false;
  // Whether a body follows the headers: Content-Length > 0 or a chunked
  // transfer encoding.
  bool has_body = false;
  // Streams the whole body through sink. Returns false when the connection
  // failed or ended early, or sink stopped. Call at most once; a body the
  // handler leaves unread is drained afterwards.
  std::function<bool(const BodySink& sink)> read_body;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // small bodies (XML documents)
  // A streamed body of exactly stream_length bytes (body is then unused).
  BodySource source;
  uint64_t stream_length = 0;

  void SetHeader(std::string name, std::string value) {
    for (auto& h : headers) {
      if (EqualName(h.first, name)) {
        h.second = std::move(value);
        return;
      }
    }
    headers.emplace_back(std::move(name), std::move(value));
  }
  const std::string* FindHeader(std::string_view name) const {
    for (const auto& h : headers) {
      if (EqualName(h.first, name)) return &h.second;
    }
    return nullptr;
  }
  void RemoveHeader(std::string_view name) {
    std::erase_if(headers, [&](const auto& h) { return EqualName(h.first, name); });
  }

 private:
  static bool EqualName(std::string_view a, std::string_view b) {
    return !s3::CaseInsensitiveLess()(a, b) && !s3::CaseInsensitiveLess()(b, a);
  }
};

using HttpHandler = std::function<void(HttpRequest& req, HttpResponse& res)>;

}  // namespace seglake::s3d
