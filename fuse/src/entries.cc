// Operations that make, remove or rename names: mkdir, mknod, unlink,
// rmdir, symlink, link, rename.
#include "fs_internal.h"

namespace seglake::mount {

using namespace fsi;

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

// A hard link: the new name is a key holding the file's current version
// (a whole-version copy, no data copied), and both names lead to one inode
// whose commits are copied to every name (see CopyToLinks).
void Fs::Link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char* newname) {
  auto in = Get(ino);
  if (!in) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  if (in->dir) {
    fuse_reply_err(req, EPERM);  // as Linux for a directory
    return;
  }
  if (newparent == kRoot) {
    fuse_reply_err(req, EPERM);
    return;
  }
  std::string dst;
  if (int err = FreeName(newparent, newname, &dst); err != 0) {
    fuse_reply_err(req, err);
    return;
  }
  std::lock_guard<std::mutex> l(in->mu);
  if (in->unlinked || in->detached) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  // Unsaved writes first, so the new name gets the file as it reads now.
  if (Status s = CommitLocked(*in); !s.ok()) {
    fuse_reply_err(req, Errno(s));
    return;
  }
  std::string src;
  {
    std::lock_guard<std::mutex> g(mu_);
    src = in->path;
  }
  auto [bucket, ks] = Split(src);
  auto [dbucket, kd] = Split(dst);
  if (bucket != dbucket) {
    fuse_reply_err(req, EXDEV);
    return;
  }
  CopyOptions co;
  co.conditions.if_none_match_any = true;
  auto r = engine_->Copy(bucket, ks, bucket, kd, co);
  if (!r) {
    fuse_reply_err(req, Errno(r.error()));
    return;
  }
  RememberOwn(r->seq);
  {
    std::lock_guard<std::mutex> g(mu_);
    auto& group = in->group;
    if (!group) {
      group = std::make_shared<LinkGroup>();
      group->ino = in->ino;
      group->names.insert(src);
      links_[src] = group;
    }
    group->names.insert(dst);
    group->etag = r->etag;
    links_[dst] = group;
    renumbered_.erase(dst);
    by_path_[dst] = in->ino;
    in->links = static_cast<uint32_t>(group->names.size());
    ++in->nlookup;  // the entry replied below
  }
  Node n;
  n.exists = true;
  n.info = *r;
  (void)KernelViewLocked(*in, &n.info, false);
  DirChanged(newparent);
  fuse_entry_param e{};
  e.ino = in->ino;
  e.generation = 1;
  e.attr = Attr(*in, n);
  e.attr_timeout = opt_.attr_timeout;
  e.entry_timeout = opt_.entry_timeout;
  fuse_reply_entry(req, &e);
}

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

}  // namespace seglake::mount
