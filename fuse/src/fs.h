// The filesystem: inodes over bucket/key paths, open files as engine
// working copies, and a follower of the change sequence that invalidates the
// kernel's caches. Its parts: fs.cc (state, working copies, init), inodes.cc
// (the inode table, names, attributes), entries.cc (mkdir, unlink, rename,
// ...), files.cc (open files), dirs.cc, attrs.cc (setattr, xattrs) and
// follower.cc; ops.cc holds the libfuse callback table.
#pragma once

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "seglake/engine.h"

namespace seglake::mount {

// The user metadata key holding a device node's number (x-amz-meta-rdev).
inline constexpr char kRdevMeta[] = "rdev";

struct MountOptions {
  std::string data_dir;
  std::string mountpoint;
  bool read_only = false;
  bool writeback_cache = false;
  double entry_timeout = 1.0;
  double attr_timeout = 1.0;
  // 0: the kernel keeps no negative entries, so a key created elsewhere is
  // found at the next lookup without the follower dropping an entry (see
  // Fs::Invalidate for why it avoids that).
  double negative_timeout = 0.0;
  int poll_ms = 50;
  uint64_t dirty_bytes = 256ull << 20;
};

// Names that are hard links of one file while the mount runs (see
// SEMANTICS.md): every name is a key holding the same version, and a commit
// through any of them is copied to the others. Guarded by Fs::mu_.
struct LinkGroup {
  std::set<std::string> names;  // paths, at least two
  fuse_ino_t ino = 0;           // the file's inode number
  std::string etag;             // of the version every name holds
};

// One name the kernel knows. `path` is "" for the root, "B" for a bucket,
// "B/a/b" below; it follows renames. Guarded by Fs::mu_ except `mu`, which
// serializes the content of a file.
//
// One view per inode: while any handle of a file is open, every handle
// reads the same bytes. Without a working copy that is the version `last`
// (each read-only handle holds a reader of exactly that version); once
// anything in this mount changes the file (a writable open, truncate, an
// xattr), the working copy `editor` is that view for every handle and stays
// until the last handle is released.
struct Inode {
  fuse_ino_t ino = 0;
  std::string path;
  bool dir = false;
  uint64_t nlookup = 0;
  int opens = 0;
  std::atomic<bool> unlinked{false};  // removed while known: writes are discarded
  std::atomic<uint32_t> links{1};     // names (st_nlink) while not unlinked
  std::shared_ptr<LinkGroup> group;   // hard links: its names (guarded by Fs::mu_)
  // Replaced over S3 while open (and not being written): the name now leads
  // to a new inode; this one keeps its bytes for its open handles.
  std::atomic<bool> detached{false};
  // A directory's last change through this mount (an entry made, removed or
  // renamed; its attributes), shown over its marker's times while mounted.
  std::atomic<int64_t> dir_mtime_ns{0};
  std::atomic<int64_t> dir_ctime_ns{0};

  std::mutex mu;  // guards everything below
  std::unique_ptr<FileEditor> editor;
  int handles = 0;             // open file handles
  int writers = 0;             // of which writable
  int64_t write_mtime_ns = 0;  // last write, applied at commit
  std::string opened_version;  // version id seen at the last open, for keep_cache
  // The version the handles read without an editor; with no handle open, the
  // one the kernel was last told of; the last one committed (fstat once
  // unlinked or detached).
  ObjectInfo last;
  bool has_last = false;
};

class Fs {
 public:
  Fs(std::unique_ptr<Engine> engine, MountOptions opts);
  ~Fs();

  void SetSession(fuse_session* se) { se_ = se; }
  void StartFollower();
  void StopFollower();
  // Commits every working copy with unsaved changes (at unmount).
  void FlushAll();

