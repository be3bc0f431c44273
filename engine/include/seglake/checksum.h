// Checksums S3 and the engine use: CRC32C (record integrity, S3), CRC32,
// CRC64-NVMe, MD5 (ETags), SHA-1, SHA-256. Incremental, by algorithm.
// Hashers are not thread-safe; use one per stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace seglake {

uint32_t Crc32c(const void* data, size_t n, uint32_t crc = 0);
uint32_t Crc32(const void* data, size_t n, uint32_t crc = 0);
uint64_t Crc64Nvme(const void* data, size_t n, uint64_t crc = 0);

enum class HashAlgo { kMd5, kSha1, kSha256, kCrc32, kCrc32c, kCrc64Nvme };

// Parses "crc32", "CRC32C", "crc64nvme", "sha1", "sha256", "md5".
bool ParseHashAlgo(std::string_view name, HashAlgo* out);

class Hasher {
 public:
  virtual ~Hasher() = default;
  static std::unique_ptr<Hasher> New(HashAlgo algo);
  virtual void Update(const void* data, size_t n) = 0;
  // The digest as raw bytes (big-endian for CRCs, as S3 encodes them).
  // Does not reset; may be called repeatedly as more data arrives.
  virtual std::string Digest() const = 0;
};

std::string ToHex(std::string_view bytes);
std::string ToBase64(std::string_view bytes);
// Returns false on malformed input.
bool FromBase64(std::string_view text, std::string* out);
bool FromHex(std::string_view text, std::string* out);
// MD5 of a buffer, as raw bytes.
std::string Md5(std::string_view data);
std::string Sha256(std::string_view data);

}  // namespace seglake
