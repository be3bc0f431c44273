// Checksums: the standard check values, incremental updates, and the
// base64 forms S3 prints.
#define BOOST_TEST_MODULE s3proto_checksum
#include <boost/test/unit_test.hpp>

#include <random>
#include <string>

#include "proto/checksum.h"
#include "proto/crypto.h"
#include "proto/encoding.h"

namespace seglake::s3 {
namespace {

constexpr std::string_view kCheck = "123456789";

// Bit-at-a-time reference for the table-driven CRC64-NVMe.
uint64_t Crc64NvmeReference(std::string_view data) {
  uint64_t crc = ~uint64_t{0};
  for (unsigned char c : data) {
    crc ^= c;
    for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ 0x9a6c9329ac4bc9b5ULL : crc >> 1;
  }
  return ~crc;
}

std::string Base64Of(ChecksumAlgorithm alg, std::string_view data) {
  Checksummer c(alg);
  c.Update(data);
  return c.FinalBase64();
}

}  // namespace

BOOST_AUTO_TEST_CASE(check_values_of_123456789) {
  BOOST_CHECK_EQUAL(Crc32(0, kCheck), 0xCBF43926u);
  BOOST_CHECK_EQUAL(Crc32c(0, kCheck), 0xE3069283u);
  BOOST_CHECK_EQUAL(Crc64Nvme(0, kCheck), 0xae8b14860a799888ULL);
  BOOST_CHECK_EQUAL(Crc64NvmeReference(kCheck), 0xae8b14860a799888ULL);
}

BOOST_AUTO_TEST_CASE(empty_input) {
  BOOST_CHECK_EQUAL(Crc32(0, ""), 0u);
  BOOST_CHECK_EQUAL(Crc32c(0, ""), 0u);
  BOOST_CHECK_EQUAL(Crc64Nvme(0, ""), 0u);
  BOOST_CHECK_EQUAL(Base64Of(ChecksumAlgorithm::kCrc32, ""), "AAAAAA==");
  BOOST_CHECK_EQUAL(Base64Of(ChecksumAlgorithm::kCrc64Nvme, ""), "AAAAAAAAAAA=");
  BOOST_CHECK_EQUAL(Base64Of(ChecksumAlgorithm::kSha256, ""),
                    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  BOOST_CHECK_EQUAL(Base64Of(ChecksumAlgorithm::kSha1, ""), "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
}

BOOST_AUTO_TEST_CASE(base64_is_big_endian) {
  BOOST_CHECK_EQUAL(Base64Of(ChecksumAlgorithm::kCrc32, kCheck), "y/Q5Jg==");   // CB F4 39 26
  BOOST_CHECK_EQUAL(Base64Of(ChecksumAlgorithm::kCrc32c, kCheck), "4waSgw==");  // E3 06 92 83
  BOOST_CHECK_EQUAL(Base64Of(ChecksumAlgorithm::kCrc64Nvme, kCheck), "rosUhgp5mIg=");
  BOOST_CHECK_EQUAL(HexEncode(*Base64Decode(Base64Of(ChecksumAlgorithm::kSha1, "abc"))),
                    "a9993e364706816aba3e25717850c26c9cd0d89d");
  BOOST_CHECK_EQUAL(HexEncode(*Base64Decode(Base64Of(ChecksumAlgorithm::kSha256, "abc"))),
                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

BOOST_AUTO_TEST_CASE(aws_documented_crc32c_of_example_payload) {
  // sigv4-streaming-trailers: 66560 bytes of 'a' -> x-amz-checksum-crc32c:sOO8/Q==
  BOOST_CHECK_EQUAL(Base64Of(ChecksumAlgorithm::kCrc32c, std::string(66560, 'a')), "sOO8/Q==");
}

BOOST_AUTO_TEST_CASE(incremental_equals_one_shot) {
  std::mt19937 rng(7);
  BOOST_TEST_MESSAGE("seed 7");
  std::string data(100000, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  BOOST_CHECK_EQUAL(Crc64Nvme(0, data), Crc64NvmeReference(data));
  for (auto alg :
       {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme,
        ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256}) {
    const std::string whole = Base64Of(alg, data);
    Checksummer c(alg);
    for (size_t i = 0; i < data.size();) {
      const size_t n = std::min<size_t>(data.size() - i, rng() % 977);
      c.Update(std::string_view(data).substr(i, n));
      i += n;
    }
    BOOST_CHECK_EQUAL(c.FinalBase64(), whole);
    BOOST_CHECK_EQUAL(Base64Decode(whole)->size(), ChecksumSize(alg));
  }
}

BOOST_AUTO_TEST_CASE(names) {
  BOOST_CHECK(*ParseChecksumAlgorithm("crc32") == ChecksumAlgorithm::kCrc32);
  BOOST_CHECK(*ParseChecksumAlgorithm("CRC32C") == ChecksumAlgorithm::kCrc32c);
  BOOST_CHECK(*ParseChecksumAlgorithm("CRC64NVME") == ChecksumAlgorithm::kCrc64Nvme);
  BOOST_CHECK(*ParseChecksumAlgorithm("Sha1") == ChecksumAlgorithm::kSha1);
  BOOST_CHECK(*ParseChecksumAlgorithm("SHA256") == ChecksumAlgorithm::kSha256);
  BOOST_CHECK(!ParseChecksumAlgorithm("md5"));
  BOOST_CHECK(!ParseChecksumAlgorithm(""));
  BOOST_CHECK(*ChecksumAlgorithmFromHeader("X-Amz-Checksum-Crc64nvme") ==
              ChecksumAlgorithm::kCrc64Nvme);
  BOOST_CHECK(!ChecksumAlgorithmFromHeader("x-amz-checksum-"));
  BOOST_CHECK(!ChecksumAlgorithmFromHeader("x-amz-checksum-type"));
  BOOST_CHECK_EQUAL(ChecksumHeaderName(ChecksumAlgorithm::kCrc64Nvme), "x-amz-checksum-crc64nvme");
  BOOST_CHECK_EQUAL(ChecksumName(ChecksumAlgorithm::kCrc32c), "CRC32C");
}

BOOST_AUTO_TEST_CASE(crypto_helpers) {
  BOOST_CHECK_EQUAL(Sha256Hex(""), kEmptySha256Hex);
  // RFC 4231 test case 2.
  BOOST_CHECK_EQUAL(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
                    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  BOOST_CHECK(ConstantTimeEquals("abc", "abc"));
  BOOST_CHECK(!ConstantTimeEquals("abc", "abd"));
  BOOST_CHECK(!ConstantTimeEquals("abc", "ab"));
  BOOST_CHECK(ConstantTimeEquals("", ""));
}

BOOST_AUTO_TEST_CASE(base64_strictness) {
  BOOST_CHECK_EQUAL(Base64Encode("f"), "Zg==");
  BOOST_CHECK_EQUAL(Base64Encode("fo"), "Zm8=");
  BOOST_CHECK_EQUAL(Base64Encode("foo"), "Zm9v");
  BOOST_CHECK_EQUAL(*Base64Decode("Zm8="), "fo");
  BOOST_CHECK_EQUAL(*Base64Decode(""), "");
  BOOST_CHECK(!Base64Decode("Zm8"));       // length
  BOOST_CHECK(!Base64Decode("Zm9=Zm9v"));  // padding in the middle
  BOOST_CHECK(!Base64Decode("Zm=v"));      // data after padding
  BOOST_CHECK(!Base64Decode("Zm9="));      // unused bits set
  BOOST_CHECK(!Base64Decode("Zm 9"));
  BOOST_CHECK(!Base64Decode("===="));
}

}  // namespace seglake::s3
