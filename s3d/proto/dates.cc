#include "proto/dates.h"

#include <array>
#include <cstdio>

namespace seglake::s3 {
namespace {

constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr int64_t kSecondsPerDay = 86400;

struct Civil {
  int64_t year;
  unsigned month, day, hour, minute, second;
  unsigned weekday;  // 0 = Sunday
};

Civil ToCivil(int64_t unix_seconds) {
  int64_t days = unix_seconds / kSecondsPerDay;
  int64_t secs = unix_seconds % kSecondsPerDay;
  if (secs < 0) {
    secs += kSecondsPerDay;
    --days;
  }
  Civil c{};
  c.weekday = static_cast<unsigned>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  // Howard Hinnant's civil_from_days.
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  c.day = doy - (153 * mp + 2) / 5 + 1;
  c.month = mp < 10 ? mp + 3 : mp - 9;
  c.year = static_cast<int64_t>(yoe) + era * 400 + (c.month <= 2 ? 1 : 0);
  c.hour = static_cast<unsigned>(secs / 3600);
  c.minute = static_cast<unsigned>(secs / 60 % 60);
  c.second = static_cast<unsigned>(secs % 60);
  return c;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Reads exactly n digits at text[pos...]; advances pos.
std::optional<unsigned> Digits(std::string_view text, size_t& pos, size_t n) {
  if (pos > text.size() || text.size() - pos < n) return std::nullopt;
  unsigned v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  pos += n;
  return v;
}

bool Expect(std::string_view text, size_t& pos, std::string_view lit) {
  if (pos <= text.size() && text.substr(pos).starts_with(lit)) {
    pos += lit.size();
    return true;
  }
  return false;
}

std::optional<unsigned> MonthIndex(std::string_view text, size_t& pos) {
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (Expect(text, pos, kMonths[i])) return static_cast<unsigned>(i + 1);
  }
  return std::nullopt;
}

// "HH:MM:SS"
bool Clock(std::string_view text, size_t& pos, unsigned& h, unsigned& m, unsigned& s) {
  auto hh = Digits(text, pos, 2);
  if (!hh || !Expect(text, pos, ":")) return false;
  auto mm = Digits(text, pos, 2);
  if (!mm || !Expect(text, pos, ":")) return false;
  auto ss = Digits(text, pos, 2);
  if (!ss) return false;
  h = *hh, m = *mm, s = *ss;
  return true;
}

// The zone that ends a date, as the seconds it is ahead of UTC: "GMT",
// "UTC" or "UT" (0), or "+hhmm" / "-hhmm" as RFC 5322 writes it (botocore,
// Python's email.utils and curl send "-0000" or "+0000"). Must end the text.
std::optional<int64_t> Zone(std::string_view text, size_t& pos) {
  for (std::string_view name : {"GMT", "UTC", "UT"}) {
    size_t p = pos;
    if (Expect(text, p, name) && p == text.size()) {
      pos = p;
      return 0;
    }
  }
  if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-')) return std::nullopt;
  const int64_t sign = text[pos] == '-' ? -1 : 1;
  size_t p = pos + 1;
  auto hh = Digits(text, p, 2);
  auto mm = hh ? Digits(text, p, 2) : std::nullopt;
  if (!mm || *hh > 23 || *mm > 59 || p != text.size()) return std::nullopt;
  pos = p;
  return sign * (static_cast<int64_t>(*hh) * 3600 + static_cast<int64_t>(*mm) * 60);
}

// IMF-fixdate after the "Sun, " prefix: "06 Nov 1994 08:49:37 GMT", or
// with another zone (Zone above).
std::optional<int64_t> ParseImfRest(std::string_view t, size_t pos) {
  unsigned h = 0, mi = 0, s = 0;
  auto d = Digits(t, pos, 2);
  if (!d || !Expect(t, pos, " ")) return std::nullopt;
  auto mo = MonthIndex(t, pos);
  if (!mo || !Expect(t, pos, " ")) return std::nullopt;
  auto y = Digits(t, pos, 4);
  if (!y || !Expect(t, pos, " ") || !Clock(t, pos, h, mi, s)) return std::nullopt;
  auto zone = Expect(t, pos, " ") ? Zone(t, pos) : std::nullopt;
  auto secs = zone ? UnixSeconds(*y, *mo, *d, h, mi, s) : std::nullopt;
  if (!secs) return std::nullopt;
  return *secs - *zone;
}

// RFC 850 after "Sunday, ": "06-Nov-94 08:49:37 GMT" (any zone Zone reads).
std::optional<int64_t> ParseRfc850Rest(std::string_view t, size_t pos) {
  unsigned h = 0, mi = 0, s = 0;
  auto d = Digits(t, pos, 2);
  if (!d || !Expect(t, pos, "-")) return std::nullopt;
  auto mo = MonthIndex(t, pos);
  if (!mo || !Expect(t, pos, "-")) return std::nullopt;
  auto y = Digits(t, pos, 2);
  if (!y || !Expect(t, pos, " ") || !Clock(t, pos, h, mi, s)) return std::nullopt;
  auto zone = Expect(t, pos, " ") ? Zone(t, pos) : std::nullopt;
  if (!zone) return std::nullopt;
  const int64_t year = *y < 70 ? 2000 + *y : 1900 + *y;
  auto secs = UnixSeconds(year, *mo, *d, h, mi, s);
  if (!secs) return std::nullopt;
  return *secs - *zone;
}

// asctime after "Sun ": "Nov  6 08:49:37 1994".
std::optional<int64_t> ParseAsctimeRest(std::string_view t, size_t pos) {
  unsigned h = 0, mi = 0, s = 0;
  auto mo = MonthIndex(t, pos);
  if (!mo || !Expect(t, pos, " ")) return std::nullopt;
  std::optional<unsigned> d;
  if (Expect(t, pos, " ")) {
    d = Digits(t, pos, 1);
  } else {
    d = Digits(t, pos, 2);
  }
  if (!d || !Expect(t, pos, " ") || !Clock(t, pos, h, mi, s) || !Expect(t, pos, " ")) {
    return std::nullopt;
  }
  auto y = Digits(t, pos, 4);
  if (!y || pos != t.size()) return std::nullopt;
  return UnixSeconds(*y, *mo, *d, h, mi, s);
}

}  // namespace

int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day) {
  const int64_t y = year - (month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::optional<int64_t> UnixSeconds(int64_t year, unsigned month, unsigned day, unsigned hour,
                                   unsigned minute, unsigned second) {
  static constexpr std::array<unsigned, 12> kMonthDays = {31, 28, 31, 30, 31, 30,
                                                          31, 31, 30, 31, 30, 31};
  if (year < 1601 || year > 9999 || month < 1 || month > 12 || day < 1) return std::nullopt;
  const unsigned mdays = kMonthDays[month - 1] + (month == 2 && IsLeap(year) ? 1 : 0);
  if (day > mdays || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  return DaysFromCivil(year, month, day) * kSecondsPerDay + hour * 3600 + minute * 60 + second;
}

std::string FormatHttpDate(int64_t unix_seconds) {
  const Civil c = ToCivil(unix_seconds);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02u:%02u:%02u GMT", kDays[c.weekday].data(),
                c.day, kMonths[c.month - 1].data(), static_cast<long long>(c.year), c.hour,
                c.minute, c.second);
  return buf;
}

std::optional<int64_t> ParseHttpDate(std::string_view t) {
  for (std::string_view day : kDays) {
    size_t pos = 0;
    if (Expect(t, pos, day)) {
      if (Expect(t, pos, ", ")) return ParseImfRest(t, pos);
      if (Expect(t, pos, " ")) return ParseAsctimeRest(t, pos);
      break;  // perhaps the long name of RFC 850
    }
  }
  for (std::string_view day : kLongDays) {
    size_t pos = 0;
    if (Expect(t, pos, day) && Expect(t, pos, ", ")) return ParseRfc850Rest(t, pos);
  }
  return std::nullopt;
}

std::string FormatIso8601Millis(int64_t unix_ns) {
  int64_t secs = unix_ns / 1000000000;
  int64_t ns = unix_ns % 1000000000;
  if (ns < 0) {
    ns += 1000000000;
    --secs;
  }
  const Civil c = ToCivil(secs);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ",
                static_cast<long long>(c.year), c.month, c.day, c.hour, c.minute, c.second,
                static_cast<unsigned>(ns / 1000000));
  return buf;
}

std::optional<int64_t> ParseIso8601(std::string_view t) {
  size_t pos = 0;
  unsigned h = 0, mi = 0, s = 0;
  auto y = Digits(t, pos, 4);
  if (!y || !Expect(t, pos, "-")) return std::nullopt;
  auto mo = Digits(t, pos, 2);
  if (!mo || !Expect(t, pos, "-")) return std::nullopt;
  auto d = Digits(t, pos, 2);
  if (!d || !Expect(t, pos, "T") || !Clock(t, pos, h, mi, s)) return std::nullopt;
  int64_t frac_ns = 0;
  if (Expect(t, pos, ".")) {
    int64_t scale = 100000000;
    size_t n = 0;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
      if (++n > 9) return std::nullopt;
      frac_ns += (t[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (n == 0) return std::nullopt;
  }
  if (!Expect(t, pos, "Z") || pos != t.size()) return std::nullopt;
  auto secs = UnixSeconds(*y, *mo, *d, h, mi, s);
  if (!secs) return std::nullopt;
  return *secs * 1000000000 + frac_ns;
}

std::string FormatAmzDate(int64_t unix_seconds) {
  const Civil c = ToCivil(unix_seconds);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld%02u%02uT%02u%02u%02uZ", static_cast<long long>(c.year),
                c.month, c.day, c.hour, c.minute, c.second);
  return buf;
}

std::optional<int64_t> ParseAmzDate(std::string_view t) {
  size_t pos = 0;
  auto y = Digits(t, pos, 4);
  auto mo = y ? Digits(t, pos, 2) : std::nullopt;
  auto d = mo ? Digits(t, pos, 2) : std::nullopt;
  if (!d || !Expect(t, pos, "T")) return std::nullopt;
  auto h = Digits(t, pos, 2);
  auto mi = h ? Digits(t, pos, 2) : std::nullopt;
  auto s = mi ? Digits(t, pos, 2) : std::nullopt;
  if (!s || !Expect(t, pos, "Z") || pos != t.size()) return std::nullopt;
  return UnixSeconds(*y, *mo, *d, *h, *mi, *s);
}

std::optional<int64_t> ParseAmzDay(std::string_view t) {
  size_t pos = 0;
  auto y = Digits(t, pos, 4);
  auto mo = y ? Digits(t, pos, 2) : std::nullopt;
  auto d = mo ? Digits(t, pos, 2) : std::nullopt;
  if (!d || pos != t.size()) return std::nullopt;
  return UnixSeconds(*y, *mo, *d, 0, 0, 0);
}

}  // namespace seglake::s3
