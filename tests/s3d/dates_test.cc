// HTTP dates (three formats), ISO 8601 with milliseconds, SigV4 dates.
#define BOOST_TEST_MODULE s3proto_dates
#include <boost/test/unit_test.hpp>

#include "proto/dates.h"

namespace seglake::s3 {

constexpr int64_t k1994 = 784111777;       // Sun, 06 Nov 1994 08:49:37 GMT
constexpr int64_t k20130524 = 1369353600;  // Fri, 24 May 2013 00:00:00 GMT

BOOST_AUTO_TEST_CASE(http_date_three_formats) {
  BOOST_CHECK_EQUAL(*ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), k1994);
  BOOST_CHECK_EQUAL(*ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), k1994);
  BOOST_CHECK_EQUAL(*ParseHttpDate("Sun Nov  6 08:49:37 1994"), k1994);
  BOOST_CHECK_EQUAL(*ParseHttpDate("Fri, 24 May 2013 00:00:00 GMT"), k20130524);
  BOOST_CHECK_EQUAL(*ParseHttpDate("Thu, 26 Nov 2026 10:20:30 GMT"),
                    *ParseIso8601("2026-11-26T10:20:30Z") / 1000000000);
  BOOST_CHECK_EQUAL(*ParseHttpDate("Sun Nov 16 08:49:37 1994"), k1994 + 10 * 86400);
  BOOST_CHECK_EQUAL(*ParseHttpDate("Thursday, 01-Jan-70 00:00:00 GMT"), 0);
  BOOST_CHECK_EQUAL(*ParseHttpDate("Monday, 01-Jan-40 00:00:00 GMT"),
                    *ParseIso8601("2040-01-01T00:00:00Z") / 1000000000);
}

BOOST_AUTO_TEST_CASE(http_date_rejects) {
  for (std::string_view s :
       {"", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 EST",
        "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 31 Nov 1994 08:49:37 GMT", "Sun, 29 Feb 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT ", "Xyz, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06 Nov 1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994", "1994-11-06T08:49:37Z"}) {
    BOOST_TEST_CONTEXT(s) { BOOST_CHECK(!ParseHttpDate(s)); }
  }
  BOOST_CHECK(ParseHttpDate("Tue, 29 Feb 2000 00:00:00 GMT"));   // leap year
  BOOST_CHECK(!ParseHttpDate("Thu, 29 Feb 1900 00:00:00 GMT"));  // not a leap year
}

BOOST_AUTO_TEST_CASE(http_date_zones) {
  // What RFC 5322 writers send: Python's email.utils.formatdate() and
  // botocore write "-0000", others "+0000"; "UTC" and "UT" mean GMT too.
  for (std::string_view s :
       {"Sun, 06 Nov 1994 08:49:37 -0000", "Sun, 06 Nov 1994 08:49:37 +0000",
        "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49:37 UT",
        "Sun, 06 Nov 1994 09:49:37 +0100", "Sun, 06 Nov 1994 03:19:37 -0530",
        "Sunday, 06-Nov-94 08:49:37 UTC", "Sunday, 06-Nov-94 10:49:37 +0200"}) {
    BOOST_TEST_CONTEXT(s) {
      auto t = ParseHttpDate(s);
      BOOST_REQUIRE(t.has_value());
      BOOST_CHECK_EQUAL(*t, k1994);
    }
  }
  // A zone can move the date across midnight and the year.
  BOOST_CHECK_EQUAL(*ParseHttpDate("Thu, 01 Jan 1970 00:30:00 +0100"), -1800);
  BOOST_CHECK_EQUAL(*ParseHttpDate("Wed, 31 Dec 1969 23:00:00 -0100"), 0);
  for (std::string_view s :
       {"Sun, 06 Nov 1994 08:49:37 0000", "Sun, 06 Nov 1994 08:49:37 +000",
        "Sun, 06 Nov 1994 08:49:37 +00000", "Sun, 06 Nov 1994 08:49:37 +2400",
        "Sun, 06 Nov 1994 08:49:37 +0060", "Sun, 06 Nov 1994 08:49:37 -00:00",
        "Sun, 06 Nov 1994 08:49:37 +0000 ", "Sun, 06 Nov 1994 08:49:37 -0000 (UTC)",
        "Sun, 06 Nov 1994 08:49:37 gmt", "Sun, 06 Nov 1994 08:49:37 UTCX",
        "Sun, 06 Nov 1994 08:49:37  GMT", "Sun, 06 Nov 1994 08:49:37 +",
        "Sun, 06 Nov 1994 08:49:37 -", "Sun Nov  6 08:49:37 1994 GMT",
        "Sun, 06 Nov 1994 08:49:37 +00a0"}) {
    BOOST_TEST_CONTEXT(s) { BOOST_CHECK(!ParseHttpDate(s)); }
  }
  // Parsing never reads past the text (a date cut anywhere).
  const std::string full = "Sun, 06 Nov 1994 08:49:37 +0100";
  for (size_t n = 0; n < full.size(); ++n) {
    BOOST_TEST_CONTEXT(n) { BOOST_CHECK(!ParseHttpDate(std::string_view(full).substr(0, n))); }
  }
}

