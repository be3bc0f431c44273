// Bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket,
// GetBucketLocation, GetBucketVersioning, PutBucketVersioning.
#include "proto/encoding.h"
#include "proto/names.h"
#include "proto/xml_list.h"
#include "proto/xml_parse.h"
#include "proto/xml_results.h"
#include "server/object_headers.h"
#include "server/ops.h"
#include "server/ops_common.h"
#include "server/payload.h"

namespace seglake::s3d {
namespace {

constexpr size_t kMaxConfigBody = 64 << 10;

s3::S3Result<std::string> ReadConfigBody(Context& c) {
  Payload body(c);
  auto doc = body.ReadSmall(kMaxConfigBody);
  if (!doc) return doc;
  if (auto st = CheckBodyDigests(c, *doc, false); !st) return tl::unexpected(st.error());
  return doc;
}

}  // namespace

OpResult ListBuckets(Context& c) {
  auto all = c.engine.ListBuckets();
  if (!all) return Fail(all.error());
  auto max = CountParam(c, "max-buckets", 10000, 10000);
  if (!max) return tl::unexpected(max.error());
  std::string after;
  if (auto token = c.Param("continuation-token"); token && !token->empty()) {
    auto decoded = s3::Base64Decode(*token);
    if (!decoded) {
      return Fail(s3::ErrorCode::kInvalidArgument, "The continuation token provided is incorrect");
    }
    after = *decoded;
  }
  const std::string prefix = c.Param("prefix").value_or("");
  s3::ListBucketsXml x;
  x.owner = Owner(c);
  x.prefix = prefix;
  for (const BucketInfo& b : *all) {
    if (!b.name.starts_with(prefix) || (!after.empty() && b.name <= after)) continue;
    if (x.buckets.size() == *max) {
      x.continuation_token = s3::Base64Encode(x.buckets.back().name);
      break;
    }
    x.buckets.push_back(s3::XmlBucket{b.name, static_cast<int64_t>(b.created_ns), b.region});
  }
  c.Xml(200, s3::ListBucketsXmlDoc(x));
  return {};
}

OpResult CreateBucket(Context& c) {
  if (auto st = s3::CheckBucketName(c.bucket()); !st) return st;
  if (auto st = CheckUnsupportedHeaders(c); !st) return st;
  if (auto v = c.Header("x-amz-bucket-object-lock-enabled");
      v && s3::EqualsIgnoreCase(*v, "true")) {
    return Fail(s3::ErrorCode::kNotImplemented, "Object lock is not implemented.");
  }
  auto doc = ReadConfigBody(c);
  if (!doc) return tl::unexpected(doc.error());
  auto location = s3::ParseCreateBucketConfiguration(*doc);
  if (!location) return tl::unexpected(location.error());
  if (!location->empty() && *location != c.cfg.region) {
    return Fail(s3::ErrorCode::kInvalidLocationConstraint,
                "The specified location-constraint is not valid: this server serves region " +
                    c.cfg.region + ".");
  }
  if (Status st = c.engine.CreateBucket(c.bucket(), c.cfg.region); !st.ok()) {
    // In us-east-1, S3 answers 200 to creating a bucket you own already
    // (elsewhere 409 BucketAlreadyOwnedByYou); there is one owner here.
    if (!(st.detail() == "BucketAlreadyOwnedByYou" && c.cfg.region == "us-east-1")) {
      return Fail(st);
    }
  }
  c.res.SetHeader("Location", "/" + c.bucket());
  c.res.status = 200;
  return {};
}

OpResult HeadBucket(Context& c) {
  auto b = c.engine.GetBucket(c.bucket());
  if (!b) return Fail(b.error());
  c.res.SetHeader("x-amz-bucket-region", b->region.empty() ? c.cfg.region : b->region);
  c.res.status = 200;
  return {};
}

OpResult DeleteBucket(Context& c) {
  // DeleteBucket takes no argument: a DELETE meant for something else
  // (`?uploadId=` without a key, `?prefix=`) must not delete the bucket.
  for (const s3::QueryParam& p : c.params) {
    if (p.key == "x-id" || p.key == "AWSAccessKeyId" || p.key == "Signature" ||
        p.key == "Expires" ||
        (p.key.size() >= 6 && s3::EqualsIgnoreCase(p.key.substr(0, 6), "x-amz-"))) {
      continue;
    }
    return Fail(s3::ErrorCode::kInvalidArgument,
                "DeleteBucket takes no query parameter '" + p.key + "'");
  }
  if (Status st = c.engine.DeleteBucket(c.bucket(), true); !st.ok()) return Fail(st);
  c.res.status = 204;
  return {};
}

OpResult GetBucketLocation(Context& c) {
  auto b = c.engine.GetBucket(c.bucket());
  if (!b) return Fail(b.error());
  c.Xml(200, s3::LocationXmlDoc(b->region));
  return {};
}

OpResult GetBucketVersioning(Context& c) {
  auto b = c.engine.GetBucket(c.bucket());
  if (!b) return Fail(b.error());
  std::string_view status;
  if (b->versioning == Versioning::kEnabled) status = "Enabled";
  if (b->versioning == Versioning::kSuspended) status = "Suspended";
  c.Xml(200, s3::VersioningXmlDoc(status));
  return {};
}

OpResult PutBucketVersioning(Context& c) {
  auto doc = ReadConfigBody(c);
  if (!doc) return tl::unexpected(doc.error());
  auto status = s3::ParseVersioningConfiguration(*doc);
  if (!status) return tl::unexpected(status.error());
  const Versioning v =
      *status == s3::VersioningStatus::kEnabled ? Versioning::kEnabled : Versioning::kSuspended;
  if (Status st = c.engine.SetVersioning(c.bucket(), v); !st.ok()) return Fail(st);
  c.res.status = 200;
  return {};
}

}  // namespace seglake::s3d
