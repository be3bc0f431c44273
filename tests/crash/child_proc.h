// Running seglake-crash-child from a test: spawn with pipes, read its lines
// with a deadline, kill -9, reap.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace seglake::testing {

// Path of the seglake-crash-child binary: next to the running test, else
// under $SEGLAKE_BIN_DIR. "" if not found.
std::string ChildBinary();

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();  // kills and reaps a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts `argv` (argv[0] is the binary) with stdout on a pipe, and stdin on
  // a pipe if `with_stdin`. Returns "" or an error.
  std::string Spawn(const std::vector<std::string>& argv, bool with_stdin);
  // Appends complete output lines until `deadline`; false once at EOF.
  bool ReadLines(std::chrono::steady_clock::time_point deadline, std::vector<std::string>* lines);
  // Reads everything up to EOF (after the child exited or was killed).
  void Drain(std::vector<std::string>* lines);
  // Writes one line to the child's stdin; false if it is gone.
  bool WriteLine(const std::string& line);
  void Kill();  // SIGKILL
  // Waits for the child to exit; returns the waitpid status.
  int Wait();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int in_fd_ = -1;
  std::string partial_;  // output after the last '\n'
};

}  // namespace seglake::testing
