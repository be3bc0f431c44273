// cpp-httplib adapter: the only file that includes httplib.h.
//
// httplib 0.11 details this file works around:
//  - HEAD/GET/OPTIONS (no body) are served from the pre-routing handler;
//    PUT/POST/DELETE/PATCH go to content-reader handlers registered on "/"
//    (the request path is rewritten to "/" first, so the route regex never
//    runs over long keys; we parse the raw target ourselves).
//  - httplib would decompress a body with Content-Encoding gzip/br: the header
//    is removed from its copy of the request before the body is read, so
//    bytes are stored as sent (S3 semantics).
//  - httplib would apply Range headers to the response itself: the parsed
//    ranges are cleared; handlers answer ranges.
//  - A body the handler leaves unread would be parsed as the next request: it
//    is drained, or past a bound the connection is shut down after the
//    response.
//  - httplib percent-decodes every header value (so x-amz-copy-source,
//    x-amz-tagging, Content-Disposition and SigV4 signatures over them would
//    be wrong) and answers 416 itself for Range headers it cannot parse (S3
//    ignores those). With the shared library (Debian), whose internal calls
//    go through the PLT, we interpose the two functions below.
#include "server/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "proto/encoding.h"
#include "proto/errors.h"
#include "proto/uri.h"
#include "proto/xml_results.h"

#ifdef SEGLAKE_HTTPLIB_SHARED
namespace httplib::detail {

// Header values and the request path stay as received. Query strings
// (convert_plus_to_space) are still decoded, though we never read httplib's
// copy of them.
std::string decode_url(const std::string& s, bool convert_plus_to_space) {
  if (!convert_plus_to_space) return s;
  std::optional<std::string> d = seglake::s3::UriDecode(s, true);
  return d ? *d : s;
}

// Ranges are ours to parse (proto/range.h): never let httplib answer 416 or
// slice a response.
bool parse_range_header(const std::string& /*s*/, Ranges& ranges) {
  ranges.clear();
  return true;
}

}  // namespace httplib::detail
#endif

namespace seglake::s3d {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kStreamSlice = 1 << 20;  // response bytes pulled per write
constexpr int kListenBacklog = 1024;

// httplib serves a connection on one thread, from the request line to the
// logger call after the response: per-request state lives here.
struct Current {
  bool active = false;
  Clock::time_point start;
  uint64_t streamed = 0;
  bool close_after = false;  // shut the connection down after the response
};
thread_local Current tl_current;

// Gives access to the listening socket (to raise httplib's fixed backlog).
template <class Base>
class Exposed : public Base {
 public:
  using Base::Base;
  int listen_socket() const { return static_cast<int>(this->svr_sock_); }
};

bool IsInjectedHeader(std::string_view name) {
  // httplib adds these to every request; they are not the client's.
  return s3::EqualsIgnoreCase(name, "REMOTE_ADDR") || s3::EqualsIgnoreCase(name, "REMOTE_PORT") ||
         s3::EqualsIgnoreCase(name, "LOCAL_ADDR") || s3::EqualsIgnoreCase(name, "LOCAL_PORT");
}

std::string FormatRemote(const std::string& addr, int port) {
  if (addr.find(':') != std::string::npos) return "[" + addr + "]:" + std::to_string(port);
  return addr + ":" + std::to_string(port);
}

std::string NumericHost(const sockaddr_storage& ss, socklen_t len, int* port) {
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&ss), len, host, sizeof host, serv, sizeof serv,
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return std::string();
  }
  *port = std::atoi(serv);
  return host;
}

// The open descriptors of this process: /proc/self/fd where there is one,
// else every number below the descriptor limit (capped).
std::vector<int> OpenDescriptors() {
  std::vector<int> fds;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    auto n = s3::ParseDecimal(entry.path().filename().string());
    if (n && *n >= 3 && *n < (1u << 30)) fds.push_back(static_cast<int>(*n));
  }
  if (!ec && !fds.empty()) return fds;
  rlimit lim{};
  int max_fd = 4096;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    max_fd = static_cast<int>(std::min<rlim_t>(lim.rlim_cur, 65536));
  }
  fds.clear();
  for (int fd = 3; fd < max_fd; ++fd) fds.push_back(fd);
  return fds;
}

