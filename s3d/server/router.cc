#include "server/router.h"

#include <algorithm>
#include <array>

#include "proto/encoding.h"

namespace seglake::s3d {
namespace {

// Query parameters that are arguments of an operation, never a subresource.
constexpr std::array kArguments = {
    "prefix",
    "delimiter",
    "marker",
    "max-keys",
    "list-type",
    "continuation-token",
    "start-after",
    "fetch-owner",
    "encoding-type",
    "key-marker",
    "version-id-marker",
    "upload-id-marker",
    "max-uploads",
    "max-parts",
    "part-number-marker",
    "versionId",
    "partNumber",
    "uploadId",
    "x-id",
    "max-buckets",
    "bucket-region",
    "response-content-type",
    "response-content-language",
    "response-expires",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    // SigV2 presigned URLs: authentication refuses them.
    "AWSAccessKeyId",
    "Signature",
    "Expires",
};

// The subresources this server implements.
constexpr std::array kSubresources = {"versioning", "location", "tagging",   "uploads",
                                      "delete",     "versions", "attributes"};

bool IsArgument(std::string_view name) {
  if (name.size() >= 6 && s3::EqualsIgnoreCase(name.substr(0, 6), "x-amz-")) return true;
  return std::find(kArguments.begin(), kArguments.end(), name) != kArguments.end();
}

bool Has(const std::vector<s3::QueryParam>& params, std::string_view name) {
  return std::any_of(params.begin(), params.end(),
                     [&](const s3::QueryParam& p) { return p.key == name; });
}

std::string_view HostWithoutPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  const size_t colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

Op ForService(std::string_view m) { return m == "GET" ? Op::kListBuckets : Op::kNotImplemented; }

Op ForBucket(std::string_view m, std::string_view sub, const std::vector<s3::QueryParam>& params) {
  if (sub.empty()) {
    if (m == "GET") {
      for (const auto& p : params) {
        if (p.key == "list-type" && p.value == "2") return Op::kListObjectsV2;
      }
      return Op::kListObjectsV1;
    }
    if (m == "HEAD") return Op::kHeadBucket;
    if (m == "PUT") return Op::kCreateBucket;
    if (m == "DELETE") return Op::kDeleteBucket;
    return Op::kNotImplemented;
  }
  if (sub == "versioning") {
    if (m == "GET") return Op::kGetBucketVersioning;
    if (m == "PUT") return Op::kPutBucketVersioning;
  }
  if (sub == "location" && m == "GET") return Op::kGetBucketLocation;
  if (sub == "versions" && m == "GET") return Op::kListObjectVersions;
  if (sub == "uploads" && m == "GET") return Op::kListMultipartUploads;
  if (sub == "delete" && m == "POST") return Op::kDeleteObjects;
  return Op::kNotImplemented;
}

Op ForObject(std::string_view m, std::string_view sub, const std::vector<s3::QueryParam>& params,
             bool copy) {
  if (sub == "tagging") {
    if (m == "GET") return Op::kGetObjectTagging;
    if (m == "PUT") return Op::kPutObjectTagging;
    if (m == "DELETE") return Op::kDeleteObjectTagging;
    return Op::kNotImplemented;
  }
  if (sub == "uploads") return m == "POST" ? Op::kCreateMultipartUpload : Op::kNotImplemented;
  if (sub == "attributes") return m == "GET" ? Op::kGetObjectAttributes : Op::kNotImplemented;
  if (!sub.empty()) return Op::kNotImplemented;
  if (Has(params, "uploadId")) {
    if (m == "GET") return Op::kListParts;
    if (m == "PUT") return copy ? Op::kUploadPartCopy : Op::kUploadPart;
    if (m == "POST") return Op::kCompleteMultipartUpload;
    if (m == "DELETE") return Op::kAbortMultipartUpload;
    return Op::kNotImplemented;
  }
  if (m == "GET") return Op::kGetObject;
  if (m == "HEAD") return Op::kHeadObject;
  if (m == "PUT") return copy ? Op::kCopyObject : Op::kPutObject;
  if (m == "DELETE") return Op::kDeleteObject;
  return Op::kNotImplemented;
}

}  // namespace

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kNotImplemented:
      return "NotImplemented";
    case Op::kPreflight:
      return "PreflightRequest";
    case Op::kListBuckets:
      return "ListBuckets";
    case Op::kCreateBucket:
      return "CreateBucket";
    case Op::kHeadBucket:
      return "HeadBucket";
    case Op::kDeleteBucket:
      return "DeleteBucket";
    case Op::kGetBucketLocation:
      return "GetBucketLocation";
    case Op::kGetBucketVersioning:
      return "GetBucketVersioning";
    case Op::kPutBucketVersioning:
      return "PutBucketVersioning";
    case Op::kListObjectsV1:
      return "ListObjects";
    case Op::kListObjectsV2:
      return "ListObjectsV2";
    case Op::kListObjectVersions:
      return "ListObjectVersions";
    case Op::kListMultipartUploads:
      return "ListMultipartUploads";
    case Op::kDeleteObjects:
      return "DeleteObjects";
    case Op::kPutObject:
      return "PutObject";
    case Op::kCopyObject:
      return "CopyObject";
    case Op::kGetObject:
      return "GetObject";
    case Op::kHeadObject:
      return "HeadObject";
    case Op::kDeleteObject:
      return "DeleteObject";
    case Op::kGetObjectTagging:
      return "GetObjectTagging";
    case Op::kPutObjectTagging:
      return "PutObjectTagging";
    case Op::kDeleteObjectTagging:
      return "DeleteObjectTagging";
    case Op::kGetObjectAttributes:
      return "GetObjectAttributes";
    case Op::kCreateMultipartUpload:
      return "CreateMultipartUpload";
    case Op::kUploadPart:
      return "UploadPart";
    case Op::kUploadPartCopy:
      return "UploadPartCopy";
    case Op::kListParts:
      return "ListParts";
    case Op::kCompleteMultipartUpload:
      return "CompleteMultipartUpload";
    case Op::kAbortMultipartUpload:
      return "AbortMultipartUpload";
  }
  return "Unknown";
}

