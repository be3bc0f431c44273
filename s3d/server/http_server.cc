// The HTTP/1.1 transport of seglake-s3d over Boost.Beast and Asio: the only
// file that knows the transport.
//
// Shape: a few I/O threads run every socket asynchronously (accept, TLS
// handshake, reading request heads, writing responses, draining and
// lingering closes), each connection on its own strand. A complete,
// accepted request head is handed to a fixed pool of worker threads that
// run the (blocking) S3 handler; the handler pulls the request body through
// read_body, which waits for reads done on the I/O threads. Response bytes
// are pulled from the handler's BodySource on a worker and written on the
// I/O threads, so neither an idle, trickling or slow-reading client holds a
// worker while it waits on the network.
//
// Framing is strict (server/http_framing.h): one Content-Length or
// "Transfer-Encoding: chunked", never both; anything else is refused and
// the connection closed. A connection is reused only when every byte of the
// previous request was parsed: an unread body is drained through the parser
// (up to a bound) or the connection is closed.
#include "server/http_server.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "proto/encoding.h"
#include "proto/xml_results.h"
#include "server/http_framing.h"
#include "server/request_log.h"

namespace seglake::s3d {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using ErrorCode = beast::error_code;

constexpr size_t kBodySlice = 256 << 10;    // request body bytes per read
constexpr size_t kStreamSlice = 256 << 10;  // response body bytes per write
constexpr size_t kIdleReadBytes = 2048;     // first read of a keep-alive request
constexpr int kListenBacklog = 4096;
constexpr auto kLinger = std::chrono::seconds(2);  // reading after our FIN
constexpr uint64_t kLingerBytes = 1 << 20;
constexpr auto kRateGrace = std::chrono::seconds(10);  // before min_rate applies

std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

std::string FormatRemote(const tcp::endpoint& ep) {
  const auto addr = ep.address();
  if (addr.is_v6()) return "[" + addr.to_string() + "]:" + std::to_string(ep.port());
  return addr.to_string() + ":" + std::to_string(ep.port());
}

std::string ClientIp(const tcp::endpoint& ep) {
  auto addr = ep.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6()).to_string();
  }
  return addr.to_string();
}

// The deadline of the next transfer of a body (either way): no longer than
// `idle` from now, and no later than the moment the average rate since
// `start` would fall below `min_rate` bytes/s (after a grace period).
Clock::time_point TransferDeadline(Clock::time_point start, uint64_t done, uint64_t min_rate,
                                   std::chrono::seconds idle) {
  const auto now = Clock::now();
  auto deadline = now + idle;
  if (min_rate > 0) {
    const auto earned = kRateGrace + std::chrono::milliseconds(done * 1000 / min_rate);
    deadline = std::min(deadline, start + std::chrono::duration_cast<Clock::duration>(earned));
  }
  return std::max(deadline, now + std::chrono::milliseconds(100));
}

bool SafeValue(std::string_view v) { return framing::SafeHeaderValue(v); }

std::string ErrorDoc(int status) {
  s3::ErrorXml x;
  switch (status) {
    case 413:
      x.code = "EntityTooLarge";
      x.message = "Your proposed upload exceeds the maximum allowed object size.";
      break;
    case 417:
      x.code = "InvalidRequest";
      x.message = "The Expect header is not supported.";
      break;
    case 431:
      x.code = "RequestHeaderSectionTooLarge";
      x.message = "Your request header section exceeds the maximum allowed size.";
      break;
    case 500:
      x.code = "InternalError";
      x.message = "We encountered an internal error. Please try again.";
      break;
    case 501:
      x.code = "NotImplemented";
      x.message = "A header you provided implies functionality that is not implemented.";
      break;
    case 505:
      x.code = "HttpVersionNotSupported";
      x.message = "The HTTP version is not supported.";
      break;
    default:
      x.code = "BadRequest";
      x.message = "The request is not valid HTTP/1.1.";
      break;
  }
  return s3::ErrorXmlDoc(x);
}

