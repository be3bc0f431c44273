// The one-line-per-request log of seglake-s3d (stderr):
//   2026-01-02T03:04:05.678Z 1A2B3C4D5E6F7A8B 127.0.0.1:51234 GET /b/k?list-type=2 200 1234 0.5ms
// Query values of X-Amz-Signature and X-Amz-Credential are redacted.
#pragma once

#include <string>
#include <string_view>

#include "server/http_server.h"

namespace seglake::s3d {

// The request target with secrets in its query replaced by "REDACTED".
std::string RedactTarget(std::string_view target);

// The log line for an entry (without the newline); `now_ns` is the wall
// clock at the end of the request.
std::string FormatLogLine(const HttpLogEntry& e, int64_t now_ns);

}  // namespace seglake::s3d
