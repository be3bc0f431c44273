// The log of seglake-s3d (stderr), one line per event, each with a level
// (INFO, WARN, ERROR), as text or as JSON objects (--log-format). A request:
//   2026-01-02T03:04:05.678Z INFO 1A2B3C4D5E6F7A8B 127.0.0.1:51234 GET /b/k?list-type=2 200 1234
//   0.5ms
//   {"time":"2026-01-02T03:04:05.678Z","level":"INFO","request_id":"1A2B3C4D5E6F7A8B",
//    "remote":"127.0.0.1:51234","method":"GET","target":"/b/k?list-type=2","status":200,
//    "bytes":1234,"duration_ms":0.5}
// Any other event:
//   2026-01-02T03:04:05.678Z ERROR request 1A2B3C4D5E6F7A8B failed: IO error: ...
//   {"time":"...","level":"ERROR","msg":"request ... failed: ...","request_id":"1A2B3C4D5E6F7A8B"}
// Query values of X-Amz-Signature and X-Amz-Credential are redacted. What
// the client sent (method, target) is escaped, so that a line is always one
// line of printable ASCII with space-separated fields (or one valid JSON
// object, every byte outside printable ASCII as \u00XX): a client can
// neither forge a line nor send terminal escapes to whoever reads the log.
#pragma once

#include <cstdint>
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

enum class LogLevel { kInfo, kWarn, kError };
enum class LogFormat { kText, kJson };

std::string_view LevelName(LogLevel level);  // "INFO", "WARN", "ERROR"
// The level of a response's line: ERROR for a 5xx but 503 (WARN: maintenance
// mode, a full disk, a busy data dir), INFO otherwise.
LogLevel LevelOfStatus(int status);

// `s` as a JSON string with its quotes; bytes outside printable ASCII are
// written \u00XX (each byte as one code point), so the result is valid JSON
// and ASCII whatever `s` holds.
std::string JsonString(std::string_view s);

// The log line for an entry (without the newline); `now_ns` is the wall
// clock at the end of the request.
std::string FormatLogLine(const HttpLogEntry& e, int64_t now_ns,
                          LogFormat format = LogFormat::kText);

// A line for any other event (without the newline). In text, `message` is
// kept but for bytes outside printable ASCII (escaped as in EscapeLogField).
std::string FormatEventLine(LogFormat format, LogLevel level, int64_t now_ns,
                            std::string_view message, std::string_view request_id = {});

// The process's log: lines written whole to stderr, one writer at a time.
void SetLogFormat(LogFormat format);
LogFormat CurrentLogFormat();
void Log(LogLevel level, std::string_view message, std::string_view request_id = {});
void LogRequest(const HttpLogEntry& e);

}  // namespace seglake::s3d
