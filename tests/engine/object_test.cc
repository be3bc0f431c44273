#include <filesystem>

#include <boost/test/unit_test.hpp>

#include "engine_fixture.h"
#include "seglake/checksum.h"

using namespace seglake;
using namespace seglake::testing;

BOOST_FIXTURE_TEST_SUITE(objects, EngineFixture)

BOOST_AUTO_TEST_CASE(put_get_head_md5_etag) {
  BOOST_REQUIRE(e->CreateBucket("b", "us-east-1").ok());
  std::string data = Pattern(3 * 1024 * 1024 + 17, 1);  // crosses record boundaries
  ObjectInfo o = MustPut("b", "dir/file.bin", data);
  BOOST_TEST(o.etag == ToHex(Md5(data)));
  BOOST_TEST(o.size == data.size());
  BOOST_TEST(o.version_id == "null");
  BOOST_TEST(MustRead("b", "dir/file.bin") == data);
  auto h = e->Head("b", "dir/file.bin");
  BOOST_REQUIRE(h.has_value());
  BOOST_TEST(h->etag == o.etag);
  uint32_t crc = Crc32c(data.data(), data.size());
  std::string be = {char(crc >> 24), char(crc >> 16), char(crc >> 8), char(crc)};
  BOOST_TEST(h->checksums.crc32c == ToBase64(be));
}

BOOST_AUTO_TEST_CASE(empty_object_and_ranges) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  ObjectInfo o = MustPut("b", "empty", "");
  BOOST_TEST(o.etag == "d41d8cd98f00b204e9800998ecf8427e");
  BOOST_TEST(MustRead("b", "empty").empty());
  std::string data = Pattern(2500000, 2);
  MustPut("b", "x", data);
  auto r = e->OpenRead("b", "x");
  BOOST_REQUIRE(r.has_value());
  for (uint64_t off : {0ull, 1ull, 1048575ull, 1048576ull, 2000000ull, 2499999ull}) {
    std::string buf(70000, '\0');
    auto n = (*r)->ReadAt(off, buf.data(), buf.size());
    BOOST_REQUIRE(n.has_value());
    size_t want = std::min<size_t>(buf.size(), data.size() - off);
    BOOST_TEST(*n == want);
    BOOST_TEST(buf.substr(0, *n) == data.substr(off, want));
  }
  std::string buf(10, '\0');
  BOOST_TEST(*(*r)->ReadAt(data.size(), buf.data(), buf.size()) == 0u);
}

BOOST_AUTO_TEST_CASE(errors_name_the_missing_thing) {
  auto p = e->Put("nob", "k", "x");
  BOOST_REQUIRE(!p.has_value());
  BOOST_TEST(p.error().detail() == "NoSuchBucket");
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  BOOST_TEST(e->CreateBucket("b", "").detail() == "BucketAlreadyOwnedByYou");
  auto h = e->Head("b", "missing");
  BOOST_REQUIRE(!h.has_value());
  BOOST_TEST(h.error().detail() == "NoSuchKey");
  MustPut("b", "k", "v");
  Status s = e->DeleteBucket("b");
  BOOST_TEST(s.IsNotEmpty());
  BOOST_TEST(e->Delete("b", "k").has_value());
  BOOST_TEST(e->DeleteBucket("b").ok());
  BOOST_TEST(e->GetBucket("b").error().IsNotFound());
}

BOOST_AUTO_TEST_CASE(conditional_writes) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  PutOptions inm;
  inm.conditions.if_none_match_any = true;
  BOOST_TEST(e->Put("b", "k", "one", inm).has_value());
  auto again = e->Put("b", "k", "two", inm);
  BOOST_REQUIRE(!again.has_value());
  BOOST_TEST(again.error().IsPreconditionFailed());
  PutOptions im;
  im.conditions.if_match = "\"" + ToHex(Md5("one")) + "\"";
  BOOST_TEST(e->Put("b", "k", "three", im).has_value());
  BOOST_TEST(!e->Put("b", "k", "four", im).has_value());  // etag changed
  BOOST_TEST(MustRead("b", "k") == "three");
}

