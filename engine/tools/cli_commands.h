// The commands of the seglake admin command. Each takes the parsed command
// line and returns the process exit code (see cli_output.h); each prints its
// own errors as "seglake: <command>: <message>".
#pragma once

#include <memory>
#include <string>

#include "cli_args.h"
#include "seglake/engine.h"

namespace seglake::cli {

struct Context {
  std::string command;  // for messages: "put", "bucket create", ...
  std::string data_dir;
  bool json = false;
  ParsedArgs args;  // positionals[0] is the command word

  // The positionals after the command word (and after the subcommand word
  // for `bucket`).
  size_t first_operand = 1;
  size_t operand_count() const { return args.positionals.size() - first_operand; }
  const std::string& operand(size_t i) const { return args.positionals[first_operand + i]; }
};

// How a command uses the data dir. Only kCreate (bucket create) initializes a
// data dir that does not exist yet; the others require one, so that a
// mistyped --data-dir does not quietly become a new, empty data dir.
enum class Access { kRead, kWrite, kCreate };

// Opens the engine on ctx.data_dir. On failure prints the error and returns
// nullptr with *exit_code set.
std::unique_ptr<Engine> OpenEngine(const Context& ctx, Access access, int* exit_code);
// Closes the engine, reporting a failure; returns `exit_code` or kExitProblem.
int CloseEngine(const Context& ctx, Engine* engine, int exit_code);
// Prints an engine failure of the operation and returns kExitProblem.
int FailStatus(const Context& ctx, const Status& s);
// A usage error of the command: prints it and returns kExitCannotRun.
int UsageError(const Context& ctx, const std::string& message);

// Runs `body(Engine&)` (returning an exit code) on an opened engine and closes
// the engine afterwards.
template <typename F>
int WithEngine(const Context& ctx, Access access, F&& body) {
  int code = 0;
  std::unique_ptr<Engine> engine = OpenEngine(ctx, access, &code);
  if (!engine) return code;
  code = body(*engine);
  return CloseEngine(ctx, engine.get(), code);
}

// cli_admin.cc
int CmdStatus(Context& ctx);
int CmdBucket(Context& ctx);
int CmdRebuildIndex(Context& ctx);

// cli_maint.cc
int CmdFsck(Context& ctx);
int CmdScrub(Context& ctx);
int CmdSnapshot(Context& ctx);
int CmdMpuGc(Context& ctx);
int CmdMaintenance(Context& ctx);
int CmdGc(Context& ctx);
int CmdCompact(Context& ctx);
int CmdKeys(Context& ctx);

// cli_objects.cc
int CmdPut(Context& ctx);
int CmdGet(Context& ctx);
int CmdHead(Context& ctx);
int CmdLs(Context& ctx);
int CmdRm(Context& ctx);
int CmdCp(Context& ctx);
int CmdMv(Context& ctx);

}  // namespace seglake::cli
