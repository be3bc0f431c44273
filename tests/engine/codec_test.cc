// Round trips and named corruption cases of the record and manifest codecs
// and the checksum functions.
#define BOOST_TEST_MODULE engine_codec_test
#include <boost/test/unit_test.hpp>

#include "manifest/manifest.h"
#include "record/record.h"
#include "seglake/checksum.h"
#include "segment/segment.h"

using namespace seglake;

BOOST_AUTO_TEST_SUITE(checksums)

BOOST_AUTO_TEST_CASE(known_check_values) {
  const std::string s = "123456789";
  BOOST_TEST(Crc32c(s.data(), s.size()) == 0xE3069283u);
  BOOST_TEST(Crc32(s.data(), s.size()) == 0xCBF43926u);
  BOOST_TEST(Crc64Nvme(s.data(), s.size()) == 0xAE8B14860A799888ull);
  BOOST_TEST(ToHex(Md5("")) == "d41d8cd98f00b204e9800998ecf8427e");
  // Incremental equals one shot, across the 8-byte fast path.
  std::string big(1000, 'q');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  uint64_t a = Crc64Nvme(big.data(), 333);
  a = Crc64Nvme(big.data() + 333, big.size() - 333, a);
  BOOST_TEST(a == Crc64Nvme(big.data(), big.size()));
  uint32_t c = Crc32c(big.data(), 1);
  BOOST_TEST(Crc32c(big.data() + 1, 999, c) == Crc32c(big.data(), 1000));
}

