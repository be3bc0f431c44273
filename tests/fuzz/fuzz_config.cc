// Fuzzes the config file parser (ParseConfigText) with the flags of a small
// program. Checks: it never crashes, every value it keeps is for a known
// flag, a switch is only ever "1", and no value holds a line break.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proto/cmdline.h"

namespace {
void Check(bool ok) {
  if (!ok) std::abort();
}
constexpr std::array kSpecs = {
    seglake::s3::FlagSpec{"listen", "SEGLAKE_LISTEN", true},
    seglake::s3::FlagSpec{"data-dir", "SEGLAKE_DATA_DIR", true},
    seglake::s3::FlagSpec{"verbose", "", false},
    seglake::s3::FlagSpec{"config", "SEGLAKE_CONFIG", true},
    seglake::s3::FlagSpec{"help", "", false},
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace seglake::s3;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  FlagValues values;
  std::string error;
  const bool ok = ParseConfigText(text, "prog", kSpecs, &values, &error);
  Check(ok || !error.empty());
  for (const auto& [name, value] : values) {
    Check(name == "listen" || name == "data-dir" || name == "verbose");
    if (name == "verbose") Check(value == "1");
    Check(value.find('\n') == std::string::npos);
  }
  return 0;
}
