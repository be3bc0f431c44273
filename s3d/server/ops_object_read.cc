// GetObject and HeadObject: conditional requests, a single range (S3
// ignores a list of several, and so do we: one GET serves at most one copy
// of the object), partNumber, response-* overrides, x-amz-checksum-mode,
// delete markers. Bodies stream from the engine's reader in bounded slices.
// GetObjectAttributes: the parts of a HEAD that x-amz-object-attributes asks
// for, as XML.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proto/dates.h"
#include "proto/encoding.h"
#include "proto/range.h"
#include "proto/xml_parse.h"
#include "proto/xml_results.h"
#include "server/conditions.h"
#include "server/object_headers.h"
#include "server/ops.h"
#include "server/ops_common.h"
#include "server/request_log.h"

namespace seglake::s3d {
namespace {

// Reads are cut at these object offsets so that whole data records (1 MiB
// for a single put) are read at once and have their CRC32C checked.
constexpr uint64_t kReadAlign = 1 << 20;

// A response body: one byte range of the object, pulled in order.
class BodyStream {
 public:
  BodyStream(std::shared_ptr<ObjectReader> reader, uint64_t first, uint64_t length,
             std::string what, std::string request_id)
      : reader_(std::move(reader)),
        first_(first),
        length_(length),
        what_(std::move(what)),
        request_id_(std::move(request_id)) {}

  uint64_t size() const { return length_; }

  // Returns after one object read, so reads stay aligned.
  std::optional<size_t> Read(char* buf, size_t n) {
    if (pos_ == length_ || n == 0) return 0;
    const uint64_t off = first_ + pos_;
    size_t want = static_cast<size_t>(std::min<uint64_t>(n, length_ - pos_));
    want = static_cast<size_t>(std::min<uint64_t>(want, kReadAlign - off % kReadAlign));
    auto got = reader_->ReadAt(off, buf, want);
    if (!got || *got == 0) {
      // The transport answers 500 if no byte was sent yet (without this
      // request's headers), else cuts the connection: this line is the
      // only place that names the request and the cause together.
      Log(LogLevel::kError,
          "request " + request_id_ + " GetObject failed: read of " + what_ + " at " +
              std::to_string(off) + ": " +
              (got ? std::string("unexpected end of data") : got.error().ToString()),
          request_id_);
      return std::nullopt;
    }
    pos_ += *got;
    return *got;
  }

