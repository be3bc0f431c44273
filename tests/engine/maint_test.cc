// fsck, scrub, snapshot, upload expiry and maintenance mode on a real data
// dir, with the damage made by hand.
#include <filesystem>
#include <fstream>

#include <boost/test/unit_test.hpp>

#include "engine_fixture.h"

using namespace seglake;
using namespace seglake::testing;
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> SegmentFiles(const std::string& data_dir) {
  std::vector<fs::path> out;
  for (auto& e : fs::directory_iterator(data_dir + "/segments")) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

bool HasKind(const std::vector<Problem>& ps, const std::string& kind, const std::string& key = "") {
  for (auto& p : ps)
    if (p.kind == kind && (key.empty() || p.key == key)) return true;
  return false;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(maint, EngineFixture)

BOOST_AUTO_TEST_CASE(clean_dir_is_clean) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  MustPut("b", "a", Pattern(3 << 20, 1));
  MustPut("b", "c", "small");
  CopyOptions co;
  co.range_first = 100;
  co.range_last = 2000000;
  BOOST_REQUIRE(e->Copy("b", "a", "b", "slice", co).has_value());
  auto u = e->CreateUpload("b", "mp", {});
  BOOST_REQUIRE(u.has_value());
  auto w = e->BeginPart(u->upload_id, 1);
  BOOST_REQUIRE(w.has_value());
  BOOST_REQUIRE((*w)->Append("part", 4).ok());
  BOOST_REQUIRE((*w)->Commit().has_value());
  uint64_t calls = 0;
  auto f = e->Fsck([&](uint64_t, uint64_t) { return ++calls > 0; });
  BOOST_REQUIRE(f.has_value());
  BOOST_TEST(f->problems.empty());
  BOOST_TEST(f->versions == 3u);
  BOOST_TEST(f->parts == 1u);
  BOOST_TEST(f->extents >= 5u);
  BOOST_TEST(f->records_checked >= 3u);
  BOOST_TEST(calls >= 1u);
  auto s = e->Scrub(true);
  BOOST_REQUIRE(s.has_value());
  BOOST_TEST(s->problems.empty());
  BOOST_TEST(s->bytes >= (3u << 20));
  // Both runs are remembered for `seglake status`.
  std::ifstream in(opts.data_dir + "/maint.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_TEST(text.find("\"fsck\"") != std::string::npos);
  BOOST_TEST(text.find("\"scrub\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(flipped_bytes_are_found_by_scrub_and_marked) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  std::string big = Pattern(2 << 20, 2);
  MustPut("b", "victim", big);
  MustPut("b", "bystander", "fine");
  BOOST_REQUIRE(e->SealActiveSegment().ok());
  e.reset();
  // Flip a byte in the middle of the first data record.
  auto segs = SegmentFiles(opts.data_dir);
  BOOST_REQUIRE(!segs.empty());
  {
    std::fstream f(segs.front(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40 + 16 + 1000);
    char c;
    f.seekg(40 + 16 + 1000);
    f.get(c);
    f.seekp(40 + 16 + 1000);
    f.put(static_cast<char>(c ^ 0x5a));
  }
  Reopen();
  auto s = e->Scrub(true);
  BOOST_REQUIRE(s.has_value());
  BOOST_TEST(s->bad_records == 1u);
  BOOST_TEST(s->damaged_versions == 1u);
  BOOST_TEST(HasKind(s->problems, "damaged-version", "victim"));
  // Marked: reads fail cleanly, metadata still answers; others are fine.
  auto r = e->OpenRead("b", "victim");
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().IsCorruption());
  BOOST_TEST(e->Head("b", "victim").has_value());
  BOOST_TEST(MustRead("b", "bystander") == "fine");
}

BOOST_AUTO_TEST_CASE(truncated_segment_is_found_by_fsck) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  MustPut("b", "k", Pattern(3 << 20, 3));
  BOOST_REQUIRE(e->SealActiveSegment().ok());
  e.reset();
  auto segs = SegmentFiles(opts.data_dir);
  BOOST_REQUIRE(!segs.empty());
  fs::resize_file(segs.front(), fs::file_size(segs.front()) / 2);
  Reopen();
  auto f = e->Fsck();
  BOOST_REQUIRE(f.has_value());
  BOOST_TEST(HasKind(f->problems, "extent-out-of-bounds", "k"));
}

BOOST_AUTO_TEST_CASE(missing_segment_is_found_by_fsck) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  MustPut("b", "k", "data");
  BOOST_REQUIRE(e->SealActiveSegment().ok());
  e.reset();
  for (auto& p : SegmentFiles(opts.data_dir)) fs::remove(p);
  Reopen();
  auto f = e->Fsck();
  BOOST_REQUIRE(f.has_value());
  BOOST_TEST(HasKind(f->problems, "missing-segment", "k"));
}

