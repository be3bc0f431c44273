// Invariant 6: many processes, one data dir. Several seglake-crash-child
// processes write at once (own prefixes plus one shared key); every acked op
// of each must be there, the shared key must hold the last acked content
// intact, and the change sequence must carry every acked op in order. And a
// write acked by one process is visible to another process at once.
//
// SEGLAKE_SEED=n replays the op choices; SEGLAKE_MULTIPROC_OPS changes the
// number of ops per child.
#define BOOST_TEST_MODULE multiproc
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "ack_log.h"
#include "child_proc.h"
#include "seglake/engine.h"
#include "test_seed.h"
#include "util/stall_env.h"
#include "util/temp_dir.h"

namespace seglake::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::unique_ptr<Engine> MustOpen(const std::string& data) {
  Options o;
  o.data_dir = data;
  o.min_part_bytes = 1024;
  auto e = Engine::Open(o);
  BOOST_REQUIRE_MESSAGE(e, "open: " << ErrorText(e));
  return std::move(*e);
}

BOOST_AUTO_TEST_CASE(concurrent_writers_keep_every_ack) {
  const uint64_t seed = TestSeed();
  BOOST_TEST_MESSAGE("multiproc seed " << seed << " (SEGLAKE_SEED=" << seed << ")");
  const std::string child = ChildBinary();
  BOOST_REQUIRE_MESSAGE(!child.empty(), "seglake-crash-child not found");
  const long n_ops = EnvLong("SEGLAKE_MULTIPROC_OPS", 150);
  const int workers = 3;
  TempDir dir;
  const std::string data = dir.Sub("data");
  {
    // Create the data dir first so the children race on writes, not on setup.
    auto e = MustOpen(data);
    BOOST_REQUIRE(e->CreateBucket(kChildBucket, "us-east-1").ok());
  }
  std::vector<std::unique_ptr<ChildProcess>> procs;
  std::vector<std::vector<std::string>> lines(workers);
  for (int w = 0; w < workers; ++w) {
    procs.push_back(std::make_unique<ChildProcess>());
    std::string err =
        procs.back()->Spawn({child, data, std::to_string(seed * 7 + static_cast<uint64_t>(w)),
                             std::to_string(w + 1), std::to_string(n_ops), "--shared"},
                            false);
    BOOST_REQUIRE_MESSAGE(err.empty(), err);
  }
  std::vector<bool> open(workers, true);
  auto limit = Clock::now() + std::chrono::seconds(150);
  while (Clock::now() < limit) {
    bool any = false;
    for (int w = 0; w < workers; ++w) {
      if (!open[w]) continue;
      any = true;
      open[w] = procs[w]->ReadLines(Clock::now() + milliseconds(20), &lines[w]);
    }
    if (!any) break;
  }
  for (int w = 0; w < workers; ++w) {
    if (open[w]) procs[w]->Kill();
    int status = procs[w]->Wait();
    BOOST_REQUIRE_MESSAGE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                          "worker " << w + 1 << " failed (status " << status << "), last line: "
                                    << (lines[w].empty() ? "" : lines[w].back()));
  }

  struct SharedAck {
    uint64_t seq;
    std::string etag;
    Bytes data;
    int worker;
  };
  std::vector<SharedAck> shared;
  std::map<uint64_t, std::string> acked_changes;  // seq -> key
  std::vector<KeyState> states(workers);
  for (int w = 0; w < workers; ++w) {
    AckLog log;
    for (const auto& l : lines[w]) {
      std::string e = log.Feed(l);
      BOOST_REQUIRE_MESSAGE(e.empty(), "worker " << w + 1 << ": " << e);
    }
    BOOST_REQUIRE_MESSAGE(log.errors().empty(),
                          "worker " << w + 1 << " reported " << FirstOr(log.errors()));
    BOOST_REQUIRE_MESSAGE(log.done(), "worker " << w + 1 << " did not finish");
    uint64_t last_seq = 0;
    for (const auto& op : log.ops()) {
      BOOST_REQUIRE(op.acked);
      if (op.seq) {
        BOOST_CHECK_MESSAGE(op.seq > last_seq,
                            "worker " << w + 1 << ": seq " << op.seq << " after " << last_seq);
        last_seq = op.seq;
        auto [it, fresh] = acked_changes.emplace(op.seq, op.begin[op.begin[0] == "copy" ? 2 : 1]);
        BOOST_CHECK_MESSAGE(fresh, "two acked ops share seq " << op.seq);
      }
      if (op.begin[1] == kSharedKey) {
        KeyState one;
        BOOST_REQUIRE(ApplyOp(op, one).empty());
        shared.push_back(SharedAck{op.seq, op.etag, one[kSharedKey].data, w + 1});
        continue;
      }
      std::string e = ApplyOp(op, states[w]);
      BOOST_REQUIRE_MESSAGE(e.empty(), "worker " << w + 1 << ": " << e);
    }
    BOOST_TEST_MESSAGE("worker " << w + 1 << ": " << log.ops().size() << " acked ops, "
                                 << states[w].size() << " keys");
  }

  auto engine = MustOpen(data);
  for (int w = 0; w < workers; ++w) {
    std::string diff = VerifyKeys(*engine, "w" + std::to_string(w + 1) + "/", states[w]);
    BOOST_CHECK_MESSAGE(diff.empty(), "worker " << w + 1 << ":\n" << diff);
  }

  // The shared key holds the acked write with the highest seq, intact.
  if (!shared.empty()) {
    const SharedAck* last = &shared.front();
    for (const auto& s : shared) {
      if (s.seq > last->seq) last = &s;
    }
    auto h = engine->Head(kChildBucket, kSharedKey);
    BOOST_REQUIRE_MESSAGE(h, "shared key: " << ErrorText(h));
    auto got = engine->ReadAll(kChildBucket, kSharedKey);
    BOOST_REQUIRE(got);
    bool is_one = false;
    for (const auto& s : shared) is_one = is_one || (*got == *s.data && h->etag == s.etag);
    BOOST_CHECK_MESSAGE(is_one,
                        "shared key holds none of the " << shared.size() << " acked contents");
    BOOST_CHECK_MESSAGE(*got == *last->data && h->etag == last->etag && h->seq == last->seq,
                        "shared key is not the last acked write (seq "
                            << last->seq << " by worker " << last->worker << "); it has seq "
                            << h->seq);
  }

  // The change sequence: ordered, and every acked op's seq is there.
  auto changes = engine->ChangesSince(0, 1000000);
  BOOST_REQUIRE_MESSAGE(changes, "ChangesSince: " << ErrorText(changes));
  std::set<std::pair<uint64_t, std::string>> seen;
  uint64_t prev = 0;
  for (const auto& c : *changes) {
    BOOST_CHECK_MESSAGE(c.seq >= prev, "change seq " << c.seq << " after " << prev);
    BOOST_CHECK_EQUAL(c.bucket, kChildBucket);
    prev = c.seq;
    seen.emplace(c.seq, c.key);
  }
  for (const auto& [seq, key] : acked_changes) {
    BOOST_CHECK_MESSAGE(seen.count({seq, key}),
                        "acked change seq " << seq << " key " << key << " missing");
  }
  auto last = engine->LastSeq();
  BOOST_REQUIRE(last);
  BOOST_CHECK_GE(*last, prev);
  if (!acked_changes.empty()) BOOST_CHECK_GE(*last, acked_changes.rbegin()->first);
  // Paging through ChangesSince gives the same sequence.
  std::vector<Change> paged;
  uint64_t cursor = 0;
  for (int guard = 0; guard < 100000; ++guard) {
    auto page = engine->ChangesSince(cursor, 7);
    BOOST_REQUIRE(page);
    if (page->empty()) break;
    for (const auto& c : *page) paged.push_back(c);
    cursor = page->back().seq;
  }
  BOOST_CHECK_MESSAGE(paged.size() == changes->size(), "paging ChangesSince by 7 gives "
                                                           << paged.size() << " changes, one call "
                                                           << changes->size()
                                                           << " (a page cut inside one seq?)");
}

