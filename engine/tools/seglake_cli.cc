// seglake: the admin command. Parses the command line, finds the command and
// runs it; the commands live in cli_admin.cc, cli_maint.cc and cli_objects.cc,
// `mount` and the mount helper form in cli_mount.cc.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli_args.h"
#include "cli_commands.h"
#include "cli_mount.h"
#include "cli_output.h"

#ifndef SEGLAKE_VERSION
#define SEGLAKE_VERSION "0.1.0"
#endif

namespace seglake::cli {
namespace {

constexpr std::string_view kUsage =
    R"(usage: seglake [--data-dir DIR] [--json] COMMAND [ARGS...]

Administers a seglake data dir, the storage shared by seglake-s3d and
seglake-mount. Several processes may use one data dir at once.

Commands:
  status                        engine statistics
  bucket list                   list the buckets
  bucket create NAME [--region R]
                                create a bucket (and the data dir, if missing)
  bucket delete NAME            delete an empty bucket
  bucket versioning NAME [enabled|suspended]
                                show or set a bucket's versioning
  put BUCKET KEY [FILE|-] [--content-type TYPE]
                                store FILE (default: standard input) as an object
  get BUCKET KEY [--version-id V] [-o FILE]
                                write an object to standard output or FILE
  head BUCKET KEY [--version-id V]
                                show an object's metadata
  ls BUCKET [--prefix P] [--delimiter D] [--versions] [--page-size N]
                                list objects, or every version and delete marker
  rm BUCKET KEY [--version-id V]
                                delete a key, or exactly one version
  cp SRCBUCKET SRCKEY DSTBUCKET DSTKEY [--version-id V]
                                copy an object (no data is copied)
  mv BUCKET FROM TO [--prefix] [--replace]
                                rename a key, or every key under a prefix
  rebuild-index                 rebuild meta.db from the segment logs alone
                                (no other process may have the data dir open)
  fsck                          check every manifest against the segments and
                                the index's consistency
  scrub [--no-mark]             read every record and check its CRC; mark the
                                versions over a bad one damaged
  snapshot DEST                 write a consistent copy of the data dir to DEST
  mpu-gc --older-than DURATION  abort multipart uploads older than DURATION
                                (7d, 12h, 30m, 3600s)
  maintenance on|off|status     refuse every write (on), allow them again (off)
  gc plan|run [--grace D]       delete segments nothing references (after D, 5m)
  compact plan|run              rewrite sparse segments and fragmented versions
  keys show [--secret]|rotate   the S3 key pair seglake-s3d reads (rotate:
                                a new pair, used after seglake-s3d restarts)
  mount DATA_DIR MOUNTPOINT [-o OPTS] [-f]
                                mount the data dir as a FUSE filesystem (runs
                                seglake-mount; see 'seglake mount --help')

As the mount helper of `mount -t fuse.seglake` and fstab type fuse.seglake,
mount.fuse3 runs `seglake DATA_DIR MOUNTPOINT -o OPTS`: the same as `mount`.

Global options:
  --data-dir DIR  the data dir; required (environment: SEGLAKE_DATA_DIR)
  --json          print results as JSON (environment: SEGLAKE_JSON=1)
  -h, --help      show this help; after a command, that command's usage
  --version       print the version

Exit status: 0 success; 1 the operation failed (for example no such bucket or
key) or fsck or scrub found a problem; 2 could not run (bad usage, cannot open
the data dir or a file).
See seglake(1).
)";

constexpr FlagSpec kGlobalFlags[] = {
    {"data-dir", '\0', true},
    {"json", '\0', false},
    {"help", 'h', false},
    {"version", '\0', false},
};

struct Command {
  std::string_view name;
  std::string_view usage;
  std::vector<FlagSpec> flags;
  int (*run)(Context&);
};

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"status", "status", {}, CmdStatus},
      {"bucket",
       "bucket list\n"
       "       seglake bucket create NAME [--region R]\n"
       "       seglake bucket delete NAME\n"
       "       seglake bucket versioning NAME [enabled|suspended]",
       {{"region", '\0', true}},
       CmdBucket},
      {"put",
       "put BUCKET KEY [FILE|-] [--content-type TYPE]",
       {{"content-type", '\0', true}},
       CmdPut},
      {"get",
       "get BUCKET KEY [--version-id V] [-o FILE]",
       {{"version-id", '\0', true}, {"output", 'o', true}},
       CmdGet},
      {"head", "head BUCKET KEY [--version-id V]", {{"version-id", '\0', true}}, CmdHead},
      {"ls",
       "ls BUCKET [--prefix P] [--delimiter D] [--versions] [--page-size N]",
       {{"prefix", '\0', true},
        {"delimiter", '\0', true},
        {"versions", '\0', false},
        {"page-size", '\0', true}},
       CmdLs},
      {"rm", "rm BUCKET KEY [--version-id V]", {{"version-id", '\0', true}}, CmdRm},
      {"cp",
       "cp SRCBUCKET SRCKEY DSTBUCKET DSTKEY [--version-id V]",
       {{"version-id", '\0', true}},
       CmdCp},
      {"mv",
       "mv BUCKET FROM TO [--prefix] [--replace]",
       {{"prefix", '\0', false}, {"replace", '\0', false}},
       CmdMv},
      {"rebuild-index", "rebuild-index", {}, CmdRebuildIndex},
      {"fsck", "fsck", {}, CmdFsck},
      {"scrub", "scrub [--no-mark]", {{"no-mark", '\0', false}}, CmdScrub},
      {"snapshot", "snapshot DEST", {}, CmdSnapshot},
      {"mpu-gc", "mpu-gc --older-than DURATION", {{"older-than", '\0', true}}, CmdMpuGc},
      {"maintenance", "maintenance on|off|status", {}, CmdMaintenance},
      {"gc", "gc plan|run [--grace DURATION]", {{"grace", '\0', true}}, CmdGc},
      {"compact",
       "compact plan|run [--max-live RATIO] [--rate MBPS] [--no-defrag]",
       {{"max-live", '\0', true}, {"rate", '\0', true}, {"no-defrag", '\0', false}},
       CmdCompact},
      {"keys", "keys show [--secret] | keys rotate", {{"secret", '\0', false}}, CmdKeys},
  };
  return kCommands;
}

