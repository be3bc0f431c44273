#include "bench/options.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cctype>
#include <cstring>
#include <map>

#include "proto/cmdline.h"
#include "proto/encoding.h"
#include "proto/names.h"

namespace seglake::bench {
namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;

using Flag = s3::FlagSpec;

constexpr std::array kFlags = {
    Flag{"endpoint", "", true},
    Flag{"access-key", "AWS_ACCESS_KEY_ID", true},
    Flag{"secret-key", "AWS_SECRET_ACCESS_KEY", true},
    Flag{"region", "AWS_REGION", true},
    Flag{"bucket", "", true},
    Flag{"prefix", "", true},
    Flag{"workload", "", true},
    Flag{"size", "", true},
    Flag{"part-size", "", true},
    Flag{"concurrency", "", true},
    Flag{"duration", "", true},
    Flag{"objects", "", true},
    Flag{"list-max-keys", "", true},
    Flag{"timeout", "", true},
    Flag{"sha256", "", false},
    Flag{"json", "", false},
    Flag{"keep", "", false},
    Flag{"help", "", false},
    Flag{"version", "", false},
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Splits "12.5MiB" into 12.5 and "MiB"; spaces between are allowed.
bool SplitNumber(std::string_view text, double* number, std::string_view* unit) {
  text = s3::TrimSpaces(text);
  size_t i = 0;
  bool digits = false;
  while (i < text.size() && IsDigit(text[i])) {
    ++i;
    digits = true;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && IsDigit(text[i])) {
      ++i;
      digits = true;
    }
  }
  if (!digits) return false;
  const std::string num(text.substr(0, i));
  char* end = nullptr;
  *number = std::strtod(num.c_str(), &end);
  if (end != num.c_str() + num.size()) return false;
  *unit = s3::TrimSpaces(text.substr(i));
  return true;
}

}  // namespace

std::string_view WorkloadName(Workload w) {
  switch (w) {
    case Workload::kPut:
      return "put";
    case Workload::kGet:
      return "get";
    case Workload::kStat:
      return "stat";
    case Workload::kDelete:
      return "delete";
    case Workload::kList:
      return "list";
    case Workload::kMixed:
      return "mixed";
    case Workload::kSeedPut:
      return "seed-put";
    case Workload::kSeedMpu:
      return "seed-mpu";
  }
  return "?";
}

std::optional<Workload> ParseWorkload(std::string_view name) {
  for (Workload w : {Workload::kPut, Workload::kGet, Workload::kStat, Workload::kDelete,
                     Workload::kList, Workload::kMixed, Workload::kSeedPut, Workload::kSeedMpu}) {
    if (WorkloadName(w) == name) return w;
  }
  return std::nullopt;
}

std::optional<uint64_t> ParseByteSize(std::string_view text) {
  double number = 0;
  std::string_view unit;
  if (!SplitNumber(text, &number, &unit)) return std::nullopt;
  static const std::map<std::string, uint64_t, std::less<>> kUnits = {
      {"", 1},
      {"b", 1},
      {"k", kKiB},
      {"kib", kKiB},
      {"m", kMiB},
      {"mib", kMiB},
      {"g", kGiB},
      {"gib", kGiB},
      {"kb", 1000},
      {"mb", 1000 * 1000},
      {"gb", 1000 * 1000 * 1000},
      {"ki", kKiB},
      {"mi", kMiB},
      {"gi", kGiB},
  };
  auto it = kUnits.find(s3::AsciiLower(unit));
  if (it == kUnits.end()) return std::nullopt;
  const double bytes = number * static_cast<double>(it->second);
  if (bytes > 1e18 || bytes != static_cast<double>(static_cast<uint64_t>(bytes))) {
    return std::nullopt;  // too large, or a fraction of a byte
  }
  return static_cast<uint64_t>(bytes);
}

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  text = s3::TrimSpaces(text);
  if (text.empty()) return std::nullopt;
  double total_ms = 0;
  while (!text.empty()) {
    size_t i = 0;
    while (i < text.size() && (IsDigit(text[i]) || text[i] == '.')) ++i;
    size_t j = i;
    while (j < text.size() && !IsDigit(text[j]) && text[j] != '.') ++j;
    double number = 0;
    std::string_view unit;
    if (!SplitNumber(text.substr(0, i), &number, &unit) || !unit.empty()) return std::nullopt;
    const std::string u = s3::AsciiLower(text.substr(i, j - i));
    double scale = 0;
    if (u == "ms") {
      scale = 1;
    } else if (u == "s" || (u.empty() && j == text.size() && total_ms == 0)) {
      scale = 1000;
    } else if (u == "m" || u == "min") {
      scale = 60'000;
    } else if (u == "h") {
      scale = 3'600'000;
    } else {
      return std::nullopt;
    }
    total_ms += number * scale;
    text = text.substr(j);
  }
  if (total_ms > 1e12) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(total_ms));
}

