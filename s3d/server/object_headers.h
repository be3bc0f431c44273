// Object metadata on the wire: request headers -> ObjectAttrs (PutObject,
// CreateMultipartUpload, CopyObject with REPLACE), ObjectInfo -> response
// headers (GetObject, HeadObject), and the x-amz-checksum-* headers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "proto/checksum.h"
#include "proto/xml_types.h"
#include "seglake/types.h"
#include "server/context.h"

namespace seglake::s3d {

inline constexpr size_t kMaxUserMetadataBytes = 2048;

// Content-Type, -Encoding (without aws-chunked), -Disposition, -Language,
// Cache-Control, Expires and x-amz-meta-* (mode, uid, gid and mtime with
// numeric values become POSIX attributes). With `with_tags`, x-amz-tagging
// too. MetadataTooLarge past 2 KB of user metadata; InvalidTag and friends
// for a bad x-amz-tagging.
s3::S3Result<ObjectAttrs> AttrsFromHeaders(const Context& c, bool with_tags);
// x-amz-storage-class: "" for none or STANDARD, the class for another of
// S3's names, InvalidStorageClass otherwise.
s3::S3Result<std::string> StorageClassOf(const Context& c);

// Rejects headers asking for what this server does not do: server-side
// encryption, object lock, ACLs other than private, storage classes other
// than STANDARD, website redirects (NotImplemented / InvalidStorageClass).
s3::S3Status CheckUnsupportedHeaders(const Context& c);

// Headers describing a version for GetObject and HeadObject: Content-Type,
// ETag, Last-Modified, Accept-Ranges, the stored content headers,
// x-amz-meta-*, x-amz-tagging-count and x-amz-version-id.
void AddObjectHeaders(const ObjectInfo& o, HttpResponse& res);
// x-amz-version-id (or `header`), left out for the null version.
void AddVersionHeader(std::string_view version_id, HttpResponse& res,
                      std::string_view header = "x-amz-version-id");

// The x-amz-checksum-* a write declares.
struct ChecksumPlan {
  ChecksumSet set;  // what the engine computes and stores
  // A checksum sent as a header, verified over the decoded body.
  std::optional<s3::ChecksumAlgorithm> header_alg;
  std::string header_value;  // base64
  // The algorithm the client asked for (header, trailer or
  // x-amz-sdk-checksum-algorithm), echoed in the response.
  std::optional<s3::ChecksumAlgorithm> algorithm;
};
// InvalidRequest for several checksum headers, a malformed value or an
// unknown algorithm.
s3::S3Result<ChecksumPlan> PlanChecksums(const Context& c);
// Adds alg to the engine's checksum set.
void RequestChecksum(s3::ChecksumAlgorithm alg, ChecksumSet* set);
// The stored value of alg in `sums` ("" when not computed).
std::string ChecksumValue(const Checksums& sums, s3::ChecksumAlgorithm alg);
// Every computed x-amz-checksum-* and x-amz-checksum-type.
void AddChecksumHeaders(const Checksums& sums, HttpResponse& res);
s3::XmlChecksums ToXmlChecksums(const Checksums& sums);

// Content-MD5: InvalidDigest when malformed; BadDigest when `md5_hex`
// differs. OK when the header is absent.
s3::S3Status CheckContentMd5(const Context& c, std::string_view md5_hex);

}  // namespace seglake::s3d
