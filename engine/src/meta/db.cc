#include "meta/db.h"

#include <sqlite3.h>

#include "meta/env_vfs.h"

namespace seglake::meta {

Stmt::~Stmt() {
  if (s_ != nullptr) {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
}

Stmt& Stmt::Bind(int i, int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}

Stmt& Stmt::BindText(int i, std::string_view v) {
  sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::BindBlob(int i, std::string_view v) {
  // A zero-length blob must still be a blob, not NULL.
  sqlite3_bind_blob(s_, i, v.empty() ? "" : v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

static Status SqlError(sqlite3* db, int rc, std::string_view what) {
  std::string m = std::string(what) + ": " + sqlite3_errmsg(db);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Busy(m);
    case SQLITE_FULL:
      return Status::NoSpace(m);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(m);
    case SQLITE_CONSTRAINT:
      return Status::AlreadyExists(m);
    default:
      return Status::IOError(m);
  }
}

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Err(SqlError(sqlite3_db_handle(s_), rc, "sqlite step"));
}

Status Stmt::Run() {
  auto r = Step();
  if (!r) return r.error();
  return Status::OK();
}

int64_t Stmt::Int(int col) const { return sqlite3_column_int64(s_, col); }

std::string Stmt::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(s_, col);
  int n = sqlite3_column_bytes(s_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

std::string Stmt::Blob(int col) const {
  const void* p = sqlite3_column_blob(s_, col);
  int n = sqlite3_column_bytes(s_, col);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

bool Stmt::IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, bool create, int busy_ms, Env* env) {
  std::shared_ptr<EnvVfs> vfs;
  if (env != nullptr) {
    auto v = EnvVfs::Acquire(env);
    if (!v) return Err(v.error());
    vfs = std::move(*v);
  }
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, vfs ? vfs->name() : nullptr);
  if (rc != SQLITE_OK) {
    Status s = db ? SqlError(db, rc, "open " + path) : Status::IOError("open " + path);
    sqlite3_close(db);
    if ((rc & 0xff) == SQLITE_CANTOPEN && !create) return Err(Status::NotFound("no " + path));
    return Err(s);
  }
  sqlite3_busy_timeout(db, busy_ms);
  sqlite3_extended_result_codes(db, 1);
  auto out = std::unique_ptr<Db>(new Db(db, std::move(vfs)));
  // WAL for concurrent readers; FULL so a commit survives power loss.
  SEGLAKE_TRY(out->Exec("PRAGMA journal_mode=WAL"));
  SEGLAKE_TRY(out->Exec("PRAGMA synchronous=FULL"));
  SEGLAKE_TRY(out->Exec("PRAGMA foreign_keys=OFF"));
  return out;
}

Db::~Db() {
  for (auto& [k, s] : cache_) sqlite3_finalize(s);
  sqlite3_close(db_);
}

int64_t Db::LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }

Status Db::Error(std::string_view what) const { return SqlError(db_, sqlite3_errcode(db_), what); }

Status Db::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    Status s = SqlError(db_, rc, err ? err : sql);
    sqlite3_free(err);
    return s;
  }
  return Status::OK();
}

Result<Stmt> Db::Prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Stmt(it->second);
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) return Err(SqlError(db_, rc, std::string("prepare: ") + sql));
  cache_[sql] = s;
  return Stmt(s);
}

}  // namespace seglake::meta
