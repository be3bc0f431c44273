// The libfuse low-level callbacks: each forwards to the Fs in the session's
// user data.
#include "ops.h"

namespace seglake::mount {
namespace {

Fs* F(fuse_req_t req) { return static_cast<Fs*>(fuse_req_userdata(req)); }

void Init(void* userdata, fuse_conn_info* conn) { static_cast<Fs*>(userdata)->Init(conn); }
void Destroy(void* userdata) { static_cast<Fs*>(userdata)->FlushAll(); }
void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  F(req)->Lookup(req, parent, name);
}
void Forget(fuse_req_t req, fuse_ino_t ino, uint64_t n) {
  F(req)->Forget(ino, n);
  fuse_reply_none(req);
}
void ForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  for (size_t i = 0; i < count; ++i) F(req)->Forget(forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}
void GetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) { F(req)->GetAttr(req, ino); }
void SetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info*) {
  F(req)->SetAttr(req, ino, attr, to_set);
}
void ReadLink(fuse_req_t req, fuse_ino_t ino) { F(req)->ReadLink(req, ino); }
void MkNod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  F(req)->MkNod(req, parent, name, mode, rdev);
}
void MkDir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  F(req)->MkDir(req, parent, name, mode);
}
void Unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  F(req)->Unlink(req, parent, name);
}
void RmDir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  F(req)->RmDir(req, parent, name);
}
void Symlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) {
  F(req)->Symlink(req, link, parent, name);
}
void Rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
            const char* newname, unsigned int flags) {
  F(req)->Rename(req, parent, name, newparent, newname, flags);
}
void Link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char* newname) {
  F(req)->Link(req, ino, newparent, newname);
}
void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) { F(req)->Open(req, ino, fi); }
void Read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  F(req)->Read(req, ino, size, off, fi);
}
void Write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off,
           fuse_file_info* fi) {
  F(req)->Write(req, ino, buf, size, off, fi);
}
void Flush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) { F(req)->Flush(req, ino, fi); }
void Release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) { F(req)->Release(req, ino, fi); }
void Fsync(fuse_req_t req, fuse_ino_t ino, int, fuse_file_info* fi) { F(req)->Fsync(req, ino, fi); }
void OpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) { F(req)->OpenDir(req, ino, fi); }
void ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  F(req)->ReadDir(req, ino, size, off, fi, false);
}
void ReadDirPlus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  F(req)->ReadDir(req, ino, size, off, fi, true);
}
void ReleaseDir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) { F(req)->ReleaseDir(req, fi); }
void FsyncDir(fuse_req_t req, fuse_ino_t, int, fuse_file_info*) {
  fuse_reply_err(req, 0);  // directory changes are committed when they return
}
void StatFs(fuse_req_t req, fuse_ino_t) { F(req)->StatFs(req); }
void SetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
              int flags) {
  F(req)->SetXattr(req, ino, name, value, size, flags);
}
void GetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  F(req)->GetXattr(req, ino, name, size);
}
void ListXattr(fuse_req_t req, fuse_ino_t ino, size_t size) { F(req)->ListXattr(req, ino, size); }
void RemoveXattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  F(req)->RemoveXattr(req, ino, name);
}
void Create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  F(req)->Create(req, parent, name, mode, fi);
}
void Fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len, fuse_file_info*) {
  F(req)->Fallocate(req, ino, mode, off, len);
}
void CopyFileRange(fuse_req_t req, fuse_ino_t ino_in, off_t off_in, fuse_file_info*,
                   fuse_ino_t ino_out, off_t off_out, fuse_file_info*, size_t len, int) {
  F(req)->CopyFileRange(req, ino_in, off_in, ino_out, off_out, len);
}
void Lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, fuse_file_info*) {
  F(req)->Lseek(req, ino, off, whence);
}

}  // namespace

fuse_lowlevel_ops Operations() {
  fuse_lowlevel_ops o{};
  o.init = Init;
  o.destroy = Destroy;
  o.lookup = Lookup;
  o.forget = Forget;
  o.forget_multi = ForgetMulti;
  o.getattr = GetAttr;
  o.setattr = SetAttr;
  o.readlink = ReadLink;
  o.mknod = MkNod;
  o.mkdir = MkDir;
  o.unlink = Unlink;
  o.rmdir = RmDir;
  o.symlink = Symlink;
  o.rename = Rename;
  o.link = Link;
  o.open = Open;
  o.read = Read;
  o.write = Write;
  o.flush = Flush;
  o.release = Release;
  o.fsync = Fsync;
  o.opendir = OpenDir;
  o.readdir = ReadDir;
  o.readdirplus = ReadDirPlus;
  o.releasedir = ReleaseDir;
  o.fsyncdir = FsyncDir;
  o.statfs = StatFs;
  o.setxattr = SetXattr;
  o.getxattr = GetXattr;
  o.listxattr = ListXattr;
  o.removexattr = RemoveXattr;
  o.create = Create;
  o.fallocate = Fallocate;
  o.copy_file_range = CopyFileRange;
  o.lseek = Lseek;
  return o;
}

}  // namespace seglake::mount
