// A small pool of read connections to meta.db. Thread-safe.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "meta/db.h"

namespace seglake::meta {

class ReadPool {
 public:
  // Opens n connections to `path`, with file I/O through `env` (Db::Open).
  Status Open(const std::string& path, int n, int busy_ms, Env* env);

  class Lease {
   public:
    Lease(ReadPool* p, std::unique_ptr<Db> db) : pool_(p), db_(std::move(db)) {}
    ~Lease() {
      if (db_) pool_->Return(std::move(db_));
    }
    Lease(Lease&&) = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Db* operator->() const { return db_.get(); }
    Db* get() const { return db_.get(); }

   private:
    ReadPool* pool_;
    std::unique_ptr<Db> db_;
  };
  // Blocks until a connection is free.
  Lease Get();

 private:
  void Return(std::unique_ptr<Db> db);
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Db>> free_;  // guarded by mu_
};

}  // namespace seglake::meta
