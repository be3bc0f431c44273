// Date formats on the S3 wire, all UTC:
//   HTTP dates (RFC 7231): "Sun, 06 Nov 1994 08:49:37 GMT" is written; the
//     obsolete RFC 850 and asctime forms are also read, and the IMF and
//     RFC 850 forms may end in "UTC", "UT" or a numeric zone ("-0000",
//     "+0100") instead of "GMT", as RFC 5322 writers (botocore, Python's
//     email.utils, curl) send them.
//   ISO 8601 with milliseconds in XML: "2026-11-24T20:25:05.000Z".
//   The SigV4 basic form: "20130524T000000Z", and scope days "20130524".
// Times are Unix seconds or Unix nanoseconds as named; years 1601..9999.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace seglake::s3 {

std::string FormatHttpDate(int64_t unix_seconds);
std::optional<int64_t> ParseHttpDate(std::string_view text);

std::string FormatIso8601Millis(int64_t unix_ns);
// "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (1 to 9 fraction digits) -> Unix ns.
std::optional<int64_t> ParseIso8601(std::string_view text);

std::string FormatAmzDate(int64_t unix_seconds);
std::optional<int64_t> ParseAmzDate(std::string_view text);  // "YYYYMMDDTHHMMSSZ"
std::optional<int64_t> ParseAmzDay(std::string_view text);   // "YYYYMMDD" -> midnight

// Days since 1970-01-01 of a proleptic Gregorian date; no range check.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
// nullopt unless 1601 <= year <= 9999, 1 <= month <= 12 and the day exists.
std::optional<int64_t> UnixSeconds(int64_t year, unsigned month, unsigned day, unsigned hour,
                                   unsigned minute, unsigned second);

}  // namespace seglake::s3
