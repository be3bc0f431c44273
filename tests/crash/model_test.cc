// Randomized model test (invariants 1, 2 and 4): long random op sequences
// checked op by op against an in-memory S3 model, then many simulated crashes
// (a failed write or sync, kill between ops, power loss) after which every
// acknowledged op must be there and the op in flight all there or not at all.
//
// SEGLAKE_SEED=n replays a run; SEGLAKE_MODEL_OPS and SEGLAKE_CRASH_ITERS
// change its length.
#define BOOST_TEST_MODULE crash_model
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <random>
#include <sstream>

#include "model.h"
#include "random_ops.h"
#include "seglake/engine.h"
#include "test_seed.h"
#include "util/fault_env.h"
#include "util/temp_dir.h"

namespace seglake::testing {
namespace {

using Clock = std::chrono::steady_clock;
using Outcome = RandomOps::Outcome;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

Options BaseOptions(const std::string& dir) {
  Options o;
  o.data_dir = dir;
  o.min_part_bytes = 1024;
  return o;
}

// The fault model itself: what the crash tests rely on.
BOOST_AUTO_TEST_CASE(fault_env_models_power_loss_and_faults) {
  TempDir dir;
  FaultEnv env;
  const std::string sub = dir.Sub("d"), a = sub + "/a", b = sub + "/b";
  BOOST_REQUIRE(env.CreateDir(sub).ok());
  BOOST_REQUIRE(env.SyncDir(dir.path()).ok());
  OpenOptions w;
  w.write = w.create = true;
  auto fa = env.Open(a, w);
  BOOST_REQUIRE(fa);
  BOOST_REQUIRE((*fa)->PWrite(0, "hello world", 11).ok());
  BOOST_REQUIRE((*fa)->Sync().ok());
  BOOST_REQUIRE(env.SyncDir(sub).ok());
  BOOST_REQUIRE((*fa)->PWrite(0, "HELLO", 5).ok());       // overwrite inside the synced part
  BOOST_REQUIRE((*fa)->PWrite(11, " and more", 9).ok());  // unsynced tail
  auto fb = env.Open(b, w);                               // created, never made durable by SyncDir
  BOOST_REQUIRE(fb);
  BOOST_REQUIRE((*fb)->PWrite(0, "x", 1).ok());
  BOOST_REQUIRE((*fb)->Sync().ok());
  BOOST_CHECK_EQUAL(env.pwrite_count(), 4u);
  BOOST_CHECK_EQUAL(env.sync_count(), 2u);

  // Fail the 2nd write from now, short, then crash.
  Fault f;
  f.op = Fault::Op::kPWrite;
  f.nth = 2;
  f.short_write_bytes = 3;
  f.crash = true;
  env.Arm(f);
  BOOST_REQUIRE((*fa)->PWrite(20, "12345", 5).ok());
  Status s = (*fa)->PWrite(25, "abcdef", 6);
  BOOST_CHECK(s.code() == Status::Code::kIOError);
  BOOST_CHECK(env.fired() && env.crashed());
  BOOST_CHECK(!(*fa)->Sync().ok());
  BOOST_CHECK(!env.Open(a, OpenOptions{}));
  char buf[64];
  BOOST_CHECK(!(*fa)->PRead(0, buf, sizeof buf));
  auto size = Env::Default()->Open(a, OpenOptions{});
  BOOST_REQUIRE(size);
  BOOST_CHECK_EQUAL(*(*size)->Size(), 28u);  // 25 + the 3 bytes of the short write
  fa->reset();
  fb->reset();

  BOOST_REQUIRE(env.SimulatePowerLoss().ok());
  BOOST_CHECK(!env.crashed());
  auto ra = Env::Default()->Open(a, OpenOptions{});
  BOOST_REQUIRE(ra);
  auto n = (*ra)->PRead(0, buf, sizeof buf);
  BOOST_REQUIRE(n);
  BOOST_CHECK_EQUAL(std::string(buf, *n), "hello world");
  BOOST_CHECK(!Env::Default()->Exists(b));

  // A non-crash fault fails one call only; NoSpace on a sync.
  f = Fault();
  f.op = Fault::Op::kSync;
  f.nth = 1;
  f.status = Status::NoSpace("full");
  env.Arm(f);
  auto fc = env.Open(a, w);
  BOOST_REQUIRE(fc);
  BOOST_REQUIRE((*fc)->PWrite(11, "!", 1).ok());
  BOOST_CHECK((*fc)->Sync().code() == Status::Code::kNoSpace);
  BOOST_CHECK(!env.crashed());
  BOOST_CHECK((*fc)->Sync().ok());
  fc->reset();
  BOOST_REQUIRE(env.SimulatePowerLoss().ok());
  ra = Env::Default()->Open(a, OpenOptions{});
  BOOST_REQUIRE(ra);
  n = (*ra)->PRead(0, buf, sizeof buf);
  BOOST_REQUIRE(n);
  BOOST_CHECK_EQUAL(std::string(buf, *n), "hello world!");
}

BOOST_AUTO_TEST_CASE(random_ops_match_model) {
  const uint64_t seed = TestSeed();
  BOOST_TEST_MESSAGE("random_ops_match_model seed " << seed << " (SEGLAKE_SEED=" << seed
                                                    << " replays)");
  const long n_ops = EnvLong("SEGLAKE_MODEL_OPS", 3000);
  TempDir dir;
  Options o = BaseOptions(dir.Sub("data"));
  o.segment_target_bytes = 16ull << 20;  // many segments get sealed on the way
  auto engine = Engine::Open(o);
  BOOST_REQUIRE_MESSAGE(engine, "open: " << ErrorText(engine));
  Model model;
  RandomOps ops(engine->get(), &model, seed);
  BOOST_REQUIRE(ops.Setup() == Outcome::kOk);
  auto start = Clock::now();
  for (long i = 0; i < n_ops; ++i) {
    Outcome out = ops.Step();
    if (out != Outcome::kOk) {
      BOOST_FAIL("seed " << seed << " op " << i << ": " << ops.error() << "\nrecent ops:\n"
                         << ops.RecentOps());
    }
    if (i % 250 == 249) {
      std::string err = ops.CheckListings();
      if (err.empty()) err = ops.CheckAll(i % 1000 == 999);
      BOOST_REQUIRE_MESSAGE(err.empty(), "seed " << seed << " after op " << i << ":\n"
                                                 << err << "recent ops:\n"
                                                 << ops.RecentOps());
    }
    if (Seconds(start) > 40) {
      BOOST_TEST_MESSAGE("time budget reached after " << i + 1 << " ops");
      break;
    }
  }
  std::string err = ops.CheckAll(true);
  BOOST_REQUIRE_MESSAGE(err.empty(), "seed " << seed << " final state:\n" << err);
  BOOST_TEST_MESSAGE(ops.ops_run()
                     << " ops, " << model.VersionCount() << " versions, " << model.uploads.size()
                     << " open uploads, " << Seconds(start) << " s");

  // A clean close and reopen keeps everything.
  BOOST_REQUIRE((*engine)->Close().ok());
  engine->reset();
  auto again = Engine::Open(o);
  BOOST_REQUIRE_MESSAGE(again, "reopen: " << ErrorText(again));
  ops.set_engine(again->get());
  err = ops.CheckAll(true);
  BOOST_REQUIRE_MESSAGE(err.empty(), "seed " << seed << " after reopen:\n" << err);
  err = ops.CheckListings();
  BOOST_REQUIRE_MESSAGE(err.empty(), "seed " << seed << " after reopen:\n" << err);
}

// The model after the failed op, in whichever of its variants `actual`
// shows: "" and *post set, or the difference from the first variant.
std::string AfterPending(const RandomOps& ops, const Model& before, const Model& actual,
                         Model* post) {
  std::string first;
  for (int v = 0; v < std::max(1, ops.pending_variants()); ++v) {
    Model m = before;
    ops.ApplyPending(m, v);
    std::string d = Diff(m, actual);
    if (d.empty()) {
      *post = std::move(m);
      return "";
    }
    if (v == 0) first = std::move(d);
  }
  return first;
}

// One crash: returns "" or what went wrong. `summary` says what was done.
std::string CrashIteration(uint64_t seed, std::string* summary) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };

