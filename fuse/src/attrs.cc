// Attributes and extended attributes: setattr, readlink, xattrs.
#include "fs_internal.h"

namespace seglake::mount {

using namespace fsi;

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

}  // namespace seglake::mount