// Replaces a response the transport cannot send with a 500, keeping the
// request's ids so that the client and the log can name it, and logs why
// (unless `why` is empty: the cause was logged where it happened).
void ReplaceWith500(HttpResponse& out, std::string_view why) {
  HttpResponse fresh;
  fresh.status = 500;
  std::string id = "-";
  for (const char* name : {"x-amz-request-id", "x-amz-id-2", "Server", "Date"}) {
    if (const std::string* v = out.FindHeader(name); v != nullptr && SafeValue(*v)) {
      fresh.SetHeader(name, *v);
      if (std::string_view(name) == "x-amz-request-id") id = *v;
    }
  }
  fresh.SetHeader("Content-Type", "application/xml");
  fresh.body = ErrorDoc(500);
  out = std::move(fresh);
  if (!why.empty()) Log(LogLevel::kError, "500 from the transport: " + std::string(why), id);
}

// ---- TLS: a context that follows its certificate and key files ----------

struct FileStamp {
  dev_t dev = 0;
  ino_t ino = 0;
  int64_t mtime_ns = 0;
  off_t size = 0;
  bool operator==(const FileStamp&) const = default;
};

std::optional<FileStamp> StampOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileStamp{st.st_dev, st.st_ino,
                   static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                   st.st_size};
}

class TlsContexts {
 public:
  explicit TlsContexts(const HttpServerOptions& o) : opt_(o) {}

  Status Init() {
    struct stat st {};
    if (::stat(opt_.tls_key.c_str(), &st) != 0) {
      return Status::InvalidArgument("flag --tls-key: cannot read " + opt_.tls_key);
    }
    if ((st.st_mode & 0007) != 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      return Status::InvalidArgument("flag --tls-key: " + opt_.tls_key +
                                     " is accessible to other users (mode " + mode +
                                     "); chmod o-rwx it (0600 or 0640)");
    }
    auto ctx = Build();
    if (!ctx) return ctx.error();
    ctx_ = *ctx;
    cert_stamp_ = StampOf(opt_.tls_cert);
    key_stamp_ = StampOf(opt_.tls_key);
    next_check_ = Clock::now() + std::chrono::seconds(1);
    return Status::OK();
  }

  // The context for a new connection: rebuilt when the certificate or key
  // file changed (checked at most once a second). A pair that does not load
  // (say, the certificate replaced before its key) keeps the previous one.
  std::shared_ptr<ssl::context> Current() {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = Clock::now();
    if (now < next_check_) return ctx_;
    next_check_ = now + std::chrono::seconds(1);
    auto cert = StampOf(opt_.tls_cert);
    auto key = StampOf(opt_.tls_key);
    if (cert == cert_stamp_ && key == key_stamp_) return ctx_;
    auto fresh = Build();
    if (!fresh) {
      if (!(cert == failed_cert_ && key == failed_key_)) {
        Log(LogLevel::kWarn, "keeping the previous TLS certificate: " + fresh.error().ToString());
      }
      failed_cert_ = cert;
      failed_key_ = key;
      return ctx_;
    }
    Log(LogLevel::kInfo, "reloaded the TLS certificate " + opt_.tls_cert);
    ctx_ = *fresh;
    cert_stamp_ = cert;
    key_stamp_ = key;
    return ctx_;
  }

 private:
  Result<std::shared_ptr<ssl::context>> Build() const {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    SSL_CTX* native = ctx->native_handle();
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::single_dh_use);
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    const int min_version = opt_.tls_min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
    if (SSL_CTX_set_min_proto_version(native, min_version) != 1) {
      return Err(Status::InvalidArgument("flag --tls-min-version: not supported"));
    }
    if (SSL_CTX_set_cipher_list(native, opt_.tls_ciphers.c_str()) != 1) {
      return Err(Status::InvalidArgument("flag --tls-ciphers: no usable cipher in '" +
                                         opt_.tls_ciphers + "'"));
    }
    ErrorCode ec;
    ctx->use_certificate_chain_file(opt_.tls_cert, ec);
    if (ec) {
      return Err(Status::InvalidArgument("cannot load the TLS certificate " + opt_.tls_cert + ": " +
                                         ec.message()));
    }
    ctx->use_private_key_file(opt_.tls_key, ssl::context::pem, ec);
    if (ec || SSL_CTX_check_private_key(native) != 1) {
      return Err(Status::InvalidArgument("cannot load the TLS key " + opt_.tls_key +
                                         " (or it does not match the certificate)"));
    }
    return ctx;
  }

  const HttpServerOptions opt_;
  std::mutex mu_;
  std::shared_ptr<ssl::context> ctx_;
  std::optional<FileStamp> cert_stamp_, key_stamp_, failed_cert_, failed_key_;
  Clock::time_point next_check_;
};

