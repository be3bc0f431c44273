// S3 naming rules for buckets and object keys.
#pragma once

#include <string_view>

#include "proto/errors.h"

namespace seglake::s3 {

// S3's bucket naming rules: 3-63 characters of a-z 0-9 '.' '-', starting and
// ending with a letter or digit, no "..", not shaped like an IPv4 address,
// and none of the reserved prefixes (xn--, sthree-, amzn-s3-demo-) or
// suffixes (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3).
bool IsValidBucketName(std::string_view name);
// InvalidBucketName with the rule broken, or OK.
S3Status CheckBucketName(std::string_view name);

inline constexpr size_t kMaxKeyBytes = 1024;

// A key is 1..1024 bytes of well-formed UTF-8. KeyTooLongError past 1024
// bytes, InvalidArgument when empty or not UTF-8.
S3Status CheckObjectKey(std::string_view key);

}  // namespace seglake::s3
