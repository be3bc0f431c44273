#include "child_proc.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

extern char** environ;

namespace seglake::testing {

namespace fs = std::filesystem;

std::string ChildBinary() {
  const char* name = "seglake-crash-child";
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && fs::exists(self.parent_path() / name)) return (self.parent_path() / name).string();
  if (const char* bin = std::getenv("SEGLAKE_BIN_DIR"); bin && *bin) {
    for (fs::path p : {fs::path(bin) / "tests" / "crash" / name, fs::path(bin) / name}) {
      if (fs::exists(p)) return p.string();
    }
  }
  return "";
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    Kill();
    Wait();
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (in_fd_ >= 0) close(in_fd_);
}

std::string ChildProcess::Spawn(const std::vector<std::string>& argv, bool with_stdin) {
  // A child that dies must not kill the test through SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  int out[2], in[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
  if (with_stdin && pipe2(in, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  if (with_stdin) posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int rc = posix_spawn(&pid_, argv[0].c_str(), &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  if (with_stdin) close(in[0]);
  out_fd_ = out[0];
  in_fd_ = in[1];
  if (rc != 0) {
    pid_ = -1;
    return "posix_spawn " + argv[0] + ": " + std::strerror(rc);
  }
  return "";
}

bool ChildProcess::ReadLines(std::chrono::steady_clock::time_point deadline,
                             std::vector<std::string>* lines) {
  if (out_fd_ < 0) return false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return true;
    pollfd p{out_fd_, POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    char buf[65536];
    ssize_t got = read(out_fd_, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    partial_.append(buf, static_cast<size_t>(got));
    size_t nl;
    while ((nl = partial_.find('\n')) != std::string::npos) {
      lines->push_back(partial_.substr(0, nl));
      partial_.erase(0, nl + 1);
    }
  }
}

void ChildProcess::Drain(std::vector<std::string>* lines) {
  auto far = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (ReadLines(far, lines)) {
    if (std::chrono::steady_clock::now() >= far) break;
  }
}

bool ChildProcess::WriteLine(const std::string& line) {
  if (in_fd_ < 0) return false;
  std::string s = line + "\n";
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(in_fd_, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

void ChildProcess::Kill() {
  if (pid_ > 0) kill(pid_, SIGKILL);
}

int ChildProcess::Wait() {
  if (pid_ <= 0) return -1;
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (in_fd_ >= 0) {
    close(in_fd_);
    in_fd_ = -1;
  }
  return status;
}

}  // namespace seglake::testing
