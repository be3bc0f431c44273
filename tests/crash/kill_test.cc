// Invariant 4 with a real kill -9: seglake-crash-child runs random ops on one
// data dir and is killed at a random moment, ~20 times in a row (each restart
// recovers the dir). After every kill the test opens the dir itself and checks
// that every acknowledged op is there, byte for byte with its ETag, and that
// the op in flight is either fully there or not at all.
//
// SEGLAKE_SEED=n replays the choices (kill timing still varies with the
// machine); SEGLAKE_KILL_RUNS changes the number of kills.
#define BOOST_TEST_MODULE crash_kill
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>

#include <chrono>
#include <random>

#include "ack_log.h"
#include "child_proc.h"
#include "seglake/engine.h"
#include "test_seed.h"
#include "util/temp_dir.h"

namespace seglake::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string Lines(const std::vector<std::string>& lines, size_t last = 30) {
  std::string s;
  for (size_t i = lines.size() > last ? lines.size() - last : 0; i < lines.size(); ++i) {
    s += "  " + lines[i] + "\n";
  }
  return s;
}

BOOST_AUTO_TEST_CASE(kill_minus_nine_loses_no_acked_op) {
  const uint64_t seed = TestSeed();
  BOOST_TEST_MESSAGE("kill seed " << seed << " (SEGLAKE_SEED=" << seed << ")");
  const std::string child = ChildBinary();
  BOOST_REQUIRE_MESSAGE(!child.empty(), "seglake-crash-child not found");
  const long runs = EnvLong("SEGLAKE_KILL_RUNS", 20);
  std::mt19937_64 rng(seed);
  auto uniform = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  TempDir dir;
  const std::string data = dir.Sub("data");
  const std::string prefix = "w0/";
  {
    Options o;
    o.data_dir = data;
    auto e = Engine::Open(o);
    BOOST_REQUIRE_MESSAGE(e, "open: " << ErrorText(e));
    BOOST_REQUIRE((*e)->CreateBucket(kChildBucket, "us-east-1").ok());
  }
  KeyState state;
  size_t acked_total = 0, inflight_applied = 0, inflight_dropped = 0;

  for (long run = 0; run < runs; ++run) {
    const uint64_t child_seed = seed * 31 + static_cast<uint64_t>(run);
    ChildProcess p;
    std::string err = p.Spawn({child, data, std::to_string(child_seed), "0"}, false);
    BOOST_REQUIRE_MESSAGE(err.empty(), err);
    std::vector<std::string> lines;
    bool early = uniform(0, 9) == 0;  // sometimes kill during open and recovery
    if (!early) {
      auto limit = Clock::now() + std::chrono::seconds(30);
      AckLog probe;
      size_t fed = 0;
      while (!probe.ready() && Clock::now() < limit) {
        if (!p.ReadLines(Clock::now() + milliseconds(20), &lines)) break;
        for (; fed < lines.size(); ++fed) (void)probe.Feed(lines[fed]);
      }
      BOOST_REQUIRE_MESSAGE(probe.ready(), "run " << run << ": child never became ready:\n"
                                                  << Lines(lines));
    }
    uint64_t delay = early ? uniform(0, 40) : uniform(10, 300);
    p.ReadLines(Clock::now() + milliseconds(delay), &lines);
    p.Kill();
    p.Drain(&lines);
    int status = p.Wait();
    BOOST_REQUIRE_MESSAGE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                          "run " << run << ": child exited by itself (status " << status << "):\n"
                                 << Lines(lines));

    AckLog log;
    for (const auto& l : lines) {
      std::string e = log.Feed(l);
      BOOST_REQUIRE_MESSAGE(e.empty(), "run " << run << ": " << e);
    }
    BOOST_REQUIRE_MESSAGE(log.errors().empty(),
                          "run " << run << ": child reported " << FirstOr(log.errors()));
    const AckOp* inflight = nullptr;
    for (const auto& op : log.ops()) {
      if (!op.acked) {
        inflight = &op;
        break;
      }
      std::string e = ApplyOp(op, state);
      BOOST_REQUIRE_MESSAGE(e.empty(), "run " << run << ": " << e);
      ++acked_total;
    }

    // Recovery runs in this process's open.
    Options o;
    o.data_dir = data;
    o.min_part_bytes = 1024;
    auto engine = Engine::Open(o);
    BOOST_REQUIRE_MESSAGE(engine, "run " << run << ": open after kill: " << ErrorText(engine));
    std::vector<std::string> keys;
    if (inflight) keys = OpKeys(*inflight);
    std::string before = VerifyKeys(**engine, prefix, state, keys);
    if (!before.empty()) {
      BOOST_REQUIRE_MESSAGE(inflight, "run " << run << " (child seed " << child_seed
                                             << "): acknowledged state lost:\n"
                                             << before << "last lines:\n"
                                             << Lines(lines));
      KeyState after = state;
      std::string e = ApplyOp(*inflight, after);
      BOOST_REQUIRE_MESSAGE(e.empty(), "run " << run << ": " << e);
      std::string diff_after = VerifyKeys(**engine, prefix, after, keys);
      BOOST_REQUIRE_MESSAGE(diff_after.empty(),
                            "run " << run << " (child seed " << child_seed
                                   << "): state is neither before nor after the op in flight ("
                                   << DescribeOp(*inflight) << ")\nvs before:\n"
                                   << before << "vs after:\n"
                                   << diff_after << "last lines:\n"
                                   << Lines(lines));
      state = std::move(after);
      ++inflight_applied;
    } else if (inflight) {
      ++inflight_dropped;
    }
    NarrowEtags(**engine, state);
    BOOST_TEST_MESSAGE("run " << run << ": " << log.ops().size() << " ops begun, killed after "
                              << delay << " ms" << (early ? " (early)" : "") << ", in flight: "
                              << (inflight ? DescribeOp(*inflight) : std::string("none")));
    BOOST_REQUIRE((*engine)->Close().ok());
  }
  BOOST_TEST_MESSAGE(acked_total << " acked ops, " << state.size()
                                 << " keys; in-flight ops: " << inflight_applied << " survived, "
                                 << inflight_dropped << " rolled back");
  BOOST_CHECK_MESSAGE(acked_total > 0, "no op was acknowledged in any run");
}

}  // namespace
}  // namespace seglake::testing
