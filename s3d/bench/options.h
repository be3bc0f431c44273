// Command line of seglake-bench: GNU-style long flags (`--name VALUE` or
// `--name=VALUE`). Credentials also come from AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, the region from AWS_REGION; a flag beats its
// environment variable.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace seglake::bench {

enum class Workload { kPut, kGet, kStat, kDelete, kList, kMixed, kSeedPut, kSeedMpu };

std::string_view WorkloadName(Workload w);
std::optional<Workload> ParseWorkload(std::string_view name);

struct Endpoint {
  std::string host;        // as written, without brackets ("127.0.0.1", "::1", "localhost")
  std::string connect_to;  // the address connected to ("localhost" -> "127.0.0.1")
  int port = 80;
  std::string host_header;  // "127.0.0.1:9000", "[::1]:9000", "localhost"
  std::string url;          // normalized "http://host:port"
};

struct Options {
  Endpoint endpoint;
  std::string access_key;
  std::string secret_key;
  std::string region = "us-east-1";
  std::string bucket = "seglake-bench";
  std::string prefix = "seglake-bench/";
  Workload workload = Workload::kPut;
  uint64_t size = 4 * 1024;
  uint64_t part_size = 8ull * 1024 * 1024;
  int concurrency = 16;
  std::chrono::milliseconds duration{10'000};
  uint64_t objects = 1000;
  int list_max_keys = 1000;
  std::chrono::seconds timeout{120};
  bool sha256 = false;
  bool json = false;
  bool keep = false;
};

enum class ArgsAction { kRun, kHelp, kVersion, kUsageError };

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Parses argv (without the program name) and the environment into *opts,
// applying the per-workload defaults (seed-put: 4 MiB at concurrency 4,
// seed-mpu: 64 MiB at concurrency 4, delete: 10,000 objects, ...) to what
// the command line left unset. On kUsageError, *error says why.
ArgsAction ParseArgs(const std::vector<std::string>& args, const EnvLookup& env, Options* opts,
                     std::string* error);

// "4096", "4KiB", "4 MiB", "1GiB", "512B", "4k"/"4K" (KiB), "4m"/"4M" (MiB),
// "1g"/"1G" (GiB). Decimal units (KB, MB, GB) are 1000-based.
std::optional<uint64_t> ParseByteSize(std::string_view text);

// "10s", "500ms", "2m", "1h", "1m30s", or a bare number of seconds.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

// Accepts only http:// endpoints on a loopback address: 127.0.0.0/8, ::1
// or the name "localhost". *error says why anything else is refused.
std::optional<Endpoint> ParseEndpoint(std::string_view url, std::string* error);

// True for 127.0.0.0/8 (dotted quad), ::1 (any spelling) and "localhost".
bool IsLoopbackHost(std::string_view host);

// 4096 -> "4 KiB", 67108864 -> "64 MiB", 1000 -> "1000 B".
std::string FormatBytes(uint64_t bytes);

std::string UsageText();

}  // namespace seglake::bench