BOOST_AUTO_TEST_CASE(versioning_enabled_and_suspended) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  MustPut("b", "k", "null-v");
  BOOST_REQUIRE(e->SetVersioning("b", Versioning::kEnabled).ok());
  ObjectInfo v1 = MustPut("b", "k", "v1");
  ObjectInfo v2 = MustPut("b", "k", "v2");
  BOOST_TEST(v1.version_id != v2.version_id);
  BOOST_TEST(v1.version_id != "null");
  BOOST_TEST(MustRead("b", "k") == "v2");
  BOOST_TEST(MustRead("b", "k", v1.version_id) == "v1");
  BOOST_TEST(MustRead("b", "k", "null") == "null-v");
  auto d = e->Delete("b", "k");
  BOOST_REQUIRE(d.has_value());
  BOOST_TEST(d->delete_marker);
  BOOST_TEST(e->Head("b", "k").error().detail() == "NoSuchKey");
  BOOST_TEST(e->Head("b", "k", d->version_id).error().detail() == "DeleteMarker");
  // Removing the marker brings v2 back.
  BOOST_REQUIRE(e->Delete("b", "k", d->version_id).has_value());
  BOOST_TEST(MustRead("b", "k") == "v2");
  // Deleting the current version promotes the previous one.
  BOOST_REQUIRE(e->Delete("b", "k", v2.version_id).has_value());
  BOOST_TEST(MustRead("b", "k") == "v1");
  auto lv = e->ListVersions("b", {});
  BOOST_REQUIRE(lv.has_value());
  BOOST_TEST(lv->versions.size() == 2u);
  BOOST_TEST(lv->versions[0].version_id == v1.version_id);
  BOOST_TEST(lv->versions[0].is_latest);
  BOOST_TEST(!lv->versions[1].is_latest);
  // Suspended: puts replace the null version; older versions stay.
  BOOST_REQUIRE(e->SetVersioning("b", Versioning::kSuspended).ok());
  ObjectInfo s1 = MustPut("b", "k", "s1");
  BOOST_TEST(s1.version_id == "null");
  BOOST_TEST(MustRead("b", "k", "null") == "s1");
  BOOST_TEST(MustRead("b", "k", v1.version_id) == "v1");
  lv = e->ListVersions("b", {});
  BOOST_TEST(lv->versions.size() == 2u);  // v1 and the new null
  auto d2 = e->Delete("b", "k");
  BOOST_TEST(d2->delete_marker);
  BOOST_TEST(d2->version_id == "null");
  BOOST_TEST(!e->SetVersioning("b", Versioning::kUnversioned).ok());
}

BOOST_AUTO_TEST_CASE(copy_is_a_manifest_and_keeps_etag) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  std::string data = Pattern(1500000, 3);
  ObjectInfo src = MustPut("b", "src", data);
  CopyOptions co;
  auto c = e->Copy("b", "src", "b", "dst", co);
  BOOST_REQUIRE(c.has_value());
  BOOST_TEST(c->etag == src.etag);
  BOOST_TEST(MustRead("b", "dst") == data);
  co.range_first = 1000;
  co.range_last = 1200000;
  auto s = e->Copy("b", "src", "b", "slice", co);
  BOOST_REQUIRE(s.has_value());
  std::string want = data.substr(1000, 1200000 - 1000 + 1);
  BOOST_TEST(MustRead("b", "slice") == want);
  BOOST_TEST(s->etag == ToHex(Md5(want)));
  auto st = e->Stats();
  BOOST_REQUIRE(st.has_value());
  // live bytes count references: the segment bytes were written once.
  BOOST_TEST(st->segment_bytes < 2 * data.size());
}

