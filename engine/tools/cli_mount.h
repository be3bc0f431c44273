// `seglake mount` and the mount.fuse3 helper form of the seglake command:
// both run seglake-mount, found next to this executable, in its build tree
// or on PATH.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace seglake::cli {

extern const std::string_view kMountUsage;

// Whether argv (without the program name) is a mount helper call as
// mount.fuse3 makes it for `mount -t fuse.seglake DATA_DIR MNT`:
// `DATA_DIR MNT [-o OPTS]`. True when the first argument is an existing
// directory, the second is not an option, and `is_command` (whether the first
// argument names a command) is false.
bool IsMountHelperCall(std::span<const std::string> args, bool is_command);

// Runs seglake-mount for `seglake DATA_DIR MNT [OPTIONS]` (the helper form).
// Returns only on an error (the exit code).
int RunMountHelper(const char* argv0, std::span<const std::string> args);

// Runs seglake-mount for `seglake [GLOBAL OPTIONS] mount [ARGS]`:
// `command_args` are the arguments after the command word; `data_dir` the
// data dir given by --data-dir or SEGLAKE_DATA_DIR, if any. Returns only on
// an error or for --help (the exit code).
int RunMountCommand(const char* argv0, std::span<const std::string> command_args,
                    std::optional<std::string> data_dir);

}  // namespace seglake::cli