// httplib does not hand the connection's socket to handlers; find it by its
// address pair and shut it down, so the keep-alive loop ends.
void ShutdownConnection(const httplib::Request& req) {
  for (int fd : OpenDescriptors()) {
    sockaddr_storage local{};
    socklen_t llen = sizeof local;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen) != 0) continue;
    sockaddr_storage peer{};
    socklen_t plen = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &plen) != 0) continue;
    int lport = -1;
    int pport = -1;
    NumericHost(local, llen, &lport);
    const std::string paddr = NumericHost(peer, plen, &pport);
    if (lport == req.local_port && pport == req.remote_port && paddr == req.remote_addr) {
      shutdown(fd, SHUT_RDWR);
      return;
    }
  }
}

// An S3 error document for responses httplib produced itself (bad request
// line, payload over the limit, unparsable Range).
void FillLibraryError(httplib::Response& res) {
  s3::ErrorCode code = s3::ErrorCode::kBadRequest;
  if (res.status == 413) code = s3::ErrorCode::kEntityTooLarge;
  if (res.status == 416) code = s3::ErrorCode::kInvalidRange;
  if (res.status >= 500) code = s3::ErrorCode::kInternalError;
  res.set_content(s3::ErrorXmlDoc(s3::S3Error{code, {}}, "", ""), "application/xml");
}

class Impl final : public HttpServer {
 public:
  Impl(const HttpServerOptions& options, HttpHandler handler, HttpLogger logger)
      : opt_(options), handler_(std::move(handler)), logger_(std::move(logger)) {}

