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

struct GcReport {
  uint64_t candidates = 0;  // sealed segments no version or part references
  uint64_t condemned = 0;   // marked by this run
  uint64_t deleted = 0;     // files removed by this run
  uint64_t bytes_freed = 0;
  uint64_t waiting = 0;  // condemned, waiting for readers or the grace period
  uint64_t waiting_bytes = 0;
};

struct CompactOptions {
  // Rewrite the live extents of sealed segments whose live share is below this.
  double max_live_ratio = 0.5;
  // Also rewrite versions made of at least this many extents averaging under
  // defrag_extent_bytes (0: no defragmentation).
  uint32_t defrag_min_extents = 64;
  uint64_t defrag_extent_bytes = 256 << 10;
  // Rewrite at most this many bytes per second (0: unthrottled).
  uint64_t max_bytes_per_sec = 0;
  bool dry_run = false;  // plan only
};

struct CompactReport {
  uint64_t segments = 0;       // chosen for their low live share
  uint64_t segment_bytes = 0;  // their size on disk
  uint64_t versions = 0;       // versions whose manifests were (or would be) rewritten
  uint64_t fragmented = 0;     // of which for fragmentation
  uint64_t bytes = 0;          // bytes rewritten (or to rewrite)
  uint64_t skipped = 0;        // changed while being rewritten: left for the next run
  uint64_t elapsed_ns = 0;
};

}  // namespace seglake
