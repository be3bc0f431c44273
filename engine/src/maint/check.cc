// fsck, scrub, snapshot, upload expiry and maintenance mode: the engine's
// maintenance operations, each safe while other processes use the data dir.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "meta/codec.h"
#include "object/engine_impl.h"
#include "record/record.h"
#include "segment/segment.h"
#include "segment/segment_format.h"

namespace seglake {
namespace {

using json = nlohmann::json;

struct SegInfo {
  uint64_t end = 0;  // where records end: the footer when sealed, else the size
  bool sealed = false;
  uint64_t owner = 0;
};

void Report(std::vector<Problem>* out, std::string kind, const std::string& bucket,
            const std::string& key, const std::string& vid, uint64_t seg, std::string detail) {
  out->push_back(Problem{std::move(kind), bucket, key, vid, seg, std::move(detail)});
}

// Whether [a, a+n) meets [b, b+m).
bool Overlaps(uint64_t a, uint64_t n, uint64_t b, uint64_t m) { return a < b + m && b < a + n; }

// The segments on disk and where their records end.
Result<std::map<uint64_t, SegInfo>> ListSegments(EngineImpl* e, const std::string& seg_dir) {
  std::map<uint64_t, SegInfo> segs;
  auto names = e->env()->ListDir(seg_dir);
  if (!names) return Err(names.error());
  for (const auto& n : *names) {
    uint64_t id;
    if (!segment::ParseFileName(n, &id)) continue;
    auto f = e->files()->Get(id);
    if (!f) continue;  // removed meanwhile
    SegInfo s;
    auto end = segment::SealedDataEnd(**f);
    if (end) {
      s.end = *end;
      s.sealed = true;
    } else {
      auto size = (*f)->Size();
      if (!size) return Err(size.error());
      s.end = *size;
    }
    char hb[segment::kHeaderSize];
    auto got = (*f)->PRead(0, hb, sizeof hb);
    if (got) {
      auto h = segment::DecodeHeader(std::string_view(hb, *got));
      if (h) s.owner = h->owner;
    }
    segs[id] = s;
  }
  return segs;
}

}  // namespace

Result<FsckReport> EngineImpl::Fsck(const ProgressFn& progress) {
  FsckReport rep;
  auto db = pool_.Get();
  // One read transaction: every query sees the same commit, and segments
  // listed after it started hold everything it references.
  SEGLAKE_TRY(db->Exec("BEGIN"));
  struct EndTxn {
    meta::Db* db;
    ~EndTxn() { (void)db->Exec("COMMIT"); }
  } end_txn{db.get()};
  uint64_t total = 0;
  {
    auto st = db->Prepare("SELECT (SELECT COUNT(*) FROM versions) + (SELECT COUNT(*) FROM parts)");
    if (!st) return Err(st.error());
    auto r = st->Step();
    if (!r) return Err(r.error());
    total = st->UInt(0);
  }
  auto segs = ListSegments(this, seg_dir_);
  if (!segs) return Err(segs.error());
  rep.segments = segs->size();
  for (const auto& [id, s] : *segs) {
    if (s.sealed || s.owner == owner_) continue;
    char name[40];
    std::snprintf(name, sizeof name, "%016llx.lock", static_cast<unsigned long long>(s.owner));
    auto l = env_->Lock(lock_dir_ + "/" + name, false);
    if (l) {  // nobody holds its owner's lock: a dead writer not yet recovered
      Report(&rep.problems, "unsealed-dead-segment", "", "", "", id,
             "open segment of a writer that is gone; the next open recovers it");
      (*l).reset();
      // The check created the lock file if it was missing: leave none behind.
      (void)env_->Remove(lock_dir_ + "/" + name);
    }
  }
  std::set<std::string> buckets;
  {
    auto st = db->Prepare("SELECT name FROM buckets");
    if (!st) return Err(st.error());
    for (;;) {
      auto r = st->Step();
      if (!r) return Err(r.error());
      if (!*r) break;
      buckets.insert(st->Text(0));
    }
  }

  uint64_t done = 0;
  std::map<uint64_t, int64_t> refs;  // recounted referenced bytes per segment
  auto check_manifest = [&](const std::string& bucket, const std::string& key,
                            const std::string& vid, std::string_view blob,
                            uint64_t size) -> Status {
    auto m = Manifest::Decode(blob);
    if (!m) {
      Report(&rep.problems, "manifest-corrupt", bucket, key, vid, 0, m.error().message());
      return Status::OK();
    }
    if (m->size() != size)
      Report(&rep.problems, "size-mismatch", bucket, key, vid, 0,
             "manifest covers " + std::to_string(m->size()) + " bytes, version says " +
                 std::to_string(size));
    for (const Extent& x : m->extents()) {
      if (x.is_hole()) continue;
      ++rep.extents;
      refs[x.segment] += static_cast<int64_t>(x.length);
      auto s = segs->find(x.segment);
      if (s == segs->end()) {
        Report(&rep.problems, "missing-segment", bucket, key, vid, x.segment,
               "segment file is missing");
        continue;
      }
      if (x.offset < segment::kHeaderSize + record::kHeaderSize ||
          x.offset + x.length > s->second.end) {
        Report(&rep.problems, "extent-out-of-bounds", bucket, key, vid, x.segment,
               "extent [" + std::to_string(x.offset) + ", +" + std::to_string(x.length) +
                   ") outside the segment's records (end " + std::to_string(s->second.end) + ")");
        continue;
      }
      // Where the extent starts a record, its header must describe it.
      auto f = files_.Get(x.segment);
      if (!f) return f.error();
      char hb[record::kHeaderSize];
      auto got = (*f)->PRead(x.offset - record::kHeaderSize, hb, sizeof hb);
      if (!got) return got.error();
      auto h = record::DecodeHeader(std::string_view(hb, *got));
      if (h && h->type == record::Type::kData) {
        ++rep.records_checked;
        if (x.length > h->length)
          Report(&rep.problems, "bad-record-header", bucket, key, vid, x.segment,
                 "extent runs past its record at " + std::to_string(x.offset));
      }
    }
    return Status::OK();
  };

  {
    auto st = db->Prepare(
        "SELECT bucket, key, version_id, size, manifest, delete_marker FROM versions ORDER BY id");
    if (!st) return Err(st.error());
    for (;;) {
      auto r = st->Step();
      if (!r) return Err(r.error());
      if (!*r) break;
      ++rep.versions;
      std::string bucket = st->Text(0), key = st->Blob(1), vid = st->Text(2);
      if (!buckets.count(bucket))
        Report(&rep.problems, "missing-bucket", bucket, key, vid, 0, "version of no bucket");
      if (st->Int(5) == 0) SEGLAKE_TRY(check_manifest(bucket, key, vid, st->Blob(4), st->UInt(3)));
      if (progress && (++done % 1024) == 0 && !progress(done, total))
        return Err(Status::Busy("stopped"));
    }
  }
  {
    auto st = db->Prepare(
        "SELECT p.upload_id, p.part_number, p.size, p.manifest, u.upload_id, u.bucket, u.key "
        "FROM parts p LEFT JOIN uploads u ON u.upload_id = p.upload_id");
    if (!st) return Err(st.error());
    for (;;) {
      auto r = st->Step();
      if (!r) return Err(r.error());
      if (!*r) break;
      ++rep.parts;
      std::string upload = st->Text(0);
      std::string part = "part " + std::to_string(st->Int(1));
      if (st->IsNull(4)) {
        Report(&rep.problems, "orphan-part", "", "", upload, 0, part + " of no upload");
        continue;
      }
      SEGLAKE_TRY(check_manifest(st->Text(5), st->Blob(6), upload, st->Blob(3), st->UInt(2)));
      if (progress && (++done % 1024) == 0 && !progress(done, total))
        return Err(Status::Busy("stopped"));
    }
  }
  {
    auto st = db->Prepare(
        "SELECT c.bucket, c.key, v.id, v.bucket, v.key, v.delete_marker FROM current c "
        "LEFT JOIN versions v ON v.id = c.vrow");
    if (!st) return Err(st.error());
    for (;;) {
      auto r = st->Step();
      if (!r) return Err(r.error());
      if (!*r) break;
      std::string bucket = st->Text(0), key = st->Blob(1);
      if (st->IsNull(2)) {
        Report(&rep.problems, "dangling-current", bucket, key, "", 0,
               "current points at no version");
      } else if (st->Text(3) != bucket || st->Blob(4) != key || st->Int(5) != 0) {
        Report(&rep.problems, "current-mismatch", bucket, key, "", 0,
               "current points at another key's version or a delete marker");
      }
    }
  }
  {
    auto st =
        db->Prepare("SELECT (SELECT v FROM kv WHERE k='seq'), (SELECT MAX(seq) FROM versions)");
    if (!st) return Err(st.error());
    auto r = st->Step();
    if (!r) return Err(r.error());
    if (!st->IsNull(1) && st->UInt(1) > st->UInt(0))
      Report(&rep.problems, "seq-behind", "", "", "", 0,
             "kv.seq " + std::to_string(st->UInt(0)) + " is below a version's seq " +
                 std::to_string(st->UInt(1)));
  }
  if (progress) progress(total, total);
  (void)RecordRun("fsck", rep.problems.size());
  return rep;
}

Result<ScrubReport> EngineImpl::Scrub(bool mark, const ProgressFn& progress) {
  ScrubReport rep;
  auto segs = ListSegments(this, seg_dir_);
  if (!segs) return Err(segs.error());
  uint64_t total = 0, done = 0;
  for (const auto& [id, s] : *segs) total += s.end;
  // Bad byte ranges per segment.
  std::map<uint64_t, std::vector<std::pair<uint64_t, uint64_t>>> bad;
  std::string payload;
  for (const auto& [id, s] : *segs) {
    ++rep.segments;
    auto f = files_.Get(id);
    if (!f) return Err(f.error());
    uint64_t pos = segment::kHeaderSize;
    while (pos + record::kHeaderSize <= s.end) {
      char hb[record::kHeaderSize];
      auto got = (*f)->PRead(pos, hb, sizeof hb);
      if (!got) return Err(got.error());
      auto h = record::DecodeHeader(std::string_view(hb, *got));
      uint64_t next = h ? pos + record::kHeaderSize + h->length : 0;
      if (!h || next > s.end) {
        // An unsealed segment may end in a record still being written.
        if (s.sealed) {
          ++rep.bad_records;
          bad[id].emplace_back(pos, s.end - pos);
          Report(&rep.problems, "unreadable-record", "", "", "", id,
                 "no valid record at " + std::to_string(pos) + " of a sealed segment");
        }
        break;
      }
      payload.resize(h->length);
      auto pn = (*f)->PRead(pos + record::kHeaderSize, payload.data(), payload.size());
      if (!pn) return Err(pn.error());
      Status ok = record::VerifyPayload(*h, payload);
      if (!ok.ok() && !s.sealed) {
        // Perhaps a record being written right now: look again.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        pn = (*f)->PRead(pos + record::kHeaderSize, payload.data(), payload.size());
        if (!pn) return Err(pn.error());
        ok = record::VerifyPayload(*h, payload);
      }
      rep.bytes += h->length;
      if (!ok.ok()) {
        ++rep.bad_records;
        bad[id].emplace_back(pos + record::kHeaderSize, h->length);
        Report(&rep.problems, "crc-mismatch", "", "", "", id,
               "record at " + std::to_string(pos) + " fails its CRC32C");
      }
      done += next - pos;
      pos = next;
      if (progress && !progress(done, total)) return Err(Status::Busy("stopped"));
    }
  }
  if (bad.empty()) {
    if (progress) progress(total, total);
    (void)RecordRun("scrub", 0);
    return rep;
  }
  // The versions and parts over a bad range.
  auto touches = [&](std::string_view blob) {
    auto m = Manifest::Decode(blob);
    if (!m) return false;
    for (const Extent& x : m->extents()) {
      auto b = bad.find(x.segment);
      if (x.is_hole() || b == bad.end()) continue;
      for (auto& [off, len] : b->second)
        if (Overlaps(x.offset, x.length, off, len)) return true;
    }
    return false;
  };
  std::vector<json> marks;
  {
    auto db = pool_.Get();
    auto st = db->Prepare(
        "SELECT bucket, key, version_id, manifest FROM versions WHERE delete_marker=0 ORDER BY id");
    if (!st) return Err(st.error());
    for (;;) {
      auto r = st->Step();
      if (!r) return Err(r.error());
      if (!*r) break;
      if (!touches(st->Blob(3))) continue;
      ++rep.damaged_versions;
      Report(&rep.problems, "damaged-version", st->Text(0), st->Blob(1), st->Text(2), 0,
             "reads a record that fails its CRC");
      marks.push_back(json{
          {"t", "dmg"}, {"b", st->Text(0)}, {"k", st->Blob(1)}, {"v", st->Text(2)}, {"mt", true}});
    }
    auto pt = db->Prepare("SELECT upload_id, part_number, manifest FROM parts");
    if (!pt) return Err(pt.error());
    for (;;) {
      auto r = pt->Step();
      if (!r) return Err(r.error());
      if (!*r) break;
      if (touches(pt->Blob(2)))
        Report(&rep.problems, "damaged-part", "", "", pt->Text(0), 0,
               "part " + std::to_string(pt->Int(1)) + " reads a record that fails its CRC");
    }
  }
  if (mark)
    for (json& op : marks) {
      auto r = Commit(std::move(op));
      if (!r) return Err(r.error());
    }
  if (progress) progress(total, total);
  (void)RecordRun("scrub", rep.problems.size());
  return rep;
}

Status EngineImpl::Snapshot(const std::string& dest, const ProgressFn& progress) {
  if (env_->Exists(dest)) return Status::AlreadyExists("snapshot destination exists: " + dest);
  SEGLAKE_RETURN_IF_ERROR(env_->CreateDir(dest));
  SEGLAKE_RETURN_IF_ERROR(env_->CreateDir(dest + "/segments"));
  SEGLAKE_RETURN_IF_ERROR(env_->CreateDir(dest + "/locks"));
  // The index first, as of one commit: segments copied afterwards hold every
  // byte it references (segments only grow), and the copy's recovery cuts
  // log records committed after it.
  {
    auto db = pool_.Get();
    sqlite3* out = nullptr;
    std::string path = dest + "/meta.db";
    // Made through the Env first, so it is private (0600) as every file of a
    // data dir; SQLite gives its WAL and -shm the same mode.
    {
      OpenOptions create;
      create.write = true;
      create.create = true;
      auto made = env_->Open(path, create);
      if (!made) return made.error();
    }
    int rc =
        sqlite3_open_v2(path.c_str(), &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = out ? sqlite3_errmsg(out) : "out of memory";
      sqlite3_close(out);
      return Status::IOError("snapshot: open " + path + ": " + msg);
    }
    sqlite3_backup* b = sqlite3_backup_init(out, "main", db->raw(), "main");
    if (b == nullptr) {
      std::string msg = sqlite3_errmsg(out);
      sqlite3_close(out);
      return Status::IOError("snapshot: backup: " + msg);
    }
    rc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (rc == SQLITE_DONE)
      rc = sqlite3_exec(out, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    std::string msg = sqlite3_errmsg(out);
    sqlite3_close(out);
    if (rc != SQLITE_DONE && rc != SQLITE_OK) return Status::IOError("snapshot: backup: " + msg);
  }
  auto segs = ListSegments(this, seg_dir_);
  if (!segs) return segs.error();
  uint64_t total = 0, done = 0;
  for (const auto& [id, s] : *segs) total += s.end;
  std::string buf;
  for (const auto& [id, s] : *segs) {
    std::string name = segment::FileName(id);
    std::string from = seg_dir_ + "/" + name, to = dest + "/segments/" + name;
    if (s.sealed && env_->Link(from, to).ok()) {
      done += s.end;
    } else {
      auto in = files_.Get(id);
      if (!in) return in.error();
      auto size = (*in)->Size();
      if (!size) return size.error();
      auto out = env_->Open(to, OpenOptions{true, true, true});
      if (!out) return out.error();
      buf.resize(1 << 20);
      for (uint64_t at = 0; at < *size;) {
        auto n = (*in)->PRead(at, buf.data(), std::min<uint64_t>(buf.size(), *size - at));
        if (!n) return n.error();
        if (*n == 0) break;
        SEGLAKE_RETURN_IF_ERROR((*out)->PWrite(at, buf.data(), *n));
        at += *n;
        done += *n;
        if (progress && !progress(done, total)) return Status::Busy("stopped");
      }
      SEGLAKE_RETURN_IF_ERROR((*out)->Sync());
    }
    if (progress && !progress(done, total)) return Status::Busy("stopped");
  }
  SEGLAKE_RETURN_IF_ERROR(env_->SyncDir(dest + "/segments"));
  SEGLAKE_RETURN_IF_ERROR(env_->SyncDir(dest));
  return Status::OK();
}

Result<uint64_t> EngineImpl::AbortUploadsOlderThan(uint64_t age_ns) {
  uint64_t now = env_->NowNanos();
  uint64_t cutoff = now > age_ns ? now - age_ns : 0;
  auto buckets = ListBuckets();
  if (!buckets) return Err(buckets.error());
  uint64_t n = 0;
  for (const BucketInfo& b : *buckets) {
    ListUploadsOptions o;
    for (;;) {
      auto l = ListUploads(b.name, o);
      if (!l) return Err(l.error());
      for (const UploadInfo& u : l->uploads) {
        if (u.initiated_ns >= cutoff) continue;
        // A maintenance tool: allowed in maintenance mode.
        auto r = Commit(json{{"t", "mpa"}, {"u", u.upload_id}, {"mt", true}});
        if (r) {
          ++n;
        } else if (!r.error().IsNotFound()) {
          return Err(r.error());
        }
      }
      if (!l->truncated) break;
      o.key_marker = l->next_key_marker;
      o.upload_id_marker = l->next_upload_id_marker;
    }
  }
  return n;
}

Status EngineImpl::SetMaintenance(bool on) {
  auto r = Commit(json{{"t", "mnt"}, {"on", on}});
  return r ? Status::OK() : r.error();
}

Result<bool> EngineImpl::Maintenance() {
  auto db = pool_.Get();
  auto st = db->Prepare("SELECT v FROM kv WHERE k='maintenance'");
  if (!st) return Err(st.error());
  auto r = st->Step();
  if (!r) return Err(r.error());
  return *r && st->Int(0) != 0;
}

// Remembers when a maintenance run last finished, in maint.json beside
// meta.db (for `seglake status`).
Status EngineImpl::RecordRun(const std::string& what, uint64_t problems) {
  std::string path = dir_ + "/maint.json", tmp = path + ".tmp";
  json j = json::object();
  if (auto f = env_->Open(path, OpenOptions{}); f) {
    auto size = (*f)->Size();
    if (size && *size < (1 << 20)) {
      std::string text(*size, '\0');
      auto n = (*f)->PRead(0, text.data(), text.size());
      if (n) j = json::parse(text.substr(0, *n), nullptr, false);
      if (!j.is_object()) j = json::object();
    }
  }
  j[what] = json{{"ns", env_->NowNanos()}, {"problems", problems}};
  std::string text = j.dump(2) + "\n";
  {
    auto f = env_->Open(tmp, OpenOptions{true, true, false});
    if (!f) return f.error();
    SEGLAKE_RETURN_IF_ERROR((*f)->Truncate(0));
    SEGLAKE_RETURN_IF_ERROR((*f)->PWrite(0, text.data(), text.size()));
    SEGLAKE_RETURN_IF_ERROR((*f)->Sync());
  }
  SEGLAKE_RETURN_IF_ERROR(env_->Rename(tmp, path));
  return env_->SyncDir(dir_);
}

}  // namespace seglake
