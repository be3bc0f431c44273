// The Engine implementation. Thread-safe (see seglake/engine.h).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "commit/committer.h"
#include "manifest/manifest.h"
#include "meta/read_pool.h"
#include "meta/rows.h"
#include "object/segment_files.h"
#include "seglake/engine.h"
#include "seglake/env.h"
#include "segment/segment_set.h"

namespace seglake {

class EngineImpl final : public Engine {
 public:
  explicit EngineImpl(const Options& o);
  ~EngineImpl() override;
  Status Init();

  Status CreateBucket(const std::string& name, const std::string& region) override;
  Status DeleteBucket(const std::string& name, bool abort_uploads) override;
  Result<BucketInfo> GetBucket(const std::string& name) override;
  Result<std::vector<BucketInfo>> ListBuckets() override;
  Status SetVersioning(const std::string& bucket, Versioning v) override;

  Result<std::unique_ptr<ObjectWriter>> BeginPut(const std::string& bucket, const std::string& key,
                                                 const PutOptions& opts) override;
  Result<ObjectInfo> Head(const std::string& bucket, const std::string& key,
                          const std::string& version_id) override;
  Result<std::unique_ptr<ObjectReader>> OpenRead(const std::string& bucket, const std::string& key,
                                                 const std::string& version_id) override;
  Result<DeleteResult> Delete(const std::string& bucket, const std::string& key,
                              const std::string& version_id, const WriteConditions& cond) override;
  Result<ObjectInfo> Copy(const std::string& src_bucket, const std::string& src_key,
                          const std::string& dst_bucket, const std::string& dst_key,
                          const CopyOptions& opts) override;
  Status Rename(const std::string& bucket, const std::string& from, const std::string& to,
                bool prefix, bool replace, uint64_t* seq) override;
  Status Exchange(const std::string& bucket, const std::string& a, bool a_dir, const std::string& b,
                  bool b_dir, uint64_t* seq) override;
  Result<std::unique_ptr<FileEditor>> BeginEdit(const std::string& bucket, const std::string& key,
                                                bool create, const ObjectAttrs& attrs) override;
  Result<ListResult> List(const std::string& bucket, const ListOptions& opts) override;
  Result<ListVersionsResult> ListVersions(const std::string& bucket,
                                          const ListVersionsOptions& opts) override;
  Status SetTags(const std::string& bucket, const std::string& key, const std::string& version_id,
                 const std::map<std::string, std::string>& tags) override;

  Result<UploadInfo> CreateUpload(const std::string& bucket, const std::string& key,
                                  const PutOptions& opts) override;
  Result<std::unique_ptr<ObjectWriter>> BeginPart(const std::string& upload_id,
                                                  uint32_t part_number) override;
  Result<PartInfo> CopyPart(const std::string& upload_id, uint32_t part_number,
                            const std::string& src_bucket, const std::string& src_key,
                            const CopyOptions& opts) override;
  Result<UploadInfo> GetUpload(const std::string& upload_id) override;
  Result<ListPartsResult> ListParts(const std::string& upload_id, uint32_t marker,
                                    uint32_t max_parts) override;
  Result<ObjectInfo> CompleteUpload(const std::string& upload_id,
                                    const std::vector<CompletePart>& parts,
                                    const WriteConditions& conditions) override;
  Status AbortUpload(const std::string& upload_id) override;
  Result<ListUploadsResult> ListUploads(const std::string& bucket,
                                        const ListUploadsOptions& opts) override;

  Result<uint64_t> LastSeq() override;
  Result<std::vector<Change>> ChangesSince(uint64_t seq, uint32_t limit) override;
  Result<EngineStats> Stats() override;
  Result<FsckReport> Fsck(const ProgressFn& progress) override;
  Result<ScrubReport> Scrub(bool mark, const ProgressFn& progress) override;
  Status Snapshot(const std::string& dest, const ProgressFn& progress) override;
  Result<uint64_t> AbortUploadsOlderThan(uint64_t age_ns) override;
  Status SetMaintenance(bool on) override;
  Result<bool> Maintenance() override;
  Status Writable() const override { return WritableCheck(); }
  Status SealActiveSegment() override;
  Status Close() override;

  // Used by writers and readers.
  const Options& options() const { return opt_; }
  Env* env() const { return env_; }
  segment::SegmentSet* segments() { return segs_.get(); }
  SegmentFiles* files() { return &files_; }
  Result<meta::ApplyResult> Commit(nlohmann::json op);
  Status WritableCheck() const;
  // Registers a reader that may still use segments no version references
  // (GC waits for it, DESIGN.md invariant 5) until the token's last copy is
  // gone. Take it before loading the version row.
  std::shared_ptr<void> HoldReads();
  // The start of the oldest registered reader, or now.
  uint64_t OldestRead();
  Result<GcReport> CollectGarbage(bool dry_run, uint64_t grace_ns) override;
  Result<CompactReport> Compact(const CompactOptions& opts, const ProgressFn& progress) override;

 private:
  Status Recover(meta::Db* db);
  void BackgroundLoop();
  // A version row (current, or by id) that is not a delete marker.
  Result<meta::VersionRow> ReadableVersion(const std::string& bucket, const std::string& key,
                                           const std::string& version_id);
  Result<std::string> SliceMd5(const Manifest& m, uint64_t size);
  Status RecordRun(const std::string& what, uint64_t problems);

  Options opt_;
  Env* env_;
  std::string dir_;
  std::string seg_dir_;
  std::string lock_dir_;
  uint64_t owner_ = 0;
  std::unique_ptr<FileLock> owner_lock_;
  std::unique_ptr<segment::SegmentSet> segs_;
  std::unique_ptr<Committer> committer_;
  meta::ReadPool pool_;
  SegmentFiles files_;

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool stop_ = false;  // guarded by bg_mu_
  std::thread bg_;
  std::atomic<bool> closed_{false};

  // Start times of registered readers; shared with their tokens, which may
  // outlive the engine.
  struct Reads {
    std::mutex mu;
    std::multiset<uint64_t> starts;
  };
  std::shared_ptr<Reads> reads_ = std::make_shared<Reads>();
  void PublishLease();
};

// Corruption if scrub marked the version damaged.
Status CheckNotDamaged(const meta::VersionRow& v);

// Streaming writers and readers (object/writer.cc, object/reader.cc).
std::unique_ptr<ObjectWriter> NewObjectWriter(EngineImpl* e, nlohmann::json op_template,
                                              const ChecksumSet& sums);
std::unique_ptr<ObjectReader> NewObjectReader(EngineImpl* e, ObjectInfo info, Manifest m,
                                              std::shared_ptr<void> lease = nullptr);
// Reads `n` bytes at `in` within extent `e` into out; a whole data record is
// checked against its CRC32C (`what` names the object in the error).
Status ReadExtent(EngineImpl* e, const Extent& ext, uint64_t in, char* out, size_t n,
                  const std::string& what);

}  // namespace seglake