  TempDir dir;
  FaultEnv fenv;
  Options o = BaseOptions(dir.Sub("data"));
  o.env = &fenv;
  o.segment_target_bytes = chance(0.5) ? (4ull << 20) : (1ull << 30);
  o.background_thread = chance(0.5);
  RandomOpsConfig cfg;
  cfg.big_fraction = 0.03;
  auto opened = Engine::Open(o);
  if (!opened) return "open: " + opened.error().ToString();
  std::unique_ptr<Engine> engine = std::move(*opened);
  Model model;
  RandomOps ops(engine.get(), &model, seed, cfg);
  if (ops.Setup() != Outcome::kOk) return "setup: " + ops.error();

  const uint64_t base = uniform(10, 60);
  const uint64_t w0 = fenv.pwrite_count(), s0 = fenv.sync_count(), d0 = fenv.syncdir_count();
  if (Outcome out = ops.Run(static_cast<int>(base)); out != Outcome::kOk) {
    return "before the fault: " + ops.error() + "\nrecent ops:\n" + ops.RecentOps();
  }
  const uint64_t window = uniform(3, 40);
  Fault f;
  double kind = std::uniform_real_distribution<double>(0, 1)(rng);
  uint64_t calls;  // calls of the fault's kind during the first `base` ops
  if (kind < 0.45) {
    f.op = Fault::Op::kPWrite;
    calls = fenv.pwrite_count() - w0;
    if (chance(0.5)) f.short_write_bytes = uniform(1, 8192);
  } else if (kind < 0.9) {
    f.op = Fault::Op::kSync;
    calls = fenv.sync_count() - s0;
  } else {
    f.op = Fault::Op::kSyncDir;
    calls = fenv.syncdir_count() - d0 + base / 4;
  }
  f.nth = uniform(1, std::max<uint64_t>(1, calls * window / base));
  f.status = chance(0.3) ? Status::NoSpace("injected ENOSPC") : Status::IOError("injected EIO");
  f.crash = chance(0.85);
  // Power loss drops unsynced bytes; without it (kill -9) they stay, and
  // complete records of an op that never committed remain in the log.
  const bool power_loss = chance(0.6);
  // rebuild-index right after recovery (the log may end in records of the
  // failed op) or at the end (after more ops reused its seq).
  const int rebuild = chance(0.6) ? 0 : chance(0.5) ? 1 : 2;
  std::ostringstream sum;
  sum << "seed " << seed << ": " << base << " ops, then fault on "
      << (f.op == Fault::Op::kPWrite ? "pwrite"
          : f.op == Fault::Op::kSync ? "sync"
                                     : "syncdir")
      << " #" << f.nth
      << (f.short_write_bytes ? " short " + std::to_string(f.short_write_bytes) : "")
      << (f.crash ? " +crash" : "") << (power_loss ? " +power loss" : " (no power loss)")
      << (rebuild == 1   ? " +rebuild at once"
          : rebuild == 2 ? " +rebuild later"
                         : "");
  fenv.Arm(f);