BOOST_AUTO_TEST_CASE(http_date_format) {
  BOOST_CHECK_EQUAL(FormatHttpDate(k1994), "Sun, 06 Nov 1994 08:49:37 GMT");
  BOOST_CHECK_EQUAL(FormatHttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  BOOST_CHECK_EQUAL(FormatHttpDate(k20130524), "Fri, 24 May 2013 00:00:00 GMT");
  BOOST_CHECK_EQUAL(FormatHttpDate(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
  for (int64_t t : {int64_t{0}, k1994, k20130524, int64_t{4102444799}, int64_t{951782400}}) {
    BOOST_CHECK_EQUAL(*ParseHttpDate(FormatHttpDate(t)), t);
  }
}

BOOST_AUTO_TEST_CASE(iso8601_millis) {
  const int64_t ns = *ParseIso8601("2026-11-24T20:25:05Z");
  BOOST_CHECK_EQUAL(FormatIso8601Millis(ns), "2026-11-24T20:25:05.000Z");
  BOOST_CHECK_EQUAL(FormatIso8601Millis(ns + 123456789), "2026-11-24T20:25:05.123Z");
  BOOST_CHECK_EQUAL(*ParseIso8601("2026-11-24T20:25:05.123Z"), ns + 123000000);
  BOOST_CHECK_EQUAL(*ParseIso8601("2026-11-24T20:25:05.123456789Z"), ns + 123456789);
  BOOST_CHECK_EQUAL(FormatIso8601Millis(0), "1970-01-01T00:00:00.000Z");
  BOOST_CHECK_EQUAL(FormatIso8601Millis(-1), "1969-12-31T23:59:59.999Z");
  for (std::string_view s : {"2026-11-24T20:25:05", "2026-11-24 20:25:05Z", "2026-11-24T20:25:05.Z",
                             "2026-11-24T20:25:05.1234567890Z", "2026-13-24T20:25:05Z",
                             "2026-11-24T20:25:05+00:00", ""}) {
    BOOST_TEST_CONTEXT(s) { BOOST_CHECK(!ParseIso8601(s)); }
  }
}

BOOST_AUTO_TEST_CASE(amz_dates) {
  BOOST_CHECK_EQUAL(*ParseAmzDate("20130524T000000Z"), k20130524);
  BOOST_CHECK_EQUAL(FormatAmzDate(k20130524), "20130524T000000Z");
  BOOST_CHECK_EQUAL(*ParseAmzDay("20130524"), k20130524);
  for (std::string_view s :
       {"20130524T000000", "20130524T0000000Z", "2013052T000000Z", "20130524t000000Z",
        "20130532T000000Z", "20130524T236000Z", "20130524T000000Z "}) {
    BOOST_TEST_CONTEXT(s) { BOOST_CHECK(!ParseAmzDate(s)); }
  }
  BOOST_CHECK(!ParseAmzDay("2013052"));
  BOOST_CHECK(!ParseAmzDay("201305245"));
  BOOST_CHECK(!ParseAmzDay("20130231"));
  BOOST_CHECK(!ParseAmzDay("00000101"));
}

BOOST_AUTO_TEST_CASE(civil_arithmetic) {
  BOOST_CHECK_EQUAL(DaysFromCivil(1970, 1, 1), 0);
  BOOST_CHECK_EQUAL(DaysFromCivil(2000, 3, 1), 11017);
  BOOST_CHECK_EQUAL(DaysFromCivil(1969, 12, 31), -1);
  BOOST_CHECK(!UnixSeconds(10000, 1, 1, 0, 0, 0));
  BOOST_CHECK(!UnixSeconds(2024, 0, 1, 0, 0, 0));
  BOOST_CHECK(UnixSeconds(2024, 2, 29, 23, 59, 59));
}

}  // namespace seglake::s3
