// Types of the engine's maintenance operations (fsck, scrub, snapshot,
// upload expiry, maintenance mode); see Engine in engine.h.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace seglake {

// Called now and then with work done and work in all (same unit, e.g.
// versions or bytes); return false to stop early.
using ProgressFn = std::function<bool(uint64_t done, uint64_t total)>;

// One thing found wrong. `kind` is a short stable word:
//   missing-segment, extent-out-of-bounds, bad-record-header, manifest-corrupt,
//   size-mismatch, dangling-current, current-mismatch, orphan-part,
//   missing-bucket, seq-behind, crc-mismatch, unreadable-record, unsealed-dead-segment
struct Problem {
  std::string kind;
  std::string bucket;
  std::string key;
  std::string version_id;  // or an upload id for parts
  uint64_t segment = 0;
  std::string detail;
};

struct FsckReport {
  uint64_t versions = 0;
  uint64_t parts = 0;
  uint64_t extents = 0;
  uint64_t segments = 0;
  uint64_t records_checked = 0;  // record headers read
  std::vector<Problem> problems;
};

struct ScrubReport {
  uint64_t segments = 0;
  uint64_t bytes = 0;  // read and verified
  uint64_t bad_records = 0;
  uint64_t damaged_versions = 0;  // marked (or that would be, without marking)
  std::vector<Problem> problems;
};

}  // namespace seglake
