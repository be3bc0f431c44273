#include "bench/runner.h"

#include <sys/resource.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <latch>
#include <mutex>
#include <random>
#include <thread>

#include "bench/payload.h"
#include "bench/s3_client.h"

namespace seglake::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxPayloadBuffer = 1024 * 1024;

uint64_t Micros(Clock::duration d) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

void Record(OpStats& s, const OpResult& r, Clock::duration latency) {
  if (r.ok) {
    ++s.ok;
    s.bytes += r.bytes;
    s.keys += r.keys;
    s.latency.Record(Micros(latency));
    if (r.ttfb.count() > 0) s.ttfb.Record(Micros(r.ttfb));
    return;
  }
  if (s.errors++ == 0) {
    s.first_error = r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error;
    s.first_error_at = Clock::now();
  }
}

void CpuTimes(double* user_s, double* sys_s) {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  *user_s =
      static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) / 1e6;
  *sys_s = static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) / 1e6;
}

std::string RandomRunId() {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", rd());
  return buf;
}

}  // namespace

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kPut:
      return "PUT";
    case Op::kGet:
      return "GET";
    case Op::kHead:
      return "HEAD";
    case Op::kDelete:
      return "DELETE";
    case Op::kList:
      return "LIST";
    case Op::kMpu:
      return "MPU";
    case Op::kMpuCreate:
      return "MPU.create";
    case Op::kMpuPart:
      return "MPU.part";
    case Op::kMpuComplete:
      return "MPU.complete";
  }
  return "?";
}

std::string_view OpJsonKey(Op op) {
  switch (op) {
    case Op::kPut:
      return "put";
    case Op::kGet:
      return "get";
    case Op::kHead:
      return "stat";
    case Op::kDelete:
      return "delete";
    case Op::kList:
      return "list";
    case Op::kMpu:
      return "mpu";
    case Op::kMpuCreate:
      return "mpu_create";
    case Op::kMpuPart:
      return "mpu_part";
    case Op::kMpuComplete:
      return "mpu_complete";
  }
  return "?";
}

void OpStats::Merge(const OpStats& other) {
  ok += other.ok;
  bytes += other.bytes;
  keys += other.keys;
  latency.Merge(other.latency);
  ttfb.Merge(other.ttfb);
  if (other.errors > 0 && (errors == 0 || other.first_error_at < first_error_at)) {
    first_error = other.first_error;
    first_error_at = other.first_error_at;
  }
  errors += other.errors;
}

struct Runner::Worker {
  int id = 0;
  std::unique_ptr<S3Client> s3;
  std::unique_ptr<Payload> payload;
  std::mt19937_64 rng;
  std::vector<uint64_t> pool;  // keys this worker owns (delete, mixed, seed-mpu)
  OpStatsArray stats;
  std::string list_token;  // LIST: where this worker's listing goes on
  bool done = false;       // DELETE: the pool ran out
  Clock::time_point finished{};
};

Runner::Runner(const Options& opts, const std::atomic<bool>* stop)
    : opts_(opts), stop_(stop), run_prefix_(opts.prefix + RandomRunId() + "/") {
  const uint64_t largest =
      opts_.workload == Workload::kSeedMpu ? std::min(opts_.size, opts_.part_size) : opts_.size;
  const size_t buffer = static_cast<size_t>(std::clamp<uint64_t>(largest, 1, kMaxPayloadBuffer));
  std::random_device rd;
  for (int i = 0; i < opts_.concurrency; ++i) {
    auto w = std::make_unique<Worker>();
    w->id = i;
    w->s3 = std::make_unique<S3Client>(opts_);
    const uint64_t seed = (uint64_t{rd()} << 32) ^ rd();
    w->payload = std::make_unique<Payload>(buffer, seed);
    w->rng.seed(seed ^ 0x5eed);
    workers_.push_back(std::move(w));
  }
}

Runner::~Runner() = default;

std::string Runner::Key(uint64_t index) const {
  return run_prefix_ + "obj-" + std::to_string(index);
}

template <typename Fn>
void Runner::OnAllWorkers(Fn fn) {
  std::vector<std::thread> threads;
  threads.reserve(workers_.size());
  for (auto& w : workers_) threads.emplace_back([&fn, &w] { fn(*w); });
  for (auto& t : threads) t.join();
}

