#include "fs.h"

#include <fcntl.h>
#include <linux/falloc.h>
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

#include "names.h"

namespace seglake::mount {
namespace {

constexpr fuse_ino_t kRoot = FUSE_ROOT_ID;
constexpr uint32_t kListPage = 1000;
constexpr int64_t kBlockSize = 128 << 10;

struct BucketKey {
  std::string bucket, key;
};

BucketKey Split(const std::string& path) {
  size_t slash = path.find('/');
  if (slash == std::string::npos) return {path, ""};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

std::string ParentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

int Errno(const Status& s) {
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

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

timespec ToTs(int64_t ns) {
  timespec t;
  t.tv_sec = ns / 1'000'000'000;
  t.tv_nsec = ns % 1'000'000'000;
  return t;
}

int64_t FromTs(const timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

// The file type a version's attributes give (a regular file by default).
mode_t FileType(const PosixAttrs& p) {
  if (p.mode) {
    mode_t t = *p.mode & S_IFMT;
    if (t == S_IFLNK || t == S_IFIFO || t == S_IFCHR || t == S_IFBLK || t == S_IFSOCK) return t;
    if (t == 0 && p.symlink_target) return S_IFLNK;
    return S_IFREG;
  }
  return p.symlink_target ? S_IFLNK : S_IFREG;
}

// Attributes a new file, directory marker or symlink starts with.
ObjectAttrs NewAttrs(fuse_req_t req, mode_t mode) {
  const fuse_ctx* ctx = fuse_req_ctx(req);
  ObjectAttrs a;
  a.posix.mode = mode;
  a.posix.uid = ctx->uid;
  a.posix.gid = ctx->gid;
  a.posix.mtime_ns = NowNs();
  return a;
}

void Log(const char* what, const std::string& path, const Status& s) {
  std::fprintf(stderr, "seglake-mount: %s %s: %s\n", what, path.c_str(), s.ToString().c_str());
}

}  // namespace

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

Fs::Fs(std::unique_ptr<Engine> engine, MountOptions opts)
    : engine_(std::move(engine)),
      opt_(std::move(opts)),
      uid_(getuid()),
      gid_(getgid()),
      start_ns_(NowNs()) {
  auto root = std::make_shared<Inode>();
  root->ino = kRoot;
  root->dir = true;
  root->nlookup = 1;
  inodes_[kRoot] = root;
  by_path_[""] = kRoot;
  auto seq = engine_->LastSeq();
  seen_seq_ = seq ? *seq : 0;
}

Fs::~Fs() { StopFollower(); }

// ---- inodes ----

std::shared_ptr<Inode> Fs::Get(fuse_ino_t ino) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = inodes_.find(ino);
  return it == inodes_.end() ? nullptr : it->second;
}

std::shared_ptr<Inode> Fs::Intern(const std::string& path, bool dir, bool lookup) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = by_path_.find(path);
  std::shared_ptr<Inode> in;
  if (it != by_path_.end()) {
    in = inodes_[it->second];
    if (in->dir != dir && in->opens == 0) {
      // The name now holds the other kind: a new inode for it.
      by_path_.erase(it);
      in = nullptr;
    } else {
      in->dir = dir;
    }
  }
  if (!in) {
    in = std::make_shared<Inode>();
    in->ino = next_ino_++;
    in->path = path;
    in->dir = dir;
    inodes_[in->ino] = in;
    by_path_[path] = in->ino;
  }
  if (lookup) ++in->nlookup;
  return in;
}

void Fs::Forget(fuse_ino_t ino, uint64_t n) {
  if (ino == kRoot) return;
  std::lock_guard<std::mutex> l(mu_);
  auto it = inodes_.find(ino);
  if (it == inodes_.end()) return;
  Inode& in = *it->second;
  in.nlookup = n >= in.nlookup ? 0 : in.nlookup - n;
  if (in.nlookup == 0 && in.opens == 0) {
    auto p = by_path_.find(in.path);
    if (p != by_path_.end() && p->second == ino) by_path_.erase(p);
    inodes_.erase(it);
  }
}

void Fs::Rekey(const std::string& from, const std::string& to, bool subtree) {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::pair<std::string, fuse_ino_t>> moved;
  for (auto it = by_path_.begin(); it != by_path_.end();) {
    const std::string& p = it->first;
    bool match = p == from || (subtree && p.size() > from.size() &&
                               p.compare(0, from.size(), from) == 0 && p[from.size()] == '/');
    if (match) {
      moved.emplace_back(to + p.substr(from.size()), it->second);
      it = by_path_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [p, ino] : moved) {
    inodes_[ino]->path = p;
    by_path_[p] = ino;
  }
}

void Fs::Drop(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = by_path_.find(path);
  if (it == by_path_.end()) return;
  inodes_[it->second]->unlinked = true;
  by_path_.erase(it);
}

// ---- resolving names ----

Result<Fs::Node> Fs::Resolve(const std::string& path) {
  Node n;
  if (path.empty()) {
    n.exists = n.dir = true;
    return n;
  }
  auto [bucket, key] = Split(path);
  if (key.empty()) {
    auto b = engine_->GetBucket(bucket);
    if (!b) {
      if (b.error().code() == Status::Code::kNotFound) return n;
      return Err(b.error());
    }
    n.exists = n.dir = true;
    n.info.last_modified_ns = b->created_ns;
    return n;
  }
  // A directory wins over a file of the same name.
  ListOptions lo;
  lo.prefix = key + "/";
  lo.max_keys = 1;
  lo.with_attrs = true;
  auto l = engine_->List(bucket, lo);
  if (!l) {
    if (l.error().code() == Status::Code::kNotFound) return n;
    return Err(l.error());
  }
  if (!l->objects.empty()) {
    n.exists = n.dir = true;
    if (l->objects[0].key == lo.prefix) {
      n.has_marker = true;
      n.info = l->objects[0];
    }
    return n;
  }
  auto h = engine_->Head(bucket, key);
  if (!h) {
    if (h.error().code() == Status::Code::kNotFound) return n;
    return Err(h.error());
  }
  n.exists = true;
  n.info = std::move(*h);
  return n;
}

Status Fs::ChildPath(fuse_ino_t parent, const char* name, std::string* path, bool for_create) {
  auto p = Get(parent);
  if (!p) return Status::NotFound("parent");
  if (!p->dir) return Status::InvalidArgument("not a directory").WithDetail("ENOTDIR");
  std::string_view n(name);
  if (n.size() > 255) return Status::InvalidArgument("name too long").WithDetail("ENAMETOOLONG");
  if (!ShowableComponent(n)) {
    return for_create ? Status::InvalidArgument("name") : Status::NotFound("name");
  }
  std::lock_guard<std::mutex> l(mu_);
  *path = p->path.empty() ? std::string(n) : p->path + "/" + std::string(n);
  return Status::OK();
}

namespace {
// Opening an inode whose key is gone: the kernel's entry is stale (a
// listing's entry that arrived after an unlink, say). ESTALE makes the
// kernel look the name up again (and create it, with O_CREAT).
int OpenErrno(const Status& s) { return s.IsNotFound() ? ESTALE : Errno(s); }

// The errno of a ChildPath failure (details carry ENOTDIR/ENAMETOOLONG).
int PathErrno(const Status& s) {
  if (s.detail() == "ENOTDIR") return ENOTDIR;
  if (s.detail() == "ENAMETOOLONG") return ENAMETOOLONG;
  return Errno(s);
}
}  // namespace

void Fs::DirChanged(fuse_ino_t dir, bool content) {
  auto in = Get(dir);
  if (!in) return;
  int64_t now = NowNs();
  if (content) in->dir_mtime_ns = now;
  in->dir_ctime_ns = now;
}

struct stat Fs::DirAttr(const Inode& in, const ObjectInfo* marker) const {
  struct stat st {};
  st.st_ino = in.ino;
  st.st_mode = S_IFDIR | 0755;
  st.st_nlink = 1;
  st.st_uid = uid_;
  st.st_gid = gid_;
  int64_t mt = start_ns_;
  if (marker) {
    const PosixAttrs& p = marker->attrs.posix;
    if (p.mode) st.st_mode = S_IFDIR | (*p.mode & 07777);
    if (p.uid) st.st_uid = *p.uid;
    if (p.gid) st.st_gid = *p.gid;
    mt = p.mtime_ns ? *p.mtime_ns : static_cast<int64_t>(marker->last_modified_ns);
    if (mt == 0) mt = start_ns_;
  }
  mt = std::max<int64_t>(mt, in.dir_mtime_ns);
  st.st_mtim = st.st_atim = ToTs(mt);
  st.st_ctim = ToTs(std::max<int64_t>(mt, in.dir_ctime_ns));
  if (marker && marker->attrs.posix.atime_ns) st.st_atim = ToTs(*marker->attrs.posix.atime_ns);
  st.st_blksize = kBlockSize;
  return st;
}

struct stat Fs::Attr(const Inode& in, const Node& n) const {
  if (n.dir)
    return DirAttr(in, n.has_marker || in.path.find('/') == std::string::npos ? &n.info : nullptr);
  struct stat st {};
  const PosixAttrs& p = n.info.attrs.posix;
  st.st_ino = in.ino;
  mode_t type = FileType(p);
  st.st_mode = type | (p.mode ? (*p.mode & 07777) : type == S_IFLNK ? 0777 : 0644);
  st.st_nlink = in.unlinked ? 0 : 1;
  if (type == S_IFCHR || type == S_IFBLK) {
    auto r = n.info.attrs.user_meta.find(kRdevMeta);
    if (r != n.info.attrs.user_meta.end())
      st.st_rdev = static_cast<dev_t>(std::strtoull(r->second.c_str(), nullptr, 10));
  }
  st.st_uid = p.uid ? *p.uid : uid_;
  st.st_gid = p.gid ? *p.gid : gid_;
  st.st_size = static_cast<off_t>(n.info.size);
  // Blocks hold data only: holes take none (a sparse file is small in du).
  st.st_blocks = static_cast<blkcnt_t>((std::min(n.info.allocated, n.info.size) + 511) / 512);
  st.st_blksize = kBlockSize;
  int64_t lm = static_cast<int64_t>(n.info.last_modified_ns);
  if (lm == 0) lm = NowNs();
  int64_t mt = p.mtime_ns ? *p.mtime_ns : lm;
  st.st_mtim = ToTs(mt);
  st.st_atim = ToTs(p.atime_ns ? *p.atime_ns : mt);
  st.st_ctim = ToTs(std::max(lm, mt));
  return st;
}

namespace {
// What a working copy shows as attributes (in.mu held). Its allocated bytes
// are estimated until it is committed: the base's plus what was written
// since, at most the size.
ObjectInfo CopyInfo(const Inode& in, const FileEditor& ed) {
  ObjectInfo info = ed.base();
  info.size = ed.size();
  info.attrs = ed.attrs();
  if (in.write_mtime_ns) info.attrs.posix.mtime_ns = in.write_mtime_ns;
  info.allocated = std::min(info.size, info.allocated + ed.unsaved_bytes());
  return info;
}
}  // namespace

void Fs::ReplyEntry(fuse_req_t req, const std::string& path, const Node& n) {
  auto in = Intern(path, n.dir, true);
  Node cur = n;
  if (!n.dir) {
    std::lock_guard<std::mutex> l(in->mu);
    if (in->editor) {
      cur.info = CopyInfo(*in, *in->editor);
    }
  }
  fuse_entry_param e{};
  e.ino = in->ino;
  e.generation = 1;
  e.attr = Attr(*in, cur);
  e.attr_timeout = opt_.attr_timeout;
  e.entry_timeout = opt_.entry_timeout;
  fuse_reply_entry(req, &e);
}

void Fs::RememberOwn(uint64_t seq) {
  if (seq == 0) return;
  std::lock_guard<std::mutex> l(mu_);
  own_seqs_.insert(seq);
}

// ---- working copies ----

namespace {
Status Stale(const std::string& path) {
  return Status::NotFound(path + " was replaced").WithDetail("ESTALE");
}
}  // namespace

Status Fs::CommitLocked(Inode& in) {
  if (!in.editor || !in.editor->dirty()) return Status::OK();
  std::string path;
  bool unlinked;
  {
    std::lock_guard<std::mutex> l(mu_);
    path = in.path;
    unlinked = in.unlinked;
  }
  if (unlinked) return Status::OK();  // nothing can reach these bytes any more
  // Replaced from outside while only read: the key holds someone else's
  // bytes now, which a change made through an old handle must not undo.
  if (in.detached) return Stale(path);
  if (in.write_mtime_ns) {
    ObjectAttrs a = in.editor->attrs();
    a.posix.mtime_ns = in.write_mtime_ns;
    in.editor->SetAttrs(a);
    in.write_mtime_ns = 0;
  }
  auto [bucket, key] = Split(path);
  auto r = in.editor->Commit(bucket, key);
  if (!r) {
    Log("commit", path, r.error());
    return r.error();
  }
  std::lock_guard<std::mutex> l(mu_);
  own_seqs_.insert(r->seq);
  return Status::OK();
}

void Fs::Detach(Inode& in) {
  std::lock_guard<std::mutex> l(mu_);
  auto me = by_path_.find(in.path);
  if (me != by_path_.end() && me->second == in.ino) by_path_.erase(me);
  in.detached = true;
}

bool Fs::DetachIfReplaced(Inode& in, const ObjectInfo& now) {
  if (in.writers > 0) return false;  // the copy being written wins at its commit
  const ObjectInfo* mine = in.editor ? &in.editor->base() : in.has_last ? &in.last : nullptr;
  if (!mine || (mine->etag == now.etag && mine->size == now.size)) return false;
  Detach(in);
  return true;
}

Result<FileEditor*> Fs::EditorLocked(Inode& in, bool opening, std::unique_ptr<FileEditor>* temp) {
  if (in.editor) return in.editor.get();
  // An unlinked or replaced file without a working copy has only the
  // version its handles read; the name leads elsewhere now.
  if (in.unlinked) return Err(Status::NotFound("unlinked"));
  if (in.detached) return Err(Stale("file"));
  std::string path;
  {
    std::lock_guard<std::mutex> g(mu_);
    path = in.path;
  }
  auto [bucket, key] = Split(path);
  auto ed = engine_->BeginEdit(bucket, key, false);
  if (!ed) return Err(ed.error());
  if (in.handles == 0 && !opening) {
    *temp = std::move(*ed);
    return temp->get();
  }
  if (in.handles > 0 && DetachIfReplaced(in, (*ed)->base())) return Err(Stale(path));
  in.editor = std::move(*ed);
  return in.editor.get();
}

Status Fs::FinishEdit(Inode& in, std::unique_ptr<FileEditor>* temp) {
  if (!*temp) return in.writers == 0 ? CommitLocked(in) : Status::OK();
  if (!(*temp)->dirty()) return Status::OK();
  std::string path;
  {
    std::lock_guard<std::mutex> g(mu_);
    path = in.path;
  }
  auto [bucket, key] = Split(path);
  auto r = (*temp)->Commit(bucket, key);
  temp->reset();
  if (!r) return r.error();
  in.last = *r;
  in.has_last = true;
  std::lock_guard<std::mutex> g(mu_);
  own_seqs_.insert(r->seq);
  return Status::OK();
}

// Runs fn on the file's working copy (see EditorLocked) and commits the
// change unless a writable handle is open (its close commits).
Status Fs::WithEditor(Inode& in, const std::function<Status(FileEditor*)>& fn) {
  std::lock_guard<std::mutex> l(in.mu);
  std::unique_ptr<FileEditor> temp;
  auto ed = EditorLocked(in, false, &temp);
  if (!ed) return ed.error();
  SEGLAKE_RETURN_IF_ERROR(fn(*ed));
  return FinishEdit(in, &temp);
}

Status Fs::EnsureDirKept(const std::string& dir_path) {
  auto [bucket, key] = Split(dir_path);
  if (key.empty()) return Status::OK();
  ListOptions lo;
  lo.prefix = key + "/";
  lo.max_keys = 1;
  auto l = engine_->List(bucket, lo);
  if (!l) return l.error();
  if (!l->objects.empty()) return Status::OK();
  PutOptions po;
  po.attrs.posix.mode = S_IFDIR | 0755;
  po.attrs.posix.mtime_ns = NowNs();
  po.conditions.if_none_match_any = true;
  auto r = engine_->Put(bucket, key + "/", "", po);
  if (!r && r.error().code() != Status::Code::kPreconditionFailed) return r.error();
  return Status::OK();
}

Status Fs::CommitUnder(const std::string& path, bool subtree) {
  std::vector<std::shared_ptr<Inode>> found;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& [p, ino] : by_path_) {
      bool match = p == path || (subtree && p.size() > path.size() &&
                                 p.compare(0, path.size(), path) == 0 && p[path.size()] == '/');
      if (match) found.push_back(inodes_[ino]);
    }
  }
  for (auto& in : found) {
    std::lock_guard<std::mutex> l(in->mu);
    SEGLAKE_RETURN_IF_ERROR(CommitLocked(*in));
  }
  return Status::OK();
}

void Fs::FlushAll() {
  std::vector<std::shared_ptr<Inode>> all;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& [ino, in] : inodes_) all.push_back(in);
  }
  for (auto& in : all) {
    std::lock_guard<std::mutex> l(in->mu);
    (void)CommitLocked(*in);
  }
}