// ---- the server and its connections -----------------------------------

class Impl;

class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  virtual ~SessionBase() = default;
  virtual void Start() = 0;
  // Closes the connection if it waits for a request (on its strand).
  virtual void StopIfIdle() = 0;
};

class Impl final : public HttpServer {
 public:
  Impl(const HttpServerOptions& options, HttpHandler handler, HttpLogger logger)
      : opt_(options),
        handler_(std::move(handler)),
        logger_(std::move(logger)),
        acceptor_(ioc_),
        workers_(static_cast<size_t>(std::max(1, options.threads))),
        guard_(asio::make_work_guard(ioc_)) {
    limits_.max_header_bytes = opt_.max_header_bytes;
    limits_.max_body_bytes = opt_.max_body_bytes;
  }

  ~Impl() override {
    workers_.stop();
    workers_.join();
  }

  Status Init() {
    RaiseDescriptorLimit();
    if (!opt_.tls_cert.empty() || !opt_.tls_key.empty()) {
      tls_ = std::make_unique<TlsContexts>(opt_);
      if (Status st = tls_->Init(); !st.ok()) return st;
    }
    ErrorCode ec;
    auto addr = asio::ip::make_address(opt_.host, ec);
    if (ec) {
      // A host name: resolve it once.
      tcp::resolver resolver(ioc_);
      auto results = resolver.resolve(opt_.host, std::to_string(opt_.port), ec);
      if (ec || results.empty()) return Status::InvalidArgument("cannot resolve " + opt_.host);
      addr = results.begin()->endpoint().address();
    }
    const tcp::endpoint ep(addr, static_cast<unsigned short>(opt_.port));
    const std::string where = opt_.host + ":" + std::to_string(opt_.port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (ec) return Status::IOError("cannot bind " + where + ": " + ec.message());
    acceptor_.listen(kListenBacklog, ec);
    if (ec) return Status::IOError("cannot listen on " + where + ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();
    return Status::OK();
  }

  int port() const override { return port_; }
  bool tls() const override { return tls_ != nullptr; }

  bool Run() override {
    asio::post(ioc_, [this] { DoAccept(); });
    const int n = opt_.io_threads > 0
                      ? opt_.io_threads
                      : std::clamp(2 * static_cast<int>(std::thread::hardware_concurrency()), 2, 8);
    std::vector<std::thread> extra;
    for (int i = 1; i < n; ++i) extra.emplace_back([this] { RunLoop(); });
    RunLoop();
    for (auto& t : extra) t.join();
    return true;
  }

  void Stop() override {
    if (stopping_.exchange(true)) return;
    asio::post(ioc_, [this] {
      ErrorCode ec;
      acceptor_.close(ec);
      accept_retry_.reset();
      std::vector<std::shared_ptr<SessionBase>> live;
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (auto& [ptr, weak] : sessions_) {
          if (auto s = weak.lock()) live.push_back(std::move(s));
        }
      }
      for (auto& s : live) s->StopIfIdle();
      guard_.reset();  // Run() returns once the last connection ends
    });
  }

  // For sessions.
  const HttpServerOptions& opt() const { return opt_; }
  const framing::Limits& limits() const { return limits_; }
  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }
  asio::thread_pool& workers() { return workers_; }
  asio::io_context& ioc() { return ioc_; }
  void Handle(HttpRequest& req, HttpResponse& res) { handler_(req, res); }
  void LogEntry(const HttpLogEntry& e) {
    if (logger_) logger_(e);
  }
  void Register(SessionBase* s, std::weak_ptr<SessionBase> w) {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.emplace(s, std::move(w));
  }
  void Unregister(SessionBase* s, const std::string& ip) {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.erase(s);
    --connections_;
    auto it = per_ip_.find(ip);
    if (it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
  }

 private:
  static void RaiseDescriptorLimit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
      lim.rlim_cur = lim.rlim_max;
      setrlimit(RLIMIT_NOFILE, &lim);
    }
  }

  void RunLoop() {
    for (;;) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& e) {
        Log(LogLevel::kError, std::string("error in the I/O loop: ") + e.what());
      } catch (...) {
        Log(LogLevel::kError, "unknown error in the I/O loop");
      }
    }
  }

  bool Admit(const std::string& ip) {
    std::lock_guard<std::mutex> lock(mu_);
    if (connections_ >= opt_.max_connections) return false;
    int& n = per_ip_[ip];
    if (n >= opt_.max_connections_per_ip) {
      if (n == 0) per_ip_.erase(ip);
      return false;
    }
    ++n;
    ++connections_;
    return true;
  }

  void DoAccept() {
    if (stopping()) return;
    acceptor_.async_accept(asio::make_strand(ioc_), [this](ErrorCode ec, tcp::socket sock) {
      if (stopping() || !acceptor_.is_open()) return;
      if (ec) {
        // Out of descriptors or buffers: pause instead of spinning.
        accept_retry_.emplace(ioc_);
        accept_retry_->expires_after(std::chrono::milliseconds(50));
        accept_retry_->async_wait([this](ErrorCode) { DoAccept(); });
        return;
      }
      OnAccept(std::move(sock));
      DoAccept();
    });
  }

  void OnAccept(tcp::socket sock);

  HttpServerOptions opt_;
  HttpHandler handler_;
  HttpLogger logger_;
  framing::Limits limits_;
  // Sessions unregister in their destructors, which may run as late as the
  // destruction of ioc_: these are declared (so destroyed) before it.
  std::mutex mu_;  // guards the three fields below
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions_;
  std::unordered_map<std::string, int> per_ip_;
  int connections_ = 0;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  asio::thread_pool workers_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::optional<asio::steady_timer> accept_retry_;
  std::unique_ptr<TlsContexts> tls_;
  int port_ = -1;
  std::atomic<bool> stopping_{false};
};

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One connection. Strand-side methods run on the connection's strand;
// worker-side ones (Serve, ReadBody, PullSlice) on a worker while no
// operation of the strand side is pending. The hand-offs between them are
// posts, so each side sees the other's writes.
template <class Stream>
class Session final : public SessionBase {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  Session(Impl* server, std::shared_ptr<ssl::context> ctx, tcp::socket sock, std::string remote,
          std::string ip)
      : server_(server),
        ctx_(std::move(ctx)),
        stream_(MakeStream(std::move(sock), ctx_.get())),
        buffer_(std::max<size_t>(server->opt().max_header_bytes + 1, 2 * kBodySlice)),
        remote_(std::move(remote)),
        ip_(std::move(ip)) {}

