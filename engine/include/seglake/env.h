// Env: every file operation the engine performs goes through this interface so
// tests can inject faults (EIO, ENOSPC, short writes) and simulate a crash or a
// power loss. Env::Default() is the POSIX implementation. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "seglake/status.h"

namespace seglake {

// An open file. PWrite writes all bytes or fails. PRead returns fewer bytes
// only at end of file. Thread-safe for concurrent PRead; writers serialize.
class File {
 public:
  virtual ~File() = default;
  virtual Status PWrite(uint64_t offset, const void* data, size_t n) = 0;
  virtual Result<size_t> PRead(uint64_t offset, void* buf, size_t n) const = 0;
  // Makes written bytes durable: fdatasync on Linux, F_FULLFSYNC on macOS.
  virtual Status Sync() = 0;
  virtual Result<uint64_t> Size() const = 0;
  virtual Status Truncate(uint64_t size) = 0;
  // The OS descriptor for zero-copy paths (sendfile); -1 if there is none.
  virtual int NativeHandle() const { return -1; }
};

// An exclusive advisory lock held until destroyed (flock on POSIX).
class FileLock {
 public:
  virtual ~FileLock() = default;
};

struct OpenOptions {
  bool write = false;      // open read-write (else read-only)
  bool create = false;     // create if missing
  bool exclusive = false;  // with create: fail with AlreadyExists if present
};

class Env {
 public:
  virtual ~Env() = default;
  static Env* Default();

  virtual Result<std::unique_ptr<File>> Open(const std::string& path, OpenOptions opts) = 0;
  virtual Status CreateDir(const std::string& path) = 0;  // OK if it exists
  // fsync of a directory, so entries created or renamed in it are durable.
  virtual Status SyncDir(const std::string& path) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Remove(const std::string& path) = 0;
  // A hard link; NotSupported where there are none (callers then copy).
  virtual Status Link(const std::string& from, const std::string& to) {
    (void)from;
    (void)to;
    return Status::NotSupported("hard links");
  }
  virtual Result<std::vector<std::string>> ListDir(const std::string& path) = 0;
  virtual bool Exists(const std::string& path) = 0;
  // Takes an exclusive lock on `path` (created if missing). Busy if another
  // holder has it and `wait` is false.
  virtual Result<std::unique_ptr<FileLock>> Lock(const std::string& path, bool wait) = 0;
  // Free and total bytes of the file system holding `path`.
  virtual Status DiskSpace(const std::string& path, uint64_t* free_bytes,
                           uint64_t* total_bytes) = 0;
  virtual uint64_t NowNanos() = 0;  // wall clock, ns since the epoch
};

// Forwards every call to a target Env; subclass to intercept some of them.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }
  Result<std::unique_ptr<File>> Open(const std::string& p, OpenOptions o) override {
    return target_->Open(p, o);
  }
  Status CreateDir(const std::string& p) override { return target_->CreateDir(p); }
  Status SyncDir(const std::string& p) override { return target_->SyncDir(p); }
  Status Link(const std::string& f, const std::string& t) override { return target_->Link(f, t); }
  Status Rename(const std::string& f, const std::string& t) override {
    return target_->Rename(f, t);
  }
  Status Remove(const std::string& p) override { return target_->Remove(p); }
  Result<std::vector<std::string>> ListDir(const std::string& p) override {
    return target_->ListDir(p);
  }
  bool Exists(const std::string& p) override { return target_->Exists(p); }
  Result<std::unique_ptr<FileLock>> Lock(const std::string& p, bool w) override {
    return target_->Lock(p, w);
  }
  Status DiskSpace(const std::string& p, uint64_t* f, uint64_t* t) override {
    return target_->DiskSpace(p, f, t);
  }
  uint64_t NowNanos() override { return target_->NowNanos(); }

 private:
  Env* target_;
};

}  // namespace seglake
