// The filesystem's state and its open files' working copies: construction,
// commits, and the mount-wide calls (init, statfs).
#include "fs_internal.h"

namespace seglake::mount {

using namespace fsi;

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

// ---- working copies ----

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
  {
    std::lock_guard<std::mutex> l(mu_);
    own_seqs_.insert(r->seq);
  }
  return CopyToLinks(in, *r);
}

Status Fs::CopyToLinks(Inode& in, const ObjectInfo& committed) {
  std::vector<std::string> others;
  std::string path;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!in.group) return Status::OK();
    path = in.path;
    for (const std::string& n : in.group->names)
      if (n != path) others.push_back(n);
    in.group->etag = committed.etag;
  }
  auto [bucket, key] = Split(path);
  CopyOptions co;
  co.src_version_id = committed.version_id;
  for (const std::string& other : others) {
    // A whole-version copy: no data is copied, the ETag is the same.
    auto r = engine_->Copy(bucket, key, bucket, Split(other).key, co);
    if (!r) {
      Log("commit to hard link", other, r.error());
      return r.error();
    }
    RememberOwn(r->seq);
  }
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
  if ((in.handles > 0 || opt_.writeback_cache) && DetachIfReplaced(in, (*ed)->base()))
    return Err(Stale(path));
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
  {
    std::lock_guard<std::mutex> g(mu_);
    own_seqs_.insert(r->seq);
  }
  return CopyToLinks(in, *r);
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

// ---- mount-wide operations ----

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

void Fs::StatFs(fuse_req_t req) {
  struct statvfs sv {};
  if (statvfs(opt_.data_dir.c_str(), &sv) != 0) {
    fuse_reply_err(req, errno);
    return;
  }
  sv.f_namemax = 255;
  fuse_reply_statfs(req, &sv);
}

}  // namespace seglake::mount
