#include "server/ops_common.h"

#include "proto/checksum.h"
#include "proto/encoding.h"
#include "proto/uri.h"
#include "proto/xml_parse.h"
#include "seglake/checksum.h"
#include "server/object_headers.h"

namespace seglake::s3d {

s3::XmlOwner Owner(const Context& c) { return s3::XmlOwner{c.cfg.owner_id, c.cfg.owner_name}; }

s3::S3Result<std::string> VersionIdParam(const Context& c) {
  auto v = c.Param("versionId");
  if (!v) return std::string();
  if (v->empty()) {
    return s3::S3Err(s3::ErrorCode::kInvalidArgument, "Version id cannot be the empty string");
  }
  return *v;
}

s3::S3Result<uint32_t> CountParam(const Context& c, std::string_view name, uint32_t def,
                                  uint32_t max) {
  auto v = c.Param(name);
  if (!v) return def;
  auto n = s3::ParseDecimal(*v);
  if (!n) {
    return s3::S3Err(s3::ErrorCode::kInvalidArgument,
                     "Provided " + std::string(name) + " not an integer or within integer range");
  }
  return static_cast<uint32_t>(std::min<uint64_t>(*n, max));
}

s3::S3Result<std::string> EncodingTypeParam(const Context& c) {
  auto v = c.Param("encoding-type");
  if (!v || v->empty()) return std::string();
  if (*v != "url") {
    return s3::S3Err(s3::ErrorCode::kInvalidArgument,
                     "Invalid Encoding Method specified in Request");
  }
  return *v;
}

s3::S3Result<uint32_t> PartNumberParam(const Context& c) {
  auto v = c.Param("partNumber");
  auto n = v ? s3::ParseDecimal(*v) : std::nullopt;
  if (!n || *n < 1 || *n > s3::kMaxPartNumber) {
    return s3::S3Err(s3::ErrorCode::kInvalidArgument,
                     "Part number must be an integer between 1 and 10000, inclusive");
  }
  return static_cast<uint32_t>(*n);
}

tl::unexpected<s3::S3Error> ReadFailure(Context& c, const Status& st,
                                        const std::string& version_id) {
  if (st.detail() == "DeleteMarker" && !version_id.empty()) {
    c.res.SetHeader("x-amz-delete-marker", "true");
    c.res.SetHeader("x-amz-version-id", version_id);
    return Fail(s3::ErrorCode::kMethodNotAllowed);
  }
  if (st.detail() != "DeleteMarker" && (st.detail() != "NoSuchKey" || !version_id.empty())) {
    return Fail(st);
  }
  // No current version: if the newest is a delete marker, say so, as S3 does.
  ListVersionsOptions o;
  o.prefix = c.key();
  o.max_keys = 1;
  auto v = c.engine.ListVersions(c.bucket(), o);
  if (v && !v->versions.empty() && v->versions[0].key == c.key() && v->versions[0].delete_marker) {
    c.res.SetHeader("x-amz-delete-marker", "true");
    AddVersionHeader(v->versions[0].version_id, c.res);
  }
  return Fail(s3::ErrorCode::kNoSuchKey);
}

s3::S3Result<UploadInfo> UploadOfRequest(Context& c) {
  auto id = c.Param("uploadId");
  if (!id || id->empty()) return s3::S3Err(s3::ErrorCode::kNoSuchUpload);
  auto u = c.engine.GetUpload(*id);
  if (!u) return Fail(u.error());
  if (u->bucket != c.bucket() || u->key != c.key()) return s3::S3Err(s3::ErrorCode::kNoSuchUpload);
  return *u;
}

s3::S3Result<WriteConditions> WriteConditionsOf(const Context& c) {
  WriteConditions w;
  if (auto v = c.Header("If-None-Match")) {
    if (s3::TrimSpaces(*v) != "*") {
      return s3::S3Err(s3::ErrorCode::kNotImplemented,
                       "A header you provided implies functionality that is not implemented: "
                       "If-None-Match on writes supports only *");
    }
    w.if_none_match_any = true;
  }
  if (auto v = c.Header("If-Match")) w.if_match = std::string(s3::TrimSpaces(*v));
  return w;
}

s3::S3Status CheckBodyDigests(const Context& c, std::string_view body, bool required) {
  bool any = false;
  if (c.Header("Content-MD5")) {
    any = true;
    if (auto st = CheckContentMd5(c, ToHex(Md5(body))); !st) return st;
  }
  auto plan = PlanChecksums(c);
  if (!plan) return tl::unexpected(plan.error());
  if (plan->header_alg) {
    any = true;
    s3::Checksummer sum(*plan->header_alg);
    sum.Update(body);
    if (sum.FinalBase64() != plan->header_value) {
      return s3::S3Err(s3::ErrorCode::kBadDigest,
                       "The " + std::string(s3::ChecksumName(*plan->header_alg)) +
                           " you specified did not match the calculated checksum.");
    }
  }
  if (required && !any) {
    return s3::S3Err(s3::ErrorCode::kInvalidRequest,
                     "Missing required header for this request: Content-MD5");
  }
  return {};
}

std::string ObjectUrl(const Context& c) {
  std::string host = c.Header("Host").value_or("localhost");
  return std::string(c.req.tls ? "https://" : "http://") + host + "/" +
         s3::UriEncode(c.bucket(), false) + "/" + s3::UriEncode(c.key(), true);
}

}  // namespace seglake::s3d