BOOST_AUTO_TEST_CASE(snapshot_opens_as_a_data_dir) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  std::string big = Pattern(3 << 20, 4);
  MustPut("b", "sealed", big);
  BOOST_REQUIRE(e->SealActiveSegment().ok());
  MustPut("b", "open", "in the open segment");
  std::string dest = dir.Sub("snap");
  BOOST_REQUIRE(e->Snapshot(dest).ok());
  // Writes after the snapshot do not reach it.
  MustPut("b", "later", "not in the snapshot");
  BOOST_TEST(e->Snapshot(dest).IsAlreadyExists());
  Options so = opts;
  so.data_dir = dest;
  auto snap = Engine::Open(so);
  BOOST_REQUIRE_MESSAGE(snap.has_value(), (snap ? "" : snap.error().ToString()));
  BOOST_TEST(*(*snap)->ReadAll("b", "sealed") == big);
  BOOST_TEST(*(*snap)->ReadAll("b", "open") == "in the open segment");
  BOOST_TEST(!(*snap)->Head("b", "later").has_value());
  auto f = (*snap)->Fsck();
  BOOST_REQUIRE(f.has_value());
  BOOST_TEST(f->problems.empty());
  // The source keeps working.
  BOOST_TEST(MustRead("b", "later") == "not in the snapshot");
}

BOOST_AUTO_TEST_CASE(maintenance_mode_refuses_writes_everywhere) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  MustPut("b", "k", "v");
  BOOST_REQUIRE(e->SetMaintenance(true).ok());
  BOOST_TEST(*e->Maintenance());
  auto p = e->Put("b", "k2", "v2");
  BOOST_REQUIRE(!p.has_value());
  BOOST_TEST(p.error().IsBusy());
  BOOST_TEST(p.error().detail() == "Maintenance");
  BOOST_TEST(MustRead("b", "k") == "v");  // reads still work
  // A second engine (another process) sees it too.
  Options o2 = opts;
  auto other = Engine::Open(o2);
  BOOST_REQUIRE(other.has_value());
  BOOST_TEST(!(*other)->Put("b", "k3", "x").has_value());
  BOOST_REQUIRE(e->SetMaintenance(false).ok());
  BOOST_TEST((*other)->Put("b", "k3", "x").has_value());
}

BOOST_AUTO_TEST_CASE(old_uploads_expire) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  auto u1 = e->CreateUpload("b", "one", {});
  auto u2 = e->CreateUpload("b", "two", {});
  BOOST_REQUIRE(u1 && u2);
  auto n = e->AbortUploadsOlderThan(3600ull * 1'000'000'000);
  BOOST_REQUIRE(n.has_value());
  BOOST_TEST(*n == 0u);
  n = e->AbortUploadsOlderThan(0);
  BOOST_REQUIRE(n.has_value());
  BOOST_TEST(*n == 2u);
  BOOST_TEST(!e->GetUpload(u1->upload_id).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
