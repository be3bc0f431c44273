#include <filesystem>

#include <boost/test/unit_test.hpp>

#include "engine_fixture.h"
#include "seglake/checksum.h"

using namespace seglake;
using namespace seglake::testing;

BOOST_FIXTURE_TEST_SUITE(multipart, EngineFixture)

BOOST_AUTO_TEST_CASE(complete_concatenates_parts_with_s3_etag) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  auto u = e->CreateUpload("b", "big", PutOptions{});
  BOOST_REQUIRE(u.has_value());
  std::vector<std::string> parts = {Pattern(3000, 1), Pattern(2048, 2), Pattern(100, 3)};
  std::vector<CompletePart> cps;
  std::string md5s;
  // Upload out of order; part 2 twice (the second wins).
  for (int n : {3, 1, 2, 2}) {
    auto w = e->BeginPart(u->upload_id, static_cast<uint32_t>(n));
    BOOST_REQUIRE(w.has_value());
    const std::string& d = parts[static_cast<size_t>(n - 1)];
    BOOST_REQUIRE((*w)->Append(d.data(), d.size()).ok());
    auto r = (*w)->Commit();
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(r->etag == ToHex(Md5(d)));
  }
  auto lp = e->ListParts(u->upload_id, 0, 2);
  BOOST_REQUIRE(lp.has_value());
  BOOST_TEST(lp->parts.size() == 2u);
  BOOST_TEST(lp->truncated);
  for (int n = 1; n <= 3; ++n) {
    cps.push_back(
        {static_cast<uint32_t>(n), "\"" + ToHex(Md5(parts[static_cast<size_t>(n - 1)])) + "\""});
    md5s += Md5(parts[static_cast<size_t>(n - 1)]);
  }
  auto bad = cps;
  std::swap(bad[0], bad[1]);
  BOOST_TEST(e->CompleteUpload(u->upload_id, bad).error().detail() == "InvalidPartOrder");
  bad = cps;
  bad[1].etag = "0000";
  BOOST_TEST(e->CompleteUpload(u->upload_id, bad).error().detail() == "InvalidPart");
  auto o = e->CompleteUpload(u->upload_id, cps);
  BOOST_REQUIRE_MESSAGE(o.has_value(), (o ? std::string() : o.error().ToString()));
  BOOST_TEST(o->etag == ToHex(Md5(md5s)) + "-3");
  // The replaced part 2 no longer counts; the listed parts now belong to the
  // version and count once.
  BOOST_TEST(e->Stats()->live_bytes == 3000u + 2048u + 100u);
  BOOST_TEST(MustRead("b", "big") == parts[0] + parts[1] + parts[2]);
  BOOST_TEST(e->GetUpload(u->upload_id).error().detail() == "NoSuchUpload");
  auto h = e->Head("b", "big");
  BOOST_TEST(h->parts == 3u);
  BOOST_TEST(h->part_sizes[1] == 2048u);
}

BOOST_AUTO_TEST_CASE(small_parts_and_abort) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  auto u = e->CreateUpload("b", "k", PutOptions{});
  BOOST_REQUIRE(u.has_value());
  std::vector<CompletePart> cps;
  for (uint32_t n : {1u, 2u}) {
    auto w = e->BeginPart(u->upload_id, n);
    std::string d = Pattern(10, n);
    BOOST_REQUIRE((*w)->Append(d.data(), d.size()).ok());
    cps.push_back({n, (*w)->Commit()->etag});
  }
  BOOST_TEST(e->CompleteUpload(u->upload_id, cps).error().detail() == "EntityTooSmall");
  BOOST_TEST(!e->BeginPart(u->upload_id, 0).has_value());
  BOOST_TEST(!e->BeginPart(u->upload_id, 10001).has_value());
  auto ups = e->ListUploads("b", {});
  BOOST_TEST(ups->uploads.size() == 1u);
  BOOST_TEST(e->DeleteBucket("b").IsNotEmpty());
  BOOST_TEST(e->Stats()->live_bytes == 20u);
  BOOST_REQUIRE(e->AbortUpload(u->upload_id).ok());
  BOOST_TEST(e->Stats()->live_bytes == 0u);
  BOOST_TEST(e->ListUploads("b", {})->uploads.empty());
  BOOST_TEST(e->DeleteBucket("b").ok());
}

