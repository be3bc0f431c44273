// Engine: the storage engine over one data dir. Objects are manifests of
// extents in append-only segment files; metadata lives in SQLite and every
// change is also logged in the segments.
//
// Thread safety: an Engine is thread-safe; any number of threads may call it.
// ObjectWriter and ObjectReader are used by one thread at a time.
// Several processes may open the same data dir at once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "seglake/maint.h"
#include "seglake/options.h"
#include "seglake/status.h"
#include "seglake/types.h"

namespace seglake {

// A streaming write of one object or part. Append() as many times as needed;
// memory stays bounded by Options::max_record_bytes. Commit() makes the
// version durable and visible; destroying without Commit() abandons it.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual Status Append(const void* data, size_t n) = 0;
  // Bytes appended so far.
  virtual uint64_t size() const = 0;
  // Digests of the bytes appended so far, for the caller to verify a
  // Content-MD5 or x-amz-checksum-* before committing.
  virtual std::string Md5Hex() const = 0;
  virtual Checksums CurrentChecksums() const = 0;
  // For an object: the committed version. For a part: a version-less info
  // whose etag/size/checksums describe the part.
  virtual Result<ObjectInfo> Commit() = 0;
};

// A reader over one immutable version; reads any byte range across extents.
class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  virtual const ObjectInfo& info() const = 0;
  // Reads up to n bytes at offset; returns the count (0 at or past the end).
  // Holes read as zeros. Whole data records are checked against their CRC32C.
  virtual Result<size_t> ReadAt(uint64_t offset, void* buf, size_t n) = 0;
};

// A working copy of one object that is edited in place at any offset: the
// mount's open files. Writes are buffered up to one record and then appended
// to this process's segment as data extents spliced into the working
// manifest; nothing is visible to others until Commit(), which writes a new
// version through the group commit. Memory stays bounded by one record plus
// the working manifest. Not thread-safe: one caller at a time.
class FileEditor {
 public:
  virtual ~FileEditor() = default;
  virtual uint64_t size() const = 0;
  // Content or attributes changed since the base version or the last commit.
  virtual bool dirty() const = 0;
  // Bytes written since the last commit (for a dirty-data bound).
  virtual uint64_t unsaved_bytes() const = 0;
  // The version this copy started from or last committed (empty etag: none).
  virtual const ObjectInfo& base() const = 0;
  virtual const ObjectAttrs& attrs() const = 0;
  virtual void SetAttrs(const ObjectAttrs& attrs) = 0;

  virtual Status Write(uint64_t offset, const void* data, size_t n) = 0;
  // Reads up to n bytes at offset (0 at or past the end); holes read as zeros.
  virtual Result<size_t> Read(uint64_t offset, void* buf, size_t n) = 0;
  // Cuts or extends (with a hole) to `size`.
  virtual Status Truncate(uint64_t size) = 0;
  // Makes [offset, offset+length) within the file a hole; the size stays.
  virtual Status PunchHole(uint64_t offset, uint64_t length) = 0;
  // Splices src's bytes [src_offset, src_offset+length) at `offset`, growing
  // the file if needed, without copying data. src may be this editor.
  virtual Status CopyFrom(FileEditor* src, uint64_t src_offset, uint64_t offset,
                          uint64_t length) = 0;
  // The first offset >= `offset` that holds data (want_data) or is in a hole
  // (the end of the file counts as a hole). NotFound when there is none or
  // offset >= size (ENXIO for lseek).
  virtual Result<uint64_t> Seek(uint64_t offset, bool want_data) = 0;
  // Writes the working copy as a new version of bucket/key (which may differ
  // from where it was opened, after a rename) and continues from it.
  virtual Result<ObjectInfo> Commit(const std::string& bucket, const std::string& key) = 0;
};

struct PutOptions {
  ObjectAttrs attrs;
  ChecksumSet checksums;
  WriteConditions conditions;
};

struct CopyOptions {
  std::string src_version_id;           // empty: current
  std::optional<uint64_t> range_first;  // with range_last: copy a byte slice
  std::optional<uint64_t> range_last;   // inclusive
  bool replace_attrs = false;           // MetadataDirective REPLACE
  ObjectAttrs attrs;                    // used when replace_attrs
  WriteConditions conditions;           // on the destination
};

class Engine {
 public:
  virtual ~Engine() = default;

