// Rows of meta.db as structs, and the loaders shared by writes and reads.
#pragma once

#include <optional>
#include <string>

#include "meta/db.h"
#include "seglake/types.h"

namespace seglake::meta {

struct VersionRow {
  int64_t id = 0;
  std::string bucket;
  std::string key;
  std::string version_id;
  uint64_t seq = 0;
  bool delete_marker = false;
  uint64_t size = 0;
  std::string etag;
  uint64_t mtime_ns = 0;
  std::string manifest;  // encoded
  std::string info;      // JSON text
  // Not stored: the manifest's bytes are already counted in `segments`
  // (a multipart complete moves its parts' references to the version).
  bool refs_counted = false;
};

// Converts a row; `full` also decodes attributes and checksums.
ObjectInfo ToObjectInfo(const VersionRow& r, bool full);

Result<std::optional<VersionRow>> LoadVersionById(Db* db, int64_t id);
Result<std::optional<VersionRow>> LoadVersion(Db* db, const std::string& bucket,
                                              const std::string& key, const std::string& vid);
// The live current version (not a delete marker), if any.
Result<std::optional<VersionRow>> LoadCurrent(Db* db, const std::string& bucket,
                                              const std::string& key);
// The newest version row, delete marker or not.
Result<std::optional<VersionRow>> LoadLatest(Db* db, const std::string& bucket,
                                             const std::string& key);
Result<std::optional<BucketInfo>> LoadBucket(Db* db, const std::string& name);
Result<std::optional<UploadInfo>> LoadUpload(Db* db, const std::string& upload_id);

// Smallest string greater than every string starting with `prefix`; empty if
// there is none (prefix of all 0xff bytes).
std::string PrefixEnd(const std::string& prefix);

}  // namespace seglake::meta
