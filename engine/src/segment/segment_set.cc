#include "segment/segment_set.h"

#include <random>

namespace seglake::segment {

SegmentSet::SegmentSet(Env* env, std::string dir, uint64_t owner, uint64_t target_bytes)
    : env_(env), dir_(std::move(dir)), owner_(owner), target_bytes_(target_bytes) {}

SegmentSet::~SegmentSet() = default;

Status SegmentSet::Fail(Status s) {
  if (failure_.ok())
    failure_ = Status::IOError("writes disabled after an I/O error (" + s.ToString() +
                               "); reopen the data dir");
  return s;
}

void SegmentSet::Poison(const Status& s) {
  std::lock_guard<std::mutex> l(mu_);
  (void)Fail(s);
}

Status SegmentSet::failure() const {
  std::lock_guard<std::mutex> l(mu_);
  return failure_;
}

Result<SegmentWriter*> SegmentSet::ActiveLocked() {
  if (!failure_.ok()) return Err(failure_);
  if (active_) return active_.get();
  // Ids are unique across processes: microseconds since the epoch in the high
  // bits, random low bits, and an exclusive create that retries on collision.
  static thread_local std::mt19937_64 rng(std::random_device{}());
  for (int attempt = 0; attempt < 16; ++attempt) {
    uint64_t id = ((env_->NowNanos() / 1000) << 12) | (rng() & 0xfff);
    if (id == 0) continue;
    auto w = SegmentWriter::Create(env_, dir_, SegmentHeader{id, owner_});
    if (w) {
      active_ = std::move(*w);
      return active_.get();
    }
    if (w.error().code() == Status::Code::kNoSpace) return Err(w.error());  // nothing written
    if (!w.error().IsAlreadyExists()) return Err(Fail(w.error()));
  }
  return Err(Status::IOError("could not allocate a segment id"));
}

Result<Extent> SegmentSet::AppendData(std::string_view payload) {
  std::lock_guard<std::mutex> l(mu_);
  auto w = ActiveLocked();
  if (!w) return Err(w.error());
  auto off = (*w)->Append(record::Type::kData, payload);
  // A full disk fails this append only (the writer undid it).
  if (!off) return Err((*w)->failed() ? Fail(off.error()) : off.error());
  last_append_ns_ = env_->NowNanos();
  Extent e{(*w)->id(), *off, payload.size()};
  if ((*w)->size() >= target_bytes_ && !meta_unresolved_) {
    Status s = (*w)->Seal();
    if (s.ok()) {
      active_.reset();
    } else if ((*w)->failed()) {
      return Err(Fail(s));
    }
    // Else out of space for the footer: the segment stays open and the next
    // append tries to seal it again.
  }
  return e;
}

Status SegmentSet::AppendMeta(const std::vector<std::string>& payloads) {
  std::lock_guard<std::mutex> l(mu_);
  auto w = ActiveLocked();
  if (!w) {
    meta_undone_ = failure_.ok();  // no segment to write to (a full disk): nothing written
    return w.error();
  }
  meta_unresolved_ = true;
  // One write for the batch: on a full disk none of it is on disk and the
  // commit fails alone, without disabling writes (see ResolveMeta).
  auto offs = (*w)->AppendAll(record::Type::kMeta, payloads);
  if (!offs) {
    if ((*w)->failed()) return Fail(offs.error());
    meta_undone_ = true;
    return offs.error();
  }
  last_append_ns_ = env_->NowNanos();
  return Status::OK();
}

void SegmentSet::ResolveMeta(const Status& commit) {
  std::lock_guard<std::mutex> l(mu_);
  meta_unresolved_ = false;
  if (!commit.ok() && !meta_undone_) (void)Fail(commit);
  meta_undone_ = false;
}

Status SegmentSet::SyncAll() {
  std::shared_ptr<SegmentWriter> w;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!failure_.ok()) return failure_;
    w = active_;
  }
  // Segments rotated out were synced when sealed; only the active one may
  // hold unsynced bytes. The sync runs without the lock so appends go on.
  if (!w) return Status::OK();
  Status s = w->Sync();
  if (!s.ok()) {
    std::lock_guard<std::mutex> l(mu_);
    return Fail(s);
  }
  return Status::OK();
}

Status SegmentSet::SealIfIdle(uint64_t idle_ns) {
  std::lock_guard<std::mutex> l(mu_);
  if (!active_ || !failure_.ok()) return failure_;
  if (meta_unresolved_) return Status::OK();  // a commit is in flight: not idle
  if (idle_ns != 0 && env_->NowNanos() - last_append_ns_ < idle_ns) return Status::OK();
  Status s = active_->Seal();
  if (!s.ok()) return active_->failed() ? Fail(s) : s;  // full disk: stays open
  active_.reset();
  return Status::OK();
}

}  // namespace seglake::segment
