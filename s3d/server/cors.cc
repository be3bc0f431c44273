// CORS for --cors-origin: preflight OPTIONS requests and the response
// headers of actual requests.
#include <algorithm>

#include "proto/encoding.h"
#include "server/service.h"

namespace seglake::s3d {
namespace {

constexpr std::string_view kAllowedMethods = "GET, PUT, POST, DELETE, HEAD";
constexpr std::string_view kExposed =
    "ETag, Content-Length, Content-Range, Content-Type, Last-Modified, x-amz-request-id, "
    "x-amz-id-2, x-amz-version-id, x-amz-delete-marker, x-amz-checksum-crc32, "
    "x-amz-checksum-crc32c, x-amz-checksum-crc64nvme, x-amz-checksum-sha1, "
    "x-amz-checksum-sha256, x-amz-mp-parts-count, x-amz-tagging-count";

// The Access-Control-Allow-Origin value for `origin`, or "" if not allowed.
std::string AllowedOrigin(const ServiceConfig& cfg, std::string_view origin) {
  for (const std::string& o : cfg.cors_origins) {
    if (o == "*") return "*";
    if (s3::EqualsIgnoreCase(o, origin)) return std::string(origin);
  }
  return std::string();
}

bool MethodAllowed(std::string_view m) {
  return m == "GET" || m == "PUT" || m == "POST" || m == "DELETE" || m == "HEAD";
}

}  // namespace

OpResult AnswerPreflight(Context& c) {
  auto origin = c.Header("Origin");
  auto method = c.Header("Access-Control-Request-Method");
  const std::string allow = origin ? AllowedOrigin(c.cfg, *origin) : std::string();
  if (!origin || !method || allow.empty() || !MethodAllowed(*method)) {
    return Fail(s3::ErrorCode::kAccessDenied,
                "CORSResponse: This CORS request is not allowed. This is usually because the "
                "evalution of Origin, request method / Access-Control-Request-Method or "
                "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.");
  }
  c.res.SetHeader("Access-Control-Allow-Origin", allow);
  c.res.SetHeader("Access-Control-Allow-Methods", std::string(kAllowedMethods));
  if (auto h = c.Header("Access-Control-Request-Headers")) {
    c.res.SetHeader("Access-Control-Allow-Headers", *h);
  }
  c.res.SetHeader("Access-Control-Expose-Headers", std::string(kExposed));
  c.res.SetHeader("Access-Control-Max-Age", "3600");
  c.res.SetHeader("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
  c.res.status = 200;
  return {};
}

void AddCorsHeaders(Context& c) {
  if (c.cfg.cors_origins.empty() || c.route.op == Op::kPreflight) return;
  auto origin = c.Header("Origin");
  if (!origin) return;
  const std::string allow = AllowedOrigin(c.cfg, *origin);
  if (allow.empty()) return;
  c.res.SetHeader("Access-Control-Allow-Origin", allow);
  c.res.SetHeader("Access-Control-Expose-Headers", std::string(kExposed));
  c.res.SetHeader("Vary", "Origin");
}

}  // namespace seglake::s3d
