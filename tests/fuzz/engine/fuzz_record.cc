// Record headers and payload verification from arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "record/record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto h = seglake::record::DecodeHeader(in);
  if (h && in.size() >= seglake::record::kHeaderSize) {
    std::string_view payload = in.substr(seglake::record::kHeaderSize);
    if (payload.size() > h->length) payload = payload.substr(0, h->length);
    (void)seglake::record::VerifyPayload(*h, payload);
  }
  return 0;
}
