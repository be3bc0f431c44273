// Fuzzes the aws-chunked decoder. Input layout:
//   byte 0   bits 0-1 mode, bits 2-4 x-amz-trailer choice, bit 5 decoded
//            length known, bit 6 enables the 2-byte length below
//   byte 1   slice size (1..256) the body is fed in
//   bytes 2-3 x-amz-decoded-content-length (little endian), when bit 5 is set
//   the rest: the body
// Signed modes use the key, date and seed signature of AWS's streaming
// example, so corpus entries signed with them verify.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proto/chunked.h"
#include "proto/sigv4_canonical.h"

namespace {

using namespace seglake::s3;

void Check(bool ok) {
  if (!ok) std::abort();
}

constexpr std::string_view kTrailers[] = {
    "",
    "x-amz-checksum-crc32",
    "x-amz-checksum-crc32c",
    "x-amz-checksum-crc64nvme",
    "x-amz-checksum-sha1",
    "x-amz-checksum-sha256",
    "x-amz-checksum-crc32,x-amz-checksum-sha1",
    "x-amz-meta-foo",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  static const std::string kKey =
      SigningKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1");
  ChunkedOptions o;
  o.mode = static_cast<ChunkedMode>(data[0] & 3);
  o.trailer = std::string(kTrailers[(data[0] >> 2) & 7]);
  if (data[0] & 0x20) o.decoded_length = uint64_t{data[2]} | (uint64_t{data[3]} << 8);
  o.signing_key = kKey;
  o.amz_date = "20130524T000000Z";
  o.scope = "20130524/us-east-1/s3/aws4_request";
  o.seed_signature = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
  const size_t step = size_t{data[1]} + 1;
  const std::string_view body(reinterpret_cast<const char*>(data) + 4, size - 4);

  uint64_t sunk = 0;
  auto d = ChunkedDecoder::Create(o, [&](std::string_view p) -> S3Status {
    Check(!p.empty());
    sunk += p.size();
    return {};
  });
  if (!d) return 0;
  bool failed = false;
  for (size_t i = 0; i < body.size() && !failed; i += step) {
    failed = !d->Feed(body.substr(i, step));
  }
  auto st = d->Finish();
  Check(failed ? !st : true);
  Check(sunk == d->decoded_bytes());
  if (st) {
    Check(d->done());
    if (o.decoded_length) Check(sunk == *o.decoded_length);
  }
  return 0;
}