bool Runner::Setup(std::string* error) {
  OpResult bucket = workers_[0]->s3->CreateBucket(opts_.bucket);
  if (!bucket.ok) {
    *error =
        "cannot create bucket " + opts_.bucket + " at " + opts_.endpoint.url + ": " + bucket.error;
    return false;
  }
  switch (opts_.workload) {
    case Workload::kPut:
    case Workload::kSeedPut:
      return true;
    default:
      break;
  }
  const uint64_t n = opts_.objects;
  const uint64_t c = workers_.size();
  std::fprintf(stderr, "seglake-bench: preparing %" PRIu64 " objects of %s in bucket %s under %s\n",
               n, FormatBytes(opts_.size).c_str(), opts_.bucket.c_str(), run_prefix_.c_str());
  std::mutex mu;
  std::string first_error;
  std::atomic<bool> failed{false};
  std::atomic<uint64_t> done{0};
  const auto t0 = Clock::now();
  OnAllWorkers([&](Worker& w) {
    OpStatsArray scratch;
    for (uint64_t i = static_cast<uint64_t>(w.id); i < n; i += c) {
      if (failed.load() || stop_->load()) return;
      OpResult r;
      if (opts_.workload == Workload::kSeedMpu) {
        DoMpu(w, &scratch, i);
        const OpStats& mpu = scratch[static_cast<size_t>(Op::kMpu)];
        r.ok = mpu.errors == 0;
        r.error = mpu.first_error;
      } else {
        BodySource body = w.payload->Body(opts_.size, i);
        r = w.s3->Put(opts_.bucket, Key(i), body,
                      opts_.sha256 ? w.payload->Sha256Hex(opts_.size, i) : "");
      }
      if (!r.ok) {
        std::lock_guard<std::mutex> lock(mu);
        if (!failed.exchange(true)) first_error = "preparing " + Key(i) + ": " + r.error;
        return;
      }
      w.pool.push_back(i);
      ++done;
    }
  });
  next_key_ = n;
  prepared_ = done.load();
  if (failed.load()) {
    *error = first_error;
    return false;
  }
  if (stop_->load()) {
    *error = "interrupted while preparing";
    return false;
  }
  std::fprintf(stderr, "seglake-bench: prepared %" PRIu64 " objects in %.1f s\n", prepared_,
               std::chrono::duration<double>(Clock::now() - t0).count());
  // delete takes the keys in random order.
  for (auto& w : workers_) std::shuffle(w->pool.begin(), w->pool.end(), w->rng);
  return true;
}

uint64_t Runner::TakeFromPool(Worker& w) {
  std::uniform_int_distribution<size_t> pick(0, w.pool.size() - 1);
  const size_t i = pick(w.rng);
  const uint64_t key = w.pool[i];
  w.pool[i] = w.pool.back();
  w.pool.pop_back();
  return key;
}

void Runner::DoPut(Worker& w, Op op) {
  const uint64_t i = next_key_.fetch_add(1);
  const BodySource body = w.payload->Body(opts_.size, i);
  const std::string sha = opts_.sha256 ? w.payload->Sha256Hex(opts_.size, i) : "";
  const std::string key = Key(i);
  const auto t0 = Clock::now();
  OpResult r = w.s3->Put(opts_.bucket, key, body, sha);
  Record(w.stats[static_cast<size_t>(op)], r, Clock::now() - t0);
  if (r.ok && opts_.workload == Workload::kMixed) w.pool.push_back(i);
}

