// HTTP Range (RFC 7233 byte ranges, as S3 applies them) and
// x-amz-copy-source-range.
#pragma once

#include <cstdint>
#include <string_view>

#include "proto/errors.h"

namespace seglake::s3 {

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
  uint64_t length() const { return last - first + 1; }
  bool operator==(const ByteRange&) const = default;
};

enum class RangeOutcome {
  kIgnore,         // not a single valid byte range: serve the whole object (200)
  kUnsatisfiable,  // valid, but the range does not overlap the object: 416 InvalidRange
  kRange,          // `range` is the satisfiable range, clamped to the object
};

struct RangeResult {
  RangeOutcome outcome = RangeOutcome::kIgnore;
  ByteRange range;  // when outcome == kRange
};

// Resolves a Range header value against an object of `size` bytes, as S3
// does: "bytes=a-b", "bytes=a-" or "bytes=-n". S3 serves one range per GET;
// a list of several ranges (RFC 7233 allows them) is ignored as a whole and
// the object is served with 200, as AWS answers, so one request never costs
// more than one copy of the object. Empty list elements ("bytes=0-1,") are
// allowed by the #rule and skipped. A range with a > b, a non-digit, an
// empty list or another unit makes the header invalid, and S3 then ignores
// it. A range starting at or past the end, and "-0", is unsatisfiable; the
// others are clamped to the object. Numbers too large for uint64 are read as
// "larger than any object". A zero-byte object satisfies no range.
RangeResult ResolveRange(std::string_view header, uint64_t size);

// x-amz-copy-source-range: exactly "bytes=first-last" with first <= last.
// InvalidArgument when malformed, InvalidRange when last >= size.
S3Result<ByteRange> ResolveCopySourceRange(std::string_view header, uint64_t size);

}  // namespace seglake::s3