bool IsLoopbackHost(std::string_view host) {
  if (s3::EqualsIgnoreCase(host, "localhost")) return true;
  const std::string h(host);
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    if (std::memcmp(&v6, &in6addr_loopback, sizeof v6) == 0) return true;
    // ::ffff:127.x.y.z, an IPv4 loopback address in IPv6 form.
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(v6.s6_addr, kMapped, sizeof kMapped) == 0 && v6.s6_addr[12] == 127;
  }
  return false;
}

std::optional<Endpoint> ParseEndpoint(std::string_view url, std::string* error) {
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    *error = "only http:// endpoints are supported";
    return std::nullopt;
  }
  if (!rest.starts_with("http://")) {
    *error = "'" + std::string(url) + "' is not an http://HOST:PORT URL";
    return std::nullopt;
  }
  rest.remove_prefix(7);
  if (rest.ends_with("/")) rest.remove_suffix(1);
  if (rest.find_first_of("/?#@") != std::string_view::npos) {
    *error = "the endpoint must be http://HOST[:PORT], without a path or user";
    return std::nullopt;
  }
  Endpoint ep;
  std::string_view port_text;
  if (rest.starts_with("[")) {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      *error = "unbalanced '[' in the endpoint";
      return std::nullopt;
    }
    ep.host = std::string(rest.substr(1, close - 1));
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        *error = "garbage after ']' in the endpoint";
        return std::nullopt;
      }
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = rest.find(':');
    ep.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (ep.host.empty()) {
    *error = "the endpoint has no host";
    return std::nullopt;
  }
  const bool v6 = ep.host.find(':') != std::string::npos;
  if (!port_text.empty()) {
    auto p = s3::ParseDecimal(port_text);
    if (!p || *p < 1 || *p > 65535) {
      *error = "bad port '" + std::string(port_text) + "' in the endpoint";
      return std::nullopt;
    }
    ep.port = static_cast<int>(*p);
  } else if (rest.ends_with(":")) {
    *error = "empty port in the endpoint";
    return std::nullopt;
  }
  if (!IsLoopbackHost(ep.host)) {
    *error = "refusing endpoint host '" + ep.host +
             "': seglake-bench only sends load to loopback addresses (127.0.0.0/8, ::1, "
             "localhost)";
    return std::nullopt;
  }
  ep.connect_to = s3::EqualsIgnoreCase(ep.host, "localhost") ? "127.0.0.1" : ep.host;
  const std::string bracketed = v6 ? "[" + ep.host + "]" : ep.host;
  ep.host_header = ep.port == 80 ? bracketed : bracketed + ":" + std::to_string(ep.port);
  ep.url = "http://" + bracketed + ":" + std::to_string(ep.port);
  return ep;
}

std::string FormatBytes(uint64_t bytes) {
  struct Unit {
    uint64_t size;
    const char* name;
  };
  for (Unit u : {Unit{kGiB, "GiB"}, Unit{kMiB, "MiB"}, Unit{kKiB, "KiB"}}) {
    if (bytes >= u.size && bytes % u.size == 0) {
      return std::to_string(bytes / u.size) + " " + u.name;
    }
  }
  if (bytes >= kMiB) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f MiB", static_cast<double>(bytes) / kMiB);
    return buf;
  }
  return std::to_string(bytes) + " B";
}