  // Opens (creating if allowed) the data dir and recovers: cuts torn segment
  // tails and seals the open segments of writers that died.
  static Result<std::unique_ptr<Engine>> Open(const Options& options);

  // Buckets. Names are validated by front ends; the engine only requires a
  // non-empty name without '/'.
  virtual Status CreateBucket(const std::string& name, const std::string& region) = 0;
  // NotEmpty if any version, or any upload in progress unless abort_uploads
  // (S3's DeleteBucket aborts them in the same transaction).
  virtual Status DeleteBucket(const std::string& name, bool abort_uploads = false) = 0;
  virtual Result<BucketInfo> GetBucket(const std::string& name) = 0;
  virtual Result<std::vector<BucketInfo>> ListBuckets() = 0;
  virtual Status SetVersioning(const std::string& bucket, Versioning v) = 0;

  // Objects.
  virtual Result<std::unique_ptr<ObjectWriter>> BeginPut(const std::string& bucket,
                                                         const std::string& key,
                                                         const PutOptions& opts) = 0;
  // Convenience: put a whole buffer.
  Result<ObjectInfo> Put(const std::string& bucket, const std::string& key, std::string_view data,
                         const PutOptions& opts = {});
  virtual Result<ObjectInfo> Head(const std::string& bucket, const std::string& key,
                                  const std::string& version_id = "") = 0;
  virtual Result<std::unique_ptr<ObjectReader>> OpenRead(const std::string& bucket,
                                                         const std::string& key,
                                                         const std::string& version_id = "") = 0;
  // Convenience: read a whole version into memory (tests, small objects).
  Result<std::string> ReadAll(const std::string& bucket, const std::string& key,
                              const std::string& version_id = "");
  // Without version_id: removes the key (a delete marker in a versioned or
  // suspended bucket). With one: removes exactly that version.
  // With cond.if_match, only if the current version has that ETag ("*": any
  // current version): else PreconditionFailed, or NotFound when there is no
  // current version. Checked in the commit, so no write can slip between.
  virtual Result<DeleteResult> Delete(const std::string& bucket, const std::string& key,
                                      const std::string& version_id = "",
                                      const WriteConditions& cond = {}) = 0;
  // Copies (a slice of) a version as a new version: no data is copied.
  virtual Result<ObjectInfo> Copy(const std::string& src_bucket, const std::string& src_key,
                                  const std::string& dst_bucket, const std::string& dst_key,
                                  const CopyOptions& opts) = 0;
  // A working copy of the current version of bucket/key, or of an empty
  // object with `attrs` when the key does not exist and create is true.
  virtual Result<std::unique_ptr<FileEditor>> BeginEdit(const std::string& bucket,
                                                        const std::string& key, bool create,
                                                        const ObjectAttrs& attrs = {}) = 0;
  // Renames one key, or (prefix=true) every key under `from` to the same
  // suffix under `to`, in one transaction. Fails with AlreadyExists if a
  // destination exists and !replace.
  // With `seq`, returns the change sequence of the rename.
  virtual Status Rename(const std::string& bucket, const std::string& from, const std::string& to,
                        bool prefix, bool replace, uint64_t* seq = nullptr) = 0;
  // Swaps two names in one transaction. `a` names the key `a`, or with a_dir
  // every key under `a/` (a directory); likewise `b`. Keys under one name
  // take the other name with the same suffix: file `x` and directory `y`
  // become directory `x` and file `y`. Both sides must hold a key.
  virtual Status Exchange(const std::string& bucket, const std::string& a, bool a_dir,
                          const std::string& b, bool b_dir, uint64_t* seq = nullptr) = 0;
  virtual Result<ListResult> List(const std::string& bucket, const ListOptions& opts) = 0;
  virtual Result<ListVersionsResult> ListVersions(const std::string& bucket,
                                                  const ListVersionsOptions& opts) = 0;
  virtual Status SetTags(const std::string& bucket, const std::string& key,
                         const std::string& version_id,
                         const std::map<std::string, std::string>& tags) = 0;

