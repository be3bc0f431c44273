// Invariant 7: the log is the truth. After random ops, meta.db is thrown away
// and rebuilt from the segments alone; buckets (with versioning), every
// version and delete marker with its id, contents, open uploads and their
// parts must come back exactly, and the engine must go on working.
//
// SEGLAKE_SEED=n replays a run; SEGLAKE_REBUILD_OPS changes its length.
#define BOOST_TEST_MODULE crash_rebuild
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "model.h"
#include "random_ops.h"
#include "seglake/engine.h"
#include "test_seed.h"
#include "util/fault_env.h"
#include "util/temp_dir.h"

namespace seglake::testing {
namespace {

using Outcome = RandomOps::Outcome;
namespace fs = std::filesystem;

void RemoveMetaDb(const std::string& dir) {
  for (const char* name : {"meta.db", "meta.db-wal", "meta.db-shm", "meta.db-journal"}) {
    std::error_code ec;
    fs::remove(fs::path(dir) / name, ec);
  }
}

std::unique_ptr<Engine> MustOpen(const Options& o) {
  auto e = Engine::Open(o);
  BOOST_REQUIRE_MESSAGE(e, "open: " << ErrorText(e));
  return std::move(*e);
}

void MustRun(RandomOps& ops, int n, uint64_t seed) {
  Outcome out = ops.Run(n);
  BOOST_REQUIRE_MESSAGE(out == Outcome::kOk, "seed " << seed << ": " << ops.error()
                                                     << "\nrecent ops:\n"
                                                     << ops.RecentOps());
}

void MustMatch(RandomOps& ops, uint64_t seed, const char* when) {
  std::string err = ops.CheckAll(true);
  if (err.empty()) err = ops.CheckListings();
  BOOST_REQUIRE_MESSAGE(err.empty(), "seed " << seed << " " << when << ":\n"
                                             << err << "recent ops:\n"
                                             << ops.RecentOps());
}

BOOST_AUTO_TEST_CASE(rebuild_index_recovers_everything) {
  const uint64_t seed = TestSeed();
  BOOST_TEST_MESSAGE("rebuild seed " << seed << " (SEGLAKE_SEED=" << seed << " replays)");
  const int n_ops = static_cast<int>(EnvLong("SEGLAKE_REBUILD_OPS", 700));
  TempDir dir;
  Options o;
  o.data_dir = dir.Sub("data");
  o.min_part_bytes = 1024;
  o.segment_target_bytes = 4ull << 20;  // many sealed segments plus an open one
  RandomOpsConfig cfg;
  cfg.big_fraction = 0.04;

  Model model;
  auto engine = MustOpen(o);
  RandomOps ops(engine.get(), &model, seed, cfg);
  BOOST_REQUIRE(ops.Setup() == Outcome::kOk);
  MustRun(ops, n_ops, seed);
  MustMatch(ops, seed, "before rebuild");
  auto seq_before = engine->LastSeq();
  BOOST_REQUIRE(seq_before);
  BOOST_TEST_MESSAGE(model.VersionCount() << " versions, " << model.uploads.size()
                                          << " open uploads, last seq " << *seq_before);

  // 1. meta.db deleted, rebuilt from the segments alone.
  BOOST_REQUIRE(engine->Close().ok());
  engine.reset();
  RemoveMetaDb(o.data_dir);
  Status s = RebuildIndex(o.data_dir);
  BOOST_REQUIRE_MESSAGE(s.ok(), "rebuild: " << s.ToString());
  engine = MustOpen(o);
  ops.set_engine(engine.get());
  MustMatch(ops, seed, "after rebuild without meta.db");
  auto seq_after = engine->LastSeq();
  BOOST_REQUIRE(seq_after);
  BOOST_CHECK_GE(*seq_after, *seq_before);

  // The rebuilt index takes new writes without reusing version ids or seqs.
  MustRun(ops, n_ops / 3, seed);
  MustMatch(ops, seed, "after more ops on the rebuilt index");

  // 2. Rebuild with meta.db present: it is set aside, the result is the same,
  // and the log written after the first rebuild is replayed too. The open
  // segment is left unsealed this time (no Close before destruction is
  // still a clean shutdown: the destructor closes).
  engine.reset();
  s = RebuildIndex(o.data_dir);
  BOOST_REQUIRE_MESSAGE(s.ok(), "second rebuild: " << s.ToString());
  bool kept = false;
  for (const auto& e : fs::directory_iterator(o.data_dir)) {
    if (e.path().filename().string().rfind("meta.db.old-", 0) == 0) kept = true;
  }
  BOOST_CHECK_MESSAGE(kept, "the old meta.db was not kept as meta.db.old-<time>");
  engine = MustOpen(o);
  ops.set_engine(engine.get());
  MustMatch(ops, seed, "after the second rebuild");
  MustRun(ops, 50, seed);
  MustMatch(ops, seed, "after ops following the second rebuild");
}

BOOST_AUTO_TEST_CASE(rebuild_of_an_empty_data_dir) {
  TempDir dir;
  Options o;
  o.data_dir = dir.Sub("data");
  {
    auto engine = MustOpen(o);
    BOOST_REQUIRE(engine->CreateBucket("only", "r1").ok());
    BOOST_REQUIRE(engine->SetVersioning("only", Versioning::kSuspended).ok());
  }
  RemoveMetaDb(o.data_dir);
  Status s = RebuildIndex(o.data_dir);
  BOOST_REQUIRE_MESSAGE(s.ok(), "rebuild: " << s.ToString());
  auto engine = MustOpen(o);
  auto b = engine->GetBucket("only");
  BOOST_REQUIRE_MESSAGE(b, "bucket lost: " << ErrorText(b));
  BOOST_CHECK(b->versioning == Versioning::kSuspended);
  BOOST_CHECK_EQUAL(b->region, "r1");
  auto list = engine->ListBuckets();
  BOOST_REQUIRE(list);
  BOOST_CHECK_EQUAL(list->size(), 1u);
}

// A segment file without a header (its creator died between the exclusive
// create and the header, or is still writing it): recovery cannot tell whose
// it is and leaves it; rebuild-index, with every engine excluded, removes it.
BOOST_AUTO_TEST_CASE(a_segment_without_a_header_is_left_by_recovery_removed_by_rebuild) {
  TempDir dir;
  Options o;
  o.data_dir = dir.Sub("data");
  {
    auto engine = MustOpen(o);
    BOOST_REQUIRE(engine->CreateBucket("b", "r").ok());
    BOOST_REQUIRE(engine->Put("b", "k", "v"));
  }
  const std::string empty = o.data_dir + "/segments/00000000000000ab.seg";
  auto f = Env::Default()->Open(empty, OpenOptions{.write = true, .create = true});
  BOOST_REQUIRE(f);
  BOOST_REQUIRE((*f)->PWrite(0, "seg", 3).ok());  // a torn header
  f->reset();
  {
    auto engine = MustOpen(o);
    BOOST_CHECK(engine->ReadAll("b", "k"));
  }
  BOOST_CHECK_MESSAGE(fs::exists(empty), "recovery removed a segment whose owner it cannot know");
  Status s = RebuildIndex(o.data_dir);
  BOOST_REQUIRE_MESSAGE(s.ok(), "rebuild: " << s.ToString());
  BOOST_CHECK(!fs::exists(empty));
  auto engine = MustOpen(o);
  auto r = engine->ReadAll("b", "k");
  BOOST_REQUIRE(r);
  BOOST_CHECK_EQUAL(*r, "v");
}

// A commit whose segment sync failed wrote its log record but never reached
// meta.db; the process then died without a power loss, so the record stays
// in the file. The op was reported failed and recovery does not show it:
// rebuild-index must not bring it back.
BOOST_AUTO_TEST_CASE(rebuild_does_not_resurrect_a_failed_commit) {
  TempDir dir;
  FaultEnv fenv;
  Options o;
  o.data_dir = dir.Sub("data");
  o.env = &fenv;
  auto engine = MustOpen(o);
  BOOST_REQUIRE(engine->CreateBucket("b", "r").ok());
  BOOST_REQUIRE(engine->Put("b", "acked", "acked"));
  Fault f;
  f.op = Fault::Op::kSync;
  f.crash = true;
  fenv.Arm(f);
  auto ghost = engine->Put("b", "ghost", "never acknowledged");
  BOOST_REQUIRE(!ghost);
  engine.reset();  // the process dies; what it wrote stays in the page cache
  o.env = nullptr;
  engine = MustOpen(o);
  BOOST_CHECK(engine->Head("b", "acked"));
  BOOST_REQUIRE_MESSAGE(!engine->Head("b", "ghost"), "a failed put is visible after recovery");
  engine.reset();
  Status s = RebuildIndex(o.data_dir);
  BOOST_REQUIRE_MESSAGE(s.ok(), "rebuild: " << s.ToString());
  engine = MustOpen(o);
  BOOST_CHECK(engine->Head("b", "acked"));
  BOOST_CHECK_MESSAGE(!engine->Head("b", "ghost"),
                      "rebuild-index resurrected a put that failed and was never visible");
}

}  // namespace
}  // namespace seglake::testing
