// Opening, recovering and closing an engine on a data dir.
#include <cinttypes>
#include <cstdio>
#include <random>
#include <set>

#include "object/engine_impl.h"
#include "segment/segment.h"
#include "segment/segment_format.h"

namespace seglake {

namespace {
std::string OwnerLockName(uint64_t owner) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016" PRIx64 ".lock", owner);
  return buf;
}
}  // namespace

Result<std::unique_ptr<Engine>> Engine::Open(const Options& options) {
  auto e = std::make_unique<EngineImpl>(options);
  Status s = e->Init();
  if (!s.ok()) return Err(s);
  return std::unique_ptr<Engine>(std::move(e));
}

EngineImpl::EngineImpl(const Options& o)
    : opt_(o),
      env_(o.env ? o.env : Env::Default()),
      dir_(o.data_dir),
      seg_dir_(o.data_dir + "/segments"),
      lock_dir_(o.data_dir + "/locks"),
      files_(env_, seg_dir_) {}

Status EngineImpl::Init() {
  if (dir_.empty()) return Status::InvalidArgument("no data dir given");
  if (!env_->Exists(dir_)) {
    if (!opt_.create_if_missing) return Status::NotFound("data dir does not exist: " + dir_);
    SEGLAKE_RETURN_IF_ERROR(env_->CreateDir(dir_));
  }
  bool fresh = !env_->Exists(dir_ + "/meta.db");
  if (fresh && env_->Exists(seg_dir_)) {
    auto segs = env_->ListDir(seg_dir_);
    if (!segs) return segs.error();
    for (const auto& n : *segs) {
      uint64_t id;
      if (segment::ParseFileName(n, &id))
        return Status::Corruption("meta.db is missing but segments exist in " + dir_ +
                                  ": run `seglake rebuild-index`");
    }
  }
  if (fresh && (!opt_.create_if_missing || opt_.read_only))
    return Status::NotFound("not a seglake data dir (no meta.db): " + dir_);
  if (opt_.read_only) {
    // Readers touch nothing: no lock, no recovery, no segment of their own.
    SEGLAKE_RETURN_IF_ERROR(
        pool_.Open(dir_ + "/meta.db", opt_.read_connections, opt_.busy_timeout_ms, env_));
    return Status::OK();
  }
  SEGLAKE_RETURN_IF_ERROR(env_->CreateDir(seg_dir_));
  SEGLAKE_RETURN_IF_ERROR(env_->CreateDir(lock_dir_));
  std::random_device rd;
  while (owner_ == 0) owner_ = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  auto lock = env_->Lock(lock_dir_ + "/" + OwnerLockName(owner_), false);
  if (!lock) return lock.error();
  owner_lock_ = std::move(*lock);
  SEGLAKE_RETURN_IF_ERROR(env_->SyncDir(lock_dir_));

  auto db = meta::OpenMetaDb(dir_ + "/meta.db", true, opt_.busy_timeout_ms, env_);
  if (!db) return db.error();
  if (fresh) SEGLAKE_RETURN_IF_ERROR(env_->SyncDir(dir_));
  SEGLAKE_RETURN_IF_ERROR(
      pool_.Open(dir_ + "/meta.db", opt_.read_connections, opt_.busy_timeout_ms, env_));
  SEGLAKE_RETURN_IF_ERROR(Recover(db->get()));
  segs_ = std::make_unique<segment::SegmentSet>(env_, seg_dir_, owner_, opt_.segment_target_bytes);
  committer_ = std::make_unique<Committer>(std::move(*db), segs_.get(), env_, owner_);
  if (opt_.background_thread) {
    PublishLease();
    bg_ = std::thread([this] { BackgroundLoop(); });
  }
  return Status::OK();
}

