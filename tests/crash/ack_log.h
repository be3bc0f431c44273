// The line protocol between seglake-crash-child and the tests that run it,
// and the expected per-key state those lines imply.
//
// The child prints, flushing after each line:
//   ready                                   engine open, ops start
//   begin ID put KEY SEED SIZE              before calling the engine
//   begin ID mpu KEY SEED SIZE NPARTS       multipart: create, parts, complete
//   begin ID del KEY
//   begin ID copy SRC DST FIRST LAST        FIRST/LAST "-" for a whole copy
//   begin ID ren FROM TO                    single-key rename with replace
//   ack ID VERSION_ID ETAG SEQ              after the op returned OK
//                                           ("-" fields for del and ren)
//   error TEXT                              the child saw something wrong
//   done                                    all ops ran (op-count mode)
// Keys contain no spaces. Content of put/mpu is GenContent(SEED, SIZE); a
// multipart's parts are MpuPartSizes(SIZE, NPARTS) slices of it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model.h"
#include "seglake/engine.h"

namespace seglake::testing {

inline constexpr const char* kChildBucket = "crash";
inline constexpr const char* kSharedKey = "shared/x";

std::vector<uint64_t> MpuPartSizes(uint64_t size, uint32_t nparts);

struct AckOp {
  uint64_t id = 0;
  std::vector<std::string> begin;  // tokens after "begin ID"
  bool acked = false;
  std::string version_id, etag;
  uint64_t seq = 0;
};

// What a key holds: its bytes and the ETags it may carry (one once acked;
// two for a whole copy of a multipart object until the engine shows which).
struct KeyContent {
  Bytes data;
  std::vector<std::string> etags;
  uint32_t parts = 0;  // multipart part count of the source (0: single put)
};
using KeyState = std::map<std::string, KeyContent>;  // absent: no current version

// Parses a child's output line by line.
class AckLog {
 public:
  // Feeds one complete line (without '\n'); returns "" or a protocol error.
  std::string Feed(const std::string& line);
  const std::vector<AckOp>& ops() const { return ops_; }
  bool ready() const { return ready_; }
  bool done() const { return done_; }
  // Lines starting with "error".
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::vector<AckOp> ops_;
  bool ready_ = false, done_ = false;
  std::vector<std::string> errors_;
};

// Applies one op to a key state. For an acked op, checks the acked ETag
// against the expected one. Returns "" or what is wrong.
std::string ApplyOp(const AckOp& op, KeyState& state);
// Keys an op touches.
std::vector<std::string> OpKeys(const AckOp& op);
std::string DescribeOp(const AckOp& op);

// Compares the engine's current versions of every key under `prefix` (and of
// `extra_keys`) with `state`: same set of keys, same bytes, an allowed ETag.
// Returns "" or the differences.
std::string VerifyKeys(Engine& engine, const std::string& prefix, const KeyState& state,
                       const std::vector<std::string>& extra_keys = {});
// After VerifyKeys(state) returned "": narrows each key's ETags to the one
// the engine shows.
void NarrowEtags(Engine& engine, KeyState& state);

}  // namespace seglake::testing
