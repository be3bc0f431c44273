// The POSIX Env: the only file in the engine that talks to the OS about files.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <dirent.h>
#include <cerrno>
#include <chrono>

#include "seglake/env.h"

namespace seglake {
namespace {

class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override { ::close(fd_); }

  Status PWrite(uint64_t offset, const void* data, size_t n) override {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      ssize_t w = ::pwrite(fd_, p, n, static_cast<off_t>(offset));
      if (w < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno(errno, "write " + path_);
      }
      p += w;
      offset += static_cast<uint64_t>(w);
      n -= static_cast<size_t>(w);
    }
    return Status::OK();
  }

  Result<size_t> PRead(uint64_t offset, void* buf, size_t n) const override {
    char* p = static_cast<char*>(buf);
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, p + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return Err(Status::FromErrno(errno, "read " + path_));
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    return done;
  }

  Status Sync() override {
#if defined(__APPLE__)
    if (::fcntl(fd_, F_FULLFSYNC) == 0) return Status::OK();
    if (::fsync(fd_) == 0) return Status::OK();
#else
    if (::fdatasync(fd_) == 0) return Status::OK();
#endif
    return Status::FromErrno(errno, "sync " + path_);
  }

  Result<uint64_t> Size() const override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return Err(Status::FromErrno(errno, "stat " + path_));
    return static_cast<uint64_t>(st.st_size);
  }

  Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
      return Status::FromErrno(errno, "truncate " + path_);
    return Status::OK();
  }

  int NativeHandle() const override { return fd_; }

 private:
  int fd_;
  std::string path_;
};

class PosixLock final : public FileLock {
 public:
  explicit PosixLock(int fd) : fd_(fd) {}
  ~PosixLock() override {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }

 private:
  int fd_;
};

// Run as root (an admin's `sudo seglake ...`, a mount started as root) on a
// data dir that belongs to a service user, a new file or directory takes the
// owner and group of the directory it is made in, so the service can still
// open it. Without this, a root-owned 0600 segment would be unreadable by the
// daemon that serves the data dir. Nothing changes for anyone but root.
void InheritOwner(int fd, const std::string& path) {
  if (::geteuid() != 0) return;
  struct stat st;
  if (::fstat(fd, &st) != 0 || st.st_uid != 0) return;
  std::string::size_type slash = path.find_last_of('/');
  std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  struct stat pst;
  if (::stat(parent.c_str(), &pst) != 0 || (pst.st_uid == 0 && pst.st_gid == st.st_gid)) return;
  // Best effort: a failure leaves the file as root made it, as before.
  if (::fchown(fd, pst.st_uid, pst.st_gid) != 0) return;
}

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<File>> Open(const std::string& path, OpenOptions o) override {
    int flags = (o.write ? O_RDWR : O_RDONLY) | O_CLOEXEC;
    if (o.create) flags |= O_CREAT;
    if (o.create && o.exclusive) flags |= O_EXCL;
    int fd = ::open(path.c_str(), flags, 0600);
    if (fd < 0) return Err(Status::FromErrno(errno, "open " + path));
    if (o.create) InheritOwner(fd, path);
    return std::unique_ptr<File>(new PosixFile(fd, path));
  }

  Status CreateDir(const std::string& path) override {
    if (::mkdir(path.c_str(), 0700) == 0) {
      int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd >= 0) {
        InheritOwner(fd, path);
        ::close(fd);
      }
      return Status::OK();
    }
    if (errno == EEXIST) return Status::OK();
    return Status::FromErrno(errno, "mkdir " + path);
  }

  Status SyncDir(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Status::FromErrno(errno, "open dir " + path);
#if defined(__APPLE__)
    int rc = ::fcntl(fd, F_FULLFSYNC);
    if (rc != 0) rc = ::fsync(fd);
#else
    int rc = ::fsync(fd);
#endif
    int err = errno;
    ::close(fd);
    if (rc != 0) return Status::FromErrno(err, "sync dir " + path);
    return Status::OK();
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0)
      return Status::FromErrno(errno, "rename " + from + " -> " + to);
    return Status::OK();
  }

  Status Link(const std::string& from, const std::string& to) override {
    if (::link(from.c_str(), to.c_str()) != 0)
      return Status::FromErrno(errno, "link " + from + " -> " + to);
    return Status::OK();
  }

  Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return Status::FromErrno(errno, "remove " + path);
    return Status::OK();
  }

  Result<std::vector<std::string>> ListDir(const std::string& path) override {
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) return Err(Status::FromErrno(errno, "list " + path));
    std::vector<std::string> out;
    while (struct dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(std::move(n));
    }
    ::closedir(d);
    return out;
  }

  bool Exists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  Result<std::unique_ptr<FileLock>> Lock(const std::string& path, bool wait) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Err(Status::FromErrno(errno, "open lock " + path));
    InheritOwner(fd, path);
    int rc;
    do {
      rc = ::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) return Err(Status::Busy("locked by another process: " + path));
      return Err(Status::FromErrno(err, "lock " + path));
    }
    return std::unique_ptr<FileLock>(new PosixLock(fd));
  }

  Status DiskSpace(const std::string& path, uint64_t* free_bytes, uint64_t* total_bytes) override {
    struct statvfs s;
    if (::statvfs(path.c_str(), &s) != 0) return Status::FromErrno(errno, "statvfs " + path);
    *free_bytes = static_cast<uint64_t>(s.f_bavail) * s.f_frsize;
    *total_bytes = static_cast<uint64_t>(s.f_blocks) * s.f_frsize;
    return Status::OK();
  }

  uint64_t NowNanos() override {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();
  return env;
}

}  // namespace seglake
