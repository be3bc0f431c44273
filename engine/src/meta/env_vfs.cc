// The Env-backed SQLite VFS; see env_vfs.h. No C++ exception may cross into
// SQLite: every callback that calls the Env or allocates is a function-try-
// block whose handler answers with that callback's I/O error code.
#include "meta/env_vfs.h"

#include <sqlite3.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace seglake::meta {

struct EnvVfsAccess {
  static Env* env(sqlite3_vfs* v) { return static_cast<EnvVfs*>(v->pAppData)->env_; }
  static uint64_t id(sqlite3_vfs* v) { return static_cast<EnvVfs*>(v->pAppData)->id_; }
  static sqlite3_vfs* base(sqlite3_vfs* v) { return static_cast<EnvVfs*>(v->pAppData)->base_; }
};

namespace {

// One file as SQLite sees it. SQLite allocates szOsFile bytes for it: this
// struct, then the default VFS's file at kRealOffset.
struct VfsFile {
  sqlite3_file base;   // first, so a sqlite3_file* is a VfsFile*
  sqlite3_file* real;  // the default VFS's file: locks, shm, file controls
  File* file;          // the Env file (owned), or null: `real` does everything
  Env* env;
  const char* path;  // SQLite keeps it valid until xClose
  uint64_t vfs_id;
  bool write;
  bool sync_dir;  // a journal or WAL opened with CREATE: sync its dir at the first xSync
};
constexpr size_t kRealOffset = (sizeof(VfsFile) + 15) & ~size_t{15};

VfsFile* Of(sqlite3_file* f) { return reinterpret_cast<VfsFile*>(f); }
sqlite3_file* Real(sqlite3_file* f) { return Of(f)->real; }

// NoSpace is SQLITE_FULL; every other failure is the given SQLITE_IOERR_*.
int Code(const Status& s, int ioerr) {
  return s.code() == Status::Code::kNoSpace ? SQLITE_FULL : ioerr;
}

std::string ParentDir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Env files by path, across every EnvVfs of the process (see the header): a
// closed file is parked while the path is still open, reused by the next open
// through the same EnvVfs, and closed with the last one.
struct Parked {
  uint64_t vfs_id;
  bool write;
  std::unique_ptr<File> file;
};
struct PathFiles {
  int open = 0;  // VfsFiles open on this path
  std::vector<Parked> parked;
};
std::mutex& PathsMu() {
  static auto* mu = new std::mutex;
  return *mu;
}
std::map<std::string, PathFiles>& Paths() {  // guarded by PathsMu()
  static auto* paths = new std::map<std::string, PathFiles>;
  return *paths;
}

Result<std::unique_ptr<File>> TakeFile(const VfsFile& p, bool create, bool exclusive) {
  std::lock_guard<std::mutex> l(PathsMu());
  PathFiles& pf = Paths()[p.path];
  for (auto it = pf.parked.begin(); it != pf.parked.end() && !exclusive; ++it) {
    if (it->vfs_id != p.vfs_id || it->write != p.write) continue;
    std::unique_ptr<File> f = std::move(it->file);
    pf.parked.erase(it);
    ++pf.open;
    return f;
  }
  auto f =
      p.env->Open(p.path, OpenOptions{.write = p.write, .create = create, .exclusive = exclusive});
  if (f) {
    ++pf.open;
  } else if (pf.open == 0 && pf.parked.empty()) {
    Paths().erase(p.path);
  }
  return f;
}

void GiveBack(VfsFile* p) {
  std::unique_ptr<File> f(p->file);
  p->file = nullptr;
  std::lock_guard<std::mutex> l(PathsMu());
  auto it = Paths().find(p->path);
  if (it == Paths().end()) return;  // cannot happen; `f` closes
  if (--it->second.open > 0) {
    it->second.parked.push_back(Parked{p->vfs_id, p->write, std::move(f)});
  } else {
    Paths().erase(it);  // closes the parked files; `f` closes too
  }
}

// io methods. With no Env file, everything goes to the default VFS's file.

int Close(sqlite3_file* f) try {
  VfsFile* p = Of(f);
  int rc = p->real->pMethods->xClose(p->real);
  if (p->file != nullptr) GiveBack(p);
  return rc;
} catch (...) {
  return SQLITE_IOERR_CLOSE;
}

int Read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) try {
  VfsFile* p = Of(f);
  if (p->file == nullptr) return p->real->pMethods->xRead(p->real, buf, n, off);
  auto r = p->file->PRead(static_cast<uint64_t>(off), buf, static_cast<size_t>(n));
  if (!r) return Code(r.error(), SQLITE_IOERR_READ);
  if (*r < static_cast<size_t>(n)) {
    // SQLite requires the rest zeroed on a short read.
    std::memset(static_cast<char*>(buf) + *r, 0, static_cast<size_t>(n) - *r);
    return SQLITE_IOERR_SHORT_READ;
  }
  return SQLITE_OK;
} catch (...) {
  return SQLITE_IOERR_READ;
}

