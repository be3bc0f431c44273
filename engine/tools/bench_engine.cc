// seglake-engine-bench: measures this machine's own disk baselines with plain
// POSIX calls, then the engine on the same disk, and prints figures, ratios
// against the baselines and the design targets. It is a report: it exits 0
// when a target is missed and non-zero only when something fails.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "seglake/engine.h"
#include "seglake/options.h"
#include "seglake/status.h"
#include "seglake/types.h"

namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;
constexpr size_t kChunk = kMiB;  // every streaming write and read moves 1 MiB at a time
constexpr const char* kBucket = "bench";
constexpr const char* kNames[] = {"write", "small", "latency", "multipart", "read", "maint"};

using Clock = std::chrono::steady_clock;
double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}
double MsSince(Clock::time_point t0) { return SecondsSince(t0) * 1e3; }

__attribute__((format(printf, 1, 2))) std::string Fmt(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char buf[512];
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}
const Clock::time_point kStart = Clock::now();
void Log(const std::string& s) {
  std::fprintf(stderr, "[bench %7.2f s] %s\n", SecondsSince(kStart), s.c_str());
}

// ---- errors: every failure becomes a BenchError carrying the exact message.

struct BenchError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
void Must(const seglake::Status& s, const std::string& what) {
  if (!s.ok()) throw BenchError(what + ": " + s.ToString());
}
template <typename T>
T Must(seglake::Result<T> r, const std::string& what) {
  if (!r) throw BenchError(what + ": " + r.error().ToString());
  return std::move(*r);
}
[[noreturn]] void SysFail(const std::string& what) {
  throw BenchError(what + ": " + std::strerror(errno));
}

// ---- small helpers

// Nearest-rank percentile (p in 0..100) of samples in any order; NaN if empty.
double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

double MiBps(uint64_t bytes, double secs) { return static_cast<double>(bytes) / kMiB / secs; }

// What the engine promises (Invariant 1): fdatasync, F_FULLFSYNC on macOS.
void SyncFd(int fd, const std::string& path) {
#ifdef __APPLE__
  if (fcntl(fd, F_FULLFSYNC) != 0) SysFail("F_FULLFSYNC " + path);
#else
  if (fdatasync(fd) != 0) SysFail("fdatasync " + path);
#endif
}

uint64_t FreeBytes(const std::string& path) {
  struct statvfs sv {};
  if (statvfs(path.c_str(), &sv) != 0) SysFail("statvfs " + path);
  return static_cast<uint64_t>(sv.f_bavail) * sv.f_frsize;
}

uint64_t PeakRssBytes() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
#ifdef __APPLE__
  return static_cast<uint64_t>(ru.ru_maxrss);  // bytes
#else
  return static_cast<uint64_t>(ru.ru_maxrss) * kKiB;  // KiB
#endif
}

// Content: 1 MiB of PRNG output per seed; each chunk written starts with a
// 16-byte stamp (object id, chunk index) so that no two chunks are equal and a
// reader can verify what it gets back.
std::vector<unsigned char> MakeBlock(uint64_t seed) {
  std::vector<unsigned char> b(kChunk);
  std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ull + 1);
  for (size_t i = 0; i < b.size(); i += 8) {
    uint64_t x = rng();
    std::memcpy(b.data() + i, &x, 8);
  }
  return b;
}
void Stamp(unsigned char* chunk, uint64_t id, uint64_t index) {
  std::memcpy(chunk, &id, 8);
  std::memcpy(chunk + 8, &index, 8);
}
// Appends `bytes` of stamped content; `chunk` is the caller's copy of a block.
void AppendContent(seglake::ObjectWriter& w, uint64_t bytes, std::vector<unsigned char>& chunk,
                   uint64_t id) {
  for (uint64_t off = 0, k = 0; off < bytes; off += kChunk, ++k) {
    Stamp(chunk.data(), id, k);
    Must(w.Append(chunk.data(), std::min<uint64_t>(kChunk, bytes - off)), "ObjectWriter::Append");
  }
}

// Runs fn(i) for i in [0, n) on n threads released together; returns the
// seconds from release until the last one finished. Rethrows the first error.
double RunThreads(int n, const std::function<void(int)>& fn) {
  std::latch ready(n), go(1);
  std::mutex mu;
  std::exception_ptr first;
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      ready.count_down();
      go.wait();
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> l(mu);
        if (!first) first = std::current_exception();
      }
    });
  }
  ready.wait();
  auto t0 = Clock::now();
  go.count_down();
  for (auto& t : threads) t.join();
  double secs = SecondsSince(t0);
  if (first) std::rethrow_exception(first);
  return secs;
}

// ---- report

enum class Goal { kNone, kAtLeast, kAtMost, kWithin };

struct Row {
  std::string id;     // stable name for --json consumers
  std::string title;  // what was measured
  double value = NAN;
  std::string unit;  // of value and baseline
  double baseline = NAN;
  std::string note, error;
  Goal goal = Goal::kNone;
  double lo = 0, hi = 0;
  bool goal_on_value = false;  // else the goal applies to the ratio

