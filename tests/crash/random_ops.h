// RandomOps: runs a seeded random sequence of engine operations (puts,
// overwrites, deletes, copies, multipart uploads, renames, versioning changes,
// listings and reads) against an Engine and a Model at once, checking every
// result against the model. Shared by the crash and rebuild tests.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "model.h"
#include "seglake/engine.h"

namespace seglake::testing {

struct RandomOpsConfig {
  // Buckets created by Setup(), with their initial versioning.
  std::vector<std::pair<std::string, Versioning>> buckets = {
      {"plain", Versioning::kUnversioned},
      {"ver", Versioning::kEnabled},
      {"mix", Versioning::kUnversioned},
  };
  // Largest object; sizes crossing record_bytes multiples are favoured.
  uint64_t max_size = 3ull << 20;
  uint64_t record_bytes = 1ull << 20;
  // Share of puts larger than 128 KiB.
  double big_fraction = 0.08;
  // Must equal Options::min_part_bytes of the engine.
  uint64_t min_part_bytes = 1024;
  // Include read-only check ops (reads, heads, paginated listings).
  bool checks = true;
};

class RandomOps {
 public:
  enum class Outcome {
    kOk,           // the op did what the model said
    kEngineError,  // the engine failed (IOError, NoSpace, ...) where the model expected success
    kMismatch,     // the engine answered differently from the model
  };

  RandomOps(Engine* engine, Model* model, uint64_t seed, RandomOpsConfig config = {});

  // Creates the configured buckets in the engine and the model.
  Outcome Setup();
  // Runs one random op.
  Outcome Step();
  // Runs n ops; stops at the first outcome that is not kOk and returns it.
  Outcome Run(int n);

  // After kEngineError: applies the failed op to a model as if it had
  // happened (unknown version/upload ids become kAnyId). No-op for reads.
  // An op whose result the driver cannot predict yet has a second variant
  // (a whole copy of a multipart version before copy_keeps_multipart_etag_
  // is known): a failed op that survives a crash may match either.
  void ApplyPending(Model& m, int variant = 0) const {
    const auto& apply = variant == 0 ? pending_ : pending_alt_;
    if (apply) apply(m);
  }
  bool has_pending() const { return static_cast<bool>(pending_); }
  int pending_variants() const { return !pending_ ? 0 : pending_alt_ ? 2 : 1; }
  // What went wrong, for kEngineError and kMismatch.
  const std::string& error() const { return error_; }
  // The last ops run (most recent last), for reproductions.
  std::string RecentOps(size_t n = 25) const;
  uint64_t ops_run() const { return history_.size(); }

  // Points the driver at another engine (after a reopen); the model stays.
  void set_engine(Engine* engine) { engine_ = engine; }

  // Full comparisons: every version, content and upload (ReadEngineState +
  // Diff), and paginated listings of every bucket with small pages.
  std::string CheckAll(bool with_data);
  std::string CheckListings();

 private:
  using Apply = std::function<void(Model&, const std::string& id)>;

  Outcome OpPut();
  Outcome OpDelete();
  Outcome OpDeleteVersion();
  Outcome OpCopy();
  Outcome OpCreateUpload();
  Outcome OpUploadPart();
  Outcome OpCopyPart();
  Outcome OpComplete();
  Outcome OpAbort();
  Outcome OpRename();
  Outcome OpRenamePrefix();
  Outcome OpSetVersioning();
  Outcome OpBucketLifecycle();
  Outcome OpSeal();
  Outcome OpRead();
  Outcome OpHead();
  Outcome OpList();
  Outcome OpListVersions();

  // After a rename in a versioned bucket: learns the ids the engine gave the
  // new versions and delete markers of `keys` (kAnyId in the model).
  Outcome ResolveIds(const std::string& b, const std::vector<std::string>& keys);

  // Result helpers. Fail(): the engine disagreed with the model.
  Outcome Fail(const std::string& what);
  // An error status: kEngineError if it may be an I/O failure (the op's
  // effect, if any, is `apply` with kAnyId), else a mismatch.
  Outcome Unexpected(const Status& s, Apply apply, Apply alt = nullptr);
  // Checks the version id of a new version against the bucket's versioning.
  bool CheckNewId(const std::string& b, const std::string& k, const std::string& id,
                  std::string* why) const;

  uint64_t Uniform(uint64_t lo, uint64_t hi);  // inclusive
  bool Chance(double p);
  std::string PickBucket();
  std::string RandomKeyName();
  std::string PickKey(const std::string& b, double existing);
  // A key of `b` whose latest version is not a delete marker, or "".
  std::string PickCurrentKey(const std::string& b);
  // An open upload of the model. REQUIRES: there is one.
  std::string PickUpload();
  uint64_t RandomSize();
  uint64_t RandomPartSize();
  std::string RandomContentType();
  Bytes NewContent(uint64_t size);
  // Writes `data` through `w` in random chunks.
  Status AppendChunks(ObjectWriter* w, const std::string& data);
  std::string CheckRead(const std::string& b, const std::string& k, const std::string& vid,
                        const MVersion* expect);
  std::string CheckListPaged(const std::string& b, const std::string& prefix,
                             const std::string& delimiter, uint32_t page);
  std::string CheckListVersionsPaged(const std::string& b, const std::string& prefix,
                                     const std::string& delimiter, uint32_t page);
  std::string CheckUploads(const std::string& b);
  void Log(std::string op);

  Engine* engine_;
  Model* model_;
  RandomOpsConfig cfg_;
  std::mt19937_64 rng_;
  std::function<void(Model&)> pending_;
  std::function<void(Model&)> pending_alt_;  // the other possible outcome, if any
  std::string error_;
  std::vector<std::string> history_;
  // Whether a whole copy of a multipart version keeps its ETag and part count
  // (1) or gets the MD5 of its bytes (0); -1 until first seen.
  int copy_keeps_multipart_etag_ = -1;
  std::map<std::string, uint64_t> upload_order_;  // upload id -> creation number
};

}  // namespace seglake::testing
