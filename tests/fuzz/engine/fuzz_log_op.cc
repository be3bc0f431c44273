// Metadata log records: decode arbitrary CBOR and apply the op to a scratch
// in-memory index. Apply must reject malformed ops with a Status, never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "commit/committer.h"
#include "meta/apply.h"
#include "meta/codec.h"
#include "meta/db.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::unique_ptr<seglake::meta::Db> db = [] {
    auto d = seglake::meta::OpenMetaDb(":memory:", true, 1000, nullptr);
    if (!d) __builtin_trap();
    (void)(*d)->Exec(
        "INSERT INTO buckets(name, region, created_ns, versioning) "
        "VALUES('b', '', 0, 1)");
    return std::move(*d);
  }();
  seglake::LogRecord rec;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (!seglake::DecodeLogRecord(in, &rec).ok()) {
    // Also try the input as the op itself, as JSON text.
    rec.op = seglake::meta::ParseJson(in);
    if (rec.op.is_discarded()) return 0;
  }
  (void)db->Exec("BEGIN");
  (void)seglake::meta::Apply(db.get(), rec.seq + 1, rec.op);
  (void)db->Exec("ROLLBACK");
  return 0;
}
