// Unit checks of seglake-bench without a server: flags, the loopback rule,
// SigV4 signing (AWS's documented signatures, and a round trip through the
// verifier the server uses), the histogram, payloads and the XML helpers.
#define BOOST_TEST_MODULE seglake_bench
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <map>
#include <random>
#include <string>

#include "bench/histogram.h"
#include "bench/options.h"
#include "bench/payload.h"
#include "bench/s3_client.h"
#include "bench/signer.h"
#include "proto/crypto.h"
#include "proto/headers.h"
#include "proto/sigv4.h"

namespace seglake::bench {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;
constexpr int64_t k20130524 = 1369353600;  // 2013-05-24T00:00:00Z
constexpr std::string_view kAwsAccess = "AKIAIOSFODNN7EXAMPLE";
constexpr std::string_view kAwsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

std::string Find(const HeaderList& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return "";
}

ArgsAction Parse(std::vector<std::string> args, Options* opts, std::string* error,
                 std::map<std::string, std::string> env = {}) {
  return ParseArgs(
      args,
      [&env](const std::string& name) -> std::optional<std::string> {
        auto it = env.find(name);
        if (it == env.end()) return std::nullopt;
        return it->second;
      },
      opts, error);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sizes_and_durations)

BOOST_AUTO_TEST_CASE(byte_sizes) {
  BOOST_CHECK_EQUAL(*ParseByteSize("4096"), 4096u);
  BOOST_CHECK_EQUAL(*ParseByteSize("4KiB"), 4096u);
  BOOST_CHECK_EQUAL(*ParseByteSize("4 MiB"), 4 * kMiB);
  BOOST_CHECK_EQUAL(*ParseByteSize("64mib"), 64 * kMiB);
  BOOST_CHECK_EQUAL(*ParseByteSize("1GiB"), 1024 * kMiB);
  BOOST_CHECK_EQUAL(*ParseByteSize("4k"), 4096u);
  BOOST_CHECK_EQUAL(*ParseByteSize("8M"), 8 * kMiB);
  BOOST_CHECK_EQUAL(*ParseByteSize("1.5MiB"), 3 * kMiB / 2);
  BOOST_CHECK_EQUAL(*ParseByteSize("2KB"), 2000u);
  BOOST_CHECK_EQUAL(*ParseByteSize("0"), 0u);
  BOOST_CHECK(!ParseByteSize(""));
  BOOST_CHECK(!ParseByteSize("MiB"));
  BOOST_CHECK(!ParseByteSize("4XiB"));
  BOOST_CHECK(!ParseByteSize("-4"));
  BOOST_CHECK(!ParseByteSize("0.5"));
  BOOST_CHECK(!ParseByteSize("99999999999GiB"));
}

BOOST_AUTO_TEST_CASE(durations) {
  using std::chrono::milliseconds;
  BOOST_CHECK(*ParseDuration("10s") == milliseconds(10'000));
  BOOST_CHECK(*ParseDuration("10") == milliseconds(10'000));
  BOOST_CHECK(*ParseDuration("500ms") == milliseconds(500));
  BOOST_CHECK(*ParseDuration("2m") == milliseconds(120'000));
  BOOST_CHECK(*ParseDuration("1m30s") == milliseconds(90'000));
  BOOST_CHECK(*ParseDuration("1h") == milliseconds(3'600'000));
  BOOST_CHECK(*ParseDuration("1.5s") == milliseconds(1'500));
  BOOST_CHECK(!ParseDuration(""));
  BOOST_CHECK(!ParseDuration("s"));
  BOOST_CHECK(!ParseDuration("10x"));
  BOOST_CHECK(!ParseDuration("1m30"));
}

BOOST_AUTO_TEST_CASE(format_bytes) {
  BOOST_CHECK_EQUAL(FormatBytes(4096), "4 KiB");
  BOOST_CHECK_EQUAL(FormatBytes(64 * kMiB), "64 MiB");
  BOOST_CHECK_EQUAL(FormatBytes(1000), "1000 B");
  BOOST_CHECK_EQUAL(FormatBytes(3 * kMiB / 2), "1536 KiB");
  BOOST_CHECK_EQUAL(FormatBytes(kMiB + 1), "1.00 MiB");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(loopback_only)

BOOST_AUTO_TEST_CASE(loopback_hosts) {
  for (const char* h : {"127.0.0.1", "127.1.2.3", "127.255.255.254", "localhost", "LocalHost",
                        "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"}) {
    BOOST_CHECK_MESSAGE(IsLoopbackHost(h), h);
  }
  for (const char* h :
       {"10.0.0.1", "0.0.0.0", "128.0.0.1", "126.255.255.255", "::", "::2", "example.com",
        "localhost.example.com", "127.0.0.1.nip.io", "::ffff:10.0.0.1", "", "2130706433"}) {
    BOOST_CHECK_MESSAGE(!IsLoopbackHost(h), h);
  }
}

BOOST_AUTO_TEST_CASE(endpoints) {
  std::string err;
  auto ep = ParseEndpoint("http://127.0.0.1:9000", &err);
  BOOST_REQUIRE(ep);
  BOOST_CHECK_EQUAL(ep->connect_to, "127.0.0.1");
  BOOST_CHECK_EQUAL(ep->port, 9000);
  BOOST_CHECK_EQUAL(ep->host_header, "127.0.0.1:9000");

  ep = ParseEndpoint("http://[::1]:8080/", &err);
  BOOST_REQUIRE(ep);
  BOOST_CHECK_EQUAL(ep->connect_to, "::1");
  BOOST_CHECK_EQUAL(ep->host_header, "[::1]:8080");
  BOOST_CHECK_EQUAL(ep->url, "http://[::1]:8080");

  ep = ParseEndpoint("http://localhost", &err);
  BOOST_REQUIRE(ep);
  BOOST_CHECK_EQUAL(ep->connect_to, "127.0.0.1");
  BOOST_CHECK_EQUAL(ep->port, 80);
  BOOST_CHECK_EQUAL(ep->host_header, "localhost");

  for (const char* url : {"http://10.1.2.3:9000", "http://example.com", "https://127.0.0.1:9000",
                          "127.0.0.1:9000", "http://127.0.0.1:9000/bucket", "http://user@127.0.0.1",
                          "http://127.0.0.1:0", "http://127.0.0.1:65536", "http://127.0.0.1:",
                          "http://[::1", "http://[::2]:9000", "http://", "ftp://127.0.0.1"}) {
    err.clear();
    BOOST_CHECK_MESSAGE(!ParseEndpoint(url, &err), url);
    BOOST_CHECK_MESSAGE(!err.empty(), url);
  }
  ParseEndpoint("http://192.168.1.1:9000", &err);
  BOOST_CHECK(err.find("loopback") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(flags)

BOOST_AUTO_TEST_CASE(defaults_and_env_credentials) {
  Options o;
  std::string err;
  BOOST_REQUIRE(
      Parse({}, &o, &err, {{"AWS_ACCESS_KEY_ID", "ak"}, {"AWS_SECRET_ACCESS_KEY", "sk"}}) ==
      ArgsAction::kRun);
  BOOST_CHECK_EQUAL(o.access_key, "ak");
  BOOST_CHECK_EQUAL(o.secret_key, "sk");
  BOOST_CHECK_EQUAL(o.endpoint.url, "http://127.0.0.1:9000");
  BOOST_CHECK(o.workload == Workload::kPut);
  BOOST_CHECK_EQUAL(o.size, 4096u);
  BOOST_CHECK_EQUAL(o.region, "us-east-1");
}

BOOST_AUTO_TEST_CASE(flag_beats_env) {
  Options o;
  std::string err;
  BOOST_REQUIRE(Parse({"--access-key", "flag", "--secret-key=s2"}, &o, &err,
                      {{"AWS_ACCESS_KEY_ID", "env"}, {"AWS_SECRET_ACCESS_KEY", "sk"}}) ==
                ArgsAction::kRun);
  BOOST_CHECK_EQUAL(o.access_key, "flag");
  BOOST_CHECK_EQUAL(o.secret_key, "s2");
}

BOOST_AUTO_TEST_CASE(workload_defaults) {
  Options o;
  std::string err;
  BOOST_REQUIRE(Parse({"--access-key", "a", "--secret-key", "b", "--workload", "seed-put"}, &o,
                      &err) == ArgsAction::kRun);
  BOOST_CHECK_EQUAL(o.size, 4 * kMiB);
  BOOST_CHECK_EQUAL(o.concurrency, 4);

  o = Options{};
  BOOST_REQUIRE(Parse({"--access-key", "a", "--secret-key", "b", "--workload", "seed-mpu",
                       "--concurrency", "2"},
                      &o, &err) == ArgsAction::kRun);
  BOOST_CHECK_EQUAL(o.size, 64 * kMiB);
  BOOST_CHECK_EQUAL(o.part_size, 8 * kMiB);
  BOOST_CHECK_EQUAL(o.concurrency, 2);
  BOOST_CHECK_EQUAL(o.objects, 8u);

  o = Options{};
  BOOST_REQUIRE(Parse({"--access-key", "a", "--secret-key", "b", "--workload=get", "--size",
                       "64MiB", "--duration", "2s", "--objects", "5", "--json", "--keep"},
                      &o, &err) == ArgsAction::kRun);
  BOOST_CHECK(o.workload == Workload::kGet);
  BOOST_CHECK_EQUAL(o.size, 64 * kMiB);
  BOOST_CHECK(o.duration == std::chrono::seconds(2));
  BOOST_CHECK_EQUAL(o.objects, 5u);
  BOOST_CHECK(o.json);
  BOOST_CHECK(o.keep);
}

BOOST_AUTO_TEST_CASE(usage_errors) {
  const std::vector<std::vector<std::string>> bad = {
      {"--workload", "nope"},
      {"--size", "4XB"},
      {"--concurrency", "0"},
      {"--duration", "1ms"},
      {"--endpoint", "http://8.8.8.8:9000"},
      {"--bucket", "Bad_Bucket"},
      {"--json=1"},
      {"--unknown"},
      {"--size"},
      {"positional"},
  };
  for (const auto& args : bad) {
    std::vector<std::string> full = {"--access-key", "a", "--secret-key", "b"};
    full.insert(full.end(), args.begin(), args.end());
    Options o;
    std::string err;
    BOOST_CHECK_MESSAGE(Parse(full, &o, &err) == ArgsAction::kUsageError, args[0]);
    BOOST_CHECK(!err.empty());
  }
  Options o;
  std::string err;
  BOOST_CHECK(Parse({}, &o, &err) == ArgsAction::kUsageError);  // no credentials
  BOOST_CHECK(err.find("AWS_ACCESS_KEY_ID") != std::string::npos);
  BOOST_CHECK(Parse({"--help"}, &o, &err) == ArgsAction::kHelp);
  BOOST_CHECK(Parse({"-h"}, &o, &err) == ArgsAction::kHelp);
  BOOST_CHECK(UsageText().find("loopback") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(signing)

// AWS docs (sig-v4-header-based-auth), "Example: GET Object".
BOOST_AUTO_TEST_CASE(aws_get_object_example) {
  Signer signer(std::string(kAwsAccess), std::string(kAwsSecret), "us-east-1");
  HeaderList h = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}};
  BOOST_REQUIRE(signer.Sign("GET", "/test.txt", "", s3::kEmptySha256Hex, k20130524, &h));
  BOOST_CHECK_EQUAL(Find(h, "x-amz-date"), "20130524T000000Z");
  BOOST_CHECK_EQUAL(Find(h, "Authorization"),
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                    "aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                    "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

// The same page, "Example: PUT Object" (a '$' in the key, a Date header).
BOOST_AUTO_TEST_CASE(aws_put_object_example) {
  Signer signer(std::string(kAwsAccess), std::string(kAwsSecret), "us-east-1");
  HeaderList h = {{"Host", "examplebucket.s3.amazonaws.com"},
                  {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                  {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
  BOOST_REQUIRE(signer.Sign("PUT", ObjectPath("examplebucket", "test$file.text").substr(14), "",
                            s3::Sha256Hex("Welcome to Amazon S3."), k20130524, &h));
  const std::string auth = Find(h, "Authorization");
  BOOST_CHECK(auth.find("SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;"
                        "x-amz-storage-class,") != std::string::npos);
  BOOST_CHECK(
      auth.ends_with("Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"));
}

// AWS docs, "Example: GET Bucket (List Objects)": the query is canonicalized.
BOOST_AUTO_TEST_CASE(aws_list_objects_example) {
  Signer signer(std::string(kAwsAccess), std::string(kAwsSecret), "us-east-1");
  HeaderList h = {{"Host", "examplebucket.s3.amazonaws.com"}};
  BOOST_REQUIRE(signer.Sign("GET", "/", "max-keys=2&prefix=J", s3::kEmptySha256Hex, k20130524, &h));
  BOOST_CHECK(Find(h, "Authorization")
                  .ends_with("34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
}

// What the bench sends, checked by the verifier seglake-s3d runs.
BOOST_AUTO_TEST_CASE(round_trip_through_the_server_verifier) {
  const std::string ak = "AKIASEGLAKEBENCH0001";
  const std::string sk = "bench/secret+key/0123456789abcdefghijkl";
  s3::SecretLookup lookup = [&](std::string_view a) -> std::optional<std::string> {
    if (a == ak) return sk;
    return std::nullopt;
  };
  const auto now = std::chrono::system_clock::now();
  const int64_t unix_now =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  struct Case {
    std::string method, path, query, hash;
  };
  const std::vector<Case> cases = {
      {"PUT", ObjectPath("bench", "seglake-bench/0a1b2c3d/obj-42"), "",
       std::string(kUnsignedPayload)},
      {"GET", ObjectPath("bench", "dir/with space+plus/é"), "", std::string(s3::kEmptySha256Hex)},
      {"PUT", ObjectPath("bench", "k"), "partNumber=3&uploadId=abc%2Fdef%3D",
       s3::Sha256Hex("part")},
      {"GET", "/bench", "list-type=2&max-keys=1000&prefix=a%2Fb%2F&continuation-token=x%2By",
       std::string(s3::kEmptySha256Hex)},
      {"POST", ObjectPath("bench", "k"), "uploads", std::string(s3::kEmptySha256Hex)},
  };
  for (const Case& c : cases) {
    Signer signer(ak, sk, "us-east-1");
    HeaderList h = {{"Host", "127.0.0.1:9000"}};
    BOOST_REQUIRE(signer.Sign(c.method, c.path, c.query, c.hash, unix_now, &h));
    s3::HeaderMap map;
    for (const auto& [n, v] : h) map.emplace(n, v);
    map.emplace("Content-Length", "4");  // added by the HTTP layer, unsigned
    s3::RequestView view{c.method, c.path, c.query, map};
    auto res = s3::VerifySigV4(view, now, lookup, s3::SigV4Options{.region = "us-east-1"});
    BOOST_CHECK_MESSAGE(res.has_value(), c.method << " " << c.path << "?" << c.query << ": "
                                                  << (res ? "" : res.error().text()));
    if (res && c.hash == kUnsignedPayload) {
      BOOST_CHECK(res->payload == s3::PayloadMode::kUnsigned);
    }
  }
}

BOOST_AUTO_TEST_CASE(signing_key_follows_the_day) {
  Signer signer(std::string(kAwsAccess), std::string(kAwsSecret), "us-east-1");
  HeaderList a = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}};
  BOOST_REQUIRE(signer.Sign("GET", "/test.txt", "", s3::kEmptySha256Hex, k20130524 + 86400, &a));
  HeaderList b = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}};
  BOOST_REQUIRE(signer.Sign("GET", "/test.txt", "", s3::kEmptySha256Hex, k20130524, &b));
  BOOST_CHECK(Find(b, "Authorization")
                  .ends_with("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(histogram)

BOOST_AUTO_TEST_CASE(buckets_cover_every_value) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100000; ++i) {
    const uint64_t v = rng() >> (rng() % 64);
    const size_t b = Histogram::BucketOf(v);
    BOOST_REQUIRE(Histogram::BucketLow(b) <= v && v <= Histogram::BucketHigh(b));
    // at most 1/64 of the value wide
    BOOST_REQUIRE((Histogram::BucketHigh(b) - Histogram::BucketLow(b)) * 64 <=
                  std::max<uint64_t>(v, 64));
  }
  BOOST_CHECK_EQUAL(Histogram::BucketOf(UINT64_MAX), Histogram::BucketOf(UINT64_MAX - 1));
}

BOOST_AUTO_TEST_CASE(quantiles) {
  Histogram h;
  BOOST_CHECK_EQUAL(h.Quantile(0.5), 0u);
  for (uint64_t v = 1; v <= 100000; ++v) h.Record(v);
  BOOST_CHECK_EQUAL(h.count(), 100000u);
  BOOST_CHECK_EQUAL(h.min(), 1u);
  BOOST_CHECK_EQUAL(h.max(), 100000u);
  BOOST_CHECK_CLOSE(h.mean(), 50000.5, 0.001);
  BOOST_CHECK_CLOSE(static_cast<double>(h.Quantile(0.5)), 50000.0, 1.6);
  BOOST_CHECK_CLOSE(static_cast<double>(h.Quantile(0.99)), 99000.0, 1.6);
  BOOST_CHECK_EQUAL(h.Quantile(1.0), 100000u);
  Histogram small;
  for (uint64_t v : {5, 7, 9}) small.Record(v);
  BOOST_CHECK_EQUAL(small.Quantile(0.5), 7u);
  Histogram merged;
  merged.Merge(small);
  merged.Merge(h);
  BOOST_CHECK_EQUAL(merged.count(), 100003u);
  BOOST_CHECK_EQUAL(merged.min(), 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(payloads_and_xml)

BOOST_AUTO_TEST_CASE(payload_bodies) {
  Payload p(1000, 42);
  for (uint64_t length : {0ull, 1ull, 999ull, 1000ull, 1001ull, 5000ull}) {
    const BodySource body = p.Body(length, 7);
    std::string all;
    while (all.size() < length) {
      std::string_view c = body.chunk(all.size());
      BOOST_REQUIRE(!c.empty());
      all.append(c.substr(0, length - all.size()));
    }
    BOOST_CHECK_EQUAL(p.Sha256Hex(length, 7), s3::Sha256Hex(all));
  }
  std::string a(p.Body(100, 1).chunk(0).substr(0, 100));
  std::string b(p.Body(100, 2).chunk(0).substr(0, 100));
  BOOST_CHECK(a != b);
}

BOOST_AUTO_TEST_CASE(xml_helpers) {
  BOOST_CHECK_EQUAL(
      ErrorFromXml("<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The key does not "
                   "exist.</Message></Error>"),
      "NoSuchKey: The key does not exist.");
  BOOST_CHECK_EQUAL(ErrorFromXml("not xml"), "");
  BOOST_CHECK_EQUAL(CompleteMultipartXml({"\"a\"", "\"b\""}),
                    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"a\"</ETag>"
                    "</Part><Part><PartNumber>2</PartNumber><ETag>\"b\"</ETag></Part>"
                    "</CompleteMultipartUpload>");
  BOOST_CHECK_EQUAL(ObjectPath("b", "a b/c+d$"), "/b/a%20b/c%2Bd%24");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seglake::bench
