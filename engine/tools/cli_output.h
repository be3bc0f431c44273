// Output helpers of the seglake admin command: exit codes, error messages,
// JSON conversions of engine values, small formatting functions and the
// progress bar of long maintenance runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "seglake/maint.h"
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

// segment_bytes - live_bytes, or 0 when versions share more bytes than the
// segments hold (copies share extents).
uint64_t DeadBytes(const EngineStats& s);

// "0000000000000001.seg": the name of segment `id` under DATA_DIR/segments/.
std::string SegmentFileName(uint64_t id);

// One problem found by fsck or scrub. `id_is_upload` says whether
// problem.version_id holds an upload id (a part's problem) or a version id.
// Text: "KIND  BUCKET/KEY  version V  segment F  DETAIL", absent fields left
// out. JSON: {"kind", "bucket", "key", "version_id" or "upload_id",
// "segment", "segment_file", "detail"}.
std::string FormatProblem(const Problem& p, bool id_is_upload);
nlohmann::json ToJson(const Problem& p, bool id_is_upload);

// A progress bar on standard error for a long run, drawn only when standard
// error is a terminal, at most ten times a second, and erased by Done() (or
// the destructor): standard output stays clean for the report.
class ProgressBar {
 public:
  enum class Unit { kCount, kBytes };
  // `label` starts the line ("fsck"); `noun` follows a count ("versions").
  ProgressBar(std::string label, Unit unit, std::string noun = "");
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // The callback to hand to the engine; nullptr when there is no terminal.
  ProgressFn Fn();
  void Done();

 private:
  void Draw(uint64_t done, uint64_t total);

  std::string label_;
  Unit unit_;
  std::string noun_;
  bool enabled_ = false;
  bool drawn_ = false;
  size_t width_ = 0;  // of the last line drawn, to erase it
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace seglake::cli
