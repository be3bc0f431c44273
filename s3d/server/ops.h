// The S3 operation handlers, one family per file:
//   ops_bucket.cc         ListBuckets, Create/Head/DeleteBucket, location, versioning
//   ops_listing.cc        ListObjects V1/V2, ListObjectVersions, ListMultipartUploads
//   ops_object_read.cc    GetObject, HeadObject
//   ops_object_write.cc   PutObject, DeleteObject
//   ops_copy.cc           CopyObject, UploadPartCopy
//   ops_multipart.cc      Create/UploadPart/ListParts/Complete/Abort
//   ops_delete_objects.cc DeleteObjects
//   ops_tagging.cc        Get/Put/DeleteObjectTagging
// Each fills c.res on success or returns the S3 error to answer.
#pragma once

#include "server/context.h"

namespace seglake::s3d {

OpResult ListBuckets(Context& c);
OpResult CreateBucket(Context& c);
OpResult HeadBucket(Context& c);
OpResult DeleteBucket(Context& c);
OpResult GetBucketLocation(Context& c);
OpResult GetBucketVersioning(Context& c);
OpResult PutBucketVersioning(Context& c);

OpResult ListObjectsV1(Context& c);
OpResult ListObjectsV2(Context& c);
OpResult ListObjectVersions(Context& c);
OpResult ListMultipartUploads(Context& c);

OpResult GetObject(Context& c);
OpResult HeadObject(Context& c);

OpResult PutObject(Context& c);
OpResult DeleteObject(Context& c);

OpResult CopyObject(Context& c);
OpResult UploadPartCopy(Context& c);

OpResult CreateMultipartUpload(Context& c);
OpResult UploadPart(Context& c);
OpResult ListParts(Context& c);
OpResult CompleteMultipartUpload(Context& c);
OpResult AbortMultipartUpload(Context& c);

OpResult DeleteObjects(Context& c);

OpResult GetObjectTagging(Context& c);
OpResult GetObjectAttributes(Context& c);
OpResult PutObjectTagging(Context& c);
OpResult DeleteObjectTagging(Context& c);

}  // namespace seglake::s3d