  bool failed = false;
  for (uint64_t i = 0; i < window + 20 && !failed; ++i) {
    Outcome out = ops.Step();
    if (out == Outcome::kMismatch) {
      return "mismatch" + std::string(fenv.fired() ? " after the fault" : "") + ": " + ops.error() +
             "\nrecent ops:\n" + ops.RecentOps();
    }
    if (out == Outcome::kEngineError) {
      if (!fenv.fired()) {
        return "engine error without an injected fault: " + ops.error() + "\nrecent ops:\n" +
               ops.RecentOps();
      }
      failed = true;
    }
  }
  sum << (failed ? ", op failed: " + ops.error() : ", no op failed (kill between ops)");
  if (failed && !f.crash) {
    // The process lives on: the failed op must not be half visible.
    std::string problems;
    auto live = ReadEngineState(*engine, true, &problems);
    if (live) {
      std::string pre = Diff(model, *live);
      if (!pre.empty()) {
        Model post;
        std::string after = AfterPending(ops, model, *live, &post);
        if (!after.empty()) {
          return sum.str() + "\nlive engine shows the failed op half done.\nvs before:\n" + pre +
                 "vs after:\n" + after + "recent ops:\n" + ops.RecentOps();
        }
        sum << " (visible in the live engine)";
      }
    }
    if (f.op == Fault::Op::kSync) {
      // After a failed sync the written pages may be gone while a later sync
      // succeeds: no later write may be acknowledged.
      auto later = engine->Put("plain", "after-a-failed-sync", "x");
      if (later) return sum.str() + "\na put was acknowledged after a failed sync";
    }
  }
  fenv.CrashNow();
  engine.reset();  // a dead process: every file operation fails from here
  if (power_loss) {
    Status pl = fenv.SimulatePowerLoss();
    if (!pl.ok()) return sum.str() + "\nSimulatePowerLoss: " + pl.ToString();
  }

