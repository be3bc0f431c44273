// The one translation table from engine Status to S3 error. A Status whose
// detail() names an S3 code ("NoSuchBucket", "InvalidPart", ...) maps to that
// code; otherwise the Status code picks a generic S3 code.
#pragma once

#include "proto/errors.h"
#include "seglake/status.h"

namespace seglake::s3 {

// REQUIRES: !status.ok().
S3Error FromStatus(const Status& status);

}  // namespace seglake::s3
