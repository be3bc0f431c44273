// URI encoding by AWS rules, and query string splitting.
//
// UriEncode keeps the unreserved characters A-Z a-z 0-9 - _ . ~ (and '/' when
// asked) and writes every other byte as %XX with uppercase hex. This is the
// encoding of SigV4 canonical requests and of encoding-type=url listings.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace seglake::s3 {

std::string UriEncode(std::string_view bytes, bool keep_slash);

// Percent-decodes. With plus_is_space, '+' decodes to ' ' (query strings);
// otherwise '+' stays '+' (paths). nullopt on a '%' not followed by two hex
// digits.
std::optional<std::string> UriDecode(std::string_view text, bool plus_is_space);

struct QueryParam {
  std::string key;    // decoded
  std::string value;  // decoded; empty when the parameter had no '='
  bool has_value = false;
};

// Splits a raw query string (without '?') on '&' and decodes keys and values
// ('+' as space). Empty segments ("a&&b") are skipped. nullopt on a bad
// escape.
std::optional<std::vector<QueryParam>> ParseQuery(std::string_view raw_query);

}  // namespace seglake::s3
