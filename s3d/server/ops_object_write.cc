// PutObject (streamed into the engine's writer, verified before commit) and
// DeleteObject.
#include <optional>

#include "proto/checksum.h"
#include "proto/encoding.h"
#include "proto/names.h"
#include "proto/xml_common.h"
#include "server/object_headers.h"
#include "server/ops.h"
#include "server/ops_common.h"
#include "server/payload.h"
#include "server/write_body.h"

namespace seglake::s3d {

OpResult PutObject(Context& c) {
  if (auto st = s3::CheckObjectKey(c.key()); !st) return st;
  if (auto st = CheckUnsupportedHeaders(c); !st) return st;
  auto attrs = AttrsFromHeaders(c, true);
  if (!attrs) return tl::unexpected(attrs.error());
  auto plan = PlanChecksums(c);
  if (!plan) return tl::unexpected(plan.error());
  auto cond = WriteConditionsOf(c);
  if (!cond) return tl::unexpected(cond.error());

  Payload body(c);
  if (auto st = body.Check(c.cfg.max_object_bytes, true); !st) return st;
  PutOptions opts;
  opts.attrs = std::move(*attrs);
  opts.checksums = plan->set;
  opts.conditions = *cond;
  auto writer = c.engine.BeginPut(c.bucket(), c.key(), opts);
  if (!writer) return Fail(writer.error());
  if (auto st = WriteBody(c, body, *plan, **writer); !st) return st;
  auto info = (*writer)->Commit();
  if (!info) return Fail(info.error());

  c.res.SetHeader("ETag", s3::QuoteEtag(info->etag));
  AddVersionHeader(info->version_id, c.res);
  if (plan->algorithm) {
    std::string v = ChecksumValue(info->checksums, *plan->algorithm);
    if (!v.empty()) {
      c.res.SetHeader(s3::ChecksumHeaderName(*plan->algorithm), v);
      c.res.SetHeader("x-amz-checksum-type", "FULL_OBJECT");
    }
  }
  c.res.status = 200;
  return {};
}

OpResult DeleteObject(Context& c) {
  auto version_param = VersionIdParam(c);
  if (!version_param) return tl::unexpected(version_param.error());
  const std::string& version = *version_param;
  // If-Match (an ETag or *) makes the delete conditional on the current
  // version, as S3's conditional deletes: 412 on a mismatch, 404 when the
  // key has no current version.
  WriteConditions cond;
  if (auto v = c.Header("If-Match")) {
    cond.if_match = std::string(s3::TrimSpaces(*v));
    if (cond.if_match.empty()) {
      return s3::S3Err(s3::ErrorCode::kInvalidArgument, "If-Match must not be empty");
    }
  }
  auto r = c.engine.Delete(c.bucket(), c.key(), version, cond);
  if (!r) return Fail(r.error());
  if (r->delete_marker) c.res.SetHeader("x-amz-delete-marker", "true");
  if (!version.empty()) {
    c.res.SetHeader("x-amz-version-id", version);
  } else {
    AddVersionHeader(r->version_id, c.res);
  }
  c.res.status = 204;
  return {};
}

}  // namespace seglake::s3d
