// Streams a request body into an engine writer (PutObject, UploadPart) and
// verifies it before the caller commits: the payload's own checks
// (x-amz-content-sha256, chunk signatures, trailer checksum), Content-MD5
// and an x-amz-checksum-* header.
#pragma once

#include "seglake/engine.h"
#include "server/context.h"
#include "server/object_headers.h"
#include "server/payload.h"

namespace seglake::s3d {

s3::S3Status WriteBody(const Context& c, Payload& body, const ChecksumPlan& plan,
                       ObjectWriter& writer);

}  // namespace seglake::s3d
