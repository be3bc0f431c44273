// What the parts of the filesystem (fs.cc, inodes.cc, entries.cc, files.cc,
// dirs.cc, attrs.cc, follower.cc) share: path and errno helpers and the
// open file and directory handles. Private to fuse/src.
#pragma once

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>

#include "fs.h"
#include "names.h"
#include "seglake/checksum.h"

namespace seglake::mount {
namespace fsi {

inline constexpr fuse_ino_t kRoot = FUSE_ROOT_ID;
inline constexpr uint32_t kListPage = 1000;
inline constexpr int64_t kBlockSize = 128 << 10;

struct BucketKey {
  std::string bucket, key;
};

inline BucketKey Split(const std::string& path) {
  size_t slash = path.find('/');
  if (slash == std::string::npos) return {path, ""};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

inline std::string ParentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

inline int Errno(const Status& s) {
  switch (s.code()) {
    case Status::Code::kOk:
      return 0;
    case Status::Code::kNotFound:
      return s.detail() == "ESTALE" ? ESTALE : ENOENT;
    case Status::Code::kAlreadyExists:
    case Status::Code::kPreconditionFailed:
      return EEXIST;
    case Status::Code::kNotEmpty:
      return ENOTEMPTY;
    case Status::Code::kInvalidArgument:
      return EINVAL;
    case Status::Code::kBusy:
      // Maintenance mode: the data dir takes no writes for now.
      return s.detail() == "Maintenance" ? EROFS : EAGAIN;
    case Status::Code::kNoSpace:
      return ENOSPC;
    case Status::Code::kNotSupported:
      return EROFS;
    default:
      return EIO;
  }
}

inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline timespec ToTs(int64_t ns) {
  timespec t;
  t.tv_sec = ns / 1'000'000'000;
  t.tv_nsec = ns % 1'000'000'000;
  return t;
}

inline int64_t FromTs(const timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

// The file type a version's attributes give (a regular file by default).
inline mode_t FileType(const PosixAttrs& p) {
  if (p.mode) {
    mode_t t = *p.mode & S_IFMT;
    if (t == S_IFLNK || t == S_IFIFO || t == S_IFCHR || t == S_IFBLK || t == S_IFSOCK) return t;
    if (t == 0 && p.symlink_target) return S_IFLNK;
    return S_IFREG;
  }
  return p.symlink_target ? S_IFLNK : S_IFREG;
}

// Attributes a new file, directory marker or symlink starts with.
inline ObjectAttrs NewAttrs(fuse_req_t req, mode_t mode) {
  const fuse_ctx* ctx = fuse_req_ctx(req);
  ObjectAttrs a;
  a.posix.mode = mode;
  a.posix.uid = ctx->uid;
  a.posix.gid = ctx->gid;
  a.posix.mtime_ns = NowNs();
  return a;
}

inline void Log(const char* what, const std::string& path, const Status& s) {
  std::fprintf(stderr, "seglake-mount: %s %s: %s\n", what, path.c_str(), s.ToString().c_str());
}

// The error of an operation on a file replaced from outside (see
// Fs::EditorLocked).
inline Status Stale(const std::string& path) {
  return Status::NotFound(path + " was replaced").WithDetail("ESTALE");
}

// Opening an inode whose key is gone: the kernel's entry is stale (a
// listing's entry that arrived after an unlink, say). ESTALE makes the
// kernel look the name up again (and create it, with O_CREAT).
inline int OpenErrno(const Status& s) { return s.IsNotFound() ? ESTALE : Errno(s); }

// The errno of a ChildPath failure (details carry ENOTDIR/ENAMETOOLONG).
inline int PathErrno(const Status& s) {
  if (s.detail() == "ENOTDIR") return ENOTDIR;
  if (s.detail() == "ENAMETOOLONG") return ENAMETOOLONG;
  return Errno(s);
}

// What a working copy shows as attributes (in.mu held). Its allocated bytes
// are estimated until it is committed: the base's plus what was written
// since, at most the size.
inline ObjectInfo CopyInfo(const Inode& in, const FileEditor& ed) {
  ObjectInfo info = ed.base();
  info.size = ed.size();
  info.attrs = ed.attrs();
  if (in.write_mtime_ns) info.attrs.posix.mtime_ns = in.write_mtime_ns;
  info.allocated = std::min(info.size, info.allocated + ed.unsaved_bytes());
  return info;
}

}  // namespace fsi

struct Fs::Handle {
  std::shared_ptr<Inode> in;
  bool writable = false;
  std::unique_ptr<ObjectReader> reader;  // read-only handles: the version opened
  std::mutex reader_mu;
};

// An open directory. Entries are numbered in the order listed; the handle
// keeps a window of the most recent ones so the kernel, which asks again
// from the last entry it passed on, finds the same entries at the same
// offsets however the directory changes meanwhile. Only a seek back past
// the window lists from the start again.
struct Fs::DirHandle {
  struct Entry {
    std::string name;
    bool dir = false;
    ObjectInfo info;  // a file's version (with attributes for readdirplus)
  };
  static constexpr size_t kWindow = 8192;
  std::string path;
  std::deque<Entry> window;
  uint64_t base = 0;  // index of window[0] among the directory's entries
  std::string after;  // where the next page of the listing starts (exclusive)
  bool eof = false;
  std::mutex mu;
};

}  // namespace seglake::mount
