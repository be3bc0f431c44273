// Constants of the record format. See record/FORMAT.md.
#pragma once

#include <cstdint>

namespace seglake::record {

inline constexpr uint32_t kMagic = 0x31524c53;  // "SLR1" little-endian
inline constexpr uint32_t kHeaderSize = 16;
// Largest payload a reader accepts; anything larger is corruption.
inline constexpr uint32_t kMaxPayload = 64u << 20;

enum class Type : uint8_t {
  kData = 1,    // object bytes; extents point into the payload
  kMeta = 2,    // one committed metadata operation (the log)
  kFooter = 3,  // written when a segment is sealed
};

}  // namespace seglake::record