// Seals the open segments of writers that died: their owner lock is free.
Status EngineImpl::Recover(meta::Db* db) {
  auto names = env_->ListDir(seg_dir_);
  if (!names) return names.error();
  std::map<uint64_t, std::unique_ptr<FileLock>> dead;  // owner -> its lock, held
  std::set<uint64_t> alive;
  for (const auto& n : *names) {
    uint64_t id;
    if (!segment::ParseFileName(n, &id)) continue;
    std::string path = seg_dir_ + "/" + n;
    auto f = env_->Open(path, OpenOptions{.write = true});
    if (!f) return f.error();
    char hb[segment::kHeaderSize];
    auto r = (*f)->PRead(0, hb, sizeof hb);
    if (!r) return r.error();
    auto h = segment::DecodeHeader(std::string_view(hb, *r));
    if (!h) {
      // No header yet: a live engine is creating the file (the header follows
      // the exclusive create), or one died before syncing it. Either way
      // nothing references it, and its owner is unknown, so it stays:
      // removing it could unlink a live writer's new segment.
      // rebuild-index, which excludes every engine, removes leftovers.
      auto size = (*f)->Size();
      if (size && *size < segment::kHeaderSize) continue;
      return Status::Corruption("segment " + n + ": " + h.error().message());
    }
    if (h->owner == owner_ || alive.count(h->owner) || segment::IsSealed(**f)) continue;
    if (!dead.count(h->owner)) {
      auto lk = env_->Lock(lock_dir_ + "/" + OwnerLockName(h->owner), false);
      if (!lk) {
        if (lk.error().IsBusy()) {
          alive.insert(h->owner);
          continue;
        }
        return lk.error();
      }
      dead[h->owner] = std::move(*lk);
    }
    // A meta record is committed iff meta.db says its seq was committed by
    // its owner; the first one that is not marks where the writer failed.
    auto committed = [db](std::string_view payload) {
      LogRecord rec;
      if (!DecodeLogRecord(payload, &rec).ok()) return false;
      auto st = db->Prepare("SELECT owner FROM commits WHERE seq=?");
      if (!st) return true;  // cannot tell: keep the record
      st->Bind(1, rec.seq);
      auto row = st->Step();
      if (!row) return true;
      return *row && st->UInt(0) == rec.owner;
    };
    auto res = segment::RecoverAndSeal(f->get(), committed);
    if (!res) return Status::Corruption("segment " + n + ": " + res.error().message());
  }
  // Everything the dead owners wrote is sealed: drop their lock files.
  for (auto& [owner, lk] : dead) (void)env_->Remove(lock_dir_ + "/" + OwnerLockName(owner));
  return Status::OK();
}

std::shared_ptr<void> EngineImpl::HoldReads() {
  uint64_t t = env_->NowNanos();
  {
    std::lock_guard<std::mutex> l(reads_->mu);
    reads_->starts.insert(t);
  }
  return std::shared_ptr<void>(nullptr, [reads = reads_, t](void*) {
    std::lock_guard<std::mutex> l(reads->mu);
    reads->starts.erase(reads->starts.find(t));
  });
}

uint64_t EngineImpl::OldestRead() {
  uint64_t now = env_->NowNanos();
  std::lock_guard<std::mutex> l(reads_->mu);
  return reads_->starts.empty() ? now : std::min(now, *reads_->starts.begin());
}

// Tells GC in other processes how old this process's oldest reader is:
// locks/<owner>.lease holds "<oldest reader ns> <written ns>", rewritten
// every second by the background thread.
void EngineImpl::PublishLease() {
  if (opt_.read_only || owner_ == 0) return;
  std::string name = OwnerLockName(owner_);
  std::string path = lock_dir_ + "/" + name.substr(0, name.size() - 5) + ".lease";
  std::string text = std::to_string(OldestRead()) + " " + std::to_string(env_->NowNanos()) + "\n";
  auto f = env_->Open(path + ".tmp", OpenOptions{.write = true, .create = true});
  if (!f) return;
  if (!(*f)->Truncate(0).ok() || !(*f)->PWrite(0, text.data(), text.size()).ok()) return;
  f->reset();
  (void)env_->Rename(path + ".tmp", path);
}

void EngineImpl::BackgroundLoop() {
  std::unique_lock<std::mutex> l(bg_mu_);
  while (!stop_) {
    bg_cv_.wait_for(l, std::chrono::seconds(1));
    if (stop_) break;
    l.unlock();
    (void)segs_->SealIfIdle(opt_.segment_idle_seal_ms * 1'000'000ull + 1);
    PublishLease();
    l.lock();
  }
}

Status EngineImpl::Close() {
  if (closed_.exchange(true)) return Status::OK();
  {
    std::lock_guard<std::mutex> l(bg_mu_);
    stop_ = true;
  }
  bg_cv_.notify_all();
  if (bg_.joinable()) bg_.join();
  Status s;
  if (segs_) s = segs_->SealIfIdle(0);
  committer_.reset();
  // Our segments are all sealed (or, after a failure, left for recovery):
  // the lock file goes only when nothing of ours is open.
  if (s.ok() && segs_ && segs_->failure().ok()) {
    owner_lock_.reset();
    (void)env_->Remove(lock_dir_ + "/" + OwnerLockName(owner_));
  }
  if (!opt_.read_only && owner_ != 0) {
    std::string name = OwnerLockName(owner_);
    std::string lease = lock_dir_ + "/" + name.substr(0, name.size() - 5) + ".lease";
    if (env_->Exists(lease)) (void)env_->Remove(lease);
  }
  owner_lock_.reset();
  return s;
}

EngineImpl::~EngineImpl() { (void)Close(); }

Status EngineImpl::WritableCheck() const {
  if (closed_) return Status::InvalidArgument("engine is closed");
  if (opt_.read_only || !segs_) return Status::NotSupported("data dir opened read-only");
  return segs_->failure();
}

Result<meta::ApplyResult> EngineImpl::Commit(nlohmann::json op) {
  SEGLAKE_TRY(WritableCheck());
  return committer_->Commit(std::move(op));
}

Status EngineImpl::SealActiveSegment() {
  SEGLAKE_RETURN_IF_ERROR(WritableCheck());
  return segs_->SealIfIdle(0);
}

}  // namespace seglake
