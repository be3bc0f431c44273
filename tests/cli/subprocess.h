// Runs a program the way a user would: argv, an environment, standard input
// from a file or a pipe, standard output and error captured in full.
#pragma once

#include <sys/types.h>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace seglake::testing {

struct RunResult {
  int exit_code = -1;  // -1 if killed by a signal
  std::string out;
  std::string err;
};

struct RunOptions {
  std::string stdin_path = "/dev/null";
  // Changes to the inherited environment: a value sets, nullopt unsets.
  std::map<std::string, std::optional<std::string>> env;
};

// Runs argv[0] (a path) with argv, waits for it and returns what it printed.
// `scratch_dir` holds the capture files.
RunResult RunProgram(const std::vector<std::string>& argv, const RunOptions& opts,
                     const std::string& scratch_dir);

// A child whose standard input is a pipe the test writes to.
class PipedChild {
 public:
  PipedChild(const std::vector<std::string>& argv, const std::string& scratch_dir);
  ~PipedChild();
  PipedChild(const PipedChild&) = delete;
  PipedChild& operator=(const PipedChild&) = delete;
  // Writes all of `data` to the child's stdin (blocks while the pipe is full).
  bool Write(const std::string& data);
  // Closes stdin and waits for the child.
  RunResult Finish();

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::string out_path_, err_path_;
};

}  // namespace seglake::testing
