// seglake-mount: a seglake data dir as a FUSE filesystem.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "args.h"
#include "ops.h"

#ifndef SEGLAKE_VERSION
#define SEGLAKE_VERSION "unknown"
#endif

namespace seglake::mount {
namespace {

int Fail(const std::string& msg) {
  std::fprintf(stderr, "seglake-mount: %s\n", msg.c_str());
  return 1;
}

// The mountpoint must be an existing directory that is not already mounted.
bool CheckMountpoint(const std::string& mnt, std::string* abs, std::string* error) {
  // mount.fuse3 -o drop_privileges passes an already open /dev/fuse as
  // /dev/fd/N: libfuse takes it as it is.
  if (mnt.rfind("/dev/fd/", 0) == 0) {
    *abs = mnt;
    return true;
  }
  struct stat st {};
  if (stat(mnt.c_str(), &st) != 0) {
    int e = errno;
    *error = "mountpoint " + mnt + ": " + std::strerror(e);
    if (e == ENOTCONN) *error += " (a dead mount: run fusermount3 -u " + mnt + ")";
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    *error = "mountpoint " + mnt + " is not a directory";
    return false;
  }
  char buf[PATH_MAX];
  if (!realpath(mnt.c_str(), buf)) {
    *error = "mountpoint " + mnt + ": " + std::strerror(errno);
    return false;
  }
  *abs = buf;
  struct stat parent {};
  std::string up = *abs == "/" ? "/" : *abs + "/..";
  if (stat(up.c_str(), &parent) == 0 && *abs != "/" &&
      (parent.st_dev != st.st_dev || parent.st_ino == st.st_ino)) {
    *error = "mountpoint " + mnt + " is busy: something is already mounted there";
    return false;
  }
  return true;
}

bool CheckDevice(std::string* error) {
#ifdef __linux__
  if (access("/dev/fuse", R_OK | W_OK) != 0) {
    *error = std::string("/dev/fuse: ") + std::strerror(errno) +
             " (is FUSE installed and the fuse module loaded? try: modprobe fuse)";
    return false;
  }
#endif
  (void)error;
  return true;
}

// Everything after the checks: open the engine, mount, serve. `ready` is a
// pipe to the waiting parent in daemon mode (-1 in the foreground).
int Serve(Args& a, int ready) {
  auto report = [&](char c) {
    if (ready >= 0) {
      ssize_t n = write(ready, &c, 1);
      (void)n;
      close(ready);
      ready = -1;
    }
  };
  Options eo;
  eo.data_dir = a.mount.data_dir;
  eo.read_only = a.mount.read_only;
  eo.create_if_missing = !a.mount.read_only;
  auto engine = Engine::Open(eo);
  if (!engine) {
    report('1');
    return Fail("data dir " + a.mount.data_dir + ": " + engine.error().ToString());
  }
  Fs fs(std::move(*engine), a.mount);

  std::vector<std::string> fargs = {"seglake-mount"};
  std::string olist = "subtype=seglake,fsname=" + a.mount.data_dir;
  for (const std::string& o : a.fuse_opts) {
    if (o.rfind("fsname=", 0) == 0 || o.rfind("subtype=", 0) == 0) {
      // Replace the defaults.
      std::string key = o.substr(0, o.find('=') + 1);
      size_t at = olist.find(key);
      size_t end = olist.find(',', at);
      olist.erase(at, end == std::string::npos ? std::string::npos : end - at + 1);
      if (!olist.empty() && olist.back() == ',') olist.pop_back();
    }
    olist += (olist.empty() ? "" : ",") + o;
  }
  fargs.push_back("-o");
  fargs.push_back(olist);
  if (a.debug) fargs.push_back("-d");
  std::vector<char*> cargv;
  for (auto& s : fargs) cargv.push_back(s.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(cargv.size()), cargv.data());
  fuse_lowlevel_ops ops = Operations();
  fuse_session* se = fuse_session_new(&args, &ops, sizeof ops, &fs);
  // libfuse may have copied the arguments it parsed.
  struct ArgsFree {
    fuse_args* a;
    ~ArgsFree() { fuse_opt_free_args(a); }
  } args_free{&args};
  if (!se) {
    report('1');
    return Fail("could not start a FUSE session (see the message above)");
  }
  if (fuse_set_signal_handlers(se) != 0) {
    fuse_session_destroy(se);
    report('1');
    return Fail("could not install signal handlers");
  }
  if (fuse_session_mount(se, a.mount.mountpoint.c_str()) != 0) {
    fuse_remove_signal_handlers(se);
    fuse_session_destroy(se);
    report('1');
    return Fail("could not mount on " + a.mount.mountpoint);
  }
  fs.SetSession(se);
  fs.StartFollower();
  if (ready >= 0) {
    report('0');
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
      dup2(devnull, 2);
      if (devnull > 2) close(devnull);
    }
  }
  int res;
  if (a.single_thread) {
    res = fuse_session_loop(se);
  } else {
    fuse_loop_config cfg{};
    cfg.clone_fd = 0;
    cfg.max_idle_threads = a.max_threads;
    res = fuse_session_loop_mt(se, &cfg);
  }
  fs.StopFollower();
  fs.FlushAll();
  fuse_session_unmount(se);
  fuse_remove_signal_handlers(se);
  fuse_session_destroy(se);
  // A signal (SIGINT, SIGTERM, SIGHUP) is a clean stop.
  return res < 0 ? 1 : 0;
}

int Main(int argc, char** argv) {
  Args a;
  std::string error;
  if (!ParseArgs(std::vector<std::string>(argv, argv + argc), &a, &error)) {
    std::fprintf(stderr, "seglake-mount: %s\n%s", error.c_str(), kUsage);
    return 2;
  }
  if (a.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (a.version) {
    std::printf("seglake-mount %s (libfuse %d)\n", SEGLAKE_VERSION, fuse_version());
    return 0;
  }
  if (!CheckDevice(&error)) return Fail(error);
  std::string abs;
  if (!CheckMountpoint(a.mount.mountpoint, &abs, &error)) return Fail(error);
  a.mount.mountpoint = abs;
  if (mkdir(a.mount.data_dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Fail("data dir " + a.mount.data_dir + ": " + std::strerror(errno));
  char buf[PATH_MAX];
  if (!realpath(a.mount.data_dir.c_str(), buf))
    return Fail("data dir " + a.mount.data_dir + ": " + std::strerror(errno));
  a.mount.data_dir = buf;
  // The mount decides who sees the files (its modes, allow_other); the data
  // dir itself should give other local users nothing to read around it.
  struct stat dst;
  if (stat(a.mount.data_dir.c_str(), &dst) == 0 && (dst.st_mode & 077) != 0) {
    std::fprintf(stderr,
                 "seglake-mount: warning: data dir %s is accessible to other users (mode %03o): "
                 "chmod 700 it (new data dirs are created 0700)\n",
                 a.mount.data_dir.c_str(), static_cast<unsigned>(dst.st_mode & 0777));
  }

  if (a.foreground) return Serve(a, -1);
  // Daemon: the parent waits until the child has mounted (or failed).
  int fds[2];
  if (pipe(fds) != 0) return Fail(std::string("pipe: ") + std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) return Fail(std::string("fork: ") + std::strerror(errno));
  if (pid > 0) {
    close(fds[1]);
    char c = '1';
    ssize_t n = read(fds[0], &c, 1);
    return n == 1 && c == '0' ? 0 : 1;
  }
  close(fds[0]);
  setsid();
  if (chdir("/") != 0) return 1;
  return Serve(a, fds[1]);
}

}  // namespace
}  // namespace seglake::mount

int main(int argc, char** argv) { return seglake::mount::Main(argc, argv); }
