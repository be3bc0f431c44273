// The HTTP/1.1 front of seglake-s3d: asynchronous sockets on a few I/O
// threads, a fixed pool of workers running the handler, strict framing,
// deadlines and budgets for everything a client sends, streamed request and
// response bodies, TLS that follows its certificate files. This header does
// not expose the transport; http_server.cc is the only file that knows it.
//
// Thread safety: Run() blocks in one thread; Stop() may be called from any
// other thread. The handler runs concurrently on the worker threads.
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
  // TLS 1.2 ciphers (OpenSSL syntax); TLS 1.3 suites are OpenSSL's, all
  // with forward secrecy.
  std::string tls_ciphers =
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
      "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";
  std::string tls_min_version = "1.2";  // "1.2" or "1.3"
  int threads = 256;                    // requests handled at once (worker threads)
  int io_threads = 0;  // socket threads, which also serve GET/HEAD; 0: 2 per core, 2-8
  uint64_t max_body_bytes = 6ull << 30;
  // A request head (request line and headers) must arrive within
  // header_timeout_s of its first byte (of the connection, for the first
  // request) and fit in max_header_bytes, else 431.
  int header_timeout_s = 10;
  size_t max_header_bytes = 32 << 10;
  int max_connections = 20000;       // open at once; more are closed at accept
  int max_connections_per_ip = 512;  // open at once from one client address
  // Bodies in either direction: no transfer waits longer than the read or
  // write timeout, and after a 10 s grace the average rate must stay at or
  // above min_rate_bytes per second (0: no minimum).
  uint64_t min_rate_bytes = 1024;
  int keep_alive_max_requests = 1000;
  int keep_alive_timeout_s = 5;  // idle time allowed between requests
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
