// Reads of a version: extents are pread from segment files; an extent read
// whole is checked against its record's CRC32C.
#include <cstring>

#include "object/engine_impl.h"
#include "record/record.h"

namespace seglake {
namespace {

class ReaderImpl final : public ObjectReader {
 public:
  ReaderImpl(EngineImpl* e, ObjectInfo info, Manifest m, std::shared_ptr<void> lease)
      : e_(e), info_(std::move(info)), m_(std::move(m)), lease_(std::move(lease)) {}

  const ObjectInfo& info() const override { return info_; }

  Result<size_t> ReadAt(uint64_t offset, void* buf, size_t n) override {
    if (offset >= m_.size() || n == 0) return size_t{0};
    n = static_cast<size_t>(std::min<uint64_t>(n, m_.size() - offset));
    char* out = static_cast<char*>(buf);
    uint64_t start = 0;
    size_t i = m_.Find(offset, &start);
    size_t done = 0;
    const auto& ex = m_.extents();
    while (done < n && i < ex.size()) {
      const Extent& e = ex[i];
      uint64_t in = offset + done - start;
      size_t take = static_cast<size_t>(std::min<uint64_t>(e.length - in, n - done));
      SEGLAKE_TRY(ReadExtent(e_, e, in, out + done, take, info_.bucket + "/" + info_.key));
      done += take;
      start += e.length;
      ++i;
    }
    return done;
  }

 private:
  EngineImpl* e_;
  ObjectInfo info_;
  Manifest m_;
  std::shared_ptr<void> lease_;  // keeps GC away from its segments
};

// When the extent is exactly one data record, verify its CRC.
Status CheckRecord(const File& f, const Extent& e, const char* data, const std::string& what) {
  if (e.offset < record::kHeaderSize) return Status::OK();
  char hb[record::kHeaderSize];
  auto r = f.PRead(e.offset - record::kHeaderSize, hb, sizeof hb);
  if (!r) return r.error();
  auto h = record::DecodeHeader(std::string_view(hb, *r));
  if (!h || h->type != record::Type::kData || h->length != e.length) return Status::OK();
  Status s = record::VerifyPayload(*h, std::string_view(data, e.length));
  if (!s.ok()) return Status::Corruption("data record checksum mismatch in " + what);
  return Status::OK();
}

}  // namespace

Status ReadExtent(EngineImpl* e, const Extent& ext, uint64_t in, char* out, size_t n,
                  const std::string& what) {
  if (ext.is_hole()) {
    std::memset(out, 0, n);
    return Status::OK();
  }
  auto f = e->files()->Get(ext.segment);
  if (!f) return f.error();
  auto r = (*f)->PRead(ext.offset + in, out, n);
  if (!r) return r.error();
  if (*r != n) return Status::Corruption("segment shorter than its extents");
  if (in == 0 && n == ext.length) return CheckRecord(**f, ext, out, what);
  return Status::OK();
}

std::unique_ptr<ObjectReader> NewObjectReader(EngineImpl* e, ObjectInfo info, Manifest m,
                                              std::shared_ptr<void> lease) {
  return std::make_unique<ReaderImpl>(e, std::move(info), std::move(m), std::move(lease));
}

}  // namespace seglake