// ---- operations ----

void Fs::Init(fuse_conn_info* conn) {
  conn->max_write = 1 << 20;
  if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
  if (conn->capable & FUSE_CAP_EXPORT_SUPPORT) conn->want &= ~FUSE_CAP_EXPORT_SUPPORT;
  if (opt_.writeback_cache && (conn->capable & FUSE_CAP_WRITEBACK_CACHE))
    conn->want |= FUSE_CAP_WRITEBACK_CACHE;
  else
    conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  // Locks are the kernel's, local to this mount (SEMANTICS.md).
  conn->want &= ~(FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS);
}

void Fs::Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  std::string path;
  Status s = ChildPath(parent, name, &path, false);
  if (!s.ok()) {
    fuse_reply_err(req, PathErrno(s));
    return;
  }
  auto n = Resolve(path);
  if (!n) {
    fuse_reply_err(req, Errno(n.error()));
    return;
  }
  if (!n->exists) {
    fuse_entry_param e{};
    e.ino = 0;  // a negative entry, cached until the follower invalidates it
    e.entry_timeout = opt_.negative_timeout;
    fuse_reply_entry(req, &e);
    return;
  }
  ReplyEntry(req, path, *n);
}

Status Fs::ReplyAttrFor(fuse_req_t req, const std::shared_ptr<Inode>& in) {
  Node n;
  {
    std::lock_guard<std::mutex> l(in->mu);
    if (in->editor) {
      n.exists = true;
      n.info = CopyInfo(*in, *in->editor);
      struct stat st = Attr(*in, n);
      fuse_reply_attr(req, &st, opt_.attr_timeout);
      return Status::OK();
    }
  }
  std::string path;
  bool unlinked;
  {
    std::lock_guard<std::mutex> l(mu_);
    path = in->path;
    unlinked = in->unlinked;
  }
  if (in->ino == kRoot) {
    struct stat st = DirAttr(*in, nullptr);
    fuse_reply_attr(req, &st, opt_.attr_timeout);
    return Status::OK();
  }
  if (unlinked || in->detached) {
    // Still open somewhere: the version it has open.
    std::lock_guard<std::mutex> l(in->mu);
    if (!in->has_last) return Status::NotFound(path);
    Node kept;
    kept.exists = true;
    kept.info = in->last;
    struct stat st = Attr(*in, kept);
    fuse_reply_attr(req, &st, opt_.attr_timeout);
    return Status::OK();
  }
  auto r = Resolve(path);
  if (!r) return r.error();
  if (!r->exists || r->dir != in->dir) return Status::NotFound(path);
  struct stat st = Attr(*in, *r);
  fuse_reply_attr(req, &st, opt_.attr_timeout);
  return Status::OK();
}