// A follower pages through the change sequence with the last seq it saw as
// the cursor. One op can log several changes under one seq (a rename: the
// source and the destination); a page must not end inside such a group, or
// the follower never sees the rest.
BOOST_AUTO_TEST_CASE(changes_since_pages_keep_every_change_of_a_seq) {
  TempDir dir;
  auto engine = MustOpen(dir.Sub("data"));
  BOOST_REQUIRE(engine->CreateBucket("b", "r").ok());
  BOOST_REQUIRE(engine->Put("b", "a", "x"));
  BOOST_REQUIRE(engine->Rename("b", "a", "c", false, false).ok());
  BOOST_REQUIRE(engine->Put("b", "d/1", "x"));
  BOOST_REQUIRE(engine->Put("b", "d/2", "x"));
  BOOST_REQUIRE(engine->Rename("b", "d/", "e/", true, false).ok());
  auto all = engine->ChangesSince(0, 1000);
  BOOST_REQUIRE(all);
  for (uint32_t limit = 1; limit <= 4; ++limit) {
    std::vector<std::pair<uint64_t, std::string>> paged;
    uint64_t cursor = 0;
    for (int guard = 0; guard < 100; ++guard) {
      auto page = engine->ChangesSince(cursor, limit);
      BOOST_REQUIRE(page);
      if (page->empty()) break;
      for (const auto& c : *page) paged.emplace_back(c.seq, c.key);
      cursor = page->back().seq;
    }
    std::vector<std::pair<uint64_t, std::string>> want;
    for (const auto& c : *all) want.emplace_back(c.seq, c.key);
    BOOST_CHECK_MESSAGE(paged == want, "pages of " << limit << " give " << paged.size()
                                                   << " changes, one call " << want.size());
  }
}

