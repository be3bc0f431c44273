// Object tagging: GetObjectTagging, PutObjectTagging, DeleteObjectTagging
// (on the current version or ?versionId).
#include <map>

#include "proto/xml_parse.h"
#include "proto/xml_results.h"
#include "server/object_headers.h"
#include "server/ops.h"
#include "server/ops_common.h"
#include "server/payload.h"

namespace seglake::s3d {
namespace {

constexpr size_t kMaxTaggingBody = 64 << 10;

OpResult SetTags(Context& c, const std::map<std::string, std::string>& tags, int status) {
  auto version_param = VersionIdParam(c);
  if (!version_param) return tl::unexpected(version_param.error());
  const std::string& version = *version_param;
  auto info = c.engine.Head(c.bucket(), c.key(), version);
  if (!info) return ReadFailure(c, info.error(), version);
  if (Status st = c.engine.SetTags(c.bucket(), c.key(), info->version_id, tags); !st.ok()) {
    return Fail(st);
  }
  AddVersionHeader(info->version_id, c.res);
  c.res.status = status;
  return {};
}

}  // namespace

OpResult GetObjectTagging(Context& c) {
  auto version_param = VersionIdParam(c);
  if (!version_param) return tl::unexpected(version_param.error());
  const std::string& version = *version_param;
  auto info = c.engine.Head(c.bucket(), c.key(), version);
  if (!info) return ReadFailure(c, info.error(), version);
  std::vector<s3::XmlTag> tags;
  for (const auto& [k, v] : info->attrs.tags) tags.push_back(s3::XmlTag{k, v});
  AddVersionHeader(info->version_id, c.res);
  c.Xml(200, s3::TaggingXmlDoc(tags));
  return {};
}

OpResult PutObjectTagging(Context& c) {
  Payload body(c);
  auto doc = body.ReadSmall(kMaxTaggingBody);
  if (!doc) return tl::unexpected(doc.error());
  if (auto st = CheckBodyDigests(c, *doc, false); !st) return st;
  auto parsed = s3::ParseTagging(*doc);
  if (!parsed) return tl::unexpected(parsed.error());
  std::map<std::string, std::string> tags;
  for (const auto& t : *parsed) tags[t.key] = t.value;
  return SetTags(c, tags, 200);
}

OpResult DeleteObjectTagging(Context& c) { return SetTags(c, {}, 204); }

}  // namespace seglake::s3d