BOOST_AUTO_TEST_CASE(rename_key_and_prefix) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  MustPut("b", "a/1", "one");
  MustPut("b", "a/x/2", "two");
  MustPut("b", "ab", "not-under-a/");
  MustPut("b", "c", "see");
  BOOST_REQUIRE(e->Rename("b", "c", "d", false, false).ok());
  BOOST_TEST(MustRead("b", "d") == "see");
  BOOST_TEST(e->Head("b", "c").error().IsNotFound());
  BOOST_TEST(e->Rename("b", "d", "ab", false, false).IsAlreadyExists() == true);
  BOOST_REQUIRE(e->Rename("b", "a/", "z/", true, false).ok());
  BOOST_TEST(MustRead("b", "z/1") == "one");
  BOOST_TEST(MustRead("b", "z/x/2") == "two");
  BOOST_TEST(MustRead("b", "ab") == "not-under-a/");
  auto l = e->List("b", LO("a/"));
  BOOST_TEST(l->objects.empty());
  // Renaming a prefix into itself.
  BOOST_REQUIRE(e->Rename("b", "z/", "z/x/", true, false).ok());
  BOOST_TEST(MustRead("b", "z/x/1") == "one");
  BOOST_TEST(MustRead("b", "z/x/x/2") == "two");
}

BOOST_AUTO_TEST_CASE(reopen_keeps_everything_and_seq_grows) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  std::string data = Pattern(2000000, 4);
  MustPut("b", "k", data);
  uint64_t seq = *e->LastSeq();
  BOOST_TEST(seq == 2u);
  Reopen();
  BOOST_TEST(MustRead("b", "k") == data);
  BOOST_TEST(*e->LastSeq() == seq);
  MustPut("b", "k2", "x");
  auto ch = e->ChangesSince(seq, 100);
  BOOST_REQUIRE(ch.has_value());
  BOOST_REQUIRE(ch->size() == 1u);
  BOOST_TEST((*ch)[0].key == "k2");
  BOOST_TEST((*ch)[0].seq == seq + 1);
}

BOOST_AUTO_TEST_CASE(rebuild_index_restores_versions) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  BOOST_REQUIRE(e->SetVersioning("b", Versioning::kEnabled).ok());
  ObjectInfo v1 = MustPut("b", "k", "first");
  ObjectInfo v2 = MustPut("b", "k", "second");
  MustPut("b", "gone", "x");
  BOOST_REQUIRE(e->Delete("b", "gone").has_value());
  BOOST_REQUIRE(e->Rename("b", "k", "k2", false, false).ok());
  auto before = e->ListVersions("b", {});
  e.reset();
  std::filesystem::remove(opts.data_dir + "/meta.db");
  std::filesystem::remove(opts.data_dir + "/meta.db-wal");
  std::filesystem::remove(opts.data_dir + "/meta.db-shm");
  BOOST_TEST(!Engine::Open(opts).has_value());  // refuses: segments but no index
  Status s = RebuildIndex(opts.data_dir);
  BOOST_REQUIRE_MESSAGE(s.ok(), s.ToString());
  Reopen();
  auto after = e->ListVersions("b", {});
  BOOST_REQUIRE(after.has_value());
  BOOST_REQUIRE(after->versions.size() == before->versions.size());
  for (size_t i = 0; i < after->versions.size(); ++i) {
    BOOST_TEST(after->versions[i].key == before->versions[i].key);
    BOOST_TEST(after->versions[i].version_id == before->versions[i].version_id);
    BOOST_TEST(after->versions[i].etag == before->versions[i].etag);
    BOOST_TEST(after->versions[i].delete_marker == before->versions[i].delete_marker);
  }
  BOOST_TEST(MustRead("b", "k2") == "second");
  BOOST_TEST(MustRead("b", "k", v1.version_id) == "first");
  BOOST_TEST((e->GetBucket("b")->versioning == Versioning::kEnabled));
}

BOOST_AUTO_TEST_CASE(bit_flip_in_a_record_is_reported) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  std::string data = Pattern(100000, 5);
  MustPut("b", "k", data);
  BOOST_REQUIRE(e->SealActiveSegment().ok());
  e.reset();
  for (auto& f : std::filesystem::directory_iterator(opts.data_dir + "/segments")) {
    std::FILE* fp = std::fopen(f.path().c_str(), "r+b");
    std::fseek(fp, 40 + 16 + 5000, SEEK_SET);  // inside the first data record
    int c = std::fgetc(fp);
    std::fseek(fp, 40 + 16 + 5000, SEEK_SET);
    std::fputc(c ^ 0x20, fp);
    std::fclose(fp);
  }
  Reopen();
  auto r = e->ReadAll("b", "k");
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().IsCorruption());
}

BOOST_AUTO_TEST_SUITE_END()
