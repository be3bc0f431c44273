// Value types of the engine API: buckets, versions, listings, uploads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace seglake {

enum class Versioning : int { kUnversioned = 0, kEnabled = 1, kSuspended = 2 };

struct BucketInfo {
  std::string name;
  std::string region;
  uint64_t created_ns = 0;
  Versioning versioning = Versioning::kUnversioned;
};

// Which optional whole-object checksums a write computes (MD5 and CRC32C are
// always computed).
struct ChecksumSet {
  bool sha256 = false;
  bool sha1 = false;
  bool crc32 = false;
  bool crc64nvme = false;
};

// POSIX attributes of a version, as the mount sees them; absent fields take
// defaults at read time. Exposed over S3 as x-amz-meta-mode/-uid/-gid/-mtime.
struct PosixAttrs {
  std::optional<uint32_t> mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::optional<int64_t> mtime_ns;
  std::optional<int64_t> atime_ns;
  std::optional<int64_t> ctime_ns;
  std::optional<std::string> symlink_target;
};

// Everything a writer says about a new version besides its bytes.
struct ObjectAttrs {
  std::string content_type;
  std::string content_encoding;
  std::string content_disposition;
  std::string content_language;
  std::string cache_control;
  std::string expires;
  std::map<std::string, std::string> user_meta;  // x-amz-meta-* without prefix
  std::map<std::string, std::string> tags;
  PosixAttrs posix;
  // An S3 storage class other than STANDARD (empty): a label kept and
  // returned, with no effect on where or how the bytes are stored.
  std::string storage_class;
};

// Checksums of a version: lowercase hex for md5 (without quotes), base64 for
// the x-amz-checksum-* values, as S3 prints them.
struct Checksums {
  std::string crc32c;     // base64 of big-endian CRC32C
  std::string crc32;      // when requested
  std::string crc64nvme;  // when requested
  std::string sha1;
  std::string sha256;
  // "FULL_OBJECT" or "COMPOSITE" (multipart checksums of part checksums).
  std::string type = "FULL_OBJECT";
};

struct ObjectInfo {
  std::string bucket;
  std::string key;
  std::string version_id;  // "null" outside versioning
  uint64_t size = 0;
  uint64_t allocated = 0;  // bytes in data extents: size minus holes (st_blocks)
  std::string etag;        // without quotes
  uint64_t last_modified_ns = 0;
  bool delete_marker = false;
  bool is_latest = false;
  uint64_t seq = 0;                  // change sequence that created this version
  uint32_t parts = 0;                // number of multipart parts, 0 for a single put
  std::vector<uint64_t> part_sizes;  // sizes of multipart parts, in order
  std::string upload_id;             // the multipart upload that completed into it
  ObjectAttrs attrs;
  Checksums checksums;
  bool damaged = false;  // scrub found a bad record under it: reads fail
};

struct ListOptions {
  std::string prefix;
  std::string delimiter;
  std::string start_after;  // exclusive; marker / start-after / token
  uint32_t max_keys = 1000;
  bool with_attrs = false;  // fill ObjectInfo::attrs and checksums (costs a JSON parse each)
};

struct ListResult {
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_marker;  // last key or prefix returned, when truncated
};

struct ListVersionsOptions {
  std::string prefix;
  std::string delimiter;
  std::string key_marker;
  std::string version_id_marker;
  uint32_t max_keys = 1000;
};

struct ListVersionsResult {
  std::vector<ObjectInfo> versions;  // versions and delete markers, key asc, newest first
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_version_id_marker;
};

struct DeleteResult {
  bool delete_marker = false;  // a delete marker was created or removed
  std::string version_id;      // of the marker created, or the version removed
  uint64_t seq = 0;            // change sequence of the delete
};

struct UploadInfo {
  std::string upload_id;
  std::string bucket;
  std::string key;
  uint64_t initiated_ns = 0;
  ObjectAttrs attrs;
  ChecksumSet checksums;
};

struct PartInfo {
  uint32_t part_number = 0;
  uint64_t size = 0;
  std::string etag;  // hex md5, without quotes
  uint64_t last_modified_ns = 0;
  Checksums checksums;
};

struct ListPartsResult {
  std::vector<PartInfo> parts;
  bool truncated = false;
  uint32_t next_part_number_marker = 0;
};

struct ListUploadsOptions {
  std::string prefix;
  std::string key_marker;
  std::string upload_id_marker;
  uint32_t max_uploads = 1000;
};

struct ListUploadsResult {
  std::vector<UploadInfo> uploads;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};

struct CompletePart {
  uint32_t part_number = 0;
  std::string etag;  // quotes allowed, ignored
};

// Preconditions on the current version of the destination key of a write.
struct WriteConditions {
  bool if_none_match_any = false;  // If-None-Match: *
  std::string if_match;            // ETag the current version must have
};

// One change in the change sequence other processes follow.
struct Change {
  uint64_t seq = 0;
  std::string bucket;
  std::string key;  // empty for bucket-level changes
};

struct EngineStats {
  uint64_t buckets = 0;
  uint64_t objects = 0;  // current, non-delete-marker versions
  uint64_t versions = 0;
  uint64_t delete_markers = 0;
  uint64_t uploads = 0;
  uint64_t segments_open = 0;
  uint64_t segments_sealed = 0;
  uint64_t segment_bytes = 0;
  uint64_t live_bytes = 0;           // bytes referenced by versions and parts (once per reference)
  uint64_t extents = 0;              // in the manifests of all versions (holes included)
  uint64_t fragmented_versions = 0;  // versions whose manifest has more than 64 extents
  uint64_t last_seq = 0;
};

}  // namespace seglake
