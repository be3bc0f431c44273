// The pieces of a SigV4 signature for S3: canonical request, string to
// sign, signing key, signature. Pure functions; sigv4.h puts them together.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/headers.h"

namespace seglake::s3 {

// The path as received (percent-encoded) -> the canonical URI: decoded once
// and re-encoded by AWS rules with '/' kept. S3 neither normalizes the path
// nor encodes it twice. "" -> "/". nullopt on a bad percent escape.
std::optional<std::string> CanonicalUri(std::string_view raw_path);

// The raw query (without '?') -> the canonical query string: every
// parameter decoded, re-encoded by AWS rules, sorted by key then value,
// joined "k=v&k2=v2" ("k=" for a parameter without '='). With
// drop_signature, X-Amz-Signature is left out (presigned URLs). nullopt on a
// bad percent escape.
std::optional<std::string> CanonicalQuery(std::string_view raw_query, bool drop_signature);

// "name:value\n" for each signed name in list order; the values of a name
// sent several times are joined by ',' in arrival order, each trimmed and
// with runs of spaces collapsed. nullopt when a signed header is absent.
std::optional<std::string> CanonicalHeaders(const HeaderMap& headers,
                                            const std::vector<std::string>& signed_names);

std::string CanonicalRequest(std::string_view method, std::string_view canonical_uri,
                             std::string_view canonical_query, std::string_view canonical_headers,
                             std::string_view signed_headers, std::string_view payload_hash);

// "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + hex(sha256(creq))
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);

// HMAC chain "AWS4"+secret -> date -> region -> "s3" -> "aws4_request".
std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region);

// hex(HMAC(signing_key, string_to_sign))
std::string SignatureHex(std::string_view signing_key, std::string_view string_to_sign);

}  // namespace seglake::s3
