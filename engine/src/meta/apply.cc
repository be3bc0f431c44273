#include "meta/apply.h"

#include <cinttypes>
#include <cstdio>
#include <map>
#include <set>

#include "manifest/manifest.h"
#include "meta/codec.h"
#include "meta/rows.h"
#include "seglake/checksum.h"

namespace seglake::meta {
namespace {

using nlohmann::json;

std::string S(const json& op, const char* k) {
  auto it = op.find(k);
  return (it != op.end() && it->is_string()) ? it->get<std::string>() : std::string();
}
uint64_t U(const json& op, const char* k) {
  auto it = op.find(k);
  return (it != op.end() && it->is_number_unsigned()) ? it->get<uint64_t>() : 0;
}
bool B(const json& op, const char* k) {
  auto it = op.find(k);
  return it != op.end() && it->is_boolean() && it->get<bool>();
}
std::string Bin(const json& op, const char* k) {
  auto it = op.find(k);
  if (it == op.end() || !it->is_binary()) return std::string();
  const auto& v = it->get_binary();
  return std::string(v.begin(), v.end());
}

Status NoSuch(const char* what, const std::string& name) {
  return Status::NotFound(name).WithDetail(what);
}

// Adds (sign=+1) or removes (-1) a manifest's bytes from its segments' live counts.
Status AddRefs(Db* db, const std::string& encoded, int sign) {
  if (encoded.empty()) return Status::OK();
  auto m = Manifest::Decode(encoded);
  if (!m) return m.error();
  std::map<uint64_t, int64_t> per;
  for (const Extent& e : m->extents())
    if (!e.is_hole()) per[e.segment] += static_cast<int64_t>(e.length);
  for (auto& [seg, bytes] : per) {
    auto st = db->Prepare(
        "INSERT INTO segments(id, live_bytes) VALUES(?, ?) "
        "ON CONFLICT(id) DO UPDATE SET live_bytes = live_bytes + excluded.live_bytes, "
        // A new reference (a copy or a working copy that read the manifest
        // before GC condemned the segment) takes the segment back.
        "condemned_ns = CASE WHEN excluded.live_bytes > 0 THEN 0 ELSE condemned_ns END");
    if (!st) return st.error();
    SEGLAKE_RETURN_IF_ERROR(st->Bind(1, seg).Bind(2, sign * bytes).Run());
  }
  return Status::OK();
}

Status LogChange(Db* db, uint64_t seq, const std::string& bucket, const std::string& key) {
  auto st = db->Prepare("INSERT INTO changes(seq, bucket, key) VALUES(?, ?, ?)");
  if (!st) return st.error();
  return st->Bind(1, seq).BindText(2, bucket).BindBlob(3, key).Run();
}

Result<int64_t> InsertVersion(Db* db, const VersionRow& r) {
  auto st = db->Prepare(
      "INSERT INTO versions(bucket, key, version_id, seq, delete_marker, size, etag, mtime_ns, "
      "manifest, info) VALUES(?,?,?,?,?,?,?,?,?,?)");
  if (!st) return Err(st.error());
  st->BindText(1, r.bucket).BindBlob(2, r.key).BindText(3, r.version_id).Bind(4, r.seq);
  st->Bind(5, r.delete_marker).Bind(6, r.size).BindText(7, r.etag).Bind(8, r.mtime_ns);
  st->BindBlob(9, r.manifest).BindText(10, r.info);
  SEGLAKE_TRY(st->Run());
  int64_t id = db->LastInsertRowid();
  if (!r.refs_counted) SEGLAKE_TRY(AddRefs(db, r.manifest, +1));
  return id;
}

Status DeleteVersionRow(Db* db, const VersionRow& r) {
  auto st = db->Prepare("DELETE FROM versions WHERE id=?");
  if (!st) return st.error();
  SEGLAKE_RETURN_IF_ERROR(st->Bind(1, r.id).Run());
  return AddRefs(db, r.manifest, -1);
}

// Points `current` at the newest version unless that is a delete marker.
Status RefreshCurrent(Db* db, const std::string& bucket, const std::string& key) {
  auto latest = LoadLatest(db, bucket, key);
  if (!latest) return latest.error();
  if (*latest && !(*latest)->delete_marker) {
    auto st = db->Prepare("INSERT OR REPLACE INTO current(bucket, key, vrow) VALUES(?,?,?)");
    if (!st) return st.error();
    return st->BindText(1, bucket).BindBlob(2, key).Bind(3, (*latest)->id).Run();
  }
  auto st = db->Prepare("DELETE FROM current WHERE bucket=? AND key=?");
  if (!st) return st.error();
  return st->BindText(1, bucket).BindBlob(2, key).Run();
}

Result<BucketInfo> NeedBucket(Db* db, const std::string& name) {
  auto b = LoadBucket(db, name);
  if (!b) return Err(b.error());
  if (!*b) return Err(NoSuch("NoSuchBucket", name));
  return **b;
}

// Removes the "null" version of a key, if any.
Status DropNullVersion(Db* db, const std::string& bucket, const std::string& key) {
  auto v = LoadVersion(db, bucket, key, "null");
  if (!v) return v.error();
  if (*v) return DeleteVersionRow(db, **v);
  return Status::OK();
}

// Writes a new version of bucket/key following the bucket's versioning state.
Result<ObjectInfo> PutVersion(Db* db, uint64_t seq, uint32_t* idx, const BucketInfo& b,
                              VersionRow row) {
  row.bucket = b.name;
  row.seq = seq;
  if (b.versioning == Versioning::kEnabled) {
    row.version_id = MakeVersionId(seq, (*idx)++);
  } else {
    row.version_id = "null";
    SEGLAKE_TRY(DropNullVersion(db, b.name, row.key));
  }
  auto id = InsertVersion(db, row);
  if (!id) return Err(id.error());
  row.id = *id;
  SEGLAKE_TRY(RefreshCurrent(db, b.name, row.key));
  SEGLAKE_TRY(LogChange(db, seq, b.name, row.key));
  ObjectInfo o = ToObjectInfo(row, true);
  o.is_latest = true;
  return o;
}

// Deletes a key without a version id: a delete marker where versioning is on
// or suspended, else removal of the null version.
Result<DeleteResult> DeleteKey(Db* db, uint64_t seq, uint32_t* idx, const BucketInfo& b,
                               const std::string& key, uint64_t ns) {
  DeleteResult res;
  if (b.versioning == Versioning::kUnversioned) {
    SEGLAKE_TRY(DropNullVersion(db, b.name, key));
  } else {
    VersionRow m;
    m.bucket = b.name;
    m.key = key;
    m.seq = seq;
    m.delete_marker = true;
    m.mtime_ns = ns;
    m.info = "{}";
    if (b.versioning == Versioning::kEnabled) {
      m.version_id = MakeVersionId(seq, (*idx)++);
    } else {
      m.version_id = "null";
      SEGLAKE_TRY(DropNullVersion(db, b.name, key));
    }
    auto id = InsertVersion(db, m);
    if (!id) return Err(id.error());
    res.delete_marker = true;
    res.version_id = m.version_id;
  }
  SEGLAKE_TRY(RefreshCurrent(db, b.name, key));
  SEGLAKE_TRY(LogChange(db, seq, b.name, key));
  return res;
}

Status CheckConditions(Db* db, const std::string& bucket, const std::string& key, const json& op) {
  auto c = op.find("cond");
  if (c == op.end() || !c->is_object()) return Status::OK();
  bool inm = B(*c, "inm");
  std::string im = S(*c, "im");
  if (!inm && im.empty()) return Status::OK();
  auto cur = LoadCurrent(db, bucket, key);
  if (!cur) return cur.error();
  if (inm && *cur) return Status::PreconditionFailed("key exists (If-None-Match: *)");
  if (!im.empty()) {
    if (!*cur) return NoSuch("NoSuchKey", key);
    if (im != "*" && im != (*cur)->etag)
      return Status::PreconditionFailed("ETag does not match If-Match");
  }
  return Status::OK();
}

VersionRow RowFromOp(const json& op) {
  VersionRow r;
  r.key = S(op, "k");
  r.size = U(op, "size");
  r.etag = S(op, "etag");
  r.mtime_ns = U(op, "ns");
  r.manifest = Bin(op, "m");
  auto it = op.find("i");
  r.info = (it != op.end() && it->is_object()) ? it->dump() : "{}";
  return r;
}

Result<ApplyResult> ApplyPut(Db* db, uint64_t seq, const json& op) {
  auto b = NeedBucket(db, S(op, "b"));
  if (!b) return Err(b.error());
  VersionRow row = RowFromOp(op);
  SEGLAKE_TRY(CheckConditions(db, b->name, row.key, op));
  uint32_t idx = 0;
  auto o = PutVersion(db, seq, &idx, *b, std::move(row));
  if (!o) return Err(o.error());
  return ApplyResult{*o, {}};
}

Result<ApplyResult> ApplyDelete(Db* db, uint64_t seq, const json& op) {
  auto b = NeedBucket(db, S(op, "b"));
  if (!b) return Err(b.error());
  std::string key = S(op, "k"), vid = S(op, "v");
  // A conditional delete looks at the current version, whichever version
  // it removes (as S3 does).
  SEGLAKE_TRY(CheckConditions(db, b->name, key, op));
  uint32_t idx = 0;
  if (vid.empty()) {
    auto r = DeleteKey(db, seq, &idx, *b, key, U(op, "ns"));
    if (!r) return Err(r.error());
    return ApplyResult{{}, *r};
  }
  ApplyResult res;
  res.deleted.version_id = vid;
  auto v = LoadVersion(db, b->name, key, vid);
  if (!v) return Err(v.error());
  if (!*v) return res;  // deleting a version that does not exist succeeds
  res.deleted.delete_marker = (*v)->delete_marker;
  SEGLAKE_TRY(DeleteVersionRow(db, **v));
  SEGLAKE_TRY(RefreshCurrent(db, b->name, key));
  SEGLAKE_TRY(LogChange(db, seq, b->name, key));
  return res;
}

// The current versions of key `from`, or (prefix) of every key under `from`.
Result<std::vector<VersionRow>> CurrentUnder(Db* db, const std::string& bucket,
                                             const std::string& from, bool prefix) {
  std::vector<VersionRow> sources;
  if (!prefix) {
    auto v = LoadCurrent(db, bucket, from);
    if (!v) return Err(v.error());
    if (*v) sources.push_back(**v);
    return sources;
  }
  std::string end = PrefixEnd(from);
  auto st = db->Prepare(end.empty() ? "SELECT vrow FROM current WHERE bucket=? AND key>=? "
                                      "ORDER BY key"
                                    : "SELECT vrow FROM current WHERE bucket=? AND key>=? AND "
                                      "key<? ORDER BY key");
  if (!st) return Err(st.error());
  st->BindText(1, bucket).BindBlob(2, from);
  if (!end.empty()) st->BindBlob(3, end);
  std::vector<int64_t> ids;
  for (;;) {
    auto r = st->Step();
    if (!r) return Err(r.error());
    if (!*r) break;
    ids.push_back(st->Int(0));
  }
  for (int64_t id : ids) {
    auto v = LoadVersionById(db, id);
    if (!v) return Err(v.error());
    if (*v) sources.push_back(**v);
  }
  return sources;
}

Result<ApplyResult> ApplyRename(Db* db, uint64_t seq, const json& op) {
  auto b = NeedBucket(db, S(op, "b"));
  if (!b) return Err(b.error());
  std::string from = S(op, "from"), to = S(op, "to");
  bool prefix = B(op, "prefix"), replace = B(op, "replace");
  uint64_t ns = U(op, "ns");
  if (from == to) return ApplyResult{};
  auto found = CurrentUnder(db, b->name, from, prefix);
  if (!found) return Err(found.error());
  std::vector<VersionRow>& sources = *found;
  if (!prefix && sources.empty()) return Err(NoSuch("NoSuchKey", from));
  std::set<std::string> src_keys;
  for (auto& s : sources) src_keys.insert(s.key);
  if (!replace) {
    for (auto& s : sources) {
      std::string dst = to + s.key.substr(from.size());
      if (src_keys.count(dst)) continue;
      auto cur = LoadCurrent(db, b->name, dst);
      if (!cur) return Err(cur.error());
      if (*cur) return Err(Status::AlreadyExists("destination exists: " + dst));
    }
  }
  uint32_t idx = 0;
  for (auto& s : sources) {
    auto d = DeleteKey(db, seq, &idx, *b, s.key, ns);
    if (!d) return Err(d.error());
  }
  ApplyResult res;
  for (auto& s : sources) {
    VersionRow row = s;
    row.key = to + s.key.substr(from.size());
    row.mtime_ns = ns;
    auto o = PutVersion(db, seq, &idx, *b, std::move(row));
    if (!o) return Err(o.error());
    res.object = *o;
  }
  return res;
}

// Swaps names a and b: each is a key or (dir) every key under name + "/".
Result<ApplyResult> ApplyExchange(Db* db, uint64_t seq, const json& op) {
  auto b = NeedBucket(db, S(op, "b"));
  if (!b) return Err(b.error());
  std::string na = S(op, "a"), nb = S(op, "bn");
  bool da = B(op, "ad"), db_ = B(op, "bd");
  uint64_t ns = U(op, "ns");
  if (na == nb) return ApplyResult{};
  auto sa = CurrentUnder(db, b->name, da ? na + "/" : na, da);
  if (!sa) return Err(sa.error());
  auto sb = CurrentUnder(db, b->name, db_ ? nb + "/" : nb, db_);
  if (!sb) return Err(sb.error());
  if (sa->empty()) return Err(NoSuch("NoSuchKey", na));
  if (sb->empty()) return Err(NoSuch("NoSuchKey", nb));
  // One name inside the other (a and a/b) cannot be swapped.
  auto inside = [](const std::string& x, const std::string& y) {
    return y.size() > x.size() && y.compare(0, x.size(), x) == 0 && y[x.size()] == '/';
  };
  if (inside(na, nb) || inside(nb, na))
    return Err(Status::InvalidArgument("cannot exchange a name with one inside it"));
  uint32_t idx = 0;
  for (auto* side : {&*sa, &*sb})
    for (auto& s : *side) {
      auto d = DeleteKey(db, seq, &idx, *b, s.key, ns);
      if (!d) return Err(d.error());
    }
  ApplyResult res;
  auto move = [&](std::vector<VersionRow>& rows, const std::string& from,
                  const std::string& to) -> Status {
    for (auto& s : rows) {
      VersionRow row = s;
      row.key = to + s.key.substr(from.size());
      row.mtime_ns = ns;
      auto o = PutVersion(db, seq, &idx, *b, std::move(row));
      if (!o) return o.error();
      res.object = *o;
    }
    return Status::OK();
  };
  SEGLAKE_TRY(move(*sa, na, nb));
  SEGLAKE_TRY(move(*sb, nb, na));
  return res;
}

Result<ApplyResult> ApplyCreateBucket(Db* db, uint64_t seq, const json& op) {
  std::string name = S(op, "b");
  auto b = LoadBucket(db, name);
  if (!b) return Err(b.error());
  if (*b)
    return Err(
        Status::AlreadyExists("bucket exists: " + name).WithDetail("BucketAlreadyOwnedByYou"));
  auto st =
      db->Prepare("INSERT INTO buckets(name, region, created_ns, versioning) VALUES(?,?,?,0)");
  if (!st) return Err(st.error());
  SEGLAKE_TRY(st->BindText(1, name).BindText(2, S(op, "r")).Bind(3, U(op, "ns")).Run());
  SEGLAKE_TRY(LogChange(db, seq, name, ""));
  return ApplyResult{};
}

Status DropUpload(Db* db, const std::string& id, const std::set<int64_t>& moved);

Result<ApplyResult> ApplyDeleteBucket(Db* db, uint64_t seq, const json& op) {
  std::string name = S(op, "b");
  auto b = NeedBucket(db, name);
  if (!b) return Err(b.error());
  const bool abort_uploads = B(op, "au");
  for (const char* q : {"SELECT 1 FROM versions WHERE bucket=? LIMIT 1",
                        "SELECT 1 FROM uploads WHERE bucket=? LIMIT 1"}) {
    if (abort_uploads && std::string_view(q).find("uploads") != std::string_view::npos) continue;
    auto st = db->Prepare(q);
    if (!st) return Err(st.error());
    st->BindText(1, name);
    auto r = st->Step();
    if (!r) return Err(r.error());
    if (*r) return Err(Status::NotEmpty("bucket not empty: " + name).WithDetail("BucketNotEmpty"));
  }
  // With `au` (S3's DeleteBucket), uploads in progress do not keep the
  // bucket: they are aborted with it, their parts dropped, in the same
  // transaction.
  std::vector<std::string> uploads;
  {
    auto st = db->Prepare("SELECT upload_id FROM uploads WHERE bucket=?");
    if (!st) return Err(st.error());
    st->BindText(1, name);
    for (;;) {
      auto r = st->Step();
      if (!r) return Err(r.error());
      if (!*r) break;
      uploads.push_back(st->Text(0));
    }
  }
  for (const std::string& id : uploads) SEGLAKE_TRY(DropUpload(db, id, {}));
  auto st = db->Prepare("DELETE FROM buckets WHERE name=?");
  if (!st) return Err(st.error());
  SEGLAKE_TRY(st->BindText(1, name).Run());
  SEGLAKE_TRY(LogChange(db, seq, name, ""));
  return ApplyResult{};
}

Result<ApplyResult> ApplyVersioning(Db* db, const json& op) {
  auto b = NeedBucket(db, S(op, "b"));
  if (!b) return Err(b.error());
  auto v = static_cast<Versioning>(U(op, "s"));
  if (v == Versioning::kUnversioned && b->versioning != Versioning::kUnversioned)
    return Err(Status::InvalidArgument("versioning can only be suspended once enabled"));
  auto st = db->Prepare("UPDATE buckets SET versioning=? WHERE name=?");
  if (!st) return Err(st.error());
  SEGLAKE_TRY(st->Bind(1, static_cast<int>(v)).BindText(2, b->name).Run());
  return ApplyResult{};
}

Result<ApplyResult> ApplyTags(Db* db, uint64_t seq, const json& op) {
  auto b = NeedBucket(db, S(op, "b"));
  if (!b) return Err(b.error());
  std::string key = S(op, "k"), vid = S(op, "v");
  auto v = vid.empty() ? LoadCurrent(db, b->name, key) : LoadVersion(db, b->name, key, vid);
  if (!v) return Err(v.error());
  if (!*v) return Err(NoSuch(vid.empty() ? "NoSuchKey" : "NoSuchVersion", key));
  if ((*v)->delete_marker) return Err(NoSuch("DeleteMarker", key));
  json info = ParseJson((*v)->info);
  if (!info.is_object()) info = json::object();
  if (!info.contains("a") || !info["a"].is_object()) info["a"] = json::object();
  auto tags = op.find("tags");
  if (tags != op.end() && tags->is_object() && !tags->empty())
    info["a"]["tg"] = *tags;
  else
    info["a"].erase("tg");
  auto st = db->Prepare("UPDATE versions SET info=? WHERE id=?");
  if (!st) return Err(st.error());
  SEGLAKE_TRY(st->BindText(1, info.dump()).Bind(2, (*v)->id).Run());
  SEGLAKE_TRY(LogChange(db, seq, b->name, key));
  return ApplyResult{};
}

Result<UploadInfo> NeedUpload(Db* db, const std::string& id) {
  auto u = LoadUpload(db, id);
  if (!u) return Err(u.error());
  if (!*u) return Err(NoSuch("NoSuchUpload", id));
  return **u;
}

Result<ApplyResult> ApplyCreateUpload(Db* db, const json& op) {
  auto b = NeedBucket(db, S(op, "b"));
  if (!b) return Err(b.error());
  auto st = db->Prepare(
      "INSERT INTO uploads(upload_id, bucket, key, created_ns, info) VALUES(?,?,?,?,?)");
  if (!st) return Err(st.error());
  auto it = op.find("i");
  std::string info = (it != op.end() && it->is_object()) ? it->dump() : "{}";
  SEGLAKE_TRY(st->BindText(1, S(op, "u"))
                  .BindText(2, b->name)
                  .BindBlob(3, S(op, "k"))
                  .Bind(4, U(op, "ns"))
                  .BindText(5, info)
                  .Run());
  return ApplyResult{};
}

Status DropPart(Db* db, const std::string& upload, int64_t part, bool keep_refs = false) {
  auto st = db->Prepare("SELECT manifest FROM parts WHERE upload_id=? AND part_number=?");
  if (!st) return st.error();
  st->BindText(1, upload).Bind(2, part);
  auto r = st->Step();
  if (!r) return r.error();
  if (!*r) return Status::OK();
  std::string m = st->Blob(0);
  auto del = db->Prepare("DELETE FROM parts WHERE upload_id=? AND part_number=?");
  if (!del) return del.error();
  SEGLAKE_RETURN_IF_ERROR(del->BindText(1, upload).Bind(2, part).Run());
  return keep_refs ? Status::OK() : AddRefs(db, m, -1);
}

Result<ApplyResult> ApplyPutPart(Db* db, const json& op) {
  std::string id = S(op, "u");
  auto u = NeedUpload(db, id);
  if (!u) return Err(u.error());
  auto n = static_cast<int64_t>(U(op, "n"));
  SEGLAKE_TRY(DropPart(db, id, n));
  auto st = db->Prepare(
      "INSERT INTO parts(upload_id, part_number, size, etag, mtime_ns, manifest, info) "
      "VALUES(?,?,?,?,?,?,?)");
  if (!st) return Err(st.error());
  std::string m = Bin(op, "m");
  auto it = op.find("c");
  std::string info = (it != op.end() && it->is_object()) ? it->dump() : "{}";
  SEGLAKE_TRY(st->BindText(1, id)
                  .Bind(2, n)
                  .Bind(3, U(op, "size"))
                  .BindText(4, S(op, "etag"))
                  .Bind(5, U(op, "ns"))
                  .BindBlob(6, m)
                  .BindText(7, info)
                  .Run());
  SEGLAKE_TRY(AddRefs(db, m, +1));
  return ApplyResult{};
}

// Drops an upload and its parts; the parts in `moved` keep their references
// (they now belong to a completed version).
Status DropUpload(Db* db, const std::string& id, const std::set<int64_t>& moved = {}) {
  std::vector<int64_t> parts;
  {
    auto st = db->Prepare("SELECT part_number FROM parts WHERE upload_id=?");
    if (!st) return st.error();
    st->BindText(1, id);
    for (;;) {
      auto r = st->Step();
      if (!r) return r.error();
      if (!*r) break;
      parts.push_back(st->Int(0));
    }
  }
  for (int64_t p : parts) SEGLAKE_RETURN_IF_ERROR(DropPart(db, id, p, moved.count(p) > 0));
  auto st = db->Prepare("DELETE FROM uploads WHERE upload_id=?");
  if (!st) return st.error();
  return st->BindText(1, id).Run();
}

Result<ApplyResult> ApplyAbort(Db* db, const json& op) {
  std::string id = S(op, "u");
  auto u = NeedUpload(db, id);
  if (!u) return Err(u.error());
  SEGLAKE_TRY(DropUpload(db, id));
  return ApplyResult{};
}

std::string StripQuotes(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

Status InvalidPart(const std::string& m) {
  return Status::InvalidArgument(m).WithDetail("InvalidPart");
}

Result<ApplyResult> ApplyComplete(Db* db, uint64_t seq, const json& op) {
  std::string id = S(op, "u");
  auto u = NeedUpload(db, id);
  if (!u) return Err(u.error());
  auto b = NeedBucket(db, u->bucket);
  if (!b) return Err(b.error());
  uint64_t min_part = U(op, "min");
  auto parts = op.find("parts");
  if (parts == op.end() || !parts->is_array() || parts->empty())
    return Err(Status::InvalidArgument("no parts given").WithDetail("MalformedXML"));
  Manifest all;
  std::string md5s, crcs;
  std::vector<uint64_t> sizes;
  std::set<int64_t> listed;
  int64_t prev = 0;
  for (size_t i = 0; i < parts->size(); ++i) {
    const json& p = (*parts)[i];
    if (!p.is_array() || p.size() != 2 || !p[0].is_number_unsigned() || !p[1].is_string())
      return Err(Status::InvalidArgument("bad part list").WithDetail("MalformedXML"));
    auto n = p[0].get<int64_t>();
    if (n <= prev)
      return Err(Status::InvalidArgument("parts out of order").WithDetail("InvalidPartOrder"));
    prev = n;
    listed.insert(n);
    auto st = db->Prepare(
        "SELECT size, etag, manifest, info FROM parts WHERE upload_id=? AND "
        "part_number=?");
    if (!st) return Err(st.error());
    st->BindText(1, id).Bind(2, n);
    auto r = st->Step();
    if (!r) return Err(r.error());
    if (!*r) return Err(InvalidPart("no part " + std::to_string(n)));
    if (st->Text(1) != StripQuotes(p[1].get<std::string>()))
      return Err(InvalidPart("ETag mismatch for part " + std::to_string(n)));
    uint64_t size = st->UInt(0);
    if (i + 1 < parts->size() && size < min_part)
      return Err(Status::InvalidArgument("part " + std::to_string(n) + " is too small")
                     .WithDetail("EntityTooSmall"));
    auto m = Manifest::Decode(st->Blob(2));
    if (!m) return Err(m.error());
    all.Append(*m);
    std::string bin;
    FromHex(st->Text(1), &bin);
    md5s += bin;
    Checksums pc = ChecksumsFromJson(ParseJson(st->Text(3)));
    std::string crc;
    if (FromBase64(pc.crc32c, &crc)) crcs += crc;
    sizes.push_back(size);
  }
  VersionRow row;
  row.key = u->key;
  row.size = all.size();
  row.etag = ToHex(Md5(md5s)) + "-" + std::to_string(parts->size());
  row.mtime_ns = U(op, "ns");
  row.manifest = all.Encode();
  ObjectInfo oi;
  oi.attrs = u->attrs;
  oi.parts = static_cast<uint32_t>(parts->size());
  oi.part_sizes = sizes;
  oi.upload_id = id;  // a repeated Complete of this upload finds its object
  uint32_t crc = Crc32c(crcs.data(), crcs.size());
  std::string be = {static_cast<char>(crc >> 24), static_cast<char>(crc >> 16),
                    static_cast<char>(crc >> 8), static_cast<char>(crc)};
  oi.checksums.crc32c = ToBase64(be) + "-" + std::to_string(parts->size());
  oi.checksums.type = "COMPOSITE";
  row.info = VersionInfoJson(oi).dump();
  SEGLAKE_TRY(CheckConditions(db, b->name, row.key, op));
  SEGLAKE_TRY(DropUpload(db, id, listed));
  row.refs_counted = true;
  uint32_t idx = 0;
  auto o = PutVersion(db, seq, &idx, *b, std::move(row));
  if (!o) return Err(o.error());
  return ApplyResult{*o, {}};
}

}  // namespace

std::string MakeVersionId(uint64_t seq, uint32_t index) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016" PRIx64 "%04" PRIx32, seq, index);
  return buf;
}

namespace {
Result<int64_t> KvGet(Db* db, const char* k) {
  auto st = db->Prepare("SELECT v FROM kv WHERE k=?");
  if (!st) return Err(st.error());
  st->BindText(1, k);
  auto r = st->Step();
  if (!r) return Err(r.error());
  return *r ? st->Int(0) : 0;
}

// Maintenance mode on or off (kv "maintenance").
Result<ApplyResult> ApplyMaintenance(Db* db, const json& op) {
  auto st = db->Prepare("INSERT OR REPLACE INTO kv(k, v) VALUES('maintenance', ?)");
  if (!st) return Err(st.error());
  SEGLAKE_TRY(st->Bind(1, static_cast<int64_t>(B(op, "on") ? 1 : 0)).Run());
  return ApplyResult{};
}

// Marks a version damaged (found by scrub): reads of it fail.
Result<ApplyResult> ApplyDamaged(Db* db, uint64_t seq, const json& op) {
  auto v = LoadVersion(db, S(op, "b"), S(op, "k"), S(op, "v"));
  if (!v) return Err(v.error());
  if (!*v) return ApplyResult{};
  json info = ParseJson((*v)->info);
  if (!info.is_object()) info = json::object();
  info["dmg"] = true;
  auto st = db->Prepare("UPDATE versions SET info=? WHERE id=?");
  if (!st) return Err(st.error());
  SEGLAKE_TRY(st->BindText(1, info.dump()).Bind(2, (*v)->id).Run());
  SEGLAKE_TRY(LogChange(db, seq, (*v)->bucket, (*v)->key));
  return ApplyResult{};
}

// GC, first step: marks segments that no version or part references.
Result<ApplyResult> ApplyCondemn(Db* db, const json& op) {
  if (!op.contains("segs") || !op["segs"].is_array())
    return Err(Status::InvalidArgument("condemn: no segments"));
  for (const json& v : op["segs"]) {
    if (!v.is_number_unsigned()) return Err(Status::InvalidArgument("condemn: bad segment"));
    auto st = db->Prepare(
        "INSERT INTO segments(id, live_bytes, condemned_ns) VALUES(?, 0, ?) "
        "ON CONFLICT(id) DO UPDATE SET condemned_ns = excluded.condemned_ns "
        "WHERE live_bytes = 0 AND condemned_ns = 0");
    if (!st) return Err(st.error());
    SEGLAKE_TRY(st->Bind(1, v.get<uint64_t>()).Bind(2, U(op, "ns")).Run());
  }
  return ApplyResult{};
}

// GC, second step: forgets a condemned segment whose file is about to be
// deleted. Refused (PreconditionFailed) if it was referenced again or
// condemned after `horizon` (a reader may still hold it). The op carries
// the segment's log records ("logs"), which live on in this op's record.
Result<ApplyResult> ApplyForgetSegment(Db* db, const json& op) {
  auto st = db->Prepare("SELECT live_bytes, condemned_ns FROM segments WHERE id=?");
  if (!st) return Err(st.error());
  st->Bind(1, U(op, "seg"));
  auto r = st->Step();
  if (!r) return Err(r.error());
  if (!*r || st->Int(0) != 0 || st->UInt(1) == 0 || st->UInt(1) >= U(op, "horizon"))
    return Err(Status::PreconditionFailed("segment is referenced or not yet collectable"));
  auto del = db->Prepare("DELETE FROM segments WHERE id=?");
  if (!del) return Err(del.error());
  SEGLAKE_TRY(del->Bind(1, U(op, "seg")).Run());
  return ApplyResult{};
}

// Compaction: a version's manifest replaced by one over the same bytes
// elsewhere, if the version still has the manifest the compactor read
// (`old`, its MD5). No change is logged: the content is the same.
Result<ApplyResult> ApplyCompact(Db* db, const json& op) {
  auto v = LoadVersion(db, S(op, "b"), S(op, "k"), S(op, "v"));
  if (!v) return Err(v.error());
  if (!*v || (*v)->delete_marker || ToHex(Md5((*v)->manifest)) != S(op, "old"))
    return Err(Status::PreconditionFailed("version changed while being compacted"));
  if (!op.contains("m") || !op["m"].is_binary())
    return Err(Status::InvalidArgument("compact: no manifest"));
  const auto& bin = op["m"].get_binary();
  std::string m(bin.begin(), bin.end());
  auto decoded = Manifest::Decode(m);
  if (!decoded) return Err(decoded.error());
  if (decoded->size() != (*v)->size)
    return Err(Status::InvalidArgument("compact: manifest size differs from the version"));
  auto st = db->Prepare("UPDATE versions SET manifest=? WHERE id=?");
  if (!st) return Err(st.error());
  SEGLAKE_TRY(st->BindBlob(1, m).Bind(2, (*v)->id).Run());
  SEGLAKE_TRY(AddRefs(db, (*v)->manifest, -1));
  SEGLAKE_TRY(AddRefs(db, m, +1));
  return ApplyResult{};
}

Result<ApplyResult> Dispatch(Db* db, uint64_t seq, const json& op) {
  if (!op.is_object()) return Err(Status::Corruption("op is not an object"));
  std::string t = S(op, "t");
  if (t == "mnt") return ApplyMaintenance(db, op);
  if (!B(op, "mt")) {
    // Maintenance mode refuses every change but those of maintenance tools.
    auto m = KvGet(db, "maintenance");
    if (!m) return Err(m.error());
    if (*m != 0)
      return Err(Status::Busy("the data dir is in maintenance mode").WithDetail("Maintenance"));
  }
  if (t == "dmg") return ApplyDamaged(db, seq, op);
  if (t == "gcc") return ApplyCondemn(db, op);
  if (t == "cmp") return ApplyCompact(db, op);
  if (t == "gcd") return ApplyForgetSegment(db, op);
  if (t == "put") return ApplyPut(db, seq, op);
  if (t == "del") return ApplyDelete(db, seq, op);
  if (t == "ren") return ApplyRename(db, seq, op);
  if (t == "xch") return ApplyExchange(db, seq, op);
  if (t == "tag") return ApplyTags(db, seq, op);
  if (t == "mkb") return ApplyCreateBucket(db, seq, op);
  if (t == "rmb") return ApplyDeleteBucket(db, seq, op);
  if (t == "ver") return ApplyVersioning(db, op);
  if (t == "mpc") return ApplyCreateUpload(db, op);
  if (t == "mpp") return ApplyPutPart(db, op);
  if (t == "mpa") return ApplyAbort(db, op);
  if (t == "mpx") return ApplyComplete(db, seq, op);
  return Err(Status::Corruption("unknown op type: " + t));
}
}  // namespace

Result<ApplyResult> Apply(Db* db, uint64_t seq, const json& op) {
  // The JSON library throws on what it cannot serialize (a string that is not
  // UTF-8, say, in user metadata or a corrupt log record): such an op is
  // refused like any invalid one, and the caller rolls back what it wrote.
  try {
    return Dispatch(db, seq, op);
  } catch (const nlohmann::json::exception& e) {
    return Err(Status::InvalidArgument(std::string("malformed operation: ") + e.what()));
  }
}

}  // namespace seglake::meta