  double ratio() const { return value / baseline; }  // NaN without a baseline
  Row& AtLeast(double x) { return Set(Goal::kAtLeast, x, 0, false); }
  Row& AtMostRatio(double x) { return Set(Goal::kAtMost, 0, x, false); }
  Row& AtMostValue(double x) { return Set(Goal::kAtMost, 0, x, true); }
  Row& Within(double a, double b) { return Set(Goal::kWithin, a, b, false); }
  Row& Set(Goal g, double a, double b, bool on_value) {
    goal = g;
    lo = a;
    hi = b;
    goal_on_value = on_value;
    return *this;
  }

  std::string Verdict() const {
    if (!error.empty()) return "ERROR";
    if (goal == Goal::kNone) return "-";
    double x = goal_on_value ? value : ratio();
    if (std::isnan(x)) return "MISS";
    bool ok = (goal == Goal::kAtLeast && x >= lo) || (goal == Goal::kAtMost && x <= hi) ||
              (goal == Goal::kWithin && x >= lo && x <= hi);
    return ok ? "PASS" : "MISS";
  }
  std::string Target() const {
    std::string u = goal_on_value ? " " + unit : "x";
    switch (goal) {
      case Goal::kAtLeast:
        return Fmt(">= %g", lo) + u;
      case Goal::kAtMost:
        return Fmt("<= %g", hi) + u;
      case Goal::kWithin:
        return Fmt("%g..%g", lo, hi) + u;
      case Goal::kNone:
        break;
    }
    return "-";
  }
};

std::string Num(double v) {
  if (std::isnan(v)) return "-";
  double a = std::fabs(v);
  return Fmt(a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f", v);
}
std::string WithUnit(double v, const std::string& unit) {
  return std::isnan(v) ? "-" : Num(v) + " " + unit;
}
std::string JsonStr(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += static_cast<char>(c);
    } else if (c < 0x20) {
      o += Fmt("\\u%04x", c);
    } else {
      o += static_cast<char>(c);
    }
  }
  return o + "\"";
}
std::string JsonNum(double v) { return std::isnan(v) ? "null" : Fmt("%.6g", v); }

// ---- configuration

struct Config {
  std::string dir;  // parent of the scratch dir
  bool keep = false, quick = false, json = false;
  std::set<std::string> only;
  bool Wants(const std::string& name) const { return only.empty() || only.count(name) != 0; }
};

struct Sizes {
  uint64_t seq_bytes;        // baseline (a)/(c) file
  double sync_secs;          // baseline (b)
  int objects_per_writer;    // workload 1: 64 MiB objects per thread (4 threads)
  double small_secs;         // workload 2
  int latency_puts;          // workload 3
  uint32_t multipart_parts;  // workload 4: 5 MiB parts to complete
  uint32_t compare_parts;    // workload 4: parts per side, 64 MiB vs 5 MiB
  int maint_big_objects;     // workload 6: 64 MiB objects (the "per GiB" data dir)
  int maint_small_objects;   // workload 6: 1 KiB objects (the "per million objects" one)
};

const char* kUsage =
    "usage: seglake-engine-bench [--dir DIR] [--keep] [--quick] [--only NAME[,NAME]] [--json]\n"
    "\n"
    "Measures this disk's own baselines with plain POSIX calls, then the seglake\n"
    "engine on the same disk, and prints each figure with its baseline, the\n"
    "ratio, the design target and PASS/MISS. Exits 0 even when a target is\n"
    "missed; 1 when an engine call or a system call fails, 2 on a usage error.\n"
    "\n"
    "  --dir DIR    make the scratch dir inside DIR (default: ./bench-tmp)\n"
    "  --keep       keep the scratch dir and the engine data dirs (more disk)\n"
    "  --quick      small sizes for a smoke run in CI (seconds)\n"
    "  --only LIST  run only these workloads: write, small, latency, multipart,\n"
    "               read (read also writes the objects of 'write')\n"
    "  --json       print the results as JSON on stdout (progress stays on stderr)\n"
    "  --help       this text\n"
    "\n"
    "Baselines: (a) 1 MiB writes of 1 GiB (quick 64 MiB) + fdatasync; (b) 4 KiB\n"
    "appending pwrite + fdatasync pairs for 3 s (quick 1 s); (c) second read of\n"
    "the file of (a) from the page cache.\n"
    "Workloads and targets:\n"
    "  write      4 threads PUT 64 MiB objects in 1 MiB appends   >= 0.7x (a)\n"
    "  small      64 threads PUT 4 KiB objects for 5 s             >= 5x (b) ops/s\n"
    "  latency    one 4 KiB PUT at a time, 200 times: p50          <= 3x (b) p50\n"
    "  multipart  CompleteUpload of 1000 x 5 MiB parts              <= 50 ms\n"
    "             100 x 64 MiB vs 100 x 5 MiB parts complete        within +-20%\n"
    "             (--quick: 100 parts; 10 x 64 MiB vs 10 x 5 MiB)\n"
    "  read       4 threads read the 'write' objects, warm pass     >= 0.7x (c)\n"
    "  maint      fsck, scrub, rebuild-index per GiB (16 x 64 MiB) and per million\n"
    "             objects (100,000 x 1 KiB, scaled); compaction MB/s with GET p99\n"
    "             (1 MiB ranged reads) with and without it running (no targets)\n"
    "Full mode needs about 12 GiB free on DIR and scales multipart down if not.\n";

