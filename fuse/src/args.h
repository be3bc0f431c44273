// The command line of seglake-mount: GNU-style flags, -o mount options (our
// own, libfuse's and the generic ones mount(8) passes, which are ignored).
#pragma once

#include <string>
#include <vector>

#include "fs.h"

namespace seglake::mount {

struct Args {
  MountOptions mount;
  bool foreground = false;
  bool debug = false;
  bool single_thread = false;
  bool help = false;
  bool version = false;
  unsigned max_threads = 10;
  // Options handed to libfuse as one -o list (allow_other, fsname=, ...).
  std::vector<std::string> fuse_opts;
};

// Parses argv; on failure returns false with a message naming the flag.
bool ParseArgs(const std::vector<std::string>& argv, Args* out, std::string* error);

extern const char kUsage[];

}  // namespace seglake::mount
