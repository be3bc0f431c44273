// SigV4 verification against AWS's documented S3 examples, botocore output,
// and every malformed or tampered case one by one.
#define BOOST_TEST_MODULE s3proto_sigv4
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include "proto/sigv4.h"
#include "proto/sigv4_canonical.h"
#include "proto/sigv4_parse.h"

namespace seglake::s3 {
namespace {

using Clock = std::chrono::system_clock;

constexpr std::string_view kAwsAccess = "AKIAIOSFODNN7EXAMPLE";
constexpr std::string_view kAwsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr int64_t k20130524 = 1369353600;  // 2013-05-24T00:00:00Z
constexpr std::string_view kEmpty =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Clock::time_point At(int64_t unix_seconds) {
  return Clock::time_point(std::chrono::seconds(unix_seconds));
}

struct Req {
  std::string method = "GET";
  std::string path = "/";
  std::string query;
  HeaderMap headers;
  RequestView view() const { return RequestView{method, path, query, headers}; }
};

SecretLookup Lookup() {
  return [](std::string_view ak) -> std::optional<std::string> {
    if (ak == kAwsAccess) return std::string(kAwsSecret);
    if (ak == "AKIASEGLAKETEST00001") return std::string("seglake/secret+key/0123456789abcdefghij");
    return std::nullopt;
  };
}

S3Result<AuthResult> Verify(const Req& r, int64_t now, const SigV4Options& o = {}) {
  return VerifySigV4(r.view(), At(now), Lookup(), o);
}

void ExpectError(const S3Result<AuthResult>& r, ErrorCode code) {
  BOOST_REQUIRE_MESSAGE(!r.has_value(), "expected " << ErrorCodeName(code) << ", got success");
  BOOST_CHECK_MESSAGE(r.error().code == code, "expected " << ErrorCodeName(code) << ", got "
                                                          << r.error().name() << ": "
                                                          << r.error().text());
}

std::string AwsAuth(std::string_view signed_headers, std::string_view sig,
                    std::string_view date = "20130524") {
  return "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/" + std::string(date) +
         "/us-east-1/s3/aws4_request,SignedHeaders=" + std::string(signed_headers) +
         ",Signature=" + std::string(sig);
}

// AWS docs, "Example: GET Object" (sig-v4-header-based-auth).
Req AwsGetObject() {
  Req r;
  r.path = "/test.txt";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Range", "bytes=0-9"},
               {"x-amz-content-sha256", std::string(kEmpty)},
               {"x-amz-date", "20130524T000000Z"},
               {"Authorization",
                AwsAuth("host;range;x-amz-content-sha256;x-amz-date",
                        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")}};
  return r;
}

void SetHeader(Req& r, const std::string& name, const std::string& value) {
  r.headers.erase(name);
  r.headers.emplace(name, value);
}

// Signs r (header auth) with our own canonical functions, which the AWS
// vectors below pin down. For cases AWS documents no vector for.
void SignHeader(Req& r, const std::string& signed_headers, const std::vector<std::string>& names,
                const std::string& amz_date) {
  const std::string creq =
      CanonicalRequest(r.method, *CanonicalUri(r.path), *CanonicalQuery(r.query, false),
                       *CanonicalHeaders(r.headers, names), signed_headers,
                       r.headers.find("x-amz-content-sha256")->second);
  const std::string key = SigningKey(kAwsSecret, amz_date.substr(0, 8), "us-east-1");
  const std::string scope = amz_date.substr(0, 8) + "/us-east-1/s3/aws4_request";
  SetHeader(r, "Authorization",
            AwsAuth(signed_headers, SignatureHex(key, StringToSign(amz_date, scope, creq)),
                    amz_date.substr(0, 8)));
}

// AWS docs, query-string auth example, with other X-Amz-Expires values.
Req AwsPresigned(std::string_view expires, bool sign = true) {
  Req r;
  r.path = "/test.txt";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
  r.query =
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-"
      "east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=" +
      std::string(expires) + "&X-Amz-SignedHeaders=host";
  if (sign) {
    const std::string creq =
        CanonicalRequest("GET", "/test.txt", *CanonicalQuery(r.query, true),
                         "host:examplebucket.s3.amazonaws.com\n", "host", "UNSIGNED-PAYLOAD");
    const std::string key = SigningKey(kAwsSecret, "20130524", "us-east-1");
    r.query += "&X-Amz-Signature=" +
               SignatureHex(key, StringToSign("20130524T000000Z",
                                              "20130524/us-east-1/s3/aws4_request", creq));
  }
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(aws_documented_examples)

BOOST_AUTO_TEST_CASE(get_object_with_range) {
  auto r = Verify(AwsGetObject(), k20130524);
  BOOST_REQUIRE_MESSAGE(r.has_value(), r.error().text());
  BOOST_CHECK_EQUAL(r->access_key, kAwsAccess);
  BOOST_CHECK_EQUAL(r->region, "us-east-1");
  BOOST_CHECK_EQUAL(r->scope, "20130524/us-east-1/s3/aws4_request");
  BOOST_CHECK_EQUAL(r->signature,
                    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  BOOST_CHECK(r->payload == PayloadMode::kSha256);
  BOOST_CHECK_EQUAL(r->payload_sha256, kEmpty);
  BOOST_CHECK(!r->presigned);
}

BOOST_AUTO_TEST_CASE(put_object_with_dollar_in_key_and_date_header) {
  Req r;
  r.method = "PUT";
  r.path = "/test%24file.text";
  const std::string sha = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
               {"x-amz-date", "20130524T000000Z"},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
               {"x-amz-content-sha256", sha},
               {"Authorization",
                AwsAuth("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")}};
  auto res = Verify(r, k20130524);
  BOOST_REQUIRE_MESSAGE(res.has_value(), res.error().text());
  BOOST_CHECK_EQUAL(res->payload_sha256, sha);
}

BOOST_AUTO_TEST_CASE(get_bucket_lifecycle_subresource_without_value) {
  Req r;
  r.query = "lifecycle";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"x-amz-date", "20130524T000000Z"},
               {"x-amz-content-sha256", std::string(kEmpty)},
               {"Authorization",
                AwsAuth("host;x-amz-content-sha256;x-amz-date",
                        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")}};
  BOOST_CHECK(Verify(r, k20130524).has_value());
}

BOOST_AUTO_TEST_CASE(get_bucket_list_objects_query_sorted) {
  Req r;
  r.query = "prefix=J&max-keys=2";  // unsorted on the wire; the canonical form sorts
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"x-amz-date", "20130524T000000Z"},
               {"x-amz-content-sha256", std::string(kEmpty)},
               {"Authorization",
                AwsAuth("host;x-amz-content-sha256;x-amz-date",
                        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")}};
  BOOST_CHECK(Verify(r, k20130524).has_value());
}

BOOST_AUTO_TEST_CASE(presigned_get_object) {
  Req r = AwsPresigned("86400", false);
  r.query += "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
  auto res = Verify(r, k20130524 + 3600);
  BOOST_REQUIRE_MESSAGE(res.has_value(), res.error().text());
  BOOST_CHECK(res->presigned);
  BOOST_CHECK(res->payload == PayloadMode::kUnsigned);
  BOOST_CHECK_EQUAL(res->signature,
                    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

BOOST_AUTO_TEST_CASE(streaming_put_seed_signature) {
  // sigv4-streaming "Example: PUT Object": the seed signature.
  Req r;
  r.method = "PUT";
  r.path = "/examplebucket/chunkObject.txt";
  r.headers = {{"Host", "s3.amazonaws.com"},
               {"x-amz-date", "20130524T000000Z"},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
               {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
               {"Content-Encoding", "aws-chunked"},
               {"x-amz-decoded-content-length", "66560"},
               {"Content-Length", "66824"},
               {"Authorization",
                AwsAuth("content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
                        "x-amz-decoded-content-length;x-amz-storage-class",
                        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")}};
  auto res = Verify(r, k20130524);
  BOOST_REQUIRE_MESSAGE(res.has_value(), res.error().text());
  BOOST_CHECK(res->payload == PayloadMode::kStreamingSigned);
  BOOST_CHECK_EQUAL(res->signature,
                    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
  BOOST_CHECK_EQUAL(res->amz_date, "20130524T000000Z");
  BOOST_CHECK_EQUAL(res->signing_key.size(), 32u);
}

BOOST_AUTO_TEST_SUITE_END()

// Produced by tests/s3d/gen_botocore_vectors.py with botocore 1.43.11
// (S3SigV4Auth / S3SigV4QueryAuth, credentials AKIASEGLAKETEST00001 /
// "seglake/secret+key/0123456789abcdefghij", clock 2026-11-24T20:25:05Z).
BOOST_AUTO_TEST_SUITE(botocore_vectors)

constexpr int64_t k20261124 = 1795551905;  // 2026-11-24T20:25:05Z

BOOST_AUTO_TEST_CASE(put_key_with_reserved_characters_and_spaced_meta) {
  Req r;
  r.method = "PUT";
  r.path = "/my-bucket/dir/a%20b%2Bc~%281%29%21%2A%27.txt";
  r.headers = {
      {"Host", "127.0.0.1:9000"},
      {"Content-Type", "text/plain"},
      {"x-amz-meta-note", "  hello   world  "},
      {"X-Amz-Date", "20261124T202505Z"},
      {"X-Amz-Content-SHA256", "590874cc08ee039c81fbaf6a71a1cf790d3a6b1744c5171db0a9993206863d97"},
      {"Authorization",
       "AWS4-HMAC-SHA256 Credential=AKIASEGLAKETEST00001/20261124/us-east-1/s3/aws4_request, "
       "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-note, "
       "Signature=037173c39447d2db9dddc747e141754542c0408a214520b8f0ba071cccd08ab4"}};
  auto res = Verify(r, k20261124);
  BOOST_REQUIRE_MESSAGE(res.has_value(), res.error().text());
  BOOST_CHECK_EQUAL(res->access_key, "AKIASEGLAKETEST00001");
}

BOOST_AUTO_TEST_CASE(list_v2_with_encoded_query_other_region) {
  Req r;
  r.path = "/my-bucket";
  r.query = "list-type=2&prefix=a%20b&delimiter=%2F&continuation-token=abc%2B%3D&encoding-type=url";
  r.headers = {
      {"Host", "127.0.0.1:9000"},
      {"X-Amz-Date", "20261124T202505Z"},
      {"X-Amz-Content-SHA256", std::string(kEmpty)},
      {"Authorization",
       "AWS4-HMAC-SHA256 Credential=AKIASEGLAKETEST00001/20261124/eu-west-3/s3/aws4_request, "
       "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
       "Signature=5897c36f70cb2b88b724dea1907768023357fcd592fd21074743fa55fd5272d8"}};
  SigV4Options o;
  auto res = Verify(r, k20261124, o);
  BOOST_REQUIRE_MESSAGE(res.has_value(), res.error().text());
  BOOST_CHECK_EQUAL(res->region, "eu-west-3");
  o.region = "us-east-1";
  ExpectError(Verify(r, k20261124, o), ErrorCode::kAuthorizationHeaderMalformed);
}

BOOST_AUTO_TEST_CASE(presigned_unicode_key) {
  Req r;
  r.path = "/my-bucket/dir/%C3%BCn%C3%AFcode%20file.txt";
  r.query =
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIASEGLAKETEST00001%2F20261124%2Fus-"
      "east-1%2Fs3%2Faws4_request&X-Amz-Date=20261124T202505Z&X-Amz-Expires=3600&X-Amz-"
      "SignedHeaders=host&X-Amz-Signature="
      "54676cfd808dd55521a84e90930d8c68133889e19fecf28a7a5a4677de600499";
  r.headers = {{"Host", "127.0.0.1:9000"}};
  BOOST_CHECK(Verify(r, k20261124 + 3600).has_value());
  ExpectError(Verify(r, k20261124 + 3601), ErrorCode::kAccessDenied);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(canonical_pieces)

BOOST_AUTO_TEST_CASE(uri_is_decoded_once_and_reencoded) {
  BOOST_CHECK_EQUAL(*CanonicalUri(""), "/");
  BOOST_CHECK_EQUAL(*CanonicalUri("/"), "/");
  BOOST_CHECK_EQUAL(*CanonicalUri("/test%24file.text"), "/test%24file.text");
  BOOST_CHECK_EQUAL(*CanonicalUri("/test$file.text"), "/test%24file.text");
  BOOST_CHECK_EQUAL(*CanonicalUri("/a%2fb"), "/a/b");
  BOOST_CHECK_EQUAL(*CanonicalUri("/a+b"), "/a%2Bb");                // '+' is literal in paths
  BOOST_CHECK_EQUAL(*CanonicalUri("/a//b/./../c"), "/a//b/./../c");  // no normalization
  BOOST_CHECK_EQUAL(*CanonicalUri("/%7euser"), "/~user");
  BOOST_CHECK(!CanonicalUri("/bad%zz"));
  BOOST_CHECK(!CanonicalUri("/bad%2"));
}

BOOST_AUTO_TEST_CASE(query_is_sorted_and_encoded) {
  BOOST_CHECK_EQUAL(*CanonicalQuery("", false), "");
  BOOST_CHECK_EQUAL(*CanonicalQuery("lifecycle", false), "lifecycle=");
  BOOST_CHECK_EQUAL(*CanonicalQuery("b=2&a=1&a=0", false), "a=0&a=1&b=2");
  BOOST_CHECK_EQUAL(*CanonicalQuery("k=a+b", false), "k=a%20b");
  BOOST_CHECK_EQUAL(*CanonicalQuery("k=a%2bb", false), "k=a%2Bb");
  BOOST_CHECK_EQUAL(*CanonicalQuery("k=%7e*", false), "k=~%2A");
  BOOST_CHECK_EQUAL(*CanonicalQuery("X-Amz-Signature=abc&a=1", true), "a=1");
  BOOST_CHECK(!CanonicalQuery("a=%G0", false));
}

BOOST_AUTO_TEST_CASE(headers_trimmed_collapsed_and_joined) {
  HeaderMap h = {{"X-Amz-Meta-A", "  a   b  "}, {"x-amz-meta-b", "one"}, {"X-AMZ-META-B", "two"}};
  BOOST_CHECK_EQUAL(*CanonicalHeaders(h, {"x-amz-meta-a", "x-amz-meta-b"}),
                    "x-amz-meta-a:a b\nx-amz-meta-b:one,two\n");
  BOOST_CHECK(!CanonicalHeaders(h, {"x-amz-meta-c"}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(malformed_authorization)

void ExpectAuthError(const std::string& auth, ErrorCode code) {
  Req r = AwsGetObject();
  SetHeader(r, "Authorization", auth);
  BOOST_TEST_CONTEXT("Authorization: " << auth) { ExpectError(Verify(r, k20130524), code); }
}

const std::string kSig = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
const std::string kCred = "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request";
const std::string kSh = "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date";
const std::string kAlg = "AWS4-HMAC-SHA256 ";

BOOST_AUTO_TEST_CASE(missing_credential) {
  ExpectAuthError(kAlg + kSh + ",Signature=" + kSig, ErrorCode::kAuthorizationHeaderMalformed);
}
BOOST_AUTO_TEST_CASE(missing_signed_headers) {
  ExpectAuthError(kAlg + kCred + ",Signature=" + kSig, ErrorCode::kAuthorizationHeaderMalformed);
}
BOOST_AUTO_TEST_CASE(missing_signature) {
  ExpectAuthError(kAlg + kCred + "," + kSh, ErrorCode::kAuthorizationHeaderMalformed);
}
BOOST_AUTO_TEST_CASE(duplicated_signature_part) {
  ExpectAuthError(kAlg + kCred + "," + kSh + ",Signature=" + kSig + ",Signature=" + kSig,
                  ErrorCode::kAuthorizationHeaderMalformed);
}
BOOST_AUTO_TEST_CASE(duplicated_credential_part) {
  ExpectAuthError(kAlg + kCred + "," + kCred + "," + kSh + ",Signature=" + kSig,
                  ErrorCode::kAuthorizationHeaderMalformed);
}
BOOST_AUTO_TEST_CASE(unknown_part) {
  ExpectAuthError(kAlg + kCred + "," + kSh + ",Signature=" + kSig + ",Foo=bar",
                  ErrorCode::kAuthorizationHeaderMalformed);
}
BOOST_AUTO_TEST_CASE(trailing_comma) {
  ExpectAuthError(kAlg + kCred + "," + kSh + ",Signature=" + kSig + ",",
                  ErrorCode::kAuthorizationHeaderMalformed);
}
BOOST_AUTO_TEST_CASE(parts_in_other_order_with_spaces_are_fine) {
  Req r = AwsGetObject();
  SetHeader(r, "Authorization", kAlg + " Signature=" + kSig + " ,  " + kSh + "," + kCred);
  BOOST_CHECK(Verify(r, k20130524).has_value());
}
BOOST_AUTO_TEST_CASE(credential_too_few_parts) {
  ExpectAuthError(
      kAlg + "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3," + kSh + ",Signature=" + kSig,
      ErrorCode::kAuthorizationHeaderMalformed);
}
BOOST_AUTO_TEST_CASE(credential_empty_access_key) {
  ExpectAuthError(
      kAlg + "Credential=/20130524/us-east-1/s3/aws4_request," + kSh + ",Signature=" + kSig,
      ErrorCode::kAuthorizationHeaderMalformed);
}
BOOST_AUTO_TEST_CASE(credential_bad_date) {
  ExpectAuthError(kAlg + "Credential=AKIAIOSFODNN7EXAMPLE/2013052/us-east-1/s3/aws4_request," +
                      kSh + ",Signature=" + kSig,
                  ErrorCode::kAuthorizationHeaderMalformed);
  ExpectAuthError(kAlg + "Credential=AKIAIOSFODNN7EXAMPLE/20130231/us-east-1/s3/aws4_request," +
                      kSh + ",Signature=" + kSig,
                  ErrorCode::kAuthorizationHeaderMalformed);
}
BOOST_AUTO_TEST_CASE(credential_wrong_service) {
  ExpectAuthError(kAlg + "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/ec2/aws4_request," +
                      kSh + ",Signature=" + kSig,
                  ErrorCode::kAuthorizationHeaderMalformed);
}
BOOST_AUTO_TEST_CASE(credential_wrong_terminal) {
  ExpectAuthError(kAlg + "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_reques," +
                      kSh + ",Signature=" + kSig,
                  ErrorCode::kAuthorizationHeaderMalformed);
}
BOOST_AUTO_TEST_CASE(scope_date_differs_from_x_amz_date) {
  ExpectAuthError(kAlg + "Credential=AKIAIOSFODNN7EXAMPLE/20130523/us-east-1/s3/aws4_request," +
                      kSh + ",Signature=" + kSig,
                  ErrorCode::kAuthorizationHeaderMalformed);
}
BOOST_AUTO_TEST_CASE(signature_not_hex_or_wrong_length) {
  ExpectAuthError(kAlg + kCred + "," + kSh + ",Signature=" + kSig.substr(1),
                  ErrorCode::kAuthorizationHeaderMalformed);
  ExpectAuthError(kAlg + kCred + "," + kSh + ",Signature=" + std::string(64, 'g'),
                  ErrorCode::kAuthorizationHeaderMalformed);
}
BOOST_AUTO_TEST_CASE(empty_signed_header_name) {
  ExpectAuthError(kAlg + kCred + ",SignedHeaders=host;;range,Signature=" + kSig,
                  ErrorCode::kAuthorizationHeaderMalformed);
  ExpectAuthError(kAlg + kCred + ",SignedHeaders=,Signature=" + kSig,
                  ErrorCode::kAuthorizationHeaderMalformed);
}
BOOST_AUTO_TEST_CASE(algorithm_without_parts) {
  ExpectAuthError("AWS4-HMAC-SHA256", ErrorCode::kAuthorizationHeaderMalformed);
  ExpectAuthError("AWS4-HMAC-SHA256 ", ErrorCode::kAuthorizationHeaderMalformed);
}
BOOST_AUTO_TEST_CASE(other_algorithms) {
  ExpectAuthError("AWS4-ECDSA-P256-SHA256 " + kCred + "," + kSh + ",Signature=" + kSig,
                  ErrorCode::kInvalidArgument);
  ExpectAuthError("Bearer abc", ErrorCode::kInvalidArgument);
  ExpectAuthError("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
                  ErrorCode::kInvalidRequest);
}
BOOST_AUTO_TEST_CASE(two_authorization_headers) {
  Req r = AwsGetObject();
  r.headers.emplace("authorization", r.headers.find("Authorization")->second);
  ExpectError(Verify(r, k20130524), ErrorCode::kInvalidArgument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tampering)

BOOST_AUTO_TEST_CASE(header_value_changed) {
  Req r = AwsGetObject();
  SetHeader(r, "Range", "bytes=0-8");
  ExpectError(Verify(r, k20130524), ErrorCode::kSignatureDoesNotMatch);
}
BOOST_AUTO_TEST_CASE(header_value_whitespace_is_not_a_change) {
  Req r = AwsGetObject();
  SetHeader(r, "Range", "  bytes=0-9 ");
  BOOST_CHECK(Verify(r, k20130524).has_value());
}
BOOST_AUTO_TEST_CASE(signed_header_removed) {
  Req r = AwsGetObject();
  r.headers.erase("Range");
  ExpectError(Verify(r, k20130524), ErrorCode::kSignatureDoesNotMatch);
}
BOOST_AUTO_TEST_CASE(signed_header_repeated) {
  Req r = AwsGetObject();
  r.headers.emplace("range", "bytes=0-9");
  ExpectError(Verify(r, k20130524), ErrorCode::kSignatureDoesNotMatch);
}
BOOST_AUTO_TEST_CASE(method_changed) {
  Req r = AwsGetObject();
  r.method = "HEAD";
  ExpectError(Verify(r, k20130524), ErrorCode::kSignatureDoesNotMatch);
}
BOOST_AUTO_TEST_CASE(path_changed) {
  Req r = AwsGetObject();
  r.path = "/test.txT";
  ExpectError(Verify(r, k20130524), ErrorCode::kSignatureDoesNotMatch);
}
BOOST_AUTO_TEST_CASE(path_equivalent_encoding_is_not_a_change) {
  Req r = AwsGetObject();
  r.path = "/%74est.txt";
  BOOST_CHECK(Verify(r, k20130524).has_value());
}
BOOST_AUTO_TEST_CASE(path_bad_escape) {
  Req r = AwsGetObject();
  r.path = "/test%.txt";
  ExpectError(Verify(r, k20130524), ErrorCode::kInvalidArgument);
}
BOOST_AUTO_TEST_CASE(query_added) {
  Req r = AwsGetObject();
  r.query = "versionId=1";
  ExpectError(Verify(r, k20130524), ErrorCode::kSignatureDoesNotMatch);
}
BOOST_AUTO_TEST_CASE(signature_changed) {
  Req r = AwsGetObject();
  SetHeader(r, "Authorization",
            AwsAuth("host;range;x-amz-content-sha256;x-amz-date",
                    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb40"));
  ExpectError(Verify(r, k20130524), ErrorCode::kSignatureDoesNotMatch);
}
BOOST_AUTO_TEST_CASE(unsigned_amz_header_added) {
  Req r = AwsGetObject();
  r.headers.emplace("x-amz-meta-evil", "1");
  ExpectError(Verify(r, k20130524), ErrorCode::kAccessDenied);
  SigV4Options lax;
  lax.require_signed_amz_headers = false;
  BOOST_CHECK(Verify(r, k20130524, lax).has_value());
}
BOOST_AUTO_TEST_CASE(unsigned_plain_header_added_is_fine) {
  Req r = AwsGetObject();
  r.headers.emplace("User-Agent", "curl");
  BOOST_CHECK(Verify(r, k20130524).has_value());
}
BOOST_AUTO_TEST_CASE(unknown_access_key) {
  Req r = AwsGetObject();
  SetHeader(r, "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIANOBODY/20130524/us-east-1/s3/aws4_request," +
                std::string("SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=") +
                std::string(64, 'a'));
  ExpectError(Verify(r, k20130524), ErrorCode::kInvalidAccessKeyId);
}
BOOST_AUTO_TEST_CASE(wrong_secret) {
  Req r = AwsGetObject();
  auto res = VerifySigV4(r.view(), At(k20130524),
                         [](std::string_view) { return std::optional<std::string>("nope"); }, {});
  ExpectError(res, ErrorCode::kSignatureDoesNotMatch);
}
BOOST_AUTO_TEST_CASE(host_not_signed) {
  Req r = AwsGetObject();
  r.headers.erase("Range");
  r.headers.emplace("range", "bytes=0-9");
  SignHeader(r, "range;x-amz-content-sha256;x-amz-date",
             {"range", "x-amz-content-sha256", "x-amz-date"}, "20130524T000000Z");
  ExpectError(Verify(r, k20130524), ErrorCode::kAccessDenied);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(dates_and_payload)

BOOST_AUTO_TEST_CASE(skew_limits_exactly_15_minutes) {
  const Req r = AwsGetObject();
  BOOST_CHECK(Verify(r, k20130524 + 900).has_value());
  BOOST_CHECK(Verify(r, k20130524 - 900).has_value());
  ExpectError(Verify(r, k20130524 + 901), ErrorCode::kRequestTimeTooSkewed);
  ExpectError(Verify(r, k20130524 - 901), ErrorCode::kRequestTimeTooSkewed);
  // Sub-second clocks: 900.999 s late is still 900 whole seconds.
  auto res =
      VerifySigV4(r.view(), At(k20130524 + 900) + std::chrono::milliseconds(999), Lookup(), {});
  BOOST_CHECK(res.has_value());
}
BOOST_AUTO_TEST_CASE(custom_skew) {
  SigV4Options o;
  o.max_skew = std::chrono::seconds(60);
  ExpectError(Verify(AwsGetObject(), k20130524 + 61, o), ErrorCode::kRequestTimeTooSkewed);
}
BOOST_AUTO_TEST_CASE(no_date_at_all) {
  Req r = AwsGetObject();
  r.headers.erase("x-amz-date");
  ExpectError(Verify(r, k20130524), ErrorCode::kAccessDenied);
}
BOOST_AUTO_TEST_CASE(bad_x_amz_date) {
  Req r = AwsGetObject();
  SetHeader(r, "x-amz-date", "20130524T000000");
  ExpectError(Verify(r, k20130524), ErrorCode::kAccessDenied);
  SetHeader(r, "x-amz-date", "20130524T250000Z");
  ExpectError(Verify(r, k20130524), ErrorCode::kAccessDenied);
}
BOOST_AUTO_TEST_CASE(two_x_amz_dates) {
  Req r = AwsGetObject();
  r.headers.emplace("X-Amz-Date", "20130524T000000Z");
  ExpectError(Verify(r, k20130524), ErrorCode::kAccessDenied);
}
BOOST_AUTO_TEST_CASE(date_header_instead_of_x_amz_date) {
  Req r = AwsGetObject();
  r.headers.erase("x-amz-date");
  r.headers.emplace("Date", "Fri, 24 May 2013 00:00:00 GMT");
  SignHeader(r, "date;host;range;x-amz-content-sha256",
             {"date", "host", "range", "x-amz-content-sha256"}, "20130524T000000Z");
  BOOST_CHECK(Verify(r, k20130524).has_value());
  ExpectError(Verify(r, k20130524 + 901), ErrorCode::kRequestTimeTooSkewed);
}
BOOST_AUTO_TEST_CASE(date_header_with_numeric_zone) {
  // botocore and Python's email.utils write "-0000"; the zone is applied.
  for (std::string_view date : {"Fri, 24 May 2013 00:00:00 -0000", "Fri, 24 May 2013 00:00:00 UTC",
                                "Fri, 24 May 2013 01:00:00 +0100"}) {
    BOOST_TEST_CONTEXT(date) {
      Req r = AwsGetObject();
      r.headers.erase("x-amz-date");
      r.headers.emplace("Date", std::string(date));
      SignHeader(r, "date;host;range;x-amz-content-sha256",
                 {"date", "host", "range", "x-amz-content-sha256"}, "20130524T000000Z");
      auto v = Verify(r, k20130524);
      BOOST_CHECK_MESSAGE(v.has_value(), (v ? std::string() : std::string(v.error().text())));
    }
  }
}
BOOST_AUTO_TEST_CASE(x_amz_date_in_http_form) {
  Req r = AwsGetObject();
  SetHeader(r, "x-amz-date", "Fri, 24 May 2013 00:00:00 -0000");
  SignHeader(r, "host;range;x-amz-content-sha256;x-amz-date",
             {"host", "range", "x-amz-content-sha256", "x-amz-date"}, "20130524T000000Z");
  auto v = Verify(r, k20130524);
  BOOST_CHECK_MESSAGE(v.has_value(), (v ? std::string() : std::string(v.error().text())));
}
BOOST_AUTO_TEST_CASE(missing_content_sha256) {
  Req r = AwsGetObject();
  r.headers.erase("x-amz-content-sha256");
  ExpectError(Verify(r, k20130524), ErrorCode::kMissingSecurityHeader);
}
BOOST_AUTO_TEST_CASE(bad_content_sha256) {
  Req r = AwsGetObject();
  SetHeader(r, "x-amz-content-sha256", "abc");
  ExpectError(Verify(r, k20130524), ErrorCode::kInvalidArgument);
  SetHeader(r, "x-amz-content-sha256", std::string(64, 'A'));
  ExpectError(Verify(r, k20130524), ErrorCode::kInvalidArgument);
  SetHeader(r, "x-amz-content-sha256", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD");
  ExpectError(Verify(r, k20130524), ErrorCode::kInvalidArgument);
}
BOOST_AUTO_TEST_CASE(payload_modes) {
  BOOST_CHECK(*ParsePayloadMode("UNSIGNED-PAYLOAD") == PayloadMode::kUnsigned);
  BOOST_CHECK(*ParsePayloadMode("STREAMING-AWS4-HMAC-SHA256-PAYLOAD") ==
              PayloadMode::kStreamingSigned);
  BOOST_CHECK(*ParsePayloadMode("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") ==
              PayloadMode::kStreamingSignedTrailer);
  BOOST_CHECK(*ParsePayloadMode("STREAMING-UNSIGNED-PAYLOAD-TRAILER") ==
              PayloadMode::kStreamingUnsignedTrailer);
  BOOST_CHECK(*ParsePayloadMode(kEmpty) == PayloadMode::kSha256);
  BOOST_CHECK(!ParsePayloadMode("unsigned-payload"));
  BOOST_CHECK(!ParsePayloadMode(""));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(presigned)

BOOST_AUTO_TEST_CASE(expires_limits) {
  ExpectError(Verify(AwsPresigned("0"), k20130524), ErrorCode::kAuthorizationQueryParametersError);
  ExpectError(Verify(AwsPresigned("604801"), k20130524),
              ErrorCode::kAuthorizationQueryParametersError);
  ExpectError(Verify(AwsPresigned("-1"), k20130524), ErrorCode::kAuthorizationQueryParametersError);
  ExpectError(Verify(AwsPresigned("1e3"), k20130524),
              ErrorCode::kAuthorizationQueryParametersError);
  ExpectError(Verify(AwsPresigned("99999999999999999999999"), k20130524),
              ErrorCode::kAuthorizationQueryParametersError);
  BOOST_CHECK(Verify(AwsPresigned("604800"), k20130524 + 604800).has_value());
  BOOST_CHECK(Verify(AwsPresigned("1"), k20130524 + 1).has_value());
}
BOOST_AUTO_TEST_CASE(expired_and_not_yet_valid) {
  const Req r = AwsPresigned("86400");
  BOOST_CHECK(Verify(r, k20130524 + 86400).has_value());
  auto res = Verify(r, k20130524 + 86401);
  ExpectError(res, ErrorCode::kAccessDenied);
  BOOST_CHECK_EQUAL(res.error().text(), "Request has expired");
  BOOST_CHECK(Verify(r, k20130524 - 900).has_value());
  ExpectError(Verify(r, k20130524 - 901), ErrorCode::kAccessDenied);
}
BOOST_AUTO_TEST_CASE(missing_parameters) {
  for (std::string_view drop : {"X-Amz-Credential=", "X-Amz-Date=", "X-Amz-Expires=",
                                "X-Amz-SignedHeaders=", "X-Amz-Signature="}) {
    Req r = AwsPresigned("86400");
    const size_t at = r.query.find(drop);
    const size_t end = r.query.find('&', at);
    r.query.erase(at, end == std::string::npos ? std::string::npos : end - at + 1);
    BOOST_TEST_CONTEXT("without " << drop) {
      ExpectError(Verify(r, k20130524), ErrorCode::kAuthorizationQueryParametersError);
    }
  }
}
BOOST_AUTO_TEST_CASE(duplicated_parameter) {
  Req r = AwsPresigned("86400");
  r.query += "&X-Amz-Date=20130524T000000Z";
  ExpectError(Verify(r, k20130524), ErrorCode::kAuthorizationQueryParametersError);
}
BOOST_AUTO_TEST_CASE(wrong_algorithm) {
  Req r = AwsPresigned("86400");
  r.query.replace(r.query.find("AWS4-HMAC-SHA256"), 16, "AWS4-HMAC-SHA512");
  ExpectError(Verify(r, k20130524), ErrorCode::kAuthorizationQueryParametersError);
}
BOOST_AUTO_TEST_CASE(bad_date_parameter) {
  Req r = AwsPresigned("86400");
  r.query.replace(r.query.find("20130524T000000Z"), 16, "2013-05-24T00:00");
  ExpectError(Verify(r, k20130524), ErrorCode::kAuthorizationQueryParametersError);
}
BOOST_AUTO_TEST_CASE(tampered_query) {
  Req r = AwsPresigned("86400");
  r.query += "&response-content-type=text%2Fhtml";
  ExpectError(Verify(r, k20130524), ErrorCode::kSignatureDoesNotMatch);
}
BOOST_AUTO_TEST_CASE(tampered_path_and_host) {
  Req r = AwsPresigned("86400");
  r.path = "/test2.txt";
  ExpectError(Verify(r, k20130524), ErrorCode::kSignatureDoesNotMatch);
  r = AwsPresigned("86400");
  SetHeader(r, "Host", "evil.example.com");
  ExpectError(Verify(r, k20130524), ErrorCode::kSignatureDoesNotMatch);
}
BOOST_AUTO_TEST_CASE(header_and_query_auth_together) {
  Req r = AwsPresigned("86400");
  r.headers.emplace("Authorization", AwsGetObject().headers.find("Authorization")->second);
  ExpectError(Verify(r, k20130524), ErrorCode::kInvalidArgument);
}
BOOST_AUTO_TEST_CASE(anonymous_and_sigv2) {
  Req r;
  r.headers = {{"Host", "h"}};
  BOOST_CHECK(DetectAuthKind(r.view()) == AuthKind::kAnonymous);
  ExpectError(Verify(r, k20130524), ErrorCode::kAccessDenied);
  r.query = "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1141889120&Signature=vjbyPxybd";
  BOOST_CHECK(DetectAuthKind(r.view()) == AuthKind::kPresignedV2);
  ExpectError(Verify(r, k20130524), ErrorCode::kInvalidRequest);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seglake::s3
