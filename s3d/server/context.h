// What every S3 operation handler gets: the engine, the configuration, the
// request (with its route, query and authentication) and the response to
// fill. Handlers return OpResult; an error is written as an AWS error
// document by the service, keeping any headers the handler already set.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/errors.h"
#include "proto/sigv4.h"
#include "proto/status_map.h"
#include "proto/uri.h"
#include "seglake/engine.h"
#include "server/http.h"
#include "server/router.h"

namespace seglake::s3d {

struct ServiceConfig {
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key;
  std::string domain;                     // virtual-hosted style for this domain only
  std::vector<std::string> cors_origins;  // "*" allows any origin
  std::string owner_id;                   // canonical user id shown as Owner
  std::string owner_name = "seglake";
  uint64_t max_object_bytes = 5ull << 30;  // PutObject and UploadPart
};

struct Context {
  Engine& engine;
  const ServiceConfig& cfg;
  HttpRequest& req;
  HttpResponse& res;
  std::string request_id;
  std::vector<s3::QueryParam> params;
  Route route;
  s3::AuthResult auth;

  const std::string& bucket() const { return route.bucket; }
  const std::string& key() const { return route.key; }

  // The value of query parameter `name` (first occurrence), if present.
  std::optional<std::string> Param(std::string_view name) const {
    for (const auto& p : params) {
      if (p.key == name) return p.value;
    }
    return std::nullopt;
  }
  // The first value of header `name`, if present.
  std::optional<std::string> Header(std::string_view name) const {
    auto it = req.headers.find(name);
    if (it == req.headers.end()) return std::nullopt;
    return it->second;
  }
  void Xml(int status, std::string doc) {
    res.status = status;
    res.SetHeader("Content-Type", "application/xml");
    res.body = std::move(doc);
  }
};

using OpResult = s3::S3Status;

inline tl::unexpected<s3::S3Error> Fail(const Status& st) {
  return tl::unexpected<s3::S3Error>(s3::FromStatus(st));
}
inline tl::unexpected<s3::S3Error> Fail(s3::ErrorCode code, std::string message = {}) {
  return s3::S3Err(code, std::move(message));
}

}  // namespace seglake::s3d
