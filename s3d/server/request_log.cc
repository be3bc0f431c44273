#include "server/request_log.h"

#include <cstdio>

#include "proto/dates.h"
#include "proto/encoding.h"

namespace seglake::s3d {

std::string RedactTarget(std::string_view target) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, q + 1));
  std::string_view query = target.substr(q + 1);
  bool first = true;
  while (true) {
    const size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    const size_t eq = item.find('=');
    std::string_view name = item.substr(0, eq);
    if (!first) out += '&';
    first = false;
    if (eq != std::string_view::npos && (s3::EqualsIgnoreCase(name, "X-Amz-Signature") ||
                                         s3::EqualsIgnoreCase(name, "X-Amz-Credential") ||
                                         s3::EqualsIgnoreCase(name, "X-Amz-Security-Token") ||
                                         s3::EqualsIgnoreCase(name, "Signature"))) {
      out.append(name);
      out += "=REDACTED";
    } else {
      out.append(item);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

std::string EscapeLogField(std::string_view field) {
  if (field.empty()) return "-";
  std::string out;
  out.reserve(field.size());
  for (char ch : field) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if (c > 0x20 && c < 0x7f) {
      out += ch;
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::string FormatLogLine(const HttpLogEntry& e, int64_t now_ns) {
  char dur[32];
  std::snprintf(dur, sizeof dur, "%.1fms", static_cast<double>(e.duration.count()) / 1000.0);
  return s3::FormatIso8601Millis(now_ns) + " " + EscapeLogField(e.request_id) + " " +
         EscapeLogField(e.remote) + " " + EscapeLogField(e.method) + " " +
         EscapeLogField(RedactTarget(e.target)) + " " + std::to_string(e.status) + " " +
         std::to_string(e.bytes) + " " + dur;
}

}  // namespace seglake::s3d