s3::S3Result<Route> ResolveRoute(const RouteInput& in) {
  std::string path_text(in.raw_path.empty() ? std::string_view("/") : in.raw_path);
  std::optional<std::string> path = s3::UriDecode(path_text, false);
  if (!path || path->empty() || path->front() != '/') {
    return s3::S3Err(s3::ErrorCode::kInvalidArgument, "Couldn't parse the specified URI.");
  }
  Route r;
  const std::string_view host = HostWithoutPort(in.host);
  const std::string suffix = "." + std::string(in.domain);
  if (!in.domain.empty() && host.size() > suffix.size() &&
      s3::EqualsIgnoreCase(host.substr(host.size() - suffix.size()), suffix)) {
    r.bucket = std::string(host.substr(0, host.size() - suffix.size()));
    r.key = path->substr(1);
  } else {
    const size_t slash = path->find('/', 1);
    r.bucket = path->substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
    if (slash != std::string::npos) r.key = path->substr(slash + 1);
  }

  if (in.method == "OPTIONS") {
    r.op = Op::kPreflight;
    return r;
  }
  std::string sub;
  for (const s3::QueryParam& p : in.params) {
    if (IsArgument(p.key)) continue;
    if (std::find(kSubresources.begin(), kSubresources.end(), p.key) == kSubresources.end()) {
      r.why = "the ?" + p.key + " subresource";
      return r;
    }
    if (!sub.empty() && sub != p.key) {
      r.why = "the ?" + sub + "&" + p.key + " combination";
      return r;
    }
    sub = p.key;
  }
  if (r.bucket.empty()) {
    r.op = sub.empty() ? ForService(in.method) : Op::kNotImplemented;
  } else if (r.key.empty()) {
    r.op = ForBucket(in.method, sub, in.params);
  } else {
    r.op = ForObject(in.method, sub, in.params, in.has_copy_source);
  }
  if (r.op == Op::kNotImplemented) {
    r.why = std::string(in.method) + (sub.empty() ? "" : " ?" + sub) + " on this resource";
  }
  return r;
}

}  // namespace seglake::s3d
