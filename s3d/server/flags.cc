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
    Flag{"domain", "SEGLAKE_DOMAIN", true},
    Flag{"tls-cert", "SEGLAKE_TLS_CERT", true},
    Flag{"tls-key", "SEGLAKE_TLS_KEY", true},
    Flag{"cors-origin", "SEGLAKE_CORS_ORIGIN", true},
    Flag{"threads", "SEGLAKE_THREADS", true},
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
                      std::string* error) {
  s3::FlagValues values;
  switch (s3::ParseLongFlags(kFlags, args, env, &values, error)) {
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
  if (cfg->access_key.empty() != cfg->secret_key.empty()) {
    *error = cfg->access_key.empty() ? "flag --secret-key given without --access-key"
                                     : "flag --access-key given without --secret-key";
    return FlagAction::kUsageError;
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
  return FlagAction::kRun;
}

std::string UsageText() {
  return R"(Usage: seglake-s3d [FLAGS]

Serves a seglake data dir over the S3 API.

  --listen HOST:PORT    address to listen on (default 127.0.0.1:9000; port 0
                        picks a free port)                   SEGLAKE_LISTEN
  --data-dir DIR        data dir (default ./data)            SEGLAKE_DATA_DIR
  --region REGION       region of the endpoint (default us-east-1)
                                                             SEGLAKE_REGION
  --access-key KEY      access key id                        SEGLAKE_ACCESS_KEY
  --secret-key SECRET   secret access key                    SEGLAKE_SECRET_KEY
                        Without both, a key pair is generated once, kept in
                        DIR/credentials (mode 0600) and printed at startup.
  --domain DOMAIN       also accept virtual-hosted style requests for
                        BUCKET.DOMAIN                        SEGLAKE_DOMAIN
  --tls-cert FILE       serve HTTPS with this certificate... SEGLAKE_TLS_CERT
  --tls-key FILE        ...and this private key              SEGLAKE_TLS_KEY
  --cors-origin LIST    comma-separated origins allowed by CORS, or *
                                                             SEGLAKE_CORS_ORIGIN
  --threads N           connections served at once (default 256)
                                                             SEGLAKE_THREADS
  --help                print this help
  --version             print the version
)";
}

}  // namespace seglake::s3d