  Options o2 = o;
  o2.env = nullptr;
  auto reopened = Engine::Open(o2);
  if (!reopened) return sum.str() + "\nreopen after crash: " + reopened.error().ToString();
  engine = std::move(*reopened);
  std::string problems;
  auto actual = ReadEngineState(*engine, true, &problems);
  if (!actual) return sum.str() + "\nreading state after crash: " + actual.error().ToString();
  if (!problems.empty()) return sum.str() + "\ninconsistent state after crash:\n" + problems;
  std::string d_pre = Diff(model, *actual);
  if (!d_pre.empty()) {
    if (!failed || !ops.has_pending()) {
      return sum.str() + "\nacknowledged state lost or changed:\n" + d_pre + "recent ops:\n" +
             ops.RecentOps();
    }
    Model post;
    std::string d_post = AfterPending(ops, model, *actual, &post);
    if (!d_post.empty()) {
      return sum.str() + "\nstate after crash is neither before nor after the failed op.\n" +
             "vs before:\n" + d_pre + "vs after:\n" + d_post + "recent ops:\n" + ops.RecentOps();
    }
    ResolveAnyIds(post, *actual);
    model = std::move(post);
    sum << "; in-flight op survived";
  } else if (failed && ops.has_pending()) {
    sum << "; in-flight op rolled back";
  }

  // Invariant 7 after a crash: the log holds exactly the committed ops.
  auto rebuild_and_check = [&]() -> std::string {
    engine.reset();
    Status s = RebuildIndex(o2.data_dir);
    if (!s.ok()) return "rebuild-index after the crash: " + s.ToString();
    auto e = Engine::Open(o2);
    if (!e) return "open after rebuild: " + e.error().ToString();
    engine = std::move(*e);
    ops.set_engine(engine.get());
    std::string diff = ops.CheckAll(true);
    if (!diff.empty()) {
      return "after rebuild-index, the index differs from the committed state:\n" + diff +
             "recent ops:\n" + ops.RecentOps();
    }
    return "";
  };
  if (rebuild == 1) {
    if (std::string e = rebuild_and_check(); !e.empty()) return sum.str() + "\n" + e;
  }

  // The recovered engine keeps working (appends after a cut tail), and a
  // clean reopen keeps all of it.
  ops.set_engine(engine.get());
  if (Outcome out = ops.Run(static_cast<int>(uniform(10, 30))); out != Outcome::kOk) {
    return sum.str() + "\nafter recovery: " + ops.error() + "\nrecent ops:\n" + ops.RecentOps();
  }
  std::string err = ops.CheckAll(true);
  if (!err.empty()) return sum.str() + "\nafter recovery and more ops:\n" + err;
  if (Status s = engine->Close(); !s.ok()) return sum.str() + "\nclose: " + s.ToString();
  engine.reset();
  reopened = Engine::Open(o2);
  if (!reopened) return sum.str() + "\nclean reopen: " + reopened.error().ToString();
  engine = std::move(*reopened);
  ops.set_engine(engine.get());
  err = ops.CheckAll(true);
  if (!err.empty()) return sum.str() + "\nafter a clean reopen:\n" + err;
  if (rebuild == 2) {
    if (std::string e = rebuild_and_check(); !e.empty()) return sum.str() + "\n" + e;
  }
  *summary = sum.str();
  return "";
}

BOOST_AUTO_TEST_CASE(crash_at_random_points) {
  const uint64_t seed = TestSeed();
  BOOST_TEST_MESSAGE("crash_at_random_points seed " << seed << " (SEGLAKE_SEED=" << seed
                                                    << " replays)");
  const long iters = EnvLong("SEGLAKE_CRASH_ITERS", 30);
  auto start = Clock::now();
  int failures = 0;
  for (long i = 0; i < iters; ++i) {
    uint64_t s = seed + static_cast<uint64_t>(i) * 1000003;
    std::string summary;
    std::string err = CrashIteration(s, &summary);
    BOOST_CHECK_MESSAGE(err.empty(), "crash iteration " << i << " (replay: SEGLAKE_SEED=" << s
                                                        << " SEGLAKE_CRASH_ITERS=1):\n"
                                                        << err);
    if (err.empty()) BOOST_TEST_MESSAGE("iteration " << i << ": " << summary);
    if (!err.empty() && ++failures >= 3) break;
    if (i >= 5 && Seconds(start) > 60) {
      BOOST_TEST_MESSAGE("time budget reached after " << i + 1 << " iterations");
      break;
    }
  }
}

}  // namespace
}  // namespace seglake::testing
