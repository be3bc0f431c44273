// Plain structs for the XML documents of the S3 API: what the response
// builders (xml_list.h, xml_results.h) take and the request parsers
// (xml_parse.h) return. Times are Unix nanoseconds; ETags are stored
// without quotes (the builders add them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace seglake::s3 {

struct XmlOwner {
  std::string id;
  std::string display_name;
};

// x-amz-checksum-* values in base64; empty members are left out.
struct XmlChecksums {
  std::string crc32, crc32c, crc64nvme, sha1, sha256;
  std::string type;  // ChecksumType: "FULL_OBJECT" or "COMPOSITE", or empty
};

// GetObjectAttributes: each part is written only when asked for.
struct ObjectAttributesXml {
  std::optional<std::string> etag;  // unquoted, as S3 writes it here
  std::optional<XmlChecksums> checksum;
  std::optional<uint32_t> parts_count;  // ObjectParts: multipart objects only
  uint32_t max_parts = 1000;
  uint32_t part_number_marker = 0;
  std::optional<std::string> storage_class;
  std::optional<uint64_t> size;
};

struct XmlBucket {
  std::string name;
  int64_t created_ns = 0;
  std::string region;  // BucketRegion, left out when empty
};

struct ListBucketsXml {
  XmlOwner owner;
  std::vector<XmlBucket> buckets;
  std::string prefix;
  std::string continuation_token;  // next token; left out when empty
};

struct XmlObject {
  std::string key;
  int64_t last_modified_ns = 0;
  std::string etag;
  uint64_t size = 0;
  std::string storage_class = "STANDARD";
  std::optional<XmlOwner> owner;
  std::string checksum_algorithm;  // e.g. "CRC32C"; left out when empty
};

// ListObjects (V1) and ListObjectsV2. Fields of the other version are ignored.
struct ListObjectsXml {
  std::string bucket;
  std::string prefix;
  std::string delimiter;
  std::string encoding_type;  // "url" encodes keys, prefixes, markers
  uint32_t max_keys = 1000;
  bool truncated = false;
  // V1
  std::string marker;
  std::string next_marker;  // written only when truncated and non-empty
  // V2
  std::string start_after;
  std::string continuation_token;
  std::string next_continuation_token;
  std::vector<XmlObject> objects;
  std::vector<std::string> common_prefixes;
};

struct XmlVersion {
  std::string key;
  std::string version_id = "null";
  bool is_latest = false;
  bool delete_marker = false;
  int64_t last_modified_ns = 0;
  std::string etag;  // versions only
  uint64_t size = 0;
  std::string storage_class = "STANDARD";
  std::optional<XmlOwner> owner;
};

struct ListVersionsXml {
  std::string bucket, prefix, delimiter, encoding_type;
  std::string key_marker, version_id_marker;
  std::string next_key_marker, next_version_id_marker;  // when truncated
  uint32_t max_keys = 1000;
  bool truncated = false;
  std::vector<XmlVersion> versions;  // versions and delete markers, in listing order
  std::vector<std::string> common_prefixes;
};

struct XmlUpload {
  std::string key;
  std::string upload_id;
  int64_t initiated_ns = 0;
  std::string storage_class = "STANDARD";
  std::optional<XmlOwner> owner;  // also written as Initiator
};

struct ListUploadsXml {
  std::string bucket, prefix, delimiter, encoding_type;
  std::string key_marker, upload_id_marker;
  std::string next_key_marker, next_upload_id_marker;
  uint32_t max_uploads = 1000;
  bool truncated = false;
  std::vector<XmlUpload> uploads;
  std::vector<std::string> common_prefixes;
};

struct XmlPart {
  uint32_t part_number = 0;
  int64_t last_modified_ns = 0;
  std::string etag;
  uint64_t size = 0;
  XmlChecksums checksums;
};

struct ListPartsXml {
  std::string bucket, key, upload_id;
  std::optional<XmlOwner> owner;
  std::string storage_class = "STANDARD";
  uint32_t part_number_marker = 0;
  uint32_t next_part_number_marker = 0;
  uint32_t max_parts = 1000;
  bool truncated = false;
  std::string checksum_algorithm;
  std::vector<XmlPart> parts;
};

struct DeletedXml {
  std::string key;
  std::string version_id;      // left out when empty
  bool delete_marker = false;  // DeleteMarker true
  std::string delete_marker_version_id;
};

struct DeleteErrorXml {
  std::string key, version_id, code, message;
};

struct DeleteResultXml {
  std::vector<DeletedXml> deleted;  // leave empty in Quiet mode
  std::vector<DeleteErrorXml> errors;
};

struct XmlTag {
  std::string key, value;
  bool operator==(const XmlTag&) const = default;
};

struct ErrorXml {
  std::string code, message, resource, request_id;
  std::string key, bucket_name;  // extra fields, left out when empty
};

// Request bodies.

struct CompletePartXml {
  uint32_t part_number = 0;
  std::string etag;  // quotes removed
  XmlChecksums checksums;
};

struct DeleteObjectXml {
  std::string key;
  std::string version_id;  // empty when not given
  std::string etag;        // <ETag>: delete only if the current version has it
};

struct DeleteRequestXml {
  bool quiet = false;
  std::vector<DeleteObjectXml> objects;
};

enum class VersioningStatus { kEnabled, kSuspended };

}  // namespace seglake::s3
