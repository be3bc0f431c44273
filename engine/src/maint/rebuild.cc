// rebuild-index: meta.db from the segment logs alone (DESIGN.md invariant 7).
// Every committed op is a meta record carrying its seq; replaying them in seq
// order through meta::Apply reproduces the index.
#include <map>

#include "commit/committer.h"
#include "meta/apply.h"
#include "meta/db.h"
#include "seglake/engine.h"
#include "segment/segment.h"
#include "segment/segment_format.h"

namespace seglake {

namespace {
struct LoggedOp {
  uint64_t commit_ns = 0;
  uint64_t owner = 0;
  nlohmann::json op;
};
// Adds one log record; a GC op (gcd) also carries the records of the
// segment it deleted, added in turn.
Status AddLogged(std::string_view payload, std::map<uint64_t, LoggedOp>* ops, int depth) {
  if (depth > 64) return Status::Corruption("log records nested too deep");
  LogRecord rec;
  SEGLAKE_RETURN_IF_ERROR(DecodeLogRecord(payload, &rec));
  if (rec.op.is_object() && rec.op.value("t", "") == "gcd" && rec.op.contains("logs") &&
      rec.op["logs"].is_array()) {
    for (const auto& inner : rec.op["logs"]) {
      if (!inner.is_binary()) return Status::Corruption("gcd: a log that is not binary");
      const auto& b = inner.get_binary();
      SEGLAKE_RETURN_IF_ERROR(AddLogged(
          std::string_view(reinterpret_cast<const char*>(b.data()), b.size()), ops, depth + 1));
    }
    rec.op.erase("logs");  // replaying the op needs only its segment
  }
  auto it = ops->find(rec.seq);
  if (it == ops->end() || it->second.commit_ns < rec.commit_ns)
    (*ops)[rec.seq] = LoggedOp{rec.commit_ns, rec.owner, std::move(rec.op)};
  return Status::OK();
}

}  // namespace

Status RebuildIndex(const std::string& data_dir, Env* env) {
  if (env == nullptr) env = Env::Default();
  const std::string seg_dir = data_dir + "/segments", lock_dir = data_dir + "/locks";
  if (!env->Exists(seg_dir)) return Status::NotFound("no segments in " + data_dir);
  // Refuse while any engine has the dir open: every live owner holds a lock.
  std::vector<std::unique_ptr<FileLock>> held;
  if (env->Exists(lock_dir)) {
    auto locks = env->ListDir(lock_dir);
    if (!locks) return locks.error();
    for (const auto& n : *locks) {
      auto l = env->Lock(lock_dir + "/" + n, false);
      if (!l) {
        if (l.error().IsBusy()) return Status::Busy("the data dir is open by another process");
        return l.error();
      }
      held.push_back(std::move(*l));
    }
  }

  // seq -> op; for a seq logged twice (a commit that failed after its record
  // was written, then reused), the later commit is the one that happened.
  std::map<uint64_t, LoggedOp> ops;
  auto names = env->ListDir(seg_dir);
  if (!names) return names.error();
  for (const auto& n : *names) {
    uint64_t id;
    if (!segment::ParseFileName(n, &id)) continue;
    auto f = env->Open(seg_dir + "/" + n, OpenOptions{});
    if (!f) return f.error();
    // Created by an engine that died before writing its header (recovery
    // leaves these, as their owner is unknown; no engine runs now).
    auto size = (*f)->Size();
    if (size && *size < segment::kHeaderSize) {
      char hb[segment::kHeaderSize];
      auto got = (*f)->PRead(0, hb, sizeof hb);
      if (got && !segment::DecodeHeader(std::string_view(hb, *got))) {
        SEGLAKE_RETURN_IF_ERROR(env->Remove(seg_dir + "/" + n));
        continue;
      }
    }
    auto r = segment::Scan(**f, true, [&](uint64_t, const record::Header&, std::string_view p) {
      return AddLogged(p, &ops, 0);
    });
    if (!r) return Status::Corruption("segment " + n + ": " + r.error().message());
  }

  const std::string tmp = data_dir + "/meta.db.rebuild";
  for (const char* sfx : {"", "-wal", "-shm"})
    if (env->Exists(tmp + sfx)) SEGLAKE_RETURN_IF_ERROR(env->Remove(tmp + sfx));
  {
    auto db = meta::OpenMetaDb(tmp, true, 30'000, env);
    if (!db) return db.error();
    SEGLAKE_RETURN_IF_ERROR((*db)->Exec("BEGIN IMMEDIATE"));
    uint64_t max_seq = 0;
    for (auto& [seq, lo] : ops) {
      (void)(*db)->Exec("SAVEPOINT op");
      auto res = meta::Apply(db->get(), seq, lo.op);
      if (!res) {
        // An op that failed at commit time never reaches the log; one that
        // fails now means the log and this build disagree.
        (void)(*db)->Exec("ROLLBACK TO op");
        (void)(*db)->Exec("RELEASE op");
        (void)(*db)->Exec("ROLLBACK");
        return Status::Corruption("replay of seq " + std::to_string(seq) +
                                  " failed: " + res.error().ToString());
      }
      SEGLAKE_RETURN_IF_ERROR((*db)->Exec("RELEASE op"));
      auto st = (*db)->Prepare("INSERT OR REPLACE INTO commits(seq, owner) VALUES(?, ?)");
      if (!st) return st.error();
      SEGLAKE_RETURN_IF_ERROR(st->Bind(1, seq).Bind(2, lo.owner).Run());
      max_seq = seq;
    }
    SEGLAKE_RETURN_IF_ERROR(
        (*db)->Exec("UPDATE kv SET v=" + std::to_string(max_seq) + " WHERE k='seq'"));
    SEGLAKE_RETURN_IF_ERROR((*db)->Exec("COMMIT"));
    SEGLAKE_RETURN_IF_ERROR((*db)->Exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  }
  // Swap: keep the old index (with its WAL) beside the new one.
  const std::string live = data_dir + "/meta.db";
  const std::string old = live + ".old-" + std::to_string(env->NowNanos());
  for (const char* sfx : {"", "-wal", "-shm"})
    if (env->Exists(live + sfx)) SEGLAKE_RETURN_IF_ERROR(env->Rename(live + sfx, old + sfx));
  for (const char* sfx : {"-wal", "-shm"})
    if (env->Exists(tmp + sfx)) (void)env->Remove(tmp + sfx);
  SEGLAKE_RETURN_IF_ERROR(env->Rename(tmp, live));
  return env->SyncDir(data_dir);
}

}  // namespace seglake