// ---- the benchmark

class Bench {
 public:
  Bench(Config cfg, std::string scratch)
      : cfg_(std::move(cfg)),
        scratch_(std::move(scratch)),
        sz_(cfg_.quick ? Sizes{64 * kMiB, 1.0, 1, 2.0, 100, 100, 10, 2, 2000}
                       : Sizes{1 * kGiB, 3.0, 4, 5.0, 200, 1000, 100, 16, 100000}) {}

  // Runs everything wanted; returns false if anything failed.
  bool Run() {
    Log(Fmt("%s run in %s (%.1f GiB free, %u CPUs)", cfg_.quick ? "quick" : "full",
            scratch_.c_str(), static_cast<double>(FreeBytes(scratch_)) / kGiB,
            std::thread::hardware_concurrency()));
    bool objects = cfg_.Wants("write") || cfg_.Wants("read");
    if (objects)
      Guard("baseline.seq", "(a)+(c) sequential write, cached read", [&] { SeqBaselines(); });
    if (cfg_.Wants("small") || cfg_.Wants("latency"))
      Guard("baseline.sync", "(b) 4 KiB pwrite+fdatasync", [&] { SyncBaseline(); });

    if (objects) {
      std::unique_ptr<seglake::Engine> eng;
      Guard("engine.open", "open engine (objects)", [&] { eng = OpenEngine("data-objects"); });
      if (eng) {
        Guard("write.64MiB", "1. PUT 64 MiB, 4 writers", [&] { WriteBig(*eng); });
        if (cfg_.Wants("read"))
          Guard("read.64MiB", "5. read 64 MiB, 4 readers, warm", [&] { ReadBig(*eng); });
        Guard("engine.close", "close engine (objects)", [&] { CloseEngine(eng, "data-objects"); });
      }
    }
    if (cfg_.Wants("small") || cfg_.Wants("latency")) {
      std::unique_ptr<seglake::Engine> eng;
      Guard("engine.open", "open engine (small)", [&] { eng = OpenEngine("data-small"); });
      if (eng) {
        if (cfg_.Wants("small"))
          Guard("small.4KiB", "2. PUT 4 KiB, 64 writers", [&] { Small(*eng); });
        if (cfg_.Wants("latency"))
          Guard("latency.4KiB", "3. lone 4 KiB PUT, p50", [&] { Latency(*eng); });
        Guard("engine.close", "close engine (small)", [&] { CloseEngine(eng, "data-small"); });
      }
    }
    if (cfg_.Wants("multipart")) Guard("multipart", "4. CompleteUpload", [&] { Multipart(); });
    if (cfg_.Wants("maint")) Guard("maint", "6. maintenance", [&] { Maint(); });
    return !failed_;
  }

  void Print(std::FILE* out) const {
    uint64_t rss = PeakRssBytes();
    if (cfg_.json) {
      std::fprintf(out, "{\n  \"mode\": %s,\n  \"dir\": %s,\n  \"results\": [",
                   JsonStr(cfg_.quick ? "quick" : "full").c_str(), JsonStr(scratch_).c_str());
      for (size_t i = 0; i < rows_.size(); ++i) {
        const Row& r = rows_[i];
        std::fprintf(out,
                     "%s\n    {\"id\": %s, \"workload\": %s, \"value\": %s, \"unit\": %s, "
                     "\"baseline\": %s, \"ratio\": %s, \"target\": %s, "
                     "\"verdict\": %s, \"note\": %s, \"error\": %s}",
                     i ? "," : "", JsonStr(r.id).c_str(), JsonStr(r.title).c_str(),
                     JsonNum(r.value).c_str(), JsonStr(r.unit).c_str(), JsonNum(r.baseline).c_str(),
                     JsonNum(r.ratio()).c_str(), JsonStr(r.Target()).c_str(),
                     JsonStr(r.Verdict()).c_str(), JsonStr(r.note).c_str(),
                     JsonStr(r.error).c_str());
      }
      std::fprintf(out, "\n  ],\n  \"peak_rss_bytes\": %llu,\n  \"notes\": [",
                   static_cast<unsigned long long>(rss));
      for (size_t i = 0; i < notes_.size(); ++i)
        std::fprintf(out, "%s\n    %s", i ? "," : "", JsonStr(notes_[i]).c_str());
      std::fprintf(out, "\n  ]\n}\n");
      return;
    }
    std::fprintf(out, "seglake-engine-bench (%s) in %s\n\n", cfg_.quick ? "quick" : "full",
                 scratch_.c_str());
    std::fprintf(out, "%-40s %16s %16s %8s %14s  %s\n", "workload", "figure", "baseline", "ratio",
                 "target", "result");
    std::fprintf(out, "%s\n", std::string(104, '-').c_str());
    for (const Row& r : rows_) {
      std::fprintf(out, "%-40s %16s %16s %8s %14s  %s\n", r.title.c_str(),
                   WithUnit(r.value, r.unit).c_str(), WithUnit(r.baseline, r.unit).c_str(),
                   std::isnan(r.ratio()) ? "-" : Fmt("%.2fx", r.ratio()).c_str(),
                   r.Target().c_str(), r.Verdict().c_str());
      if (!r.note.empty()) std::fprintf(out, "    %s\n", r.note.c_str());
      if (!r.error.empty()) std::fprintf(out, "    error: %s\n", r.error.c_str());
    }
    std::fprintf(out, "%s\npeak RSS: %.1f MiB\n", std::string(104, '-').c_str(),
                 static_cast<double>(rss) / kMiB);
    for (const std::string& n : notes_) std::fprintf(out, "note: %s\n", n.c_str());
  }

