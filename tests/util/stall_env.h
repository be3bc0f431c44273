// StallEnv: an Env for tests that holds one file operation until the test
// lets it go, to open a window between two steps of the engine (a commit
// whose WAL sync hangs, a segment created but not yet given its header) and
// act inside it from another thread.
//
// Thread-safe. The wrapped Env must outlive this one, and files opened through
// it must not outlive it.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "seglake/env.h"

namespace seglake::testing {

class StallEnv : public EnvWrapper {
 public:
  enum class Op { kPWrite, kSync };
  // `target` nullptr means Env::Default().
  explicit StallEnv(Env* target = nullptr);

  // Holds the next `op` on a path ending in `suffix` until Release(); then it
  // runs, or fails with `fail` without running if that is not OK.
  void Arm(Op op, const std::string& suffix, Status fail = Status::OK());
  // Blocks until the armed call is being held.
  void WaitStalled();
  void Release();

  Result<std::unique_ptr<File>> Open(const std::string& path, OpenOptions opts) override;

 private:
  class StallFile;
  // OK to run the call, or the status to fail it with.
  Status MaybeStall(Op op, const std::string& path);

  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false;  // guarded by mu_, as the rest
  Op op_ = Op::kPWrite;
  std::string suffix_;
  Status fail_;
  bool stalled_ = false;
  bool released_ = false;
};

}  // namespace seglake::testing
