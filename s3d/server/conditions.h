// HTTP conditional requests as S3 evaluates them (RFC 7232 order):
// If-Match, then If-Unmodified-Since (ignored when If-Match is present),
// then If-None-Match, then If-Modified-Since (ignored when If-None-Match is
// present). CopyObject and UploadPartCopy use the same rules on the
// x-amz-copy-source-if-* headers.
#pragma once

#include <cstdint>
#include <string_view>

#include "proto/headers.h"

namespace seglake::s3d {

enum class Precondition { kProceed, kNotModified, kFailed };

// `prefix` is "" for If-*, "x-amz-copy-source-" for the copy source.
Precondition EvaluatePreconditions(const s3::HeaderMap& headers, std::string_view prefix,
                                   std::string_view etag, int64_t last_modified_s);

// If-Range: true when the Range header applies (no If-Range, or its ETag or
// date matches the object).
bool IfRangeAllows(const s3::HeaderMap& headers, std::string_view etag, int64_t last_modified_s);

// Whether `etag` (unquoted) matches an If-Match / If-None-Match list
// ("*", or comma-separated quoted or bare ETags, W/ ignored).
bool EtagListMatches(std::string_view list, std::string_view etag);

}  // namespace seglake::s3d
