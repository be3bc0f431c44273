// Request headers as this library reads them: a multimap with ASCII
// case-insensitive names, values in the order they arrived.
#pragma once

#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace seglake::s3 {

struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const {
    const size_t n = a.size() < b.size() ? a.size() : b.size();
    for (size_t i = 0; i < n; ++i) {
      const char x = Lower(a[i]);
      const char y = Lower(b[i]);
      if (x != y) return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
    }
    return a.size() < b.size();
  }

 private:
  static char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
};

using HeaderMap = std::multimap<std::string, std::string, CaseInsensitiveLess>;

// The value of the only header named `name`; nullopt when absent or repeated.
inline std::optional<std::string_view> SingleHeader(const HeaderMap& headers,
                                                    std::string_view name) {
  auto [lo, hi] = headers.equal_range(name);
  if (lo == hi || std::next(lo) != hi) return std::nullopt;
  return std::string_view(lo->second);
}

}  // namespace seglake::s3
