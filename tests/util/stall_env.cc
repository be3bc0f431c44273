#include "util/stall_env.h"

#include <utility>

namespace seglake::testing {

class StallEnv::StallFile : public File {
 public:
  StallFile(StallEnv* env, std::string path, std::unique_ptr<File> target)
      : env_(env), path_(std::move(path)), target_(std::move(target)) {}
  Status PWrite(uint64_t offset, const void* data, size_t n) override {
    Status s = env_->MaybeStall(Op::kPWrite, path_);
    return s.ok() ? target_->PWrite(offset, data, n) : s;
  }
  Result<size_t> PRead(uint64_t offset, void* buf, size_t n) const override {
    return target_->PRead(offset, buf, n);
  }
  Status Sync() override {
    Status s = env_->MaybeStall(Op::kSync, path_);
    return s.ok() ? target_->Sync() : s;
  }
  Result<uint64_t> Size() const override { return target_->Size(); }
  Status Truncate(uint64_t size) override { return target_->Truncate(size); }

 private:
  StallEnv* env_;
  std::string path_;
  std::unique_ptr<File> target_;
};

StallEnv::StallEnv(Env* target) : EnvWrapper(target ? target : Env::Default()) {}

void StallEnv::Arm(Op op, const std::string& suffix, Status fail) {
  std::lock_guard<std::mutex> l(mu_);
  armed_ = true;
  op_ = op;
  suffix_ = suffix;
  fail_ = std::move(fail);
  stalled_ = released_ = false;
}

void StallEnv::WaitStalled() {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [&] { return stalled_; });
}

void StallEnv::Release() {
  std::lock_guard<std::mutex> l(mu_);
  released_ = true;
  cv_.notify_all();
}

Status StallEnv::MaybeStall(Op op, const std::string& path) {
  std::unique_lock<std::mutex> l(mu_);
  if (!armed_ || op != op_ || path.size() < suffix_.size() ||
      path.compare(path.size() - suffix_.size(), suffix_.size(), suffix_) != 0)
    return Status::OK();
  armed_ = false;
  stalled_ = true;
  cv_.notify_all();
  cv_.wait(l, [&] { return released_; });
  return fail_;
}

Result<std::unique_ptr<File>> StallEnv::Open(const std::string& path, OpenOptions opts) {
  auto f = target()->Open(path, opts);
  if (!f) return f;
  return std::unique_ptr<File>(new StallFile(this, path, std::move(*f)));
}

}  // namespace seglake::testing
