// Options for opening an engine on a data dir.
#pragma once

#include <cstdint>
#include <string>

namespace seglake {

class Env;

struct Options {
  std::string data_dir;
  Env* env = nullptr;  // nullptr: Env::Default()
  bool create_if_missing = true;
  bool read_only = false;
  // A segment is sealed and a new one started past this size...
  uint64_t segment_target_bytes = 1ull << 30;
  // ...or after this long without an append.
  uint64_t segment_idle_seal_ms = 60'000;
  // Largest data record; a streaming write buffers at most this much.
  uint32_t max_record_bytes = 1u << 20;
  // Smallest multipart part other than the last (S3: 5 MiB).
  uint64_t min_part_bytes = 5ull << 20;
  // Read connections kept in the pool.
  int read_connections = 4;
  // How long a writer waits for another process holding SQLite's write lock.
  int busy_timeout_ms = 30'000;
  // Run the background thread (idle sealing). Tests may turn it off.
  bool background_thread = true;
};

}  // namespace seglake
