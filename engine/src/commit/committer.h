// Group commit without a timer. Each request is one metadata operation whose
// data records are already appended. The first waiting request becomes the
// leader: it opens a write transaction, applies every queued op (each in a
// savepoint, so one failing op fails alone), appends their log records, syncs
// the segments once, commits once, and wakes the batch. Requests that arrive
// meanwhile form the next batch.
//
// Thread-safe. Lock order: mu_ before SegmentSet's lock is never needed; the
// leader does its work without holding mu_.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "meta/apply.h"
#include "meta/db.h"
#include "segment/segment_set.h"

namespace seglake {

class Committer {
 public:
  Committer(std::unique_ptr<meta::Db> db, segment::SegmentSet* segs, Env* env, uint64_t owner);
  ~Committer();

  // Applies `op` durably; returns its result once the batch is committed.
  Result<meta::ApplyResult> Commit(nlohmann::json op);

  // Serialized access to the write connection for maintenance outside
  // batches (REQUIRES: no Commit in the same thread).
  template <typename Fn>
  auto WithDb(Fn&& fn) {
    std::lock_guard<std::mutex> l(db_mu_);
    return fn(db_.get());
  }

 private:
  struct Request;
  void RunBatch(const std::deque<Request*>& batch);

  std::mutex db_mu_;  // held by the leader for the whole batch
  std::unique_ptr<meta::Db> db_;
  segment::SegmentSet* segs_;
  Env* env_;
  uint64_t owner_;

  std::mutex mu_;
  std::deque<Request*> queue_;  // guarded by mu_
};

// The payload of a metadata log record: seq, commit time and the op.
struct LogRecord {
  uint64_t seq = 0;
  uint64_t commit_ns = 0;
  uint64_t owner = 0;  // the engine instance that committed it
  nlohmann::json op;
};
std::string EncodeLogRecord(uint64_t seq, uint64_t commit_ns, uint64_t owner,
                            const nlohmann::json& op);
// Parses a log record; Corruption if it is not one.
Status DecodeLogRecord(std::string_view payload, LogRecord* out);

}  // namespace seglake
