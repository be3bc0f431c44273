// SHA-256 and HMAC-SHA256 over OpenSSL, and a constant-time comparison.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace seglake::s3 {

inline constexpr std::string_view kEmptySha256Hex =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string Sha256(std::string_view data);                            // 32 raw bytes
std::string Sha256Hex(std::string_view data);                         // 64 lowercase hex digits
std::string HmacSha256(std::string_view key, std::string_view data);  // 32 raw bytes

// True when a and b hold the same bytes; the time taken depends only on the
// sizes, never on where the bytes differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Incremental SHA-1 or SHA-256. Movable, not copyable.
class Digest {
 public:
  enum class Kind { kSha1, kSha256 };
  explicit Digest(Kind kind);
  ~Digest();
  Digest(Digest&&) noexcept;
  Digest& operator=(Digest&&) noexcept;

  void Update(std::string_view data);
  // Raw digest bytes. The object must not be updated afterwards.
  std::string Final();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace seglake::s3
