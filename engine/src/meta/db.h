// A thin SQLite wrapper: one connection, cached prepared statements, Status
// errors. A Db is used by one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "seglake/env.h"
#include "seglake/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace seglake::meta {

class EnvVfs;

// A prepared statement borrowed from a Db's cache; reset on destruction.
class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }

  Stmt& Bind(int i, int64_t v);
  Stmt& Bind(int i, uint64_t v) { return Bind(i, static_cast<int64_t>(v)); }
  Stmt& Bind(int i, int v) { return Bind(i, static_cast<int64_t>(v)); }
  Stmt& Bind(int i, uint32_t v) { return Bind(i, static_cast<int64_t>(v)); }
  Stmt& Bind(int i, bool v) { return Bind(i, static_cast<int64_t>(v ? 1 : 0)); }
  Stmt& BindText(int i, std::string_view v);
  Stmt& BindBlob(int i, std::string_view v);
  // Steps once: true if a row is available.
  Result<bool> Step();
  // Steps a statement that returns no rows.
  Status Run();

  int64_t Int(int col) const;
  uint64_t UInt(int col) const { return static_cast<uint64_t>(Int(col)); }
  std::string Text(int col) const;
  std::string Blob(int col) const;
  bool IsNull(int col) const;

 private:
  sqlite3_stmt* s_;
};

class Db {
 public:
  // Opens `path` with its file I/O through `env` (see env_vfs.h), or with
  // SQLite's default VFS if env is nullptr.
  static Result<std::unique_ptr<Db>> Open(const std::string& path, bool create, int busy_ms,
                                          Env* env);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  Status Exec(const std::string& sql);
  Result<Stmt> Prepare(const char* sql);
  sqlite3* raw() const { return db_; }
  int64_t LastInsertRowid() const;
  Status Error(std::string_view what) const;

 private:
  Db(sqlite3* db, std::shared_ptr<EnvVfs> vfs) : db_(db), vfs_(std::move(vfs)) {}
  sqlite3* db_;
  std::shared_ptr<EnvVfs> vfs_;  // keeps the VFS registered until db_ is closed
  std::map<const char*, sqlite3_stmt*> cache_;
};

// Opens meta.db (through `env`, as Db::Open) and brings its schema to the
// current version.
Result<std::unique_ptr<Db>> OpenMetaDb(const std::string& path, bool create, int busy_ms, Env* env);
// The schema version this build writes.
inline constexpr int kSchemaVersion = 2;

}  // namespace seglake::meta
