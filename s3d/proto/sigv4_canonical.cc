#include "proto/sigv4_canonical.h"

#include <algorithm>
#include <utility>

#include "proto/crypto.h"
#include "proto/encoding.h"
#include "proto/sigv4_parse.h"
#include "proto/uri.h"

namespace seglake::s3 {
namespace {

// Trims the value and collapses each run of spaces to one space.
void AppendTrimmedValue(std::string& out, std::string_view value) {
  value = TrimSpaces(value);
  bool in_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      in_space = true;
      continue;
    }
    if (in_space) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
}

}  // namespace

std::optional<std::string> CanonicalUri(std::string_view raw_path) {
  if (raw_path.empty()) return std::string("/");
  auto decoded = UriDecode(raw_path, false);
  if (!decoded) return std::nullopt;
  return UriEncode(*decoded, true);
}

std::optional<std::string> CanonicalQuery(std::string_view raw_query, bool drop_signature) {
  auto params = ParseQuery(raw_query);
  if (!params) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params->size());
  for (const QueryParam& p : *params) {
    if (drop_signature && p.key == "X-Amz-Signature") continue;
    encoded.emplace_back(UriEncode(p.key, false), UriEncode(p.value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += k;
    out.push_back('=');
    out += v;
  }
  return out;
}

std::optional<std::string> CanonicalHeaders(const HeaderMap& headers,
                                            const std::vector<std::string>& signed_names) {
  std::string out;
  for (const std::string& name : signed_names) {
    auto [lo, hi] = headers.equal_range(name);
    if (lo == hi) return std::nullopt;
    out += name;
    out.push_back(':');
    for (auto it = lo; it != hi; ++it) {
      if (it != lo) out.push_back(',');
      AppendTrimmedValue(out, it->second);
    }
    out.push_back('\n');
  }
  return out;
}

std::string CanonicalRequest(std::string_view method, std::string_view canonical_uri,
                             std::string_view canonical_query, std::string_view canonical_headers,
                             std::string_view signed_headers, std::string_view payload_hash) {
  std::string out;
  out.reserve(method.size() + canonical_uri.size() + canonical_query.size() +
              canonical_headers.size() + signed_headers.size() + payload_hash.size() + 8);
  out.append(method).push_back('\n');
  out.append(canonical_uri).push_back('\n');
  out.append(canonical_query).push_back('\n');
  out.append(canonical_headers).push_back('\n');
  out.append(signed_headers).push_back('\n');
  out.append(payload_hash);
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out(kSigV4Algorithm);
  out.push_back('\n');
  out.append(amz_date).push_back('\n');
  out.append(scope).push_back('\n');
  out += Sha256Hex(canonical_request);
  return out;
}

std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region) {
  const std::string k_date = HmacSha256("AWS4" + std::string(secret), date);
  const std::string k_region = HmacSha256(k_date, region);
  const std::string k_service = HmacSha256(k_region, "s3");
  return HmacSha256(k_service, "aws4_request");
}

std::string SignatureHex(std::string_view signing_key, std::string_view string_to_sign) {
  return HexEncode(HmacSha256(signing_key, string_to_sign));
}

}  // namespace seglake::s3
