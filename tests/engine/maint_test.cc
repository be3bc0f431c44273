// fsck, scrub, snapshot, upload expiry and maintenance mode on a real data
// dir, with the damage made by hand.
#include <sys/stat.h>
#include <unistd.h>

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

// Objects are private data: a data dir is 0700 and its files 0600 (meta.db,
// its WAL and -shm, segments, locks, leases), whatever the umask; so is a
// snapshot.
BOOST_AUTO_TEST_CASE(files_are_private_whatever_the_umask) {
  for (mode_t mask : {mode_t{0}, mode_t{022}}) {
    const mode_t old = ::umask(mask);
    Options o = opts;
    o.data_dir = dir.Sub("private-" + std::to_string(mask));
    std::string snap = o.data_dir + "-snap";
    {
      auto p = Engine::Open(o);
      BOOST_REQUIRE(p.has_value());
      BOOST_REQUIRE((*p)->CreateBucket("b", "").ok());
      BOOST_REQUIRE((*p)->Put("b", "k", Pattern(2 << 20, 5)).has_value());
      BOOST_REQUIRE((*p)->SealActiveSegment().ok());
      BOOST_REQUIRE((*p)->Put("b", "k2", "open").has_value());
      BOOST_REQUIRE((*p)->Snapshot(snap).ok());
      for (const std::string& root : {o.data_dir, snap}) {
        BOOST_TEST(((fs::status(root).permissions() & fs::perms::all) == fs::perms::owner_all));
        int files = 0;
        for (auto& entry : fs::recursive_directory_iterator(root)) {
          const auto perms = entry.status().permissions() & fs::perms::all;
          if (entry.is_directory()) {
            BOOST_TEST((perms == fs::perms::owner_all), entry.path());
          } else {
            BOOST_TEST((perms == (fs::perms::owner_read | fs::perms::owner_write)), entry.path());
            ++files;
          }
        }
        BOOST_TEST(files >= 3);
      }
    }
    ::umask(old);
  }
}

// A service user owns the data dir; an admin works on it as root (`sudo
// seglake compact run`, a mount started as root). Every file and directory
// root makes there takes the data dir's owner, so the service can still read
// it. Only root can set that up, so elsewhere the case checks nothing.
BOOST_AUTO_TEST_CASE(files_made_by_root_take_the_data_dirs_owner) {
  if (::geteuid() != 0) {
    BOOST_TEST_MESSAGE("not root: ownership inheritance cannot be set up here");
    return;
  }
  const uid_t uid = 65534;  // nobody
  const gid_t gid = 65534;
  Options o = opts;
  o.data_dir = dir.Sub("service-owned");
  BOOST_REQUIRE(::mkdir(o.data_dir.c_str(), 0700) == 0);
  BOOST_REQUIRE(::chown(o.data_dir.c_str(), uid, gid) == 0);
  {
    auto p = Engine::Open(o);
    BOOST_REQUIRE(p.has_value());
    BOOST_REQUIRE((*p)->CreateBucket("b", "").ok());
    BOOST_REQUIRE((*p)->Put("b", "k", Pattern(2 << 20, 6)).has_value());
    BOOST_REQUIRE((*p)->SealActiveSegment().ok());
    BOOST_REQUIRE((*p)->Put("b", "k2", "open").has_value());
    int entries = 0;
    for (auto& entry : fs::recursive_directory_iterator(o.data_dir)) {
      struct stat st;
      BOOST_REQUIRE(::lstat(entry.path().c_str(), &st) == 0);
      BOOST_TEST(st.st_uid == uid, entry.path());
      BOOST_TEST(st.st_gid == gid, entry.path());
      ++entries;
    }
    BOOST_TEST(entries >= 5);  // segments/, two segments, meta.db, WAL, -shm, locks
  }
  // A data dir root owns stays root's.
  Options r = opts;
  r.data_dir = dir.Sub("root-owned");
  auto p = Engine::Open(r);
  BOOST_REQUIRE(p.has_value());
  BOOST_REQUIRE((*p)->CreateBucket("b", "").ok());
  for (auto& entry : fs::recursive_directory_iterator(r.data_dir)) {
    struct stat st;
    BOOST_REQUIRE(::lstat(entry.path().c_str(), &st) == 0);
    BOOST_TEST(st.st_uid == 0u, entry.path());
  }
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

namespace {
struct GcFixture : EngineFixture {
  size_t SegmentCount() { return SegmentFiles(opts.data_dir).size(); }
  GcReport Gc() {
    auto r = e->CollectGarbage(false, 0);
    BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error().ToString()));
    return *r;
  }
  void ExpectClean() {
    auto f = e->Fsck();
    BOOST_REQUIRE(f.has_value());
    for (auto& p : f->problems) BOOST_TEST_MESSAGE(p.kind << " " << p.key << " " << p.detail);
    BOOST_TEST(f->problems.empty());
  }
};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(gc, GcFixture)

