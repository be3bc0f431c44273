// Fuzzes SigV4 verification. The input is a request as text:
//   METHOD SP PATH[?QUERY] LF (NAME ":" VALUE LF)*
// verified at 2013-05-24T00:00:00Z with AWS's example credentials, so the
// documented example requests in the corpus verify and their mutations
// explore every rejection path. Also fuzzes the parsers it is built from.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proto/dates.h"
#include "proto/sigv4.h"
#include "proto/sigv4_canonical.h"
#include "proto/sigv4_parse.h"
#include "proto/uri.h"

namespace {

using namespace seglake::s3;

void Check(bool ok) {
  if (!ok) std::abort();
}

std::optional<std::string> Secret(std::string_view ak) {
  if (ak == "AKIAIOSFODNN7EXAMPLE") return std::string("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nl = in.find('\n');
  const std::string_view first = in.substr(0, nl);
  std::string_view rest = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);

  const size_t sp = first.find(' ');
  const std::string_view method = first.substr(0, sp);
  const std::string_view target = sp == std::string_view::npos ? "" : first.substr(sp + 1);
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);

  HeaderMap headers;
  while (!rest.empty()) {
    const size_t end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.emplace(std::string(line.substr(0, colon)), std::string(value));
    (void)ParseAuthorizationHeader(value, "");
    // A date read in any form and zone is written back as IMF-fixdate GMT,
    // which reads back as the same instant.
    if (auto t = ParseHttpDate(value)) {
      if (auto back = ParseHttpDate(FormatHttpDate(*t))) Check(*back == *t);
    }
    (void)ParseAmzDate(value);
    (void)ParseIso8601(value);
  }

  const RequestView req{method, path, query, headers};
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1369353600));
  SigV4Options options;
  auto r = VerifySigV4(req, now, Secret, options);
  if (r) {
    Check(r->signature.size() == 64 && r->signing_key.size() == 32);
    Check(r->access_key == "AKIAIOSFODNN7EXAMPLE");
  } else {
    Check(!r.error().name().empty());
  }
  options.region = "us-east-1";
  options.require_signed_amz_headers = false;
  (void)VerifySigV4(req, now, Secret, options);

  // Encoding invariants.
  if (auto decoded = UriDecode(path, false)) {
    Check(*UriDecode(UriEncode(*decoded, true), false) == *decoded);
    Check(*UriDecode(UriEncode(*decoded, false), true) == *decoded);
  }
  if (auto params = ParseQuery(query)) {
    (void)ParsePresignQuery(*params, "");
  }
  (void)CanonicalQuery(query, true);
  return 0;
}
