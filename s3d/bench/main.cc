// seglake-bench: an S3 load generator for loopback endpoints. See
// man/seglake-bench.1 and options.cc for the flags.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "bench/options.h"
#include "bench/report.h"
#include "bench/runner.h"

#ifndef SEGLAKE_VERSION
#define SEGLAKE_VERSION "unknown"
#endif

namespace seglake::bench {
namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void OnSignal(int /*sig*/) { g_stop.store(true); }

std::optional<std::string> GetEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): before threads
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  Options opts;
  std::string error;
  switch (ParseArgs(args, GetEnv, &opts, &error)) {
    case ArgsAction::kHelp:
      std::cout << UsageText();
      return 0;
    case ArgsAction::kVersion:
      std::cout << "seglake-bench " << SEGLAKE_VERSION << "\n";
      return 0;
    case ArgsAction::kUsageError:
      std::cerr << "seglake-bench: " << error << "\nTry 'seglake-bench --help'.\n";
      return 2;
    case ArgsAction::kRun:
      break;
  }

  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sa.sa_flags = SA_RESETHAND;  // a second Ctrl-C kills
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  Runner runner(opts, &g_stop);
  if (!runner.Setup(&error)) {
    std::cerr << "seglake-bench: " << error << "\n";
    runner.Cleanup();
    return 1;
  }
  RunResult result = runner.Measure();
  runner.Cleanup();
  std::cout << (opts.json ? FormatJson(opts, result) : FormatTable(opts, result)) << std::flush;
  for (const OpStats& s : result.ops) {
    if (s.errors > 0) return 3;
  }
  return 0;
}

}  // namespace
}  // namespace seglake::bench

int main(int argc, char** argv) { return seglake::bench::Main(argc, argv); }
