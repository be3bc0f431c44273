// Fuzzes Range and x-amz-copy-source-range resolution. Input: 8 bytes of
// object size (little endian; small sizes are more useful, so only the low
// 5 bytes count), then the header value.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "proto/range.h"

namespace {
void Check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace seglake::s3;
  if (size < 8) return 0;
  uint64_t object_size = 0;
  for (int i = 4; i >= 0; --i) object_size = (object_size << 8) | data[i];
  const std::string_view header(reinterpret_cast<const char*>(data) + 8, size - 8);

  const RangeResult r = ResolveRange(header, object_size);
  Check(r.ranges.size() <= kMaxRanges);
  Check((r.outcome == RangeOutcome::kRanges) == !r.ranges.empty());
  for (const ByteRange& b : r.ranges) Check(b.first <= b.last && b.last < object_size);

  auto c = ResolveCopySourceRange(header, object_size);
  if (c) Check(c->first <= c->last && c->last < object_size);
  return 0;
}