void Fs::GetAttr(fuse_req_t req, fuse_ino_t ino) {
  auto in = Get(ino);
  if (!in) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  Status s = ReplyAttrFor(req, in);
  if (!s.ok()) fuse_reply_err(req, Errno(s));
}

namespace {
void ApplyAttrs(const struct stat* attr, int to_set, ObjectAttrs* a, mode_t type) {
  PosixAttrs& p = a->posix;
  if (to_set & FUSE_SET_ATTR_MODE) p.mode = type | (attr->st_mode & 07777);
  if (to_set & FUSE_SET_ATTR_UID) p.uid = attr->st_uid;
  if (to_set & FUSE_SET_ATTR_GID) p.gid = attr->st_gid;
  if (to_set & FUSE_SET_ATTR_MTIME_NOW)
    p.mtime_ns = NowNs();
  else if (to_set & FUSE_SET_ATTR_MTIME)
    p.mtime_ns = FromTs(attr->st_mtim);
  if (to_set & FUSE_SET_ATTR_ATIME_NOW)
    p.atime_ns = NowNs();
  else if (to_set & FUSE_SET_ATTR_ATIME)
    p.atime_ns = FromTs(attr->st_atim);
}

constexpr int kAttrBits = FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID |
                          FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_ATIME |
                          FUSE_SET_ATTR_ATIME_NOW;
}  // namespace

void Fs::SetAttr(fuse_req_t req, fuse_ino_t ino, const struct stat* attr, int to_set) {
  auto in = Get(ino);
  if (!in) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  std::string path;
  {
    std::lock_guard<std::mutex> l(mu_);
    path = in->path;
  }
  if (in->dir) {
    if (to_set & FUSE_SET_ATTR_SIZE) {
      fuse_reply_err(req, EISDIR);
      return;
    }
    auto [bucket, key] = Split(path);
    if (!key.empty() && (to_set & kAttrBits)) {
      // A directory's attributes live on its marker, written if missing.
      auto h = engine_->Head(bucket, key + "/");
      PutOptions po;
      if (h) {
        po.attrs = h->attrs;
      } else {
        po.attrs.posix.mode = S_IFDIR | 0755;
      }
      ApplyAttrs(attr, to_set, &po.attrs, S_IFDIR);
      auto r = engine_->Put(bucket, key + "/", "", po);
      if (!r) {
        fuse_reply_err(req, Errno(r.error()));
        return;
      }
      // An explicit mtime (touch, tar) wins over the last change's.
      if (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW)) in->dir_mtime_ns = 0;
      DirChanged(ino, false);
    }
    // The root and the buckets have no attributes to keep: changes are ignored.
    Status s = ReplyAttrFor(req, in);
    if (!s.ok()) fuse_reply_err(req, Errno(s));
    return;
  }
  Inode& ino_ref = *in;
  Status s = WithEditor(*in, [&](FileEditor* ed) -> Status {
    if (to_set & FUSE_SET_ATTR_SIZE) {
      SEGLAKE_RETURN_IF_ERROR(ed->Truncate(static_cast<uint64_t>(attr->st_size)));
      if (!(to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW))) {
        ObjectAttrs a = ed->attrs();
        a.posix.mtime_ns = NowNs();
        ed->SetAttrs(a);
      }
    }
    if (to_set & kAttrBits) {
      ObjectAttrs a = ed->attrs();
      ApplyAttrs(attr, to_set, &a, FileType(a.posix));
      ed->SetAttrs(a);
    }
    // An explicit time wins over the last write's (in.mu is held here).
    if (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW)) ino_ref.write_mtime_ns = 0;
    return Status::OK();
  });
  if (!s.ok()) {
    fuse_reply_err(req, Errno(s));
    return;
  }
  s = ReplyAttrFor(req, in);
  if (!s.ok()) fuse_reply_err(req, Errno(s));
}

void Fs::ReadLink(fuse_req_t req, fuse_ino_t ino) {
  auto in = Get(ino);
  if (!in) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  std::string path;
  {
    std::lock_guard<std::mutex> l(mu_);
    path = in->path;
  }
  auto n = Resolve(path);
  if (!n || !n->exists || n->dir) {
    fuse_reply_err(req, n ? EINVAL : Errno(n.error()));
    return;
  }
  if (n->info.attrs.posix.symlink_target) {
    fuse_reply_readlink(req, n->info.attrs.posix.symlink_target->c_str());
    return;
  }
  auto [bucket, key] = Split(path);
  auto body = engine_->ReadAll(bucket, key);
  if (!body) {
    fuse_reply_err(req, Errno(body.error()));
    return;
  }
  fuse_reply_readlink(req, body->c_str());
}

