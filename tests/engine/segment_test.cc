// Segment files on disk: append, seal, scan, and recovery of torn tails.
#define BOOST_TEST_MODULE engine_segment_test
#include <filesystem>

#include <boost/test/unit_test.hpp>

#include "segment/segment.h"
#include "segment/segment_format.h"
#include "util/temp_dir.h"

using namespace seglake;
using seglake::testing::TempDir;

namespace {

struct SegFixture {
  TempDir dir;
  Env* env = Env::Default();
  std::string path = dir.Sub(segment::FileName(77));
  std::vector<uint64_t> offs;

  // Writes three records (data, meta, data), unsealed.
  void Write(bool seal) {
    auto w = segment::SegmentWriter::Create(env, dir.path(), {77, 5});
    BOOST_REQUIRE(w.has_value());
    offs.push_back(*(*w)->Append(record::Type::kData, std::string(5000, 'a')));
    offs.push_back(*(*w)->Append(record::Type::kMeta, "meta-op"));
    offs.push_back(*(*w)->Append(record::Type::kData, std::string(300, 'b')));
    BOOST_REQUIRE((*w)->Sync().ok());
    if (seal) BOOST_REQUIRE((*w)->Seal().ok());
  }
  std::unique_ptr<File> Open() {
    auto f = env->Open(path, OpenOptions{.write = true});
    BOOST_REQUIRE(f.has_value());
    return std::move(*f);
  }
  uint64_t Size() { return std::filesystem::file_size(path); }
  void Resize(uint64_t n) { std::filesystem::resize_file(path, n); }
  void Poke(uint64_t off, char x) {
    auto f = Open();
    BOOST_REQUIRE(f->PWrite(off, &x, 1).ok());
  }
  // Recovers and returns how many records survived.
  uint64_t RecoverCount() {
    auto f = Open();
    auto r = segment::RecoverAndSeal(f.get());
    BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error().ToString()));
    auto again = segment::Scan(*f, false, nullptr);
    BOOST_REQUIRE(again.has_value());
    BOOST_TEST(again->sealed);
    return r->records;
  }
  uint64_t end_of_record(int i) {
    static const uint64_t lens[] = {5000, 7, 300};
    return offs[static_cast<size_t>(i)] + lens[i];
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(segments, SegFixture)

BOOST_AUTO_TEST_CASE(sealed_scan_visits_meta_via_footer) {
  Write(true);
  auto f = Open();
  std::vector<std::string> metas;
  auto r = segment::Scan(*f, true, [&](uint64_t, const record::Header&, std::string_view p) {
    metas.emplace_back(p);
    return Status::OK();
  });
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->sealed);
  BOOST_TEST(r->header.owner == 5u);
  BOOST_REQUIRE(metas.size() == 1u);
  BOOST_TEST(metas[0] == "meta-op");
  int all = 0;
  BOOST_TEST(segment::Scan(*f, false, [&](uint64_t, const record::Header&, std::string_view) {
               ++all;
               return Status::OK();
             }).has_value());
  BOOST_TEST(all == 3);
}

BOOST_AUTO_TEST_CASE(seal_is_idempotent_and_blocks_appends) {
  auto w = segment::SegmentWriter::Create(env, dir.path(), {77, 5});
  BOOST_REQUIRE((*w)->Seal().ok());
  BOOST_REQUIRE((*w)->Seal().ok());
  BOOST_TEST(!(*w)->Append(record::Type::kData, "x").has_value());
  BOOST_TEST(!segment::SegmentWriter::Create(env, dir.path(), {77, 5}).has_value());  // exists
}

BOOST_AUTO_TEST_CASE(recover_clean_unsealed) {
  Write(false);
  BOOST_TEST(RecoverCount() == 3u);
}
BOOST_AUTO_TEST_CASE(recover_partial_header) {
  Write(false);
  Resize(end_of_record(2) + 16 + 10);  // after the last record: 10 bytes of nothing
  Resize(end_of_record(2) + 7);
  BOOST_TEST(RecoverCount() == 3u);
}
BOOST_AUTO_TEST_CASE(recover_partial_payload) {
  Write(false);
  Resize(end_of_record(2) - 100);
  BOOST_TEST(RecoverCount() == 2u);
}
BOOST_AUTO_TEST_CASE(recover_crc_mismatch_in_last_record) {
  Write(false);
  Poke(offs[2] + 10, 'X');
  BOOST_TEST(RecoverCount() == 2u);
}
BOOST_AUTO_TEST_CASE(recover_crc_mismatch_in_middle_cuts_after_it) {
  Write(false);
  Poke(offs[1] + 1, 'X');
  BOOST_TEST(RecoverCount() == 1u);
}
BOOST_AUTO_TEST_CASE(recover_zero_filled_tail) {
  Write(false);
  Resize(Size() + 4096);  // a preallocated or torn block of zeros
  BOOST_TEST(RecoverCount() == 3u);
  BOOST_TEST(Size() < end_of_record(2) + 200);
}
BOOST_AUTO_TEST_CASE(recover_garbage_tail) {
  Write(false);
  auto f = Open();
  std::string junk(999, '\x5a');
  BOOST_REQUIRE(f->PWrite(Size(), junk.data(), junk.size()).ok());
  BOOST_TEST(RecoverCount() == 3u);
}
BOOST_AUTO_TEST_CASE(recover_footer_without_trailer) {
  Write(true);
  Resize(Size() - 5);  // trailer torn: the footer record is dropped and rewritten
  BOOST_TEST(RecoverCount() == 3u);
}
BOOST_AUTO_TEST_CASE(recover_sealed_is_untouched) {
  Write(true);
  uint64_t before = Size();
  BOOST_TEST(RecoverCount() == 3u);
  BOOST_TEST(Size() == before);
}
BOOST_AUTO_TEST_CASE(scan_bad_segment_header) {
  Write(true);
  Poke(3, 'Z');
  auto f = Open();
  BOOST_TEST(segment::Scan(*f, false, nullptr).error().IsCorruption());
}
BOOST_AUTO_TEST_CASE(scan_sealed_with_corrupt_middle_reports) {
  Write(true);
  Poke(offs[0] + 100, 'Z');
  auto f = Open();
  BOOST_TEST(!segment::Scan(*f, false, nullptr).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
