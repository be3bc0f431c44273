// aws-chunked decoding: AWS's documented streaming examples (with and
// without a signed trailer), botocore's unsigned trailer body, and every
// framing, signature and checksum error one by one.
#define BOOST_TEST_MODULE s3proto_chunked
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>

#include "proto/chunked.h"
#include "proto/sigv4_canonical.h"

namespace seglake::s3 {
namespace {

constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kScope = "20130524/us-east-1/s3/aws4_request";

// sigv4-streaming "Example: PUT Object": 65536 + 1024 bytes of 'a'.
constexpr std::string_view kSeed =
    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
constexpr std::string_view kSig1 =
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
constexpr std::string_view kSig2 =
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497";
constexpr std::string_view kSigFinal =
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9";

// sigv4-streaming-trailers example (x-amz-trailer: x-amz-checksum-crc32c).
// These equal the values of the AWS documentation, and were recomputed by
// tests/s3d/gen_botocore_vectors.py, an independent Python transcription.
constexpr std::string_view kTSeed =
    "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
constexpr std::string_view kTSig1 =
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2";
constexpr std::string_view kTSig2 =
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7";
constexpr std::string_view kTSigFinal =
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992";
constexpr std::string_view kTrailerSig =
    "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";

std::string Chunk(size_t n, std::string_view sig, char fill = 'a') {
  char hex[32];
  std::snprintf(hex, sizeof hex, "%zx", n);
  std::string out = hex;
  if (!sig.empty()) out += ";chunk-signature=" + std::string(sig);
  out += "\r\n";
  out += std::string(n, fill);
  if (n > 0) out += "\r\n";
  return out;
}

std::string AwsBody() {
  return Chunk(65536, kSig1) + Chunk(1024, kSig2) + Chunk(0, kSigFinal) + "\r\n";
}

std::string AwsTrailerBody(std::string_view crc = "sOO8/Q==", std::string_view sig = kTrailerSig) {
  return Chunk(65536, kTSig1) + Chunk(1024, kTSig2) + Chunk(0, kTSigFinal) +
         "x-amz-checksum-crc32c:" + std::string(crc) + "\r\n" +
         "x-amz-trailer-signature:" + std::string(sig) + "\r\n\r\n";
}

ChunkedOptions Signed(ChunkedMode mode = ChunkedMode::kSigned, std::string_view seed = kSeed) {
  ChunkedOptions o;
  o.mode = mode;
  o.decoded_length = 66560;
  o.signing_key = SigningKey(kSecret, "20130524", "us-east-1");
  o.amz_date = "20130524T000000Z";
  o.scope = std::string(kScope);
  o.seed_signature = std::string(seed);
  return o;
}

ChunkedOptions SignedTrailer() {
  ChunkedOptions o = Signed(ChunkedMode::kSignedTrailer, kTSeed);
  o.trailer = "x-amz-checksum-crc32c";
  return o;
}

ChunkedOptions Unsigned(ChunkedMode mode, std::string trailer = {},
                        std::optional<uint64_t> length = std::nullopt) {
  ChunkedOptions o;
  o.mode = mode;
  o.trailer = std::move(trailer);
  o.decoded_length = length;
  return o;
}

const ChunkedOptions kPlain = Unsigned(ChunkedMode::kUnsigned);

struct Outcome {
  S3Status status;
  std::string payload;
  bool done = false;
  std::optional<std::pair<ChecksumAlgorithm, std::string>> checksum;
};

// Feeds body in slices of `step` bytes (0: all at once), then finishes.
Outcome Decode(ChunkedOptions o, std::string_view body, size_t step = 0) {
  Outcome out;
  auto d = ChunkedDecoder::Create(std::move(o), [&](std::string_view p) -> S3Status {
    out.payload.append(p);
    return {};
  });
  if (!d) {
    out.status = tl::unexpected(d.error());
    return out;
  }
  if (step == 0) step = body.size() + 1;
  for (size_t i = 0; i < body.size(); i += step) {
    out.status = d->Feed(body.substr(i, step));
    if (!out.status) return out;
  }
  out.status = d->Finish();
  out.done = d->done();
  out.checksum = d->checksum();
  return out;
}

void ExpectError(const Outcome& o, ErrorCode code) {
  BOOST_REQUIRE_MESSAGE(!o.status.has_value(), "expected " << ErrorCodeName(code));
  BOOST_CHECK_MESSAGE(o.status.error().code == code, "expected " << ErrorCodeName(code) << ", got "
                                                                 << o.status.error().name() << ": "
                                                                 << o.status.error().text());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(documented_examples)

BOOST_AUTO_TEST_CASE(aws_streaming_put_whole_and_sliced) {
  const std::string body = AwsBody();
  BOOST_CHECK_EQUAL(body.size(), 66824u);  // the Content-Length of the example
  for (size_t step : {0, 1, 2, 7, 100, 65536, 65537}) {
    BOOST_TEST_CONTEXT("step " << step) {
      Outcome o = Decode(Signed(), body, step);
      BOOST_REQUIRE_MESSAGE(o.status.has_value(), o.status.error().text());
      BOOST_CHECK(o.done);
      BOOST_CHECK(o.payload == std::string(66560, 'a'));
    }
  }
}

BOOST_AUTO_TEST_CASE(aws_streaming_put_with_signed_trailer) {
  Outcome o = Decode(SignedTrailer(), AwsTrailerBody(), 333);
  BOOST_REQUIRE_MESSAGE(o.status.has_value(), o.status.error().text());
  BOOST_CHECK_EQUAL(o.payload.size(), 66560u);
  BOOST_REQUIRE(o.checksum.has_value());
  BOOST_CHECK(o.checksum->first == ChecksumAlgorithm::kCrc32c);
  BOOST_CHECK_EQUAL(o.checksum->second, "sOO8/Q==");
}

// botocore 1.43.11 AwsChunkedWrapper(BytesIO(b"x" * 70000), Crc32Checksum,
// "x-amz-checksum-crc32", chunk_size=65536): 70053 bytes ending in
// "0\r\nx-amz-checksum-crc32:xWFIKA==\r\n\r\n" (gen_botocore_vectors.py).
BOOST_AUTO_TEST_CASE(botocore_unsigned_trailer) {
  const std::string body =
      Chunk(65536, "", 'x') + Chunk(4464, "", 'x') + "0\r\nx-amz-checksum-crc32:xWFIKA==\r\n\r\n";
  BOOST_CHECK_EQUAL(body.size(), 70053u);
  Outcome o =
      Decode(Unsigned(ChunkedMode::kUnsignedTrailer, "x-amz-checksum-crc32", 70000), body, 4096);
  BOOST_REQUIRE_MESSAGE(o.status.has_value(), o.status.error().text());
  BOOST_CHECK(o.payload == std::string(70000, 'x'));
  BOOST_CHECK_EQUAL(o.checksum->second, "xWFIKA==");
}

BOOST_AUTO_TEST_CASE(every_checksum_algorithm_as_trailer) {
  const std::string payload = "The quick brown fox jumps over the lazy dog";
  for (auto alg :
       {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme,
        ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256}) {
    Checksummer c(alg);
    c.Update(payload);
    const std::string value = c.FinalBase64();
    const std::string body =
        "2b\r\n" + payload + "\r\n0\r\n" + ChecksumHeaderName(alg) + ": " + value + "\r\n\r\n";
    BOOST_TEST_CONTEXT(ChecksumName(alg)) {
      Outcome o = Decode(Unsigned(ChunkedMode::kUnsignedTrailer, ChecksumHeaderName(alg)), body);
      BOOST_REQUIRE_MESSAGE(o.status.has_value(), o.status.error().text());
      BOOST_CHECK_EQUAL(o.checksum->second, value);
    }
  }
}

BOOST_AUTO_TEST_CASE(unsigned_without_trailer) {
  Outcome o = Decode(Unsigned(ChunkedMode::kUnsigned), "3\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\n");
  BOOST_REQUIRE(o.status.has_value());
  BOOST_CHECK_EQUAL(o.payload, "abc0123456789");
}

BOOST_AUTO_TEST_CASE(empty_payload) {
  Outcome o = Decode(Unsigned(ChunkedMode::kUnsigned, {}, 0), "0\r\n\r\n");
  BOOST_REQUIRE(o.status.has_value());
  BOOST_CHECK(o.payload.empty());
}

BOOST_AUTO_TEST_CASE(sixteen_mib_chunk_streams_through) {
  // The sink sees the bytes as they arrive, long before the chunk ends.
  const size_t n = 16u << 20;
  ChunkedOptions o = Unsigned(ChunkedMode::kUnsigned, {}, n);
  size_t seen = 0;
  size_t calls = 0;
  auto d = ChunkedDecoder::Create(o, [&](std::string_view p) -> S3Status {
    seen += p.size();
    ++calls;
    return {};
  });
  BOOST_REQUIRE(d.has_value());
  BOOST_REQUIRE(d->Feed("1000000\r\n").has_value());
  const std::string slice(1 << 20, 'z');
  for (size_t i = 0; i < 16; ++i) {
    BOOST_REQUIRE(d->Feed(slice).has_value());
    BOOST_CHECK_EQUAL(seen, (i + 1) << 20);
  }
  BOOST_CHECK_EQUAL(calls, 16u);
  BOOST_REQUIRE(d->Feed("\r\n0\r\n\r\n").has_value());
  BOOST_CHECK(d->Finish().has_value());
}

BOOST_AUTO_TEST_CASE(random_slicing_signed) {
  const std::string body = AwsBody();
  std::mt19937 rng(12345);
  BOOST_TEST_MESSAGE("seed 12345");
  for (int round = 0; round < 20; ++round) {
    std::string payload;
    auto d = ChunkedDecoder::Create(Signed(), [&](std::string_view p) -> S3Status {
      payload.append(p);
      return {};
    });
    BOOST_REQUIRE(d.has_value());
    for (size_t i = 0; i < body.size();) {
      const size_t n = std::min<size_t>(body.size() - i, rng() % 3000 + 1);
      BOOST_REQUIRE(d->Feed(std::string_view(body).substr(i, n)).has_value());
      i += n;
    }
    BOOST_CHECK(d->Finish().has_value());
    BOOST_CHECK_EQUAL(payload.size(), 66560u);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(framing_errors)

BOOST_AUTO_TEST_CASE(size_not_hex) {
  ExpectError(Decode(kPlain, "zz\r\nabc\r\n0\r\n\r\n"), ErrorCode::kInvalidRequest);
}
BOOST_AUTO_TEST_CASE(size_empty) {
  ExpectError(Decode(kPlain, "\r\nabc\r\n0\r\n\r\n"), ErrorCode::kInvalidRequest);
}
BOOST_AUTO_TEST_CASE(size_negative) {
  ExpectError(Decode(kPlain, "-1\r\n"), ErrorCode::kInvalidRequest);
}
BOOST_AUTO_TEST_CASE(size_with_spaces) {
  ExpectError(Decode(kPlain, " 3\r\nabc\r\n0\r\n\r\n"), ErrorCode::kInvalidRequest);
  ExpectError(Decode(kPlain, "3 \r\nabc\r\n0\r\n\r\n"), ErrorCode::kInvalidRequest);
}
BOOST_AUTO_TEST_CASE(size_overflows_uint64) {
  ExpectError(Decode(kPlain, "10000000000000000\r\n"), ErrorCode::kInvalidRequest);
  ExpectError(Decode(kPlain, "00000000000000001\r\n"), ErrorCode::kInvalidRequest);
}
BOOST_AUTO_TEST_CASE(size_max_uint64_then_truncated) {
  ExpectError(Decode(kPlain, "ffffffffffffffff\r\nabc"), ErrorCode::kIncompleteBody);
}
BOOST_AUTO_TEST_CASE(size_line_bare_lf) {
  ExpectError(Decode(kPlain, "3\nabc\r\n0\r\n\r\n"), ErrorCode::kInvalidRequest);
}
BOOST_AUTO_TEST_CASE(size_line_too_long) {
  ExpectError(Decode(kPlain, std::string(5000, '0')), ErrorCode::kInvalidRequest);
}
BOOST_AUTO_TEST_CASE(missing_crlf_after_data) {
  ExpectError(Decode(kPlain, "3\r\nabcd\r\n0\r\n\r\n"), ErrorCode::kInvalidRequest);
  ExpectError(Decode(kPlain, "3\r\nabc\n0\r\n\r\n"), ErrorCode::kInvalidRequest);
  ExpectError(Decode(kPlain, "3\r\nabc0\r\n\r\n"), ErrorCode::kInvalidRequest);
}
BOOST_AUTO_TEST_CASE(missing_final_crlf) {
  ExpectError(Decode(kPlain, "3\r\nabc\r\n0\r\n"), ErrorCode::kIncompleteBody);
}
BOOST_AUTO_TEST_CASE(truncated_body) {
  const std::string body = AwsBody();
  for (size_t cut :
       {size_t{0}, size_t{10}, size_t{90}, size_t{65600}, body.size() - 3, body.size() - 1}) {
    BOOST_TEST_CONTEXT("cut at " << cut) {
      ExpectError(Decode(Signed(), std::string_view(body).substr(0, cut)),
                  ErrorCode::kIncompleteBody);
    }
  }
}
BOOST_AUTO_TEST_CASE(no_final_chunk) {
  ExpectError(Decode(kPlain, "3\r\nabc\r\n"), ErrorCode::kIncompleteBody);
}
BOOST_AUTO_TEST_CASE(extra_bytes_after_final_chunk) {
  ExpectError(Decode(Signed(), AwsBody() + "x"), ErrorCode::kInvalidRequest);
  ExpectError(Decode(kPlain, "0\r\n\r\n0\r\n\r\n"), ErrorCode::kInvalidRequest);
}
BOOST_AUTO_TEST_CASE(error_is_sticky) {
  auto d = ChunkedDecoder::Create(kPlain, [](std::string_view) -> S3Status { return {}; });
  BOOST_REQUIRE(d.has_value());
  BOOST_CHECK(!d->Feed("zz\r\n").has_value());
  BOOST_CHECK(!d->Feed("0\r\n\r\n").has_value());
  BOOST_CHECK(!d->Finish().has_value());
}
BOOST_AUTO_TEST_CASE(sink_error_propagates) {
  auto d = ChunkedDecoder::Create(kPlain, [](std::string_view) -> S3Status {
    return S3Err(ErrorCode::kSlowDown, "disk busy");
  });
  BOOST_REQUIRE(d.has_value());
  auto st = d->Feed("3\r\nabc\r\n0\r\n\r\n");
  BOOST_REQUIRE(!st.has_value());
  BOOST_CHECK(st.error().code == ErrorCode::kSlowDown);
}
BOOST_AUTO_TEST_CASE(decoded_length_mismatch) {
  ExpectError(Decode(Unsigned(ChunkedMode::kUnsigned, {}, 4), "3\r\nabc\r\n0\r\n\r\n"),
              ErrorCode::kIncompleteBody);
  ExpectError(Decode(Unsigned(ChunkedMode::kUnsigned, {}, 2), "3\r\nabc\r\n0\r\n\r\n"),
              ErrorCode::kIncompleteBody);
  ChunkedOptions o = Signed();
  o.decoded_length = 66559;
  ExpectError(Decode(o, AwsBody()), ErrorCode::kIncompleteBody);
  o.decoded_length = 66561;
  ExpectError(Decode(o, AwsBody()), ErrorCode::kIncompleteBody);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(signature_errors)

BOOST_AUTO_TEST_CASE(wrong_chunk_signature) {
  std::string sig(kSig2);
  sig[10] = sig[10] == '0' ? '1' : '0';
  ExpectError(
      Decode(Signed(), Chunk(65536, kSig1) + Chunk(1024, sig) + Chunk(0, kSigFinal) + "\r\n"),
      ErrorCode::kSignatureDoesNotMatch);
}
BOOST_AUTO_TEST_CASE(wrong_final_chunk_signature) {
  ExpectError(Decode(Signed(), Chunk(65536, kSig1) + Chunk(1024, kSig2) + Chunk(0, kSig2) + "\r\n"),
              ErrorCode::kSignatureDoesNotMatch);
}
BOOST_AUTO_TEST_CASE(chunks_reordered) {
  ExpectError(
      Decode(Signed(), Chunk(1024, kSig2) + Chunk(65536, kSig1) + Chunk(0, kSigFinal) + "\r\n"),
      ErrorCode::kSignatureDoesNotMatch);
}
BOOST_AUTO_TEST_CASE(wrong_seed) {
  ExpectError(Decode(Signed(ChunkedMode::kSigned, kSig1), AwsBody()),
              ErrorCode::kSignatureDoesNotMatch);
}
BOOST_AUTO_TEST_CASE(chunk_data_changed) {
  std::string body = AwsBody();
  body[200] = 'b';
  ExpectError(Decode(Signed(), body), ErrorCode::kSignatureDoesNotMatch);
}
BOOST_AUTO_TEST_CASE(missing_chunk_signature) {
  ExpectError(
      Decode(Signed(), Chunk(65536, "") + Chunk(1024, kSig2) + Chunk(0, kSigFinal) + "\r\n"),
      ErrorCode::kInvalidRequest);
}
BOOST_AUTO_TEST_CASE(malformed_chunk_signature) {
  ExpectError(Decode(Signed(), Chunk(65536, kSig1.substr(1))), ErrorCode::kInvalidRequest);
  ExpectError(Decode(Signed(), "10000;chunk-signatur=" + std::string(kSig1) + "\r\n"),
              ErrorCode::kInvalidRequest);
}
BOOST_AUTO_TEST_CASE(signature_in_unsigned_mode) {
  ExpectError(Decode(kPlain, Chunk(3, kSig1) + Chunk(0, "") + "\r\n"), ErrorCode::kInvalidRequest);
}
BOOST_AUTO_TEST_CASE(wrong_trailer_signature) {
  std::string sig(kTrailerSig);
  sig[0] = 'e';
  ExpectError(Decode(SignedTrailer(), AwsTrailerBody("sOO8/Q==", sig)),
              ErrorCode::kSignatureDoesNotMatch);
}
BOOST_AUTO_TEST_CASE(trailer_value_changed_breaks_signature) {
  ExpectError(Decode(SignedTrailer(), AwsTrailerBody("AAAAAA==")),
              ErrorCode::kSignatureDoesNotMatch);
}
BOOST_AUTO_TEST_CASE(missing_trailer_signature) {
  const std::string body = Chunk(65536, kTSig1) + Chunk(1024, kTSig2) + Chunk(0, kTSigFinal) +
                           "x-amz-checksum-crc32c:sOO8/Q==\r\n\r\n";
  ExpectError(Decode(SignedTrailer(), body), ErrorCode::kMalformedTrailerError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(trailer_errors)

std::string Body(std::string_view trailers) {
  return "3\r\nabc\r\n0\r\n" + std::string(trailers) + "\r\n";
}
ChunkedOptions Crc32Trailer() {
  return Unsigned(ChunkedMode::kUnsignedTrailer, "x-amz-checksum-crc32");
}

BOOST_AUTO_TEST_CASE(good_crc32_of_abc) {
  // CRC32("abc") = 0x352441C2
  BOOST_CHECK(Decode(Crc32Trailer(), Body("x-amz-checksum-crc32:NSRBwg==\r\n")).status);
}
BOOST_AUTO_TEST_CASE(bad_checksum_value) {
  ExpectError(Decode(Crc32Trailer(), Body("x-amz-checksum-crc32:NSRBww==\r\n")),
              ErrorCode::kBadDigest);
}
BOOST_AUTO_TEST_CASE(checksum_not_base64_or_wrong_size) {
  ExpectError(Decode(Crc32Trailer(), Body("x-amz-checksum-crc32:NSRB*g==\r\n")),
              ErrorCode::kInvalidRequest);
  ExpectError(Decode(Crc32Trailer(), Body("x-amz-checksum-crc32:NSRBwgAA\r\n")),
              ErrorCode::kInvalidRequest);
  ExpectError(Decode(Crc32Trailer(), Body("x-amz-checksum-crc32:\r\n")),
              ErrorCode::kInvalidRequest);
}
BOOST_AUTO_TEST_CASE(undeclared_trailer) {
  ExpectError(Decode(Crc32Trailer(), Body("x-amz-checksum-crc32:NSRBwg==\r\nx-amz-meta-a:b\r\n")),
              ErrorCode::kMalformedTrailerError);
  ExpectError(Decode(kPlain, Body("x-amz-checksum-crc32:NSRBwg==\r\n")),
              ErrorCode::kMalformedTrailerError);
}
BOOST_AUTO_TEST_CASE(declared_trailer_missing) {
  ExpectError(Decode(Crc32Trailer(), Body("")), ErrorCode::kMalformedTrailerError);
}
BOOST_AUTO_TEST_CASE(repeated_trailer) {
  ExpectError(Decode(Crc32Trailer(), Body("x-amz-checksum-crc32:NSRBwg==\r\n"
                                          "x-amz-checksum-crc32:NSRBwg==\r\n")),
              ErrorCode::kMalformedTrailerError);
}
BOOST_AUTO_TEST_CASE(trailer_without_colon) {
  ExpectError(Decode(Crc32Trailer(), Body("x-amz-checksum-crc32\r\n")),
              ErrorCode::kMalformedTrailerError);
  ExpectError(Decode(Crc32Trailer(), Body(":NSRBwg==\r\n")), ErrorCode::kMalformedTrailerError);
}
BOOST_AUTO_TEST_CASE(trailer_signature_in_unsigned_mode) {
  ExpectError(
      Decode(Crc32Trailer(), Body("x-amz-checksum-crc32:NSRBwg==\r\nx-amz-trailer-signature:" +
                                  std::string(kTrailerSig) + "\r\n")),
      ErrorCode::kMalformedTrailerError);
}
BOOST_AUTO_TEST_CASE(too_many_trailer_bytes) {
  std::string t;
  for (int i = 0; i < 40; ++i)
    t += "x-amz-meta-" + std::to_string(i) + ":" + std::string(500, 'v') + "\r\n";
  ExpectError(Decode(Crc32Trailer(), Body(t)), ErrorCode::kMalformedTrailerError);
}
BOOST_AUTO_TEST_CASE(bad_declarations) {
  ExpectError(Decode(Unsigned(ChunkedMode::kUnsignedTrailer, "x-amz-meta-foo"), Body("")),
              ErrorCode::kInvalidArgument);
  ExpectError(
      Decode(Unsigned(ChunkedMode::kUnsignedTrailer, "x-amz-checksum-crc32, x-amz-checksum-sha256"),
             Body("")),
      ErrorCode::kInvalidArgument);
  ChunkedOptions o = Signed();
  o.trailer = "x-amz-checksum-crc32";
  ExpectError(Decode(o, AwsBody()), ErrorCode::kInvalidArgument);
}
BOOST_AUTO_TEST_CASE(declaration_is_case_insensitive_and_trimmed) {
  BOOST_CHECK(Decode(Unsigned(ChunkedMode::kUnsignedTrailer, " X-Amz-Checksum-CRC32 "),
                     Body("X-AMZ-CHECKSUM-CRC32: NSRBwg== \r\n"))
                  .status);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(modes_for_payloads) {
  BOOST_CHECK(*ChunkedModeFor(PayloadMode::kStreamingSigned) == ChunkedMode::kSigned);
  BOOST_CHECK(*ChunkedModeFor(PayloadMode::kStreamingSignedTrailer) == ChunkedMode::kSignedTrailer);
  BOOST_CHECK(*ChunkedModeFor(PayloadMode::kStreamingUnsignedTrailer) ==
              ChunkedMode::kUnsignedTrailer);
  BOOST_CHECK(!ChunkedModeFor(PayloadMode::kSha256));
  BOOST_CHECK(!ChunkedModeFor(PayloadMode::kUnsigned));
}

}  // namespace seglake::s3
