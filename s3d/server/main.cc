// seglake-s3d: the S3 endpoint of a seglake data dir.
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <thread>

#include "proto/credentials.h"
#include "proto/crypto.h"
#include "seglake/engine.h"
#include "server/flags.h"
#include "server/http_server.h"
#include "server/metrics.h"
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

std::string OctalMode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Warns when an existing path is open to other users (group or others).
void WarnIfShared(const std::string& path, const std::string& what, const std::string& fix) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & 077) == 0) return;
  Log(LogLevel::kWarn, what + " " + path + " is accessible to other users (mode " +
                           OctalMode(st.st_mode) + "): " + fix);
}

// The secret in FILE: its first line, without the line end.
Result<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Err(Status::IOError("cannot read " + path));
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.pop_back();
  }
  if (line.empty())
    return Err(Status::InvalidArgument(path + " holds no secret on its first line"));
  return line;
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

  SetLogFormat(cfg.log_format == "json" ? LogFormat::kJson : LogFormat::kText);

  // Signals are taken by sigwait() in this thread; block them before any
  // other thread starts so none of those receives them. SIGHUP (sent by
  // `systemctl reload` and by a closing terminal) is taken too, so it never
  // kills the daemon.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  if (cfg.secret_key_in_args) {
    Log(LogLevel::kWarn,
        "--secret-key on the command line is visible to every local user (ps, /proc); "
        "use SEGLAKE_SECRET_KEY or --secret-key-file");
  }
  if (!cfg.secret_key_file.empty()) {
    auto secret = ReadSecretFile(cfg.secret_key_file);
    if (!secret) {
      Log(LogLevel::kError, "--secret-key-file: " + secret.error().ToString());
      return 1;
    }
    cfg.secret_key = std::move(*secret);
    WarnIfShared(cfg.secret_key_file, "secret key file", "chmod 600 it");
  }

  WarnIfShared(cfg.data_dir, "data dir", "chmod 700 it (new data dirs are created 0700)");
  Options options;
  options.data_dir = cfg.data_dir;
  auto engine = Engine::Open(options);
  if (!engine) {
    Log(LogLevel::kError,
        "cannot open data dir " + cfg.data_dir + ": " + engine.error().ToString());
    return 1;
  }

  std::string generated_note;
  if (cfg.access_key.empty()) {
    auto creds = LoadOrCreateCredentials(cfg.data_dir);
    if (!creds) {
      Log(LogLevel::kError, "credentials: " + creds.error().ToString());
      return 1;
    }
    cfg.access_key = creds->access_key;
    cfg.secret_key = creds->secret_key;
    // The secret is shown once, when it is made; later starts (whose
    // output may land in journald) only say where it is.
    if (creds->generated) {
      generated_note = "generated credentials in " + CredentialsPath(cfg.data_dir) +
                       " (shown this once): access key: " + cfg.access_key +
                       " secret key: " + cfg.secret_key;
    } else {
      Log(LogLevel::kInfo, "using the credentials in " + CredentialsPath(cfg.data_dir) +
                               " (access key " + cfg.access_key + ")");
    }
  }

  ServiceConfig sc;
  sc.region = cfg.region;
  sc.access_key = cfg.access_key;
  sc.secret_key = cfg.secret_key;
  sc.domain = cfg.domain;
  sc.cors_origins = cfg.cors_origins;
  sc.owner_id = s3::Sha256Hex("seglake-owner:" + cfg.access_key);
  const bool metrics_on = !cfg.metrics_host.empty();
  Metrics metrics;
  Service service(engine->get(), sc, metrics_on ? &metrics : nullptr);

  HttpLogger logger = [&metrics, metrics_on](const HttpLogEntry& e) {
    LogRequest(e);
    if (metrics_on) metrics.Finish(e);
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
    Log(LogLevel::kError, server.error().ToString());
    return 1;
  }
  // Metrics on their own small listener, without authentication: only
  // GET /metrics.
  std::unique_ptr<HttpServer> metrics_server;
  std::thread metrics_thread;
  if (metrics_on) {
    HttpServerOptions mo;
    mo.host = cfg.metrics_host;
    mo.port = cfg.metrics_port;
    mo.threads = 2;
    mo.io_threads = 1;
    mo.max_connections = 64;
    mo.max_connections_per_ip = 16;
    mo.max_body_bytes = 0;
    mo.keep_alive_timeout_s = 2;
    Engine* eng = engine->get();
    auto ms = HttpServer::Create(
        mo,
        [&metrics, eng](HttpRequest& req, HttpResponse& res) {
          res.SetHeader("Cache-Control", "no-store");
          if (req.raw_path != "/metrics" || (req.method != "GET" && req.method != "HEAD")) {
            res.status = 404;
            res.SetHeader("Content-Type", "text/plain; charset=utf-8");
            res.body = "only GET /metrics is served here\n";
            return;
          }
          auto maint = eng->Maintenance();
          res.SetHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
          res.body = metrics.Render({{"seglake_engine_writable", eng->Writable().ok() ? 1 : 0},
                                     {"seglake_engine_maintenance", maint && *maint ? 1 : 0}});
        },
        nullptr);
    if (!ms) {
      Log(LogLevel::kError, "--metrics-listen: " + ms.error().ToString());
      return 1;
    }
    metrics_server = std::move(*ms);
    metrics_thread = std::thread([&metrics_server] { metrics_server->Run(); });
    const std::string mhost = cfg.metrics_host.find(':') != std::string::npos
                                  ? "[" + cfg.metrics_host + "]"
                                  : cfg.metrics_host;
    Log(LogLevel::kInfo,
        "metrics at http://" + mhost + ":" + std::to_string(metrics_server->port()) + "/metrics");
  }
  if (!generated_note.empty()) Log(LogLevel::kInfo, generated_note);
  const std::string host = cfg.listen_host.find(':') != std::string::npos
                               ? "[" + cfg.listen_host + "]"
                               : cfg.listen_host;
  Log(LogLevel::kInfo, std::string("seglake-s3d listening on ") +
                           ((*server)->tls() ? "https" : "http") + "://" + host + ":" +
                           std::to_string((*server)->port()));

  std::promise<bool> served;
  std::future<bool> served_future = served.get_future();
  std::thread serve_thread([&] { served.set_value((*server)->Run()); });

  bool failed = false;
  for (;;) {
    timespec tick{0, 200 * 1000 * 1000};
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGINT || sig == SIGTERM) {
      Log(LogLevel::kInfo, "shutting down");
      break;
    }
    if (sig == SIGHUP) {
      Log(LogLevel::kInfo,
          "SIGHUP received: nothing to reload (the log is stderr; the TLS certificate and key "
          "are reloaded whenever their files change)");
    }
    if (served_future.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      Log(LogLevel::kError, "the HTTP server stopped");
      failed = true;
      break;
    }
  }
  (*server)->Stop();
  if (metrics_server) {
    metrics_server->Stop();
    metrics_thread.join();
  }
  if (served_future.wait_for(kShutdownGrace) != std::future_status::ready) {
    // Uncommitted writes are simply abandoned, as after a crash.
    Log(LogLevel::kWarn, "requests still running after " + std::to_string(kShutdownGrace.count()) +
                             "s; exiting without waiting");
    std::_Exit(1);
  }
  serve_thread.join();
  if (Status st = (*engine)->Close(); !st.ok()) {
    Log(LogLevel::kError, "close: " + st.ToString());
    return 1;
  }
  Log(LogLevel::kInfo, "stopped");
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace seglake::s3d

int main(int argc, char** argv) { return seglake::s3d::Main(argc, argv); }
