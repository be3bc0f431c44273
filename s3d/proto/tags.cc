#include "proto/tags.h"

#include <set>
#include <string>

#include "proto/encoding.h"
#include "proto/uri.h"

namespace seglake::s3 {

S3Status CheckTags(const std::vector<XmlTag>& tags, size_t max_tags) {
  if (tags.size() > max_tags) {
    return S3Err(ErrorCode::kInvalidTag,
                 "Object tags cannot be greater than " + std::to_string(max_tags));
  }
  std::set<std::string_view> keys;
  for (const XmlTag& t : tags) {
    if (t.key.empty() || !IsValidUtf8(t.key) || Utf8Length(t.key) > kMaxTagKeyChars) {
      return S3Err(ErrorCode::kInvalidTag, "The TagKey you have provided is invalid");
    }
    if (!IsValidUtf8(t.value) || Utf8Length(t.value) > kMaxTagValueChars) {
      return S3Err(ErrorCode::kInvalidTag, "The TagValue you have provided is invalid");
    }
    if (!keys.insert(t.key).second) {
      return S3Err(ErrorCode::kInvalidTag, "Cannot provide multiple Tags with the same key");
    }
  }
  return {};
}

S3Result<std::vector<XmlTag>> ParseTaggingHeader(std::string_view value) {
  auto params = ParseQuery(value);
  if (!params) {
    return S3Err(ErrorCode::kInvalidArgument,
                 "The header 'x-amz-tagging' shall be encoded as "
                 "UTF-8 then URLEncoded URL query parameters.");
  }
  std::vector<XmlTag> tags;
  tags.reserve(params->size());
  for (QueryParam& p : *params) tags.push_back({std::move(p.key), std::move(p.value)});
  if (auto st = CheckTags(tags); !st) return tl::unexpected(st.error());
  return tags;
}

}  // namespace seglake::s3
