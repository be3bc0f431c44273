#include "record/record.h"

#include <cstring>

#include "seglake/checksum.h"
#include "util/coding.h"

namespace seglake::record {

static void EncodePrefix(Type type, uint32_t length, char* out) {
  PutFixed32(out, kMagic);
  out[4] = static_cast<char>(type);
  out[5] = 0;
  out[6] = 0;
  out[7] = 0;
  PutFixed32(out + 8, length);
}

uint32_t PayloadCrc(Type type, uint32_t length, std::string_view payload) {
  char prefix[12];
  EncodePrefix(type, length, prefix);
  uint32_t crc = Crc32c(prefix, sizeof prefix);
  return Crc32c(payload.data(), payload.size(), crc);
}

void EncodeHeader(Type type, std::string_view payload, char* out) {
  uint32_t len = static_cast<uint32_t>(payload.size());
  EncodePrefix(type, len, out);
  PutFixed32(out + 12, PayloadCrc(type, len, payload));
}

Result<Header> DecodeHeader(std::string_view b) {
  if (b.size() < kHeaderSize) return Err(Status::Corruption("record header truncated"));
  if (GetFixed32(b.data()) != kMagic) return Err(Status::Corruption("bad record magic"));
  auto t = static_cast<uint8_t>(b[4]);
  if (t < 1 || t > 3) return Err(Status::Corruption("unknown record type"));
  if (b[5] != 0 || b[6] != 0 || b[7] != 0) return Err(Status::Corruption("record flags set"));
  Header h;
  h.type = static_cast<Type>(t);
  h.length = GetFixed32(b.data() + 8);
  h.crc = GetFixed32(b.data() + 12);
  if (h.length > kMaxPayload) return Err(Status::Corruption("record length too large"));
  return h;
}

Status VerifyPayload(const Header& h, std::string_view payload) {
  if (payload.size() != h.length) return Status::Corruption("record payload truncated");
  if (PayloadCrc(h.type, h.length, payload) != h.crc)
    return Status::Corruption("record checksum mismatch");
  return Status::OK();
}

}  // namespace seglake::record
