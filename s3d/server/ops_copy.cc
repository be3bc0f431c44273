// CopyObject and UploadPartCopy: x-amz-copy-source (with versionId), the
// x-amz-copy-source-if-* preconditions, metadata and tagging directives,
// x-amz-copy-source-range. The engine copies manifests, never bytes.
#include "proto/encoding.h"
#include "proto/names.h"
#include "proto/range.h"
#include "proto/tags.h"
#include "proto/uri.h"
#include "proto/xml_results.h"
#include "server/conditions.h"
#include "server/object_headers.h"
#include "server/ops.h"
#include "server/ops_common.h"

namespace seglake::s3d {
namespace {

struct CopySource {
  std::string bucket;
  std::string key;
  std::string version_id;
};

s3::S3Result<CopySource> ParseCopySource(const Context& c) {
  std::string_view v;
  auto it = c.req.headers.find("x-amz-copy-source");
  if (it != c.req.headers.end()) v = it->second;
  if (v.starts_with("/")) v.remove_prefix(1);
  CopySource src;
  const size_t q = v.find('?');
  if (q != std::string_view::npos) {
    auto params = s3::ParseQuery(v.substr(q + 1));
    if (!params) return s3::S3Err(s3::ErrorCode::kInvalidArgument, "Invalid copy source encoding");
    for (const auto& p : *params) {
      if (p.key == "versionId") {
        if (p.value.empty()) {
          return s3::S3Err(s3::ErrorCode::kInvalidArgument,
                           "Version id cannot be the empty string");
        }
        src.version_id = p.value;
      }
    }
    v = v.substr(0, q);
  }
  auto path = s3::UriDecode(v, false);
  if (!path) return s3::S3Err(s3::ErrorCode::kInvalidArgument, "Invalid copy source encoding");
  const size_t slash = path->find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == path->size()) {
    return s3::S3Err(s3::ErrorCode::kInvalidArgument, "Invalid copy source object key");
  }
  src.bucket = path->substr(0, slash);
  src.key = path->substr(slash + 1);
  return src;
}

// Heads the source and checks the x-amz-copy-source-if-* headers.
s3::S3Result<ObjectInfo> HeadSource(Context& c, const CopySource& src) {
  auto info = c.engine.Head(src.bucket, src.key, src.version_id);
  if (!info) {
    if (info.error().detail() == "DeleteMarker") {
      if (!src.version_id.empty()) {
        return s3::S3Err(s3::ErrorCode::kInvalidRequest,
                         "The source of a copy request may not specifically refer to a delete "
                         "marker by version id.");
      }
      return s3::S3Err(s3::ErrorCode::kNoSuchKey);
    }
    return Fail(info.error());
  }
  const int64_t mtime_s = static_cast<int64_t>(info->last_modified_ns / 1000000000);
  if (EvaluatePreconditions(c.req.headers, "x-amz-copy-source-", info->etag, mtime_s) !=
      Precondition::kProceed) {
    return s3::S3Err(s3::ErrorCode::kPreconditionFailed);
  }
  return std::move(*info);
}

s3::S3Result<bool> Directive(const Context& c, std::string_view header) {
  auto v = c.Header(header);
  if (!v || *v == "COPY") return false;
  if (*v == "REPLACE") return true;
  return s3::S3Err(s3::ErrorCode::kInvalidArgument, "Unknown " + std::string(header) + ".");
}

}  // namespace

OpResult CopyObject(Context& c) {
  if (auto st = s3::CheckObjectKey(c.key()); !st) return st;
  if (auto st = CheckUnsupportedHeaders(c); !st) return st;
  auto src = ParseCopySource(c);
  if (!src) return tl::unexpected(src.error());
  auto replace_meta = Directive(c, "x-amz-metadata-directive");
  if (!replace_meta) return tl::unexpected(replace_meta.error());
  auto replace_tags = Directive(c, "x-amz-tagging-directive");
  if (!replace_tags) return tl::unexpected(replace_tags.error());
  auto info = HeadSource(c, *src);
  if (!info) return tl::unexpected(info.error());
  if (src->bucket == c.bucket() && src->key == c.key() && !*replace_meta && !*replace_tags &&
      !c.Header("x-amz-storage-class") && (src->version_id.empty() || info->is_latest)) {
    return Fail(s3::ErrorCode::kInvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself "
                "without changing the object's metadata, storage class, website redirect "
                "location or encryption attributes.");
  }
  auto cond = WriteConditionsOf(c);
  if (!cond) return tl::unexpected(cond.error());

  auto storage_class = StorageClassOf(c);
  if (!storage_class) return tl::unexpected(storage_class.error());
  const bool new_class = c.Header("x-amz-storage-class").has_value();

  CopyOptions o;
  o.src_version_id = info->version_id;
  o.conditions = *cond;
  if (*replace_meta || *replace_tags || new_class) {
    o.replace_attrs = true;
    if (*replace_meta) {
      auto attrs = AttrsFromHeaders(c, false);
      if (!attrs) return tl::unexpected(attrs.error());
      o.attrs = std::move(*attrs);
    } else {
      o.attrs = info->attrs;
    }
    o.attrs.tags = info->attrs.tags;
    if (*replace_tags) {
      o.attrs.tags.clear();
      if (auto v = c.Header("x-amz-tagging")) {
        auto tags = s3::ParseTaggingHeader(*v);
        if (!tags) return tl::unexpected(tags.error());
        for (const auto& t : *tags) o.attrs.tags[t.key] = t.value;
      }
    }
  }
  // x-amz-storage-class sets the copy's class whatever the directives say.
  if (new_class) o.attrs.storage_class = *storage_class;
  auto r = c.engine.Copy(src->bucket, src->key, c.bucket(), c.key(), o);
  if (!r) return Fail(r.error());
  AddVersionHeader(r->version_id, c.res);
  AddVersionHeader(info->version_id, c.res, "x-amz-copy-source-version-id");
  c.Xml(200, s3::CopyResultXmlDoc(r->etag, static_cast<int64_t>(r->last_modified_ns),
                                  ToXmlChecksums(r->checksums), false));
  return {};
}

OpResult UploadPartCopy(Context& c) {
  auto n = PartNumberParam(c);
  if (!n) return tl::unexpected(n.error());
  auto upload = UploadOfRequest(c);
  if (!upload) return tl::unexpected(upload.error());
  auto src = ParseCopySource(c);
  if (!src) return tl::unexpected(src.error());
  auto info = HeadSource(c, *src);
  if (!info) return tl::unexpected(info.error());
  CopyOptions o;
  o.src_version_id = info->version_id;
  if (auto h = c.Header("x-amz-copy-source-range")) {
    auto range = s3::ResolveCopySourceRange(*h, info->size);
    if (!range) return tl::unexpected(range.error());
    o.range_first = range->first;
    o.range_last = range->last;
  }
  auto part = c.engine.CopyPart(upload->upload_id, *n, src->bucket, src->key, o);
  if (!part) return Fail(part.error());
  AddVersionHeader(info->version_id, c.res, "x-amz-copy-source-version-id");
  s3::XmlChecksums sums = ToXmlChecksums(part->checksums);
  sums.type.clear();
  c.Xml(200,
        s3::CopyResultXmlDoc(part->etag, static_cast<int64_t>(part->last_modified_ns), sums, true));
  return {};
}

}  // namespace seglake::s3d