BOOST_AUTO_TEST_CASE(unreferenced_segment_is_condemned_then_deleted_and_logs_survive) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  MustPut("b", "gone", Pattern(2 << 20, 5));
  BOOST_REQUIRE(e->SealActiveSegment().ok());
  std::string keep = Pattern(1 << 20, 6);
  MustPut("b", "kept", keep);
  BOOST_REQUIRE(e->Delete("b", "gone").has_value());
  BOOST_REQUIRE(e->SealActiveSegment().ok());
  ExpectClean();
  fs::path first = SegmentFiles(opts.data_dir).front();  // holds only "gone"
  GcReport r1 = Gc();
  BOOST_TEST(r1.candidates == 1u);
  BOOST_TEST(r1.condemned == 1u);
  BOOST_TEST(r1.deleted == 0u);  // condemned now: deleted by a later run
  GcReport r2 = Gc();
  BOOST_TEST(r2.deleted == 1u);
  BOOST_TEST(r2.bytes_freed >= (2u << 20));
  BOOST_TEST(!fs::exists(first));
  BOOST_TEST(MustRead("b", "kept") == keep);
  ExpectClean();
  // The deleted segment's log records (bucket creation, the first put) live
  // on in the GC op: rebuild-index from the segments alone still works.
  e.reset();
  BOOST_REQUIRE(RebuildIndex(opts.data_dir).ok());
  Reopen();
  BOOST_TEST(MustRead("b", "kept") == keep);
  BOOST_TEST(!e->Head("b", "gone").has_value());
  ExpectClean();
}

BOOST_AUTO_TEST_CASE(an_open_reader_keeps_its_segment) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  std::string data = Pattern(3 << 20, 7);
  MustPut("b", "k", data);
  BOOST_REQUIRE(e->SealActiveSegment().ok());
  auto reader = e->OpenRead("b", "k");
  BOOST_REQUIRE(reader.has_value());
  BOOST_REQUIRE(e->Delete("b", "k").has_value());
  BOOST_REQUIRE(e->SealActiveSegment().ok());
  Gc();
  GcReport r = Gc();
  BOOST_TEST(r.deleted == 0u);
  BOOST_TEST(r.waiting >= 1u);
  std::string buf(data.size(), '\0');
  auto n = (*reader)->ReadAt(0, buf.data(), buf.size());
  BOOST_REQUIRE(n.has_value());
  BOOST_TEST(buf == data);
  reader->reset();
  BOOST_TEST(Gc().deleted >= 1u);
}

BOOST_AUTO_TEST_CASE(a_working_copy_takes_a_condemned_segment_back) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  std::string data = Pattern(2 << 20, 8);
  MustPut("b", "f", data);
  BOOST_REQUIRE(e->SealActiveSegment().ok());
  auto ed = e->BeginEdit("b", "f", false);
  BOOST_REQUIRE(ed.has_value());
  BOOST_REQUIRE(e->Delete("b", "f").has_value());
  BOOST_REQUIRE(e->SealActiveSegment().ok());
  BOOST_TEST(Gc().condemned >= 1u);
  // The mount commits its open file: the segment is referenced again.
  BOOST_REQUIRE((*ed)->Write(0, "X", 1).ok());
  BOOST_REQUIRE((*ed)->Commit("b", "f").has_value());
  ed->reset();
  Gc();
  Gc();
  std::string want = data;
  want[0] = 'X';
  BOOST_TEST(MustRead("b", "f") == want);
  ExpectClean();
}

BOOST_AUTO_TEST_CASE(dry_run_changes_nothing) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  MustPut("b", "x", "x");
  BOOST_REQUIRE(e->SealActiveSegment().ok());
  BOOST_REQUIRE(e->Delete("b", "x").has_value());
  BOOST_REQUIRE(e->SealActiveSegment().ok());
  size_t before = SegmentCount();
  auto r = e->CollectGarbage(true, 0);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->candidates >= 1u);
  BOOST_TEST(r->condemned == 0u);
  BOOST_TEST(SegmentCount() == before);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(compact, GcFixture)

