// Listings: ListObjects (V1), ListObjectsV2, ListObjectVersions,
// ListMultipartUploads.
#include "proto/encoding.h"
#include "proto/xml_list.h"
#include "server/ops.h"
#include "server/ops_common.h"

namespace seglake::s3d {
namespace {

s3::XmlObject ToXmlObject(const ObjectInfo& o, const std::optional<s3::XmlOwner>& owner) {
  s3::XmlObject x;
  x.key = o.key;
  x.last_modified_ns = static_cast<int64_t>(o.last_modified_ns);
  x.etag = o.etag;
  x.size = o.size;
  x.owner = owner;
  if (!o.attrs.storage_class.empty()) x.storage_class = o.attrs.storage_class;
  return x;
}

// The common prefix of key under prefix and delimiter, or "".
std::string CommonPrefix(const std::string& key, const std::string& prefix,
                         const std::string& delimiter) {
  if (delimiter.empty()) return std::string();
  const size_t pos = key.find(delimiter, prefix.size());
  if (pos == std::string::npos) return std::string();
  return key.substr(0, pos + delimiter.size());
}

// Greater than every key that starts with p: keys are UTF-8, which never
// holds the byte 0xFF.
std::string PastPrefix(const std::string& p) { return p + "\xff"; }

}  // namespace

OpResult ListObjectsV1(Context& c) {
  auto max = CountParam(c, "max-keys", 1000, 1000);
  if (!max) return tl::unexpected(max.error());
  auto enc = EncodingTypeParam(c);
  if (!enc) return tl::unexpected(enc.error());
  ListOptions o;
  o.prefix = c.Param("prefix").value_or("");
  o.delimiter = c.Param("delimiter").value_or("");
  o.start_after = c.Param("marker").value_or("");
  o.max_keys = *max;
  auto r = c.engine.List(c.bucket(), o);
  if (!r) return Fail(r.error());
  s3::ListObjectsXml x;
  x.bucket = c.bucket();
  x.prefix = o.prefix;
  x.delimiter = o.delimiter;
  x.encoding_type = *enc;
  x.max_keys = *max;
  x.truncated = r->truncated;
  x.marker = o.start_after;
  if (r->truncated) x.next_marker = r->next_marker;
  const s3::XmlOwner owner = Owner(c);
  for (const ObjectInfo& obj : r->objects) x.objects.push_back(ToXmlObject(obj, owner));
  x.common_prefixes = std::move(r->common_prefixes);
  c.Xml(200, s3::ListObjectsV1XmlDoc(x));
  return {};
}

OpResult ListObjectsV2(Context& c) {
  auto max = CountParam(c, "max-keys", 1000, 1000);
  if (!max) return tl::unexpected(max.error());
  auto enc = EncodingTypeParam(c);
  if (!enc) return tl::unexpected(enc.error());
  ListOptions o;
  o.prefix = c.Param("prefix").value_or("");
  o.delimiter = c.Param("delimiter").value_or("");
  o.max_keys = *max;
  const std::string start_after = c.Param("start-after").value_or("");
  o.start_after = start_after;
  // An empty token is no token (boto3 sends ContinuationToken='' as is).
  auto token = c.Param("continuation-token");
  if (token && token->empty()) token.reset();
  if (token) {
    auto decoded = s3::Base64Decode(*token);
    if (!decoded || decoded->empty()) {
      return Fail(s3::ErrorCode::kInvalidArgument, "The continuation token provided is incorrect");
    }
    o.start_after = *decoded;
  }
  auto r = c.engine.List(c.bucket(), o);
  if (!r) return Fail(r.error());
  s3::ListObjectsXml x;
  x.bucket = c.bucket();
  x.prefix = o.prefix;
  x.delimiter = o.delimiter;
  x.encoding_type = *enc;
  x.max_keys = *max;
  x.truncated = r->truncated;
  x.start_after = start_after;
  x.continuation_token = token.value_or("");
  if (r->truncated) x.next_continuation_token = s3::Base64Encode(r->next_marker);
  std::optional<s3::XmlOwner> owner;
  if (c.Param("fetch-owner") == "true") owner = Owner(c);
  for (const ObjectInfo& obj : r->objects) x.objects.push_back(ToXmlObject(obj, owner));
  x.common_prefixes = std::move(r->common_prefixes);
  c.Xml(200, s3::ListObjectsV2XmlDoc(x));
  return {};
}

OpResult ListObjectVersions(Context& c) {
  auto max = CountParam(c, "max-keys", 1000, 1000);
  if (!max) return tl::unexpected(max.error());
  auto enc = EncodingTypeParam(c);
  if (!enc) return tl::unexpected(enc.error());
  ListVersionsOptions o;
  o.prefix = c.Param("prefix").value_or("");
  o.delimiter = c.Param("delimiter").value_or("");
  o.key_marker = c.Param("key-marker").value_or("");
  o.version_id_marker = c.Param("version-id-marker").value_or("");
  o.max_keys = *max;
  if (!o.version_id_marker.empty() && o.key_marker.empty()) {
    return Fail(s3::ErrorCode::kInvalidArgument,
                "A version-id marker cannot be specified without a key marker.");
  }
  auto r = c.engine.ListVersions(c.bucket(), o);
  if (!r) return Fail(r.error());
  s3::ListVersionsXml x;
  x.bucket = c.bucket();
  x.prefix = o.prefix;
  x.delimiter = o.delimiter;
  x.encoding_type = *enc;
  x.key_marker = o.key_marker;
  x.version_id_marker = o.version_id_marker;
  x.max_keys = *max;
  x.truncated = r->truncated;
  if (r->truncated) {
    x.next_key_marker = r->next_key_marker;
    x.next_version_id_marker = r->next_version_id_marker;
  }
  const s3::XmlOwner owner = Owner(c);
  for (const ObjectInfo& v : r->versions) {
    s3::XmlVersion xv;
    xv.key = v.key;
    xv.version_id = v.version_id.empty() ? "null" : v.version_id;
    xv.is_latest = v.is_latest;
    xv.delete_marker = v.delete_marker;
    xv.last_modified_ns = static_cast<int64_t>(v.last_modified_ns);
    xv.etag = v.etag;
    xv.size = v.size;
    xv.owner = owner;
    if (!v.attrs.storage_class.empty()) xv.storage_class = v.attrs.storage_class;
    x.versions.push_back(std::move(xv));
  }
  x.common_prefixes = std::move(r->common_prefixes);
  c.Xml(200, s3::ListVersionsXmlDoc(x));
  return {};
}

OpResult ListMultipartUploads(Context& c) {
  auto max = CountParam(c, "max-uploads", 1000, 1000);
  if (!max) return tl::unexpected(max.error());
  auto enc = EncodingTypeParam(c);
  if (!enc) return tl::unexpected(enc.error());
  const std::string prefix = c.Param("prefix").value_or("");
  const std::string delimiter = c.Param("delimiter").value_or("");
  ListUploadsOptions o;
  o.prefix = prefix;
  o.key_marker = c.Param("key-marker").value_or("");
  o.upload_id_marker = c.Param("upload-id-marker").value_or("");
  o.max_uploads = *max + 1;
  s3::ListUploadsXml x;
  x.bucket = c.bucket();
  x.prefix = prefix;
  x.delimiter = delimiter;
  x.encoding_type = *enc;
  x.key_marker = o.key_marker;
  x.upload_id_marker = o.upload_id_marker;
  x.max_uploads = *max;
  // A key marker that is a common prefix resumes after everything under it.
  if (!o.key_marker.empty() && CommonPrefix(o.key_marker, prefix, delimiter) == o.key_marker) {
    o.key_marker = PastPrefix(o.key_marker);
    o.upload_id_marker.clear();
  }
  const s3::XmlOwner owner = Owner(c);
  uint32_t count = 0;
  std::string last_key, last_id;
  for (bool more = *max > 0; more;) {
    auto r = c.engine.ListUploads(c.bucket(), o);
    if (!r) return Fail(r.error());
    more = false;
    bool restart = false;
    for (const UploadInfo& u : r->uploads) {
      if (count == *max) {
        x.truncated = true;
        break;
      }
      const std::string cp = CommonPrefix(u.key, prefix, delimiter);
      if (!cp.empty()) {
        x.common_prefixes.push_back(cp);
        ++count;
        last_key = cp;
        last_id.clear();
        o.key_marker = PastPrefix(cp);
        o.upload_id_marker.clear();
        restart = true;
        break;
      }
      s3::XmlUpload xu;
      xu.key = u.key;
      xu.upload_id = u.upload_id;
      xu.initiated_ns = static_cast<int64_t>(u.initiated_ns);
      xu.owner = owner;
      x.uploads.push_back(std::move(xu));
      ++count;
      last_key = u.key;
      last_id = u.upload_id;
    }
    if (x.truncated) break;
    if (restart) {
      more = true;
    } else if (r->truncated) {
      o.key_marker = r->next_key_marker;
      o.upload_id_marker = r->next_upload_id_marker;
      more = true;
    }
  }
  if (x.truncated) {
    x.next_key_marker = last_key;
    x.next_upload_id_marker = last_id;
  }
  c.Xml(200, s3::ListUploadsXmlDoc(x));
  return {};
}

}  // namespace seglake::s3d