  Status Init() {
    tls_ = !opt_.tls_cert.empty() || !opt_.tls_key.empty();
    if (tls_) {
      auto s = std::make_unique<Exposed<httplib::SSLServer>>(opt_.tls_cert.c_str(),
                                                             opt_.tls_key.c_str());
      Exposed<httplib::SSLServer>* raw = s.get();
      listen_socket_ = [raw] { return raw->listen_socket(); };
      svr_ = std::move(s);
    } else {
      auto s = std::make_unique<Exposed<httplib::Server>>();
      Exposed<httplib::Server>* raw = s.get();
      listen_socket_ = [raw] { return raw->listen_socket(); };
      svr_ = std::move(s);
    }
    if (!svr_->is_valid()) {
      return Status::InvalidArgument("cannot load the TLS certificate " + opt_.tls_cert +
                                     " or key " + opt_.tls_key);
    }
    const size_t threads = static_cast<size_t>(std::max(1, opt_.threads));
    svr_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    svr_->set_keep_alive_max_count(static_cast<size_t>(std::max(1, opt_.keep_alive_max_requests)));
    svr_->set_keep_alive_timeout(opt_.keep_alive_timeout_s);
    svr_->set_read_timeout(opt_.read_timeout_s, 0);
    svr_->set_write_timeout(opt_.write_timeout_s, 0);
    svr_->set_payload_max_length(static_cast<size_t>(opt_.max_body_bytes));
    svr_->set_tcp_nodelay(true);

    svr_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      tl_current = Current{true, Clock::now(), 0, false};
      // The request object is ours for this call (httplib passes it const
      // but owns it as a mutable local); see the notes at the top.
      auto& mreq = const_cast<httplib::Request&>(req);
      mreq.ranges.clear();
      if (req.method == "PUT" || req.method == "POST" || req.method == "DELETE" ||
          req.method == "PATCH") {
        mreq.path = "/";
        return httplib::Server::HandlerResponse::Unhandled;
      }
      Serve(mreq, res, nullptr);
      return httplib::Server::HandlerResponse::Handled;
    });
    auto with_body = [this](const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader& reader) {
      Serve(const_cast<httplib::Request&>(req), res, &reader);
    };
    svr_->Put("/", with_body);
    svr_->Post("/", with_body);
    svr_->Delete("/", with_body);
    svr_->Patch("/", with_body);
    svr_->set_error_handler(httplib::Server::HandlerWithResponse(
        [](const httplib::Request& req, httplib::Response& res) {
          const_cast<httplib::Request&>(req).ranges.clear();
          if (!res.body.empty() || res.has_header("x-amz-request-id")) {
            return httplib::Server::HandlerResponse::Unhandled;
          }
          FillLibraryError(res);
          return httplib::Server::HandlerResponse::Handled;
        }));
    svr_->set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
          res.status = 500;
          FillLibraryError(res);
        });
    svr_->set_logger(
        [this](const httplib::Request& req, const httplib::Response& res) { Log(req, res); });

    if (opt_.port == 0) {
      port_ = svr_->bind_to_any_port(opt_.host);
      if (port_ < 0) return Status::IOError("cannot bind " + opt_.host + " on any port");
    } else {
      if (!svr_->bind_to_port(opt_.host, opt_.port)) {
        return Status::IOError("cannot bind " + opt_.host + ":" + std::to_string(opt_.port));
      }
      port_ = opt_.port;
    }
    // httplib listens with a backlog of 5; many clients connect at once.
    ::listen(listen_socket_(), kListenBacklog);
    return Status::OK();
  }

  int port() const override { return port_; }
  bool tls() const override { return tls_; }
  bool Run() override {
    const bool ok = svr_->listen_after_bind();
    return ok || stopping_.load();
  }
  // httplib's stop() would also cut responses being streamed (its writers
  // check for a closed server socket). Shutting the listening socket down
  // instead ends the accept loop only; httplib then waits for every
  // connection to finish its current request and its keep-alive.
  void Stop() override {
    stopping_.store(true);
    const int sock = listen_socket_();
    if (sock >= 0) ::shutdown(sock, SHUT_RDWR);
  }

 private:
  void Serve(httplib::Request& req, httplib::Response& res, const httplib::ContentReader* reader) {
    HttpRequest in;
    in.method = req.method;
    std::string_view target = req.target;
    if (size_t hash = target.find('#'); hash != std::string_view::npos) {
      target = target.substr(0, hash);
    }
    const size_t q = target.find('?');
    in.raw_path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) in.raw_query = std::string(target.substr(q + 1));
    for (const auto& [name, value] : req.headers) {
      if (!IsInjectedHeader(name)) in.headers.emplace(name, value);
    }
    in.remote = FormatRemote(req.remote_addr, req.remote_port);
    in.tls = tls_;

    const bool chunked = s3::EqualsIgnoreCase(req.get_header_value("Transfer-Encoding"), "chunked");
    std::optional<uint64_t> content_length;
    if (req.has_header("Content-Length")) {
      content_length = s3::ParseDecimal(req.get_header_value("Content-Length"));
    }
    in.has_body = reader != nullptr && (chunked || content_length.value_or(0) > 0);
    // Keep httplib from decoding gzip/br bodies: S3 stores them as sent.
    if (in.has_body) req.headers.erase("Content-Encoding");

    bool consumed = false;
    uint64_t seen = 0;
    // Reads the rest of the body, passing it to sink while it wants more,
    // then discarding up to the drain bound.
    auto read_rest = [&](const BodySink* sink) -> bool {
      consumed = true;
      bool sink_done = sink == nullptr;
      bool stopped = false;
      uint64_t drained = 0;
      const bool ok = (*reader)([&](const char* data, size_t n) {
        seen += n;
        if (!sink_done) {
          if ((*sink)(std::string_view(data, n))) return true;
          sink_done = true;
          stopped = true;
          if (content_length &&
              *content_length - std::min(seen, *content_length) > opt_.max_drain_bytes) {
            return false;
          }
          return true;
        }
        drained += n;
        return drained <= opt_.max_drain_bytes;
      });
      if (!ok) tl_current.close_after = true;
      return ok && !stopped;
    };
    in.read_body = [&](const BodySink& sink) -> bool {
      if (!in.has_body) return true;
      if (consumed) return false;
      return read_rest(&sink);
    };

    HttpResponse out;
    try {
      handler_(in, out);
    } catch (...) {
      out = HttpResponse();
      out.status = 500;
      out.SetHeader("Content-Type", "application/xml");
      out.body = s3::ErrorXmlDoc(s3::S3Error{s3::ErrorCode::kInternalError, {}}, "", "");
    }
    if (in.has_body && !consumed) {
      if (content_length && *content_length > opt_.max_drain_bytes) {
        tl_current.close_after = true;
      } else {
        read_rest(nullptr);
      }
    }
    Emit(req, res, out);
  }

  void Emit(const httplib::Request& req, httplib::Response& res, HttpResponse& out) {
    res.status = out.status;
    std::string content_type;
    for (auto& [name, value] : out.headers) {
      if (s3::EqualsIgnoreCase(name, "Content-Type")) {
        content_type = value;
        continue;
      }
      if (s3::EqualsIgnoreCase(name, "Content-Length")) continue;
      res.headers.emplace(name, value);
    }
    if (tl_current.close_after) res.set_header("Connection", "close");
    const bool head = req.method == "HEAD";
    if (out.source) {
      if (head || out.stream_length == 0) {
        res.set_header("Content-Length", std::to_string(out.stream_length));
        if (!content_type.empty()) res.set_header("Content-Type", content_type);
        return;
      }
      auto source = std::make_shared<BodySource>(std::move(out.source));
      auto buf = std::make_shared<std::vector<char>>();
      // A small body gets a small buffer: zero-filling 1 MiB per 4 KiB GET
      // was a third of the server's CPU.
      const size_t slice = std::max<size_t>(
          1, std::min<size_t>(kStreamSlice, static_cast<size_t>(out.stream_length)));
      res.set_content_provider(
          static_cast<size_t>(out.stream_length),
          content_type.empty() ? "application/octet-stream" : content_type,
          [source, buf, slice](size_t /*offset*/, size_t length, httplib::DataSink& sink) {
            // No exception may leave: httplib calls this outside its own
            // try block. Returning false drops the connection.
            try {
              if (buf->empty()) buf->resize(slice);
              const size_t want = std::min(length, buf->size());
              std::optional<size_t> n = (*source)(buf->data(), want);
              if (!n || *n == 0 || *n > want) return false;
              if (!sink.write(buf->data(), *n)) return false;
              tl_current.streamed += *n;
              return true;
            } catch (...) {
              return false;
            }
          });
      return;
    }
    if (!out.body.empty()) {
      res.set_content(out.body, content_type.empty() ? "application/xml" : content_type);
    } else if (!content_type.empty()) {
      res.set_header("Content-Type", content_type);
    }
  }

  void Log(const httplib::Request& req, const httplib::Response& res) {
    HttpLogEntry e;
    e.request_id = res.get_header_value("x-amz-request-id");
    if (e.request_id.empty()) e.request_id = "-";
    // A request httplib refused before parsing it (414, 400) has none of these.
    e.remote = req.remote_addr.empty() ? "-" : FormatRemote(req.remote_addr, req.remote_port);
    e.method = req.method.empty() ? "-" : req.method;
    e.target = req.target.empty() ? "-" : req.target;
    e.status = res.status;
    if (req.method != "HEAD") e.bytes = !res.body.empty() ? res.body.size() : tl_current.streamed;
    if (tl_current.active) {
      e.duration =
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - tl_current.start);
    }
    if (tl_current.close_after) ShutdownConnection(req);
    tl_current = Current();
    if (logger_) logger_(e);
  }

  HttpServerOptions opt_;
  HttpHandler handler_;
  HttpLogger logger_;
  std::unique_ptr<httplib::Server> svr_;
  std::function<int()> listen_socket_;
  bool tls_ = false;
  int port_ = -1;
  std::atomic<bool> stopping_{false};
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Create(const HttpServerOptions& options,
                                                       HttpHandler handler, HttpLogger logger) {
  auto impl = std::make_unique<Impl>(options, std::move(handler), std::move(logger));
  if (Status st = impl->Init(); !st.ok()) return Err(st);
  return std::unique_ptr<HttpServer>(std::move(impl));
}

}  // namespace seglake::s3d
