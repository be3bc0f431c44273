// A SQLite VFS whose file data goes through a seglake::Env, so that the faults
// and power losses a test Env injects reach meta.db and its WAL as they reach
// the segments (DESIGN.md, "Disk").
//
// Every named main database, rollback journal, super-journal and WAL file is
// opened twice: once by SQLite's default VFS, which keeps its locks, the WAL
// index (-shm) and its file controls real across processes, and once through
// the Env, which does every read, write, sync, truncate and size. Temp files
// and everything that is not file data (delete aside, which goes through
// Env::Remove) are left to the default VFS.
//
// POSIX drops all of a process's fcntl locks on a file when any descriptor of
// that file is closed. So an Env file is not closed while any other
// connection of this process still has the same path open through an EnvVfs:
// it is parked and reused or closed with the last one. Connections that open
// the same file without an EnvVfs are not covered; the engine opens all of
// its connections through one.
//
// Thread-safe. The Env must outlive the EnvVfs, and every connection opened
// with it must be closed before the last handle is released.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "seglake/env.h"
#include "seglake/status.h"

struct sqlite3_vfs;

namespace seglake::meta {

class EnvVfs {
 public:
  // The VFS over `env`, registered with SQLite (as "seglake-env-<env>-<n>")
  // while any handle returned for that env lives. REQUIRES: env != nullptr.
  static Result<std::shared_ptr<EnvVfs>> Acquire(Env* env);
  ~EnvVfs();  // unregisters the VFS
  EnvVfs(const EnvVfs&) = delete;
  EnvVfs& operator=(const EnvVfs&) = delete;

  // The name to pass to sqlite3_open_v2.
  const char* name() const { return name_.c_str(); }

 private:
  EnvVfs(Env* env, std::string name, uint64_t id, sqlite3_vfs* base);
  friend struct EnvVfsAccess;  // for the callbacks in env_vfs.cc

  Env* env_;
  std::string name_;
  uint64_t id_;                       // unique in this process, never reused (Env addresses are)
  sqlite3_vfs* base_;                 // the default VFS when this one was made
  std::unique_ptr<sqlite3_vfs> vfs_;  // what SQLite holds while registered
};

}  // namespace seglake::meta
