#include "bench/report.h"

#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace seglake::bench {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

double Ms(uint64_t micros) { return static_cast<double>(micros) / 1000.0; }

__attribute__((format(printf, 2, 3))) void Append(std::string* out, const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  *out += buf;
}

double PerSecond(double n, double seconds) { return seconds > 0 ? n / seconds : 0; }

}  // namespace

std::string FormatTable(const Options& opts, const RunResult& result) {
  std::string out;
  Append(&out, "seglake-bench %s: %s objects, concurrency %d, %.2f s measured, %s, bucket %s\n",
         std::string(WorkloadName(opts.workload)).c_str(), FormatBytes(opts.size).c_str(),
         opts.concurrency, result.elapsed_s, opts.endpoint.url.c_str(), opts.bucket.c_str());
  if (opts.workload == Workload::kSeedMpu) {
    Append(&out, "multipart: parts of %s\n", FormatBytes(opts.part_size).c_str());
  }
  Append(&out, "%-13s %8s %6s %9s %9s %9s %9s %9s %9s %9s %9s %9s\n", "op", "ok", "errors", "ops/s",
         "MiB/s", "avg ms", "p50 ms", "p95 ms", "p99 ms", "max ms", "ttfb p50", "ttfb p99");
  bool any = false;
  for (size_t i = 0; i < kOpCount; ++i) {
    const OpStats& s = result.ops[i];
    if (s.ok == 0 && s.errors == 0) continue;
    any = true;
    const Histogram& h = s.latency;
    Append(&out, "%-13s %8" PRIu64 " %6" PRIu64 " %9.1f %9.1f %9.2f %9.2f %9.2f %9.2f %9.2f",
           std::string(OpName(static_cast<Op>(i))).c_str(), s.ok, s.errors,
           PerSecond(static_cast<double>(s.ok), result.elapsed_s),
           PerSecond(static_cast<double>(s.bytes) / kMiB, result.elapsed_s), h.mean() / 1000.0,
           Ms(h.Quantile(0.50)), Ms(h.Quantile(0.95)), Ms(h.Quantile(0.99)), Ms(h.max()));
    if (s.ttfb.count() > 0) {
      Append(&out, " %9.2f %9.2f\n", Ms(s.ttfb.Quantile(0.50)), Ms(s.ttfb.Quantile(0.99)));
    } else {
      Append(&out, " %9s %9s\n", "-", "-");
    }
  }
  if (!any) out += "(no operation completed)\n";
  for (size_t i = 0; i < kOpCount; ++i) {
    const OpStats& s = result.ops[i];
    if (s.keys > 0) {
      Append(&out, "%s: %" PRIu64 " keys listed, %.0f keys/s\n",
             std::string(OpName(static_cast<Op>(i))).c_str(), s.keys,
             PerSecond(static_cast<double>(s.keys), result.elapsed_s));
    }
  }
  for (size_t i = 0; i < kOpCount; ++i) {
    const OpStats& s = result.ops[i];
    if (s.errors > 0) {
      Append(&out, "%s errors: %" PRIu64 ", first: %s\n",
             std::string(OpName(static_cast<Op>(i))).c_str(), s.errors, s.first_error.c_str());
    }
  }
  Append(&out, "client CPU: %.2f cores (user %.2f s, system %.2f s)\n",
         PerSecond(result.cpu_user_s + result.cpu_sys_s, result.elapsed_s), result.cpu_user_s,
         result.cpu_sys_s);
  if (!result.note.empty()) out += "note: " + result.note + "\n";
  return out;
}

std::string FormatJson(const Options& opts, const RunResult& result) {
  using json = nlohmann::ordered_json;
  json doc;
  doc["workload"] = std::string(WorkloadName(opts.workload));
  doc["endpoint"] = opts.endpoint.url;
  doc["bucket"] = opts.bucket;
  doc["size"] = opts.size;
  if (opts.workload == Workload::kSeedMpu) doc["part_size"] = opts.part_size;
  doc["concurrency"] = opts.concurrency;
  doc["duration_s"] = std::chrono::duration<double>(opts.duration).count();
  doc["elapsed_s"] = result.elapsed_s;
  doc["prepared_objects"] = result.prepared;
  doc["payload_hash"] = opts.sha256 ? "sha256" : "UNSIGNED-PAYLOAD";
  json ops = json::object();
  for (size_t i = 0; i < kOpCount; ++i) {
    const OpStats& s = result.ops[i];
    if (s.ok == 0 && s.errors == 0) continue;
    const Histogram& h = s.latency;
    json o;
    o["ok"] = s.ok;
    o["errors"] = s.errors;
    if (s.errors > 0) o["first_error"] = s.first_error;
    o["ops_per_s"] = PerSecond(static_cast<double>(s.ok), result.elapsed_s);
    o["bytes"] = s.bytes;
    o["mib_per_s"] = PerSecond(static_cast<double>(s.bytes) / kMiB, result.elapsed_s);
    o["latency_ms"] = {{"avg", h.mean() / 1000.0},    {"min", Ms(h.min())},
                       {"p50", Ms(h.Quantile(0.50))}, {"p95", Ms(h.Quantile(0.95))},
                       {"p99", Ms(h.Quantile(0.99))}, {"max", Ms(h.max())}};
    if (s.ttfb.count() > 0) {
      o["ttfb_ms"] = {{"p50", Ms(s.ttfb.Quantile(0.50))},
                      {"p95", Ms(s.ttfb.Quantile(0.95))},
                      {"p99", Ms(s.ttfb.Quantile(0.99))}};
    }
    if (s.keys > 0) o["keys"] = s.keys;
    ops[std::string(OpJsonKey(static_cast<Op>(i)))] = o;
  }
  doc["ops"] = ops;
  doc["client_cpu"] = {
      {"user_s", result.cpu_user_s},
      {"system_s", result.cpu_sys_s},
      {"cores", PerSecond(result.cpu_user_s + result.cpu_sys_s, result.elapsed_s)}};
  if (!result.note.empty()) doc["note"] = result.note;
  doc["interrupted"] = result.interrupted;
  return doc.dump(2) + "\n";
}

}  // namespace seglake::bench