 private:
  struct StoredObject {
    std::string key;
    uint64_t size, seed, id;
  };

  void Guard(const std::string& id, const std::string& title, const std::function<void()>& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      Log(Fmt("ERROR in %s: %s", title.c_str(), e.what()));
      Add(id, title, NAN, "").error = e.what();
      failed_ = true;
    }
  }

  Row& Add(const std::string& id, const std::string& title, double value, const std::string& unit,
           double baseline = NAN, const std::string& note = "") {
    Row r;
    r.id = id;
    r.title = title;
    r.value = value;
    r.unit = unit;
    r.baseline = baseline;
    r.note = note;
    rows_.push_back(r);
    return rows_.back();
  }

  std::string Path(const std::string& name) const { return scratch_ + "/" + name; }

  void Remove(const std::string& name) {
    if (cfg_.keep) return;
    std::error_code ec;
    std::filesystem::remove_all(Path(name), ec);
    if (ec) throw BenchError("remove " + Path(name) + ": " + ec.message());
  }

  std::unique_ptr<seglake::Engine> OpenEngine(const std::string& name) {
    seglake::Options o;
    o.data_dir = Path(name);
    auto eng = Must(seglake::Engine::Open(o), "Engine::Open(" + o.data_dir + ")");
    Must(eng->CreateBucket(kBucket, "us-east-1"), "CreateBucket");
    return eng;
  }
  void CloseEngine(std::unique_ptr<seglake::Engine>& eng, const std::string& name) {
    seglake::Status st = eng->Close();
    eng.reset();
    Must(st, "Engine::Close");
    Remove(name);
  }

  // (a) sequential write + fdatasync, then (c) its second read from the page cache.
  void SeqBaselines() {
    std::string path = Path("baseline-seq.dat");
    std::vector<unsigned char> buf = MakeBlock(99);
    Log(Fmt("baseline (a): writing %llu MiB + fdatasync",
            static_cast<unsigned long long>(sz_.seq_bytes / kMiB)));
    auto t0 = Clock::now();
    int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) SysFail("open " + path);
    for (uint64_t off = 0, k = 0; off < sz_.seq_bytes; off += kChunk, ++k) {
      Stamp(buf.data(), 0, k);
      for (size_t done = 0; done < kChunk;) {
        ssize_t n = write(fd, buf.data() + done, kChunk - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) SysFail("write " + path);
        done += static_cast<size_t>(n);
      }
    }
    SyncFd(fd, path);
    double secs = SecondsSince(t0);
    close(fd);
    seq_write_mibps_ = MiBps(sz_.seq_bytes, secs);
    Add("baseline.seq_write", "(a) seq write 1 MiB + fdatasync", seq_write_mibps_, "MiB/s", NAN,
        Fmt("%llu MiB in %.2f s", static_cast<unsigned long long>(sz_.seq_bytes / kMiB), secs));

    Log("baseline (c): reading it twice");
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) SysFail("open " + path);
    double pass = 0;
    for (int p = 0; p < 2; ++p) {
      auto t1 = Clock::now();
      uint64_t total = 0;
      for (ssize_t n; (n = pread(fd, buf.data(), kChunk, static_cast<off_t>(total))) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) SysFail("pread " + path);
        total += static_cast<uint64_t>(n);
      }
      if (total != sz_.seq_bytes) throw BenchError("short read of " + path);
      pass = SecondsSince(t1);
    }
    close(fd);
    std::filesystem::remove(path);
    cached_read_mibps_ = MiBps(sz_.seq_bytes, pass);
    Add("baseline.cached_read", "(c) cached read 1 MiB, 1 thread", cached_read_mibps_, "MiB/s");
  }

  // (b) 4 KiB appending pwrite + fdatasync pairs on one file.
  void SyncBaseline() {
    std::string path = Path("baseline-sync.dat");
    Log(Fmt("baseline (b): 4 KiB pwrite+fdatasync for %.0f s", sz_.sync_secs));
    std::vector<unsigned char> buf = MakeBlock(98);
    int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) SysFail("open " + path);
    std::vector<double> lat;
    auto t0 = Clock::now();
    uint64_t off = 0;
    while (SecondsSince(t0) < sz_.sync_secs) {
      auto t1 = Clock::now();
      Stamp(buf.data(), 1, off);
      if (pwrite(fd, buf.data(), 4 * kKiB, static_cast<off_t>(off)) != 4 * kKiB)
        SysFail("pwrite " + path);
      SyncFd(fd, path);
      lat.push_back(MsSince(t1));
      off += 4 * kKiB;
    }
    double secs = SecondsSince(t0);
    close(fd);
    std::filesystem::remove(path);
    sync_ops_ = static_cast<double>(lat.size()) / secs;
    sync_p50_ms_ = Percentile(lat, 50);
    Add("baseline.sync_4k", "(b) 4 KiB pwrite+fdatasync", sync_ops_, "ops/s", NAN,
        Fmt("appending; p50 %.3f ms, p99 %.3f ms over %zu pairs", sync_p50_ms_, Percentile(lat, 99),
            lat.size()));
  }

  // 1. Four writers, each streaming 64 MiB objects through BeginPut/Append/Commit.
  void WriteBig(seglake::Engine& eng) {
    constexpr int kWriters = 4;
    constexpr uint64_t kObject = 64 * kMiB;
    const int per = sz_.objects_per_writer;
    Log(Fmt("workload 1: %d writers x %d object(s) of 64 MiB", kWriters, per));
    std::vector<std::vector<double>> lat(kWriters);
    std::vector<StoredObject> made(static_cast<size_t>(kWriters * per));
    double secs = RunThreads(kWriters, [&](int t) {
      std::vector<unsigned char> chunk = MakeBlock(static_cast<uint64_t>(t));
      for (int j = 0; j < per; ++j) {
        StoredObject o{Fmt("big/t%d/o%03d", t, j), kObject, static_cast<uint64_t>(t),
                       static_cast<uint64_t>(t * 1000 + j)};
        auto t1 = Clock::now();
        auto w = Must(eng.BeginPut(kBucket, o.key, {}), "BeginPut " + o.key);
        AppendContent(*w, kObject, chunk, o.id);
        auto info = Must(w->Commit(), "Commit " + o.key);
        lat[static_cast<size_t>(t)].push_back(MsSince(t1));
        if (info.size != kObject) throw BenchError("Commit " + o.key + ": wrong size");
        made[static_cast<size_t>(t * per + j)] = o;
      }
    });
    objects_ = made;
    if (!cfg_.Wants("write")) return;
    std::vector<double> all;
    for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
    Add("write.64MiB", "1. PUT 64 MiB, 4 writers", MiBps(kObject * made.size(), secs), "MiB/s",
        seq_write_mibps_,
        Fmt("%zu objects in %.2f s; per-object PUT p50 %.0f ms, p99 %.0f ms", made.size(), secs,
            Percentile(all, 50), Percentile(all, 99)))
        .AtLeast(0.7);
  }

  // 5. Four readers over the objects of workload 1; the second pass is measured.
  void ReadBig(seglake::Engine& eng) {
    if (objects_.empty()) throw BenchError("no objects to read: workload 1 did not complete");
    constexpr int kReaders = 4;
    Log(Fmt("workload 5: %d readers over %zu objects, twice", kReaders, objects_.size()));
    std::vector<std::vector<unsigned char>> blocks;
    for (int s = 0; s < 4; ++s) blocks.push_back(MakeBlock(static_cast<uint64_t>(s)));
    uint64_t total = 0;
    for (const auto& o : objects_) total += o.size;
    double secs = 0;
    for (int pass = 0; pass < 2; ++pass) {
      const bool verify = pass == 0;  // check the bytes on the cold pass only
      std::atomic<size_t> next{0};
      secs = RunThreads(kReaders, [&](int) {
        std::vector<unsigned char> buf(kChunk);
        for (size_t i; (i = next.fetch_add(1)) < objects_.size();) {
          const StoredObject& o = objects_[i];
          auto r = Must(eng.OpenRead(kBucket, o.key), "OpenRead " + o.key);
          if (r->info().size != o.size) throw BenchError("OpenRead " + o.key + ": wrong size");
          for (uint64_t off = 0, k = 0; off < o.size; ++k) {
            size_t want = std::min<uint64_t>(kChunk, o.size - off);
            size_t n = Must(r->ReadAt(off, buf.data(), want), "ReadAt " + o.key);
            if (n != want)
              throw BenchError(Fmt("ReadAt %s: %zu of %zu bytes", o.key.c_str(), n, want));
            if (verify) {
              unsigned char stamp[16];
              Stamp(stamp, o.id, k);
              if (std::memcmp(buf.data(), stamp, 16) != 0 ||
                  std::memcmp(buf.data() + 16, blocks[o.seed].data() + 16, n - 16) != 0)
                throw BenchError(Fmt("ReadAt %s: wrong bytes at offset %llu", o.key.c_str(),
                                     static_cast<unsigned long long>(off)));
            }
            off += n;
          }
        }
      });
    }
    Add("read.64MiB", "5. read 64 MiB, 4 readers, warm", MiBps(total, secs), "MiB/s",
        cached_read_mibps_,
        Fmt("%zu objects, %llu MiB in %.2f s (first pass verified every byte)", objects_.size(),
            static_cast<unsigned long long>(total / kMiB), secs))
        .AtLeast(0.7);
  }

  // 2. 64 writers putting 4 KiB objects for a fixed time.
  void Small(seglake::Engine& eng) {
    constexpr int kWriters = 64;
    Log(Fmt("workload 2: %d writers x 4 KiB PUTs for %.0f s", kWriters, sz_.small_secs));
    std::vector<std::vector<double>> lat(kWriters);
    const auto deadline = Clock::now() + std::chrono::duration<double>(sz_.small_secs);
    double secs = RunThreads(kWriters, [&](int t) {
      std::vector<unsigned char> data = MakeBlock(static_cast<uint64_t>(100 + t));
      for (uint64_t n = 0; Clock::now() < deadline; ++n) {
        Stamp(data.data(), static_cast<uint64_t>(t), n);
        std::string key = Fmt("small/t%02d/%08llu", t, static_cast<unsigned long long>(n));
        auto t1 = Clock::now();
        Must(eng.Put(kBucket, key, {reinterpret_cast<const char*>(data.data()), 4 * kKiB}),
             "Put " + key);
        lat[static_cast<size_t>(t)].push_back(MsSince(t1));
      }
    });
    std::vector<double> all;
    for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
    Add("small.4KiB", "2. PUT 4 KiB, 64 writers", static_cast<double>(all.size()) / secs, "ops/s",
        sync_ops_,
        Fmt("%zu PUTs in %.2f s; p50 %.2f ms, p99 %.2f ms", all.size(), secs, Percentile(all, 50),
            Percentile(all, 99)))
        .AtLeast(5);
  }

  // 3. One 4 KiB put at a time.
  void Latency(seglake::Engine& eng) {
    Log(Fmt("workload 3: %d lone 4 KiB PUTs", sz_.latency_puts));
    std::vector<unsigned char> data = MakeBlock(200);
    std::vector<double> lat;
    for (int i = 0; i < sz_.latency_puts; ++i) {
      Stamp(data.data(), 200, static_cast<uint64_t>(i));
      std::string key = Fmt("lat/%06d", i);
      auto t1 = Clock::now();
      Must(eng.Put(kBucket, key, {reinterpret_cast<const char*>(data.data()), 4 * kKiB}),
           "Put " + key);
      lat.push_back(MsSince(t1));
    }
    Add("latency.4KiB", "3. lone 4 KiB PUT, p50", Percentile(lat, 50), "ms", sync_p50_ms_,
        Fmt("%d PUTs; p99 %.3f ms, max %.3f ms", sz_.latency_puts, Percentile(lat, 99),
            Percentile(lat, 100)))
        .AtMostRatio(3);
  }

  // Makes an upload of `parts` parts of `part_bytes` — written through
  // BeginPart by 4 threads, or (copy_src non-empty) made by CopyPart from that
  // key with 8 threads — then times CompleteUpload alone, in ms.
  double TimedComplete(seglake::Engine& eng, const std::string& key, uint32_t parts,
                       uint64_t part_bytes, const std::string& copy_src) {
    auto up = Must(eng.CreateUpload(kBucket, key, {}), "CreateUpload " + key);
    std::vector<seglake::CompletePart> list(parts);
    std::atomic<uint32_t> next{0};
    RunThreads(copy_src.empty() ? 4 : 8, [&](int t) {
      std::vector<unsigned char> chunk = MakeBlock(static_cast<uint64_t>(300 + t));
      for (uint32_t i; (i = next.fetch_add(1)) < parts;) {
        const uint32_t pn = i + 1;
        std::string what = Fmt("part %u of %s", pn, key.c_str());
        if (copy_src.empty()) {
          auto w = Must(eng.BeginPart(up.upload_id, pn), "BeginPart " + what);
          AppendContent(*w, part_bytes, chunk, 1'000'000 + pn);
          list[i] = {pn, Must(w->Commit(), "Commit " + what).etag};
        } else {
          seglake::CopyOptions co;
          list[i] = {
              pn,
              Must(eng.CopyPart(up.upload_id, pn, kBucket, copy_src, co), "CopyPart " + what).etag};
        }
      }
    });
    auto t0 = Clock::now();
    auto info = Must(eng.CompleteUpload(up.upload_id, list), "CompleteUpload " + key);
    double ms = MsSince(t0);
    if (info.size != parts * part_bytes)
      throw BenchError(Fmt("CompleteUpload %s: size %llu, expected %llu", key.c_str(),
                           static_cast<unsigned long long>(info.size),
                           static_cast<unsigned long long>(parts * part_bytes)));
    if (info.parts != parts)
      notes_.push_back(
          Fmt("CompleteUpload %s reported parts=%u, expected %u", key.c_str(), info.parts, parts));
    Must(eng.Delete(kBucket, key), "Delete " + key);
    return ms;
  }

  // 4. Multipart complete: time of CompleteUpload for many parts, and whether
  // it depends on the bytes in the parts.
  void Multipart() {
    constexpr uint64_t kSmall = 5 * kMiB, kBig = 64 * kMiB;
    const uint64_t free_bytes = FreeBytes(scratch_);
    uint32_t parts = sz_.multipart_parts;
    bool copy_compare = false;
    std::string how = cfg_.quick ? "--quick: 100 parts instead of 1000" : "";
    if (!cfg_.quick && free_bytes < 12 * kGiB) {
      uint64_t budget = free_bytes > 2 * kGiB ? free_bytes - 2 * kGiB : 0;
      parts = static_cast<uint32_t>(std::clamp<uint64_t>(budget / kSmall, 10, 1000));
      copy_compare = true;
      how = Fmt("only %.1f GiB free (< 12 GiB): %u parts instead of 1000, compare via CopyPart",
                static_cast<double>(free_bytes) / kGiB, parts);
      notes_.push_back("multipart scaled down: " + how);
    }

    auto eng = OpenEngine("data-multipart");
    Log(Fmt("workload 4: writing %u parts of 5 MiB", parts));
    double ms = TimedComplete(*eng, "mp/main", parts, kSmall, "");
    CloseEngine(eng, "data-multipart");
    Add("multipart.complete", Fmt("4. CompleteUpload, %u x 5 MiB", parts), ms, "ms", NAN, how)
        .AtMostValue(50);

    // Same part count, 64 MiB vs 5 MiB parts, every part written; short of
    // disk, CopyPart makes them from one source object instead (the same
    // manifests without the disk space, but it still reads and hashes them).
    const uint32_t n = sz_.compare_parts;
    eng = OpenEngine("data-multipart-cmp");
    double t[2];
    for (int side = 0; side < 2; ++side) {
      const uint64_t bytes = side ? kBig : kSmall;
      std::string src;
      if (copy_compare) {
        src = Fmt("mp/src-%llu", static_cast<unsigned long long>(bytes / kMiB));
        std::vector<unsigned char> chunk = MakeBlock(400);
        auto w = Must(eng->BeginPut(kBucket, src, {}), "BeginPut " + src);
        AppendContent(*w, bytes, chunk, 400);
        Must(w->Commit(), "Commit " + src);
      }
      Log(Fmt("workload 4: %s %u parts of %llu MiB", copy_compare ? "copying" : "writing", n,
              static_cast<unsigned long long>(bytes / kMiB)));
      t[side] = TimedComplete(*eng, Fmt("mp/cmp-%d", side), n, bytes, src);
    }
    CloseEngine(eng, "data-multipart-cmp");
    Add("multipart.compare", Fmt("4. Complete %u x 64 MiB vs x 5 MiB", n), t[1], "ms", t[0],
        copy_compare ? "parts made by CopyPart (low disk space)"
        : cfg_.quick ? "--quick: 10 parts per side instead of 100"
                     : "")
        .Within(0.8, 1.2);
  }

  // Workload 6: maintenance costs. Two data dirs: big objects (per GiB) and
  // many small ones (per million objects, measured on fewer and scaled).
  void Maint() {
    const int big_n = sz_.maint_big_objects, small_n = sz_.maint_small_objects;
    const double gib = static_cast<double>(big_n) * 64 * kMiB / kGiB;
    const double mobj = small_n / 1e6;
    auto timed = [&](const std::function<void()>& fn) {
      auto t0 = Clock::now();
      fn();
      return SecondsSince(t0);
    };
    struct Side {
      std::string name;
      double unit;  // GiB or million objects
      const char* per;
    };
    for (const Side& side :
         {Side{"data-maint-big", gib, "GiB"}, Side{"data-maint-many", mobj, "M objects"}}) {
      auto eng = OpenEngine(side.name);
      if (side.name == "data-maint-big") {
        Log(Fmt("workload 6: writing %d x 64 MiB", big_n));
        std::vector<unsigned char> chunk = MakeBlock(600);
        for (int i = 0; i < big_n; ++i) {
          auto w = Must(eng->BeginPut(kBucket, Fmt("big/%04d", i), {}), "BeginPut");
          AppendContent(*w, 64 * kMiB, chunk, 600 + static_cast<uint64_t>(i));
          Must(w->Commit(), "Commit");
        }
      } else {
        Log(Fmt("workload 6: writing %d x 1 KiB with 32 writers", small_n));
        std::atomic<int> next{0};
        std::string body(1024, 'x');
        RunThreads(32, [&](int) {
          for (int i; (i = next.fetch_add(1)) < small_n;)
            Must(eng->Put(kBucket, Fmt("small/%07d", i), body), "Put");
        });
      }
      Must(eng->SealActiveSegment(), "SealActiveSegment");
      double fsck = timed([&] {
        auto r = Must(eng->Fsck(), "Fsck");
        if (!r.problems.empty()) throw BenchError("fsck found problems");
      });
      double scrub = timed([&] {
        auto r = Must(eng->Scrub(false), "Scrub");
        if (!r.problems.empty()) throw BenchError("scrub found problems");
      });
      std::string tag = side.name == "data-maint-big" ? "gib" : "mobj";
      Add("maint.fsck." + tag, Fmt("6. fsck per %s", side.per), fsck / side.unit, "s", NAN,
          Fmt("%.2f s measured", fsck));
      Add("maint.scrub." + tag, Fmt("6. scrub per %s", side.per), scrub / side.unit, "s", NAN,
          Fmt("%.2f s measured", scrub));
      if (side.name == "data-maint-big") MaintCompact(*eng, big_n);
      Must(eng->Close(), "Engine::Close");
      eng.reset();
      double rebuild = timed([&] { Must(seglake::RebuildIndex(Path(side.name)), "RebuildIndex"); });
      Add("maint.rebuild." + tag, Fmt("6. rebuild-index per %s", side.per), rebuild / side.unit,
          "s", NAN, Fmt("%.2f s measured", rebuild));
      Remove(side.name);
    }
  }

  // Deletes every other big object, then measures 1 MiB ranged reads of the
  // rest for a while idle and while compaction rewrites the sparse segment.
  void MaintCompact(seglake::Engine& eng, int big_n) {
    for (int i = 1; i < big_n; i += 2) Must(eng.Delete(kBucket, Fmt("big/%04d", i)), "Delete");
    auto reads = [&](const std::function<bool()>& go_on) {
      std::vector<double> ms;
      std::mt19937_64 rng(7);
      std::vector<char> buf(kMiB);
      while (go_on()) {
        int obj = static_cast<int>(rng() % static_cast<uint64_t>((big_n + 1) / 2)) * 2;
        uint64_t off = (rng() % 64) * kMiB;
        auto t0 = Clock::now();
        auto r = Must(eng.OpenRead(kBucket, Fmt("big/%04d", obj)), "OpenRead");
        Must(r->ReadAt(off, buf.data(), buf.size()), "ReadAt");
        ms.push_back(MsSince(t0));
      }
      return ms;
    };
    auto t_idle = Clock::now();
    double window = cfg_.quick ? 1.0 : 5.0;
    std::vector<double> idle = reads([&] { return SecondsSince(t_idle) < window; });
    std::atomic<bool> done{false};
    seglake::CompactReport rep;
    std::thread compactor([&] {
      seglake::CompactOptions o;
      o.max_live_ratio = 0.75;
      o.defrag_min_extents = 0;
      rep = Must(eng.Compact(o), "Compact");
      done = true;
    });
    std::vector<double> busy = reads([&] { return !done.load(); });
    compactor.join();
    double secs = static_cast<double>(rep.elapsed_ns) / 1e9;
    Add("maint.compact", "6. compaction rewrite", static_cast<double>(rep.bytes) / 1e6 / secs,
        "MB/s", NAN,
        Fmt("%.0f MB rewritten in %.2f s", static_cast<double>(rep.bytes) / 1e6, secs));
    Add("maint.get_p99.idle", "6. 1 MiB GET p99, idle", Percentile(idle, 0.99), "ms", NAN,
        Fmt("%zu reads", idle.size()));
    Add("maint.get_p99.compacting", "6. 1 MiB GET p99, compacting", Percentile(busy, 0.99), "ms",
        Percentile(idle, 0.99), Fmt("%zu reads", busy.size()));
    auto gc = Must(eng.CollectGarbage(false, 0), "CollectGarbage");
    gc = Must(eng.CollectGarbage(false, 0), "CollectGarbage");
    Log(Fmt("workload 6: gc freed %.0f MB", static_cast<double>(gc.bytes_freed) / 1e6));
  }

  Config cfg_;
  std::string scratch_;
  Sizes sz_;
  std::vector<Row> rows_;
  std::vector<std::string> notes_;
  std::vector<StoredObject> objects_;
  double seq_write_mibps_ = NAN, cached_read_mibps_ = NAN, sync_ops_ = NAN, sync_p50_ms_ = NAN;
  bool failed_ = false;
};

