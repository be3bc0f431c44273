#include "meta/read_pool.h"

namespace seglake::meta {

Status ReadPool::Open(const std::string& path, int n, int busy_ms, Env* env) {
  for (int i = 0; i < n; ++i) {
    auto db = Db::Open(path, false, busy_ms, env);
    if (!db) return db.error();
    std::lock_guard<std::mutex> l(mu_);
    free_.push_back(std::move(*db));
  }
  return Status::OK();
}

ReadPool::Lease ReadPool::Get() {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [&] { return !free_.empty(); });
  auto db = std::move(free_.back());
  free_.pop_back();
  return Lease(this, std::move(db));
}

void ReadPool::Return(std::unique_ptr<Db> db) {
  std::lock_guard<std::mutex> l(mu_);
  free_.push_back(std::move(db));
  cv_.notify_one();
}

}  // namespace seglake::meta
