// Small helpers shared by the operation handlers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "proto/xml_types.h"
#include "server/context.h"

namespace seglake::s3d {

s3::XmlOwner Owner(const Context& c);

// A count parameter such as max-keys: absent -> `def`; clamped to `max`;
// InvalidArgument when not a non-negative integer.
s3::S3Result<uint32_t> CountParam(const Context& c, std::string_view name, uint32_t def,
                                  uint32_t max);
// encoding-type: "" or "url"; InvalidArgument otherwise.
s3::S3Result<std::string> EncodingTypeParam(const Context& c);
// versionId: absent -> "" (the current version); present but empty ->
// InvalidArgument, as S3 answers (never the current version by accident).
s3::S3Result<std::string> VersionIdParam(const Context& c);
// partNumber: 1..10000, InvalidArgument otherwise (or when absent).
s3::S3Result<uint32_t> PartNumberParam(const Context& c);

// The error for a failed read of (bucket, key, version_id): a delete marker
// answers 405 MethodNotAllowed when addressed by version id, 404 NoSuchKey
// otherwise, both with x-amz-delete-marker: true and the marker's version.
tl::unexpected<s3::S3Error> ReadFailure(Context& c, const Status& st,
                                        const std::string& version_id);

// The upload named by ?uploadId, checked to belong to the request's bucket
// and key (NoSuchUpload otherwise).
s3::S3Result<UploadInfo> UploadOfRequest(Context& c);

// If-None-Match: * and If-Match on a write (NotImplemented for other
// If-None-Match values).
s3::S3Result<WriteConditions> WriteConditionsOf(const Context& c);

// Checks Content-MD5 and an x-amz-checksum-* header against a small body;
// with `required`, one of them must be present (InvalidRequest).
s3::S3Status CheckBodyDigests(const Context& c, std::string_view body, bool required);

// The "https://host/bucket/key" form of the request's object.
std::string ObjectUrl(const Context& c);

}  // namespace seglake::s3d