  ~Session() override { server_->Unregister(this, ip_); }

  void Start() override {
    server_->Register(this, weak_from_this());
    if constexpr (!kTls) {
      // Workers write responses directly while the socket takes them.
      ErrorCode ec;
      Lowest().socket().non_blocking(true, ec);
    }
    asio::dispatch(stream_.get_executor(), [self = Self()] {
      if constexpr (kTls) {
        self->Lowest().expires_after(std::chrono::seconds(self->server_->opt().header_timeout_s));
        self->stream_.async_handshake(ssl::stream_base::server, [self](ErrorCode ec) {
          if (ec) return self->Close();
          self->DoRead(true);
        });
      } else {
        self->DoRead(true);
      }
    });
  }

  // Shuts the reading side down, which ends a pending read with EOF (a
  // plain syscall, safe beside the thread that owns the stream; close_mu_
  // keeps the descriptor from being closed and reused meanwhile).
  void StopIfIdle() override {
    std::lock_guard<std::mutex> lock(close_mu_);
    const State st = state_.load();
    if (closed_ || (st != State::kIdle && st != State::kHead)) return;
    ::shutdown(Lowest().socket().native_handle(), SHUT_RD);
  }

 private:
  enum class State { kIdle, kHead, kBusy, kClosing };
  using Done = std::function<void(ErrorCode, size_t)>;

  static Stream MakeStream(tcp::socket sock, ssl::context* ctx) {
    if constexpr (kTls) {
      return Stream(std::move(sock), *ctx);
    } else {
      (void)ctx;
      return Stream(std::move(sock));
    }
  }