 private:
  std::shared_ptr<ObjectReader> reader_;
  uint64_t first_;
  uint64_t length_;
  std::string what_;
  std::string request_id_;
  uint64_t pos_ = 0;
};

std::string ContentRange(const s3::ByteRange& r, uint64_t size) {
  return "bytes " + std::to_string(r.first) + "-" + std::to_string(r.last) + "/" +
         std::to_string(size);
}

constexpr std::pair<const char*, const char*> kOverrides[] = {
    {"response-content-type", "Content-Type"},
    {"response-content-language", "Content-Language"},
    {"response-expires", "Expires"},
    {"response-cache-control", "Cache-Control"},
    {"response-content-disposition", "Content-Disposition"},
    {"response-content-encoding", "Content-Encoding"},
};

// A response-* value goes into a header as it is: a CR or LF in it would
// split the response (a presigned GET serving the attacker's headers and
// body), so S3's answer, 400 InvalidArgument, comes before any other work.
s3::S3Status CheckOverrides(const Context& c) {
  for (const auto& [param, header] : kOverrides) {
    auto v = c.Param(param);
    if (v && s3::HasControlChars(*v)) {
      return s3::S3Err(
          s3::ErrorCode::kInvalidArgument,
          std::string("The value of ") + param + " must not contain control characters.");
    }
  }
  return {};
}

void ApplyOverrides(const Context& c, HttpResponse& res) {
  for (const auto& [param, header] : kOverrides) {
    if (auto v = c.Param(param)) res.SetHeader(header, *v);
  }
}

// The byte range of part `n` (1-based) of o.
s3::S3Result<s3::ByteRange> PartRange(const ObjectInfo& o, uint32_t n) {
  std::vector<uint64_t> sizes = o.part_sizes;
  if (o.parts == 0 || sizes.empty()) sizes = {o.size};
  if (n > sizes.size()) {
    return s3::S3Err(s3::ErrorCode::kInvalidPartNumber);
  }
  uint64_t first = 0;
  for (uint32_t i = 0; i + 1 < n; ++i) first += sizes[i];
  if (sizes[n - 1] == 0) {
    return s3::S3Err(s3::ErrorCode::kInvalidPartNumber);
  }
  return s3::ByteRange{first, first + sizes[n - 1] - 1};
}

OpResult ReadObject(Context& c, bool head) {
  if (auto st = CheckOverrides(c); !st) return st;
  auto version_param = VersionIdParam(c);
  if (!version_param) return tl::unexpected(version_param.error());
  const std::string& version = *version_param;
  std::shared_ptr<ObjectReader> reader;
  ObjectInfo info;
  if (head) {
    auto h = c.engine.Head(c.bucket(), c.key(), version);
    if (!h) return ReadFailure(c, h.error(), version);
    info = std::move(*h);
  } else {
    auto r = c.engine.OpenRead(c.bucket(), c.key(), version);
    if (!r) return ReadFailure(c, r.error(), version);
    reader = std::move(*r);
    info = reader->info();
  }
  const int64_t mtime_s = static_cast<int64_t>(info.last_modified_ns / 1000000000);
  switch (EvaluatePreconditions(c.req.headers, "", info.etag, mtime_s)) {
    case Precondition::kFailed:
      return Fail(s3::ErrorCode::kPreconditionFailed);
    case Precondition::kNotModified:
      c.res.SetHeader("ETag", "\"" + info.etag + "\"");
      c.res.SetHeader("Last-Modified", s3::FormatHttpDate(mtime_s));
      AddVersionHeader(info.version_id, c.res);
      return Fail(s3::ErrorCode::kNotModified);
    case Precondition::kProceed:
      break;
  }

  std::optional<s3::ByteRange> range;
  auto part = c.Param("partNumber");
  auto range_header = c.Header("Range");
  if (part && range_header) {
    return Fail(s3::ErrorCode::kInvalidRequest,
                "Cannot specify both Range header and partNumber query parameter");
  }
  if (part) {
    auto n = PartNumberParam(c);
    if (!n) return tl::unexpected(n.error());
    if (info.size > 0 || *n > 1) {
      auto r = PartRange(info, *n);
      if (!r) return tl::unexpected(r.error());
      range = *r;
    }
    if (info.parts > 0) c.res.SetHeader("x-amz-mp-parts-count", std::to_string(info.parts));
  } else if (range_header && IfRangeAllows(c.req.headers, info.etag, mtime_s)) {
    s3::RangeResult rr = s3::ResolveRange(*range_header, info.size);
    if (rr.outcome == s3::RangeOutcome::kUnsatisfiable) {
      c.res.SetHeader("Content-Range", "bytes */" + std::to_string(info.size));
      return Fail(s3::ErrorCode::kInvalidRange);
    }
    if (rr.outcome == s3::RangeOutcome::kRange) range = rr.range;
  }

  AddObjectHeaders(info, c.res);
  if (!range) {
    if (auto mode = c.Header("x-amz-checksum-mode");
        mode && s3::EqualsIgnoreCase(*mode, "ENABLED")) {
      AddChecksumHeaders(info.checksums, c.res);
    }
  }
  ApplyOverrides(c, c.res);

  uint64_t first = 0;
  uint64_t length = info.size;
  if (range) {
    c.res.status = 206;
    c.res.SetHeader("Content-Range", ContentRange(*range, info.size));
    first = range->first;
    length = range->length();
  } else {
    c.res.status = 200;
  }
  auto stream =
      std::make_shared<BodyStream>(reader, first, length, c.bucket() + "/" + c.key(), c.request_id);
  c.res.stream_length = stream->size();
  if (head) {
    c.res.source = [](char*, size_t) -> std::optional<size_t> { return 0; };
  } else {
    c.res.source = [stream](char* buf, size_t n) { return stream->Read(buf, n); };
  }
  return {};
}

}  // namespace

OpResult GetObject(Context& c) { return ReadObject(c, false); }
OpResult HeadObject(Context& c) { return ReadObject(c, true); }

OpResult GetObjectAttributes(Context& c) {
  auto header = c.Header("x-amz-object-attributes");
  if (!header || s3::TrimSpaces(*header).empty()) {
    return Fail(s3::ErrorCode::kInvalidArgument,
                "The x-amz-object-attributes header specifying the attributes to be retrieved "
                "is either missing or empty");
  }
  bool want_etag = false, want_checksum = false, want_parts = false, want_class = false,
       want_size = false;
  std::string_view list = *header;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view name = s3::TrimSpaces(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (name == "ETag") {
      want_etag = true;
    } else if (name == "Checksum") {
      want_checksum = true;
    } else if (name == "ObjectParts") {
      want_parts = true;
    } else if (name == "StorageClass") {
      want_class = true;
    } else if (name == "ObjectSize") {
      want_size = true;
    } else {
      return Fail(s3::ErrorCode::kInvalidArgument, "Invalid attribute name specified.");
    }
  }
  uint32_t max_parts = 1000, marker = 0;
  for (auto [name, out] : {std::pair<const char*, uint32_t*>{"x-amz-max-parts", &max_parts},
                           {"x-amz-part-number-marker", &marker}}) {
    if (auto v = c.Header(name)) {
      auto n = s3::ParseDecimal(s3::TrimSpaces(*v));
      if (!n || *n > 10000) {
        return Fail(s3::ErrorCode::kInvalidArgument,
                    std::string("The ") + name + " header must be a number up to 10000");
      }
      *out = static_cast<uint32_t>(*n);
    }
  }
  auto version = VersionIdParam(c);
  if (!version) return tl::unexpected(version.error());
  auto info = c.engine.Head(c.bucket(), c.key(), *version);
  if (!info) return ReadFailure(c, info.error(), *version);

  s3::ObjectAttributesXml x;
  if (want_etag) x.etag = info->etag;
  if (want_checksum) x.checksum = ToXmlChecksums(info->checksums);
  if (want_parts && info->parts > 0) {
    x.parts_count = info->parts;
    x.max_parts = max_parts;
    x.part_number_marker = marker;
  }
  if (want_class) {
    x.storage_class =
        info->attrs.storage_class.empty() ? std::string("STANDARD") : info->attrs.storage_class;
  }
  if (want_size) x.size = info->size;
  c.res.SetHeader("Last-Modified",
                  s3::FormatHttpDate(static_cast<int64_t>(info->last_modified_ns / 1000000000)));
  AddVersionHeader(info->version_id, c.res);
  c.Xml(200, s3::ObjectAttributesXmlDoc(x));
  return {};
}

}  // namespace seglake::s3d