int Write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) try {
  VfsFile* p = Of(f);
  if (p->file == nullptr) return p->real->pMethods->xWrite(p->real, buf, n, off);
  Status s = p->file->PWrite(static_cast<uint64_t>(off), buf, static_cast<size_t>(n));
  return s.ok() ? SQLITE_OK : Code(s, SQLITE_IOERR_WRITE);
} catch (...) {
  return SQLITE_IOERR_WRITE;
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) try {
  VfsFile* p = Of(f);
  if (p->file == nullptr) return p->real->pMethods->xTruncate(p->real, size);
  Status s = p->file->Truncate(static_cast<uint64_t>(size));
  return s.ok() ? SQLITE_OK : Code(s, SQLITE_IOERR_TRUNCATE);
} catch (...) {
  return SQLITE_IOERR_TRUNCATE;
}

int Sync(sqlite3_file* f, int flags) try {
  VfsFile* p = Of(f);
  if (p->file == nullptr) return p->real->pMethods->xSync(p->real, flags);
  Status s = p->file->Sync();
  if (!s.ok()) return Code(s, SQLITE_IOERR_FSYNC);
  if (p->sync_dir) {
    // As the unix VFS does, so that a new WAL or journal survives a power
    // loss; unlike it, a failure is reported.
    s = p->env->SyncDir(ParentDir(p->path));
    if (!s.ok()) return Code(s, SQLITE_IOERR_DIR_FSYNC);
    p->sync_dir = false;
  }
  return SQLITE_OK;
} catch (...) {
  return SQLITE_IOERR_FSYNC;
}

int FileSize(sqlite3_file* f, sqlite3_int64* size) try {
  VfsFile* p = Of(f);
  if (p->file == nullptr) return p->real->pMethods->xFileSize(p->real, size);
  auto r = p->file->Size();
  if (!r) return Code(r.error(), SQLITE_IOERR_FSTAT);
  *size = static_cast<sqlite3_int64>(*r);
  return SQLITE_OK;
} catch (...) {
  return SQLITE_IOERR_FSTAT;
}

int FileControl(sqlite3_file* f, int op, void* arg) {
  // Size hints would make the default VFS grow its own descriptor's file,
  // bypassing the Env; they are only hints, so they are dropped.
  if (Of(f)->file != nullptr && (op == SQLITE_FCNTL_SIZE_HINT || op == SQLITE_FCNTL_CHUNK_SIZE))
    return SQLITE_OK;
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}

int Lock(sqlite3_file* f, int level) { return Real(f)->pMethods->xLock(Real(f), level); }
int Unlock(sqlite3_file* f, int level) { return Real(f)->pMethods->xUnlock(Real(f), level); }
int CheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) {
  int caps = Real(f)->pMethods->xDeviceCharacteristics(Real(f));
  // Batch-atomic writes are ioctls on the default VFS's descriptor; ours
  // would write outside the batch.
  return Of(f)->file != nullptr ? caps & ~SQLITE_IOCAP_BATCH_ATOMIC : caps;
}
int ShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), region, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShmUnmap(sqlite3_file* f, int del) { return Real(f)->pMethods->xShmUnmap(Real(f), del); }

