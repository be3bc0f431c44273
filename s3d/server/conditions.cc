#include "server/conditions.h"

#include <optional>
#include <string>

#include "proto/dates.h"
#include "proto/encoding.h"

namespace seglake::s3d {
namespace {

std::string_view Unquote(std::string_view t) {
  t = s3::TrimSpaces(t);
  if (t.starts_with("W/")) t.remove_prefix(2);
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
  return t;
}

std::optional<std::string_view> Get(const s3::HeaderMap& h, std::string_view prefix,
                                    std::string_view name) {
  auto it = h.find(std::string(prefix) + std::string(name));
  if (it == h.end()) return std::nullopt;
  return std::string_view(it->second);
}

}  // namespace

bool EtagListMatches(std::string_view list, std::string_view etag) {
  const std::string_view want = Unquote(etag);
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view item = s3::TrimSpaces(list.substr(start, comma - start));
    if (item == "*" || (!item.empty() && Unquote(item) == want)) return true;
    start = comma + 1;
  }
  return false;
}

Precondition EvaluatePreconditions(const s3::HeaderMap& headers, std::string_view prefix,
                                   std::string_view etag, int64_t last_modified_s) {
  if (auto m = Get(headers, prefix, "if-match")) {
    if (!EtagListMatches(*m, etag)) return Precondition::kFailed;
  } else if (auto d = Get(headers, prefix, "if-unmodified-since")) {
    auto t = s3::ParseHttpDate(s3::TrimSpaces(*d));
    if (t && last_modified_s > *t) return Precondition::kFailed;
  }
  if (auto m = Get(headers, prefix, "if-none-match")) {
    if (EtagListMatches(*m, etag)) return Precondition::kNotModified;
  } else if (auto d = Get(headers, prefix, "if-modified-since")) {
    auto t = s3::ParseHttpDate(s3::TrimSpaces(*d));
    if (t && last_modified_s <= *t) return Precondition::kNotModified;
  }
  return Precondition::kProceed;
}

bool IfRangeAllows(const s3::HeaderMap& headers, std::string_view etag, int64_t last_modified_s) {
  auto it = headers.find("if-range");
  if (it == headers.end()) return true;
  std::string_view v = s3::TrimSpaces(it->second);
  if (v.starts_with("\"") || v.starts_with("W/")) {
    return !v.starts_with("W/") && Unquote(v) == Unquote(etag);
  }
  auto t = s3::ParseHttpDate(v);
  return t && last_modified_s <= *t;
}

}  // namespace seglake::s3d