BOOST_AUTO_TEST_CASE(write_in_one_process_is_visible_in_another_at_once) {
  const uint64_t seed = TestSeed();
  BOOST_TEST_MESSAGE("visibility seed " << seed);
  const std::string child = ChildBinary();
  BOOST_REQUIRE_MESSAGE(!child.empty(), "seglake-crash-child not found");
  TempDir dir;
  const std::string data = dir.Sub("data");
  auto engine = MustOpen(data);
  BOOST_REQUIRE(engine->CreateBucket(kChildBucket, "us-east-1").ok());
  // Warm the reader side: listings and a cached manifest before the child writes.
  BOOST_REQUIRE(engine->List(kChildBucket, {}));

  ChildProcess p;
  std::string err = p.Spawn({child, data, std::to_string(seed), "7", "60", "--step"}, true);
  BOOST_REQUIRE_MESSAGE(err.empty(), err);
  AckLog log;
  KeyState state;
  std::vector<std::string> lines;
  size_t fed = 0, acks = 0;
  auto limit = Clock::now() + std::chrono::seconds(120);
  bool eof = false;
  while (!eof && Clock::now() < limit) {
    eof = !p.ReadLines(Clock::now() + milliseconds(20), &lines);
    for (; fed < lines.size(); ++fed) {
      std::string e = log.Feed(lines[fed]);
      BOOST_REQUIRE_MESSAGE(e.empty(), e);
      BOOST_REQUIRE_MESSAGE(log.errors().empty(), "child: " << FirstOr(log.errors()));
      if (log.ops().empty() || !log.ops().back().acked || lines[fed].rfind("ack", 0) != 0) {
        continue;
      }
      const AckOp& op = log.ops().back();
      e = ApplyOp(op, state);
      BOOST_REQUIRE_MESSAGE(e.empty(), e);
      // The other process acked: this one must see it now, without waiting.
      std::string diff = VerifyKeys(*engine, "w7/", state, OpKeys(op));
      BOOST_REQUIRE_MESSAGE(diff.empty(), "after " << DescribeOp(op) << ":\n" << diff);
      NarrowEtags(*engine, state);
      if (op.seq) {
        auto last = engine->LastSeq();
        BOOST_REQUIRE(last);
        BOOST_CHECK_GE(*last, op.seq);
      }
      ++acks;
      BOOST_REQUIRE(p.WriteLine("go"));
    }
  }
  if (!eof) p.Kill();
  int status = p.Wait();
  BOOST_CHECK_MESSAGE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status " << status);
  BOOST_CHECK(log.done());
  BOOST_CHECK_GT(acks, 0u);
  BOOST_TEST_MESSAGE(acks << " acked writes seen at once by the other process");
}

// A segment file exists before its header does (exclusive create, then the
// header). An engine opening the data dir in that window cannot tell whose it
// is, so it must leave it alone: here its owner is alive and about to ack a
// write into it. (Two engines in one process stand for two processes.)
BOOST_AUTO_TEST_CASE(opening_beside_a_segment_being_created_keeps_it) {
  TempDir dir;
  StallEnv env;
  Options o;
  o.data_dir = dir.Sub("data");
  o.env = &env;
  o.background_thread = false;
  auto first = Engine::Open(o);
  BOOST_REQUIRE_MESSAGE(first, "open: " << ErrorText(first));
  BOOST_REQUIRE((*first)->CreateBucket("b", "r").ok());
  BOOST_REQUIRE((*first)->SealActiveSegment().ok());  // the next write creates a segment
  env.Arm(StallEnv::Op::kPWrite, ".seg");             // and stalls before its header
  Result<ObjectInfo> put = Err(Status::IOError("not run"));
  std::thread writer([&] { put = (*first)->Put("b", "k", "acked data"); });
  env.WaitStalled();
  Options o2 = o;
  o2.env = nullptr;
  auto second = Engine::Open(o2);  // recovery runs while the segment has no header
  env.Release();
  writer.join();
  BOOST_REQUIRE_MESSAGE(second, "open beside a segment being created: " << ErrorText(second));
  BOOST_REQUIRE_MESSAGE(put, "put: " << ErrorText(put));
  for (Engine* e : {first->get(), second->get()}) {
    auto r = e->ReadAll("b", "k");
    BOOST_CHECK_MESSAGE(r && *r == "acked data", "acked write unreadable: " << ErrorText(r));
  }
}

}  // namespace
}  // namespace seglake::testing
