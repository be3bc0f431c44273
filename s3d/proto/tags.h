// Object and bucket tag sets: S3's limits, and the x-amz-tagging header.
#pragma once

#include <string_view>
#include <vector>

#include "proto/errors.h"
#include "proto/xml_types.h"

namespace seglake::s3 {

inline constexpr size_t kMaxObjectTags = 10;
inline constexpr size_t kMaxBucketTags = 50;
inline constexpr size_t kMaxTagKeyChars = 128;
inline constexpr size_t kMaxTagValueChars = 256;

// At most max_tags tags (BadRequest), keys of 1..128 and values of 0..256
// UTF-8 characters, keys unique (InvalidTag).
S3Status CheckTags(const std::vector<XmlTag>& tags, size_t max_tags = kMaxObjectTags);

// x-amz-tagging: "k1=v1&k2=v2", URL-encoded; checked with CheckTags.
S3Result<std::vector<XmlTag>> ParseTaggingHeader(std::string_view value);

}  // namespace seglake::s3