const Command* FindCommand(std::string_view name) {
  for (const Command& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// Whether a usage message about "--name" names an option of some command.
bool IsCommandFlag(const std::string& error) {
  for (const Command& c : Commands()) {
    for (const FlagSpec& f : c.flags) {
      const std::string long_name = "--" + std::string(f.name);
      size_t at = error.find(long_name);
      if (at != std::string::npos) {
        size_t end = at + long_name.size();
        if (end == error.size() || error[end] == ' ' || error[end] == '=') return true;
      }
    }
  }
  return false;
}

int PrintVersion() {
  std::cout << "seglake " << SEGLAKE_VERSION << '\n';
  return kExitOk;
}

// A boolean flag with an environment twin: the flag wins; the variable must
// hold a recognizable boolean.
std::optional<bool> FlagOrEnv(const ParsedArgs& args, std::string_view flag, const char* env,
                              std::string* error) {
  if (args.Has(flag)) return true;
  const char* v = std::getenv(env);
  if (v == nullptr) return false;
  std::optional<bool> b = ParseBool(v);
  if (!b) *error = std::string(env) + " must be 1 or 0, not '" + EscapeForTerminal(v) + "'";
  return b;
}

int Run(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() &&
      IsMountHelperCall(args, args[0] == "mount" || FindCommand(args[0]) != nullptr)) {
    return RunMountHelper(argv[0], args);
  }
  std::string error;
  std::optional<size_t> at = FindFirstPositional(args, kGlobalFlags, &error);
  if (!at) {
    Fail("", kExitCannotRun,
         error + (IsCommandFlag(error) ? " (a command's options go after it)" : ""));
    std::fputs("Try 'seglake --help' for more information.\n", stderr);
    return kExitCannotRun;
  }
  if (*at == args.size()) {
    std::optional<ParsedArgs> parsed = ParseArgs(args, kGlobalFlags, &error);
    if (parsed && parsed->Has("help")) {
      std::cout << kUsage;
      return kExitOk;
    }
    if (parsed && parsed->Has("version")) return PrintVersion();
    Fail("", kExitCannotRun, "missing command");
    std::cerr << kUsage;
    return kExitCannotRun;
  }
  if (args[*at] == "mount") {
    // Its own parser: -o may repeat, and the data dir may be an operand.
    const std::span<const std::string> all(args);
    std::optional<ParsedArgs> globals = ParseArgs(all.first(*at), kGlobalFlags, &error);
    if (!globals) {
      Fail("mount", kExitCannotRun, error);
      std::fputs("Try 'seglake mount --help' for more information.\n", stderr);
      return kExitCannotRun;
    }
    if (globals->Has("help")) {
      std::cout << kMountUsage;
      return kExitOk;
    }
    if (globals->Has("version")) return PrintVersion();
    std::optional<std::string> data_dir = globals->Value("data-dir");
    if (!data_dir) {
      if (const char* env = std::getenv("SEGLAKE_DATA_DIR")) data_dir = env;
    }
    return RunMountCommand(argv[0], all.subspan(*at + 1), data_dir);
  }
  const Command* command = FindCommand(args[*at]);
  if (command == nullptr) {
    if (*at == 0 && args.size() >= 2 && args[0].find('/') != std::string::npos) {
      // Most likely the mount helper form with a data dir that is missing.
      return Fail("mount", kExitCannotRun,
                  "no data dir " + EscapeForTerminal(args[0]) +
                      " (as `seglake DATA_DIR MOUNTPOINT`, DATA_DIR must be an existing "
                      "directory; `seglake mount` creates a missing one)");
    }
    Fail("", kExitCannotRun, "unknown command '" + EscapeForTerminal(args[*at]) + "'");
    std::cerr << kUsage;
    return kExitCannotRun;
  }

  Context ctx;
  ctx.command = std::string(command->name);
  std::vector<FlagSpec> specs(std::begin(kGlobalFlags), std::end(kGlobalFlags));
  specs.insert(specs.end(), command->flags.begin(), command->flags.end());
  std::optional<ParsedArgs> parsed = ParseArgs(args, specs, &error);
  if (!parsed) return UsageError(ctx, error);
  ctx.args = std::move(*parsed);
  if (ctx.args.Has("help")) {
    std::cout << "usage: seglake [--data-dir DIR] [--json] " << command->usage
              << "\nSee 'seglake --help' and seglake(1).\n";
    return kExitOk;
  }
  if (ctx.args.Has("version")) return PrintVersion();

  std::optional<bool> json = FlagOrEnv(ctx.args, "json", "SEGLAKE_JSON", &error);
  if (!json) return UsageError(ctx, error);
  ctx.json = *json;
  if (std::optional<std::string> dir = ctx.args.Value("data-dir")) {
    ctx.data_dir = *dir;
  } else if (const char* env = std::getenv("SEGLAKE_DATA_DIR")) {
    ctx.data_dir = env;
  }
  if (ctx.data_dir.empty()) {
    return UsageError(ctx, "missing --data-dir DIR (or set SEGLAKE_DATA_DIR)");
  }
  return command->run(ctx);
}

}  // namespace
}  // namespace seglake::cli

int main(int argc, char** argv) {
  try {
    return seglake::cli::Run(argc, argv);
  } catch (const std::exception& e) {
    return seglake::cli::Fail("", seglake::cli::kExitCannotRun,
                              std::string("internal error: ") + e.what());
  }
}
