// Working copies (FileEditor) against a model string, and Exchange.
#include <random>

#include <boost/test/unit_test.hpp>

#include "engine_fixture.h"
#include "seglake/checksum.h"

using namespace seglake;
using namespace seglake::testing;

namespace {

std::unique_ptr<FileEditor> MustEdit(Engine* e, const std::string& b, const std::string& k,
                                     bool create) {
  auto r = e->BeginEdit(b, k, create);
  BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error().ToString()));
  return std::move(*r);
}

std::string ReadAllOf(FileEditor* ed) {
  std::string out(ed->size(), '\0');
  auto n = ed->Read(0, out.data(), out.size());
  BOOST_REQUIRE(n.has_value());
  BOOST_REQUIRE_EQUAL(*n, out.size());
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(editor, EngineFixture)

BOOST_AUTO_TEST_CASE(sequential_write_gets_md5_as_it_goes) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  auto ed = MustEdit(e.get(), "b", "f", true);
  std::string data = Pattern(3 * 1024 * 1024 + 5, 1);
  for (size_t at = 0; at < data.size(); at += 70000)
    BOOST_REQUIRE(ed->Write(at, data.data() + at, std::min<size_t>(70000, data.size() - at)).ok());
  auto o = ed->Commit("b", "f");
  BOOST_REQUIRE(o.has_value());
  BOOST_TEST(o->etag == ToHex(Md5(data)));
  BOOST_TEST(!o->checksums.crc32c.empty());
  BOOST_TEST(MustRead("b", "f") == data);
  BOOST_TEST(!ed->dirty());
}

BOOST_AUTO_TEST_CASE(random_edits_match_a_model) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  std::mt19937_64 rng(7);
  MustPut("b", "f", Pattern(200000, 2));
  std::string model = Pattern(200000, 2);
  auto ed = MustEdit(e.get(), "b", "f", false);
  for (int step = 0; step < 400; ++step) {
    int op = static_cast<int>(rng() % 10);
    uint64_t off = rng() % (model.size() + 5000);
    if (op < 5) {
      std::string d = Pattern(1 + rng() % 3000, static_cast<uint32_t>(step));
      if (rng() % 8 == 0) d = Pattern(1 + rng() % 2500000, static_cast<uint32_t>(step));
      BOOST_REQUIRE(ed->Write(off, d.data(), d.size()).ok());
      if (model.size() < off + d.size()) model.resize(off + d.size(), '\0');
      model.replace(off, d.size(), d);
    } else if (op == 5) {
      uint64_t n = rng() % (model.size() + 3000);
      BOOST_REQUIRE(ed->Truncate(n).ok());
      model.resize(n, '\0');
    } else if (op == 6) {
      uint64_t len = rng() % 50000;
      BOOST_REQUIRE(ed->PunchHole(off, len).ok());
      if (off < model.size()) {
        uint64_t end = std::min<uint64_t>(model.size(), off + len);
        std::fill(model.begin() + off, model.begin() + end, '\0');
      }
    } else if (op == 7) {
      uint64_t src = model.empty() ? 0 : rng() % model.size();
      uint64_t len = rng() % 40000;
      std::string before = model;
      BOOST_REQUIRE(ed->CopyFrom(ed.get(), src, off, len).ok());
      if (src < before.size()) {
        len = std::min<uint64_t>(len, before.size() - src);
        if (model.size() < off + len) model.resize(off + len, '\0');
        model.replace(off, len, before.substr(src, len));
      }
    } else if (op == 8) {
      auto o = ed->Commit("b", "f");
      BOOST_REQUIRE(o.has_value());
      BOOST_TEST(o->etag.find('-') == std::string::npos);
      BOOST_REQUIRE(o->etag == ToHex(Md5(model)));
      BOOST_REQUIRE(MustRead("b", "f") == model);
    } else {
      // Reads at random offsets see buffered and spilled bytes alike.
      std::string buf(1 + rng() % 9000, '\0');
      auto n = ed->Read(off, buf.data(), buf.size());
      BOOST_REQUIRE(n.has_value());
      size_t want = off >= model.size() ? 0 : std::min<size_t>(buf.size(), model.size() - off);
      BOOST_REQUIRE_EQUAL(*n, want);
      BOOST_REQUIRE(buf.substr(0, want) == model.substr(off < model.size() ? off : 0, want));
    }
    BOOST_REQUIRE_EQUAL(ed->size(), model.size());
  }
  BOOST_REQUIRE(ReadAllOf(ed.get()) == model);
  auto o = ed->Commit("b", "f");
  BOOST_REQUIRE(o.has_value());
  Reopen();
  BOOST_TEST(MustRead("b", "f") == model);
}

