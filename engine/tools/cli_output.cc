#include "cli_output.h"

#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <iostream>

namespace seglake::cli {

int Fail(std::string_view command, int exit_code, std::string_view message) {
  std::string line = "seglake: ";
  if (!command.empty()) {
    line.append(command);
    line.append(": ");
  }
  line.append(message);
  line.push_back('\n');
  std::fputs(line.c_str(), stderr);
  return exit_code;
}

void PrintJson(const nlohmann::json& j) {
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

std::string FormatTime(uint64_t ns) {
  std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000ull);
  std::tm tm{};
  if (gmtime_r(&secs, &tm) == nullptr) return "-";
  char buf[32];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return n == 0 ? std::string("-") : std::string(buf, n);
}

std::string HumanBytes(uint64_t n) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (n < 1024) return std::to_string(n) + " B";
  double v = static_cast<double>(n);
  size_t unit = 0;
  while (v >= 1024.0 && unit + 1 < std::size(kUnits)) {
    v /= 1024.0;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[unit]);
  return buf;
}

std::string EscapeForTerminal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

std::string_view VersioningName(Versioning v) {
  switch (v) {
    case Versioning::kEnabled:
      return "enabled";
    case Versioning::kSuspended:
      return "suspended";
    case Versioning::kUnversioned:
      break;
  }
  return "unversioned";
}

nlohmann::json ToJson(const BucketInfo& b) {
  return {{"name", b.name},
          {"region", b.region},
          {"created", FormatTime(b.created_ns)},
          {"created_ns", b.created_ns},
          {"versioning", VersioningName(b.versioning)}};
}

namespace {

nlohmann::json AttrsToJson(const ObjectAttrs& a) {
  nlohmann::json j = nlohmann::json::object();
  auto put_if = [&j](const char* name, const std::string& v) {
    if (!v.empty()) j[name] = v;
  };
  put_if("content_type", a.content_type);
  put_if("content_encoding", a.content_encoding);
  put_if("content_disposition", a.content_disposition);
  put_if("content_language", a.content_language);
  put_if("cache_control", a.cache_control);
  put_if("expires", a.expires);
  if (!a.user_meta.empty()) j["user_meta"] = a.user_meta;
  if (!a.tags.empty()) j["tags"] = a.tags;
  nlohmann::json posix = nlohmann::json::object();
  if (a.posix.mode) posix["mode"] = *a.posix.mode;
  if (a.posix.uid) posix["uid"] = *a.posix.uid;
  if (a.posix.gid) posix["gid"] = *a.posix.gid;
  if (a.posix.mtime_ns) posix["mtime_ns"] = *a.posix.mtime_ns;
  if (a.posix.symlink_target) posix["symlink_target"] = *a.posix.symlink_target;
  if (!posix.empty()) j["posix"] = posix;
  return j;
}

nlohmann::json ChecksumsToJson(const Checksums& c) {
  nlohmann::json j = nlohmann::json::object();
  auto put_if = [&j](const char* name, const std::string& v) {
    if (!v.empty()) j[name] = v;
  };
  put_if("crc32c", c.crc32c);
  put_if("crc32", c.crc32);
  put_if("crc64nvme", c.crc64nvme);
  put_if("sha1", c.sha1);
  put_if("sha256", c.sha256);
  put_if("type", c.type);
  return j;
}

}  // namespace

nlohmann::json ToJson(const ObjectInfo& o) {
  nlohmann::json j = {{"bucket", o.bucket},
                      {"key", o.key},
                      {"version_id", o.version_id},
                      {"size", o.size},
                      {"etag", o.etag},
                      {"last_modified", FormatTime(o.last_modified_ns)},
                      {"last_modified_ns", o.last_modified_ns},
                      {"delete_marker", o.delete_marker},
                      {"is_latest", o.is_latest},
                      {"seq", o.seq},
                      {"parts", o.parts}};
  if (!o.part_sizes.empty()) j["part_sizes"] = o.part_sizes;
  j["attrs"] = AttrsToJson(o.attrs);
  j["checksums"] = ChecksumsToJson(o.checksums);
  return j;
}

nlohmann::json ToJson(const EngineStats& s) {
  return {{"buckets", s.buckets},
          {"objects", s.objects},
          {"versions", s.versions},
          {"delete_markers", s.delete_markers},
          {"uploads", s.uploads},
          {"segments_open", s.segments_open},
          {"segments_sealed", s.segments_sealed},
          {"segment_bytes", s.segment_bytes},
          {"live_bytes", s.live_bytes},
          {"dead_bytes", DeadBytes(s)},
          {"last_seq", s.last_seq}};
}

uint64_t DeadBytes(const EngineStats& s) {
  return s.segment_bytes > s.live_bytes ? s.segment_bytes - s.live_bytes : 0;
}

std::string SegmentFileName(uint64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016" PRIx64 ".seg", id);
  return buf;
}

std::string FormatProblem(const Problem& p, bool id_is_upload) {
  std::string line = p.kind;
  if (!p.bucket.empty() || !p.key.empty()) {
    line += "  " + EscapeForTerminal(p.bucket) + "/" + EscapeForTerminal(p.key);
  }
  if (!p.version_id.empty()) {
    line += (id_is_upload ? "  upload " : "  version ") + EscapeForTerminal(p.version_id);
  }
  if (p.segment != 0) line += "  segment " + SegmentFileName(p.segment);
  if (!p.detail.empty()) line += "  " + EscapeForTerminal(p.detail);
  return line;
}

nlohmann::json ToJson(const Problem& p, bool id_is_upload) {
  nlohmann::json j = {{"kind", p.kind}, {"bucket", p.bucket}, {"key", p.key}};
  j[id_is_upload ? "upload_id" : "version_id"] = p.version_id;
  j["segment"] = p.segment;
  if (p.segment != 0) j["segment_file"] = SegmentFileName(p.segment);
  j["detail"] = p.detail;
  return j;
}

ProgressBar::ProgressBar(std::string label, Unit unit, std::string noun)
    : label_(std::move(label)), unit_(unit), noun_(std::move(noun)) {
  enabled_ = isatty(STDERR_FILENO) == 1;
}

ProgressBar::~ProgressBar() { Done(); }

ProgressFn ProgressBar::Fn() {
  if (!enabled_) return nullptr;
  return [this](uint64_t done, uint64_t total) {
    Draw(done, total);
    return true;
  };
}

void ProgressBar::Draw(uint64_t done, uint64_t total) {
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && done < total && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  constexpr size_t kBar = 30;
  const double frac =
      total == 0 ? 1.0 : std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
  const size_t filled = static_cast<size_t>(frac * kBar);
  std::string line = label_ + " [" + std::string(filled, '#') + std::string(kBar - filled, '.') +
                     "] " + std::to_string(static_cast<int>(frac * 100)) + "%  ";
  if (unit_ == Unit::kBytes) {
    line += HumanBytes(done) + " / " + HumanBytes(total);
  } else {
    line += std::to_string(done) + " / " + std::to_string(total);
    if (!noun_.empty()) line += " " + noun_;
  }
  std::string out = "\r" + line;
  if (line.size() < width_) out += std::string(width_ - line.size(), ' ');
  width_ = line.size();
  drawn_ = true;
  std::fputs(out.c_str(), stderr);
  std::fflush(stderr);
}

void ProgressBar::Done() {
  if (!drawn_) return;
  drawn_ = false;
  std::string out = "\r" + std::string(width_, ' ') + "\r";
  std::fputs(out.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace seglake::cli