// Version 2: no xFetch, so SQLite never reads through a memory map of the
// default VFS's descriptor.
const sqlite3_io_methods kMethods = {
    .iVersion = 2,
    .xClose = Close,
    .xRead = Read,
    .xWrite = Write,
    .xTruncate = Truncate,
    .xSync = Sync,
    .xFileSize = FileSize,
    .xLock = Lock,
    .xUnlock = Unlock,
    .xCheckReservedLock = CheckReservedLock,
    .xFileControl = FileControl,
    .xSectorSize = SectorSize,
    .xDeviceCharacteristics = DeviceCharacteristics,
    .xShmMap = ShmMap,
    .xShmLock = ShmLock,
    .xShmBarrier = ShmBarrier,
    .xShmUnmap = ShmUnmap,
    .xFetch = nullptr,
    .xUnfetch = nullptr,
};

// vfs methods.

int Open(sqlite3_vfs* v, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) try {
  VfsFile* p = Of(f);
  std::memset(p, 0, sizeof *p);  // pMethods stays null unless the open succeeds
  p->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kRealOffset);
  p->real->pMethods = nullptr;
  const int type =
      flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_WAL |
               SQLITE_OPEN_SUPER_JOURNAL | SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_TRANSIENT_DB |
               SQLITE_OPEN_TEMP_JOURNAL | SQLITE_OPEN_SUBJOURNAL);
  const bool via_env = name != nullptr && (flags & SQLITE_OPEN_DELETEONCLOSE) == 0 &&
                       (type == SQLITE_OPEN_MAIN_DB || type == SQLITE_OPEN_MAIN_JOURNAL ||
                        type == SQLITE_OPEN_WAL || type == SQLITE_OPEN_SUPER_JOURNAL);
  int real_flags = flags;
  if (via_env) {
    p->env = EnvVfsAccess::env(v);
    p->path = name;
    p->vfs_id = EnvVfsAccess::id(v);
    p->write = (flags & SQLITE_OPEN_READWRITE) != 0;
    // The Env opens (and creates) first, so a test Env sees which files are new.
    auto file =
        TakeFile(*p, (flags & SQLITE_OPEN_CREATE) != 0, (flags & SQLITE_OPEN_EXCLUSIVE) != 0);
    if (!file && p->write && !file.error().IsNotFound() && !file.error().IsAlreadyExists()) {
      // Like the unix VFS: what cannot be opened read-write is opened read-only.
      p->write = false;
      file = TakeFile(*p, false, false);
      real_flags = (flags & ~(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_READONLY;
    }
    if (!file) return SQLITE_CANTOPEN;
    p->file = file->release();
    real_flags &= ~SQLITE_OPEN_EXCLUSIVE;  // the file exists now
    p->sync_dir = (real_flags & SQLITE_OPEN_CREATE) != 0 && type != SQLITE_OPEN_MAIN_DB;
  }
  sqlite3_vfs* base = EnvVfsAccess::base(v);
  int rc = base->xOpen(base, name, p->real, real_flags, out_flags);
  if (rc != SQLITE_OK) {
    if (p->real->pMethods != nullptr) p->real->pMethods->xClose(p->real);
    if (p->file != nullptr) GiveBack(p);
    return rc;
  }
  p->base.pMethods = &kMethods;
  return SQLITE_OK;
} catch (...) {
  return SQLITE_CANTOPEN;
}

int Delete(sqlite3_vfs* v, const char* name, int dir_sync) try {
  {
    // Parked descriptors of this path would point at the deleted file.
    std::lock_guard<std::mutex> l(PathsMu());
    auto it = Paths().find(name);
    if (it != Paths().end()) it->second.parked.clear();
  }
  Env* env = EnvVfsAccess::env(v);
  Status s = env->Remove(name);
  if (!s.ok()) return s.IsNotFound() ? SQLITE_IOERR_DELETE_NOENT : SQLITE_IOERR_DELETE;
  if (dir_sync && !env->SyncDir(ParentDir(name)).ok()) return SQLITE_IOERR_DIR_FSYNC;
  return SQLITE_OK;
} catch (...) {
  return SQLITE_IOERR_DELETE;
}

// Everything else is the default VFS's.
sqlite3_vfs* B(sqlite3_vfs* v) { return EnvVfsAccess::base(v); }
int Access(sqlite3_vfs* v, const char* name, int flags, int* out) {
  return B(v)->xAccess(B(v), name, flags, out);
}
int FullPathname(sqlite3_vfs* v, const char* name, int n, char* out) {
  return B(v)->xFullPathname(B(v), name, n, out);
}
void* DlOpen(sqlite3_vfs* v, const char* name) { return B(v)->xDlOpen(B(v), name); }
void DlError(sqlite3_vfs* v, int n, char* msg) { B(v)->xDlError(B(v), n, msg); }
void (*DlSym(sqlite3_vfs* v, void* h, const char* sym))(void) { return B(v)->xDlSym(B(v), h, sym); }
void DlClose(sqlite3_vfs* v, void* h) { B(v)->xDlClose(B(v), h); }
int Randomness(sqlite3_vfs* v, int n, char* out) { return B(v)->xRandomness(B(v), n, out); }
int Sleep(sqlite3_vfs* v, int us) { return B(v)->xSleep(B(v), us); }
int CurrentTime(sqlite3_vfs* v, double* out) { return B(v)->xCurrentTime(B(v), out); }
int GetLastError(sqlite3_vfs* v, int n, char* out) { return B(v)->xGetLastError(B(v), n, out); }
int CurrentTimeInt64(sqlite3_vfs* v, sqlite3_int64* out) {
  return B(v)->xCurrentTimeInt64(B(v), out);
}

// The registered VFSes, by Env.
std::mutex& VfsMu() {
  static auto* mu = new std::mutex;
  return *mu;
}
std::map<Env*, std::weak_ptr<EnvVfs>>& Vfses() {  // guarded by VfsMu()
  static auto* m = new std::map<Env*, std::weak_ptr<EnvVfs>>;
  return *m;
}
uint64_t next_vfs_id = 0;  // guarded by VfsMu()

}  // namespace