void Runner::DoMpu(Worker& w, OpStatsArray* stats, uint64_t key_index) {
  auto& s = *stats;
  const std::string key = Key(key_index);
  const auto start = Clock::now();
  auto fail = [&](const OpResult& r) {
    OpResult whole;
    whole.error = r.error;
    whole.status = r.status;
    Record(s[static_cast<size_t>(Op::kMpu)], whole, Clock::now() - start);
  };

  auto t0 = Clock::now();
  OpResult created = w.s3->CreateMultipart(opts_.bucket, key);
  Record(s[static_cast<size_t>(Op::kMpuCreate)], created, Clock::now() - t0);
  if (!created.ok) return fail(created);

  std::vector<std::string> etags;
  uint64_t offset = 0;
  for (int part = 1; offset < opts_.size; ++part) {
    const uint64_t len = std::min(opts_.part_size, opts_.size - offset);
    const uint64_t variant = key_index * 10'007 + static_cast<uint64_t>(part);
    const BodySource body = w.payload->Body(len, variant);
    const std::string sha = opts_.sha256 ? w.payload->Sha256Hex(len, variant) : "";
    t0 = Clock::now();
    OpResult r = w.s3->UploadPart(opts_.bucket, key, created.upload_id, part, body, sha);
    Record(s[static_cast<size_t>(Op::kMpuPart)], r, Clock::now() - t0);
    if (!r.ok) {
      w.s3->AbortMultipart(opts_.bucket, key, created.upload_id);
      return fail(r);
    }
    etags.push_back(r.etag);
    offset += len;
  }
  t0 = Clock::now();
  OpResult done = w.s3->CompleteMultipart(opts_.bucket, key, created.upload_id, etags);
  Record(s[static_cast<size_t>(Op::kMpuComplete)], done, Clock::now() - t0);
  if (!done.ok) {
    w.s3->AbortMultipart(opts_.bucket, key, created.upload_id);
    return fail(done);
  }
  OpResult whole;
  whole.ok = true;
  whole.bytes = opts_.size;
  Record(s[static_cast<size_t>(Op::kMpu)], whole, Clock::now() - start);
}

void Runner::DoOne(Worker& w) {
  auto timed = [&](Op op, auto&& call) {
    const auto t0 = Clock::now();
    OpResult r = call();
    Record(w.stats[static_cast<size_t>(op)], r, Clock::now() - t0);
    return r;
  };
  switch (opts_.workload) {
    case Workload::kPut:
    case Workload::kSeedPut:
      DoPut(w, Op::kPut);
      return;
    case Workload::kGet: {
      std::uniform_int_distribution<uint64_t> pick(0, prepared_ - 1);
      const std::string key = Key(pick(w.rng));
      timed(Op::kGet, [&] { return w.s3->Get(opts_.bucket, key, opts_.size); });
      return;
    }
    case Workload::kStat: {
      std::uniform_int_distribution<uint64_t> pick(0, prepared_ - 1);
      const std::string key = Key(pick(w.rng));
      timed(Op::kHead, [&] { return w.s3->Head(opts_.bucket, key); });
      return;
    }
    case Workload::kDelete: {
      if (w.pool.empty()) {
        w.done = true;
        return;
      }
      const std::string key = Key(w.pool.back());
      w.pool.pop_back();
      timed(Op::kDelete, [&] { return w.s3->Delete(opts_.bucket, key); });
      return;
    }
    case Workload::kList: {
      OpResult r = timed(Op::kList, [&] {
        return w.s3->ListV2(opts_.bucket, run_prefix_, w.list_token, opts_.list_max_keys);
      });
      w.list_token = r.ok && r.truncated ? r.next_token : "";
      return;
    }
    case Workload::kMixed: {
      const int dice = static_cast<int>(w.rng() % 100);
      if (w.pool.empty() || (dice >= 75 && dice < 90)) {
        DoPut(w, Op::kPut);
      } else if (dice < 45) {
        std::uniform_int_distribution<size_t> pick(0, w.pool.size() - 1);
        const std::string key = Key(w.pool[pick(w.rng)]);
        timed(Op::kGet, [&] { return w.s3->Get(opts_.bucket, key, opts_.size); });
      } else if (dice < 75) {
        std::uniform_int_distribution<size_t> pick(0, w.pool.size() - 1);
        const std::string key = Key(w.pool[pick(w.rng)]);
        timed(Op::kHead, [&] { return w.s3->Head(opts_.bucket, key); });
      } else {
        const std::string key = Key(TakeFromPool(w));
        timed(Op::kDelete, [&] { return w.s3->Delete(opts_.bucket, key); });
      }
      return;
    }
    case Workload::kSeedMpu: {
      const int dice = static_cast<int>(w.rng() % 100);
      if (w.pool.empty() || dice < 30) {
        const uint64_t i = next_key_.fetch_add(1);
        const size_t before = w.stats[static_cast<size_t>(Op::kMpu)].ok;
        DoMpu(w, &w.stats, i);
        if (w.stats[static_cast<size_t>(Op::kMpu)].ok > before) w.pool.push_back(i);
      } else if (dice < 65) {
        std::uniform_int_distribution<size_t> pick(0, w.pool.size() - 1);
        const std::string key = Key(w.pool[pick(w.rng)]);
        timed(Op::kGet, [&] { return w.s3->Get(opts_.bucket, key, opts_.size); });
      } else {
        const std::string key = Key(TakeFromPool(w));
        timed(Op::kDelete, [&] { return w.s3->Delete(opts_.bucket, key); });
      }
      return;
    }
  }
}