// S3's DeleteBucket aborts uploads in progress with the bucket, in one
// transaction that also releases their parts' bytes; a plain delete (the
// mount's rmdir) still refuses. An object still makes the bucket not empty.
BOOST_AUTO_TEST_CASE(delete_bucket_aborting_uploads) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  auto u = e->CreateUpload("b", "k", {});
  BOOST_REQUIRE(u.has_value());
  auto w = e->BeginPart(u->upload_id, 1);
  std::string d = Pattern(100, 1);
  BOOST_REQUIRE((*w)->Append(d.data(), d.size()).ok());
  BOOST_REQUIRE((*w)->Commit().has_value());
  BOOST_TEST(e->Stats()->live_bytes == 100u);
  BOOST_TEST(e->DeleteBucket("b").IsNotEmpty());
  BOOST_TEST(e->DeleteBucket("b", true).ok());
  BOOST_TEST(e->Stats()->live_bytes == 0u);
  BOOST_TEST(!e->GetBucket("b").has_value());
  BOOST_TEST(!e->BeginPart(u->upload_id, 2).has_value());
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  BOOST_TEST(e->ListUploads("b", {})->uploads.empty());
  MustPut("b", "obj", "x");
  BOOST_TEST(e->DeleteBucket("b", true).IsNotEmpty());
  // The log replays to the same state.
  e.reset();
  std::filesystem::remove(opts.data_dir + "/meta.db");
  std::filesystem::remove(opts.data_dir + "/meta.db-wal");
  std::filesystem::remove(opts.data_dir + "/meta.db-shm");
  Status s = RebuildIndex(opts.data_dir);
  BOOST_REQUIRE_MESSAGE(s.ok(), s.ToString());
  Reopen();
  BOOST_TEST(e->ListUploads("b", {})->uploads.empty());
  BOOST_TEST(e->Stats()->live_bytes == 1u);
  BOOST_TEST(MustRead("b", "obj") == "x");
}

// A conditional delete is decided inside the commit against the current
// version: a mismatch is PreconditionFailed, no current version NotFound.
BOOST_AUTO_TEST_CASE(conditional_delete) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  ObjectInfo o = MustPut("b", "k", "one");
  BOOST_TEST(
      e->Delete("b", "k", "", WriteConditions{false, "0123"}).error().IsPreconditionFailed());
  BOOST_TEST(MustRead("b", "k") == "one");
  BOOST_TEST(e->Delete("b", "k", "", WriteConditions{false, "\"" + o.etag + "\""}).has_value());
  BOOST_TEST(e->Delete("b", "k", "", WriteConditions{false, "*"}).error().IsNotFound());
  MustPut("b", "k", "two");
  BOOST_TEST(e->Delete("b", "k", "", WriteConditions{false, "*"}).has_value());
  BOOST_TEST(!e->Head("b", "k").has_value());
}

BOOST_AUTO_TEST_CASE(copy_part_from_a_range) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  std::string src = Pattern(5000, 9);
  MustPut("b", "src", src);
  auto u = e->CreateUpload("b", "dst", PutOptions{});
  CopyOptions co;
  co.range_first = 0;
  co.range_last = 2999;
  auto p1 = e->CopyPart(u->upload_id, 1, "b", "src", co);
  BOOST_REQUIRE(p1.has_value());
  co.range_first = 3000;
  co.range_last = 4999;
  auto p2 = e->CopyPart(u->upload_id, 2, "b", "src", co);
  BOOST_REQUIRE(p2.has_value());
  BOOST_TEST(p1->etag == ToHex(Md5(src.substr(0, 3000))));
  auto o = e->CompleteUpload(u->upload_id, {{1, p1->etag}, {2, p2->etag}});
  BOOST_REQUIRE(o.has_value());
  BOOST_TEST(MustRead("b", "dst") == src);
}

BOOST_AUTO_TEST_SUITE_END()
