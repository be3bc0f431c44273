// Open files: open, create, read, write, flush, fsync, release, fallocate,
// copy_file_range, lseek.
#include "fs_internal.h"

namespace seglake::mount {

using namespace fsi;

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
    // (With -o writeback_cache also a closed file: see Fs::Invalidate.)
    if ((in->handles > 0 || opt_.writeback_cache) && DetachIfReplaced(*in, (*r)->info()))
      return ESTALE;
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

}  // namespace seglake::mount