BOOST_AUTO_TEST_CASE(holes_seek_and_stay_sparse) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  auto ed = MustEdit(e.get(), "b", "s", true);
  BOOST_REQUIRE(ed->Write(1 << 20, "data", 4).ok());
  BOOST_REQUIRE(ed->Truncate(4 << 20).ok());
  BOOST_TEST(*ed->Seek(0, true) == (1u << 20));
  BOOST_TEST(*ed->Seek(0, false) == 0u);
  BOOST_TEST(*ed->Seek((1 << 20) + 1, false) == (1u << 20) + 4);
  BOOST_TEST(!ed->Seek((1 << 20) + 4, true).has_value());
  BOOST_TEST(!ed->Seek(4 << 20, false).has_value());
  auto o = ed->Commit("b", "s");
  BOOST_REQUIRE(o.has_value());
  auto st = e->Stats();
  BOOST_REQUIRE(st.has_value());
  // Four MiB of file, a few bytes of data: the holes took no segment space.
  BOOST_TEST(st->segment_bytes < 1024 * 1024u);
  std::string want(4 << 20, '\0');
  want.replace(1 << 20, 4, "data");
  BOOST_TEST(MustRead("b", "s") == want);
}

BOOST_AUTO_TEST_CASE(allocated_counts_data_extents_only) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  auto ed = MustEdit(e.get(), "b", "s", true);
  BOOST_REQUIRE(ed->Truncate(1ull << 30).ok());
  BOOST_REQUIRE(ed->Write(5 << 20, Pattern(4096, 3).data(), 4096).ok());
  auto o = ed->Commit("b", "s");
  BOOST_REQUIRE(o.has_value());
  BOOST_TEST(o->size == (1ull << 30));
  BOOST_TEST(o->allocated == 4096u);
  auto h = e->Head("b", "s");
  BOOST_REQUIRE(h.has_value());
  BOOST_TEST(h->allocated == 4096u);
  ListOptions lo;
  auto l = e->List("b", lo);
  BOOST_REQUIRE(l.has_value());
  BOOST_REQUIRE_EQUAL(l->objects.size(), 1u);
  BOOST_TEST(l->objects[0].allocated == 4096u);
  MustPut("b", "full", Pattern(10000, 4));
  BOOST_TEST(e->Head("b", "full")->allocated == 10000u);
}

BOOST_AUTO_TEST_CASE(unchanged_content_keeps_etag_and_attrs_commit_alone) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  ObjectInfo first = MustPut("b", "k", "hello");
  auto ed = MustEdit(e.get(), "b", "k", false);
  ObjectAttrs a = ed->attrs();
  a.posix.mode = 0100600;
  a.user_meta["color"] = "blue";
  ed->SetAttrs(a);
  BOOST_TEST(ed->dirty());
  auto o = ed->Commit("b", "k");
  BOOST_REQUIRE(o.has_value());
  BOOST_TEST(o->etag == first.etag);
  auto h = e->Head("b", "k");
  BOOST_REQUIRE(h.has_value());
  BOOST_TEST(*h->attrs.posix.mode == 0100600u);
  BOOST_TEST(h->attrs.user_meta["color"] == "blue");
}

BOOST_AUTO_TEST_CASE(missing_key_needs_create) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  BOOST_TEST(!e->BeginEdit("b", "nope", false).has_value());
  BOOST_TEST(!e->BeginEdit("nobucket", "k", true).has_value());
}

BOOST_AUTO_TEST_CASE(exchange_swaps_files_and_directories) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  MustPut("b", "x", "file x");
  MustPut("b", "y/1", "one");
  MustPut("b", "y/2", "two");
  BOOST_REQUIRE(e->Exchange("b", "x", false, "y", true).ok());
  BOOST_TEST(MustRead("b", "y") == "file x");
  BOOST_TEST(MustRead("b", "x/1") == "one");
  BOOST_TEST(MustRead("b", "x/2") == "two");
  BOOST_TEST(!e->Head("b", "y/1").has_value());
  BOOST_TEST(!e->Head("b", "x").has_value());
  // Two files.
  MustPut("b", "p", "P");
  MustPut("b", "q", "Q");
  BOOST_REQUIRE(e->Exchange("b", "p", false, "q", false).ok());
  BOOST_TEST(MustRead("b", "p") == "Q");
  BOOST_TEST(MustRead("b", "q") == "P");
  // A missing side and a name inside the other are refused.
  BOOST_TEST(e->Exchange("b", "p", false, "missing", false).IsNotFound());
  BOOST_TEST(e->Exchange("b", "x", true, "x/1", false).IsInvalidArgument());
}

BOOST_AUTO_TEST_SUITE_END()
