// Command line of seglake-s3d: GNU-style long flags (`--name VALUE` or
// `--name=VALUE`), each with a SEGLAKE_* environment twin; a flag beats its
// environment variable.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace seglake::s3d {

struct Config {
  std::string listen_host = "127.0.0.1";
  int listen_port = 9000;
  std::string data_dir = "./data";
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key;
  // --secret-key-file: the secret is read from it at startup (main.cc).
  std::string secret_key_file;
  // --secret-key was given on the command line, where `ps` shows it.
  bool secret_key_in_args = false;
  std::string log_format = "text";  // "text" or "json"
  std::string metrics_host;         // --metrics-listen; empty: no metrics
  int metrics_port = 0;
  std::string domain;
  std::string tls_cert;
  std::string tls_key;
  std::vector<std::string> cors_origins;
  std::string tls_min_version = "1.2";
  std::string tls_ciphers;  // empty: the server's default list
  int threads = 256;
  int header_timeout_s = 10;
  size_t max_header_bytes = 32 << 10;
  int max_connections = 20000;
  int max_connections_per_ip = 512;
  uint64_t min_transfer_rate = 1024;
  int keep_alive_timeout_s = 5;
};

enum class FlagAction { kRun, kHelp, kVersion, kUsageError };

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The config file read when neither --config nor SEGLAKE_CONFIG names one
// (and it exists).
inline constexpr const char* kDefaultConfigPath = "/etc/seglake/seglake.conf";

// Parses the config file, the environment and argv (without the program
// name), in rising precedence, into *cfg. On kUsageError, *error names the
// offending flag, value or config file line.
FlagAction ParseFlags(const std::vector<std::string>& args, const EnvLookup& env, Config* cfg,
                      std::string* error, const std::string& default_config = kDefaultConfigPath);

// "HOST:PORT", "[V6]:PORT" or ":PORT" (all interfaces).
bool ParseListen(std::string_view text, std::string* host, int* port);

std::string UsageText();

}  // namespace seglake::s3d
