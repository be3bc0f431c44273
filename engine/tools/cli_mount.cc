// `seglake mount DATA_DIR MNT` and the mount helper form `seglake DATA_DIR MNT
// -o OPTS`, which mount.fuse3 runs for `mount -t fuse.seglake` and fstab lines
// of type fuse.seglake. Both parse the few options seglake-mount takes and
// replace this process with seglake-mount, so its exit status is theirs.
#include "cli_mount.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

#if defined(__APPLE__)
#include <mach-o/dyld.h>
#endif

#include "cli_output.h"

namespace seglake::cli {

const std::string_view kMountUsage =
    R"(usage: seglake mount DATA_DIR MOUNTPOINT [-o OPT[,OPT...]] [-f] [-d] [-s]
       seglake --data-dir DATA_DIR mount MOUNTPOINT [OPTIONS]
       seglake DATA_DIR MOUNTPOINT [-o OPT[,OPT...]]   (as mount.fuse3 runs it)

Mounts DATA_DIR at MOUNTPOINT as a FUSE filesystem by running seglake-mount,
found next to this program, else in its build tree, else on PATH.

Options (passed to seglake-mount; see seglake-mount(1)):
  -o OPT[,OPT...]   mount options; may be repeated (fstab-only options x-*
                    and comment=* are dropped)
  -f, --foreground  stay in the foreground
  -d, --debug       log every request (implies -f)
  -s                single-threaded loop
  -h, --help        this help

With `mount -t fuse.seglake DATA_DIR MOUNTPOINT` or the fstab line
  DATA_DIR  MOUNTPOINT  fuse.seglake  defaults,_netdev  0  0
mount.fuse3 runs `seglake DATA_DIR MOUNTPOINT -o OPTS`, the third form.
)";

namespace {

constexpr const char* kMountBinary = "seglake-mount";

struct MountRequest {
  std::vector<std::string> operands;
  std::vector<std::string> options;  // each -o value's comma-separated items
  bool foreground = false;
  bool debug = false;
  bool single_thread = false;
  bool help = false;
};

int MountUsageError(std::string_view command, const std::string& message) {
  Fail(command, kExitCannotRun, message);
  std::fputs("Try 'seglake mount --help' for more information.\n", stderr);
  return kExitCannotRun;
}

void AddOptions(const std::string& value, MountRequest* req) {
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string::npos) comma = value.size();
    std::string item = value.substr(start, comma - start);
    // x-* and comment=* are for fstab readers (systemd, ...), never for the
    // file system (fstab(5)); mount(8) may pass them on.
    if (!item.empty() && !item.starts_with("x-") && !item.starts_with("comment=")) {
      req->options.push_back(std::move(item));
    }
    start = comma + 1;
  }
}

// GNU-style: options anywhere, `--` ends them, short switches may be grouped
// (`-fs`), `-oOPTS` and `-o OPTS`. `allow_data_dir`: --data-dir DIR is
// accepted (the command form, where global options may follow the command).
bool ParseMountArgs(std::span<const std::string> args, bool allow_data_dir, MountRequest* req,
                    std::optional<std::string>* data_dir, std::string* error) {
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.size() < 2 || a[0] != '-') {
      req->operands.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    if (a[1] == '-') {
      std::string_view body = std::string_view(a).substr(2);
      size_t eq = body.find('=');
      std::string_view name = body.substr(0, eq);
      std::optional<std::string> inline_value;
      if (eq != std::string_view::npos) inline_value = std::string(body.substr(eq + 1));
      auto value = [&]() -> std::optional<std::string> {
        if (inline_value) return inline_value;
        if (i + 1 >= args.size()) {
          *error = "option --" + std::string(name) + " needs a value";
          return std::nullopt;
        }
        return args[++i];
      };
      bool is_switch = name == "foreground" || name == "debug" || name == "help" ||
                       (allow_data_dir && name == "json");
      if (is_switch && inline_value) {
        *error = "option --" + std::string(name) + " takes no value";
        return false;
      }
      if (name == "foreground") {
        req->foreground = true;
      } else if (name == "debug") {
        req->debug = true;
      } else if (name == "help") {
        req->help = true;
      } else if (name == "json" && allow_data_dir) {
        // A global option, meaningless here.
      } else if (name == "options") {
        std::optional<std::string> v = value();
        if (!v) return false;
        AddOptions(*v, req);
      } else if (name == "data-dir" && allow_data_dir) {
        std::optional<std::string> v = value();
        if (!v) return false;
        *data_dir = *v;
      } else {
        *error = "unknown option --" + EscapeForTerminal(name);
        return false;
      }
      continue;
    }
    for (size_t j = 1; j < a.size(); ++j) {
      char c = a[j];
      if (c == 'f') {
        req->foreground = true;
      } else if (c == 'd') {
        req->debug = true;
      } else if (c == 's') {
        req->single_thread = true;
      } else if (c == 'h') {
        req->help = true;
      } else if (c == 'o') {
        if (j + 1 < a.size()) {
          AddOptions(a.substr(j + 1), req);
        } else if (i + 1 < args.size()) {
          AddOptions(args[++i], req);
        } else {
          *error = "option -o needs a value";
          return false;
        }
        break;
      } else {
        *error = "unknown option -" + EscapeForTerminal(std::string_view(&a[j], 1));
        return false;
      }
    }
  }
  return true;
}

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// The directory of the running executable, or "" if it cannot be found.
std::string SelfDir(const char* argv0) {
  std::string self;
#if defined(__linux__)
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n > 0) self.assign(buf, static_cast<size_t>(n));
#elif defined(__APPLE__)
  uint32_t size = 0;
  _NSGetExecutablePath(nullptr, &size);
  std::string buf(size, '\0');
  if (size > 0 && _NSGetExecutablePath(buf.data(), &size) == 0) {
    buf.resize(std::strlen(buf.c_str()));
    if (char* real = ::realpath(buf.c_str(), nullptr)) {
      self = real;
      std::free(real);
    }
  }
