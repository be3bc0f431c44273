// The router: the one place that decides which S3 operation a request is,
// from its method, its path (path-style, or virtual-hosted for the
// configured domain only) and its query subresources. A subresource or
// method we do not implement routes to kNotImplemented; nothing falls
// through to another operation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proto/errors.h"
#include "proto/uri.h"

namespace seglake::s3d {

enum class Op {
  kNotImplemented,
  kPreflight,  // CORS OPTIONS
  kListBuckets,
  kCreateBucket,
  kHeadBucket,
  kDeleteBucket,
  kGetBucketLocation,
  kGetBucketVersioning,
  kPutBucketVersioning,
  kListObjectsV1,
  kListObjectsV2,
  kListObjectVersions,
  kListMultipartUploads,
  kDeleteObjects,
  kPutObject,
  kCopyObject,
  kGetObject,
  kHeadObject,
  kDeleteObject,
  kGetObjectTagging,
  kPutObjectTagging,
  kDeleteObjectTagging,
  kGetObjectAttributes,
  kCreateMultipartUpload,
  kUploadPart,
  kUploadPartCopy,
  kListParts,
  kCompleteMultipartUpload,
  kAbortMultipartUpload,
};

// The operation's name as AWS documents it, e.g. "PutObject".
std::string_view OpName(Op op);

struct Route {
  Op op = Op::kNotImplemented;
  std::string bucket;  // decoded; empty for the service (ListBuckets)
  std::string key;     // decoded; empty for bucket operations
  std::string why;     // for kNotImplemented: what is not implemented
};

struct RouteInput {
  std::string_view method;
  std::string_view raw_path;  // percent-encoded
  std::string_view host;      // Host header, may carry a port
  const std::vector<s3::QueryParam>& params;
  bool has_copy_source = false;  // x-amz-copy-source present
  std::string_view domain;       // --domain; empty: path-style only
};

// InvalidArgument for a path that does not decode.
s3::S3Result<Route> ResolveRoute(const RouteInput& in);

}  // namespace seglake::s3d
