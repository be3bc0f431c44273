// Request metrics of seglake-s3d in the Prometheus text format (0.0.4),
// served on their own listener (--metrics-listen). The service notes each
// request's operation and body bytes read under its request id; the
// transport's log hook, called once per response, completes it with status,
// bytes sent and duration.
//
// Thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "server/http_server.h"

namespace seglake::s3d {

class Metrics {
 public:
  // Upper bounds of the latency histogram's buckets, in seconds.
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5,   10};

  // The service: request `request_id` is operation `op`.
  void NoteOperation(const std::string& request_id, std::string_view op);
  // The service: `n` more request body bytes read for `request_id`.
  void AddBytesIn(const std::string& request_id, uint64_t n);
  // The log hook: the response of e.request_id was written.
  void Finish(const HttpLogEntry& e);

  // The exposition text; `gauges` adds lines of its own (name, value).
  std::string Render(const std::map<std::string, double>& gauges = {}) const;

 private:
  struct Pending {
    std::string op;
    uint64_t bytes_in = 0;
  };
  struct PerOp {
    std::array<uint64_t, kBuckets.size()> buckets{};  // not cumulative
    uint64_t count = 0;
    double sum_s = 0;
    uint64_t bytes_in = 0;
    uint64_t bytes_out = 0;
  };

  mutable std::mutex mu_;
  std::unordered_map<std::string, Pending> pending_;          // by request id
  std::map<std::pair<std::string, int>, uint64_t> requests_;  // (op, status) -> count
  std::map<std::string, PerOp> ops_;
};

}  // namespace seglake::s3d
