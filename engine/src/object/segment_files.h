// Read-only handles to segment files, opened on first use and shared.
// Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "seglake/env.h"

namespace seglake {

class SegmentFiles {
 public:
  SegmentFiles(Env* env, std::string dir) : env_(env), dir_(std::move(dir)) {}
  Result<std::shared_ptr<File>> Get(uint64_t segment);
  // Drops the cached handle of a deleted segment (readers holding it keep it).
  void Forget(uint64_t segment);

 private:
  Env* env_;
  std::string dir_;
  std::mutex mu_;
  std::map<uint64_t, std::shared_ptr<File>> files_;  // guarded by mu_
};

}  // namespace seglake
