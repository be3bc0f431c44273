// Range and x-amz-copy-source-range resolution, case by case.
#define BOOST_TEST_MODULE s3proto_range
#include <boost/test/unit_test.hpp>

#include "proto/range.h"

namespace seglake::s3 {
namespace {

void ExpectRanges(std::string_view header, uint64_t size, std::vector<ByteRange> want) {
  BOOST_TEST_CONTEXT("Range: " << header << " size " << size) {
    RangeResult r = ResolveRange(header, size);
    BOOST_REQUIRE(r.outcome == RangeOutcome::kRanges);
    BOOST_REQUIRE_EQUAL(r.ranges.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      BOOST_CHECK_EQUAL(r.ranges[i].first, want[i].first);
      BOOST_CHECK_EQUAL(r.ranges[i].last, want[i].last);
    }
  }
}

void ExpectOutcome(std::string_view header, uint64_t size, RangeOutcome want) {
  BOOST_TEST_CONTEXT("Range: " << header << " size " << size) {
    BOOST_CHECK(ResolveRange(header, size).outcome == want);
  }
}

const std::string kHuge = "99999999999999999999999";  // > UINT64_MAX

}  // namespace

BOOST_AUTO_TEST_CASE(simple_forms) {
  ExpectRanges("bytes=0-9", 100, {{0, 9}});
  ExpectRanges("bytes=10-", 100, {{10, 99}});
  ExpectRanges("bytes=-10", 100, {{90, 99}});
  ExpectRanges("bytes=0-0", 1, {{0, 0}});
  ExpectRanges("bytes=5-5", 100, {{5, 5}});
  BOOST_CHECK_EQUAL((ByteRange{90, 99}.length()), 10u);
}

BOOST_AUTO_TEST_CASE(clamped_to_object) {
  ExpectRanges("bytes=50-1000", 100, {{50, 99}});
  ExpectRanges("bytes=-1000", 100, {{0, 99}});
  ExpectRanges("bytes=0-" + kHuge, 100, {{0, 99}});
  ExpectRanges("bytes=-" + kHuge, 100, {{0, 99}});
}

BOOST_AUTO_TEST_CASE(multiple_ranges_in_order) {
  ExpectRanges("bytes=0-1,5-6", 100, {{0, 1}, {5, 6}});
  ExpectRanges("bytes=0-1, 5-6 ,-2", 100, {{0, 1}, {5, 6}, {98, 99}});
  ExpectRanges("bytes=0-1,,5-6", 100, {{0, 1}, {5, 6}});  // empty list elements
  ExpectRanges("bytes=0-1,200-300", 100, {{0, 1}});       // unsatisfiable one dropped
  ExpectRanges("Bytes=0-1", 100, {{0, 1}});               // unit is case-insensitive
}

BOOST_AUTO_TEST_CASE(past_the_end_is_unsatisfiable) {
  ExpectOutcome("bytes=100-", 100, RangeOutcome::kUnsatisfiable);
  ExpectOutcome("bytes=100-200", 100, RangeOutcome::kUnsatisfiable);
  ExpectOutcome("bytes=100-200,300-", 100, RangeOutcome::kUnsatisfiable);
  ExpectOutcome("bytes=" + kHuge + "-", 100, RangeOutcome::kUnsatisfiable);
}

BOOST_AUTO_TEST_CASE(suffix_zero_is_unsatisfiable) {
  ExpectOutcome("bytes=-0", 100, RangeOutcome::kUnsatisfiable);
}

BOOST_AUTO_TEST_CASE(empty_object_satisfies_nothing) {
  ExpectOutcome("bytes=0-", 0, RangeOutcome::kUnsatisfiable);
  ExpectOutcome("bytes=-5", 0, RangeOutcome::kUnsatisfiable);
  ExpectOutcome("bytes=0-0", 0, RangeOutcome::kUnsatisfiable);
}

BOOST_AUTO_TEST_CASE(invalid_headers_are_ignored) {
  for (std::string_view h :
       {"",          "bytes",      "bytes=",     "bytes=,",       "bytes=5-2",
        "bytes=abc", "bytes=a-b",  "bytes=-",    "bytes=1",       "bytes=1-2-3",
        "bytes=--1", "bytes=+1-2", "bytes=1-+2", "bytes= 1 2-3",  "bytes=0x1-2",
        "items=0-1", "bytes 0-1",  "bytes:0-1",  "bytes=0-1,5-2", "bytes=0-1,x"}) {
    ExpectOutcome(h, 100, RangeOutcome::kIgnore);
  }
  ExpectOutcome("bytes=" + kHuge + "-5", 100, RangeOutcome::kIgnore);  // first > last
  ExpectOutcome("bytes=-" + std::string(1, '\0'), 100, RangeOutcome::kIgnore);
}

BOOST_AUTO_TEST_CASE(too_many_ranges_are_ignored) {
  std::string h = "bytes=0-0";
  for (size_t i = 1; i < kMaxRanges; ++i) h += "," + std::to_string(i) + "-" + std::to_string(i);
  BOOST_CHECK(ResolveRange(h, 1000).outcome == RangeOutcome::kRanges);
  h += ",500-500";
  ExpectOutcome(h, 1000, RangeOutcome::kIgnore);
}

BOOST_AUTO_TEST_CASE(copy_source_range) {
  auto r = ResolveCopySourceRange("bytes=0-9", 100);
  BOOST_REQUIRE(r.has_value());
  BOOST_CHECK_EQUAL(r->first, 0u);
  BOOST_CHECK_EQUAL(r->last, 9u);
  BOOST_CHECK(ResolveCopySourceRange("bytes=99-99", 100).has_value());
  BOOST_CHECK(ResolveCopySourceRange("bytes=0-100", 100).error().code == ErrorCode::kInvalidRange);
  BOOST_CHECK(ResolveCopySourceRange("bytes=100-100", 100).error().code ==
              ErrorCode::kInvalidRange);
  BOOST_CHECK(ResolveCopySourceRange("bytes=0-0", 0).error().code == ErrorCode::kInvalidRange);
  for (std::string_view h :
       {"", "bytes=", "bytes=5-2", "bytes=-5", "bytes=5-", "bytes=a-b", "Bytes=0-1",
        "bytes=0-1,2-3", "bytes= 0-1", "bytes=0-99999999999999999999"}) {
    BOOST_TEST_CONTEXT("x-amz-copy-source-range: " << h) {
      auto e = ResolveCopySourceRange(h, 100);
      BOOST_REQUIRE(!e.has_value());
      BOOST_CHECK(e.error().code == ErrorCode::kInvalidArgument);
    }
  }
}

}  // namespace seglake::s3
