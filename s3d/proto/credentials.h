// The key pair of seglake-s3d when none is given: generated once and kept
// in DATA_DIR/credentials (mode 0600) so restarts keep it. `seglake keys`
// shows and rotates it.
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

// Reads DATA_DIR/credentials; NotFound if there is none.
Result<Credentials> ReadCredentials(const std::string& data_dir);

// Replaces the pair with a new one, atomically (temp file, fsync, rename,
// directory fsync). A running seglake-s3d keeps the old pair until restarted.
Result<Credentials> RotateCredentials(const std::string& data_dir);

// The file's path for a data dir.
std::string CredentialsPath(const std::string& data_dir);

}  // namespace seglake::s3d
