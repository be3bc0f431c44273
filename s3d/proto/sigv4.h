// SigV4 verification of an S3 request, signed in the Authorization header
// or presigned in the query string.
//
//   HeaderMap headers = ...;
//   RequestView req{.method = "GET", .raw_path = "/b/k", .raw_query = "", .headers = headers};
//   auto auth = VerifySigV4(req, std::chrono::system_clock::now(), lookup, {});
//   if (!auth) -> answer auth.error()
//
// On success the result carries what aws-chunked bodies need to check their
// chunk signatures (signing key, scope, date, seed signature).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/errors.h"
#include "proto/headers.h"

namespace seglake::s3 {

struct RequestView {
  std::string_view method;     // "GET", ...
  std::string_view raw_path;   // as received, percent-encoded, without the query
  std::string_view raw_query;  // as received, without '?'
  const HeaderMap& headers;
};

// Access key -> secret key; nullopt for an unknown access key.
using SecretLookup = std::function<std::optional<std::string>(std::string_view access_key)>;

enum class AuthKind { kAnonymous, kHeaderV4, kPresignedV4, kHeaderOther, kPresignedV2, kBoth };
// Which authentication the request attempts; kBoth when it has an
// Authorization header and presigned parameters.
AuthKind DetectAuthKind(const RequestView& req);

// What x-amz-content-sha256 (or a presigned URL) says about the body.
enum class PayloadMode {
  kSha256,                    // payload_sha256 holds the hex digest the body must have
  kUnsigned,                  // UNSIGNED-PAYLOAD
  kStreamingSigned,           // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
  kStreamingSignedTrailer,    // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
  kStreamingUnsignedTrailer,  // STREAMING-UNSIGNED-PAYLOAD-TRAILER
};
// nullopt for a value S3 does not accept.
std::optional<PayloadMode> ParsePayloadMode(std::string_view x_amz_content_sha256);

struct SigV4Options {
  std::string region;  // empty: accept any region in the credential scope
  std::chrono::seconds max_skew{15 * 60};
  // Reject x-amz-* headers the client sent but did not sign, as S3 does.
  bool require_signed_amz_headers = true;
};

struct AuthResult {
  std::string access_key;
  std::string region;
  std::string amz_date;     // "YYYYMMDDTHHMMSSZ" as signed
  std::string scope;        // "YYYYMMDD/region/s3/aws4_request"
  std::string signing_key;  // 32 raw bytes
  std::string signature;    // hex; the seed signature of an aws-chunked body
  bool presigned = false;
  PayloadMode payload = PayloadMode::kUnsigned;
  std::string payload_sha256;  // for PayloadMode::kSha256
};

// Verifies a kHeaderV4 or kPresignedV4 request. Errors:
//   AuthorizationHeaderMalformed / AuthorizationQueryParametersError  bad auth syntax
//   AccessDenied          no usable date, unsigned host or x-amz-* header,
//                         presigned URL expired ("Request has expired") or not yet valid
//   RequestTimeTooSkewed  header auth more than max_skew away from now
//   InvalidAccessKeyId    lookup knows no such key
//   MissingSecurityHeader no x-amz-content-sha256 (header auth)
//   InvalidArgument       bad x-amz-content-sha256, several auth mechanisms,
//                         unsupported Authorization type
//   InvalidRequest        SigV2
//   SignatureDoesNotMatch anything signed differs
S3Result<AuthResult> VerifySigV4(const RequestView& req, std::chrono::system_clock::time_point now,
                                 const SecretLookup& lookup, const SigV4Options& options);

}  // namespace seglake::s3
