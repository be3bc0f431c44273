// Segment files: append-only files of records with one writer while open,
// immutable once sealed. See FORMAT.md beside this file.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "record/record.h"
#include "seglake/env.h"
#include "seglake/status.h"

namespace seglake::segment {

struct SegmentHeader {
  uint64_t id = 0;
  uint64_t owner = 0;  // nonce of the engine instance that wrote it
};

std::string FileName(uint64_t id);  // "<16 hex digits>.seg"
bool ParseFileName(std::string_view name, uint64_t* id);
std::string EncodeHeader(const SegmentHeader& h);
Result<SegmentHeader> DecodeHeader(std::string_view bytes);
std::string EncodeFooter(uint64_t records, uint64_t data_bytes,
                         const std::vector<uint64_t>& meta_offsets);
struct Footer {
  uint64_t records = 0;
  uint64_t data_bytes = 0;
  std::vector<uint64_t> meta_offsets;  // offsets of the headers of meta records
};
Result<Footer> DecodeFooter(std::string_view payload);
std::string EncodeTrailer(uint64_t footer_offset);
// Returns the footer record offset; Corruption if the trailer is invalid.
Result<uint64_t> DecodeTrailer(std::string_view bytes);

// Appends records to one open segment. Appends must be serialized by the
// caller; Sync() may run concurrently with Append() (it covers at least every
// append that returned before it started).
class SegmentWriter {
 public:
  // Creates the file exclusively, writes the header, syncs it and its dir.
  static Result<std::unique_ptr<SegmentWriter>> Create(Env* env, const std::string& dir,
                                                       const SegmentHeader& h);
  // Appends a record; returns the offset of its payload. A write that fails
  // with NoSpace is undone (the file is cut back to where the record began)
  // and the writer stays usable; any other failure, or a failed undo, fails
  // the writer for good.
  Result<uint64_t> Append(record::Type type, std::string_view payload);
  // Appends records in one write, all or none (as Append); returns the
  // offset of each payload.
  Result<std::vector<uint64_t>> AppendAll(record::Type type,
                                          const std::vector<std::string>& payloads);
  Status Sync();
  // Writes footer and trailer and syncs. No appends afterwards. A NoSpace
  // before the sync is undone as in Append (the segment stays open).
  Status Seal();
  uint64_t id() const { return header_.id; }
  uint64_t size() const { return size_.load(); }
  uint64_t synced_size() const { return synced_.load(); }
  bool sealed() const { return sealed_; }
  bool failed() const { return failed_; }

 private:
  SegmentWriter(std::unique_ptr<File> f, const SegmentHeader& h)
      : file_(std::move(f)), header_(h), size_(kHeaderSizeInit), synced_(kHeaderSizeInit) {}
  static constexpr uint64_t kHeaderSizeInit = 40;
  std::unique_ptr<File> file_;
  SegmentHeader header_;
  std::atomic<uint64_t> size_;
  std::atomic<uint64_t> synced_;
  uint64_t records_ = 0;
  uint64_t data_bytes_ = 0;
  std::vector<uint64_t> meta_offsets_;
  bool sealed_ = false;
  bool failed_ = false;

  // Cuts the file back to `size` after a failed write; false (and the
  // writer failed) when that does not work.
  bool Undo(uint64_t size);
};

struct ScanResult {
  SegmentHeader header;
  bool sealed = false;     // a valid trailer and footer
  uint64_t valid_end = 0;  // end of the last valid record (or of the trailer if sealed)
  uint64_t file_size = 0;
  uint64_t records = 0;
  std::string tail_error;  // why scanning stopped before file_size, if it did
};

// Visits records in order. For a sealed segment with meta_only, visits only the
// meta records listed in the footer. The callback gets the payload offset.
using RecordFn =
    std::function<Status(uint64_t offset, const record::Header& h, std::string_view payload)>;
Result<ScanResult> Scan(const File& file, bool meta_only, const RecordFn& fn);

// For a sealed segment, the offset of its footer record (where data and log
// records end); Corruption if it is not sealed. Cheap: reads the tail.
Result<uint64_t> SealedDataEnd(const File& file);

// True if the file ends in a valid trailer and footer (cheap: reads the tail).
bool IsSealed(const File& file);

// Recovers an unsealed segment whose writer is gone: cuts the torn tail after
// the last valid record, then seals it. With `committed`, also cuts at the
// first meta record it rejects (a commit that failed: everything after it is
// uncommitted too, since a failed writer appends nothing more that commits).
using CommittedFn = std::function<bool(std::string_view meta_payload)>;
Result<ScanResult> RecoverAndSeal(File* file, const CommittedFn& committed = nullptr);

}  // namespace seglake::segment