// Parses GNU-style flags; exits 2 on a usage error.
Config ParseArgs(int argc, char** argv) {
  Config c;
  auto usage_error = [](const std::string& msg) {
    std::fprintf(stderr, "seglake-engine-bench: %s\n%s", msg.c_str(), kUsage);
    std::exit(2);
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i], value;
    bool has_value = false;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_value = true;
    }
    auto take = [&]() -> std::string {
      if (has_value) return value;
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (a == "--dir") {
      c.dir = take();
    } else if (a == "--keep") {
      c.keep = true;
    } else if (a == "--quick") {
      c.quick = true;
    } else if (a == "--json") {
      c.json = true;
    } else if (a == "--only") {
      std::string list = take();
      for (size_t p = 0; p <= list.size();) {
        size_t q = std::min(list.find(',', p), list.size());
        std::string name = list.substr(p, q - p);
        if (std::find(std::begin(kNames), std::end(kNames), name) == std::end(kNames))
          usage_error("unknown workload '" + name + "'");
        c.only.insert(name);
        p = q + 1;
      }
    } else {
      usage_error("unknown argument '" + a + "'");
    }
    if (has_value && (a == "--keep" || a == "--quick" || a == "--json"))
      usage_error(a + " takes no value");
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg = ParseArgs(argc, argv);
  const bool default_parent = cfg.dir.empty();
  std::string parent = default_parent ? "./bench-tmp" : cfg.dir;
  if (default_parent && mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) {
    std::fprintf(stderr, "seglake-engine-bench: mkdir %s: %s\n", parent.c_str(),
                 std::strerror(errno));
    return 1;
  }
  std::string tmpl = parent + "/seglake-bench-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    std::fprintf(stderr, "seglake-engine-bench: mkdtemp %s: %s\n", tmpl.c_str(),
                 std::strerror(errno));
    return 1;
  }
  std::string scratch = std::filesystem::absolute(tmpl).lexically_normal().string();

  bool ok = false;
  {
    Bench bench(cfg, scratch);
    try {
      ok = bench.Run();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "seglake-engine-bench: %s\n", e.what());
    }
    bench.Print(stdout);
    std::fflush(stdout);
  }
  if (cfg.keep) {
    Log("kept " + scratch);
  } else {
    std::error_code ec;
    std::filesystem::remove_all(scratch, ec);
    if (ec) Log("remove " + scratch + ": " + ec.message());
    if (default_parent) rmdir(parent.c_str());  // only if empty
  }
  return ok ? 0 : 1;
}