BOOST_AUTO_TEST_CASE(sparse_segments_are_rewritten_then_collected) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  std::map<std::string, std::string> kept;
  for (int i = 0; i < 10; ++i) {
    std::string k = "k" + std::to_string(i);
    std::string v = Pattern((1 << 20) + 1000 * i, 10 + i);
    MustPut("b", k, v);
    if (i % 5 == 0) kept[k] = v;
  }
  BOOST_REQUIRE(e->SealActiveSegment().ok());
  for (int i = 0; i < 10; ++i)
    if (i % 5 != 0) BOOST_REQUIRE(e->Delete("b", "k" + std::to_string(i)).has_value());
  auto plan = e->Compact(CompactOptions{.dry_run = true});
  BOOST_REQUIRE(plan.has_value());
  BOOST_TEST(plan->segments == 1u);
  BOOST_TEST(plan->versions == 2u);
  // A reader opened before compaction keeps reading the old bytes.
  auto reader = e->OpenRead("b", "k0");
  BOOST_REQUIRE(reader.has_value());
  auto r = e->Compact(CompactOptions{});
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->versions == 2u);
  BOOST_TEST(r->skipped == 0u);
  BOOST_TEST(r->bytes >= (2u << 20));
  for (auto& [k, v] : kept) BOOST_TEST(MustRead("b", k) == v);
  ExpectClean();
  BOOST_REQUIRE(e->SealActiveSegment().ok());
  Gc();
  BOOST_TEST(Gc().deleted == 0u);  // the old reader holds the segment
  std::string buf(kept["k0"].size(), '\0');
  BOOST_REQUIRE(*(*reader)->ReadAt(0, buf.data(), buf.size()) == buf.size());
  BOOST_TEST(buf == kept["k0"]);
  reader->reset();
  BOOST_TEST(Gc().deleted >= 1u);
  for (auto& [k, v] : kept) BOOST_TEST(MustRead("b", k) == v);
  ExpectClean();
  e.reset();
  BOOST_REQUIRE(RebuildIndex(opts.data_dir).ok());
  Reopen();
  for (auto& [k, v] : kept) BOOST_TEST(MustRead("b", k) == v);
  ExpectClean();
}

BOOST_AUTO_TEST_CASE(fragmented_versions_are_defragmented) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  auto ed = e->BeginEdit("b", "frag", true);
  BOOST_REQUIRE(ed.has_value());
  std::string model(200 * 4096, '\0');
  // Every other 4 KiB block, written backwards: 200 small extents.
  for (int i = 199; i >= 0; --i) {
    std::string blk = Pattern(4096, 100 + i);
    BOOST_REQUIRE((*ed)->Write(uint64_t(i) * 4096, blk.data(), blk.size()).ok());
    model.replace(size_t(i) * 4096, 4096, blk);
    if (i % 2 == 0) BOOST_REQUIRE((*ed)->Truncate((*ed)->size()).ok());
  }
  auto o = (*ed)->Commit("b", "frag");
  BOOST_REQUIRE(o.has_value());
  ed->reset();
  CompactOptions co;
  co.max_live_ratio = 0;  // defragment only
  co.defrag_min_extents = 16;
  auto r = e->Compact(co);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->fragmented == 1u);
  BOOST_TEST(MustRead("b", "frag") == model);
  auto h = e->Head("b", "frag");
  BOOST_TEST(h->etag == o->etag);  // same bytes, same ETag
  auto again = e->Compact(co);
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST(again->fragmented == 0u);  // now one extent per MiB
  ExpectClean();
}

BOOST_AUTO_TEST_CASE(overwritten_versions_keep_their_new_bytes) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  MustPut("b", "k", Pattern(1 << 20, 200));
  MustPut("b", "pad", Pattern(3 << 20, 201));
  BOOST_REQUIRE(e->SealActiveSegment().ok());
  BOOST_REQUIRE(e->Delete("b", "pad").has_value());
  MustPut("b", "k", "replaced");
  auto r = e->Compact(CompactOptions{});
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(MustRead("b", "k") == "replaced");
  ExpectClean();
}

BOOST_AUTO_TEST_SUITE_END()
