// The S3 service: turns one HTTP request into one S3 operation. For every
// request it assigns a request id, answers the health checks, answers CORS,
// authenticates (SigV4 header or presigned; other anonymous requests are
// refused), routes, runs the handler inside a catch-all (500 InternalError),
// writes AWS error documents, and logs the cause of every 5xx once with the
// request id.
//
// Health checks are anonymous GET or HEAD requests (no Authorization header,
// no query string) for exactly /health/live (200 while the process serves)
// or /health/ready (200 when the engine can write and maintenance mode is
// off, else 503 with the reason). Any other request for those paths, e.g. a
// signed one, is an ordinary S3 request (bucket "health", key "live").
//
// Thread safety: Handle() may run on many threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "seglake/engine.h"
#include "server/context.h"
#include "server/http.h"
#include "server/metrics.h"

namespace seglake::s3d {

class Service {
 public:
  // `engine` (and `metrics`, if any) must outlive the service.
  Service(Engine* engine, ServiceConfig config, Metrics* metrics = nullptr);
  void Handle(HttpRequest& req, HttpResponse& res);

 private:
  // True (and res filled) if req is a health check.
  bool HealthCheck(const HttpRequest& req, HttpResponse& res);
  OpResult Run(Context& c);
  OpResult Dispatch(Context& c);
  std::string NewRequestId();

  Engine* engine_;
  ServiceConfig cfg_;
  Metrics* metrics_;
  uint64_t id_seed_;
  std::atomic<uint64_t> id_counter_{0};
};

// CORS (cors.cc): the preflight answer, and the headers for an actual
// request from an allowed origin.
OpResult AnswerPreflight(Context& c);
void AddCorsHeaders(Context& c);

// Writes `e` as the response: status, and an AWS error document with
// Resource and RequestId (no body for 304). Keeps headers already set.
void WriteError(Context& c, const s3::S3Error& e);

}  // namespace seglake::s3d
