// Output helpers of the seglake admin command: exit codes, error messages,
// JSON conversions of engine values and small formatting functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "seglake/status.h"
#include "seglake/types.h"

namespace seglake::cli {

// Exit codes, as documented in seglake(1).
inline constexpr int kExitOk = 0;
inline constexpr int kExitProblem = 1;    // the operation failed or found a problem
inline constexpr int kExitCannotRun = 2;  // bad usage, cannot open the data dir or a file

// Prints "seglake: <command>: <message>" (or "seglake: <message>" without a
// command) to stderr and returns `exit_code`.
int Fail(std::string_view command, int exit_code, std::string_view message);

// Prints a JSON document to stdout. Strings that are not valid UTF-8 (keys
// may hold any bytes) are printed with U+FFFD in place of the bad bytes.
void PrintJson(const nlohmann::json& j);

// "2024-11-24T20:23:05Z" (UTC, seconds) for nanoseconds since the epoch.
std::string FormatTime(uint64_t ns);
// "3.0 MiB" style size for humans.
std::string HumanBytes(uint64_t n);
// Makes a key safe to print on one terminal line: control characters and
// backslashes are escaped (\n, \t, \\, \xNN). Other bytes pass through.
std::string EscapeForTerminal(std::string_view s);

std::string_view VersioningName(Versioning v);
nlohmann::json ToJson(const BucketInfo& b);
nlohmann::json ToJson(const ObjectInfo& o);
nlohmann::json ToJson(const EngineStats& s);

}  // namespace seglake::cli
