#include "proto/checksum.h"

#include <isa-l/crc.h>

#include <array>

#include "proto/encoding.h"

namespace seglake::s3 {
namespace {

struct AlgInfo {
  ChecksumAlgorithm alg;
  std::string_view name;
  size_t size;
};

constexpr std::array<AlgInfo, 5> kAlgs = {{
    {ChecksumAlgorithm::kCrc32, "CRC32", 4},
    {ChecksumAlgorithm::kCrc32c, "CRC32C", 4},
    {ChecksumAlgorithm::kCrc64Nvme, "CRC64NVME", 8},
    {ChecksumAlgorithm::kSha1, "SHA1", 20},
    {ChecksumAlgorithm::kSha256, "SHA256", 32},
}};

// CRC64-NVMe, reflected: polynomial 0xAD93D23594C93659 bit-reversed.
constexpr uint64_t kCrc64NvmePoly = 0x9a6c9329ac4bc9b5ULL;

// Slicing-by-8 tables: kTables[0] is the classic byte table; kTables[k][b]
// advances the CRC of byte b by k more zero bytes.
using Crc64Tables = std::array<std::array<uint64_t, 256>, 8>;

constexpr Crc64Tables MakeCrc64Tables() {
  Crc64Tables t{};
  for (uint64_t b = 0; b < 256; ++b) {
    uint64_t crc = b;
    for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ kCrc64NvmePoly : crc >> 1;
    t[0][b] = crc;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (size_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
  }
  return t;
}

constexpr Crc64Tables kCrc64Tables = MakeCrc64Tables();

std::string BigEndian(uint64_t v, size_t bytes) {
  std::string out(bytes, '\0');
  for (size_t i = 0; i < bytes; ++i) out[bytes - 1 - i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

}  // namespace

std::optional<ChecksumAlgorithm> ParseChecksumAlgorithm(std::string_view name) {
  for (const AlgInfo& a : kAlgs) {
    if (EqualsIgnoreCase(name, a.name)) return a.alg;
  }
  return std::nullopt;
}

std::optional<ChecksumAlgorithm> ChecksumAlgorithmFromHeader(std::string_view header_name) {
  constexpr std::string_view kPrefix = "x-amz-checksum-";
  if (header_name.size() <= kPrefix.size() ||
      !EqualsIgnoreCase(header_name.substr(0, kPrefix.size()), kPrefix)) {
    return std::nullopt;
  }
  return ParseChecksumAlgorithm(header_name.substr(kPrefix.size()));
}

std::string_view ChecksumName(ChecksumAlgorithm alg) {
  return kAlgs[static_cast<size_t>(alg) % kAlgs.size()].name;
}

std::string ChecksumHeaderName(ChecksumAlgorithm alg) {
  return "x-amz-checksum-" + AsciiLower(ChecksumName(alg));
}

size_t ChecksumSize(ChecksumAlgorithm alg) {
  return kAlgs[static_cast<size_t>(alg) % kAlgs.size()].size;
}

uint32_t Crc32(uint32_t crc, std::string_view data) {
  return crc32_gzip_refl(crc, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

uint32_t Crc32c(uint32_t crc, std::string_view data) {
  // crc32_iscsi neither inverts on entry nor on exit.
  // It takes an int length, so feed it at most 1 GiB at a time.
  constexpr size_t kStep = size_t{1} << 30;
  auto* p = reinterpret_cast<unsigned char*>(const_cast<char*>(data.data()));
  uint32_t raw = ~crc;
  for (size_t n = data.size(); n > 0;) {
    const size_t step = n < kStep ? n : kStep;
    raw = crc32_iscsi(p, static_cast<int>(step), raw);
    p += step;
    n -= step;
  }
  return ~raw;
}

uint64_t Crc64Nvme(uint64_t crc, std::string_view data) {
  const auto& t = kCrc64Tables;
  crc = ~crc;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  while (n >= 8) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];  // little-endian load
    v ^= crc;
    crc = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^ t[4][(v >> 24) & 0xff] ^
          t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^ t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
  return ~crc;
}

Checksummer::Checksummer(ChecksumAlgorithm alg) : alg_(alg) {
  if (alg == ChecksumAlgorithm::kSha1) digest_.emplace(Digest::Kind::kSha1);
  if (alg == ChecksumAlgorithm::kSha256) digest_.emplace(Digest::Kind::kSha256);
}

void Checksummer::Update(std::string_view data) {
  switch (alg_) {
    case ChecksumAlgorithm::kCrc32:
      crc_ = Crc32(static_cast<uint32_t>(crc_), data);
      break;
    case ChecksumAlgorithm::kCrc32c:
      crc_ = Crc32c(static_cast<uint32_t>(crc_), data);
      break;
    case ChecksumAlgorithm::kCrc64Nvme:
      crc_ = Crc64Nvme(crc_, data);
      break;
    case ChecksumAlgorithm::kSha1:
    case ChecksumAlgorithm::kSha256:
      digest_->Update(data);
      break;
  }
}

std::string Checksummer::Final() {
  if (digest_) return digest_->Final();
  return BigEndian(crc_, ChecksumSize(alg_));
}

std::string Checksummer::FinalBase64() { return Base64Encode(Final()); }

}  // namespace seglake::s3
