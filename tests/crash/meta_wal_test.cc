// meta.db under power loss (invariants 1, 4 and 7). SQLite's file I/O goes
// through the engine's Env (meta/env_vfs.h), so FaultEnv can fail meta.db's
// WAL and drop what it did not sync. These tests aim at the window the random
// crash points hit only by chance: a commit whose segment sync succeeded (data
// and log record durable) but whose WAL sync (the SQLite COMMIT) did not.
#define BOOST_TEST_MODULE crash_meta_wal
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <thread>

#include "commit/committer.h"
#include "seglake/engine.h"
#include "segment/segment.h"
#include "test_seed.h"
#include "util/fault_env.h"
#include "util/stall_env.h"
#include "util/temp_dir.h"

namespace seglake::testing {
namespace {

const char* const kWal = "/meta.db-wal";
using Acked = std::map<std::string, std::string>;  // key -> contents, bucket "b"

std::unique_ptr<Engine> MustOpen(const Options& o) {
  auto e = Engine::Open(o);
  BOOST_REQUIRE_MESSAGE(e, "open: " << ErrorText(e));
  return std::move(*e);
}

void MustPut(Engine& e, Acked& acked, const std::string& key, const std::string& data) {
  auto r = e.Put("b", key, data);
  BOOST_REQUIRE_MESSAGE(r, "put " << key << ": " << ErrorText(r));
  acked[key] = data;
}

// Every acked key reads back; nothing else is listed.
void CheckState(Engine& e, const Acked& acked, const char* when) {
  for (const auto& [key, data] : acked) {
    auto r = e.ReadAll("b", key);
    BOOST_REQUIRE_MESSAGE(r, when << ": acked key " << key << " lost: " << ErrorText(r));
    BOOST_CHECK_MESSAGE(*r == data, when << ": acked key " << key << " changed");
  }
  auto list = e.List("b", ListOptions{});
  BOOST_REQUIRE_MESSAGE(list, when << ": list: " << ErrorText(list));
  std::string extra;
  for (const auto& o : list->objects)
    if (!acked.count(o.key)) extra += " " + o.key;
  BOOST_CHECK_MESSAGE(extra.empty(), when << ": keys never acked are visible:" << extra);
  BOOST_CHECK_EQUAL(list->objects.size(), acked.size());
}

// The seqs of the put records for `key` in the segment logs.
std::vector<uint64_t> LoggedPuts(const std::string& data_dir, const std::string& key) {
  std::vector<uint64_t> seqs;
  Env* env = Env::Default();
  auto names = env->ListDir(data_dir + "/segments");
  BOOST_REQUIRE(names);
  for (const auto& n : *names) {
    uint64_t id;
    if (!segment::ParseFileName(n, &id)) continue;
    auto f = env->Open(data_dir + "/segments/" + n, OpenOptions{});
    BOOST_REQUIRE(f);
    auto r = segment::Scan(**f, true, [&](uint64_t, const record::Header&, std::string_view p) {
      LogRecord rec;
      if (DecodeLogRecord(p, &rec).ok() && rec.op.value("t", "") == "put" &&
          rec.op.value("k", "") == key)
        seqs.push_back(rec.seq);
      return Status::OK();
    });
    BOOST_REQUIRE_MESSAGE(r, "scan " << n << ": " << ErrorText(r));
  }
  return seqs;
}

// How the writer goes after its WAL sync failed.
enum class After {
  kCrash,          // the fault kills the process at once
  kLiveThenCrash,  // it lives on (refusing writes), then dies
  kLiveThenClose,  // it lives on, then closes cleanly (SQLite checkpoints)
};

void FailTheWalSyncOfACommit(After after) {
  TempDir dir;
  FaultEnv fenv;
  Options o;
  o.data_dir = dir.Sub("data");
  o.env = &fenv;
  o.background_thread = false;
  auto engine = MustOpen(o);
  Acked acked;
  BOOST_REQUIRE(engine->CreateBucket("b", "r").ok());
  for (int i = 0; i < 8; ++i)
    MustPut(*engine, acked, "k" + std::to_string(i), std::string(1000 * (i + 1), 'a' + i));
  BOOST_REQUIRE(engine->Delete("b", "k3", ""));
  acked.erase("k3");
  MustPut(*engine, acked, "k5", "overwritten");

  // How many WAL syncs one commit makes: 1, or 2 just after a WAL restart
  // (header, then frames). The last one makes the COMMIT durable.
  Fault count;
  count.op = Fault::Op::kSync;
  count.nth = std::numeric_limits<uint64_t>::max();
  count.path_suffix = kWal;
  fenv.Arm(count);
  MustPut(*engine, acked, "probe", "p");
  const uint64_t wal_syncs = fenv.matched_count();
  BOOST_REQUIRE_MESSAGE(wal_syncs >= 1, "a commit did not sync meta.db-wal through the Env");

  Fault f;
  f.op = Fault::Op::kSync;
  f.path_suffix = kWal;
  f.nth = wal_syncs;
  f.crash = after == After::kCrash;
  fenv.Arm(f);
  auto seq_before = engine->LastSeq();
  BOOST_REQUIRE(seq_before);
  auto ghost = engine->Put("b", "ghost", "never acknowledged");
  BOOST_REQUIRE_MESSAGE(fenv.fired(), "the put never reached the WAL sync");
  BOOST_REQUIRE_MESSAGE(!ghost, "a put was acknowledged although its WAL sync failed");
  if (after != After::kCrash) {
    BOOST_CHECK_MESSAGE(!engine->Head("b", "ghost"), "the live engine shows the failed put");
    BOOST_CHECK_MESSAGE(!engine->Put("b", "later", "x"), "a put was acked after a failed sync");
    CheckState(*engine, acked, "live, after the failed commit");
    if (after == After::kLiveThenCrash) fenv.CrashNow();
  }
  engine.reset();
  BOOST_REQUIRE(fenv.SimulatePowerLoss().ok());

  // The premise: the segment sync came before the WAL sync, so the ghost's
  // log record survived the power loss while its commit did not.
  auto logged = LoggedPuts(o.data_dir, "ghost");
  BOOST_REQUIRE_MESSAGE(logged.size() == 1, "the ghost's log record is not durable");
  BOOST_CHECK_EQUAL(logged[0], *seq_before + 1);

  o.env = nullptr;
  engine = MustOpen(o);
  CheckState(*engine, acked, "after power loss");
  BOOST_CHECK(!engine->Head("b", "ghost"));
  BOOST_CHECK(!engine->Head("b", "k3"));
  auto seq = engine->LastSeq();
  BOOST_REQUIRE(seq);
  BOOST_CHECK_EQUAL(*seq, *seq_before);
  // Recovery cut the dead writer's segment at the record meta.db does not
  // confirm, so the log holds committed ops only.
  BOOST_CHECK_MESSAGE(LoggedPuts(o.data_dir, "ghost").empty(),
                      "recovery left the unconfirmed record in the log");

  // rebuild-index replays exactly the acked state and does not resurrect the
  // ghost: at once, and after the next commit reused its seq.
  auto rebuild = [&](const char* when) {
    engine.reset();
    Status s = RebuildIndex(o.data_dir);
    BOOST_REQUIRE_MESSAGE(s.ok(), when << ": rebuild: " << s.ToString());
    engine = MustOpen(o);
    CheckState(*engine, acked, when);
    BOOST_CHECK_MESSAGE(!engine->Head("b", "ghost"), when << ": the failed put is back");
  };
  rebuild("rebuild-index after recovery");
  MustPut(*engine, acked, "next", "n");
  rebuild("rebuild-index after the seq was reused");
}

BOOST_AUTO_TEST_CASE(crash_at_the_wal_sync_after_the_segment_sync) {
  FailTheWalSyncOfACommit(After::kCrash);
}

BOOST_AUTO_TEST_CASE(failed_wal_sync_then_crash) { FailTheWalSyncOfACommit(After::kLiveThenCrash); }

BOOST_AUTO_TEST_CASE(failed_wal_sync_then_clean_close) {
  FailTheWalSyncOfACommit(After::kLiveThenClose);
}

// A commit's log record is durable in the active segment while its COMMIT
// (the WAL sync) is in flight. If that COMMIT fails, recovery must be able to
// cut the record; so another writer filling the segment meanwhile must not
// seal it (recovery never cuts a sealed segment), or rebuild-index would
// bring back an op that failed and that meta.db never had.
BOOST_AUTO_TEST_CASE(failed_commit_is_not_sealed_into_the_log_by_a_concurrent_writer) {
  TempDir dir;
  StallEnv env;
  Options o;
  o.data_dir = dir.Sub("data");
  o.env = &env;
  o.background_thread = false;
  o.segment_target_bytes = 1 << 20;
  auto engine = MustOpen(o);
  Acked acked;
  BOOST_REQUIRE(engine->CreateBucket("b", "r").ok());
  MustPut(*engine, acked, "before", "acked");

  env.Arm(StallEnv::Op::kSync, kWal, Status::IOError("injected: WAL sync failed after a stall"));
  Result<ObjectInfo> ghost = Err(Status::IOError("not run"));
  std::thread committer([&] { ghost = engine->Put("b", "ghost", "never acknowledged"); });
  env.WaitStalled();  // the ghost's record is synced; its COMMIT hangs
  // Another writer streams past the segment target meanwhile.
  auto w = engine->BeginPut("b", "big", PutOptions{});
  BOOST_REQUIRE(w);
  std::string chunk(256 << 10, 'z');
  for (int i = 0; i < 6; ++i) (void)(*w)->Append(chunk.data(), chunk.size());
  env.Release();
  committer.join();
  BOOST_REQUIRE_MESSAGE(!ghost, "the put was acked although its COMMIT failed");
  w->reset();
  engine.reset();

  o.env = nullptr;
  engine = MustOpen(o);
  CheckState(*engine, acked, "after reopening");
  BOOST_CHECK_MESSAGE(
      LoggedPuts(o.data_dir, "ghost").empty(),
      "the failed commit's record stays in the log (sealed in by the other writer)");
  engine.reset();
  Status s = RebuildIndex(o.data_dir);
  BOOST_REQUIRE_MESSAGE(s.ok(), "rebuild: " << s.ToString());
  engine = MustOpen(o);
  CheckState(*engine, acked, "after rebuild-index");
  BOOST_CHECK_MESSAGE(!engine->Head("b", "ghost"), "rebuild-index resurrected the failed put");
}

// Acked means durable for meta.db too: a power loss keeps every acked commit,
// also in a WAL created after a clean close (its directory entry must have
// been synced) and across checkpoints that restart the WAL and overwrite it.
BOOST_AUTO_TEST_CASE(power_loss_keeps_acked_commits) {
  const uint64_t seed = TestSeed();
  BOOST_TEST_MESSAGE("power_loss_keeps_acked_commits seed " << seed << " (SEGLAKE_SEED=" << seed
                                                            << " replays)");
  std::mt19937_64 rng(seed);
  TempDir dir;
  FaultEnv fenv;
  Options o;
  o.data_dir = dir.Sub("data");
  o.env = &fenv;
  o.background_thread = false;
  Acked acked;
  {
    auto engine = MustOpen(o);
    BOOST_REQUIRE(engine->CreateBucket("b", "r").ok());
    MustPut(*engine, acked, "first", "1");
    BOOST_REQUIRE(engine->Close().ok());
  }
  // The last connection checkpointed and deleted the WAL...
  BOOST_CHECK_MESSAGE(!Env::Default()->Exists(o.data_dir + kWal), "the WAL outlived a clean close");
  auto engine = MustOpen(o);  // ...so this one creates a new one.
  Fault count;                // counts syncs of meta.db itself: only checkpoints make them
  count.op = Fault::Op::kSync;
  count.nth = std::numeric_limits<uint64_t>::max();
  count.path_suffix = "/meta.db";
  fenv.Arm(count);
  // Until two checkpoints ran and a random number of commits more.
  const int extra = static_cast<int>(rng() % 40);
  int after_ckpt = -1;
  for (int i = 0; i < 3000 && after_ckpt < extra; ++i) {
    std::string key = "k" + std::to_string(rng() % 200);
    if (rng() % 8 == 0 && acked.count(key)) {
      BOOST_REQUIRE(engine->Delete("b", key, ""));
      acked.erase(key);
    } else {
      MustPut(*engine, acked, key, std::to_string(i) + std::string(rng() % 300, 'x'));
    }
    if (after_ckpt >= 0 || fenv.matched_count() >= 2) ++after_ckpt;
  }
  BOOST_REQUIRE_MESSAGE(fenv.matched_count() >= 2, "no checkpoint ran");
  BOOST_TEST_MESSAGE(fenv.matched_count() << " meta.db syncs, " << acked.size() << " keys");
  fenv.CrashNow();
  engine.reset();
  BOOST_REQUIRE(fenv.SimulatePowerLoss().ok());
  o.env = nullptr;
  engine = MustOpen(o);
  CheckState(*engine, acked, "after power loss");
}

}  // namespace
}  // namespace seglake::testing
