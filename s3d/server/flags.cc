#include "server/flags.h"

#include <array>
#include <map>

#include "proto/cmdline.h"
#include "proto/encoding.h"

namespace seglake::s3d {
namespace {

using Flag = s3::FlagSpec;

constexpr std::array kFlags = {
    Flag{"listen", "SEGLAKE_LISTEN", true},
    Flag{"data-dir", "SEGLAKE_DATA_DIR", true},
    Flag{"region", "SEGLAKE_REGION", true},
    Flag{"access-key", "SEGLAKE_ACCESS_KEY", true},
    Flag{"secret-key", "SEGLAKE_SECRET_KEY", true},
    Flag{"secret-key-file", "SEGLAKE_SECRET_KEY_FILE", true},
    Flag{"log-format", "SEGLAKE_LOG_FORMAT", true},
    Flag{"metrics-listen", "SEGLAKE_METRICS_LISTEN", true},
    Flag{"domain", "SEGLAKE_DOMAIN", true},
    Flag{"tls-cert", "SEGLAKE_TLS_CERT", true},
    Flag{"tls-key", "SEGLAKE_TLS_KEY", true},
    Flag{"cors-origin", "SEGLAKE_CORS_ORIGIN", true},
    Flag{"threads", "SEGLAKE_THREADS", true},
    Flag{"tls-min-version", "SEGLAKE_TLS_MIN_VERSION", true},
    Flag{"tls-ciphers", "SEGLAKE_TLS_CIPHERS", true},
    Flag{"header-timeout", "SEGLAKE_HEADER_TIMEOUT", true},
    Flag{"max-header-bytes", "SEGLAKE_MAX_HEADER_BYTES", true},
    Flag{"max-connections", "SEGLAKE_MAX_CONNECTIONS", true},
    Flag{"max-connections-per-ip", "SEGLAKE_MAX_CONNECTIONS_PER_IP", true},
    Flag{"min-transfer-rate", "SEGLAKE_MIN_TRANSFER_RATE", true},
    Flag{"keep-alive-timeout", "SEGLAKE_KEEP_ALIVE_TIMEOUT", true},
    Flag{"config", "SEGLAKE_CONFIG", true},
    Flag{"help", "", false},
    Flag{"version", "", false},
};

std::vector<std::string> SplitList(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string_view::npos) comma = s.size();
    std::string_view item = s3::TrimSpaces(s.substr(start, comma - start));
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

}  // namespace

bool ParseListen(std::string_view text, std::string* host, int* port) {
  size_t colon;
  if (text.starts_with("[")) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return false;
    }
    *host = std::string(text.substr(1, close - 1));
    colon = close + 1;
  } else {
    colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    *host = std::string(text.substr(0, colon));
    if (host->find(':') != std::string::npos) return false;
  }
  if (host->empty()) *host = "0.0.0.0";
  auto p = s3::ParseDecimal(text.substr(colon + 1));
  if (!p || *p > 65535) return false;
  *port = static_cast<int>(*p);
  return true;
}

