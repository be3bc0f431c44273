// Range and x-amz-copy-source-range resolution, case by case.
#define BOOST_TEST_MODULE s3proto_range
#include <boost/test/unit_test.hpp>

#include "proto/range.h"

namespace seglake::s3 {
namespace {

void ExpectRange(std::string_view header, uint64_t size, ByteRange want) {
  BOOST_TEST_CONTEXT("Range: " << header << " size " << size) {
    RangeResult r = ResolveRange(header, size);
    BOOST_REQUIRE(r.outcome == RangeOutcome::kRange);
    BOOST_CHECK_EQUAL(r.range.first, want.first);
    BOOST_CHECK_EQUAL(r.range.last, want.last);
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
  ExpectRange("bytes=0-9", 100, {0, 9});
  ExpectRange("bytes=10-", 100, {10, 99});
  ExpectRange("bytes=-10", 100, {90, 99});
  ExpectRange("bytes=0-0", 1, {0, 0});
  ExpectRange("bytes=5-5", 100, {5, 5});
  BOOST_CHECK_EQUAL((ByteRange{90, 99}.length()), 10u);
}

BOOST_AUTO_TEST_CASE(clamped_to_object) {
  ExpectRange("bytes=50-1000", 100, {50, 99});
  ExpectRange("bytes=-1000", 100, {0, 99});
  ExpectRange("bytes=0-" + kHuge, 100, {0, 99});
  ExpectRange("bytes=-" + kHuge, 100, {0, 99});
}

BOOST_AUTO_TEST_CASE(one_range_per_request) {
  // S3 serves a single range: a list of several is ignored as a whole (200
  // with the object), whatever its ranges, so a GET costs one copy at most.
  for (std::string_view h :
       {"bytes=0-1,5-6", "bytes=0-1, 5-6 ,-2", "bytes=0-1,,5-6", "bytes=0-1,200-300",
        "bytes=200-300,0-1", "bytes=0-,0-", "bytes=0-1,x", "bytes=-0,-0", "bytes=100-,100-"}) {
    ExpectOutcome(h, 100, RangeOutcome::kIgnore);
  }
  // Empty list elements are not ranges (RFC 7230 #rule).
  ExpectRange("bytes=0-1,", 100, {0, 1});
  ExpectRange("bytes=,0-1", 100, {0, 1});
  ExpectRange("bytes= , 5-6 , ", 100, {5, 6});
  ExpectRange("Bytes=0-1", 100, {0, 1});  // the unit is case-insensitive
}

BOOST_AUTO_TEST_CASE(many_copies_of_one_range_are_ignored) {
  // 100 copies of "0-" once returned 100 copies of the object.
  std::string h = "bytes=0-";
  for (int i = 1; i < 100; ++i) h += ",0-";
  ExpectOutcome(h, 1 << 20, RangeOutcome::kIgnore);
  // A long header of empty elements around one range is still one range.
  ExpectRange("bytes=" + std::string(10000, ',') + "3-4" + std::string(10000, ','), 100, {3, 4});
  // A huge list stops at its second range; the rest is not even parsed.
  std::string big = "bytes=0-0";
  for (int i = 0; i < 100000; ++i) big += ",1-1";
  ExpectOutcome(big, 100, RangeOutcome::kIgnore);
}

BOOST_AUTO_TEST_CASE(past_the_end_is_unsatisfiable) {
  ExpectOutcome("bytes=100-", 100, RangeOutcome::kUnsatisfiable);
  ExpectOutcome("bytes=100-200", 100, RangeOutcome::kUnsatisfiable);
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
