// A manifest: the ordered extents of one version, covering [0, size).
// See FORMAT.md beside this file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "seglake/status.h"

namespace seglake {

struct Extent {
  uint64_t segment = 0;  // 0: a hole, reads as zeros
  uint64_t offset = 0;   // of the first byte within the segment file
  uint64_t length = 0;
  bool is_hole() const { return segment == 0; }
  bool operator==(const Extent&) const = default;
};

class Manifest {
 public:
  Manifest() = default;
  const std::vector<Extent>& extents() const { return extents_; }
  uint64_t size() const { return size_; }
  // Appends an extent; adjacent holes merge, zero-length extents are dropped.
  void Add(const Extent& e);
  void AddHole(uint64_t length) { Add(Extent{0, 0, length}); }
  void Append(const Manifest& other);
  // The bytes [first, first+length) as a new manifest. REQUIRES: in range.
  Manifest Slice(uint64_t first, uint64_t length) const;
  // Index of the extent holding byte `offset` and that extent's start.
  size_t Find(uint64_t offset, uint64_t* extent_start) const;

  std::string Encode() const;
  static Result<Manifest> Decode(std::string_view bytes);
  bool operator==(const Manifest&) const = default;

 private:
  std::vector<Extent> extents_;
  uint64_t size_ = 0;
};

}  // namespace seglake
