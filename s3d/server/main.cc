// seglake-s3d: the S3 endpoint of a seglake data dir.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <iostream>
#include <mutex>
#include <thread>

#include "proto/credentials.h"
#include "proto/crypto.h"
#include "seglake/engine.h"
#include "server/flags.h"
#include "server/http_server.h"
#include "server/request_log.h"
#include "server/service.h"

#ifndef SEGLAKE_VERSION
#define SEGLAKE_VERSION "unknown"
#endif

namespace seglake::s3d {
namespace {

// In-flight requests get this long to finish after SIGINT/SIGTERM.
constexpr std::chrono::seconds kShutdownGrace{30};

std::optional<std::string> GetEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): before threads
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  Config cfg;
  std::string error;
  switch (ParseFlags(args, GetEnv, &cfg, &error)) {
    case FlagAction::kHelp:
      std::cout << UsageText();
      return 0;
    case FlagAction::kVersion:
      std::cout << "seglake-s3d " << SEGLAKE_VERSION << "\n";
      return 0;
    case FlagAction::kUsageError:
      std::cerr << "seglake-s3d: " << error << "\nTry 'seglake-s3d --help'.\n";
      return 2;
    case FlagAction::kRun:
      break;
  }

  // Signals are taken by sigwait() in this thread; block them before any
  // other thread starts so none of those receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Options options;
  options.data_dir = cfg.data_dir;
  auto engine = Engine::Open(options);
  if (!engine) {
    std::cerr << "seglake-s3d: cannot open data dir " << cfg.data_dir << ": "
              << engine.error().ToString() << "\n";
    return 1;
  }

  bool show_credentials = false;
  if (cfg.access_key.empty()) {
    auto creds = LoadOrCreateCredentials(cfg.data_dir);
    if (!creds) {
      std::cerr << "seglake-s3d: credentials: " << creds.error().ToString() << "\n";
      return 1;
    }
    cfg.access_key = creds->access_key;
    cfg.secret_key = creds->secret_key;
    show_credentials = true;
    std::cerr << "seglake-s3d: " << (creds->generated ? "generated" : "using") << " credentials in "
              << CredentialsPath(cfg.data_dir) << "\n";
  }

  ServiceConfig sc;
  sc.region = cfg.region;
  sc.access_key = cfg.access_key;
  sc.secret_key = cfg.secret_key;
  sc.domain = cfg.domain;
  sc.cors_origins = cfg.cors_origins;
  sc.owner_id = s3::Sha256Hex("seglake-owner:" + cfg.access_key);
  Service service(engine->get(), sc);

  std::mutex log_mu;
  HttpLogger logger = [&log_mu](const HttpLogEntry& e) {
    std::string line = FormatLogLine(e, NowNs()) + "\n";
    std::lock_guard<std::mutex> lock(log_mu);
    std::fwrite(line.data(), 1, line.size(), stderr);
  };
  HttpServerOptions ho;
  ho.host = cfg.listen_host;
  ho.port = cfg.listen_port;
  ho.tls_cert = cfg.tls_cert;
  ho.tls_key = cfg.tls_key;
  ho.threads = cfg.threads;
  ho.tls_min_version = cfg.tls_min_version;
  if (!cfg.tls_ciphers.empty()) ho.tls_ciphers = cfg.tls_ciphers;
  ho.header_timeout_s = cfg.header_timeout_s;
  ho.max_header_bytes = cfg.max_header_bytes;
  ho.max_connections = cfg.max_connections;
  ho.max_connections_per_ip = cfg.max_connections_per_ip;
  ho.min_rate_bytes = cfg.min_transfer_rate;
  ho.keep_alive_timeout_s = cfg.keep_alive_timeout_s;
  auto server = HttpServer::Create(
      ho, [&service](HttpRequest& req, HttpResponse& res) { service.Handle(req, res); }, logger);
  if (!server) {
    std::cerr << "seglake-s3d: " << server.error().ToString() << "\n";
    return 1;
  }
  if (show_credentials) {
    std::cerr << "seglake-s3d: access key: " << cfg.access_key << "\n"
              << "seglake-s3d: secret key: " << cfg.secret_key << "\n";
  }
  const std::string host = cfg.listen_host.find(':') != std::string::npos
                               ? "[" + cfg.listen_host + "]"
                               : cfg.listen_host;
  std::cerr << "seglake-s3d listening on " << ((*server)->tls() ? "https" : "http") << "://" << host
            << ":" << (*server)->port() << std::endl;

  std::promise<bool> served;
  std::future<bool> served_future = served.get_future();
  std::thread serve_thread([&] { served.set_value((*server)->Run()); });

  bool failed = false;
  for (;;) {
    timespec tick{0, 200 * 1000 * 1000};
    const int sig = sigtimedwait(&stop_signals, nullptr, &tick);
    if (sig == SIGINT || sig == SIGTERM) {
      std::cerr << "seglake-s3d: shutting down\n";
      break;
    }
    if (served_future.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      std::cerr << "seglake-s3d: the HTTP server stopped\n";
      failed = true;
      break;
    }
  }
  (*server)->Stop();
  if (served_future.wait_for(kShutdownGrace) != std::future_status::ready) {
    // Uncommitted writes are simply abandoned, as after a crash.
    std::cerr << "seglake-s3d: requests still running after " << kShutdownGrace.count()
              << "s; exiting without waiting\n";
    std::_Exit(1);
  }
  serve_thread.join();
  if (Status st = (*engine)->Close(); !st.ok()) {
    std::cerr << "seglake-s3d: close: " << st.ToString() << "\n";
    return 1;
  }
  std::cerr << "seglake-s3d: stopped\n";
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace seglake::s3d

int main(int argc, char** argv) { return seglake::s3d::Main(argc, argv); }
