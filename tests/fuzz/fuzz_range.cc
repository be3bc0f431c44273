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
  if (r.outcome == RangeOutcome::kRange) {
    Check(r.range.first <= r.range.last && r.range.last < object_size);
    // One range at most: after "bytes=", exactly one non-empty list element.
    Check(header.size() >= 6);
    size_t elements = 0;
    const std::string_view list = header.substr(6);
    for (size_t start = 0; start <= list.size();) {
      size_t comma = list.find(',', start);
      if (comma == std::string_view::npos) comma = list.size();
      const std::string_view item = list.substr(start, comma - start);
      if (item.find_first_not_of(" \t") != std::string_view::npos) ++elements;
      start = comma + 1;
    }
    Check(elements == 1);
  }

  auto c = ResolveCopySourceRange(header, object_size);
  if (c) Check(c->first <= c->last && c->last < object_size);
  return 0;
}