int Fs::FreeName(fuse_ino_t parent, const char* name, std::string* path) {
  Status s = ChildPath(parent, name, path, true);
  if (!s.ok()) return PathErrno(s);
  auto cur = Resolve(*path);
  if (!cur) return Errno(cur.error());
  return cur->exists ? EEXIST : 0;
}

void Fs::MkDir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  if (parent == kRoot) {
    if (std::strlen(name) > 255) {
      fuse_reply_err(req, ENAMETOOLONG);
      return;
    }
    if (!ValidBucketName(name)) {
      fuse_reply_err(req, EINVAL);
      return;
    }
    Status s = engine_->CreateBucket(name, "us-east-1");
    if (!s.ok()) {
      fuse_reply_err(req, Errno(s));
      return;
    }
    Node n;
    n.exists = n.dir = true;
    n.info.last_modified_ns = static_cast<uint64_t>(NowNs());
    DirChanged(parent);
    ReplyEntry(req, name, n);
    return;
  }
  std::string path;
  if (int err = FreeName(parent, name, &path); err != 0) {
    fuse_reply_err(req, err);
    return;
  }
  auto [bucket, key] = Split(path);
  PutOptions po;
  po.attrs = NewAttrs(req, S_IFDIR | (mode & 07777));
  po.conditions.if_none_match_any = true;
  auto r = engine_->Put(bucket, key + "/", "", po);
  if (!r) {
    fuse_reply_err(req, Errno(r.error()));
    return;
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    own_seqs_.insert(r->seq);
  }
  Node n;
  n.exists = n.dir = n.has_marker = true;
  n.info = *r;
  DirChanged(parent);
  ReplyEntry(req, path, n);
}

void Fs::MkNod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  mode_t type = mode & S_IFMT;
  if (type == 0) type = S_IFREG;
  if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK && type != S_IFCHR &&
      type != S_IFBLK) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  std::string path;
  if (int err = parent == kRoot ? EPERM : FreeName(parent, name, &path); err != 0) {
    fuse_reply_err(req, err);
    return;
  }
  // Special files are empty objects whose mode carries the type (and
  // x-amz-meta-rdev a device number), as s3fs stores them.
  bool dev = type == S_IFCHR || type == S_IFBLK;
  auto made = CreateEmpty(req, path, type | (mode & 07777), dev ? rdev : 0);
  if (!made) {
    fuse_reply_err(req, Errno(made.error()));
    return;
  }
  Node n;
  n.exists = true;
  {
    std::lock_guard<std::mutex> l(made->first->mu);
    n.info = made->first->last;
  }
  fuse_entry_param e{};
  e.ino = made->first->ino;
  e.generation = 1;
  e.attr = Attr(*made->first, n);
  e.attr_timeout = opt_.attr_timeout;
  e.entry_timeout = opt_.entry_timeout;
  DirChanged(parent);
  fuse_reply_entry(req, &e);
}

void Fs::Unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  std::string path;
  Status s = ChildPath(parent, name, &path, false);
  if (!s.ok() || parent == kRoot) {
    fuse_reply_err(req, parent == kRoot ? EPERM : PathErrno(s));
    return;
  }
  auto n = Resolve(path);
  if (!n) {
    fuse_reply_err(req, Errno(n.error()));
    return;
  }
  if (!n->exists) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  if (n->dir) {
    fuse_reply_err(req, EISDIR);
    return;
  }
  auto [bucket, key] = Split(path);
  auto d = engine_->Delete(bucket, key);
  if (!d) {
    fuse_reply_err(req, Errno(d.error()));
    return;
  }
  RememberOwn(d->seq);
  Drop(path);
  s = EnsureDirKept(ParentOf(path));
  if (!s.ok()) Log("keep directory", ParentOf(path), s);
  DirChanged(parent);
  fuse_reply_err(req, 0);
}

void Fs::RmDir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (parent == kRoot) {
    Status s = engine_->DeleteBucket(name);
    if (s.ok()) {
      Drop(name);
      DirChanged(parent);
    }
    fuse_reply_err(req, Errno(s));
    return;
  }
  std::string path;
  Status s = ChildPath(parent, name, &path, false);
  if (!s.ok()) {
    fuse_reply_err(req, PathErrno(s));
    return;
  }
  auto n = Resolve(path);
  if (!n) {
    fuse_reply_err(req, Errno(n.error()));
    return;
  }
  if (!n->exists) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  if (!n->dir) {
    fuse_reply_err(req, ENOTDIR);
    return;
  }
  auto [bucket, key] = Split(path);
  ListOptions lo;
  lo.prefix = key + "/";
  lo.max_keys = 2;
  auto l = engine_->List(bucket, lo);
  if (!l) {
    fuse_reply_err(req, Errno(l.error()));
    return;
  }
  for (const ObjectInfo& o : l->objects) {
    if (o.key != lo.prefix) {
      fuse_reply_err(req, ENOTEMPTY);
      return;
    }
  }
  if (n->has_marker) {
    auto d = engine_->Delete(bucket, lo.prefix);
    if (!d) {
      fuse_reply_err(req, Errno(d.error()));
      return;
    }
    RememberOwn(d->seq);
  }
  Drop(path);
  s = EnsureDirKept(ParentOf(path));
  if (!s.ok()) Log("keep directory", ParentOf(path), s);
  DirChanged(parent);
  fuse_reply_err(req, 0);
}

void Fs::Symlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) {
  std::string path;
  if (int err = parent == kRoot ? EPERM : FreeName(parent, name, &path); err != 0) {
    fuse_reply_err(req, err);
    return;
  }
  auto [bucket, key] = Split(path);
  PutOptions po;
  po.attrs = NewAttrs(req, S_IFLNK | 0777);
  po.attrs.posix.symlink_target = link;
  po.conditions.if_none_match_any = true;
  auto r = engine_->Put(bucket, key, link, po);
  if (!r) {
    fuse_reply_err(req, Errno(r.error()));
    return;
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    own_seqs_.insert(r->seq);
  }
  Node n;
  n.exists = true;
  n.info = *r;
  DirChanged(parent);
  ReplyEntry(req, path, n);
}

void Fs::Link(fuse_req_t req) { fuse_reply_err(req, EPERM); }

void Fs::Rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
                const char* newname, unsigned flags) {
  if (flags & ~static_cast<unsigned>(RENAME_NOREPLACE | RENAME_EXCHANGE)) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  if (parent == kRoot || newparent == kRoot) {
    fuse_reply_err(req, EPERM);  // buckets are not renamed
    return;
  }
  std::string src, dst;
  Status s = ChildPath(parent, name, &src, false);
  if (s.ok()) s = ChildPath(newparent, newname, &dst, true);
  if (!s.ok()) {
    fuse_reply_err(req, PathErrno(s));
    return;
  }
  auto [bucket, ks] = Split(src);
  auto [dbucket, kd] = Split(dst);
  if (bucket != dbucket) {
    fuse_reply_err(req, EXDEV);
    return;
  }
  auto sn = Resolve(src);
  auto dn = sn ? Resolve(dst) : Result<Node>(Err(sn.error()));
  if (!dn) {
    fuse_reply_err(req, Errno(dn.error()));
    return;
  }
  if (!sn->exists) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  if (src == dst) {
    fuse_reply_err(req, 0);
    return;
  }
  if (flags & RENAME_EXCHANGE) {
    if (!dn->exists) {
      fuse_reply_err(req, ENOENT);
      return;
    }
    s = CommitUnder(src, sn->dir);
    if (s.ok()) s = CommitUnder(dst, dn->dir);
    uint64_t seq = 0;
    if (s.ok()) s = engine_->Exchange(bucket, ks, sn->dir, kd, dn->dir, &seq);
    RememberOwn(seq);
    if (!s.ok()) {
      fuse_reply_err(req, Errno(s));
      return;
    }
    const std::string tmp = std::string("\x01") + "exchange";
    Rekey(src, tmp, sn->dir);
    Rekey(dst, src, dn->dir);
    Rekey(tmp, dst, sn->dir);
    DirChanged(parent);
    DirChanged(newparent);
    fuse_reply_err(req, 0);
    return;
  }
  if (dn->exists) {
    if (flags & RENAME_NOREPLACE) {
      fuse_reply_err(req, EEXIST);
      return;
    }
    if (sn->dir && !dn->dir) {
      fuse_reply_err(req, ENOTDIR);
      return;
    }
    if (!sn->dir && dn->dir) {
      fuse_reply_err(req, EISDIR);
      return;
    }
    if (dn->dir) {
      ListOptions lo;
      lo.prefix = kd + "/";
      lo.max_keys = 2;
      auto l = engine_->List(bucket, lo);
      if (!l) {
        fuse_reply_err(req, Errno(l.error()));
        return;
      }
      for (const ObjectInfo& o : l->objects)
        if (o.key != lo.prefix) {
          fuse_reply_err(req, ENOTEMPTY);
          return;
        }
    }
  }
  s = CommitUnder(src, sn->dir);
  if (s.ok()) {
    uint64_t seq = 0;
    s = sn->dir ? engine_->Rename(bucket, ks + "/", kd + "/", true, true, &seq)
                : engine_->Rename(bucket, ks, kd, false, !(flags & RENAME_NOREPLACE), &seq);
    RememberOwn(seq);
  }
  if (!s.ok()) {
    fuse_reply_err(req, Errno(s));
    return;
  }
  if (dn->exists) Drop(dst);
  Rekey(src, dst, sn->dir);
  s = EnsureDirKept(ParentOf(src));
  if (!s.ok()) Log("keep directory", ParentOf(src), s);
  DirChanged(parent);
  DirChanged(newparent);
  fuse_reply_err(req, 0);
}