  // The operations, one per libfuse callback (see ops.cc).
  void Init(fuse_conn_info* conn);
  void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name);
  void Forget(fuse_ino_t ino, uint64_t n);
  void GetAttr(fuse_req_t req, fuse_ino_t ino);
  void SetAttr(fuse_req_t req, fuse_ino_t ino, const struct stat* attr, int to_set);
  void ReadLink(fuse_req_t req, fuse_ino_t ino);
  void MkDir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode);
  void MkNod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev);
  void Unlink(fuse_req_t req, fuse_ino_t parent, const char* name);
  void RmDir(fuse_req_t req, fuse_ino_t parent, const char* name);
  void Symlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name);
  void Rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
              const char* newname, unsigned flags);
  void Link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char* newname);
  void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void Create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi);
  void Read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi);
  void Write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off,
             fuse_file_info* fi);
  void Flush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void Release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void Fsync(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void OpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi,
               bool plus);
  void ReleaseDir(fuse_req_t req, fuse_file_info* fi);
  void StatFs(fuse_req_t req);
  void SetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
                int flags);
  void GetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size);
  void ListXattr(fuse_req_t req, fuse_ino_t ino, size_t size);
  void RemoveXattr(fuse_req_t req, fuse_ino_t ino, const char* name);
  void Fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len);
  void CopyFileRange(fuse_req_t req, fuse_ino_t ino_in, off_t off_in, fuse_ino_t ino_out,
                     off_t off_out, size_t len);
  void Lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence);

  struct DirHandle;  // an open directory (fs.cc)

 private:
  struct Handle;
  struct Node {  // what a path is right now
    bool exists = false;
    bool dir = false;
    ObjectInfo info;  // a file's current version; a directory's marker, if any
    bool has_marker = false;
  };

  std::shared_ptr<Inode> Get(fuse_ino_t ino);
  // The inode for `path`, created if new; counts one lookup when `lookup`.
  std::shared_ptr<Inode> Intern(const std::string& path, bool dir, bool lookup);
  // The number `path` has or would have (mu_ held): see inodes.cc.
  fuse_ino_t PathNumber(const std::string& path) const;
  // The number for a new inode of `path`, one no live inode holds (mu_ held).
  fuse_ino_t NumberFor(const std::string& path);
  void Renumber(const std::string& path, fuse_ino_t ino);  // mu_ held
  void Rekey(const std::string& from, const std::string& to, bool subtree);
  // The name went away: its inode is unlinked, unless other hard links of
  // it remain.
  void Drop(const std::string& path);
  // Takes `path` out of its link group (mu_ held); the group is dissolved
  // when one name is left.
  void Unlink1(const std::string& path);
  // After a commit through `in.path`: the other names of its link group get
  // the same version (in.mu held).
  Status CopyToLinks(Inode& in, const ObjectInfo& committed);

  Result<Node> Resolve(const std::string& path);
  Status ChildPath(fuse_ino_t parent, const char* name, std::string* path, bool for_create);
  // The path of a new name in `parent`: 0, or the errno (EEXIST if taken).
  int FreeName(fuse_ino_t parent, const char* name, std::string* path);
  struct stat Attr(const Inode& in, const Node& n) const;
  struct stat DirAttr(const Inode& in, const ObjectInfo* marker) const;
  // An entry of directory `dir` was made, removed or renamed (content), or
  // its attributes changed: its mtime and ctime (or ctime only) move on.
  void DirChanged(fuse_ino_t dir, bool content = true);
  // With in.mu held: turns *info, the key's current version, into what the
  // kernel is to be told about file `in`: its working copy, else the version
  // its open handles read (with -o writeback_cache, the one it was last told
  // of, open or not); otherwise *info, remembered as `last` (what the kernel
  // was told, see OpenHandle). False when the key was replaced under such a
  // view and `detach`: `in` is then detached and the name needs a new inode.
  bool KernelViewLocked(Inode& in, ObjectInfo* info, bool detach = true);
  void ReplyEntry(fuse_req_t req, const std::string& path, const Node& n);
  Status ReplyAttrFor(fuse_req_t req, const std::shared_ptr<Inode>& in);

  Status CommitLocked(Inode& in);
  // With in.mu held: the inode's working copy; made if missing, and kept as
  // the inode's view while handles are open (`opening`: one is about to be).
  // Without open handles a temporary copy in *temp is returned. ESTALE
  // (detail) when the key now holds other bytes than the open handles read:
  // the inode is detached and the caller's path lookup is to be retried.
  Result<FileEditor*> EditorLocked(Inode& in, bool opening, std::unique_ptr<FileEditor>* temp);
  // Commits what fn changed unless a writable handle will (at its close).
  Status FinishEdit(Inode& in, std::unique_ptr<FileEditor>* temp);
  Status WithEditor(Inode& in, const std::function<Status(FileEditor*)>& fn);
  // With in.mu held: whether the key's current version `now` holds other
  // bytes than the inode's open handles read; if so detaches the inode.
  bool DetachIfReplaced(Inode& in, const ObjectInfo& now);
  // Sets up a handle of `in` at `path` for `flags`: 0 or an errno (ESTALE
  // after detaching a replaced inode). `created`: the working copy of a file
  // just created (used when writable). Fills *attr with the file's attributes.
  // *outside: the version opened is not the one the inode last had (see
  // RefreshKernelAttrs).
  int OpenHandle(const std::shared_ptr<Inode>& in, const std::string& path, int flags,
                 std::unique_ptr<FileEditor> created, std::unique_ptr<Handle>* out,
                 bool* keep_cache, struct stat* attr, bool* outside);
  void RefreshKernelAttrs(fuse_ino_t ino, bool outside);
  void Detach(Inode& in);
  // Creates the empty object `path` (a new file or special file) and its
  // inode, counting one lookup; returns them with the file's working copy.
  Result<std::pair<std::shared_ptr<Inode>, std::unique_ptr<FileEditor>>> CreateEmpty(
      fuse_req_t req, const std::string& path, mode_t mode, dev_t rdev);
  Status EnsureDirKept(const std::string& dir_path);
  Status CommitUnder(const std::string& path, bool subtree);
  Result<std::map<std::string, std::string>> Xattrs(Inode& in);
  Status EditAttrs(Inode& in, const std::function<Status(ObjectAttrs*)>& fn);

  // A change this mount made: the follower leaves the kernel's view of it.
  void RememberOwn(uint64_t seq);
  void Follow();
  void Invalidate(const std::vector<Change>& changes);

  std::unique_ptr<Engine> engine_;
  MountOptions opt_;
  fuse_session* se_ = nullptr;
  uint32_t uid_, gid_;
  int64_t start_ns_;

  std::mutex mu_;
  std::unordered_map<fuse_ino_t, std::shared_ptr<Inode>> inodes_;  // guarded by mu_
  std::unordered_map<std::string, fuse_ino_t> by_path_;            // guarded by mu_
  // Paths whose inode number is not their hash (see inodes.cc).
  std::unordered_map<std::string, fuse_ino_t> renumbered_;  // guarded by mu_
  // Every name that is one of several hard links of a file.
  std::unordered_map<std::string, std::shared_ptr<LinkGroup>> links_;  // guarded by mu_
  std::set<uint64_t> own_seqs_;                                        // guarded by mu_

  std::mutex follow_mu_;
  std::condition_variable follow_cv_;
  bool stop_ = false;
  std::thread follower_;
  std::atomic<uint64_t> seen_seq_{0};
};

}  // namespace seglake::mount
