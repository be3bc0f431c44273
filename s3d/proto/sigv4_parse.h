// Parsing of SigV4 authentication data: the Authorization header, the
// credential scope, the signed-headers list and the presigned-URL query
// parameters. Only AWS4-HMAC-SHA256 for service "s3" is accepted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/errors.h"
#include "proto/uri.h"

namespace seglake::s3 {

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";
inline constexpr int64_t kMaxPresignExpires = 604800;  // seconds, one week

// "AKID/20130524/us-east-1/s3/aws4_request"
struct Credential {
  std::string access_key;
  std::string date;  // YYYYMMDD
  std::string region;
  std::string scope() const { return date + "/" + region + "/s3/aws4_request"; }
};

struct SignedAuth {
  Credential credential;
  std::string signed_headers;             // as sent, e.g. "host;range;x-amz-date"
  std::vector<std::string> header_names;  // split, lowercased
  std::string signature;                  // hex, as sent
};

// Where a parse error is reported: the header form answers
// AuthorizationHeaderMalformed, the query form
// AuthorizationQueryParametersError.
enum class AuthForm { kHeader, kQuery };

// `expected_region` empty accepts any region.
S3Result<Credential> ParseCredential(std::string_view text, AuthForm form,
                                     std::string_view expected_region);
S3Result<std::vector<std::string>> ParseSignedHeaders(std::string_view text, AuthForm form);

// "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."; the
// three parts in any order, each exactly once, separated by commas and
// optional spaces.
S3Result<SignedAuth> ParseAuthorizationHeader(std::string_view value,
                                              std::string_view expected_region);

struct PresignAuth {
  SignedAuth auth;
  std::string amz_date;        // X-Amz-Date, "YYYYMMDDTHHMMSSZ"
  int64_t expires = 0;         // X-Amz-Expires, 1..604800
  std::string content_sha256;  // X-Amz-Content-Sha256 if present
};

// Reads X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders and
// -Signature from decoded query parameters; each must appear exactly once.
S3Result<PresignAuth> ParsePresignQuery(const std::vector<QueryParam>& params,
                                        std::string_view expected_region);

}  // namespace seglake::s3