int Fs::OpenHandle(const std::shared_ptr<Inode>& in, const std::string& path, int flags,
                   std::unique_ptr<FileEditor> created, std::unique_ptr<Handle>* out,
                   bool* keep_cache, struct stat* attr, bool* outside) {
  auto h = std::make_unique<Handle>();
  h->in = in;
  h->writable = (flags & O_ACCMODE) != O_RDONLY;
  const bool trunc = (flags & O_TRUNC) != 0;
  auto [bucket, key] = Split(path);
  std::lock_guard<std::mutex> l(in->mu);
  // Replaced while open: the name has another inode now, which the kernel
  // finds when it looks the name up again on ESTALE.
  if (in->detached) return ESTALE;
  if (created && h->writable && !in->editor && in->handles == 0) in->editor = std::move(created);
  // Whether the version opened is not the one this inode last had: changed
  // outside, and not yet seen by the follower.
  *outside = false;
  auto differs = [&](const ObjectInfo& now) {
    return in->has_last && (now.etag != in->last.etag || now.size != in->last.size);
  };
  Node n;
  n.exists = true;
  if (h->writable || trunc || in->editor) {
    if (in->editor && in->handles > 0 && in->writers == 0) {
      // A copy kept for readers: a new open sees a change made outside.
      auto now = engine_->Head(bucket, key);
      if (!now) return OpenErrno(now.error());
      if (DetachIfReplaced(*in, *now)) return ESTALE;
    }
    std::unique_ptr<FileEditor> temp;
    const bool made = !in->editor;
    auto ed = EditorLocked(*in, true, &temp);
    if (!ed) return ed.error().detail() == "ESTALE" ? ESTALE : OpenErrno(ed.error());
    if (made) *outside = differs((*ed)->base());
    if (trunc) {
      // O_TRUNC truncates whatever the access mode, as on a local file.
      Status s = (*ed)->Truncate(0);
      if (!s.ok()) return Errno(s);
      in->write_mtime_ns = NowNs();
      if (!h->writable && in->writers == 0) {
        s = CommitLocked(*in);
        if (!s.ok()) return Errno(s);
      }
    }
    if (h->writable) ++in->writers;
    *keep_cache = false;
    n.info = CopyInfo(*in, **ed);
  } else {
    auto r = engine_->OpenRead(bucket, key);
    if (!r) return OpenErrno(r.error());
    // Every handle reads one version: a key changed outside since the open
    // handles' version makes a new inode for the new open.
    if (in->handles > 0 && DetachIfReplaced(*in, (*r)->info())) return ESTALE;
    h->reader = std::move(*r);
    const ObjectInfo& info = h->reader->info();
    *outside = differs(info);
    std::string v = info.version_id + info.etag;
    *keep_cache = v == in->opened_version;
    in->opened_version = v;
    in->last = info;
    in->has_last = true;
    n.info = info;
  }
  ++in->handles;
  *attr = Attr(*in, n);
  *out = std::move(h);
  return 0;
}

// The kernel may hold the attributes (the size) of the version this inode
// had before a change made outside that the follower has not seen yet: drop
// them (not the pages: an open without keep_cache drops those), so that a
// read past the old size asks for the new one. Safe inside a request: no
// lock of the kernel's inode is taken for attributes alone.
void Fs::RefreshKernelAttrs(fuse_ino_t ino, bool outside) {
  if (outside && se_) fuse_lowlevel_notify_inval_inode(se_, ino, -1, 0);
}

void Fs::Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto in = Get(ino);
  if (!in) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  if (in->dir) {
    fuse_reply_err(req, EISDIR);
    return;
  }
  std::string path;
  {
    std::lock_guard<std::mutex> l(mu_);
    path = in->path;
  }
  std::unique_ptr<Handle> h;
  bool keep_cache = false, outside = false;
  struct stat st {};
  if (int err = OpenHandle(in, path, fi->flags, nullptr, &h, &keep_cache, &st, &outside);
      err != 0) {
    fuse_reply_err(req, err);
    return;
  }
  RefreshKernelAttrs(ino, outside);
  {
    std::lock_guard<std::mutex> l(mu_);
    ++in->opens;
  }
  fi->keep_cache = keep_cache;
  fi->fh = reinterpret_cast<uint64_t>(h.release());
  fuse_reply_open(req, fi);
}

void Fs::Create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
                fuse_file_info* fi) {
  std::string path;
  Status s = ChildPath(parent, name, &path, true);
  if (!s.ok() || parent == kRoot) {
    fuse_reply_err(req, parent == kRoot ? EPERM : PathErrno(s));
    return;
  }
  auto cur = Resolve(path);
  if (!cur) {
    fuse_reply_err(req, Errno(cur.error()));
    return;
  }
  std::shared_ptr<Inode> in;
  std::unique_ptr<FileEditor> created;
  if (cur->exists) {
    if (cur->dir) {
      fuse_reply_err(req, EISDIR);
      return;
    }
    if (fi->flags & O_EXCL) {
      fuse_reply_err(req, EEXIST);
      return;
    }
    in = Intern(path, false, true);
  } else {
    auto made = CreateEmpty(req, path, S_IFREG | (mode & 07777), 0);
    if (!made) {
      fuse_reply_err(req, Errno(made.error()));
      return;
    }
    in = made->first;
    created = std::move(made->second);
    DirChanged(parent);
  }
  // Open it; the lookup counted above stands for the entry replied below.
  std::unique_ptr<Handle> h;
  bool keep_cache = false, outside = false;
  struct stat st {};
  int err = OpenHandle(in, path, fi->flags, std::move(created), &h, &keep_cache, &st, &outside);
  if (err == ESTALE) {
    // Replaced outside while open here: the name gets a new inode.
    Forget(in->ino, 1);
    in = Intern(path, false, true);
    err = OpenHandle(in, path, fi->flags, nullptr, &h, &keep_cache, &st, &outside);
  }
  if (err != 0) {
    Forget(in->ino, 1);
    fuse_reply_err(req, err);
    return;
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    ++in->opens;
  }
  fuse_entry_param e{};
  e.ino = in->ino;
  e.generation = 1;
  e.attr = st;
  e.attr_timeout = opt_.attr_timeout;
  e.entry_timeout = opt_.entry_timeout;
  fi->keep_cache = keep_cache;
  fi->fh = reinterpret_cast<uint64_t>(h.release());
  fuse_reply_create(req, &e, fi);
}