  std::shared_ptr<Session> Self() { return std::static_pointer_cast<Session>(shared_from_this()); }
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }
  const HttpServerOptions& opt() const { return server_->opt(); }

  // ---- strand side ----

  void DoRead(bool first) {
    state_ = State::kIdle;
    if (server_->stopping()) return Close();
    if (first || buffer_.size() > 0) return ReadHead();
    // Wait for the next request with a small buffer; the head deadline
    // starts with its first byte.
    buffer_.shrink_to_fit();
    Lowest().expires_after(std::chrono::seconds(opt().keep_alive_timeout_s));
    stream_.async_read_some(buffer_.prepare(kIdleReadBytes),
                            [self = Self()](ErrorCode ec, size_t n) {
                              self->buffer_.commit(n);
                              if (ec) return self->Close();
                              self->ReadHead();
                            });
  }

  void ReadHead() {
    state_ = State::kHead;
    if (server_->stopping() && buffer_.size() == 0) return Close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(opt().max_header_bytes));
    parser_->body_limit(opt().max_body_bytes);
    Lowest().expires_after(std::chrono::seconds(opt().header_timeout_s));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = Self()](ErrorCode ec, size_t) { self->OnHead(ec); });
  }

  void OnHead(ErrorCode ec) {
    start_ = Clock::now();
    req_ = HttpRequest();
    out_ = HttpResponse();
    log_method_ = "-";
    log_target_ = "-";
    if (ec) {
      const int status = framing::StatusForParseError(ec);
      if (status == 0) return Close();
      return RespondAndClose(status);
    }
    const auto& h = parser_->get().base();
    log_method_ = std::string(View(h.method_string()));
    log_target_ = std::string(View(h.target()));
    if (const int status = framing::CheckHead(h, server_->limits(), &head_); status != 0) {
      return RespondAndClose(status);
    }
    framing::ToRequest(h, &req_);
    req_.remote = remote_;
    req_.tls = kTls;
    req_.has_body = head_.chunked || head_.content_length.value_or(0) > 0;
    body_started_ = false;
    body_bytes_ = 0;
    continue_sent_ = false;
    broken_ = false;
    ++requests_;
    state_ = State::kBusy;
    guard_.emplace(asio::make_work_guard(server_->ioc()));
    // A read without a body (GET, HEAD) waits on no client and on no sync:
    // serve it here and spare the hand-off to a worker. Everything else
    // (bodies, commits) goes to the worker pool.
    if (!req_.has_body && (req_.method == "GET" || req_.method == "HEAD")) return Serve();
    asio::post(server_->workers(), [self = Self()] { self->Serve(); });
  }

  // Answers a request refused before any handler saw it, then closes.
  void RespondAndClose(int status) {
    state_ = State::kBusy;
    keep_ = false;
    drain_ = false;
    out_ = HttpResponse();
    out_.status = status;
    out_.SetHeader("Content-Type", "application/xml");
    out_.body = ErrorDoc(status);
    head_text_ = FormatHead(out_, out_.body.size(), false);
    sent_ = 0;
    body_total_ = out_.body.size();
    WriteBuffers({asio::buffer(head_text_), asio::buffer(out_.body)}, out_.body.size());
  }

  void WriteBuffers(std::array<asio::const_buffer, 2> bufs, size_t body_bytes) {
    Lowest().expires_at(TransferDeadline(start_, sent_, opt().min_rate_bytes,
                                         std::chrono::seconds(opt().write_timeout_s)));
    if constexpr (kTls) {
      // Beast's TLS stream writes only the first buffer of a sequence that
      // it does not coalesce, and an exhausted (empty) first buffer then
      // ends asio::async_write early: give it one contiguous buffer.
      if (bufs[0].size() > 0 && bufs[1].size() > 0) {
        head_text_.append(static_cast<const char*>(bufs[1].data()), bufs[1].size());
        bufs = {asio::buffer(head_text_), asio::const_buffer()};
      }
      if (bufs[0].size() == 0) std::swap(bufs[0], bufs[1]);
    }
    auto done = [self = Self(), body_bytes](ErrorCode ec, size_t) {
      if (ec) {
        self->Log();
        return self->Close();
      }
      self->sent_ += body_bytes;
      self->OnWritten();
    };
    if constexpr (kTls) {
      asio::async_write(stream_, bufs[0], std::move(done));
    } else {
      asio::async_write(stream_, bufs, std::move(done));
    }
  }

  void OnWritten() {
    if (sent_ < body_total_) {
      asio::post(server_->workers(), [self = Self()] { self->PullSlice(); });
      return;
    }
    Finish();
  }

  // After the last byte of a response, on the strand or (plain TCP) on the
  // worker that wrote it: nothing else touches the stream then.
  void Finish() {
    Log();
    out_ = HttpResponse();  // releases the body source (and its readers)
    req_ = HttpRequest();
    slice_.clear();
    slice_.shrink_to_fit();
    guard_.reset();
    if (!keep_) return Linger();
    if (drain_) return Drain();
    DoRead(false);
  }

  // Reads and discards the rest of a body the handler did not read, so the
  // next request starts where this one ends.
  void Drain() {
    if (parser_->is_done()) return DoRead(false);
    if (drained_ > opt().max_drain_bytes) return Linger();
    if (slice_.empty()) slice_.resize(kBodySlice);
    buffer_.reserve(std::min(buffer_.max_size(), buffer_.size() + kBodySlice));
    parser_->get().body().data = slice_.data();
    parser_->get().body().size = slice_.size();
    Lowest().expires_after(std::chrono::seconds(opt().read_timeout_s));
    http::async_read_some(stream_, buffer_, *parser_, [self = Self()](ErrorCode ec, size_t) {
      if (ec == http::error::need_buffer) ec = {};
      self->drained_ += self->slice_.size() - self->parser_->get().body().size;
      if (ec) return self->Close();
      self->Drain();
    });
  }

  // Closes after the response: our side first, then reading (and dropping)
  // what the client still sends for a moment, so that a reset does not
  // destroy the response before the client reads it.
  void Linger() {
    state_ = State::kClosing;
    if constexpr (kTls) {
      Lowest().expires_after(kLinger);
      stream_.async_shutdown([self = Self()](ErrorCode) { self->Close(); });
    } else {
      ErrorCode ec;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      if (ec) return Close();
      linger_until_ = Clock::now() + kLinger;
      lingered_ = 0;
      LingerRead();
    }
  }

  void LingerRead() {
    buffer_.clear();
    Lowest().expires_at(linger_until_);
    Lowest().async_read_some(buffer_.prepare(kIdleReadBytes),
                             [self = Self()](ErrorCode ec, size_t n) {
                               self->lingered_ += n;
                               if (ec || self->lingered_ > kLingerBytes) return self->Close();
                               self->LingerRead();
                             });
  }

  void Close() {
    state_ = State::kClosing;
    guard_.reset();
    std::lock_guard<std::mutex> lock(close_mu_);
    if (closed_) return;
    closed_ = true;
    ErrorCode ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().close();
  }

  void Log() {
    HttpLogEntry e;
    const std::string* id = out_.FindHeader("x-amz-request-id");
    e.request_id = id != nullptr ? *id : "-";
    e.remote = remote_;
    e.method = log_method_;
    e.target = log_target_;
    e.status = out_.status;
    e.bytes = sent_;
    e.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_);
    server_->LogEntry(e);
  }

  // ---- worker side ----

  // Runs an operation on the strand and waits for it.
  std::pair<ErrorCode, size_t> Await(const std::function<void(Done)>& start) {
    std::promise<std::pair<ErrorCode, size_t>> p;
    auto f = p.get_future();
    asio::post(stream_.get_executor(), [&] {
      start([&p](ErrorCode ec, size_t n) { p.set_value({ec, n}); });
    });
    return f.get();
  }

  bool ReadBody(const BodySink& sink) {
    if (!req_.has_body) return true;
    if (body_started_) return false;
    body_started_ = true;
    if (head_.expect_continue && !continue_sent_) {
      continue_sent_ = true;
      static constexpr std::string_view k100 = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [ec, n] = Await([&](Done done) {
        Lowest().expires_after(std::chrono::seconds(opt().write_timeout_s));
        asio::async_write(stream_, asio::buffer(k100.data(), k100.size()), std::move(done));
      });
      if (ec) {
        broken_ = true;
        return false;
      }
    }
    std::vector<char> buf(kBodySlice);
    // Beast reads no more than the buffer's free capacity (at least 512
    // bytes): give it room for a whole slice, or a body arrives 512 bytes
    // per read.
    buffer_.reserve(std::min(buffer_.max_size(), buffer_.size() + kBodySlice));
    const auto body_start = Clock::now();
    while (!parser_->is_done()) {
      auto [ec, n] = Await([&](Done done) {
        parser_->get().body().data = buf.data();
        parser_->get().body().size = buf.size();
        Lowest().expires_at(TransferDeadline(body_start, body_bytes_, opt().min_rate_bytes,
                                             std::chrono::seconds(opt().read_timeout_s)));
        http::async_read_some(stream_, buffer_, *parser_, std::move(done));
      });
      if (ec == http::error::need_buffer) ec = {};
      const size_t got = buf.size() - parser_->get().body().size;
      body_bytes_ += got;
      if (got > 0 && !sink(std::string_view(buf.data(), got))) return false;
      if (ec) {
        broken_ = true;
        return false;
      }
    }
    return true;
  }

  void Serve() {
    req_.read_body = [this](const BodySink& sink) { return ReadBody(sink); };
    try {
      server_->Handle(req_, out_);
    } catch (const std::exception& e) {
      ReplaceWith500(out_, std::string("the handler threw: ") + e.what());
    } catch (...) {
      ReplaceWith500(out_, "the handler threw");
    }
    req_.read_body = nullptr;
    keep_ = head_.keep_alive && !broken_ && requests_ < opt().keep_alive_max_requests &&
            !server_->stopping();
    drain_ = false;
    drained_ = 0;
    if (req_.has_body && !parser_->is_done()) {
      if (broken_ || (head_.expect_continue && !continue_sent_)) {
        // The client may be waiting for a 100 that never comes, or the
        // stream is broken: nothing more can be read from it safely.
        keep_ = false;
      } else if (head_.content_length &&
                 *head_.content_length - std::min(*head_.content_length, body_bytes_) >
                     opt().max_drain_bytes) {
        keep_ = false;
      } else {
        drain_ = keep_;
      }
    }
    Respond();
  }

  void Respond() {
    for (const auto& [name, value] : out_.headers) {
      if (!framing::SafeHeaderName(name) || !framing::SafeHeaderValue(value)) {
        ReplaceWith500(out_, "a response header with control characters (name " +
                                 s3::HexEncode(name).substr(0, 64) + ")");
        break;
      }
    }
    const bool head = req_.method == "HEAD";
    const bool no_body_status =
        out_.status == 204 || out_.status == 304 || (out_.status >= 100 && out_.status < 200);
    uint64_t length = out_.source ? out_.stream_length : out_.body.size();
    if (no_body_status) length = 0;
    sent_ = 0;
    body_total_ = head || no_body_status ? 0 : length;
    if (out_.source && body_total_ > 0) {
      // The first slice before the head: a source that fails at once still
      // gets a 500 instead of a cut response.
      if (!PullInto(std::min<uint64_t>(body_total_, kStreamSlice))) {
        ReplaceWith500(out_, {});  // the body source logged its cause
        length = body_total_ = out_.body.size();
      }
    }
    head_text_ = FormatHead(out_, length, no_body_status);
    if (head_.expect_continue && !req_.has_body) {
      // No content to wait for, so RFC 9110 lets us skip the 100. But a
      // client that sees a final answer instead (botocore) keeps treating
      // it as the early answer to its later requests on the connection:
      // send the 100 first, as for a body that is read.
      head_text_.insert(0, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    asio::const_buffer body;
    if (body_total_ > 0) body = out_.source ? asio::buffer(slice_) : asio::buffer(out_.body);
    Send({asio::buffer(head_text_), body}, body.size());
  }

  // Worker side: on plain TCP, writes what the socket takes at once, so a
  // response that fits its buffer costs no hand-off; the rest is written
  // by the strand.
  void Send(std::array<asio::const_buffer, 2> bufs, size_t body_bytes) {
    if constexpr (!kTls) {
      for (;;) {
        ErrorCode ec;
        const size_t total = bufs[0].size() + bufs[1].size();
        const size_t n = asio::write(Lowest().socket(), bufs, ec);
        if (n == total) {
          sent_ += body_bytes;
          if (sent_ >= body_total_) return Finish();
          if (!PullInto(std::min<uint64_t>(body_total_ - sent_, kStreamSlice))) {
            return FailStream();
          }
          head_text_.clear();
          bufs = {asio::const_buffer(), asio::buffer(slice_)};
          body_bytes = slice_.size();
          continue;
        }
        if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
          return FailStream();
        }
        const size_t head_part = std::min(n, bufs[0].size());
        bufs[0] += head_part;
        bufs[1] += n - head_part;
        sent_ += n - head_part;
        body_bytes -= n - head_part;
        break;
      }
    }
    asio::post(stream_.get_executor(),
               [self = Self(), bufs, body_bytes] { self->WriteBuffers(bufs, body_bytes); });
  }

  // The status line is out: all that is left is to cut the connection.
  void FailStream() {
    asio::post(stream_.get_executor(), [self = Self()] {
      self->Log();
      self->Close();
    });
  }

  bool PullInto(uint64_t want) {
    slice_.resize(static_cast<size_t>(want));
    size_t filled = 0;
    try {
      while (filled < slice_.size()) {
        std::optional<size_t> n = out_.source(slice_.data() + filled, slice_.size() - filled);
        if (!n || *n == 0 || *n > slice_.size() - filled) return false;
        filled += *n;
      }
    } catch (...) {
      return false;
    }
    return true;
  }

  // A worker fills the next slice of a streamed body; the strand writes it.
  void PullSlice() {
    if (!PullInto(std::min<uint64_t>(body_total_ - sent_, kStreamSlice))) return FailStream();
    head_text_.clear();
    Send({asio::const_buffer(), asio::buffer(slice_)}, slice_.size());
  }

  std::string FormatHead(const HttpResponse& r, uint64_t length, bool no_body_status) const {
    std::string h;
    h.reserve(512);
    h += "HTTP/1.1 ";
    h += std::to_string(r.status);
    h += ' ';
    const auto reason = http::obsolete_reason(http::int_to_status(static_cast<unsigned>(r.status)));
    h.append(reason.data(), reason.size());
    h += "\r\n";
    bool has_type = false;
    for (const auto& [name, value] : r.headers) {
      if (s3::EqualsIgnoreCase(name, "Content-Length") ||
          s3::EqualsIgnoreCase(name, "Connection") ||
          s3::EqualsIgnoreCase(name, "Transfer-Encoding")) {
        continue;
      }
      if (s3::EqualsIgnoreCase(name, "Content-Type")) has_type = true;
      h += name;
      h += ": ";
      h += value;
      h += "\r\n";
    }
    if (!has_type && length > 0 && !no_body_status) {
      h += r.source ? "Content-Type: application/octet-stream\r\n"
                    : "Content-Type: application/xml\r\n";
    }
    if (!no_body_status) {
      h += "Content-Length: ";
      h += std::to_string(length);
      h += "\r\n";
    }
    if (!keep_) {
      h += "Connection: close\r\n";
    } else if (parser_ && parser_->get().version() == 10) {
      h += "Connection: keep-alive\r\n";
    }
    h += "\r\n";
    return h;
  }

  Impl* server_;
  std::shared_ptr<ssl::context> ctx_;  // outlives stream_
  Stream stream_;
  beast::flat_buffer buffer_;
  const std::string remote_;
  const std::string ip_;
  std::atomic<State> state_{State::kIdle};
  std::mutex close_mu_;  // Close() against StopIfIdle()
  bool closed_ = false;  // guarded by close_mu_
  std::optional<http::request_parser<http::buffer_body>> parser_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_;

  // The request in progress.
  framing::Head head_;
  HttpRequest req_;
  HttpResponse out_;
  std::string log_method_, log_target_;
  Clock::time_point start_;
  int requests_ = 0;
  bool body_started_ = false;
  uint64_t body_bytes_ = 0;
  bool continue_sent_ = false;
  bool broken_ = false;
  bool keep_ = true;
  bool drain_ = false;
  uint64_t drained_ = 0;

  // The response in progress.
  std::string head_text_;
  std::vector<char> slice_;
  uint64_t sent_ = 0;
  uint64_t body_total_ = 0;

  Clock::time_point linger_until_;
  uint64_t lingered_ = 0;
};

void Impl::OnAccept(tcp::socket sock) {
  ErrorCode ec;
  const tcp::endpoint peer = sock.remote_endpoint(ec);
  if (ec) return;
  const std::string ip = ClientIp(peer);
  if (!Admit(ip)) {
    sock.close(ec);
    return;
  }
  sock.set_option(tcp::no_delay(true), ec);
  std::shared_ptr<SessionBase> s;
  if (tls_) {
    s = std::make_shared<Session<TlsStream>>(this, tls_->Current(), std::move(sock),
                                             FormatRemote(peer), ip);
  } else {
    s = std::make_shared<Session<PlainStream>>(this, nullptr, std::move(sock), FormatRemote(peer),
                                               ip);
  }
  s->Start();
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Create(const HttpServerOptions& options,
                                                       HttpHandler handler, HttpLogger logger) {
  auto impl = std::make_unique<Impl>(options, std::move(handler), std::move(logger));
  if (Status st = impl->Init(); !st.ok()) return Err(st);
  return std::unique_ptr<HttpServer>(std::move(impl));
}

}  // namespace seglake::s3d
