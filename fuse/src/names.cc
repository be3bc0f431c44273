#include "names.h"

#include <cctype>

namespace seglake::mount {

bool ShowableComponent(std::string_view name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
  return name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

bool ShowableKey(std::string_view key) {
  if (!key.empty() && key.back() == '/') key.remove_suffix(1);
  if (key.empty()) return false;
  for (;;) {
    size_t slash = key.find('/');
    if (!ShowableComponent(key.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    key.remove_prefix(slash + 1);
  }
}

bool ValidBucketName(std::string_view n) {
  if (n.size() < 3 || n.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(n.front()) || !alnum(n.back())) return false;
  int dots = 0;
  bool digits_and_dots = true;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    if (!alnum(c) && c != '-' && c != '.') return false;
    if (c == '.') {
      ++dots;
      if (n[i - 1] == '.') return false;
    } else if (c < '0' || c > '9') {
      digits_and_dots = false;
    }
  }
  return !(digits_and_dots && dots == 3);  // looks like an IPv4 address
}

bool ValidXattrName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

bool ValidXattrValue(std::string_view v) {
  // Printable ASCII, or UTF-8 sequences (lead byte plus continuations).
  for (size_t i = 0; i < v.size();) {
    unsigned char c = static_cast<unsigned char>(v[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++i;
      continue;
    }
    int len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0 || c == 0xc0 || c == 0xc1 || i + len > v.size()) return false;
    for (int k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(v[i + k]) & 0xc0) != 0x80) return false;
    i += len;
  }
  return true;
}

bool ReservedXattrName(std::string_view name) {
  return name == "mode" || name == "uid" || name == "gid" || name == "mtime" || name == "rdev";
}

size_t UserMetaBytes(const std::map<std::string, std::string>& meta) {
  size_t n = 0;
  for (const auto& [k, v] : meta) n += k.size() + v.size();
  return n;
}

}  // namespace seglake::mount