BOOST_AUTO_TEST_CASE(base64_and_hex) {
  std::string out;
  BOOST_TEST(ToBase64("abcd") == "YWJjZA==");
  BOOST_TEST(FromBase64("YWJjZA==", &out));
  BOOST_TEST(out == "abcd");
  BOOST_TEST(!FromBase64("YWJjZA=", &out));
  BOOST_TEST(!FromBase64("Y!Jj", &out));
  BOOST_TEST(FromHex("00ff", &out));
  BOOST_TEST(out == std::string("\x00\xff", 2));
  BOOST_TEST(!FromHex("0g", &out));
  BOOST_TEST(!FromHex("abc", &out));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(records)

std::string Encoded(record::Type t, const std::string& payload) {
  std::string b(record::kHeaderSize, '\0');
  record::EncodeHeader(t, payload, b.data());
  return b + payload;
}

BOOST_AUTO_TEST_CASE(round_trip) {
  std::string r = Encoded(record::Type::kMeta, "hello");
  auto h = record::DecodeHeader(r);
  BOOST_REQUIRE(h.has_value());
  BOOST_TEST(h->length == 5u);
  BOOST_TEST((h->type == record::Type::kMeta));
  BOOST_TEST(record::VerifyPayload(*h, r.substr(16)).ok());
}

BOOST_AUTO_TEST_CASE(corrupt_header_truncated) {
  BOOST_TEST(record::DecodeHeader(std::string(15, '\0')).error().IsCorruption());
}
BOOST_AUTO_TEST_CASE(corrupt_bad_magic) {
  std::string r = Encoded(record::Type::kData, "x");
  r[0] ^= 1;
  BOOST_TEST(record::DecodeHeader(r).error().IsCorruption());
}
BOOST_AUTO_TEST_CASE(corrupt_unknown_type) {
  std::string r = Encoded(record::Type::kData, "x");
  r[4] = 9;
  BOOST_TEST(record::DecodeHeader(r).error().IsCorruption());
}
BOOST_AUTO_TEST_CASE(corrupt_flags_set) {
  std::string r = Encoded(record::Type::kData, "x");
  r[6] = 1;
  BOOST_TEST(record::DecodeHeader(r).error().IsCorruption());
}
BOOST_AUTO_TEST_CASE(corrupt_length_too_large) {
  std::string r = Encoded(record::Type::kData, "x");
  r[11] = 0x7f;
  BOOST_TEST(record::DecodeHeader(r).error().IsCorruption());
}
BOOST_AUTO_TEST_CASE(corrupt_payload_bit_flip) {
  std::string r = Encoded(record::Type::kData, "payload bytes");
  r[20] ^= 4;
  auto h = record::DecodeHeader(r);
  BOOST_REQUIRE(h.has_value());
  BOOST_TEST(record::VerifyPayload(*h, r.substr(16)).IsCorruption());
}
BOOST_AUTO_TEST_CASE(corrupt_payload_truncated) {
  std::string r = Encoded(record::Type::kData, "payload bytes");
  auto h = record::DecodeHeader(r);
  BOOST_TEST(record::VerifyPayload(*h, r.substr(16, 5)).IsCorruption());
}
BOOST_AUTO_TEST_CASE(corrupt_type_changed_keeps_crc) {
  // The CRC covers the type: a data record relabelled as meta is caught.
  std::string r = Encoded(record::Type::kData, "abc");
  r[4] = 2;
  auto h = record::DecodeHeader(r);
  BOOST_REQUIRE(h.has_value());
  BOOST_TEST(record::VerifyPayload(*h, r.substr(16)).IsCorruption());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(manifests)

BOOST_AUTO_TEST_CASE(round_trip_slice_append) {
  Manifest m;
  m.Add({7, 100, 50});
  m.AddHole(30);
  m.AddHole(20);  // merges
  m.Add({9, 0, 10});
  m.Add({9, 10, 0});  // dropped
  BOOST_TEST(m.extents().size() == 3u);
  BOOST_TEST(m.size() == 110u);
  auto d = Manifest::Decode(m.Encode());
  BOOST_REQUIRE(d.has_value());
  BOOST_TEST((*d == m));
  Manifest s = m.Slice(40, 65);
  BOOST_REQUIRE(s.extents().size() == 3u);
  BOOST_TEST((s.extents()[0] == Extent{7, 140, 10}));
  BOOST_TEST(s.extents()[1].is_hole());
  BOOST_TEST((s.extents()[2] == Extent{9, 0, 5}));
  Manifest a = m;
  a.Append(s);
  BOOST_TEST(a.size() == 175u);
  uint64_t start = 0;
  BOOST_TEST(m.Find(49, &start) == 0u);
  BOOST_TEST(m.Find(50, &start) == 1u);
  BOOST_TEST(start == 50u);
  BOOST_TEST(m.Find(110, &start) == 3u);
  BOOST_TEST(Manifest::Decode(Manifest().Encode())->size() == 0u);
}

std::string Sample() {
  Manifest m;
  m.Add({1, 40, 1000});
  m.Add({2, 56, 24});
  return m.Encode();
}

BOOST_AUTO_TEST_CASE(corrupt_truncated) {
  std::string b = Sample();
  for (size_t n : {0ul, 3ul, 19ul, b.size() - 1})
    BOOST_TEST(!Manifest::Decode(b.substr(0, n)).has_value());
}
BOOST_AUTO_TEST_CASE(corrupt_unknown_version) {
  std::string b = Sample();
  b[0] = 2;
  BOOST_TEST((Manifest::Decode(b).error().code() == Status::Code::kNotSupported));
}
BOOST_AUTO_TEST_CASE(corrupt_checksum) {
  std::string b = Sample();
  b[20] ^= 1;
  BOOST_TEST(Manifest::Decode(b).error().IsCorruption());
}
BOOST_AUTO_TEST_CASE(corrupt_count_mismatch) {
  std::string b = Sample();
  b[4] = 3;
  BOOST_TEST(Manifest::Decode(b).error().IsCorruption());
}
BOOST_AUTO_TEST_CASE(corrupt_huge_count) {
  std::string b = Sample();
  b[7] = 0x7f;
  BOOST_TEST(Manifest::Decode(b).error().IsCorruption());
}

// Builds an encoding with a valid checksum around chosen extents.
std::string Forge(const std::vector<Extent>& ex, uint64_t total) {
  Manifest m;
  m.Add({1, 0, 1});
  std::string b = m.Encode();
  b.resize(16);
  b[4] = static_cast<char>(ex.size());
  for (int i = 0; i < 8; ++i) b[8 + i] = static_cast<char>(total >> (8 * i));
  for (const Extent& e : ex)
    for (uint64_t v : {e.segment, e.offset, e.length})
      for (int i = 0; i < 8; ++i) b.push_back(static_cast<char>(v >> (8 * i)));
  uint32_t crc = Crc32c(b.data(), b.size());
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<char>(crc >> (8 * i)));
  return b;
}

BOOST_AUTO_TEST_CASE(corrupt_empty_extent) {
  BOOST_TEST(Manifest::Decode(Forge({{1, 0, 0}}, 0)).error().IsCorruption());
}
BOOST_AUTO_TEST_CASE(corrupt_hole_with_offset) {
  BOOST_TEST(Manifest::Decode(Forge({{0, 5, 10}}, 10)).error().IsCorruption());
}
BOOST_AUTO_TEST_CASE(corrupt_extent_overflow) {
  BOOST_TEST(Manifest::Decode(Forge({{1, ~0ull - 2, 10}}, 10)).error().IsCorruption());
}
BOOST_AUTO_TEST_CASE(corrupt_size_overflow) {
  BOOST_TEST(Manifest::Decode(Forge({{1, 0, ~0ull - 5}, {1, 0, 10}}, 4)).error().IsCorruption());
}
BOOST_AUTO_TEST_CASE(corrupt_total_mismatch) {
  BOOST_TEST(Manifest::Decode(Forge({{1, 0, 10}}, 11)).error().IsCorruption());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(segment_codecs)

BOOST_AUTO_TEST_CASE(names_headers_trailers) {
  uint64_t id = 0;
  BOOST_TEST(segment::ParseFileName(segment::FileName(0xabc), &id));
  BOOST_TEST(id == 0xabcu);
  BOOST_TEST(!segment::ParseFileName("000000000000000g.seg", &id));
  BOOST_TEST(!segment::ParseFileName("0000000000000000.seg", &id));
  BOOST_TEST(!segment::ParseFileName("abc.seg", &id));
  std::string h = segment::EncodeHeader({42, 7});
  auto d = segment::DecodeHeader(h);
  BOOST_REQUIRE(d.has_value());
  BOOST_TEST(d->id == 42u);
  BOOST_TEST(d->owner == 7u);
  h[20] ^= 1;
  BOOST_TEST(segment::DecodeHeader(h).error().IsCorruption());
  BOOST_TEST(segment::DecodeHeader(h.substr(0, 10)).error().IsCorruption());
  std::string t = segment::EncodeTrailer(1234);
  BOOST_TEST(*segment::DecodeTrailer(t) == 1234u);
  t[1] ^= 1;
  BOOST_TEST(segment::DecodeTrailer(t).error().IsCorruption());
  std::string f = segment::EncodeFooter(3, 100, {40, 90});
  auto fd = segment::DecodeFooter(f);
  BOOST_REQUIRE(fd.has_value());
  BOOST_TEST(fd->meta_offsets.size() == 2u);
  BOOST_TEST(segment::DecodeFooter(f.substr(0, f.size() - 1)).error().IsCorruption());
  BOOST_TEST(segment::DecodeFooter(f.substr(0, 5)).error().IsCorruption());
}

BOOST_AUTO_TEST_SUITE_END()