Result<std::pair<std::shared_ptr<Inode>, std::unique_ptr<FileEditor>>> Fs::CreateEmpty(
    fuse_req_t req, const std::string& path, mode_t mode, dev_t rdev) {
  auto [bucket, key] = Split(path);
  ObjectAttrs attrs = NewAttrs(req, mode);
  if (rdev != 0) attrs.user_meta[kRdevMeta] = std::to_string(rdev);
  auto ed = engine_->BeginEdit(bucket, key, true, attrs);
  if (!ed) return Err(ed.error());
  // The new file is an empty object at once: other processes and S3 see it.
  auto r = (*ed)->Commit(bucket, key);
  if (!r) return Err(r.error());
  {
    // An inode still open under this name (the key was deleted outside)
    // keeps its bytes; the new file is a new inode.
    std::lock_guard<std::mutex> l(mu_);
    own_seqs_.insert(r->seq);
    auto it = by_path_.find(path);
    if (it != by_path_.end() && inodes_[it->second]->opens > 0) {
      inodes_[it->second]->detached = true;
      by_path_.erase(it);
    }
  }
  auto in = Intern(path, false, true);
  in->unlinked = false;
  std::lock_guard<std::mutex> g(in->mu);
  if (in->handles == 0) {
    in->last = *r;
    in->has_last = true;
  }
  return std::make_pair(in, std::move(*ed));
}

void Fs::Read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  auto* h = reinterpret_cast<Handle*>(fi->fh);
  // Not zero-filled: every byte replied is read first.
  std::unique_ptr<char[]> buf(new char[size]);
  Result<size_t> n = size_t{0};
  {
    std::unique_lock<std::mutex> l(h->in->mu);
    if (h->in->editor) {
      // The inode's working copy: what every handle of it reads.
      n = h->in->editor->Read(static_cast<uint64_t>(off), buf.get(), size);
    } else {
      // No copy: every open handle holds a reader of the same version.
      l.unlock();
      std::lock_guard<std::mutex> g(h->reader_mu);
      if (!h->reader) {
        Log("read", h->in->path, Status::IOError("a handle without a reader"));
        fuse_reply_err(req, EIO);
        return;
      }
      n = h->reader->ReadAt(static_cast<uint64_t>(off), buf.get(), size);
    }
  }
  if (!n) {
    Log("read", h->in->path, n.error());
    fuse_reply_err(req, EIO);
    return;
  }
  fuse_reply_buf(req, buf.get(), *n);
}

void Fs::Write(fuse_req_t req, fuse_ino_t, const char* buf, size_t size, off_t off,
               fuse_file_info* fi) {
  auto* h = reinterpret_cast<Handle*>(fi->fh);
  Inode& in = *h->in;
  std::lock_guard<std::mutex> l(in.mu);
  if (!in.editor || !h->writable) {
    fuse_reply_err(req, EBADF);
    return;
  }
  Status s = in.editor->Write(static_cast<uint64_t>(off), buf, size);
  if (s.ok()) {
    in.write_mtime_ns = NowNs();
    if (in.editor->unsaved_bytes() >= opt_.dirty_bytes) s = CommitLocked(in);
  }
  if (!s.ok()) {
    fuse_reply_err(req, Errno(s));
    return;
  }
  fuse_reply_write(req, size);
}

void Fs::Flush(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  auto* h = reinterpret_cast<Handle*>(fi->fh);
  if (!h->writable) {
    fuse_reply_err(req, 0);
    return;
  }
  std::lock_guard<std::mutex> l(h->in->mu);
  fuse_reply_err(req, Errno(CommitLocked(*h->in)));
}

void Fs::Fsync(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  auto* h = reinterpret_cast<Handle*>(fi->fh);
  std::lock_guard<std::mutex> l(h->in->mu);
  fuse_reply_err(req, Errno(CommitLocked(*h->in)));
}

void Fs::Release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  std::unique_ptr<Handle> h(reinterpret_cast<Handle*>(fi->fh));
  {
    std::lock_guard<std::mutex> l(h->in->mu);
    if (h->writable) {
      Status s = CommitLocked(*h->in);
      if (!s.ok()) Log("commit at release", h->in->path, s);
      --h->in->writers;
    }
    // The working copy is every handle's view until the last one goes.
    if (--h->in->handles == 0 && h->in->editor) {
      h->in->last = h->in->editor->base();
      h->in->has_last = true;
      h->in->opened_version.clear();
      h->in->editor.reset();
    }
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    --h->in->opens;
  }
  h.reset();
  Forget(ino, 0);  // drops the inode if the kernel forgot it while open
  fuse_reply_err(req, 0);
}

// ---- directories ----

void Fs::OpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto in = Get(ino);
  if (!in) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  if (!in->dir) {
    fuse_reply_err(req, ENOTDIR);
    return;
  }
  auto h = std::make_unique<DirHandle>();
  {
    std::lock_guard<std::mutex> l(mu_);
    h->path = in->path;
  }
  fi->fh = reinterpret_cast<uint64_t>(h.release());
  fuse_reply_open(req, fi);
}

void Fs::ReleaseDir(fuse_req_t req, fuse_file_info* fi) {
  delete reinterpret_cast<DirHandle*>(fi->fh);
  fuse_reply_err(req, 0);
}

namespace {
// Appends the next page of a directory to h->window (possibly nothing while
// not at the end, when every key of a page is hidden).
Status LoadPage(Engine* engine, Fs::DirHandle* h);
}  // namespace

void Fs::ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi,
                 bool plus) {
  auto* h = reinterpret_cast<DirHandle*>(fi->fh);
  std::string out(size, '\0');
  size_t used = 0;
  Status failed;
  {
    std::lock_guard<std::mutex> l(h->mu);
    uint64_t i = static_cast<uint64_t>(off);
    auto restart = [&]() {
      h->window.clear();
      h->base = 0;
      h->after.clear();
      h->eof = false;
    };
    if (i == 0 || (i >= 2 && i - 2 < h->base)) restart();
    for (;;) {
      std::string name;
      struct stat st {};
      const DirHandle::Entry* ent = nullptr;
      if (i < 2) {
        name = i == 0 ? "." : "..";
        st.st_ino = i == 0 ? ino : kRoot;
        st.st_mode = S_IFDIR;
      } else {
        uint64_t k = i - 2;
        if (k >= h->base + h->window.size()) {
          if (h->eof) break;
          failed = LoadPage(engine_.get(), h);
          if (!failed.ok()) break;
          continue;
        }
        ent = &h->window[k - h->base];
        name = ent->name;
      }
      size_t room = size - used;
      if (!plus) {
        if (ent) {
          // d_ino 0 would hide the entry: the known inode, else a stand-in
          // (stat gives the real one).
          std::string child = h->path.empty() ? name : h->path + "/" + name;
          std::lock_guard<std::mutex> g(mu_);
          auto known = by_path_.find(child);
          st.st_ino = known != by_path_.end()
                          ? known->second
                          : (std::hash<std::string>{}(child) | (uint64_t{1} << 63));
          st.st_mode = ent->dir ? S_IFDIR : FileType(ent->info.attrs.posix);
        }
        size_t need = fuse_add_direntry(req, out.data() + used, room, name.c_str(), &st,
                                        static_cast<off_t>(i + 1));
        if (need > room) break;
        used += need;
      } else {
        size_t need = fuse_add_direntry_plus(req, nullptr, 0, name.c_str(), nullptr, 0);
        if (need > room) break;
        fuse_entry_param e{};
        if (!ent) {
          e.attr = st;
        } else {
          std::string child = h->path.empty() ? name : h->path + "/" + name;
          Node n;
          n.exists = true;
          n.dir = ent->dir;
          if (ent->dir && !h->path.empty()) {
            auto [bucket, key] = Split(child);
            auto m = engine_->Head(bucket, key + "/");
            if (m) {
              n.has_marker = true;
              n.info = std::move(*m);
            }
          } else {
            n.info = ent->info;
          }
          auto in = Intern(child, ent->dir, true);
          if (!ent->dir) {
            std::lock_guard<std::mutex> g(in->mu);
            if (in->editor) n.info = CopyInfo(*in, *in->editor);
          }
          e.ino = in->ino;
          e.generation = 1;
          e.attr = Attr(*in, n);
          e.attr_timeout = opt_.attr_timeout;
          // Not cached as a name: this listing may reach the kernel after an
          // unlink or rmdir of the entry in this mount, and a cached entry
          // would then outlive the file. The next path walk looks it up.
          e.entry_timeout = 0;
        }
        fuse_add_direntry_plus(req, out.data() + used, room, name.c_str(), &e,
                               static_cast<off_t>(i + 1));
        used += need;
      }
      ++i;
    }
  }
  // Replied outside the handle's lock: the reply lets the kernel release the
  // directory, which deletes the handle.
  if (!failed.ok() && used == 0) {
    fuse_reply_err(req, Errno(failed));
    return;
  }
  fuse_reply_buf(req, out.data(), used);
}

