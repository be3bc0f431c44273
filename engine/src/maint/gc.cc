// Garbage collection of segments (DESIGN.md invariants 5 and 7): condemn the
// sealed segments nothing references, then delete those condemned before
// every live process's oldest reader started, carrying their log records
// into the deleting op's own record.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "object/engine_impl.h"
#include "segment/segment.h"
#include "segment/segment_format.h"

namespace seglake {
namespace {

using json = nlohmann::json;

// Leases published by other live processes (locks/<owner>.lease): the
// oldest reader start each reports, or 0 when one is live but its lease is
// missing or stale (then nothing may be deleted).
uint64_t OthersHorizon(Env* env, const std::string& lock_dir, uint64_t self_owner, uint64_t now) {
  auto names = env->ListDir(lock_dir);
  if (!names) return 0;
  uint64_t horizon = now;
  for (const auto& n : *names) {
    if (n.size() != 21 || n.compare(16, 5, ".lock") != 0) continue;
    uint64_t owner = std::strtoull(n.substr(0, 16).c_str(), nullptr, 16);
    if (owner == self_owner) continue;
    auto l = env->Lock(lock_dir + "/" + n, false);
    if (l) continue;  // nobody holds it: that process is gone
    if (!l.error().IsBusy()) return 0;
    auto f = env->Open(lock_dir + "/" + n.substr(0, 16) + ".lease", OpenOptions{});
    if (!f) return 0;
    char buf[64] = {};
    auto got = (*f)->PRead(0, buf, sizeof buf - 1);
    if (!got) return 0;
    unsigned long long oldest = 0, written = 0;
    if (std::sscanf(buf, "%llu %llu", &oldest, &written) != 2) return 0;
    if (written + 10'000'000'000ull < now) return 0;  // stale: that process may be stuck
    horizon = std::min<uint64_t>(horizon, oldest);
  }
  return horizon;
}

}  // namespace

Result<GcReport> EngineImpl::CollectGarbage(bool dry_run, uint64_t grace_ns) {
  GcReport rep;
  if (!dry_run) SEGLAKE_TRY(WritableCheck());
  // Sealed segments on disk with their sizes.
  std::map<uint64_t, uint64_t> sealed;
  {
    auto names = env_->ListDir(seg_dir_);
    if (!names) return Err(names.error());
    for (const auto& n : *names) {
      uint64_t id;
      if (!segment::ParseFileName(n, &id)) continue;
      auto f = files_.Get(id);
      if (!f || !segment::IsSealed(**f)) continue;
      auto size = (*f)->Size();
      if (size) sealed[id] = *size;
    }
  }
  struct Row {
    int64_t live = 0;
    uint64_t condemned = 0;
  };
  auto load = [&]() -> Result<std::map<uint64_t, Row>> {
    std::map<uint64_t, Row> rows;
    auto db = pool_.Get();
    auto st = db->Prepare("SELECT id, live_bytes, condemned_ns FROM segments");
    if (!st) return Err(st.error());
    for (;;) {
      auto r = st->Step();
      if (!r) return Err(r.error());
      if (!*r) break;
      rows[st->UInt(0)] = Row{st->Int(1), st->UInt(2)};
    }
    return rows;
  };
  auto rows = load();
  if (!rows) return Err(rows.error());
  json fresh = json::array();
  for (const auto& [id, size] : sealed) {
    auto it = rows->find(id);
    if (it != rows->end() && it->second.live != 0) continue;
    ++rep.candidates;
    if (it == rows->end() || it->second.condemned == 0) fresh.push_back(id);
  }
  uint64_t now = env_->NowNanos();
  if (!dry_run && !fresh.empty()) {
    rep.condemned = fresh.size();
    auto r = Commit(json{{"t", "gcc"}, {"segs", fresh}, {"ns", now}, {"mt", true}});
    if (!r) return Err(r.error());
    rows = load();
    if (!rows) return Err(rows.error());
  }
  // Deletable: condemned before every live reader anywhere started, and
  // longer ago than the grace period.
  uint64_t horizon = std::min({OldestRead(), OthersHorizon(env_, lock_dir_, owner_, now),
                               now > grace_ns ? now - grace_ns : 0});
  for (const auto& [id, row] : *rows) {
    auto s = sealed.find(id);
    if (s == sealed.end() || row.live != 0 || row.condemned == 0) continue;
    if (row.condemned >= horizon || dry_run) {
      ++rep.waiting;
      rep.waiting_bytes += s->second;
      continue;
    }
    // Its log records ride in this op's record.
    auto f = files_.Get(id);
    if (!f) return Err(f.error());
    std::vector<json> logs;
    auto scan = segment::Scan(**f, true, [&](uint64_t, const record::Header&, std::string_view p) {
      logs.push_back(json::binary(std::vector<uint8_t>(p.begin(), p.end())));
      return Status::OK();
    });
    if (!scan) return Err(scan.error());
    auto r = Commit(json{
        {"t", "gcd"}, {"seg", id}, {"horizon", horizon}, {"logs", std::move(logs)}, {"mt", true}});
    if (!r) {
      if (r.error().IsPreconditionFailed()) continue;  // referenced again meanwhile
      return Err(r.error());
    }
    SEGLAKE_TRY(env_->Remove(seg_dir_ + "/" + segment::FileName(id)));
    files_.Forget(id);
    ++rep.deleted;
    rep.bytes_freed += s->second;
  }
  if (!dry_run) {
    SEGLAKE_TRY(env_->SyncDir(seg_dir_));
    (void)RecordRun("gc", 0);
  }
  return rep;
}

}  // namespace seglake