FlagAction ParseFlags(const std::vector<std::string>& args, const EnvLookup& env, Config* cfg,
                      std::string* error, const std::string& default_config) {
  s3::FlagValues values;
  switch (s3::ParseFlagsAndConfig(kFlags, args, env, "seglake-s3d", default_config,
                                  s3::ReadSmallFile, &values, error)) {
    case s3::FlagParse::kHelp:
      return FlagAction::kHelp;
    case s3::FlagParse::kVersion:
      return FlagAction::kVersion;
    case s3::FlagParse::kUsageError:
      return FlagAction::kUsageError;
    case s3::FlagParse::kOk:
      break;
  }

  auto get = [&](std::string_view name) -> const std::string* {
    auto it = values.find(name);
    return it == values.end() ? nullptr : &it->second;
  };
  if (auto v = get("listen"); v && !ParseListen(*v, &cfg->listen_host, &cfg->listen_port)) {
    *error = "flag --listen: '" + *v + "' is not HOST:PORT";
    return FlagAction::kUsageError;
  }
  if (auto v = get("data-dir")) {
    if (v->empty()) {
      *error = "flag --data-dir: the path is empty";
      return FlagAction::kUsageError;
    }
    cfg->data_dir = *v;
  }
  if (auto v = get("region")) {
    if (v->empty()) {
      *error = "flag --region: the region is empty";
      return FlagAction::kUsageError;
    }
    cfg->region = *v;
  }
  if (auto v = get("access-key")) cfg->access_key = *v;
  if (auto v = get("secret-key")) cfg->secret_key = *v;
  for (const std::string& a : args) {
    if (a == "--") break;
    if (a == "--secret-key" || a.starts_with("--secret-key=")) cfg->secret_key_in_args = true;
  }
  if (auto v = get("secret-key-file")) {
    if (v->empty()) {
      *error = "flag --secret-key-file: the path is empty";
      return FlagAction::kUsageError;
    }
    if (!cfg->secret_key.empty()) {
      *error = "flag --secret-key-file given with --secret-key: give one of them";
      return FlagAction::kUsageError;
    }
    cfg->secret_key_file = *v;
  }
  const bool has_secret = !cfg->secret_key.empty() || !cfg->secret_key_file.empty();
  if (cfg->access_key.empty() == has_secret) {
    *error = cfg->access_key.empty() ? "flag --secret-key given without --access-key"
                                     : "flag --access-key given without --secret-key";
    return FlagAction::kUsageError;
  }
  if (auto v = get("metrics-listen");
      v && !ParseListen(*v, &cfg->metrics_host, &cfg->metrics_port)) {
    *error = "flag --metrics-listen: '" + *v + "' is not HOST:PORT";
    return FlagAction::kUsageError;
  }
  if (auto v = get("log-format")) {
    if (*v != "text" && *v != "json") {
      *error = "flag --log-format: '" + *v + "' is not text or json";
      return FlagAction::kUsageError;
    }
    cfg->log_format = *v;
  }
  if (auto v = get("domain")) cfg->domain = *v;
  if (auto v = get("tls-cert")) cfg->tls_cert = *v;
  if (auto v = get("tls-key")) cfg->tls_key = *v;
  if (cfg->tls_cert.empty() != cfg->tls_key.empty()) {
    *error = cfg->tls_cert.empty() ? "flag --tls-key given without --tls-cert"
                                   : "flag --tls-cert given without --tls-key";
    return FlagAction::kUsageError;
  }
  if (auto v = get("cors-origin")) cfg->cors_origins = SplitList(*v);
  if (auto v = get("threads")) {
    auto n = s3::ParseDecimal(*v);
    if (!n || *n < 1 || *n > 4096) {
      *error = "flag --threads: '" + *v + "' is not a number from 1 to 4096";
      return FlagAction::kUsageError;
    }
    cfg->threads = static_cast<int>(*n);
  }
  if (auto v = get("tls-min-version")) {
    if (*v != "1.2" && *v != "1.3") {
      *error = "flag --tls-min-version: '" + *v + "' is not 1.2 or 1.3";
      return FlagAction::kUsageError;
    }
    cfg->tls_min_version = *v;
  }
  if (auto v = get("tls-ciphers")) {
    if (v->empty()) {
      *error = "flag --tls-ciphers: the list is empty";
      return FlagAction::kUsageError;
    }
    cfg->tls_ciphers = *v;
  }
  struct Bounded {
    const char* name;
    uint64_t min, max;
    uint64_t* out;
  };
  uint64_t header_timeout = cfg->header_timeout_s, header_bytes = cfg->max_header_bytes,
           conns = cfg->max_connections, conns_ip = cfg->max_connections_per_ip,
           rate = cfg->min_transfer_rate, keep_alive = cfg->keep_alive_timeout_s;
  for (const Bounded& b : {Bounded{"header-timeout", 1, 3600, &header_timeout},
                           Bounded{"max-header-bytes", 1024, 1 << 20, &header_bytes},
                           Bounded{"max-connections", 1, 1000000, &conns},
                           Bounded{"max-connections-per-ip", 1, 1000000, &conns_ip},
                           Bounded{"min-transfer-rate", 0, 1ull << 40, &rate},
                           Bounded{"keep-alive-timeout", 1, 3600, &keep_alive}}) {
    auto v = get(b.name);
    if (!v) continue;
    auto n = s3::ParseDecimal(*v);
    if (!n || *n < b.min || *n > b.max) {
      *error = std::string("flag --") + b.name + ": '" + *v + "' is not a number from " +
               std::to_string(b.min) + " to " + std::to_string(b.max);
      return FlagAction::kUsageError;
    }
    *b.out = *n;
  }
  cfg->header_timeout_s = static_cast<int>(header_timeout);
  cfg->max_header_bytes = static_cast<size_t>(header_bytes);
  cfg->max_connections = static_cast<int>(conns);
  cfg->max_connections_per_ip = static_cast<int>(conns_ip);
  cfg->min_transfer_rate = rate;
  cfg->keep_alive_timeout_s = static_cast<int>(keep_alive);
  return FlagAction::kRun;
}

