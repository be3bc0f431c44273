// Segment scanning and torn-tail recovery over an in-memory file.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "segment/segment.h"

namespace {

class MemFile final : public seglake::File {
 public:
  explicit MemFile(std::string b) : b_(std::move(b)) {}
  seglake::Status PWrite(uint64_t off, const void* p, size_t n) override {
    if (off + n > b_.size()) b_.resize(off + n);
    std::memcpy(b_.data() + off, p, n);
    return seglake::Status::OK();
  }
  seglake::Result<size_t> PRead(uint64_t off, void* p, size_t n) const override {
    if (off >= b_.size()) return size_t{0};
    size_t k = std::min<size_t>(n, b_.size() - off);
    std::memcpy(p, b_.data() + off, k);
    return k;
  }
  seglake::Status Sync() override { return seglake::Status::OK(); }
  seglake::Result<uint64_t> Size() const override { return b_.size(); }
  seglake::Status Truncate(uint64_t n) override {
    b_.resize(n);
    return seglake::Status::OK();
  }

 private:
  std::string b_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Prefix a valid header half of the time so the fuzzer reaches records.
  std::string in(reinterpret_cast<const char*>(data), size);
  if (size > 0 && (data[0] & 1)) in = seglake::segment::EncodeHeader({1, 2}) + in.substr(1);
  MemFile f(in);
  (void)seglake::segment::Scan(f, true,
                               [](uint64_t, const seglake::record::Header&, std::string_view) {
                                 return seglake::Status::OK();
                               });
  auto r = seglake::segment::RecoverAndSeal(&f);
  if (r) {
    // What recovery sealed must scan as sealed.
    auto again = seglake::segment::Scan(f, false, nullptr);
    if (!again || !again->sealed) __builtin_trap();
  }
  return 0;
}
