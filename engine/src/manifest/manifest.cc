#include "manifest/manifest.h"

#include <algorithm>

#include "manifest/manifest_format.h"
#include "seglake/checksum.h"
#include "util/coding.h"

namespace seglake {

void Manifest::Add(const Extent& e) {
  if (e.length == 0) return;
  if (e.is_hole() && !extents_.empty() && extents_.back().is_hole()) {
    extents_.back().length += e.length;
  } else {
    extents_.push_back(e.is_hole() ? Extent{0, 0, e.length} : e);
  }
  size_ += e.length;
}

void Manifest::Append(const Manifest& other) {
  for (const Extent& e : other.extents_) Add(e);
}

size_t Manifest::Find(uint64_t offset, uint64_t* extent_start) const {
  uint64_t pos = 0;
  for (size_t i = 0; i < extents_.size(); ++i) {
    if (offset < pos + extents_[i].length) {
      *extent_start = pos;
      return i;
    }
    pos += extents_[i].length;
  }
  *extent_start = pos;
  return extents_.size();
}

Manifest Manifest::Slice(uint64_t first, uint64_t length) const {
  Manifest out;
  uint64_t pos = 0;
  uint64_t end = first + length;
  for (const Extent& e : extents_) {
    uint64_t es = pos, ee = pos + e.length;
    pos = ee;
    if (ee <= first) continue;
    if (es >= end) break;
    uint64_t s = std::max(es, first), t = std::min(ee, end);
    Extent part = e;
    if (!e.is_hole()) part.offset = e.offset + (s - es);
    part.length = t - s;
    out.Add(part);
  }
  return out;
}

std::string Manifest::Encode() const {
  using namespace manifest;
  std::string b(kFixedSize + kExtentSize * extents_.size() + kCrcSize, '\0');
  b[0] = static_cast<char>(kVersion);
  PutFixed32(b.data() + 4, static_cast<uint32_t>(extents_.size()));
  PutFixed64(b.data() + 8, size_);
  char* p = b.data() + kFixedSize;
  for (const Extent& e : extents_) {
    PutFixed64(p, e.segment);
    PutFixed64(p + 8, e.offset);
    PutFixed64(p + 16, e.length);
    p += kExtentSize;
  }
  PutFixed32(p, Crc32c(b.data(), b.size() - kCrcSize));
  return b;
}

Result<Manifest> Manifest::Decode(std::string_view b) {
  using namespace manifest;
  if (b.size() < kFixedSize + kCrcSize) return Err(Status::Corruption("manifest truncated"));
  if (static_cast<uint8_t>(b[0]) != kVersion)
    return Err(Status::NotSupported("unknown manifest version"));
  if (b[1] != 0 || b[2] != 0 || b[3] != 0) return Err(Status::Corruption("manifest flags set"));
  uint32_t n = GetFixed32(b.data() + 4);
  if (n > kMaxExtents) return Err(Status::Corruption("manifest extent count too large"));
  if (b.size() != kFixedSize + static_cast<uint64_t>(kExtentSize) * n + kCrcSize)
    return Err(Status::Corruption("manifest size mismatch"));
  if (GetFixed32(b.data() + b.size() - kCrcSize) != Crc32c(b.data(), b.size() - kCrcSize))
    return Err(Status::Corruption("manifest checksum mismatch"));
  uint64_t total = GetFixed64(b.data() + 8);
  Manifest m;
  m.extents_.reserve(n);
  const char* p = b.data() + kFixedSize;
  for (uint32_t i = 0; i < n; ++i, p += kExtentSize) {
    Extent e{GetFixed64(p), GetFixed64(p + 8), GetFixed64(p + 16)};
    if (e.length == 0) return Err(Status::Corruption("manifest: empty extent"));
    if (e.is_hole() && e.offset != 0) return Err(Status::Corruption("manifest: hole with offset"));
    if (e.offset + e.length < e.offset) return Err(Status::Corruption("manifest: extent overflow"));
    if (m.size_ + e.length < m.size_) return Err(Status::Corruption("manifest: size overflow"));
    m.extents_.push_back(e);
    m.size_ += e.length;
  }
  if (m.size_ != total) return Err(Status::Corruption("manifest: size does not match extents"));
  return m;
}

}  // namespace seglake
