// Bucket names, object keys, URI encoding and UTF-8 validation.
#define BOOST_TEST_MODULE s3proto_names
#include <boost/test/unit_test.hpp>

#include "proto/encoding.h"
#include "proto/names.h"
#include "proto/uri.h"

namespace seglake::s3 {

BOOST_AUTO_TEST_CASE(valid_bucket_names) {
  for (std::string_view n :
       {"abc", "my-bucket", "my.bucket.name", "a1b2c3", "123", "0-0", "docexamplebucket1",
        "a23456789012345678901234567890123456789012345678901234567890123"}) {
    BOOST_TEST_CONTEXT(n) {
      BOOST_CHECK(IsValidBucketName(n));
      BOOST_CHECK(CheckBucketName(n).has_value());
    }
  }
}

BOOST_AUTO_TEST_CASE(invalid_bucket_names) {
  for (std::string_view n : {"",
                             "ab",
                             "a234567890123456789012345678901234567890123456789012345678901234",
                             "My-Bucket",
                             "my_bucket",
                             "my bucket",
                             "-bucket",
                             "bucket-",
                             ".bucket",
                             "bucket.",
                             "my..bucket",
                             "192.168.5.4",
                             "1.2.3.4",
                             "xn--bucket",
                             "sthree-bucket",
                             "amzn-s3-demo-bucket",
                             "bucket-s3alias",
                             "bucket--ol-s3",
                             "bucket.mrap",
                             "bucket--x-s3",
                             "bucket--table-s3",
                             "buck\xc3\xa9t",
                             "bucket/x"}) {
    BOOST_TEST_CONTEXT(n) {
      BOOST_CHECK(!IsValidBucketName(n));
      auto st = CheckBucketName(n);
      BOOST_REQUIRE(!st.has_value());
      BOOST_CHECK(st.error().code == ErrorCode::kInvalidBucketName);
    }
  }
  // IP-like needs exactly four numeric groups.
  BOOST_CHECK(IsValidBucketName("1.2.3"));
  BOOST_CHECK(IsValidBucketName("1.2.3.4.5"));
  BOOST_CHECK(IsValidBucketName("1.2.3.4a"));
}

BOOST_AUTO_TEST_CASE(object_keys) {
  BOOST_CHECK(CheckObjectKey("a").has_value());
  BOOST_CHECK(CheckObjectKey("a//b/./../c").has_value());
  BOOST_CHECK(CheckObjectKey("\xe6\x97\xa5\xe6\x9c\xac").has_value());
  BOOST_CHECK(CheckObjectKey(std::string(1024, 'k')).has_value());
  BOOST_CHECK(CheckObjectKey(std::string(1025, 'k')).error().code == ErrorCode::kKeyTooLongError);
  BOOST_CHECK(CheckObjectKey("").error().code == ErrorCode::kInvalidArgument);
  BOOST_CHECK(CheckObjectKey("bad\xff").error().code == ErrorCode::kInvalidArgument);
  // 1024 bytes of 3-byte characters is over the limit even though 342 chars.
  std::string wide;
  for (int i = 0; i < 342; ++i) wide += "\xe6\x97\xa5";
  BOOST_CHECK(CheckObjectKey(wide).error().code == ErrorCode::kKeyTooLongError);
}

BOOST_AUTO_TEST_CASE(utf8_validation) {
  BOOST_CHECK(IsValidUtf8(""));
  BOOST_CHECK(IsValidUtf8("plain"));
  BOOST_CHECK(IsValidUtf8("\xc3\xa9"));
  BOOST_CHECK(IsValidUtf8("\xf0\x9f\x98\x80"));  // U+1F600
  BOOST_CHECK(IsValidUtf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
  BOOST_CHECK(IsValidUtf8(std::string_view("\0", 1)));
  BOOST_CHECK(!IsValidUtf8("\xc0\xaf"));          // overlong '/'
  BOOST_CHECK(!IsValidUtf8("\xe0\x80\xaf"));      // overlong
  BOOST_CHECK(!IsValidUtf8("\xed\xa0\x80"));      // surrogate D800
  BOOST_CHECK(!IsValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  BOOST_CHECK(!IsValidUtf8("\xc3"));              // truncated
  BOOST_CHECK(!IsValidUtf8("\x80"));              // lone continuation
  BOOST_CHECK(!IsValidUtf8("\xf8\x88\x80\x80\x80"));
  BOOST_CHECK_EQUAL(Utf8Length("a\xc3\xa9\xf0\x9f\x98\x80"), 3u);
}

BOOST_AUTO_TEST_CASE(uri_encode_aws_rules) {
  BOOST_CHECK_EQUAL(UriEncode("AZaz09-_.~", false), "AZaz09-_.~");
  BOOST_CHECK_EQUAL(UriEncode("a b+c/d", false), "a%20b%2Bc%2Fd");
  BOOST_CHECK_EQUAL(UriEncode("a b+c/d", true), "a%20b%2Bc/d");
  BOOST_CHECK_EQUAL(UriEncode("$&'()*,:;=!@", false), "%24%26%27%28%29%2A%2C%3A%3B%3D%21%40");
  BOOST_CHECK_EQUAL(UriEncode("\xc3\xa9", false), "%C3%A9");
  BOOST_CHECK_EQUAL(UriEncode(std::string_view("\0\x7f", 2), false), "%00%7F");
}

BOOST_AUTO_TEST_CASE(uri_decode) {
  BOOST_CHECK_EQUAL(*UriDecode("a%20b%2bc%2F", false), "a b+c/");
  BOOST_CHECK_EQUAL(*UriDecode("a+b", false), "a+b");
  BOOST_CHECK_EQUAL(*UriDecode("a+b", true), "a b");
  BOOST_CHECK_EQUAL(*UriDecode("%00", false), std::string(1, '\0'));
  BOOST_CHECK(!UriDecode("%", false));
  BOOST_CHECK(!UriDecode("%4", false));
  BOOST_CHECK(!UriDecode("%4g", false));
  BOOST_CHECK(!UriDecode("abc%", true));
  for (std::string_view s : {"", "x", "a b+c/d\xc3\xa9~%"}) {
    BOOST_CHECK_EQUAL(*UriDecode(UriEncode(s, false), false), s);
  }
}

BOOST_AUTO_TEST_CASE(query_parsing) {
  auto q = ParseQuery("a=1&b&&c=x%20y+z&=v&d=");
  BOOST_REQUIRE(q.has_value());
  BOOST_REQUIRE_EQUAL(q->size(), 5u);
  BOOST_CHECK_EQUAL((*q)[0].key, "a");
  BOOST_CHECK_EQUAL((*q)[0].value, "1");
  BOOST_CHECK_EQUAL((*q)[1].key, "b");
  BOOST_CHECK(!(*q)[1].has_value);
  BOOST_CHECK_EQUAL((*q)[2].value, "x y z");
  BOOST_CHECK_EQUAL((*q)[3].key, "");
  BOOST_CHECK((*q)[4].has_value);
  BOOST_CHECK(!ParseQuery("a=%zz"));
  BOOST_CHECK(ParseQuery("")->empty());
}

BOOST_AUTO_TEST_CASE(decimal_and_ascii_helpers) {
  BOOST_CHECK_EQUAL(*ParseDecimal("18446744073709551615"), UINT64_MAX);
  BOOST_CHECK(!ParseDecimal("18446744073709551616"));
  BOOST_CHECK(!ParseDecimal(""));
  BOOST_CHECK(!ParseDecimal("-1"));
  BOOST_CHECK(!ParseDecimal(" 1"));
  BOOST_CHECK_EQUAL(*ParseDecimal("007"), 7u);
  BOOST_CHECK_EQUAL(AsciiLower("X-Amz-Date"), "x-amz-date");
  BOOST_CHECK(EqualsIgnoreCase("Host", "hOST"));
  BOOST_CHECK_EQUAL(TrimSpaces(" \t a b \t"), "a b");
}

}  // namespace seglake::s3
