// A full disk fails the write that met it, and only that one: once space is
// free again, writes work in the same process, everything acknowledged
// before and after reads back, and fsck finds nothing (FaultEnv plays the
// full disk, with short writes that leave a torn tail to undo).
#include <boost/test/unit_test.hpp>

#include "engine_fixture.h"
#include "seglake/maint.h"
#include "util/fault_env.h"

using namespace seglake;
using namespace seglake::testing;

namespace {

struct FullDisk {
  TempDir dir;
  FaultEnv env;
  Options opts;
  std::unique_ptr<Engine> e;

  FullDisk() {
    opts.data_dir = dir.Sub("data");
    opts.env = &env;
    opts.background_thread = false;
    opts.segment_target_bytes = 64 << 10;  // rotations (seals, new segments) come often
    Open();
    BOOST_REQUIRE(e->CreateBucket("b", "us-east-1").ok());
  }
  void Open() {
    e.reset();
    auto r = Engine::Open(opts);
    BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error().ToString()));
    e = std::move(*r);
  }
  // Fails the nth segment write from now with ENOSPC, after writing part of it.
  void ArmSegmentWrite(uint64_t nth, size_t partial) {
    Fault f;
    f.op = Fault::Op::kPWrite;
    f.nth = nth;
    f.status = Status::NoSpace("injected ENOSPC");
    f.short_write_bytes = partial;
    f.path_suffix = ".seg";
    env.Arm(f);
  }
  void CheckClean(const std::map<std::string, std::string>& acked) {
    for (const auto& [k, v] : acked) {
      auto r = e->ReadAll("b", k);
      BOOST_REQUIRE_MESSAGE(r.has_value(), k << ": " << (r ? "" : r.error().ToString()));
      BOOST_CHECK_MESSAGE(*r == v, k << " changed");
    }
    auto f = e->Fsck();
    BOOST_REQUIRE(f.has_value());
    for (const auto& p : f->problems) BOOST_ERROR("fsck: " << p.kind << " " << p.key);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(nospace)

BOOST_AUTO_TEST_CASE(each_segment_write_can_meet_a_full_disk_and_writes_recover) {
  // Walk the fault over the writes of a put stream: data records (large and
  // small), metadata log batches, footers and trailers of seals, headers of
  // new segments. After each: the failed put is not visible, the next puts
  // work without reopening, and a reopen plus fsck is clean.
  std::map<std::string, std::string> acked;
  int failures = 0;
  for (uint64_t nth = 1; nth <= 24; ++nth) {
    FullDisk d;
    int i = 0;
    auto put = [&](bool expect_ok) {
      const std::string key = "k" + std::to_string(i);
      const std::string data = Pattern(i % 3 == 0 ? 40000 : 3000, static_cast<uint32_t>(i));
      ++i;
      auto r = d.e->Put("b", key, data);
      if (r) {
        acked[key] = data;
      } else {
        BOOST_CHECK_MESSAGE(
            !expect_ok, "fault at write " << nth << ", " << key << ": " << r.error().ToString());
        BOOST_CHECK_MESSAGE(r.error().code() == Status::Code::kNoSpace,
                            "fault at write " << nth << ": " << r.error().ToString());
        BOOST_CHECK_MESSAGE(!d.e->ReadAll("b", key).has_value(), key << " visible after failing");
        ++failures;
      }
    };
    acked.clear();
    d.ArmSegmentWrite(nth, nth % 2 == 0 ? 7 : 0);
    for (int n = 0; n < 12; ++n) put(false);
    BOOST_CHECK(d.env.fired());
    d.env.Disarm();
    // Space is back: every write works, in the same process.
    for (int n = 0; n < 8; ++n) put(true);
    d.CheckClean(acked);
    d.Open();
    d.CheckClean(acked);
  }
  // A fault that meets a seal's footer or trailer fails no put (the segment
  // stays open and is sealed later); every other one fails exactly its put.
  BOOST_TEST(failures >= 20);
}

BOOST_AUTO_TEST_CASE(failed_sync_still_disables_writes) {
  FullDisk d;
  Fault f;
  f.op = Fault::Op::kSync;
  f.nth = 1;
  f.status = Status::IOError("injected EIO on fsync");
  f.path_suffix = ".seg";
  d.env.Arm(f);
  BOOST_CHECK(!d.e->Put("b", "a", "x").has_value());
  d.env.Disarm();
  // Never retried and then acknowledged (DESIGN.md, "acked means durable").
  BOOST_CHECK(!d.e->Put("b", "c", "y").has_value());
  d.Open();
  BOOST_CHECK(d.e->Put("b", "c", "y").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
