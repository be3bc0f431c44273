#include "server/service.h"

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <exception>
#include <random>
#include <vector>

#include "proto/crypto.h"
#include "proto/dates.h"
#include "proto/encoding.h"
#include "proto/uri.h"
#include "proto/xml_results.h"
#include "server/ops.h"
#include "server/request_log.h"

namespace seglake::s3d {
namespace {

std::string ResourceOf(const Context& c) {
  if (c.route.bucket.empty()) return "/";
  return "/" + c.route.bucket + (c.route.key.empty() ? "" : "/" + c.route.key);
}

// The last line of defence against response splitting: handlers check what
// they echo (response-* overrides, stored metadata), and no header that is
// not a token name with a value free of control characters is ever sent.
void DropUnsafeHeaders(Context& c) {
  std::erase_if(c.res.headers, [&](const std::pair<std::string, std::string>& h) {
    if (s3::IsHttpToken(h.first) && !s3::HasControlChars(h.second)) return false;
    Log(LogLevel::kWarn,
        "request " + c.request_id + " dropped a response header holding control characters",
        c.request_id);
    return true;
  });
}

}  // namespace

Service::Service(Engine* engine, ServiceConfig config, Metrics* metrics)
    : engine_(engine),
      cfg_(std::move(config)),
      metrics_(metrics),
      id_seed_(std::random_device{}()) {
  id_seed_ = (id_seed_ << 32) ^ std::random_device{}();
}

std::string Service::NewRequestId() {
  // Distinct within the process: the counter times an odd constant is a
  // bijection, mixed with a per-process seed.
  const uint64_t n = id_counter_.fetch_add(1) * 0x9E3779B97F4A7C15ull;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIX64, n ^ id_seed_);
  return buf;
}

void WriteError(Context& c, const s3::S3Error& e) {
  c.res.status = e.http_status();
  c.res.source = nullptr;
  c.res.stream_length = 0;
  c.res.body.clear();
  if (e.code == s3::ErrorCode::kNotModified) {
    c.res.RemoveHeader("Content-Type");
    return;
  }
  s3::ErrorXml x;
  x.code = std::string(e.name());
  x.message = std::string(e.text());
  x.resource = ResourceOf(c);
  x.request_id = c.request_id;
  if (e.code == s3::ErrorCode::kNoSuchBucket || e.code == s3::ErrorCode::kBucketNotEmpty ||
      e.code == s3::ErrorCode::kBucketAlreadyOwnedByYou) {
    x.bucket_name = c.route.bucket;
  }
  if (e.code == s3::ErrorCode::kNoSuchKey) x.key = c.route.key;
  // 503s (maintenance mode, a busy data dir) say when to come back.
  if (e.code == s3::ErrorCode::kSlowDown || e.code == s3::ErrorCode::kServiceUnavailable)
    c.res.SetHeader("Retry-After", "5");
  c.res.SetHeader("Content-Type", "application/xml");
  c.res.body = s3::ErrorXmlDoc(x);
}

bool Service::HealthCheck(const HttpRequest& req, HttpResponse& res) {
  if (req.method != "GET" && req.method != "HEAD") return false;
  if (req.raw_path != "/health/live" && req.raw_path != "/health/ready") return false;
  if (!req.raw_query.empty() || req.headers.count("Authorization") > 0) return false;
  res.SetHeader("Content-Type", "text/plain; charset=utf-8");
  res.SetHeader("Cache-Control", "no-store");
  res.status = 200;
  res.body = "ok\n";
  if (req.raw_path == "/health/live") return true;
  std::string why;
  if (Status st = engine_->Writable(); !st.ok()) {
    why = "writes disabled: " + st.ToString();
  } else if (auto m = engine_->Maintenance(); !m) {
    why = "data dir unavailable: " + m.error().ToString();
  } else if (*m) {
    why = "maintenance mode";
  }
  if (!why.empty()) {
    res.status = 503;
    res.SetHeader("Retry-After", "5");
    // Only printable ASCII goes out (the header filter would refuse less).
    res.body = "not ready: " + EscapeLogField(why) + "\n";
  }
  return true;
}

