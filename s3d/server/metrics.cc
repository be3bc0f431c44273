#include "server/metrics.h"

#include <cstdio>

namespace seglake::s3d {
namespace {

// Requests the transport answered before any handler (a malformed head, a
// refused connection) have no operation.
constexpr std::string_view kNoOperation = "None";
// Past this many requests without a response (connections that broke), the
// notes are dropped rather than grow.
constexpr size_t kMaxPending = 100000;

std::string Number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

void Metrics::NoteOperation(const std::string& request_id, std::string_view op) {
  std::lock_guard<std::mutex> l(mu_);
  if (pending_.size() >= kMaxPending) pending_.clear();
  pending_[request_id].op = std::string(op);
}

void Metrics::AddBytesIn(const std::string& request_id, uint64_t n) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = pending_.find(request_id);
  if (it != pending_.end()) it->second.bytes_in += n;
}

void Metrics::Finish(const HttpLogEntry& e) {
  std::lock_guard<std::mutex> l(mu_);
  Pending p;
  if (auto it = pending_.find(e.request_id); it != pending_.end()) {
    p = std::move(it->second);
    pending_.erase(it);
  } else {
    p.op = std::string(kNoOperation);
  }
  ++requests_[{p.op, e.status}];
  PerOp& o = ops_[p.op];
  const double s = static_cast<double>(e.duration.count()) / 1e6;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (s <= kBuckets[i]) {
      ++o.buckets[i];
      break;
    }
  }
  ++o.count;
  o.sum_s += s;
  o.bytes_in += p.bytes_in;
  o.bytes_out += e.bytes;
}

std::string Metrics::Render(const std::map<std::string, double>& gauges) const {
  std::lock_guard<std::mutex> l(mu_);
  std::string out;
  out +=
      "# HELP seglake_s3_requests_total S3 requests answered, by operation and HTTP status.\n"
      "# TYPE seglake_s3_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out += "seglake_s3_requests_total{operation=\"" + key.first + "\",status=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
  }
  out +=
      "# HELP seglake_s3_request_duration_seconds Time from a request's head to the end of its "
      "response.\n"
      "# TYPE seglake_s3_request_duration_seconds histogram\n";
  for (const auto& [op, o] : ops_) {
    const std::string label = "operation=\"" + op + "\"";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += o.buckets[i];
      out += "seglake_s3_request_duration_seconds_bucket{" + label + ",le=\"" +
             Number(kBuckets[i]) + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "seglake_s3_request_duration_seconds_bucket{" + label + ",le=\"+Inf\"} " +
           std::to_string(o.count) + "\n";
    out += "seglake_s3_request_duration_seconds_sum{" + label + "} " + Number(o.sum_s) + "\n";
    out += "seglake_s3_request_duration_seconds_count{" + label + "} " + std::to_string(o.count) +
           "\n";
  }
  out +=
      "# HELP seglake_s3_request_body_bytes_total Request body bytes read, by operation.\n"
      "# TYPE seglake_s3_request_body_bytes_total counter\n";
  for (const auto& [op, o] : ops_) {
    out += "seglake_s3_request_body_bytes_total{operation=\"" + op + "\"} " +
           std::to_string(o.bytes_in) + "\n";
  }
  out +=
      "# HELP seglake_s3_response_body_bytes_total Response body bytes sent, by operation.\n"
      "# TYPE seglake_s3_response_body_bytes_total counter\n";
  for (const auto& [op, o] : ops_) {
    out += "seglake_s3_response_body_bytes_total{operation=\"" + op + "\"} " +
           std::to_string(o.bytes_out) + "\n";
  }
  out +=
      "# HELP seglake_s3_requests_in_progress Requests whose handler ran and whose response is "
      "not yet written.\n"
      "# TYPE seglake_s3_requests_in_progress gauge\n"
      "seglake_s3_requests_in_progress " +
      std::to_string(pending_.size()) + "\n";
  for (const auto& [name, v] : gauges) {
    out += "# TYPE " + name + " gauge\n" + name + " " + Number(v) + "\n";
  }
  return out;
}

}  // namespace seglake::s3d
