// Convenience wrappers over the streaming API.
#include "seglake/engine.h"

namespace seglake {

Result<ObjectInfo> Engine::Put(const std::string& bucket, const std::string& key,
                               std::string_view data, const PutOptions& opts) {
  auto w = BeginPut(bucket, key, opts);
  if (!w) return Err(w.error());
  SEGLAKE_TRY((*w)->Append(data.data(), data.size()));
  return (*w)->Commit();
}

Result<std::string> Engine::ReadAll(const std::string& bucket, const std::string& key,
                                    const std::string& version_id) {
  auto r = OpenRead(bucket, key, version_id);
  if (!r) return Err(r.error());
  std::string out((*r)->info().size, '\0');
  uint64_t off = 0;
  while (off < out.size()) {
    auto n = (*r)->ReadAt(off, out.data() + off, out.size() - off);
    if (!n) return Err(n.error());
    if (*n == 0) return Err(Status::Corruption("object shorter than its size"));
    off += *n;
  }
  return out;
}

}  // namespace seglake
