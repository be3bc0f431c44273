#include "meta/rows.h"

#include "manifest/manifest_format.h"
#include "meta/codec.h"
#include "util/coding.h"

namespace seglake::meta {

#define SEGLAKE_VERSION_COLS \
  "id, bucket, key, version_id, seq, delete_marker, size, etag, mtime_ns, manifest, info"

static VersionRow ReadRow(const Stmt& s) {
  VersionRow r;
  r.id = s.Int(0);
  r.bucket = s.Text(1);
  r.key = s.Blob(2);
  r.version_id = s.Text(3);
  r.seq = s.UInt(4);
  r.delete_marker = s.Int(5) != 0;
  r.size = s.UInt(6);
  r.etag = s.Text(7);
  r.mtime_ns = s.UInt(8);
  r.manifest = s.Blob(9);
  r.info = s.Text(10);
  return r;
}

static Result<std::optional<VersionRow>> One(Result<Stmt>& st) {
  if (!st) return Err(st.error());
  auto row = st->Step();
  if (!row) return Err(row.error());
  if (!*row) return std::optional<VersionRow>();
  return std::optional<VersionRow>(ReadRow(*st));
}

// The bytes of a manifest's data extents (holes excluded), read straight
// from its encoding (manifest/FORMAT.md); 0 for one that does not parse.
static uint64_t AllocatedBytes(std::string_view m) {
  using namespace manifest;
  if (m.size() < kFixedSize + kCrcSize || (m.size() - kFixedSize - kCrcSize) % kExtentSize != 0)
    return 0;
  uint64_t total = 0;
  for (size_t at = kFixedSize; at + kExtentSize <= m.size() - kCrcSize; at += kExtentSize)
    if (GetFixed64(m.data() + at) != 0) total += GetFixed64(m.data() + at + 16);  // 0: a hole
  return total;
}

ObjectInfo ToObjectInfo(const VersionRow& r, bool full) {
  ObjectInfo o;
  o.allocated = AllocatedBytes(r.manifest);
  o.bucket = r.bucket;
  o.key = r.key;
  o.version_id = r.version_id;
  o.size = r.size;
  o.etag = r.etag;
  o.last_modified_ns = r.mtime_ns;
  o.delete_marker = r.delete_marker;
  o.seq = r.seq;
  if (full) {
    VersionInfoFromJson(ParseJson(r.info), &o);
  } else if (r.info.find("\"sc\"") != std::string::npos) {
    // Listings show the storage class; the rest of the info is not parsed
    // for them, and most versions have no class to look for.
    const nlohmann::json j = ParseJson(r.info);
    if (j.is_object() && j.contains("a") && j["a"].is_object()) {
      o.attrs.storage_class = AttrsFromJson(j["a"]).storage_class;
    }
  }
  return o;
}

Result<std::optional<VersionRow>> LoadVersionById(Db* db, int64_t id) {
  auto st = db->Prepare("SELECT " SEGLAKE_VERSION_COLS " FROM versions WHERE id=?");
  if (st) st->Bind(1, id);
  return One(st);
}

Result<std::optional<VersionRow>> LoadVersion(Db* db, const std::string& bucket,
                                              const std::string& key, const std::string& vid) {
  auto st = db->Prepare("SELECT " SEGLAKE_VERSION_COLS
                        " FROM versions WHERE bucket=? AND key=? AND version_id=?");
  if (st) st->BindText(1, bucket).BindBlob(2, key).BindText(3, vid);
  return One(st);
}

Result<std::optional<VersionRow>> LoadCurrent(Db* db, const std::string& bucket,
                                              const std::string& key) {
  auto st = db->Prepare("SELECT " SEGLAKE_VERSION_COLS
                        " FROM versions WHERE id=(SELECT vrow FROM current WHERE bucket=? AND "
                        "key=?)");
  if (st) st->BindText(1, bucket).BindBlob(2, key);
  return One(st);
}

Result<std::optional<VersionRow>> LoadLatest(Db* db, const std::string& bucket,
                                             const std::string& key) {
  auto st = db->Prepare("SELECT " SEGLAKE_VERSION_COLS
                        " FROM versions WHERE bucket=? AND key=? ORDER BY id DESC LIMIT 1");
  if (st) st->BindText(1, bucket).BindBlob(2, key);
  return One(st);
}

Result<std::optional<BucketInfo>> LoadBucket(Db* db, const std::string& name) {
  auto st = db->Prepare("SELECT name, region, created_ns, versioning FROM buckets WHERE name=?");
  if (!st) return Err(st.error());
  st->BindText(1, name);
  auto row = st->Step();
  if (!row) return Err(row.error());
  if (!*row) return std::optional<BucketInfo>();
  BucketInfo b;
  b.name = st->Text(0);
  b.region = st->Text(1);
  b.created_ns = st->UInt(2);
  b.versioning = static_cast<Versioning>(st->Int(3));
  return std::optional<BucketInfo>(b);
}

Result<std::optional<UploadInfo>> LoadUpload(Db* db, const std::string& upload_id) {
  auto st = db->Prepare(
      "SELECT upload_id, bucket, key, created_ns, info FROM uploads WHERE "
      "upload_id=?");
  if (!st) return Err(st.error());
  st->BindText(1, upload_id);
  auto row = st->Step();
  if (!row) return Err(row.error());
  if (!*row) return std::optional<UploadInfo>();
  UploadInfo u;
  u.upload_id = st->Text(0);
  u.bucket = st->Text(1);
  u.key = st->Blob(2);
  u.initiated_ns = st->UInt(3);
  auto j = ParseJson(st->Text(4));
  if (j.is_object()) {
    if (j.contains("a")) u.attrs = AttrsFromJson(j["a"]);
    if (j.contains("cs")) u.checksums = ChecksumSetFromJson(j["cs"]);
  }
  return std::optional<UploadInfo>(u);
}

std::string PrefixEnd(const std::string& prefix) {
  std::string s = prefix;
  while (!s.empty()) {
    unsigned char c = static_cast<unsigned char>(s.back());
    if (c != 0xff) {
      s.back() = static_cast<char>(c + 1);
      return s;
    }
    s.pop_back();
  }
  return s;
}

}  // namespace seglake::meta
