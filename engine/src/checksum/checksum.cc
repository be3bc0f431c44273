#include "seglake/checksum.h"

#include <isa-l/crc.h>
#include <openssl/evp.h>

#include <array>
#include <cstring>

namespace seglake {
namespace {

// CRC64-NVMe (polynomial 0xAD93D23594C93659, reflected), not in ISA-L 2.30.
// Slicing-by-8 tables built once.
struct Crc64Tables {
  std::array<std::array<uint64_t, 256>, 8> t{};
  Crc64Tables() {
    const uint64_t poly = 0x9a6c9329ac4bc9b5ull;  // reflected
    for (uint64_t i = 0; i < 256; ++i) {
      uint64_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
      t[0][i] = c;
    }
    for (int s = 1; s < 8; ++s)
      for (int i = 0; i < 256; ++i) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  }
};

const Crc64Tables& Tables64() {
  static const Crc64Tables tables;
  return tables;
}

std::string BigEndian(uint64_t v, int bytes) {
  std::string s(static_cast<size_t>(bytes), '\0');
  for (int i = bytes - 1; i >= 0; --i) {
    s[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return s;
}

class CrcHasher final : public Hasher {
 public:
  explicit CrcHasher(HashAlgo a) : algo_(a) {}
  void Update(const void* data, size_t n) override {
    switch (algo_) {
      case HashAlgo::kCrc32:
        crc_ = Crc32(data, n, static_cast<uint32_t>(crc_));
        break;
      case HashAlgo::kCrc32c:
        crc_ = Crc32c(data, n, static_cast<uint32_t>(crc_));
        break;
      default:
        crc_ = Crc64Nvme(data, n, crc_);
        break;
    }
  }
  std::string Digest() const override {
    return BigEndian(crc_, algo_ == HashAlgo::kCrc64Nvme ? 8 : 4);
  }

 private:
  HashAlgo algo_;
  uint64_t crc_ = 0;
};

class EvpHasher final : public Hasher {
 public:
  explicit EvpHasher(const EVP_MD* md) : ctx_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(ctx_, md, nullptr);
  }
  ~EvpHasher() override { EVP_MD_CTX_free(ctx_); }
  EvpHasher(const EvpHasher&) = delete;
  EvpHasher& operator=(const EvpHasher&) = delete;
  void Update(const void* data, size_t n) override { EVP_DigestUpdate(ctx_, data, n); }
  std::string Digest() const override {
    EVP_MD_CTX* copy = EVP_MD_CTX_new();
    EVP_MD_CTX_copy_ex(copy, ctx_);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(copy, out, &len);
    EVP_MD_CTX_free(copy);
    return std::string(reinterpret_cast<char*>(out), len);
  }

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace

uint32_t Crc32c(const void* data, size_t n, uint32_t crc) {
  // ISA-L's crc32_iscsi takes and returns the raw register; invert around it
  // to get the standard CRC32C (init and final xor 0xffffffff). Its length is
  // an int: feed it at most 1 GiB at a time.
  constexpr size_t kStep = size_t{1} << 30;
  auto* p = static_cast<unsigned char*>(const_cast<void*>(data));
  uint32_t raw = ~crc;
  while (n > 0) {
    size_t step = n < kStep ? n : kStep;
    raw = crc32_iscsi(p, static_cast<int>(step), raw);
    p += step;
    n -= step;
  }
  return ~raw;
}

uint32_t Crc32(const void* data, size_t n, uint32_t crc) {
  return crc32_gzip_refl(crc, static_cast<const unsigned char*>(data), static_cast<uint64_t>(n));
}

uint64_t Crc64Nvme(const void* data, size_t n, uint64_t crc) {
  const auto& t = Tables64().t;
  const unsigned char* p = static_cast<const unsigned char*>(data);
  uint64_t c = ~crc;
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    c ^= w;
    c = t[7][c & 0xff] ^ t[6][(c >> 8) & 0xff] ^ t[5][(c >> 16) & 0xff] ^ t[4][(c >> 24) & 0xff] ^
        t[3][(c >> 32) & 0xff] ^ t[2][(c >> 40) & 0xff] ^ t[1][(c >> 48) & 0xff] ^ t[0][c >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return ~c;
}

bool ParseHashAlgo(std::string_view name, HashAlgo* out) {
  std::string n;
  for (char ch : name) n += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  if (n == "md5")
    *out = HashAlgo::kMd5;
  else if (n == "sha1")
    *out = HashAlgo::kSha1;
  else if (n == "sha256")
    *out = HashAlgo::kSha256;
  else if (n == "crc32")
    *out = HashAlgo::kCrc32;
  else if (n == "crc32c")
    *out = HashAlgo::kCrc32c;
  else if (n == "crc64nvme")
    *out = HashAlgo::kCrc64Nvme;
  else
    return false;
  return true;
}

std::unique_ptr<Hasher> Hasher::New(HashAlgo algo) {
  switch (algo) {
    case HashAlgo::kMd5:
      return std::make_unique<EvpHasher>(EVP_md5());
    case HashAlgo::kSha1:
      return std::make_unique<EvpHasher>(EVP_sha1());
    case HashAlgo::kSha256:
      return std::make_unique<EvpHasher>(EVP_sha256());
    default:
      return std::make_unique<CrcHasher>(algo);
  }
}

std::string ToHex(std::string_view bytes) {
  static const char* d = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    s += d[c >> 4];
    s += d[c & 15];
  }
  return s;
}

bool FromHex(std::string_view text, std::string* out) {
  if (text.size() % 2) return false;
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out->clear();
  for (size_t i = 0; i < text.size(); i += 2) {
    int hi = val(text[i]), lo = val(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

std::string ToBase64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool FromBase64(std::string_view text, std::string* out) {
  if (text.size() % 4) return false;
  std::string buf(3 * text.size() / 4, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(buf.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return false;
  size_t len = static_cast<size_t>(n);
  if (!text.empty() && text.back() == '=') --len;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --len;
  buf.resize(len);
  *out = std::move(buf);
  return true;
}

std::string Md5(std::string_view data) {
  auto h = Hasher::New(HashAlgo::kMd5);
  h->Update(data.data(), data.size());
  return h->Digest();
}

std::string Sha256(std::string_view data) {
  auto h = Hasher::New(HashAlgo::kSha256);
  h->Update(data.data(), data.size());
  return h->Digest();
}

}  // namespace seglake
