#include "bench/http_client.h"

#include <httplib.h>

#include <algorithm>

namespace seglake::bench {
namespace {

using Clock = std::chrono::steady_clock;

void FillFrom(const httplib::Result& result, size_t keep_body, HttpResponse* out) {
  if (!result) {
    out->status = 0;
    out->error = "transport error: " + httplib::to_string(result.error());
    return;
  }
  out->status = result->status;
  out->etag = result->get_header_value("ETag");
  if (out->body_bytes == 0) out->body_bytes = result->body.size();
  if (out->body.empty() && !result->body.empty()) {
    out->body = result->body.substr(0, keep_body);
  }
}

}  // namespace

struct HttpClient::Impl {
  httplib::Client client;
  Impl(const std::string& host, int port) : client(host, port) {}
};

HttpClient::HttpClient(const std::string& host, int port, std::chrono::seconds timeout)
    : impl_(std::make_unique<Impl>(host, port)) {
  httplib::Client& c = impl_->client;
  c.set_keep_alive(true);
  c.set_tcp_nodelay(true);  // headers and body go out in separate writes
  c.set_url_encode(false);  // targets arrive already encoded and signed
  c.set_decompress(false);
  c.set_follow_location(false);
  c.set_connection_timeout(std::chrono::seconds(10));
  c.set_read_timeout(timeout);
  c.set_write_timeout(timeout);
}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::Send(const HttpRequest& req) {
  httplib::Client& c = impl_->client;
  httplib::Headers headers;
  for (const auto& [name, value] : req.headers) headers.emplace(name, value);
  HttpResponse out;
  const auto start = Clock::now();

  if (req.method == "GET") {
    int status = 0;
    auto result = c.Get(
        req.target, headers,
        [&](const httplib::Response& r) {
          out.ttfb = Clock::now() - start;
          status = r.status;
          return true;
        },
        [&](const char* data, size_t n) {
          out.body_bytes += n;
          const bool keep = !req.keep_body_on_error_only || status < 200 || status > 299;
          if (keep && out.body.size() < req.keep_body) {
            out.body.append(data, std::min(n, req.keep_body - out.body.size()));
          }
          return true;
        });
    FillFrom(result, req.keep_body, &out);
    return out;
  }
  if (req.method == "HEAD") {
    FillFrom(c.Head(req.target, headers), req.keep_body, &out);
    return out;
  }
  if (req.method == "DELETE") {
    FillFrom(c.Delete(req.target, headers), req.keep_body, &out);
    return out;
  }
  if (req.method == "PUT" || req.method == "POST") {
    const bool put = req.method == "PUT";
    const std::string content_type(req.content_type);
    if (req.body != nullptr && req.body->length > 0) {
      const BodySource* body = req.body;
      httplib::ContentProvider provider = [body](size_t offset, size_t length,
                                                 httplib::DataSink& sink) {
        std::string_view chunk = body->chunk(offset);
        const size_t n = std::min(length, chunk.size());
        return n > 0 && sink.write(chunk.data(), n);
      };
      auto result = put ? c.Put(req.target, headers, static_cast<size_t>(body->length),
                                std::move(provider), content_type)
                        : c.Post(req.target, headers, static_cast<size_t>(body->length),
                                 std::move(provider), content_type);
      FillFrom(result, req.keep_body, &out);
      return out;
    }
    const std::string small(req.small_body);
    auto result = put ? c.Put(req.target, headers, small, content_type)
                      : c.Post(req.target, headers, small, content_type);
    FillFrom(result, req.keep_body, &out);
    return out;
  }
  out.error = "unsupported method " + std::string(req.method);
  return out;
}

}  // namespace seglake::bench