EnvVfs::EnvVfs(Env* env, std::string name, uint64_t id, sqlite3_vfs* base)
    : env_(env), name_(std::move(name)), id_(id), base_(base), vfs_(new sqlite3_vfs()) {
  vfs_->iVersion = base->iVersion >= 2 ? 2 : 1;
  vfs_->szOsFile = static_cast<int>(kRealOffset) + base->szOsFile;
  vfs_->mxPathname = base->mxPathname;
  vfs_->zName = name_.c_str();
  vfs_->pAppData = this;
  vfs_->xOpen = Open;
  vfs_->xDelete = Delete;
  vfs_->xAccess = Access;
  vfs_->xFullPathname = FullPathname;
  vfs_->xDlOpen = DlOpen;
  vfs_->xDlError = DlError;
  vfs_->xDlSym = DlSym;
  vfs_->xDlClose = DlClose;
  vfs_->xRandomness = Randomness;
  vfs_->xSleep = Sleep;
  vfs_->xCurrentTime = CurrentTime;
  vfs_->xGetLastError = GetLastError;
  if (vfs_->iVersion >= 2) vfs_->xCurrentTimeInt64 = CurrentTimeInt64;
}

Result<std::shared_ptr<EnvVfs>> EnvVfs::Acquire(Env* env) {
  std::shared_ptr<EnvVfs> vfs;  // outlives the lock: ~EnvVfs takes it
  int rc = SQLITE_OK;
  {
    std::lock_guard<std::mutex> l(VfsMu());
    std::weak_ptr<EnvVfs>& slot = Vfses()[env];
    if (auto live = slot.lock()) return live;
    sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
    if (base == nullptr) return Err(Status::IOError("sqlite has no default VFS"));
    uint64_t id = ++next_vfs_id;
    char name[64];
    std::snprintf(name, sizeof name, "seglake-env-%p-%" PRIu64, static_cast<void*>(env), id);
    vfs.reset(new EnvVfs(env, name, id, base));
    rc = sqlite3_vfs_register(vfs->vfs_.get(), 0);
    if (rc == SQLITE_OK) slot = vfs;
  }
  if (rc != SQLITE_OK) return Err(Status::IOError("sqlite3_vfs_register failed"));
  return vfs;
}

EnvVfs::~EnvVfs() {
  sqlite3_vfs_unregister(vfs_.get());
  std::lock_guard<std::mutex> l(VfsMu());
  auto it = Vfses().find(env_);
  if (it != Vfses().end() && it->second.expired()) Vfses().erase(it);
}

}  // namespace seglake::meta
