// The segments this process writes: one active segment that every writer
// thread appends to, rotated by size and sealed when idle.
//
// Thread-safe. Lock order: mu_ is a leaf; no SQLite call is made under it.
// After a sync failure, or a write failure that could not be undone, the set
// is failed and every later append fails: a sync is never retried and then
// acknowledged. A write that fails for lack of space is undone (the segment
// cut back to where it began) and fails only its own operation, so writes
// work again once space is freed.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "manifest/manifest.h"
#include "segment/segment.h"

namespace seglake::segment {

class SegmentSet {
 public:
  SegmentSet(Env* env, std::string dir, uint64_t owner, uint64_t target_bytes);
  ~SegmentSet();

  // Appends one data record; returns the extent of its payload.
  Result<Extent> AppendData(std::string_view payload);
  // Appends metadata log records to the active segment (no rotation). Until
  // ResolveMeta(), that segment is neither rotated nor sealed: the commit may
  // still fail, and recovery can cut its records only from an unsealed one.
  Status AppendMeta(const std::vector<std::string>& payloads);
  // The outcome of the commit whose records AppendMeta wrote; a failure
  // disables all later appends (as Poison), unless AppendMeta itself failed
  // for lack of space and wrote nothing.
  void ResolveMeta(const Status& commit);
  // Makes every byte appended before this call durable.
  Status SyncAll();
  // Seals the active segment if it has been idle for `idle_ns` (0: now).
  Status SealIfIdle(uint64_t idle_ns);
  Status failure() const;
  // Disables all later appends (after a failure outside the set).
  void Poison(const Status& s);

 private:
  Result<SegmentWriter*> ActiveLocked();
  Status Fail(Status s);

  Env* env_;
  std::string dir_;
  uint64_t owner_;
  uint64_t target_bytes_;
  mutable std::mutex mu_;
  std::shared_ptr<SegmentWriter> active_;  // guarded by mu_
  uint64_t last_append_ns_ = 0;            // guarded by mu_
  Status failure_;                         // guarded by mu_
  bool meta_unresolved_ = false;           // guarded by mu_; see AppendMeta
  bool meta_undone_ = false;               // guarded by mu_: AppendMeta failed with nothing written
};

}  // namespace seglake::segment
