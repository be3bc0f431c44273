#include "proto/sigv4_parse.h"

#include <optional>

#include "proto/dates.h"
#include "proto/encoding.h"

namespace seglake::s3 {
namespace {

tl::unexpected<S3Error> Malformed(AuthForm form, std::string_view what) {
  if (form == AuthForm::kHeader) {
    return S3Err(ErrorCode::kAuthorizationHeaderMalformed,
                 "The authorization header is malformed; " + std::string(what));
  }
  return S3Err(ErrorCode::kAuthorizationQueryParametersError, std::string(what));
}

bool IsHex64(std::string_view s) { return s.size() == 64 && IsLowerHex(s); }

}  // namespace

S3Result<Credential> ParseCredential(std::string_view text, AuthForm form,
                                     std::string_view expected_region) {
  // Split from the right: the access key is everything before the scope.
  std::string_view parts[4];
  std::string_view rest = text;
  for (int i = 3; i >= 0; --i) {
    const size_t slash = rest.rfind('/');
    if (slash == std::string_view::npos) {
      return Malformed(form,
                       "the Credential is mal-formed; expecting "
                       "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
    }
    parts[i] = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  Credential c;
  c.access_key = std::string(rest);
  c.date = std::string(parts[0]);
  c.region = std::string(parts[1]);
  if (c.access_key.empty() || c.region.empty()) {
    return Malformed(form,
                     "the Credential is mal-formed; expecting "
                     "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
  }
  if (!ParseAmzDay(parts[0])) {
    return Malformed(form, "Invalid credential date \"" + c.date + "\".");
  }
  if (parts[2] != "s3") {
    return Malformed(form, "incorrect service \"" + std::string(parts[2]) +
                               "\". This endpoint belongs to \"s3\".");
  }
  if (parts[3] != "aws4_request") {
    return Malformed(form, "incorrect terminal \"" + std::string(parts[3]) +
                               "\". This endpoint uses \"aws4_request\".");
  }
  if (!expected_region.empty() && c.region != expected_region) {
    return Malformed(form, "the region '" + c.region + "' is wrong; expecting '" +
                               std::string(expected_region) + "'");
  }
  return c;
}

S3Result<std::vector<std::string>> ParseSignedHeaders(std::string_view text, AuthForm form) {
  std::vector<std::string> names;
  while (true) {
    const size_t semi = text.find(';');
    const std::string_view name = text.substr(0, semi);
    if (name.empty()) return Malformed(form, "the SignedHeaders list is mal-formed.");
    for (char c : name) {
      if (static_cast<unsigned char>(c) <= ' ' || c == ':' || c == 0x7f) {
        return Malformed(form, "the SignedHeaders list is mal-formed.");
      }
    }
    names.push_back(AsciiLower(name));
    if (semi == std::string_view::npos) break;
    text = text.substr(semi + 1);
  }
  return names;
}

S3Result<SignedAuth> ParseAuthorizationHeader(std::string_view value,
                                              std::string_view expected_region) {
  constexpr AuthForm kForm = AuthForm::kHeader;
  if (!value.starts_with(kSigV4Algorithm) || value.size() == kSigV4Algorithm.size() ||
      value[kSigV4Algorithm.size()] != ' ') {
    return S3Err(ErrorCode::kInvalidArgument, "Unsupported Authorization Type");
  }
  std::string_view rest = value.substr(kSigV4Algorithm.size());
  std::optional<std::string_view> cred, signed_headers, signature;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view item = TrimSpaces(rest.substr(0, comma));
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Malformed(kForm, "expected Credential, SignedHeaders and Signature.");
    }
    const std::string_view key = item.substr(0, eq);
    const std::string_view val = item.substr(eq + 1);
    std::optional<std::string_view>* slot = nullptr;
    if (key == "Credential") slot = &cred;
    if (key == "SignedHeaders") slot = &signed_headers;
    if (key == "Signature") slot = &signature;
    if (slot == nullptr) {
      return Malformed(kForm, "unexpected part \"" + std::string(key) + "\".");
    }
    if (slot->has_value()) {
      return Malformed(kForm, "the part \"" + std::string(key) + "\" appears twice.");
    }
    *slot = val;
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (!cred || !signed_headers || !signature) {
    return Malformed(kForm, "expected Credential, SignedHeaders and Signature.");
  }
  SignedAuth auth;
  auto c = ParseCredential(*cred, kForm, expected_region);
  if (!c) return tl::unexpected(c.error());
  auth.credential = std::move(*c);
  auto names = ParseSignedHeaders(*signed_headers, kForm);
  if (!names) return tl::unexpected(names.error());
  auth.header_names = std::move(*names);
  auth.signed_headers = std::string(*signed_headers);
  if (!IsHex64(*signature)) return Malformed(kForm, "the Signature is mal-formed.");
  auth.signature = std::string(*signature);
  return auth;
}

S3Result<PresignAuth> ParsePresignQuery(const std::vector<QueryParam>& params,
                                        std::string_view expected_region) {
  constexpr AuthForm kForm = AuthForm::kQuery;
  constexpr std::string_view kNames[] = {
      "X-Amz-Algorithm",     "X-Amz-Credential", "X-Amz-Date",          "X-Amz-Expires",
      "X-Amz-SignedHeaders", "X-Amz-Signature",  "X-Amz-Content-Sha256"};
  std::optional<std::string_view> found[std::size(kNames)];
  for (const QueryParam& p : params) {
    for (size_t i = 0; i < std::size(kNames); ++i) {
      if (p.key != kNames[i]) continue;
      if (found[i]) return Malformed(kForm, std::string(kNames[i]) + " appears more than once.");
      found[i] = p.value;
    }
  }
  for (size_t i = 0; i + 1 < std::size(kNames); ++i) {
    if (!found[i]) {
      return Malformed(kForm,
                       "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                       "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
                       "and X-Amz-Expires parameters.");
    }
  }
  if (*found[0] != kSigV4Algorithm) {
    return Malformed(kForm, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  }
  PresignAuth out;
  auto c = ParseCredential(*found[1], kForm, expected_region);
  if (!c) return tl::unexpected(c.error());
  out.auth.credential = std::move(*c);
  if (!ParseAmzDate(*found[2])) {
    return Malformed(kForm,
                     "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  }
  out.amz_date = std::string(*found[2]);
  auto expires = ParseDecimal(*found[3]);
  if (!expires || *expires < 1) {
    return Malformed(kForm, "X-Amz-Expires must be a positive integer number of seconds");
  }
  if (*expires > static_cast<uint64_t>(kMaxPresignExpires)) {
    return Malformed(kForm, "X-Amz-Expires must be less than a week (in seconds) that is 604800");
  }
  out.expires = static_cast<int64_t>(*expires);
  auto names = ParseSignedHeaders(*found[4], kForm);
  if (!names) return tl::unexpected(names.error());
  out.auth.header_names = std::move(*names);
  out.auth.signed_headers = std::string(*found[4]);
  if (!IsHex64(*found[5])) return Malformed(kForm, "X-Amz-Signature is mal-formed.");
  out.auth.signature = std::string(*found[5]);
  if (found[6]) out.content_sha256 = std::string(*found[6]);
  return out;
}

}  // namespace seglake::s3
