// The table of libfuse low-level operations over an Fs.
#pragma once

#include "fs.h"

namespace seglake::mount {

fuse_lowlevel_ops Operations();

}  // namespace seglake::mount