#endif
  if (self.empty() && argv0 != nullptr && std::strchr(argv0, '/') != nullptr) {
    if (char* real = ::realpath(argv0, nullptr)) {
      self = real;
      std::free(real);
    }
  }
  if (self.empty()) return "";
  return std::filesystem::path(self).parent_path().string();
}

// seglake-mount next to this executable, else where the build tree puts it
// (<build>/engine/tools/seglake -> <build>/fuse/seglake-mount); "" means
// "search PATH".
std::string FindMountBinary(const char* argv0) {
  std::string dir = SelfDir(argv0);
  if (dir.empty()) return "";
  const std::filesystem::path base(dir);
  for (const std::filesystem::path& p :
       {base / kMountBinary, (base / ".." / ".." / "fuse" / kMountBinary).lexically_normal()}) {
    if (IsExecutableFile(p.string())) return p.string();
  }
  return "";
}

// Replaces this process with seglake-mount DATA_DIR MNT and the options.
int ExecMount(const char* argv0, std::string_view command, const MountRequest& req,
              const std::string& data_dir, const std::string& mountpoint) {
  std::vector<std::string> argv;
  std::string binary = FindMountBinary(argv0);
  argv.push_back(binary.empty() ? kMountBinary : binary);
  if (req.foreground) argv.push_back("-f");
  if (req.debug) argv.push_back("-d");
  if (req.single_thread) argv.push_back("-s");
  if (!req.options.empty()) {
    std::string joined;
    for (const std::string& o : req.options) joined += (joined.empty() ? "" : ",") + o;
    argv.push_back("-o");
    argv.push_back(joined);
  }
  // An absolute data dir: seglake-mount changes to / when it detaches. A path
  // that would read as an option gets "./" in front.
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(data_dir, ec);
  std::string dir = ec ? data_dir : abs.lexically_normal().string();
  if (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  argv.push_back(dir.starts_with("-") ? "./" + dir : dir);
  argv.push_back(mountpoint.starts_with("-") ? "./" + mountpoint : mountpoint);

  std::vector<char*> cargv;
  for (std::string& s : argv) cargv.push_back(s.data());
  cargv.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  if (binary.empty()) {
    ::execvp(kMountBinary, cargv.data());
  } else {
    ::execv(binary.c_str(), cargv.data());
  }
  int err = errno;
  std::string where = binary.empty() ? std::string(kMountBinary) +
                                           " (not next to this program, "
                                           "nor in PATH)"
                                     : binary;
  return Fail(command, kExitCannotRun,
              "cannot run " + EscapeForTerminal(where) + ": " + std::strerror(err));
}

}  // namespace

bool IsMountHelperCall(std::span<const std::string> args, bool is_command) {
  if (args.size() < 2 || is_command) return false;
  const std::string& dir = args[0];
  const std::string& mnt = args[1];
  if (dir.empty() || dir[0] == '-' || mnt.empty() || mnt[0] == '-') return false;
  struct stat st;
  return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

int RunMountHelper(const char* argv0, std::span<const std::string> args) {
  MountRequest req;
  std::string error;
  std::optional<std::string> unused;
  if (!ParseMountArgs(args, /*allow_data_dir=*/false, &req, &unused, &error)) {
    return MountUsageError("mount", error);
  }
  if (req.help) {
    std::cout << kMountUsage;
    return kExitOk;
  }
  if (req.operands.size() != 2) {
    return MountUsageError("mount", "expected DATA_DIR MOUNTPOINT, got " +
                                        std::to_string(req.operands.size()) + " operands");
  }
  return ExecMount(argv0, "mount", req, req.operands[0], req.operands[1]);
}

int RunMountCommand(const char* argv0, std::span<const std::string> command_args,
                    std::optional<std::string> data_dir) {
  MountRequest req;
  std::string error;
  if (!ParseMountArgs(command_args, /*allow_data_dir=*/true, &req, &data_dir, &error)) {
    return MountUsageError("mount", error);
  }
  if (req.help) {
    std::cout << kMountUsage;
    return kExitOk;
  }
  std::string dir, mountpoint;
  if (req.operands.size() == 2) {
    dir = req.operands[0];
    mountpoint = req.operands[1];
  } else if (req.operands.size() == 1 && data_dir && !data_dir->empty()) {
    dir = *data_dir;
    mountpoint = req.operands[0];
  } else if (req.operands.empty() || req.operands.size() == 1) {
    return MountUsageError("mount", "missing operand: seglake mount DATA_DIR MOUNTPOINT");
  } else {
    return MountUsageError("mount", "too many operands: seglake mount DATA_DIR MOUNTPOINT");
  }
  return ExecMount(argv0, "mount", req, dir, mountpoint);
}

}  // namespace seglake::cli
