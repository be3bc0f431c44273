// The workloads: preparation of the key space, the measured phase with one
// thread and one connection per worker, and cleanup.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/histogram.h"
#include "bench/options.h"

namespace seglake::bench {

enum class Op { kPut, kGet, kHead, kDelete, kList, kMpu, kMpuCreate, kMpuPart, kMpuComplete };
inline constexpr size_t kOpCount = 9;

std::string_view OpName(Op op);     // "PUT", "MPU.complete", ...
std::string_view OpJsonKey(Op op);  // "put", "mpu_complete", ...

struct OpStats {
  uint64_t ok = 0;
  uint64_t errors = 0;
  uint64_t bytes = 0;  // payload bytes of successful operations
  uint64_t keys = 0;   // LIST: keys listed
  Histogram latency;   // microseconds, successful operations only
  Histogram ttfb;      // GET: microseconds to the response headers
  std::string first_error;
  std::chrono::steady_clock::time_point first_error_at{};

  void Merge(const OpStats& other);
};

using OpStatsArray = std::array<OpStats, kOpCount>;

struct RunResult {
  OpStatsArray ops;
  double elapsed_s = 0;   // from the start until the last worker finished
  uint64_t prepared = 0;  // objects prepared before measuring
  std::string note;       // e.g. "the key space ran out after 3.2 s"
  bool interrupted = false;
  double cpu_user_s = 0;  // this process's CPU time during the measured phase
  double cpu_sys_s = 0;
};

class Runner {
 public:
  // `stop` is polled by every loop: set it (SIGINT) to end early.
  Runner(const Options& opts, const std::atomic<bool>* stop);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Makes the bucket if missing and prepares the key space. On failure
  // *error holds the first error.
  bool Setup(std::string* error);
  RunResult Measure();
  // Deletes every object the run may have written (not with --keep).
  void Cleanup();

  const std::string& run_prefix() const { return run_prefix_; }

 private:
  struct Worker;
  std::string Key(uint64_t index) const;
  void DoOne(Worker& w);
  void DoPut(Worker& w, Op op);
  void DoMpu(Worker& w, OpStatsArray* stats, uint64_t key_index);
  uint64_t TakeFromPool(Worker& w);  // removes a random key of the pool
  // Runs fn(worker) on every worker in its own thread and waits.
  template <typename Fn>
  void OnAllWorkers(Fn fn);

  Options opts_;
  const std::atomic<bool>* stop_;
  std::string run_prefix_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<uint64_t> next_key_{0};
  uint64_t prepared_ = 0;
  std::chrono::steady_clock::time_point deadline_{};
};

}  // namespace seglake::bench
