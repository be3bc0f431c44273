#include "args.h"

#include <cerrno>
#include <cstdlib>
#include <set>

namespace seglake::mount {

const char kUsage[] =
    "usage: seglake-mount [OPTIONS] DATA_DIR MOUNTPOINT\n"
    "\n"
    "Mounts a seglake data dir: buckets are the top-level directories.\n"
    "\n"
    "  -f, --foreground  stay in the foreground\n"
    "  -d, --debug       log every request (implies -f)\n"
    "  -s                single-threaded\n"
    "  -o OPT[,OPT...]   mount options:\n"
    "      ro, rw, allow_other, allow_root, default_permissions, writeback_cache,\n"
    "      entry_timeout=SECS, attr_timeout=SECS (default 1), negative_timeout=SECS\n"
    "      (default 0: names that do not exist are not cached),\n"
    "      poll_ms=N (follow S3 changes every N ms, default 50),\n"
    "      dirty_mb=N (commit an open file past N MiB unsaved, default 256),\n"
    "      max_threads=N (default 10), fsname=NAME, subtype=NAME\n"
    "  -h, --help        this text\n"
    "  -V, --version     the version\n";

namespace {

bool ParseDouble(const std::string& v, double* out) {
  if (v.empty()) return false;
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(v.c_str(), &end);
  if (errno != 0 || *end != '\0' || d < 0 || d > 1e6) return false;
  *out = d;
  return true;
}

bool ParseUnsigned(const std::string& v, unsigned long long max, unsigned long long* out) {
  if (v.empty() || v[0] == '-' || v[0] == '+') return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || n > max) return false;
  *out = n;
  return true;
}

bool ParseOption(const std::string& opt, Args* a, std::string* error) {
  static const std::set<std::string> kIgnored = {
      "dev",      "nodev",       "suid",  "nosuid", "exec",       "noexec",   "atime", "noatime",
      "relatime", "strictatime", "auto",  "noauto", "user",       "nouser",   "users", "_netdev",
      "nofail",   "defaults",    "async", "sync",   "nodiratime", "diratime", "loop"};
  size_t eq = opt.find('=');
  std::string name = opt.substr(0, eq);
  std::string value = eq == std::string::npos ? "" : opt.substr(eq + 1);
  bool has_value = eq != std::string::npos;
  auto bad = [&](const char* what) {
    *error = "mount option '" + opt + "': " + what;
    return false;
  };
  if (opt.empty() || kIgnored.count(opt)) return true;
  if (name.rfind("x-", 0) == 0 || name.rfind("comment", 0) == 0) return true;  // fstab notes
  if (!has_value) {
    if (name == "ro") {
      a->mount.read_only = true;
      a->fuse_opts.push_back("ro");
    } else if (name == "rw") {
      a->mount.read_only = false;
    } else if (name == "allow_other" || name == "allow_root" || name == "default_permissions") {
      a->fuse_opts.push_back(name);
    } else if (name == "writeback_cache") {
      a->mount.writeback_cache = true;
    } else if (name == "debug") {
      a->debug = a->foreground = true;
    } else {
      return bad("unknown option");
    }
    return true;
  }
  unsigned long long n = 0;
  if (name == "entry_timeout") {
    if (!ParseDouble(value, &a->mount.entry_timeout)) return bad("expected seconds");
  } else if (name == "attr_timeout") {
    if (!ParseDouble(value, &a->mount.attr_timeout)) return bad("expected seconds");
  } else if (name == "negative_timeout") {
    if (!ParseDouble(value, &a->mount.negative_timeout)) return bad("expected seconds");
  } else if (name == "poll_ms") {
    if (!ParseUnsigned(value, 60'000, &n) || n == 0) return bad("expected 1..60000");
    a->mount.poll_ms = static_cast<int>(n);
  } else if (name == "dirty_mb") {
    if (!ParseUnsigned(value, 1 << 20, &n) || n == 0) return bad("expected a size in MiB");
    a->mount.dirty_bytes = n << 20;
  } else if (name == "max_threads") {
    if (!ParseUnsigned(value, 1000, &n) || n == 0) return bad("expected 1..1000");
    a->max_threads = static_cast<unsigned>(n);
  } else if (name == "fsname" || name == "subtype") {
    if (value.empty() || value.find(',') != std::string::npos) return bad("bad name");
    a->fuse_opts.push_back(opt);
  } else {
    return bad("unknown option");
  }
  return true;
}

bool ParseOptionList(const std::string& list, Args* a, std::string* error) {
  size_t start = 0;
  for (;;) {
    size_t comma = list.find(',', start);
    if (!ParseOption(list.substr(start, comma - start), a, error)) return false;
    if (comma == std::string::npos) return true;
    start = comma + 1;
  }
}

}  // namespace

bool ParseArgs(const std::vector<std::string>& argv, Args* a, std::string* error) {
  std::vector<std::string> pos;
  bool only_pos = false;
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& s = argv[i];
    if (only_pos || s.empty() || s[0] != '-' || s == "-") {
      pos.push_back(s);
    } else if (s == "--") {
      only_pos = true;
    } else if (s == "-f" || s == "--foreground") {
      a->foreground = true;
    } else if (s == "-d" || s == "--debug") {
      a->debug = a->foreground = true;
    } else if (s == "-s") {
      a->single_thread = true;
    } else if (s == "-h" || s == "--help") {
      a->help = true;
      return true;
    } else if (s == "-V" || s == "--version") {
      a->version = true;
      return true;
    } else if (s == "-o") {
      if (i + 1 == argv.size()) {
        *error = "flag -o needs a value";
        return false;
      }
      if (!ParseOptionList(argv[++i], a, error)) return false;
    } else if (s.rfind("-o", 0) == 0) {
      if (!ParseOptionList(s.substr(2), a, error)) return false;
    } else {
      *error = "unknown flag " + s;
      return false;
    }
  }
  if (pos.size() != 2) {
    *error = pos.size() < 2 ? "DATA_DIR and MOUNTPOINT are required" : "too many arguments";
    return false;
  }
  a->mount.data_dir = pos[0];
  a->mount.mountpoint = pos[1];
  return true;
}

}  // namespace seglake::mount
