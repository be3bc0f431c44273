// The HTTP front of seglake-s3d over cpp-httplib: a fixed thread pool,
// keep-alive limits, streamed request and response bodies. This header does
// not expose the HTTP library; http_server.cc is the only file including it.
//
// Thread safety: Run() blocks in one thread; Stop() may be called from any
// other thread. The handler runs concurrently on the pool's threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "seglake/status.h"
#include "server/http.h"

namespace seglake::s3d {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 9000;       // 0: any free port
  std::string tls_cert;  // both set: HTTPS
  std::string tls_key;
  int threads = 256;  // connections served at once (one thread each)
  uint64_t max_body_bytes = 6ull << 30;
  int keep_alive_max_requests = 1000;
  int keep_alive_timeout_s = 5;
  int read_timeout_s = 60;
  int write_timeout_s = 60;
  // A body the handler left unread is read and discarded up to this many
  // bytes; past it the connection is closed after the response.
  uint64_t max_drain_bytes = 64ull << 20;
};

// What the server reports about each response it wrote.
struct HttpLogEntry {
  std::string request_id;  // x-amz-request-id of the response, "-" if none
  std::string remote;
  std::string method;
  std::string target;  // path and query, as received
  int status = 0;
  uint64_t bytes = 0;  // body bytes sent
  std::chrono::microseconds duration{0};
};
using HttpLogger = std::function<void(const HttpLogEntry&)>;

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // Creates the server and binds its socket.
  static Result<std::unique_ptr<HttpServer>> Create(const HttpServerOptions& options,
                                                    HttpHandler handler, HttpLogger logger);
  // The bound port (the real one when options.port was 0).
  virtual int port() const = 0;
  virtual bool tls() const = 0;
  // Accepts and serves connections until Stop(); then waits for the
  // connections in progress to finish their requests and keep-alive
  // (bounded by the keep-alive timeout when idle). False if serving failed.
  virtual bool Run() = 0;
  // Stops accepting connections; responses in progress are not cut.
  virtual void Stop() = 0;
};

}  // namespace seglake::s3d