RunResult Runner::Measure() {
  RunResult result;
  result.prepared = prepared_;
  std::latch ready(static_cast<ptrdiff_t>(workers_.size()) + 1);
  Clock::time_point start;
  std::vector<std::thread> threads;
  threads.reserve(workers_.size());
  for (auto& wp : workers_) {
    Worker* w = wp.get();
    threads.emplace_back([this, w, &ready] {
      ready.arrive_and_wait();
      while (!w->done && !stop_->load(std::memory_order_relaxed) && Clock::now() < deadline_) {
        DoOne(*w);
      }
      w->finished = Clock::now();
    });
  }
  std::fprintf(stderr, "seglake-bench: %s, %s, concurrency %d, for %.1f s against %s\n",
               std::string(WorkloadName(opts_.workload)).c_str(), FormatBytes(opts_.size).c_str(),
               opts_.concurrency, std::chrono::duration<double>(opts_.duration).count(),
               opts_.endpoint.url.c_str());
  double user0 = 0;
  double sys0 = 0;
  CpuTimes(&user0, &sys0);
  start = Clock::now();
  deadline_ = start + opts_.duration;
  ready.arrive_and_wait();  // deadline_ is published by the latch
  for (auto& t : threads) t.join();
  CpuTimes(&result.cpu_user_s, &result.cpu_sys_s);
  result.cpu_user_s -= user0;
  result.cpu_sys_s -= sys0;

  Clock::time_point last = start;
  bool ran_out = false;
  Clock::time_point first_out = Clock::time_point::max();
  for (auto& w : workers_) {
    last = std::max(last, w->finished);
    if (w->done) {
      ran_out = true;
      first_out = std::min(first_out, w->finished);
    }
    for (size_t i = 0; i < kOpCount; ++i) result.ops[i].Merge(w->stats[i]);
  }
  result.elapsed_s = std::chrono::duration<double>(last - start).count();
  result.interrupted = stop_->load();
  if (ran_out) {
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "workers ran out of objects to delete after %.1f s; raise --objects",
                  std::chrono::duration<double>(first_out - start).count());
    result.note = buf;
  } else if (result.interrupted) {
    result.note = "interrupted";
  }
  return result;
}

void Runner::Cleanup() {
  if (opts_.keep) return;
  // Which keys may exist: the pools where the workload tracks them, else
  // the range of keys the run wrote.
  uint64_t begin = 0;
  uint64_t end = next_key_.load();
  bool pools = false;
  switch (opts_.workload) {
    case Workload::kPut:
    case Workload::kSeedPut:
      begin = prepared_;
      break;
    case Workload::kGet:
    case Workload::kStat:
    case Workload::kList:
      end = prepared_;
      break;
    case Workload::kDelete:
    case Workload::kMixed:
    case Workload::kSeedMpu:
      pools = true;
      break;
  }
  uint64_t total = 0;
  if (pools) {
    for (const auto& w : workers_) total += w->pool.size();
  } else {
    total = end > begin ? end - begin : 0;
  }
  if (total == 0) return;
  std::fprintf(stderr, "seglake-bench: deleting the %" PRIu64 " objects of the run\n", total);
  const uint64_t c = workers_.size();
  std::atomic<uint64_t> failures{0};
  OnAllWorkers([&](Worker& w) {
    auto remove = [&](uint64_t i) {
      if (!w.s3->Delete(opts_.bucket, Key(i)).ok) ++failures;
    };
    if (pools) {
      for (uint64_t i : w.pool) {
        if (stop_->load()) return;
        remove(i);
      }
      w.pool.clear();
      return;
    }
    for (uint64_t i = begin + static_cast<uint64_t>(w.id); i < end; i += c) {
      if (stop_->load()) return;
      remove(i);
    }
  });
  if (failures.load() > 0) {
    std::fprintf(stderr, "seglake-bench: %" PRIu64 " deletes failed during cleanup\n",
                 failures.load());
  }
}

}  // namespace seglake::bench
