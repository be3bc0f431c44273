#include "server/request_log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

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

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "ERROR";
}

LogLevel LevelOfStatus(int status) {
  if (status == 503) return LogLevel::kWarn;
  return status >= 500 ? LogLevel::kError : LogLevel::kInfo;
}

std::string JsonString(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c >= 0x20 && c < 0x7f) {
      out += ch;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    }
  }
  out += '"';
  return out;
}

std::string FormatLogLine(const HttpLogEntry& e, int64_t now_ns, LogFormat format) {
  const double ms = static_cast<double>(e.duration.count()) / 1000.0;
  char dur[32];
  const std::string level(LevelName(LevelOfStatus(e.status)));
  if (format == LogFormat::kJson) {
    std::snprintf(dur, sizeof dur, "%.3f", ms);
    return "{\"time\":" + JsonString(s3::FormatIso8601Millis(now_ns)) + ",\"level\":\"" + level +
           "\",\"request_id\":" + JsonString(e.request_id) + ",\"remote\":" + JsonString(e.remote) +
           ",\"method\":" + JsonString(e.method) +
           ",\"target\":" + JsonString(RedactTarget(e.target)) +
           ",\"status\":" + std::to_string(e.status) + ",\"bytes\":" + std::to_string(e.bytes) +
           ",\"duration_ms\":" + dur + "}";
  }
  std::snprintf(dur, sizeof dur, "%.1fms", ms);
  return s3::FormatIso8601Millis(now_ns) + " " + level + " " + EscapeLogField(e.request_id) + " " +
         EscapeLogField(e.remote) + " " + EscapeLogField(e.method) + " " +
         EscapeLogField(RedactTarget(e.target)) + " " + std::to_string(e.status) + " " +
         std::to_string(e.bytes) + " " + dur;
}

std::string FormatEventLine(LogFormat format, LogLevel level, int64_t now_ns,
                            std::string_view message, std::string_view request_id) {
  if (format == LogFormat::kJson) {
    std::string out = "{\"time\":" + JsonString(s3::FormatIso8601Millis(now_ns)) + ",\"level\":\"" +
                      std::string(LevelName(level)) + "\",\"msg\":" + JsonString(message);
    if (!request_id.empty()) out += ",\"request_id\":" + JsonString(request_id);
    return out + "}";
  }
  std::string out = s3::FormatIso8601Millis(now_ns) + " " + std::string(LevelName(level)) + " ";
  for (char ch : message) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f) {
      out += ch;
    } else {
      out += EscapeLogField(std::string_view(&ch, 1));
    }
  }
  return out;
}

namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};
std::mutex g_log_mu;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void WriteLine(std::string line) {
  line += '\n';
  std::lock_guard<std::mutex> lock(g_log_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

void SetLogFormat(LogFormat format) { g_format.store(format); }
LogFormat CurrentLogFormat() { return g_format.load(); }

void Log(LogLevel level, std::string_view message, std::string_view request_id) {
  WriteLine(FormatEventLine(g_format.load(), level, NowNs(), message, request_id));
}

void LogRequest(const HttpLogEntry& e) { WriteLine(FormatLogLine(e, NowNs(), g_format.load())); }

}  // namespace seglake::s3d