namespace {
Status LoadPage(Engine* engine, Fs::DirHandle* h) {
  std::vector<Fs::DirHandle::Entry> page;
  auto keep = [&]() {
    for (auto& e : page) h->window.push_back(std::move(e));
    while (h->window.size() > Fs::DirHandle::kWindow) {
      h->window.pop_front();
      ++h->base;
    }
  };
  if (h->path.empty()) {
    auto b = engine->ListBuckets();
    if (!b) return b.error();
    for (const BucketInfo& x : *b) {
      Fs::DirHandle::Entry e;
      e.name = x.name;
      e.dir = true;
      e.info.last_modified_ns = x.created_ns;
      page.push_back(std::move(e));
    }
    keep();
    h->eof = true;
    return Status::OK();
  }
  auto [bucket, key] = Split(h->path);
  ListOptions lo;
  lo.prefix = key.empty() ? std::string() : key + "/";
  lo.delimiter = "/";
  lo.start_after = h->after;
  lo.max_keys = kListPage;
  lo.with_attrs = true;
  auto r = engine->List(bucket, lo);
  if (!r) return r.error();
  // Merge files and directories in key order; a directory hides a file of
  // the same name.
  std::set<std::string> dirs;
  for (const std::string& cp : r->common_prefixes) {
    std::string name = cp.substr(lo.prefix.size(), cp.size() - lo.prefix.size() - 1);
    if (ShowableComponent(name)) dirs.insert(name);
  }
  auto dir_at = dirs.begin();
  for (ObjectInfo& o : r->objects) {
    if (o.key.size() <= lo.prefix.size()) continue;  // this directory's own marker
    std::string name = o.key.substr(lo.prefix.size());
    if (!ShowableComponent(name) || dirs.count(name)) continue;
    if (r->truncated && &o == &r->objects.back()) {
      // Its directory twin may start the next page.
      ListOptions twin;
      twin.prefix = o.key + "/";
      twin.max_keys = 1;
      auto t = engine->List(bucket, twin);
      if (t && !t->objects.empty()) continue;
    }
    while (dir_at != dirs.end() && *dir_at < name) {
      page.push_back(Fs::DirHandle::Entry{*dir_at, true, {}});
      ++dir_at;
    }
    page.push_back(Fs::DirHandle::Entry{name, false, std::move(o)});
  }
  for (; dir_at != dirs.end(); ++dir_at) page.push_back(Fs::DirHandle::Entry{*dir_at, true, {}});
  keep();
  if (r->truncated) {
    h->after = r->next_marker;
  } else {
    h->eof = true;
  }
  return Status::OK();
}
}  // namespace

// ---- the rest ----

void Fs::StatFs(fuse_req_t req) {
  struct statvfs sv {};
  if (statvfs(opt_.data_dir.c_str(), &sv) != 0) {
    fuse_reply_err(req, errno);
    return;
  }
  sv.f_namemax = 255;
  fuse_reply_statfs(req, &sv);
}

Result<std::map<std::string, std::string>> Fs::Xattrs(Inode& in) {
  {
    std::lock_guard<std::mutex> l(in.mu);
    if (in.editor) return in.editor->attrs().user_meta;
  }
  std::string path;
  {
    std::lock_guard<std::mutex> l(mu_);
    path = in.path;
  }
  auto n = Resolve(path);
  if (!n) return Err(n.error());
  if (!n->exists) return Err(Status::NotFound(path));
  return n->info.attrs.user_meta;
}

Status Fs::EditAttrs(Inode& in, const std::function<Status(ObjectAttrs*)>& fn) {
  std::string path;
  {
    std::lock_guard<std::mutex> l(mu_);
    path = in.path;
  }
  auto [bucket, key] = Split(path);
  if (key.empty()) return Status::NotSupported("buckets have no attributes").WithDetail("ENOTSUP");
  if (in.dir) {
    auto h = engine_->Head(bucket, key + "/");
    PutOptions po;
    if (h) {
      po.attrs = h->attrs;
    } else {
      po.attrs.posix.mode = S_IFDIR | 0755;
    }
    SEGLAKE_RETURN_IF_ERROR(fn(&po.attrs));
    auto r = engine_->Put(bucket, key + "/", "", po);
    return r ? Status::OK() : r.error();
  }
  return WithEditor(in, [&](FileEditor* ed) -> Status {
    ObjectAttrs a = ed->attrs();
    SEGLAKE_RETURN_IF_ERROR(fn(&a));
    ed->SetAttrs(a);
    return Status::OK();
  });
}

namespace {
int XattrErrno(const Status& s) {
  if (s.detail() == "E2BIG") return E2BIG;
  if (s.detail() == "ENOTSUP") return ENOTSUP;
  if (s.detail() == "ENODATA") return ENODATA;
  if (s.detail() == "EPERM") return EPERM;
  return Errno(s);
}
constexpr std::string_view kUser = "user.";
}  // namespace

void Fs::SetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
                  int flags) {
  std::string_view n(name);
  if (n.substr(0, kUser.size()) != kUser) {
    fuse_reply_err(req, ENOTSUP);
    return;
  }
  std::string k(n.substr(kUser.size()));
  std::string v(value, size);
  if (ReservedXattrName(k)) {
    fuse_reply_err(req, EPERM);
    return;
  }
  if (!ValidXattrName(k) || !ValidXattrValue(v)) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  auto in = Get(ino);
  if (!in) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  Status s = EditAttrs(*in, [&](ObjectAttrs* a) -> Status {
    bool has = a->user_meta.count(k) > 0;
    if ((flags & XATTR_CREATE) && has) return Status::AlreadyExists(k);
    if ((flags & XATTR_REPLACE) && !has) return Status::NotFound(k).WithDetail("ENODATA");
    // Bounded by what S3 can carry (SEMANTICS.md): a value that can never
    // fit is too big, one that does not fit beside the others finds no room.
    if (k.size() + v.size() > kUserMetaBudget)
      return Status::InvalidArgument("xattr too large").WithDetail("E2BIG");
    size_t others = UserMetaBytes(a->user_meta) - (has ? k.size() + a->user_meta[k].size() : 0);
    if (others + k.size() + v.size() > kUserMetaBudget)
      return Status::NoSpace("no room for the xattr").WithDetail("ENOSPC");
    a->user_meta[k] = v;
    return Status::OK();
  });
  fuse_reply_err(req, XattrErrno(s));
}

void Fs::GetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  std::string_view n(name);
  if (n.substr(0, kUser.size()) != kUser) {
    fuse_reply_err(req, ENODATA);
    return;
  }
  auto in = Get(ino);
  if (!in) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  auto x = Xattrs(*in);
  if (!x) {
    fuse_reply_err(req, Errno(x.error()));
    return;
  }
  auto it = x->find(std::string(n.substr(kUser.size())));
  if (it == x->end() || ReservedXattrName(it->first)) {
    fuse_reply_err(req, ENODATA);
    return;
  }
  if (size == 0) {
    fuse_reply_xattr(req, it->second.size());
  } else if (size < it->second.size()) {
    fuse_reply_err(req, ERANGE);
  } else {
    fuse_reply_buf(req, it->second.data(), it->second.size());
  }
}

void Fs::ListXattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  auto in = Get(ino);
  if (!in) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  std::string names;
  if (!in->path.empty() && in->path.find('/') != std::string::npos) {
    auto x = Xattrs(*in);
    if (!x && !in->dir) {
      fuse_reply_err(req, Errno(x.error()));
      return;
    }
    if (x)
      for (auto& [k, v] : *x)
        if (!ReservedXattrName(k)) names += std::string(kUser) + k + '\0';
  }
  if (size == 0) {
    fuse_reply_xattr(req, names.size());
  } else if (size < names.size()) {
    fuse_reply_err(req, ERANGE);
  } else {
    fuse_reply_buf(req, names.data(), names.size());
  }
}

