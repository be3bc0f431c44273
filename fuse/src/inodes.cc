// The inode table (numbers that stay stable while the mount runs and across
// remounts), names resolved to keys, attributes, lookup and getattr.
#include "fs_internal.h"

namespace seglake::mount {

using namespace fsi;

// ---- inodes ----

// Inode numbers. A name's number is a hash of its path, so it is the same
// however often the kernel forgets and looks the name up again, in every
// mount of the data dir and after a remount. A name whose hash is held by
// another live inode (the open, unlinked or replaced file that had the name
// before; a hash collision) takes the next free hash of the path with a
// counter, and a renamed inode keeps its number: both are remembered in
// renumbered_ for the life of the mount (until the name is removed), so
// they too survive the kernel forgetting the inode.

namespace {
fuse_ino_t PathHash(const std::string& path, uint32_t n) {
  std::string h = Sha256(n == 0 ? path : path + '\0' + std::to_string(n));
  uint64_t v = 0;
  std::memcpy(&v, h.data(), sizeof(v));
  // 0 is no inode, 1 the root.
  return v < 2 ? v + 2 : v;
}

bool Under(const std::string& p, const std::string& top, bool subtree) {
  return p == top || (subtree && p.size() > top.size() && p.compare(0, top.size(), top) == 0 &&
                      p[top.size()] == '/');
}
}  // namespace

fuse_ino_t Fs::PathNumber(const std::string& path) const {
  auto g = links_.find(path);
  if (g != links_.end()) return g->second->ino;
  auto r = renumbered_.find(path);
  return r != renumbered_.end() ? r->second : PathHash(path, 0);
}

fuse_ino_t Fs::NumberFor(const std::string& path) {
  fuse_ino_t ino = PathNumber(path);
  for (uint32_t n = 1; ino == kRoot || inodes_.count(ino); ++n) ino = PathHash(path, n);
  Renumber(path, ino);
  return ino;
}

void Fs::Renumber(const std::string& path, fuse_ino_t ino) {
  if (ino == PathHash(path, 0))
    renumbered_.erase(path);
  else
    renumbered_[path] = ino;
}

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
    in->path = path;
    in->dir = dir;
    auto g = dir ? links_.end() : links_.find(path);
    if (g != links_.end()) {
      // One of several hard links: one inode for all its names.
      LinkGroup& group = *g->second;
      if (group.ino == kRoot || inodes_.count(group.ino)) group.ino = NumberFor(path);
      in->ino = group.ino;
      in->group = g->second;
      in->links = static_cast<uint32_t>(group.names.size());
      for (const std::string& n : group.names) by_path_[n] = in->ino;
    } else {
      in->ino = NumberFor(path);
      by_path_[path] = in->ino;
    }
    inodes_[in->ino] = in;
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
    if (in.group) {
      for (const std::string& name : in.group->names) {
        auto q = by_path_.find(name);
        if (q != by_path_.end() && q->second == ino) by_path_.erase(q);
      }
    }
    inodes_.erase(it);
  }
}

void Fs::Rekey(const std::string& from, const std::string& to, bool subtree) {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::pair<std::string, fuse_ino_t>> moved, numbers;
  std::vector<std::pair<std::string, std::string>> renamed;  // (from, to) of moved inodes' names
  for (auto it = by_path_.begin(); it != by_path_.end();) {
    if (Under(it->first, from, subtree)) {
      std::string dest = to + it->first.substr(from.size());
      renamed.emplace_back(it->first, dest);
      moved.emplace_back(std::move(dest), it->second);
      it = by_path_.erase(it);
    } else {
      ++it;
    }
  }
  // Hard links keep their group under their new names.
  std::vector<std::pair<std::string, std::shared_ptr<LinkGroup>>> regrouped;
  for (auto it = links_.begin(); it != links_.end();) {
    if (Under(it->first, from, subtree)) {
      std::string dest = to + it->first.substr(from.size());
      it->second->names.erase(it->first);
      it->second->names.insert(dest);
      regrouped.emplace_back(std::move(dest), it->second);
      it = links_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [p, g] : regrouped) links_[p] = g;
  // Forgotten inodes below a renamed directory keep their numbers too when
  // they had to remember one; the others take their new path's.
  for (auto it = renumbered_.begin(); it != renumbered_.end();) {
    if (Under(it->first, from, subtree)) {
      numbers.emplace_back(to + it->first.substr(from.size()), it->second);
      it = renumbered_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [p, ino] : numbers) Renumber(p, ino);
  for (size_t i = 0; i < moved.size(); ++i) {
    const auto& [p, ino] = moved[i];
    Inode& in = *inodes_[ino];
    // A hard-linked inode is known under several names: the one it reads
    // and commits through moves only if that one was renamed.
    if (!in.group || in.path == renamed[i].first) in.path = p;
    by_path_[p] = ino;
    Renumber(p, ino);
  }
}

void Fs::Drop(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  renumbered_.erase(path);
  if (links_.count(path)) {
    Unlink1(path);  // the file stays, under its other names
    return;
  }
  auto it = by_path_.find(path);
  if (it == by_path_.end()) return;
  inodes_[it->second]->unlinked = true;
  by_path_.erase(it);
}

void Fs::Unlink1(const std::string& path) {
  auto g = links_.find(path);
  if (g == links_.end()) return;
  std::shared_ptr<LinkGroup> group = g->second;
  links_.erase(g);
  group->names.erase(path);
  std::shared_ptr<Inode> in;
  auto i = inodes_.find(group->ino);
  if (i != inodes_.end() && i->second->group == group) in = i->second;
  auto b = by_path_.find(path);
  if (b != by_path_.end() && b->second == group->ino) by_path_.erase(b);
  if (in && in->path == path) in->path = *group->names.begin();
  if (group->names.size() == 1) {
    // The last name is an ordinary file again, with the number it had.
    const std::string& last = *group->names.begin();
    links_.erase(last);
    Renumber(last, group->ino);
    if (in) in->group = nullptr;
  }
  if (in) in->links = static_cast<uint32_t>(group->names.size());
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
  st.st_nlink = in.unlinked ? 0 : in.links.load();
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

bool Fs::KernelViewLocked(Inode& in, ObjectInfo* info, bool detach) {
  if (in.editor) {
    *info = CopyInfo(in, *in.editor);
    return true;
  }
  // The kernel keeps the version an open file's handles read and, with -o
  // writeback_cache, the size it knows of any file: a file changed outside
  // then keeps showing what it was, and its name gets a new inode.
  if (in.has_last && (in.handles > 0 || opt_.writeback_cache)) {
    bool detached = detach && DetachIfReplaced(in, *info);
    *info = in.last;
    return !detached;
  }
  in.last = *info;
  in.has_last = true;
  return true;
}

void Fs::ReplyEntry(fuse_req_t req, const std::string& path, const Node& n) {
  auto in = Intern(path, n.dir, true);
  Node cur = n;
  if (!n.dir) {
    bool same;
    {
      std::lock_guard<std::mutex> l(in->mu);
      same = KernelViewLocked(*in, &cur.info);
    }
    if (!same) {
      // Replaced from outside while open here: the open inode keeps its
      // version and the name gets a new inode with the new one.
      Forget(in->ino, 1);
      in = Intern(path, false, true);
      cur.info = n.info;
      std::lock_guard<std::mutex> l(in->mu);
      KernelViewLocked(*in, &cur.info);
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
  if (!r->dir) {
    std::lock_guard<std::mutex> l(in->mu);
    // Replaced while open: this inode keeps showing its handles' version.
    (void)KernelViewLocked(*in, &r->info);
  }
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

}  // namespace seglake::mount
