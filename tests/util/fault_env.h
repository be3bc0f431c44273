// FaultEnv: an Env for tests that injects I/O faults and simulates a crash or a
// power loss, after RocksDB's fault-injection file system.
//
// Every file opened through it is wrapped. It counts PWrite, Sync and SyncDir
// calls across all files, can fail the N-th one from now with a chosen Status
// (optionally after writing only part of the bytes), and can then "crash":
// every later operation fails with IOError, as if the process were dead. A
// fault can be limited to the files whose path ends in a suffix (meta.db's
// WAL, say: SQLite's files go through this env too, see meta/env_vfs.h).
//
// SimulatePowerLoss() then puts the disk into a state a power cut could leave:
// every file written through this env loses what was written since its last
// successful Sync (bytes past the synced size are cut; bytes overwritten inside
// it are restored), and files created through this env since the last
// successful SyncDir of their parent directory are deleted. Renames move this
// bookkeeping to the new name (a rename itself is taken as durable).
//
// Thread-safe. The wrapped Env must outlive this one, and files opened through
// it must not outlive it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "seglake/env.h"

namespace seglake::testing {

struct Fault {
  enum class Op { kPWrite, kSync, kSyncDir };
  Op op = Op::kPWrite;
  // Fail the nth call of `op` counted from Arm(), 1-based.
  uint64_t nth = 1;
  // Returned by the failing call (IOError, NoSpace, ...).
  Status status = Status::IOError("injected fault");
  // kPWrite only: write this many bytes (at most n-1) before failing.
  size_t short_write_bytes = 0;
  // After the fault fires, every later operation fails (the process is dead).
  bool crash = false;
  // If set, only calls on paths (for kSyncDir: directories) ending in this
  // count toward nth; "/meta.db-wal" picks SQLite's WAL.
  std::string path_suffix;
};

class FaultEnv : public EnvWrapper {
 public:
  // `target` nullptr means Env::Default().
  explicit FaultEnv(Env* target = nullptr);
  ~FaultEnv() override;

  // Arms one fault, replacing any armed one.
  void Arm(const Fault& fault);
  void Disarm();
  // True once the armed fault has fired.
  bool fired() const;
  // From now on every operation fails with IOError (like kill -9 between two
  // system calls).
  void CrashNow();
  bool crashed() const;

  // Calls that reached this env (a failed or refused call counts too).
  uint64_t pwrite_count() const;
  uint64_t sync_count() const;
  uint64_t syncdir_count() const;
  // Calls of the armed fault's kind on paths matching its path_suffix since
  // Arm() (whether it fired or not): arm a fault with a huge nth to count.
  uint64_t matched_count() const;

  // Drops unsynced data and undurable files as described above, through the
  // wrapped env. Call it after the engine is destroyed (or crashed). Afterwards
  // the env is reset: no fault, not crashed, all files considered durable.
  Status SimulatePowerLoss();

  // Env.
  Result<std::unique_ptr<File>> Open(const std::string& path, OpenOptions opts) override;
  Status CreateDir(const std::string& path) override;
  Status SyncDir(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& path) override;
  bool Exists(const std::string& path) override;
  Result<std::unique_ptr<FileLock>> Lock(const std::string& path, bool wait) override;
  Status DiskSpace(const std::string& path, uint64_t* free_bytes, uint64_t* total_bytes) override;

 private:
  class FaultFile;
  friend class FaultFile;

  // What a power loss would leave of one file.
  struct FileState {
    uint64_t size = 0;         // current size as written through this env
    uint64_t synced_size = 0;  // size at the last successful Sync (or at open)
    // Old contents of ranges below synced_size overwritten since that Sync.
    std::vector<std::pair<uint64_t, std::string>> undo;
  };

  // Decides the fate of one counted call. Returns OK to proceed, or the
  // injected failure; sets *short_bytes for a short write. REQUIRES: mu_ held.
  Status CountAndCheck(Fault::Op op, const std::string& path, size_t* short_bytes);
  Status DeadStatus() const;

  Status FilePWrite(const std::string& path, File* f, uint64_t off, const void* data, size_t n);
  Status FileSync(const std::string& path, File* f);
  Status FileTruncate(const std::string& path, File* f, uint64_t size);

  // Lock order: mu_ only; it is never held across a call that can block
  // for long (Sync, SyncDir) — except PWrite, which keeps the undo log exact.
  mutable std::mutex mu_;
  bool armed_ = false;
  bool fired_ = false;
  bool crashed_ = false;
  Fault fault_;
  uint64_t matched_ = 0;  // calls of fault_.op on matching paths since armed
  uint64_t pwrites_ = 0;
  uint64_t syncs_ = 0;
  uint64_t syncdirs_ = 0;
  std::map<std::string, FileState> files_;                  // by path
  std::map<std::string, std::set<std::string>> new_files_;  // dir -> created files
};

}  // namespace seglake::testing
