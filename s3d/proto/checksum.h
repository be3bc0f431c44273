// The whole-object checksums of S3 (x-amz-checksum-*), computed
// incrementally. Values print as S3 prints them: base64 of the big-endian
// bytes of a CRC, base64 of the raw digest of a SHA.
//
// CRC32 (gzip) and CRC32C (Castagnoli) come from ISA-L; CRC64-NVMe is
// table-driven here; SHA-1 and SHA-256 come from OpenSSL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proto/crypto.h"

namespace seglake::s3 {

enum class ChecksumAlgorithm : uint8_t { kCrc32, kCrc32c, kCrc64Nvme, kSha1, kSha256 };

// "CRC32", "crc32c", "CRC64NVME", "SHA1", "sha256" (case-insensitive), as in
// x-amz-checksum-algorithm and x-amz-sdk-checksum-algorithm.
std::optional<ChecksumAlgorithm> ParseChecksumAlgorithm(std::string_view name);
// "x-amz-checksum-crc32" and friends (case-insensitive).
std::optional<ChecksumAlgorithm> ChecksumAlgorithmFromHeader(std::string_view header_name);
std::string_view ChecksumName(ChecksumAlgorithm alg);   // "CRC32", "CRC64NVME", ...
std::string ChecksumHeaderName(ChecksumAlgorithm alg);  // "x-amz-checksum-crc32", ...
size_t ChecksumSize(ChecksumAlgorithm alg);             // raw bytes: 4, 4, 8, 20, 32

// Running CRCs in the zlib convention: pass 0 to start, pass the previous
// result to continue.
uint32_t Crc32(uint32_t crc, std::string_view data);
uint32_t Crc32c(uint32_t crc, std::string_view data);
uint64_t Crc64Nvme(uint64_t crc, std::string_view data);

// One algorithm over a stream of bytes.
class Checksummer {
 public:
  explicit Checksummer(ChecksumAlgorithm alg);

  ChecksumAlgorithm algorithm() const { return alg_; }
  void Update(std::string_view data);
  // Raw big-endian bytes (ChecksumSize(alg) of them). Call once.
  std::string Final();
  // base64 of Final(), the form of x-amz-checksum-* headers. Call once.
  std::string FinalBase64();

 private:
  ChecksumAlgorithm alg_;
  uint64_t crc_ = 0;
  std::optional<Digest> digest_;
};

}  // namespace seglake::s3