void Fs::RemoveXattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  std::string_view n(name);
  if (n.substr(0, kUser.size()) != kUser) {
    fuse_reply_err(req, ENOTSUP);
    return;
  }
  std::string k(n.substr(kUser.size()));
  if (ReservedXattrName(k)) {
    fuse_reply_err(req, EPERM);
    return;
  }
  auto in = Get(ino);
  if (!in) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  Status s = EditAttrs(*in, [&](ObjectAttrs* a) -> Status {
    if (!a->user_meta.erase(k)) return Status::NotFound(k).WithDetail("ENODATA");
    return Status::OK();
  });
  fuse_reply_err(req, XattrErrno(s));
}

void Fs::Fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len) {
  auto in = Get(ino);
  if (!in) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  if (off < 0 || len <= 0) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  uint64_t o = static_cast<uint64_t>(off), n = static_cast<uint64_t>(len);
  Status s;
  if (mode == 0) {
    s = WithEditor(*in, [&](FileEditor* ed) {
      return o + n > ed->size() ? ed->Truncate(o + n) : Status::OK();
    });
  } else if (mode == FALLOC_FL_KEEP_SIZE) {
    s = Status::OK();  // space is not reserved ahead; writes allocate it
  } else if (mode == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)) {
    s = WithEditor(*in, [&](FileEditor* ed) { return ed->PunchHole(o, n); });
  } else {
    fuse_reply_err(req, EOPNOTSUPP);
    return;
  }
  fuse_reply_err(req, Errno(s));
}

void Fs::CopyFileRange(fuse_req_t req, fuse_ino_t ino_in, off_t off_in, fuse_ino_t ino_out,
                       off_t off_out, size_t len) {
  auto src = Get(ino_in);
  auto dst = Get(ino_out);
  if (!src || !dst) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  if (src->dir || dst->dir) {
    fuse_reply_err(req, EISDIR);
    return;
  }
  uint64_t copied = 0;
  auto run = [&](FileEditor* from, FileEditor* to) -> Status {
    uint64_t so = static_cast<uint64_t>(off_in);
    copied = so >= from->size() ? 0 : std::min<uint64_t>(len, from->size() - so);
    return to->CopyFrom(from, so, static_cast<uint64_t>(off_out), copied);
  };
  Status s;
  if (src == dst) {
    std::lock_guard<std::mutex> l(dst->mu);
    if (!dst->editor) {
      fuse_reply_err(req, EBADF);
      return;
    }
    s = run(dst->editor.get(), dst->editor.get());
  } else {
    std::scoped_lock l(src->mu, dst->mu);
    if (!dst->editor) {
      fuse_reply_err(req, EBADF);
      return;
    }
    // The source as its handles read it.
    std::unique_ptr<FileEditor> temp;
    auto from = EditorLocked(*src, false, &temp);
    s = from ? run(*from, dst->editor.get()) : from.error();
    if (s.ok()) dst->write_mtime_ns = NowNs();
  }
  if (!s.ok()) {
    fuse_reply_err(req, Errno(s));
    return;
  }
  fuse_reply_write(req, copied);
}

void Fs::Lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence) {
  if (whence != SEEK_DATA && whence != SEEK_HOLE) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  auto in = Get(ino);
  if (!in) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  uint64_t at = 0;
  Status s = WithEditor(*in, [&](FileEditor* ed) -> Status {
    auto r = ed->Seek(static_cast<uint64_t>(std::max<off_t>(off, 0)), whence == SEEK_DATA);
    if (!r) return r.error();
    at = *r;
    return Status::OK();
  });
  if (!s.ok()) {
    fuse_reply_err(req, s.code() == Status::Code::kNotFound ? ENXIO : Errno(s));
    return;
  }
  fuse_reply_lseek(req, static_cast<off_t>(at));
}

// ---- following the change sequence ----

void Fs::StartFollower() {
  follower_ = std::thread([this] { Follow(); });
}

void Fs::StopFollower() {
  {
    std::lock_guard<std::mutex> l(follow_mu_);
    stop_ = true;
  }
  follow_cv_.notify_all();
  if (follower_.joinable()) follower_.join();
}

void Fs::Follow() {
  std::unique_lock<std::mutex> l(follow_mu_);
  while (!stop_) {
    follow_cv_.wait_for(l, std::chrono::milliseconds(opt_.poll_ms), [this] { return stop_; });
    if (stop_) break;
    l.unlock();
    for (;;) {
      auto ch = engine_->ChangesSince(seen_seq_, 1000);
      if (!ch || ch->empty()) break;
      Invalidate(*ch);
      seen_seq_ = ch->back().seq;
      if (ch->size() < 1000) break;
    }
    l.lock();
  }
}

// The kernel's view of each changed key is refreshed with inode
// invalidations only (attributes and pages), never by dropping directory
// entries: that waits for the directory's lock, which a process waiting on
// this mount inside the directory holds, so a kill -9 of the mount at that
// moment would leave this thread, and the process, stuck in the kernel.
// Without negative entries (negative_timeout 0, the default) new names need
// no dropping; a removed or renamed file answers ENOENT to the getattr its
// invalidation causes; a file replaced while open for reading is detached
// (its open handles keep their version, and opening it by name again gets
// ESTALE, which makes the kernel look the name up afresh).
void Fs::Invalidate(const std::vector<Change>& changes) {
  std::set<std::pair<fuse_ino_t, std::string>> entries;
  std::set<fuse_ino_t> inodes;
  const bool negative = opt_.negative_timeout > 0;
  std::vector<std::pair<std::string, std::shared_ptr<Inode>>> maybe_detach;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const Change& c : changes) {
      if (own_seqs_.count(c.seq)) continue;
      if (c.key.empty()) {
        if (negative) entries.emplace(kRoot, c.bucket);
        auto b = by_path_.find(c.bucket);
        if (b != by_path_.end()) inodes.insert(b->second);
        continue;
      }
      std::string key = c.key;
      if (key.back() == '/') key.pop_back();
      std::string cur = c.bucket;
      size_t start = 0;
      for (;;) {
        size_t slash = key.find('/', start);
        bool leaf = slash == std::string::npos;
        std::string part = key.substr(start, leaf ? slash : slash - start);
        if (!ShowableComponent(part)) break;
        auto parent = by_path_.find(cur);
        cur += "/" + part;
        auto me = by_path_.find(cur);
        std::shared_ptr<Inode> in = me == by_path_.end() ? nullptr : inodes_[me->second];
        if (!in) {
          // A name the kernel may hold as a negative entry.
          if (negative && parent != by_path_.end()) entries.emplace(parent->second, part);
        } else if (in->dir) {
          if (leaf) inodes.insert(in->ino);  // its marker's attributes
        } else if (leaf) {
          if (in->opens > 0) maybe_detach.emplace_back(cur, in);
          inodes.insert(in->ino);
        } else {
          inodes.insert(in->ino);  // a file that a new key turns into a directory
        }
        if (leaf) break;
        start = slash + 1;
      }
    }
    // Own commits below what was seen need no more remembering.
    uint64_t last = changes.back().seq;
    own_seqs_.erase(own_seqs_.begin(), own_seqs_.upper_bound(last));
  }
  // A file open (and not being written) whose key now holds other bytes
  // keeps the bytes its handles read, as a file replaced by rename does: the
  // name gets a new inode. (A rename or delete, or this mount's own commit
  // seen before it was remembered, leaves the content as the handles know it.)
  for (auto& [path, in] : maybe_detach) {
    auto [bucket, key] = Split(path);
    auto now = engine_->Head(bucket, key);
    if (!now) continue;
    std::lock_guard<std::mutex> g(in->mu);
    if (in->handles == 0 || in->detached) continue;
    {
      std::lock_guard<std::mutex> l(mu_);
      auto me = by_path_.find(path);
      if (me == by_path_.end() || me->second != in->ino) continue;
    }
    DetachIfReplaced(*in, *now);
  }
  if (!se_) return;
  for (const auto& [parent, name] : entries)
    fuse_lowlevel_notify_inval_entry(se_, parent, name.c_str(), name.size());
  for (fuse_ino_t ino : inodes) fuse_lowlevel_notify_inval_inode(se_, ino, 0, 0);
}

}  // namespace seglake::mount
