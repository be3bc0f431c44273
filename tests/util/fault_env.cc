#include "util/fault_env.h"

#include <algorithm>
#include <filesystem>
#include <utility>

namespace seglake::testing {

namespace {

std::string Normalize(const std::string& path) {
  std::string p = std::filesystem::path(path).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string ParentDir(const std::string& normalized) {
  size_t slash = normalized.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return normalized.substr(0, slash);
}

}  // namespace

// A file opened through FaultEnv: every call goes through the env's checks.
class FaultEnv::FaultFile : public File {
 public:
  FaultFile(FaultEnv* env, std::string path, std::unique_ptr<File> target)
      : env_(env), path_(std::move(path)), target_(std::move(target)) {}

  Status PWrite(uint64_t offset, const void* data, size_t n) override {
    return env_->FilePWrite(path_, target_.get(), offset, data, n);
  }
  Result<size_t> PRead(uint64_t offset, void* buf, size_t n) const override {
    if (env_->crashed()) return Err(env_->DeadStatus());
    return target_->PRead(offset, buf, n);
  }
  Status Sync() override { return env_->FileSync(path_, target_.get()); }
  Result<uint64_t> Size() const override {
    if (env_->crashed()) return Err(env_->DeadStatus());
    return target_->Size();
  }
  Status Truncate(uint64_t size) override { return env_->FileTruncate(path_, target_.get(), size); }
  // No descriptor: every access must pass through the checks above.
  int NativeHandle() const override { return -1; }

 private:
  FaultEnv* env_;
  std::string path_;
  std::unique_ptr<File> target_;
};

FaultEnv::FaultEnv(Env* target) : EnvWrapper(target ? target : Env::Default()) {}
FaultEnv::~FaultEnv() = default;

void FaultEnv::Arm(const Fault& fault) {
  std::lock_guard<std::mutex> l(mu_);
  fault_ = fault;
  armed_ = true;
  fired_ = false;
  matched_ = 0;
}

void FaultEnv::Disarm() {
  std::lock_guard<std::mutex> l(mu_);
  armed_ = false;
}

bool FaultEnv::fired() const {
  std::lock_guard<std::mutex> l(mu_);
  return fired_;
}

void FaultEnv::CrashNow() {
  std::lock_guard<std::mutex> l(mu_);
  crashed_ = true;
}

bool FaultEnv::crashed() const {
  std::lock_guard<std::mutex> l(mu_);
  return crashed_;
}

uint64_t FaultEnv::pwrite_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return pwrites_;
}

uint64_t FaultEnv::sync_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return syncs_;
}

uint64_t FaultEnv::syncdir_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return syncdirs_;
}

uint64_t FaultEnv::matched_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return matched_;
}

Status FaultEnv::DeadStatus() const { return Status::IOError("FaultEnv: process crashed"); }

Status FaultEnv::CountAndCheck(Fault::Op op, const std::string& path, size_t* short_bytes) {
  uint64_t* counter = op == Fault::Op::kPWrite ? &pwrites_
                      : op == Fault::Op::kSync ? &syncs_
                                               : &syncdirs_;
  ++*counter;
  const std::string& sfx = fault_.path_suffix;
  bool match = armed_ && op == fault_.op &&
               (sfx.empty() || (path.size() >= sfx.size() &&
                                path.compare(path.size() - sfx.size(), sfx.size(), sfx) == 0));
  if (match) ++matched_;
  if (crashed_) return DeadStatus();
  if (match && !fired_ && matched_ == fault_.nth) {
    fired_ = true;
    if (fault_.crash) crashed_ = true;
    if (short_bytes) *short_bytes = fault_.short_write_bytes;
    return fault_.status;
  }
  return Status::OK();
}

Result<std::unique_ptr<File>> FaultEnv::Open(const std::string& path, OpenOptions opts) {
  std::string p = Normalize(path);
  std::lock_guard<std::mutex> l(mu_);
  if (crashed_) return Err(DeadStatus());
  bool existed = target()->Exists(p);
  auto f = target()->Open(p, opts);
  if (!f) return f;
  if (opts.write) {
    if (opts.create && !existed) new_files_[ParentDir(p)].insert(p);
    if (files_.find(p) == files_.end()) {
      auto size = (*f)->Size();
      if (!size) return Err(size.error());
      FileState st;
      st.size = st.synced_size = existed ? *size : 0;
      files_[p] = std::move(st);
    }
  }
  return std::unique_ptr<File>(new FaultFile(this, p, std::move(*f)));
}

Status FaultEnv::FilePWrite(const std::string& path, File* f, uint64_t off, const void* data,
                            size_t n) {
  std::lock_guard<std::mutex> l(mu_);
  size_t short_bytes = 0;
  Status injected = CountAndCheck(Fault::Op::kPWrite, path, &short_bytes);
  if (crashed_ && injected.ok()) return DeadStatus();
  size_t to_write = n;
  if (!injected.ok()) {
    to_write = n == 0 ? 0 : std::min(short_bytes, n - 1);
    if (to_write == 0) return injected;
  }
  FileState* st = nullptr;
  auto it = files_.find(path);
  if (it != files_.end()) st = &it->second;
  if (st && off < st->synced_size && to_write > 0) {
    uint64_t end = std::min<uint64_t>(off + to_write, st->synced_size);
    std::string old(end - off, '\0');
    auto r = f->PRead(off, old.data(), old.size());
    if (!r) return r.error();
    old.resize(*r);
    st->undo.emplace_back(off, std::move(old));
  }
  Status s = f->PWrite(off, data, to_write);
  if (s.ok() && st) st->size = std::max<uint64_t>(st->size, off + to_write);
  if (!injected.ok()) return injected;
  return s;
}

