#include "subprocess.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace seglake::testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> MakeEnv(const std::map<std::string, std::optional<std::string>>& changes) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    if (!changes.contains(name)) env.push_back(entry);
  }
  for (const auto& [name, value] : changes) {
    if (value) env.push_back(name + "=" + *value);
  }
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (std::string& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::string NextCapturePath(const std::string& dir, const char* what) {
  static std::atomic<int> counter{0};
  return dir + "/capture-" + std::to_string(counter++) + "." + what;
}

int WaitExit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Spawns argv with stdout/stderr redirected to files and stdin either opened
// from stdin_path or dup'ed from stdin_fd (when >= 0).
pid_t Spawn(const std::vector<std::string>& argv, const RunOptions& opts, int stdin_fd,
            const std::string& out_path, const std::string& err_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stdin_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);  // the pipe ends are close-on-exec
  } else {
    posix_spawn_file_actions_addopen(&actions, 0, opts.stdin_path.c_str(), O_RDONLY, 0);
  }
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  std::vector<std::string> args = argv;
  std::vector<std::string> env = MakeEnv(opts.env);
  std::vector<char*> cargs = CStrings(args);
  std::vector<char*> cenv = CStrings(env);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, cargs[0], &actions, nullptr, cargs.data(), cenv.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
  }
  return pid;
}

}  // namespace

RunResult RunProgram(const std::vector<std::string>& argv, const RunOptions& opts,
                     const std::string& scratch_dir) {
  std::string out_path = NextCapturePath(scratch_dir, "out");
  std::string err_path = NextCapturePath(scratch_dir, "err");
  pid_t pid = Spawn(argv, opts, -1, out_path, err_path);
  RunResult r;
  r.exit_code = WaitExit(pid);
  r.out = Slurp(out_path);
  r.err = Slurp(err_path);
  unlink(out_path.c_str());
  unlink(err_path.c_str());
  return r;
}

PipedChild::PipedChild(const std::vector<std::string>& argv, const std::string& scratch_dir) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  out_path_ = NextCapturePath(scratch_dir, "out");
  err_path_ = NextCapturePath(scratch_dir, "err");
  try {
    pid_ = Spawn(argv, RunOptions{}, fds[0], out_path_, err_path_);
  } catch (...) {
    close(fds[0]);
    close(fds[1]);
    throw;
  }
  close(fds[0]);
  stdin_fd_ = fds[1];
}

PipedChild::~PipedChild() {
  if (pid_ > 0) (void)Finish();
}

bool PipedChild::Write(const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(stdin_fd_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

RunResult PipedChild::Finish() {
  if (stdin_fd_ >= 0) {
    close(stdin_fd_);
    stdin_fd_ = -1;
  }
  RunResult r;
  if (pid_ > 0) {
    r.exit_code = WaitExit(pid_);
    pid_ = -1;
  }
  r.out = Slurp(out_path_);
  r.err = Slurp(err_path_);
  return r;
}

}  // namespace seglake::testing
