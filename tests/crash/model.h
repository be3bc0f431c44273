// An in-memory model of the engine's S3 semantics (buckets, versioning,
// versions and delete markers, multipart uploads), a reader that turns an
// engine's whole state into the same shape, and a comparison of the two.
// Shared by the crash, rebuild and kill tests. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "seglake/engine.h"

namespace seglake::testing {

using Bytes = std::shared_ptr<const std::string>;

// Deterministic content: `n` bytes generated from `seed`.
std::string GenContent(uint64_t seed, size_t n);
// Lowercase hex MD5, and the raw 16-byte digest.
std::string Md5Hex(std::string_view data);
std::string Md5Raw(std::string_view data);
// S3 multipart ETag: md5(concat of binary part md5s) + "-N", from hex part md5s.
std::string MultipartEtag(const std::vector<std::string>& part_md5_hex);

// A version id the model does not know yet (the op's result was lost in a
// crash): it matches any id the engine shows that no other version has.
inline constexpr const char* kAnyId = "*";

struct MVersion {
  std::string id;  // "null" outside versioning
  bool delete_marker = false;
  Bytes data;                      // nullptr for delete markers (and when read without data)
  uint64_t size_without_data = 0;  // the size when `data` is nullptr
  std::string etag;
  uint32_t parts = 0;
  std::string content_type;
  uint64_t size() const { return data ? data->size() : size_without_data; }
};

struct MBucket {
  Versioning versioning = Versioning::kUnversioned;
  std::map<std::string, std::vector<MVersion>> keys;  // versions newest first
};

struct MPart {
  Bytes data;  // nullptr when read back from an engine (only size/etag known)
  uint64_t size = 0;
  std::string etag;
};

struct MUpload {
  std::string id;
  std::string bucket;
  std::string key;
  std::string content_type;
  std::map<uint32_t, MPart> parts;
};

// One entry of a flat listing: a key (with its current version) or a prefix.
struct MListEntry {
  bool is_prefix = false;
  std::string name;
  std::string etag;
  uint64_t size = 0;
  bool operator==(const MListEntry&) const = default;
};

struct MVersionEntry {
  std::string key;
  std::string id;
  bool delete_marker = false;
  bool is_latest = false;
  std::string etag;
  uint64_t size = 0;
};

class Model {
 public:
  std::map<std::string, MBucket> buckets;
  std::map<std::string, MUpload> uploads;  // by upload id

  MBucket* bucket(const std::string& b);
  // The latest version of a key (possibly a delete marker), or nullptr.
  const MVersion* Latest(const std::string& b, const std::string& k) const;
  // The latest version if it is not a delete marker.
  const MVersion* Current(const std::string& b, const std::string& k) const;
  const MVersion* Find(const std::string& b, const std::string& k, const std::string& id) const;

  // Mutations with S3 semantics. `id` is the version id the engine assigned
  // (kAnyId if unknown); outside kEnabled it must be "null".
  void AddVersion(const std::string& b, const std::string& k, MVersion v);
  void DeleteCurrent(const std::string& b, const std::string& k, const std::string& marker_id);
  // Removes exactly one version; returns false if there was none.
  bool DeleteVersion(const std::string& b, const std::string& k, const std::string& id);

  // Current keys in order, with prefix/delimiter rolled up.
  std::vector<MListEntry> ListAll(const std::string& b, const std::string& prefix,
                                  const std::string& delimiter) const;
  // Every version (key asc, newest first) and rolled-up prefixes.
  std::vector<MVersionEntry> ListVersionsAll(const std::string& b, const std::string& prefix,
                                             const std::string& delimiter,
                                             std::vector<std::string>* prefixes) const;
  size_t VersionCount() const;
};

// Reads the whole state of an engine: buckets, their versioning, every version
// and delete marker with contents (if `with_data`), open uploads and parts.
// Inconsistencies inside one listing (e.g. is_latest wrong) go to *problems.
Result<Model> ReadEngineState(Engine& engine, bool with_data, std::string* problems);

// Compares an expected model with the state read from an engine. An expected
// kAnyId version or upload id matches any actual id no other expected entry
// has. Returns "" when equal, else a description of the first differences.
std::string Diff(const Model& expected, const Model& actual);
// After Diff(expected, actual) returned "": replaces the kAnyId ids of
// `expected` by the ids they matched in `actual`.
void ResolveAnyIds(Model& expected, const Model& actual);

// Short printable form of a key (escapes non-printable bytes).
std::string Printable(std::string_view s);

}  // namespace seglake::testing
