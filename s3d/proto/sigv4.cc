#include "proto/sigv4.h"

#include <algorithm>

#include "proto/crypto.h"
#include "proto/dates.h"
#include "proto/encoding.h"
#include "proto/sigv4_canonical.h"
#include "proto/sigv4_parse.h"
#include "proto/uri.h"

namespace seglake::s3 {
namespace {

bool HasParam(const std::vector<QueryParam>& params, std::string_view key) {
  return std::any_of(params.begin(), params.end(),
                     [&](const QueryParam& p) { return p.key == key; });
}

int64_t UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Host must be signed; every x-amz-* header sent must be signed too.
S3Status CheckSignedHeaderSet(const RequestView& req, const std::vector<std::string>& names,
                              const SigV4Options& options) {
  if (std::find(names.begin(), names.end(), "host") == names.end()) {
    return S3Err(ErrorCode::kAccessDenied, "The host header must be signed.");
  }
  if (!options.require_signed_amz_headers) return {};
  std::string unsigned_names;
  for (const auto& [name, value] : req.headers) {
    const std::string lower = AsciiLower(name);
    if (!lower.starts_with("x-amz-")) continue;
    if (std::find(names.begin(), names.end(), lower) != names.end()) continue;
    if (unsigned_names.find(lower) != std::string::npos) continue;
    if (!unsigned_names.empty()) unsigned_names += ", ";
    unsigned_names += lower;
  }
  if (!unsigned_names.empty()) {
    return S3Err(
        ErrorCode::kAccessDenied,
        "There were headers present in the request which were not signed: " + unsigned_names);
  }
  return {};
}

// Builds the canonical request, signs it, and compares with the signature
// the client sent.
S3Result<AuthResult> Finish(const RequestView& req, const SignedAuth& auth,
                            std::string_view amz_date, std::string_view payload_hash,
                            bool presigned, const SecretLookup& lookup) {
  std::optional<std::string> secret = lookup ? lookup(auth.credential.access_key) : std::nullopt;
  if (!secret) return S3Err(ErrorCode::kInvalidAccessKeyId);
  auto uri = CanonicalUri(req.raw_path);
  auto query = CanonicalQuery(req.raw_query, presigned);
  if (!uri || !query) {
    return S3Err(ErrorCode::kInvalidArgument, "The request URI has an invalid percent-encoding.");
  }
  auto headers = CanonicalHeaders(req.headers, auth.header_names);
  if (!headers) {
    return S3Err(ErrorCode::kSignatureDoesNotMatch,
                 "A header named in SignedHeaders is missing from the request.");
  }
  const std::string creq =
      CanonicalRequest(req.method, *uri, *query, *headers, auth.signed_headers, payload_hash);
  AuthResult r;
  r.access_key = auth.credential.access_key;
  r.region = auth.credential.region;
  r.amz_date = std::string(amz_date);
  r.scope = auth.credential.scope();
  r.signing_key = SigningKey(*secret, auth.credential.date, auth.credential.region);
  r.signature = SignatureHex(r.signing_key, StringToSign(amz_date, r.scope, creq));
  if (!ConstantTimeEquals(r.signature, auth.signature)) {
    return S3Err(ErrorCode::kSignatureDoesNotMatch);
  }
  r.presigned = presigned;
  return r;
}

S3Status SetPayload(AuthResult& r, std::string_view value) {
  auto mode = ParsePayloadMode(value);
  if (!mode) {
    return S3Err(ErrorCode::kInvalidArgument,
                 "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-"
                 "TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-"
                 "PAYLOAD-TRAILER or a valid sha256 value.");
  }
  r.payload = *mode;
  if (*mode == PayloadMode::kSha256) r.payload_sha256 = std::string(value);
  return {};
}

S3Result<AuthResult> VerifyHeader(const RequestView& req, int64_t now, const SecretLookup& lookup,
                                  const SigV4Options& options) {
  if (req.headers.count("authorization") != 1) {
    return S3Err(ErrorCode::kInvalidArgument, "Only one Authorization header is allowed.");
  }
  auto auth = ParseAuthorizationHeader(req.headers.find("authorization")->second, options.region);
  if (!auth) return tl::unexpected(auth.error());

  std::string amz_date;
  std::optional<int64_t> when;
  const size_t amz_dates = req.headers.count("x-amz-date");
  if (amz_dates == 1) {
    amz_date = req.headers.find("x-amz-date")->second;
    when = ParseAmzDate(amz_date);
    // An HTTP date here stands for the basic form, as one in Date does.
    if (!when) {
      when = ParseHttpDate(TrimSpaces(amz_date));
      if (when) amz_date = FormatAmzDate(*when);
    }
  } else if (amz_dates == 0) {
    if (auto date = SingleHeader(req.headers, "date")) {
      when = ParseHttpDate(TrimSpaces(*date));
      if (when) amz_date = FormatAmzDate(*when);
    }
  }
  if (!when) {
    return S3Err(ErrorCode::kAccessDenied,
                 "AWS authentication requires a valid Date or x-amz-date header");
  }
  if (amz_date.substr(0, 8) != auth->credential.date) {
    return S3Err(ErrorCode::kAuthorizationHeaderMalformed,
                 "The authorization header is malformed; Invalid credential date \"" +
                     auth->credential.date + "\". This date is not the same as X-Amz-Date: \"" +
                     amz_date.substr(0, 8) + "\".");
  }
  const int64_t skew = options.max_skew.count();
  if (now - *when > skew || *when - now > skew) return S3Err(ErrorCode::kRequestTimeTooSkewed);

  auto sha = SingleHeader(req.headers, "x-amz-content-sha256");
  if (!sha) {
    return S3Err(ErrorCode::kMissingSecurityHeader,
                 "Your request was missing a required header: x-amz-content-sha256");
  }
  AuthResult payload;
  if (auto st = SetPayload(payload, *sha); !st) return tl::unexpected(st.error());
  if (auto st = CheckSignedHeaderSet(req, auth->header_names, options); !st) {
    return tl::unexpected(st.error());
  }
  auto r = Finish(req, *auth, amz_date, *sha, false, lookup);
  if (!r) return r;
  r->payload = payload.payload;
  r->payload_sha256 = std::move(payload.payload_sha256);
  return r;
}

S3Result<AuthResult> VerifyPresigned(const RequestView& req, const std::vector<QueryParam>& params,
                                     int64_t now, const SecretLookup& lookup,
                                     const SigV4Options& options) {
  auto pre = ParsePresignQuery(params, options.region);
  if (!pre) return tl::unexpected(pre.error());
  if (pre->amz_date.substr(0, 8) != pre->auth.credential.date) {
    return S3Err(ErrorCode::kAuthorizationQueryParametersError,
                 "Invalid credential date \"" + pre->auth.credential.date +
                     "\". This date is not the same as X-Amz-Date: \"" +
                     pre->amz_date.substr(0, 8) + "\".");
  }
  const int64_t when = *ParseAmzDate(pre->amz_date);
  if (when - now > options.max_skew.count()) {
    return S3Err(ErrorCode::kAccessDenied, "Request is not valid yet");
  }
  if (now - when > pre->expires) return S3Err(ErrorCode::kAccessDenied, "Request has expired");

  AuthResult payload;
  const std::string_view hash =
      pre->content_sha256.empty() ? std::string_view("UNSIGNED-PAYLOAD") : pre->content_sha256;
  if (auto st = SetPayload(payload, hash); !st) return tl::unexpected(st.error());
  if (auto st = CheckSignedHeaderSet(req, pre->auth.header_names, options); !st) {
    return tl::unexpected(st.error());
  }
  auto r = Finish(req, pre->auth, pre->amz_date, hash, true, lookup);
  if (!r) return r;
  r->payload = payload.payload;
  r->payload_sha256 = std::move(payload.payload_sha256);
  return r;
}

}  // namespace

std::optional<PayloadMode> ParsePayloadMode(std::string_view v) {
  if (v == "UNSIGNED-PAYLOAD") return PayloadMode::kUnsigned;
  if (v == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") return PayloadMode::kStreamingSigned;
  if (v == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") {
    return PayloadMode::kStreamingSignedTrailer;
  }
  if (v == "STREAMING-UNSIGNED-PAYLOAD-TRAILER") return PayloadMode::kStreamingUnsignedTrailer;
  if (v.size() == 64 && IsLowerHex(v)) return PayloadMode::kSha256;
  return std::nullopt;
}

AuthKind DetectAuthKind(const RequestView& req) {
  const bool has_header = req.headers.count("authorization") > 0;
  auto params = ParseQuery(req.raw_query);
  const bool v4_query = params && HasParam(*params, "X-Amz-Algorithm");
  const bool v2_query = params && HasParam(*params, "AWSAccessKeyId");
  if (has_header && (v4_query || v2_query)) return AuthKind::kBoth;
  if (has_header) {
    const std::string& value = req.headers.find("authorization")->second;
    return value.starts_with("AWS4-HMAC-SHA256 ") ? AuthKind::kHeaderV4 : AuthKind::kHeaderOther;
  }
  if (v4_query && v2_query) return AuthKind::kBoth;
  if (v4_query) return AuthKind::kPresignedV4;
  if (v2_query) return AuthKind::kPresignedV2;
  return AuthKind::kAnonymous;
}

S3Result<AuthResult> VerifySigV4(const RequestView& req, std::chrono::system_clock::time_point now,
                                 const SecretLookup& lookup, const SigV4Options& options) {
  const int64_t now_s = UnixSeconds(now);
  switch (DetectAuthKind(req)) {
    case AuthKind::kHeaderV4:
      return VerifyHeader(req, now_s, lookup, options);
    case AuthKind::kPresignedV4: {
      auto params = ParseQuery(req.raw_query);
      return VerifyPresigned(req, *params, now_s, lookup, options);
    }
    case AuthKind::kBoth:
      return S3Err(ErrorCode::kInvalidArgument,
                   "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                   "Signature query string parameter or the Authorization header should be "
                   "specified");
    case AuthKind::kHeaderOther: {
      const std::string& value = req.headers.find("authorization")->second;
      if (value.starts_with("AWS ")) break;
      if (value.starts_with("AWS4-HMAC-SHA256")) {
        return S3Err(ErrorCode::kAuthorizationHeaderMalformed,
                     "The authorization header is malformed.");
      }
      return S3Err(ErrorCode::kInvalidArgument, "Unsupported Authorization Type");
    }
    case AuthKind::kPresignedV2:
      break;
    case AuthKind::kAnonymous:
      return S3Err(ErrorCode::kAccessDenied, "The request is not signed.");
  }
  return S3Err(ErrorCode::kInvalidRequest,
               "The authorization mechanism you have provided is not supported. Please use "
               "AWS4-HMAC-SHA256.");
}

}  // namespace seglake::s3
