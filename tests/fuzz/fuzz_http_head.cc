// Fuzzes the request-head glue of seglake-s3d's transport: Beast's parser
// with the server's limits, then the framing checks (server/http_framing.h)
// and the conversion to an HttpRequest. Input: the bytes a client sends.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/http_framing.h"

namespace {
void Check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace seglake::s3d::framing;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.max_header_bytes = 4096;
  limits.max_body_bytes = 1 << 20;
  const ParseResult r = ParseHead(bytes, limits);
  if (r.status != 0) {
    Check(r.status == -1 || (r.status >= 400 && r.status <= 505));
    return 0;
  }
  // An accepted head: unambiguous framing, a sane target, within budget.
  Check(r.consumed <= size && r.consumed <= limits.max_header_bytes);
  Check(!(r.head.chunked && r.head.content_length));
  if (r.head.content_length) Check(*r.head.content_length <= limits.max_body_bytes);
  Check(!r.request.raw_path.empty());
  Check(r.request.raw_path[0] == '/' || r.request.raw_path == "*");
  for (char c : r.request.raw_path) Check(static_cast<unsigned char>(c) > 0x20 && c != 0x7f);
  for (const auto& [name, value] : r.request.headers) {
    Check(SafeHeaderName(name));
    for (char c : value) Check(c != '\r' && c != '\n' && c != '\0');
  }
  return 0;
}
