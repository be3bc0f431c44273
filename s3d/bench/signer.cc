#include "bench/signer.h"

#include <algorithm>

#include "proto/dates.h"
#include "proto/encoding.h"
#include "proto/headers.h"
#include "proto/sigv4_canonical.h"

namespace seglake::bench {

Signer::Signer(std::string access_key, std::string secret_key, std::string region)
    : access_key_(std::move(access_key)),
      secret_key_(std::move(secret_key)),
      region_(std::move(region)) {}

bool Signer::Sign(std::string_view method, std::string_view raw_path, std::string_view raw_query,
                  std::string_view payload_hash, int64_t unix_seconds, HeaderList* headers) {
  const std::string amz_date = s3::FormatAmzDate(unix_seconds);
  const std::string day = amz_date.substr(0, 8);
  if (day != day_ || signing_key_.empty()) {
    signing_key_ = s3::SigningKey(secret_key_, day, region_);
    day_ = day;
  }
  headers->emplace_back("x-amz-date", amz_date);
  headers->emplace_back("x-amz-content-sha256", std::string(payload_hash));

  s3::HeaderMap map;
  std::vector<std::string> names;
  for (const auto& [name, value] : *headers) {
    map.emplace(name, value);
    names.push_back(s3::AsciiLower(name));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string signed_headers;
  for (const std::string& n : names) {
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += n;
  }

  auto uri = s3::CanonicalUri(raw_path);
  auto query = s3::CanonicalQuery(raw_query, false);
  auto canonical_headers = s3::CanonicalHeaders(map, names);
  if (!uri || !query || !canonical_headers) return false;
  const std::string creq =
      s3::CanonicalRequest(method, *uri, *query, *canonical_headers, signed_headers, payload_hash);
  const std::string scope = day + "/" + region_ + "/s3/aws4_request";
  const std::string signature =
      s3::SignatureHex(signing_key_, s3::StringToSign(amz_date, scope, creq));
  headers->emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + access_key_ + "/" +
                                             scope + ",SignedHeaders=" + signed_headers +
                                             ",Signature=" + signature);
  return true;
}

}  // namespace seglake::bench