ArgsAction ParseArgs(const std::vector<std::string>& args, const EnvLookup& env, Options* opts,
                     std::string* error) {
  s3::FlagValues values;
  switch (s3::ParseLongFlags(kFlags, args, env, &values, error)) {
    case s3::FlagParse::kHelp:
      return ArgsAction::kHelp;
    case s3::FlagParse::kVersion:
      return ArgsAction::kVersion;
    case s3::FlagParse::kUsageError:
      return ArgsAction::kUsageError;
    case s3::FlagParse::kOk:
      break;
  }
  auto get = [&](std::string_view name) -> const std::string* {
    auto it = values.find(name);
    return it == values.end() ? nullptr : &it->second;
  };
  auto fail = [&](std::string_view flag, const std::string& why) {
    *error = "flag --" + std::string(flag) + ": " + why;
    return ArgsAction::kUsageError;
  };

  {
    const std::string* v = get("endpoint");
    std::string why;
    auto ep = ParseEndpoint(v ? *v : "http://127.0.0.1:9000", &why);
    if (!ep) return fail("endpoint", why);
    opts->endpoint = *ep;
  }
  if (auto v = get("access-key")) opts->access_key = *v;
  if (auto v = get("secret-key")) opts->secret_key = *v;
  if (opts->access_key.empty() || opts->secret_key.empty()) {
    *error = opts->access_key.empty()
                 ? "no access key: give --access-key or set AWS_ACCESS_KEY_ID"
                 : "no secret key: give --secret-key or set AWS_SECRET_ACCESS_KEY";
    return ArgsAction::kUsageError;
  }
  if (auto v = get("region")) {
    if (v->empty()) return fail("region", "the region is empty");
    opts->region = *v;
  }
  if (auto v = get("bucket")) {
    if (!s3::IsValidBucketName(*v)) {
      return fail("bucket", "'" + *v + "' is not a valid bucket name");
    }
    opts->bucket = *v;
  }
  if (auto v = get("prefix")) opts->prefix = *v;
  if (auto v = get("workload")) {
    auto w = ParseWorkload(*v);
    if (!w) {
      return fail("workload", "'" + *v +
                                  "' is not one of put, get, stat, delete, list, mixed, seed-put, "
                                  "seed-mpu");
    }
    opts->workload = *w;
  }
  // Per-workload defaults for what the command line leaves unset.
  switch (opts->workload) {
    case Workload::kSeedPut:
      opts->size = 4 * kMiB;
      opts->concurrency = 4;
      break;
    case Workload::kSeedMpu:
      opts->size = 64 * kMiB;
      opts->concurrency = 4;
      opts->objects = 8;
      break;
    case Workload::kDelete:
      opts->objects = 10'000;
      break;
    default:
      break;
  }
  if (auto v = get("size")) {
    auto n = ParseByteSize(*v);
    if (!n || *n > 5 * kGiB) return fail("size", "'" + *v + "' is not a size up to 5 GiB");
    opts->size = *n;
  }
  if (auto v = get("part-size")) {
    auto n = ParseByteSize(*v);
    if (!n || *n < 1 || *n > 5 * kGiB) {
      return fail("part-size", "'" + *v + "' is not a size from 1 B to 5 GiB");
    }
    opts->part_size = *n;
  }
  if (opts->workload == Workload::kSeedMpu) {
    if (opts->size == 0) return fail("size", "multipart objects need at least one byte");
    if ((opts->size + opts->part_size - 1) / opts->part_size > 10'000) {
      return fail("part-size", "more than 10,000 parts per object");
    }
  }
  if (auto v = get("concurrency")) {
    auto n = s3::ParseDecimal(*v);
    if (!n || *n < 1 || *n > 1024) return fail("concurrency", "'" + *v + "' is not 1 to 1024");
    opts->concurrency = static_cast<int>(*n);
  }
  if (auto v = get("duration")) {
    auto d = ParseDuration(*v);
    if (!d || *d < std::chrono::milliseconds(100) || *d > std::chrono::hours(24)) {
      return fail("duration", "'" + *v + "' is not a duration from 100ms to 24h");
    }
    opts->duration = *d;
  }
  if (auto v = get("objects")) {
    auto n = s3::ParseDecimal(*v);
    if (!n || *n < 1 || *n > 100'000'000) {
      return fail("objects", "'" + *v + "' is not 1 to 100000000");
    }
    opts->objects = *n;
  }
  if (auto v = get("list-max-keys")) {
    auto n = s3::ParseDecimal(*v);
    if (!n || *n < 1 || *n > 1000) return fail("list-max-keys", "'" + *v + "' is not 1 to 1000");
    opts->list_max_keys = static_cast<int>(*n);
  }
  if (auto v = get("timeout")) {
    auto d = ParseDuration(*v);
    if (!d || *d < std::chrono::seconds(1) || *d > std::chrono::hours(1)) {
      return fail("timeout", "'" + *v + "' is not a duration from 1s to 1h");
    }
    opts->timeout = std::chrono::duration_cast<std::chrono::seconds>(*d);
  }
  opts->sha256 = get("sha256") != nullptr;
  opts->json = get("json") != nullptr;
  opts->keep = get("keep") != nullptr;
  return ArgsAction::kRun;
}

