// The one-line-per-request log of seglake-s3d (stderr):
//   2026-01-02T03:04:05.678Z 1A2B3C4D5E6F7A8B 127.0.0.1:51234 GET /b/k?list-type=2 200 1234 0.5ms
// Query values of X-Amz-Signature and X-Amz-Credential are redacted. What
// the client sent (method, target) is escaped, so that a line is always one
// line of printable ASCII with space-separated fields: a client can neither
// forge a line nor send terminal escapes to whoever reads the log.
#pragma once

#include <string>
#include <string_view>

#include "server/http_server.h"

namespace seglake::s3d {

// The request target with secrets in its query replaced by "REDACTED".
std::string RedactTarget(std::string_view target);

// A field of the log as printable ASCII without spaces: bytes 0x21-0x7E
// stay (but a backslash doubles), CR, LF and HTAB become \r \n \t, every
// other byte (space, controls, DEL, non-ASCII) \xNN; empty becomes "-".
std::string EscapeLogField(std::string_view field);

// The log line for an entry (without the newline); `now_ns` is the wall
// clock at the end of the request.
std::string FormatLogLine(const HttpLogEntry& e, int64_t now_ns);

}  // namespace seglake::s3d
