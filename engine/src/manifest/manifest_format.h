// Constants of the manifest encoding. See manifest/FORMAT.md.
#pragma once

#include <cstdint>

namespace seglake::manifest {

inline constexpr uint8_t kVersion = 1;
inline constexpr uint32_t kFixedSize = 16;  // version, flags, reserved, count, total size
inline constexpr uint32_t kExtentSize = 24;
inline constexpr uint32_t kCrcSize = 4;
// A version's manifest may not have more extents than this.
inline constexpr uint32_t kMaxExtents = 1u << 24;

}  // namespace seglake::manifest
