// The key pair of seglake-s3d when none is given: generated once and kept
// in DATA_DIR/credentials (mode 0600) so restarts keep it.
#pragma once

#include <string>

#include "seglake/status.h"

namespace seglake::s3d {

struct Credentials {
  std::string access_key;
  std::string secret_key;
  bool generated = false;  // created by this call
};

// Reads DATA_DIR/credentials, or generates a pair and publishes it
// atomically (temp file, fsync, link, directory fsync). If another process
// publishes first, its pair is used.
Result<Credentials> LoadOrCreateCredentials(const std::string& data_dir);

// The file's path for a data dir.
std::string CredentialsPath(const std::string& data_dir);

}  // namespace seglake::s3d