std::string UsageText() {
  return R"(Usage: seglake-s3d [FLAGS]

Serves a seglake data dir over the S3 API. Anonymous GET /health/live and
/health/ready are health checks (ready: 503 in maintenance mode or when
writes are disabled). SIGINT and SIGTERM stop it; SIGHUP is only logged.

  --listen HOST:PORT    address to listen on (default 127.0.0.1:9000; port 0
                        picks a free port)                   SEGLAKE_LISTEN
  --data-dir DIR        data dir (default ./data)            SEGLAKE_DATA_DIR
  --region REGION       region of the endpoint (default us-east-1)
                                                             SEGLAKE_REGION
  --access-key KEY      access key id                        SEGLAKE_ACCESS_KEY
  --secret-key SECRET   secret access key                    SEGLAKE_SECRET_KEY
                        On the command line `ps` shows it to every local
                        user (a warning says so): prefer the environment
                        variable or --secret-key-file.
  --secret-key-file FILE
                        read the secret access key from FILE (its first
                        line)                          SEGLAKE_SECRET_KEY_FILE
                        Without a key pair, one is generated once, kept in
                        DIR/credentials (mode 0600) and printed only then.
  --domain DOMAIN       also accept virtual-hosted style requests for
                        BUCKET.DOMAIN                        SEGLAKE_DOMAIN
  --tls-cert FILE       serve HTTPS with this certificate... SEGLAKE_TLS_CERT
  --tls-key FILE        ...and this private key              SEGLAKE_TLS_KEY
  --cors-origin LIST    comma-separated origins allowed by CORS, or *
                                                             SEGLAKE_CORS_ORIGIN
  --tls-min-version V   oldest TLS version accepted: 1.2 (default) or 1.3
                                                     SEGLAKE_TLS_MIN_VERSION
  --tls-ciphers LIST    TLS 1.2 cipher list, OpenSSL syntax (default: ECDHE
                        and DHE with AES-GCM or ChaCha20)  SEGLAKE_TLS_CIPHERS
                        The certificate and key are reloaded when their
                        files change; the key must not be readable by others.
  --threads N           requests handled at once (default 256)
                                                             SEGLAKE_THREADS
  --header-timeout S    seconds for a request's line and headers to arrive
                        (default 10)                  SEGLAKE_HEADER_TIMEOUT
  --max-header-bytes N  budget of a request's line and headers; past it 431
                        (default 32768)             SEGLAKE_MAX_HEADER_BYTES
  --max-connections N   connections open at once (default 20000)
                                                     SEGLAKE_MAX_CONNECTIONS
  --max-connections-per-ip N
                        connections open at once from one client address
                        (default 512)         SEGLAKE_MAX_CONNECTIONS_PER_IP
  --min-transfer-rate B lowest average bytes/s of a request or response body
                        after 10 s; 0 for none (default 1024)
                                                   SEGLAKE_MIN_TRANSFER_RATE
  --keep-alive-timeout S
                        idle seconds kept between requests (default 5)
                                                  SEGLAKE_KEEP_ALIVE_TIMEOUT
  --log-format F        log lines as text (default) or json, one object a
                        line; each has a level: INFO, WARN or ERROR
                                                          SEGLAKE_LOG_FORMAT
  --metrics-listen HOST:PORT
                        serve Prometheus metrics at /metrics on this
                        address, without authentication (default: off)
                                                      SEGLAKE_METRICS_LISTEN
  --config FILE         read settings from FILE: `flag-name = value` lines,
                        shared ones first, then a [seglake-s3d] section
                        (default /etc/seglake/seglake.conf if it exists; an
                        empty SEGLAKE_CONFIG reads none)      SEGLAKE_CONFIG
                        The command line beats the environment, which beats
                        the file.
  --help                print this help
  --version             print the version
)";
}

}  // namespace seglake::s3d
