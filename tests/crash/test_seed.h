// Helpers of the crash tests. Seeds for randomized tests: SEGLAKE_SEED from the environment replays
// a run; otherwise a fresh one. Numeric knobs from the environment.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "seglake/status.h"

namespace seglake::testing {

inline uint64_t TestSeed() {
  if (const char* s = std::getenv("SEGLAKE_SEED"); s && *s) return std::strtoull(s, nullptr, 0);
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32 | rd()) & 0xffffffffffffull;
}

inline long EnvLong(const char* name, long fallback) {
  if (const char* s = std::getenv(name); s && *s) return std::strtol(s, nullptr, 0);
  return fallback;
}

// For test messages, which Boost builds even when the check passes.
template <typename T>
std::string ErrorText(const Result<T>& r) {
  return r ? std::string() : r.error().ToString();
}
inline std::string FirstOr(const std::vector<std::string>& v) { return v.empty() ? "" : v.front(); }

}  // namespace seglake::testing