void Service::Handle(HttpRequest& req, HttpResponse& res) {
  Context c{*engine_, cfg_, req, res, NewRequestId(), {}, {}, {}};
  res.SetHeader("x-amz-request-id", c.request_id);
  res.SetHeader("x-amz-id-2", s3::Base64Encode(s3::Sha256(c.request_id)));
  res.SetHeader("Server", "seglake-s3d");
  const auto now = std::chrono::system_clock::now();
  res.SetHeader(
      "Date",
      s3::FormatHttpDate(
          std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count()));
  if (metrics_ != nullptr) {
    metrics_->NoteOperation(c.request_id, "None");
    if (req.read_body) {
      // Counts the request body bytes the handler reads.
      req.read_body = [this, read = std::move(req.read_body),
                       id = c.request_id](const BodySink& sink) {
        return read([&](std::string_view data) {
          metrics_->AddBytesIn(id, data.size());
          return sink(data);
        });
      };
    }
  }
  if (HealthCheck(req, res)) {
    if (metrics_ != nullptr) metrics_->NoteOperation(c.request_id, "HealthCheck");
    return;
  }
  OpResult r;
  try {
    r = Run(c);
  } catch (const std::exception& ex) {
    r = Fail(s3::ErrorCode::kInternalError);
    r.error().cause = std::string("exception: ") + ex.what();
  } catch (...) {
    r = Fail(s3::ErrorCode::kInternalError);
    r.error().cause = "unknown exception";
  }
  if (!r) {
    const s3::S3Error& e = r.error();
    if (e.http_status() >= 500) {
      Log(LevelOfStatus(e.http_status()),
          "request " + c.request_id + " " + std::string(OpName(c.route.op)) +
              " failed: " + std::to_string(e.http_status()) + " " + std::string(e.name()) + ": " +
              (e.cause.empty() ? std::string(e.text()) : e.cause),
          c.request_id);
    }
    WriteError(c, e);
  }
  if (metrics_ != nullptr) metrics_->NoteOperation(c.request_id, OpName(c.route.op));
  AddCorsHeaders(c);
  DropUnsafeHeaders(c);
}

OpResult Service::Run(Context& c) {
  auto params = s3::ParseQuery(c.req.raw_query);
  if (!params) {
    return Fail(s3::ErrorCode::kInvalidArgument, "The query string has an invalid encoding.");
  }
  c.params = std::move(*params);
  const bool copy = c.req.headers.count("x-amz-copy-source") > 0;
  const std::string host = c.Header("Host").value_or("");
  auto route =
      ResolveRoute(RouteInput{c.req.method, c.req.raw_path, host, c.params, copy, cfg_.domain});
  if (!route) return tl::unexpected(route.error());
  c.route = std::move(*route);
  if (c.route.op == Op::kPreflight) return AnswerPreflight(c);

  s3::RequestView view{c.req.method, c.req.raw_path, c.req.raw_query, c.req.headers};
  s3::SigV4Options opt;
  opt.region = cfg_.region;
  auto lookup = [this](std::string_view key) -> std::optional<std::string> {
    if (s3::ConstantTimeEquals(key, cfg_.access_key)) return cfg_.secret_key;
    return std::nullopt;
  };
  auto auth = s3::VerifySigV4(view, std::chrono::system_clock::now(), lookup, opt);
  if (!auth) return tl::unexpected(auth.error());
  c.auth = std::move(*auth);

  if (c.route.op == Op::kNotImplemented) {
    return Fail(s3::ErrorCode::kNotImplemented,
                "This server does not implement " + c.route.why + ".");
  }
  return Dispatch(c);
}

OpResult Service::Dispatch(Context& c) {
  switch (c.route.op) {
    case Op::kNotImplemented:
    case Op::kPreflight:
      break;
    case Op::kListBuckets:
      return ListBuckets(c);
    case Op::kCreateBucket:
      return CreateBucket(c);
    case Op::kHeadBucket:
      return HeadBucket(c);
    case Op::kDeleteBucket:
      return DeleteBucket(c);
    case Op::kGetBucketLocation:
      return GetBucketLocation(c);
    case Op::kGetBucketVersioning:
      return GetBucketVersioning(c);
    case Op::kPutBucketVersioning:
      return PutBucketVersioning(c);
    case Op::kListObjectsV1:
      return ListObjectsV1(c);
    case Op::kListObjectsV2:
      return ListObjectsV2(c);
    case Op::kListObjectVersions:
      return ListObjectVersions(c);
    case Op::kListMultipartUploads:
      return ListMultipartUploads(c);
    case Op::kDeleteObjects:
      return DeleteObjects(c);
    case Op::kPutObject:
      return PutObject(c);
    case Op::kCopyObject:
      return CopyObject(c);
    case Op::kGetObject:
      return GetObject(c);
    case Op::kHeadObject:
      return HeadObject(c);
    case Op::kDeleteObject:
      return DeleteObject(c);
    case Op::kGetObjectTagging:
      return GetObjectTagging(c);
    case Op::kPutObjectTagging:
      return PutObjectTagging(c);
    case Op::kDeleteObjectTagging:
      return DeleteObjectTagging(c);
    case Op::kGetObjectAttributes:
      return GetObjectAttributes(c);
    case Op::kCreateMultipartUpload:
      return CreateMultipartUpload(c);
    case Op::kUploadPart:
      return UploadPart(c);
    case Op::kUploadPartCopy:
      return UploadPartCopy(c);
    case Op::kListParts:
      return ListParts(c);
    case Op::kCompleteMultipartUpload:
      return CompleteMultipartUpload(c);
    case Op::kAbortMultipartUpload:
      return AbortMultipartUpload(c);
  }
  return Fail(s3::ErrorCode::kNotImplemented);
}

}  // namespace seglake::s3d
