// GetObject and HeadObject: conditional requests, single and multiple
// ranges (multipart/byteranges), partNumber, response-* overrides,
// x-amz-checksum-mode, delete markers. Bodies stream from the engine's
// reader in bounded slices.
#include <atomic>
#include <cstring>
#include <iostream>
#include <memory>
#include <vector>

#include "proto/dates.h"
#include "proto/encoding.h"
#include "proto/range.h"
#include "proto/xml_parse.h"
#include "server/conditions.h"
#include "server/object_headers.h"
#include "server/ops.h"
#include "server/ops_common.h"

namespace seglake::s3d {
namespace {

// Reads are cut at these object offsets so that whole data records (1 MiB
// for a single put) are read at once and have their CRC32C checked.
constexpr uint64_t kReadAlign = 1 << 20;

// A response body: literal pieces (multipart boundaries) and byte ranges of
// the object, pulled in order.
class BodyStream {
 public:
  struct Piece {
    std::string literal;
    uint64_t first = 0;
    uint64_t length = 0;  // of the object range, when !is_literal
    bool is_literal = false;
  };

  BodyStream(std::shared_ptr<ObjectReader> reader, std::vector<Piece> pieces, std::string what)
      : reader_(std::move(reader)), pieces_(std::move(pieces)), what_(std::move(what)) {}

  uint64_t size() const {
    uint64_t n = 0;
    for (const Piece& p : pieces_) n += p.is_literal ? p.literal.size() : p.length;
    return n;
  }

  // Returns after one object read, so reads stay aligned.
  std::optional<size_t> Read(char* buf, size_t n) {
    size_t out = 0;
    while (out < n && idx_ < pieces_.size()) {
      const Piece& p = pieces_[idx_];
      const uint64_t plen = p.is_literal ? p.literal.size() : p.length;
      if (pos_ == plen) {
        ++idx_;
        pos_ = 0;
        continue;
      }
      size_t want = static_cast<size_t>(std::min<uint64_t>(n - out, plen - pos_));
      if (p.is_literal) {
        std::memcpy(buf + out, p.literal.data() + pos_, want);
        out += want;
        pos_ += want;
        continue;
      }
      const uint64_t off = p.first + pos_;
      want = static_cast<size_t>(std::min<uint64_t>(want, kReadAlign - off % kReadAlign));
      auto got = reader_->ReadAt(off, buf + out, want);
      if (!got || *got == 0) {
        std::cerr << "seglake-s3d: read of " << what_ << " at " << off << " failed: "
                  << (got ? std::string("unexpected end of data") : got.error().ToString()) << "\n";
        return std::nullopt;
      }
      out += *got;
      pos_ += *got;
      return out;
    }
    return out;
  }

 private:
  std::shared_ptr<ObjectReader> reader_;
  std::vector<Piece> pieces_;
  std::string what_;
  size_t idx_ = 0;
  uint64_t pos_ = 0;
};

std::string NewBoundary() {
  static std::atomic<uint64_t> counter{0};
  return "seglake-" + std::to_string(counter.fetch_add(1)) + "-byteranges";
}

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
  const std::string version = c.Param("versionId").value_or("");
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

  std::vector<s3::ByteRange> ranges;
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
      ranges.push_back(*r);
    }
    if (info.parts > 0) c.res.SetHeader("x-amz-mp-parts-count", std::to_string(info.parts));
  } else if (range_header && IfRangeAllows(c.req.headers, info.etag, mtime_s)) {
    s3::RangeResult rr = s3::ResolveRange(*range_header, info.size);
    if (rr.outcome == s3::RangeOutcome::kUnsatisfiable) {
      c.res.SetHeader("Content-Range", "bytes */" + std::to_string(info.size));
      return Fail(s3::ErrorCode::kInvalidRange);
    }
    if (rr.outcome == s3::RangeOutcome::kRanges) ranges = std::move(rr.ranges);
  }

  AddObjectHeaders(info, c.res);
  const std::string content_type = *c.res.FindHeader("Content-Type");
  if (ranges.empty()) {
    if (auto mode = c.Header("x-amz-checksum-mode");
        mode && s3::EqualsIgnoreCase(*mode, "ENABLED")) {
      AddChecksumHeaders(info.checksums, c.res);
    }
  }
  ApplyOverrides(c, c.res);

  std::vector<BodyStream::Piece> pieces;
  if (ranges.empty()) {
    c.res.status = 200;
    pieces.push_back(BodyStream::Piece{{}, 0, info.size, false});
  } else if (ranges.size() == 1) {
    c.res.status = 206;
    c.res.SetHeader("Content-Range", ContentRange(ranges[0], info.size));
    pieces.push_back(BodyStream::Piece{{}, ranges[0].first, ranges[0].length(), false});
  } else {
    c.res.status = 206;
    const std::string boundary = NewBoundary();
    c.res.SetHeader("Content-Type", "multipart/byteranges; boundary=" + boundary);
    for (size_t i = 0; i < ranges.size(); ++i) {
      std::string head_text =
          (i == 0 ? "--" : "\r\n--") + boundary + "\r\nContent-Type: " + content_type +
          "\r\nContent-Range: " + ContentRange(ranges[i], info.size) + "\r\n\r\n";
      pieces.push_back(BodyStream::Piece{std::move(head_text), 0, 0, true});
      pieces.push_back(BodyStream::Piece{{}, ranges[i].first, ranges[i].length(), false});
    }
    pieces.push_back(BodyStream::Piece{"\r\n--" + boundary + "--\r\n", 0, 0, true});
  }
  auto stream = std::make_shared<BodyStream>(reader, std::move(pieces), c.bucket() + "/" + c.key());
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

}  // namespace seglake::s3d