  // Multipart uploads.
  virtual Result<UploadInfo> CreateUpload(const std::string& bucket, const std::string& key,
                                          const PutOptions& opts) = 0;
  virtual Result<std::unique_ptr<ObjectWriter>> BeginPart(const std::string& upload_id,
                                                          uint32_t part_number) = 0;
  // A part made from a (slice of a) version, without copying data.
  virtual Result<PartInfo> CopyPart(const std::string& upload_id, uint32_t part_number,
                                    const std::string& src_bucket, const std::string& src_key,
                                    const CopyOptions& opts) = 0;
  virtual Result<UploadInfo> GetUpload(const std::string& upload_id) = 0;
  virtual Result<ListPartsResult> ListParts(const std::string& upload_id, uint32_t marker,
                                            uint32_t max_parts) = 0;
  virtual Result<ObjectInfo> CompleteUpload(const std::string& upload_id,
                                            const std::vector<CompletePart>& parts,
                                            const WriteConditions& conditions = {}) = 0;
  virtual Status AbortUpload(const std::string& upload_id) = 0;
  virtual Result<ListUploadsResult> ListUploads(const std::string& bucket,
                                                const ListUploadsOptions& opts) = 0;

  // The change sequence: every committed change has a seq, increasing across
  // all processes on the data dir. One seq may carry several changes (a
  // rename); a page of ChangesSince never ends inside a seq, so it may hold
  // more than `limit` changes and a follower resumes from the last seq seen.
  virtual Result<uint64_t> LastSeq() = 0;
  virtual Result<std::vector<Change>> ChangesSince(uint64_t seq, uint32_t limit) = 0;

  virtual Result<EngineStats> Stats() = 0;

  // Maintenance (maint/). Each works while other processes use the data dir.
  // fsck: every manifest's extents lie inside existing segments (and sealed
  // bounds), record headers where an extent starts a record, and the
  // index's own consistency.
  virtual Result<FsckReport> Fsck(const ProgressFn& progress = nullptr) = 0;
  // scrub: reads every record of every segment and checks its CRC; with
  // `mark`, versions touching a bad record are marked damaged (reads of them
  // fail with Corruption: S3 500, EIO in the mount).
  virtual Result<ScrubReport> Scrub(bool mark, const ProgressFn& progress = nullptr) = 0;
  // An online, consistent copy of the data dir at `dest` (which must not
  // exist): meta.db through SQLite's backup, sealed segments hard-linked (or
  // copied across filesystems), open ones copied.
  virtual Status Snapshot(const std::string& dest, const ProgressFn& progress = nullptr) = 0;
  // Garbage collection of segments no version, part or open reader in any
  // process references (DESIGN.md invariant 5): sealed, unreferenced
  // segments are first condemned; a later run deletes those condemned more
  // than `grace_ns` ago and before the oldest reader of every live process
  // started. Their log records move into the run's own log record, so
  // rebuild-index still sees them. dry_run only counts.
  virtual Result<GcReport> CollectGarbage(bool dry_run, uint64_t grace_ns) = 0;
  // Compaction: copies the live bytes out of sealed segments whose live share
  // is low (and of fragmented versions) into new records, and swaps each
  // version's manifest in its own small commit, only if it did not change
  // meanwhile. Readers keep reading the old bytes until GC removes them.
  // Stops early (and can simply be run again) when progress returns false.
  virtual Result<CompactReport> Compact(const CompactOptions& opts,
                                        const ProgressFn& progress = nullptr) = 0;
  // Aborts multipart uploads initiated more than `age_ns` ago; returns how many.
  virtual Result<uint64_t> AbortUploadsOlderThan(uint64_t age_ns) = 0;
  // Maintenance mode: while on, every write in any process fails with Busy
  // (detail "Maintenance"): S3 answers 503 SlowDown, the mount EROFS.
  virtual Status SetMaintenance(bool on) = 0;
  virtual Result<bool> Maintenance() = 0;
  // OK while this process can write: open, not read-only, and no failed sync
  // has disabled its writes (DESIGN.md: a sync is never retried); otherwise
  // why it cannot. Cheap: no I/O.
  virtual Status Writable() const = 0;
  // Seals this process's open segment now (also done by size and idle time).
  virtual Status SealActiveSegment() = 0;
  // Closes cleanly: seals open segments. Called by the destructor too.
  virtual Status Close() = 0;
};

// Rebuilds meta.db of a data dir from the segment logs alone (no engine may
// have the dir open). The old meta.db is kept as meta.db.old-<time>.
Status RebuildIndex(const std::string& data_dir, Env* env = nullptr);

}  // namespace seglake
