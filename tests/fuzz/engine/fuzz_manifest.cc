// Manifest decoding; a decoded manifest must re-encode to the same bytes and
// slice without leaving its bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "manifest/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto m = seglake::Manifest::Decode(in);
  if (!m) return 0;
  if (m->Encode() != in) std::abort();
  uint64_t n = m->size();
  if (n > 0) {
    seglake::Manifest s = m->Slice(n / 3, n - n / 3);
    if (s.size() != n - n / 3) std::abort();
  }
  return 0;
}