std::string UsageText() {
  return R"(Usage: seglake-bench [FLAGS]

An S3 load generator: keep-alive connections, one per worker thread, requests
signed with SigV4. Prints ops/s, MiB/s, latency percentiles, time to first
byte (GET) and errors per operation type.

Only loopback endpoints are allowed: 127.0.0.0/8, ::1 and localhost. This
tool refuses to send load to any other host.

  --endpoint URL        http://HOST[:PORT] (default http://127.0.0.1:9000)
  --access-key KEY      access key id               (env AWS_ACCESS_KEY_ID)
  --secret-key SECRET   secret access key           (env AWS_SECRET_ACCESS_KEY)
  --region REGION       signing region (default us-east-1; env AWS_REGION)
  --bucket NAME         bucket to use, created if missing (default
                        seglake-bench)
  --prefix PREFIX       key prefix; each run adds a random run id
                        (default seglake-bench/)
  --workload NAME       put, get, stat, delete, list, mixed, seed-put,
                        seed-mpu (default put)
  --size SIZE           object size: 4096, 4KiB, 4MiB, 1GiB (default 4KiB)
  --part-size SIZE      multipart part size (default 8MiB)
  --concurrency N       worker threads, one connection each (default 16)
  --duration TIME       measured time: 10s, 500ms, 2m (default 10s)
  --objects N           objects prepared before measuring for get, stat,
                        delete, list, mixed and seed-mpu (default 1000;
                        delete 10000, seed-mpu 8)
  --list-max-keys N     keys per ListObjectsV2 page (default 1000)
  --timeout TIME        per-request timeout (default 120s)
  --sha256              sign the body's SHA-256 instead of UNSIGNED-PAYLOAD
  --json                print one JSON document instead of a table
  --keep                leave the objects of the run in the bucket
  -h, --help            print this help and exit
  --version             print the version and exit

Workloads:
  put       PUT new objects of --size
  get       GET random objects of the prepared key space
  stat      HEAD random objects of the prepared key space
  delete    DELETE the prepared objects, each once (the run ends early when
            they run out)
  list      ListObjectsV2 pages over the prepared objects
  mixed     45% GET, 30% HEAD, 15% PUT, 10% DELETE (warp's mix)
  seed-put  PUT of 4 MiB at concurrency 4 (the seed notes' baseline)
  seed-mpu  30% multipart uploads of 64 MiB (Create, parts, Complete), 35% GET
            and 35% DELETE of existing objects, at concurrency 4; reports the
            Complete latency separately

Progress goes to standard error. Exit status: 0 all operations succeeded,
1 setup failed (connection, bucket, preparation), 2 bad usage, 3 some
measured operations failed.
)";
}

}  // namespace seglake::bench
