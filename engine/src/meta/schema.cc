// The meta.db schema and its migrations. Keys are BLOBs so ordering is
// byte-wise; listings seek on the (bucket, key) indexes.
#include "meta/db.h"

namespace seglake::meta {
namespace {

// Migration N brings the schema from version N-1 to N.
const char* const kMigrations[] = {
    // 1: the first schema.
    R"sql(
CREATE TABLE kv(k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO kv(k, v) VALUES ('seq', 0);
CREATE TABLE buckets(
  name TEXT PRIMARY KEY, region TEXT NOT NULL, created_ns INTEGER NOT NULL,
  versioning INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE versions(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  bucket TEXT NOT NULL, key BLOB NOT NULL, version_id TEXT NOT NULL,
  seq INTEGER NOT NULL, delete_marker INTEGER NOT NULL,
  size INTEGER NOT NULL, etag TEXT NOT NULL, mtime_ns INTEGER NOT NULL,
  manifest BLOB, info TEXT NOT NULL);
CREATE INDEX versions_by_key ON versions(bucket, key, id DESC);
CREATE UNIQUE INDEX versions_by_vid ON versions(bucket, key, version_id);
CREATE TABLE current(
  bucket TEXT NOT NULL, key BLOB NOT NULL, vrow INTEGER NOT NULL,
  PRIMARY KEY(bucket, key)) WITHOUT ROWID;
CREATE TABLE uploads(
  upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL,
  created_ns INTEGER NOT NULL, info TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX uploads_by_key ON uploads(bucket, key, upload_id);
CREATE TABLE parts(
  upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, size INTEGER NOT NULL,
  etag TEXT NOT NULL, mtime_ns INTEGER NOT NULL, manifest BLOB NOT NULL, info TEXT NOT NULL,
  PRIMARY KEY(upload_id, part_number)) WITHOUT ROWID;
CREATE TABLE segments(id INTEGER PRIMARY KEY, live_bytes INTEGER NOT NULL DEFAULT 0);
CREATE TABLE changes(id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL,
  bucket TEXT NOT NULL, key BLOB NOT NULL);
CREATE INDEX changes_by_seq ON changes(seq);
CREATE TABLE commits(seq INTEGER PRIMARY KEY, owner INTEGER NOT NULL);
)sql",
    // 2: garbage collection marks segments no version references
    // (condemned_ns) before it deletes them.
    R"sql(
ALTER TABLE segments ADD COLUMN condemned_ns INTEGER NOT NULL DEFAULT 0;
)sql",
};

}  // namespace

Result<std::unique_ptr<Db>> OpenMetaDb(const std::string& path, bool create, int busy_ms,
                                       Env* env) {
  auto db = Db::Open(path, create, busy_ms, env);
  if (!db) return db;
  // Migrations run under the write lock so two processes opening a new data
  // dir at once do not both apply them.
  SEGLAKE_TRY((*db)->Exec("BEGIN IMMEDIATE"));
  int version = 0;
  {
    auto st = (*db)->Prepare("PRAGMA user_version");
    if (!st) return Err(st.error());
    auto row = st->Step();
    if (!row) return Err(row.error());
    version = static_cast<int>(st->Int(0));
  }
  if (version > kSchemaVersion) {
    (void)(*db)->Exec("ROLLBACK");
    return Err(Status::NotSupported("meta.db schema is newer than this program"));
  }
  for (int v = version; v < kSchemaVersion; ++v) {
    Status s = (*db)->Exec(kMigrations[v]);
    if (s.ok()) s = (*db)->Exec("PRAGMA user_version=" + std::to_string(v + 1));
    if (!s.ok()) {
      (void)(*db)->Exec("ROLLBACK");
      return Err(s);
    }
  }
  SEGLAKE_TRY((*db)->Exec("COMMIT"));
  return db;
}

}  // namespace seglake::meta
