#include "proto/checksum.h"

#include <array>

#include "proto/encoding.h"
#include "seglake/checksum.h"

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

// The CRCs are the engine's (ISA-L, and a table-driven CRC64-NVMe).
uint32_t Crc32(uint32_t crc, std::string_view data) {
  return seglake::Crc32(data.data(), data.size(), crc);
}

uint32_t Crc32c(uint32_t crc, std::string_view data) {
  return seglake::Crc32c(data.data(), data.size(), crc);
}

uint64_t Crc64Nvme(uint64_t crc, std::string_view data) {
  return seglake::Crc64Nvme(data.data(), data.size(), crc);
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
