// HTTP Range (RFC 7233 byte ranges, as S3 applies them) and
// x-amz-copy-source-range.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "proto/errors.h"

namespace seglake::s3 {

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
  uint64_t length() const { return last - first + 1; }
  bool operator==(const ByteRange&) const = default;
};

enum class RangeOutcome {
  kIgnore,         // not a valid byte-range header: serve the whole object (200)
  kUnsatisfiable,  // valid, but no range overlaps the object: 416 InvalidRange
  kRanges,         // ranges holds the satisfiable ranges, in request order
};

struct RangeResult {
  RangeOutcome outcome = RangeOutcome::kIgnore;
  std::vector<ByteRange> ranges;
};

inline constexpr size_t kMaxRanges = 100;  // more ranges than this: kIgnore

// Resolves a Range header value against an object of `size` bytes.
//   "bytes=a-b", "bytes=a-", "bytes=-n", and comma-separated lists of them.
// A range with a > b, a non-digit, an empty list or another unit makes the
// whole header invalid, and S3 then ignores it. Ranges starting at or past
// the end, and "-0", are unsatisfiable; the others are clamped to the object.
// Numbers too large for uint64 are read as "larger than any object".
// A zero-byte object satisfies no range.
RangeResult ResolveRange(std::string_view header, uint64_t size);

// x-amz-copy-source-range: exactly "bytes=first-last" with first <= last.
// InvalidArgument when malformed, InvalidRange when last >= size.
S3Result<ByteRange> ResolveCopySourceRange(std::string_view header, uint64_t size);

}  // namespace seglake::s3
