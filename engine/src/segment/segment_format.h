// Constants of the segment file format. See segment/FORMAT.md.
#pragma once

#include <cstdint>

namespace seglake::segment {

inline constexpr char kHeaderMagic[8] = {'S', 'G', 'L', 'K', 'S', 'E', 'G', '1'};
inline constexpr char kTrailerMagic[8] = {'S', 'G', 'L', 'K', 'S', 'E', 'A', 'L'};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr uint32_t kHeaderSize = 40;
inline constexpr uint32_t kTrailerSize = 24;
inline constexpr uint32_t kFooterFixedSize = 20;  // record count, data bytes, meta count

}  // namespace seglake::segment