Status FaultEnv::FileSync(const std::string& path, File* f) {
  uint64_t size_before = 0;
  size_t undo_before = 0;
  {
    std::lock_guard<std::mutex> l(mu_);
    Status injected = CountAndCheck(Fault::Op::kSync, path, nullptr);
    if (!injected.ok()) return injected;
    auto it = files_.find(path);
    if (it != files_.end()) {
      size_before = it->second.size;
      undo_before = it->second.undo.size();
    }
  }
  Status s = f->Sync();
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  auto it = files_.find(path);
  if (it != files_.end()) {
    FileState& st = it->second;
    st.synced_size = std::min(size_before, st.size);
    undo_before = std::min(undo_before, st.undo.size());
    st.undo.erase(st.undo.begin(), st.undo.begin() + static_cast<ptrdiff_t>(undo_before));
  }
  return s;
}

Status FaultEnv::FileTruncate(const std::string& path, File* f, uint64_t size) {
  std::lock_guard<std::mutex> l(mu_);
  if (crashed_) return DeadStatus();
  auto it = files_.find(path);
  if (it != files_.end() && size < it->second.synced_size) {
    // A power loss before the next Sync may bring the cut bytes back.
    std::string old(it->second.synced_size - size, '\0');
    auto r = f->PRead(size, old.data(), old.size());
    if (!r) return r.error();
    old.resize(*r);
    it->second.undo.emplace_back(size, std::move(old));
  }
  Status s = f->Truncate(size);
  if (s.ok() && it != files_.end()) it->second.size = size;
  return s;
}

Status FaultEnv::CreateDir(const std::string& path) {
  if (crashed()) return DeadStatus();
  return target()->CreateDir(path);
}

Status FaultEnv::SyncDir(const std::string& path) {
  std::string p = Normalize(path);
  {
    std::lock_guard<std::mutex> l(mu_);
    Status injected = CountAndCheck(Fault::Op::kSyncDir, p, nullptr);
    if (!injected.ok()) return injected;
  }
  Status s = target()->SyncDir(p);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  new_files_.erase(p);
  return s;
}

Status FaultEnv::Rename(const std::string& from, const std::string& to) {
  std::string f = Normalize(from), t = Normalize(to);
  std::lock_guard<std::mutex> l(mu_);
  if (crashed_) return DeadStatus();
  Status s = target()->Rename(f, t);
  if (!s.ok()) return s;
  files_.erase(t);
  auto node = files_.extract(f);
  if (!node.empty()) {
    node.key() = t;
    files_.insert(std::move(node));
  }
  auto dir = new_files_.find(ParentDir(f));
  if (dir != new_files_.end() && dir->second.erase(f) > 0) new_files_[ParentDir(t)].insert(t);
  return s;
}

Status FaultEnv::Remove(const std::string& path) {
  std::string p = Normalize(path);
  std::lock_guard<std::mutex> l(mu_);
  if (crashed_) return DeadStatus();
  Status s = target()->Remove(p);
  if (!s.ok()) return s;
  files_.erase(p);
  auto dir = new_files_.find(ParentDir(p));
  if (dir != new_files_.end()) dir->second.erase(p);
  return s;
}

Result<std::vector<std::string>> FaultEnv::ListDir(const std::string& path) {
  if (crashed()) return Err(DeadStatus());
  return target()->ListDir(path);
}

bool FaultEnv::Exists(const std::string& path) {
  if (crashed()) return false;
  return target()->Exists(path);
}

Result<std::unique_ptr<FileLock>> FaultEnv::Lock(const std::string& path, bool wait) {
  if (crashed()) return Err(DeadStatus());
  return target()->Lock(path, wait);
}

Status FaultEnv::DiskSpace(const std::string& path, uint64_t* free_bytes, uint64_t* total_bytes) {
  if (crashed()) return DeadStatus();
  return target()->DiskSpace(path, free_bytes, total_bytes);
}

Status FaultEnv::SimulatePowerLoss() {
  std::lock_guard<std::mutex> l(mu_);
  Status result;
  for (auto& [dir, names] : new_files_) {
    for (const auto& name : names) {
      files_.erase(name);
      if (!target()->Exists(name)) continue;
      Status s = target()->Remove(name);
      if (!s.ok() && result.ok()) result = s;
    }
  }
  for (auto& [path, st] : files_) {
    if (!target()->Exists(path)) continue;
    OpenOptions o;
    o.write = true;
    auto f = target()->Open(path, o);
    if (!f) {
      if (result.ok()) result = f.error();
      continue;
    }
    for (auto u = st.undo.rbegin(); u != st.undo.rend(); ++u) {
      Status s = (*f)->PWrite(u->first, u->second.data(), u->second.size());
      if (!s.ok() && result.ok()) result = s;
    }
    auto size = (*f)->Size();
    if (size && *size > st.synced_size) {
      Status s = (*f)->Truncate(st.synced_size);
      if (!s.ok() && result.ok()) result = s;
    }
    Status s = (*f)->Sync();
    if (!s.ok() && result.ok()) result = s;
  }
  files_.clear();
  new_files_.clear();
  armed_ = fired_ = crashed_ = false;
  return result;
}

}  // namespace seglake::testing
