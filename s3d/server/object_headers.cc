#include "server/object_headers.h"

#include <cinttypes>
#include <cstdio>

#include "proto/dates.h"
#include "proto/encoding.h"
#include "proto/tags.h"
#include "proto/xml_common.h"
#include "server/payload.h"

namespace seglake::s3d {
namespace {

constexpr std::string_view kMetaPrefix = "x-amz-meta-";

std::optional<uint32_t> ParseU32(std::string_view s) {
  auto v = s3::ParseDecimal(s);
  if (!v || *v > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

// "seconds" or "seconds.fraction" (s3fs, rclone) -> ns since the epoch.
std::optional<int64_t> ParseMtime(std::string_view s) {
  const size_t dot = s.find('.');
  auto sec = s3::ParseDecimal(s.substr(0, dot));
  if (!sec || *sec > 253402300799ull) return std::nullopt;
  int64_t ns = 0;
  if (dot != std::string_view::npos) {
    std::string_view frac = s.substr(dot + 1);
    if (frac.empty() || frac.size() > 9 || !s3::ParseDecimal(frac)) return std::nullopt;
    std::string padded(frac);
    padded.resize(9, '0');
    ns = static_cast<int64_t>(*s3::ParseDecimal(padded));
  }
  return static_cast<int64_t>(*sec) * 1000000000 + ns;
}

std::string FormatMtime(int64_t ns) {
  const int64_t sec = ns >= 0 ? ns / 1000000000 : -((-ns + 999999999) / 1000000000);
  const int64_t rem = ns - sec * 1000000000;
  if (rem == 0) return std::to_string(sec);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%" PRId64 ".%09" PRId64, sec, rem);
  return buf;
}

// Moves numeric mode/uid/gid/mtime out of user metadata into POSIX fields.
void ExtractPosix(ObjectAttrs& a) {
  auto take = [&](const char* name) -> std::optional<std::string> {
    auto it = a.user_meta.find(name);
    if (it == a.user_meta.end()) return std::nullopt;
    return it->second;
  };
  if (auto v = take("mode"); v && ParseU32(*v)) {
    a.posix.mode = ParseU32(*v);
    a.user_meta.erase("mode");
  }
  if (auto v = take("uid"); v && ParseU32(*v)) {
    a.posix.uid = ParseU32(*v);
    a.user_meta.erase("uid");
  }
  if (auto v = take("gid"); v && ParseU32(*v)) {
    a.posix.gid = ParseU32(*v);
    a.user_meta.erase("gid");
  }
  if (auto v = take("mtime"); v && ParseMtime(*v)) {
    a.posix.mtime_ns = ParseMtime(*v);
    a.user_meta.erase("mtime");
  }
}

// Whether a request header named `name` is stored with the version.
bool StoredHeader(std::string_view name) {
  for (std::string_view h : {"content-type", "content-encoding", "content-disposition",
                             "content-language", "cache-control", "expires"}) {
    if (s3::EqualsIgnoreCase(name, h)) return true;
  }
  return name.size() > kMetaPrefix.size() &&
         s3::EqualsIgnoreCase(name.substr(0, kMetaPrefix.size()), kMetaPrefix);
}

// Sets a stored value as a header unless it could not be one: values
// written by the mount (user.* xattrs) or by an older server were never
// checked, and a CR, LF or NUL must not reach the response.
void SetStoredHeader(HttpResponse& res, std::string name, const std::string& value) {
  if (!s3::IsHttpToken(name) || s3::HasControlChars(value)) return;
  res.SetHeader(std::move(name), value);
}

bool ValidBase64Checksum(s3::ChecksumAlgorithm alg, std::string_view value) {
  auto raw = s3::Base64Decode(value);
  return raw && raw->size() == s3::ChecksumSize(alg);
}

}  // namespace

s3::S3Result<std::string> StorageClassOf(const Context& c) {
  // S3's class names. Each is kept as a label: the bytes are stored alike,
  // and archive classes read at once (no restore is needed).
  static constexpr std::string_view kClasses[] = {
      "STANDARD",       "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
      "GLACIER",        "DEEP_ARCHIVE",       "OUTPOSTS",    "GLACIER_IR", "SNOW",
      "EXPRESS_ONEZONE"};
  auto v = c.Header("x-amz-storage-class");
  if (!v) return std::string();
  const std::string_view name = s3::TrimSpaces(*v);
  for (std::string_view k : kClasses) {
    if (name == k) return k == "STANDARD" ? std::string() : std::string(k);
  }
  return s3::S3Err(s3::ErrorCode::kInvalidStorageClass);
}

s3::S3Result<ObjectAttrs> AttrsFromHeaders(const Context& c, bool with_tags) {
  // Every value kept here is sent back as a header by GetObject and
  // HeadObject: a control character would split or cut that response.
  for (const auto& [name, value] : c.req.headers) {
    if (!StoredHeader(name) || !s3::HasControlChars(value)) continue;
    return s3::S3Err(s3::ErrorCode::kInvalidArgument,
                     "The value of the " + s3::AsciiLower(name) +
                         " header must not contain control characters.");
  }
  ObjectAttrs a;
  auto storage_class = StorageClassOf(c);
  if (!storage_class) return tl::unexpected(storage_class.error());
  a.storage_class = std::move(*storage_class);
  if (auto v = c.Header("Content-Type")) a.content_type = *v;
  if (auto v = c.Header("Content-Encoding")) a.content_encoding = StoredContentEncoding(*v);
  if (auto v = c.Header("Content-Disposition")) a.content_disposition = *v;
  if (auto v = c.Header("Content-Language")) a.content_language = *v;
  if (auto v = c.Header("Cache-Control")) a.cache_control = *v;
  if (auto v = c.Header("Expires")) a.expires = *v;
  size_t meta_bytes = 0;
  for (const auto& [name, value] : c.req.headers) {
    if (name.size() <= kMetaPrefix.size() ||
        !s3::EqualsIgnoreCase(std::string_view(name).substr(0, kMetaPrefix.size()), kMetaPrefix)) {
      continue;
    }
    const std::string key = s3::AsciiLower(std::string_view(name).substr(kMetaPrefix.size()));
    auto [it, fresh] = a.user_meta.emplace(key, value);
    if (!fresh) it->second += "," + value;  // repeated headers join as S3 does
    meta_bytes += key.size() + value.size();
  }
  if (meta_bytes > kMaxUserMetadataBytes) {
    return s3::S3Err(s3::ErrorCode::kMetadataTooLarge);
  }
  ExtractPosix(a);
  if (with_tags) {
    if (auto v = c.Header("x-amz-tagging")) {
      auto tags = s3::ParseTaggingHeader(*v);
      if (!tags) return tl::unexpected(tags.error());
      for (const auto& t : *tags) a.tags[t.key] = t.value;
    }
  }
  return a;
}

s3::S3Status CheckUnsupportedHeaders(const Context& c) {
  for (const auto& [name, value] : c.req.headers) {
    const std::string lower = s3::AsciiLower(name);
    if (lower.starts_with("x-amz-server-side-encryption") ||
        lower.starts_with("x-amz-object-lock-") || lower == "x-amz-website-redirect-location" ||
        lower.starts_with("x-amz-grant-")) {
      return s3::S3Err(s3::ErrorCode::kNotImplemented,
                       "The " + lower + " header is not implemented.");
    }
    if (lower == "x-amz-acl" && value != "private" && value != "bucket-owner-full-control") {
      return s3::S3Err(s3::ErrorCode::kNotImplemented, "Only the private canned ACL is supported.");
    }
  }
  return {};
}

void AddVersionHeader(std::string_view version_id, HttpResponse& res, std::string_view header) {
  if (!version_id.empty() && version_id != "null") {
    res.SetHeader(std::string(header), std::string(version_id));
  }
}

void AddObjectHeaders(const ObjectInfo& o, HttpResponse& res) {
  const ObjectAttrs& a = o.attrs;
  res.SetHeader("Content-Type", a.content_type.empty() || s3::HasControlChars(a.content_type)
                                    ? "binary/octet-stream"
                                    : a.content_type);
  res.SetHeader("ETag", s3::QuoteEtag(o.etag));
  res.SetHeader("Last-Modified",
                s3::FormatHttpDate(static_cast<int64_t>(o.last_modified_ns / 1000000000)));
  res.SetHeader("Accept-Ranges", "bytes");
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string&>{"Content-Encoding", a.content_encoding},
        {"Content-Disposition", a.content_disposition},
        {"Content-Language", a.content_language},
        {"Cache-Control", a.cache_control},
        {"Expires", a.expires}}) {
    if (!value.empty()) SetStoredHeader(res, name, value);
  }
  for (const auto& [k, v] : a.user_meta) SetStoredHeader(res, std::string(kMetaPrefix) + k, v);
  if (a.posix.mode) res.SetHeader("x-amz-meta-mode", std::to_string(*a.posix.mode));
  if (a.posix.uid) res.SetHeader("x-amz-meta-uid", std::to_string(*a.posix.uid));
  if (a.posix.gid) res.SetHeader("x-amz-meta-gid", std::to_string(*a.posix.gid));
  if (a.posix.mtime_ns) res.SetHeader("x-amz-meta-mtime", FormatMtime(*a.posix.mtime_ns));
  if (!a.tags.empty()) res.SetHeader("x-amz-tagging-count", std::to_string(a.tags.size()));
  if (!a.storage_class.empty()) res.SetHeader("x-amz-storage-class", a.storage_class);
  AddVersionHeader(o.version_id, res);
}

s3::S3Result<ChecksumPlan> PlanChecksums(const Context& c) {
  ChecksumPlan plan;
  for (const auto& [name, value] : c.req.headers) {
    auto alg = s3::ChecksumAlgorithmFromHeader(name);
    if (!alg) continue;
    if (plan.header_alg) {
      return s3::S3Err(s3::ErrorCode::kInvalidRequest,
                       "Expecting a single x-amz-checksum- header. Multiple checksum Types are "
                       "not allowed.");
    }
    if (!ValidBase64Checksum(*alg, value)) {
      return s3::S3Err(s3::ErrorCode::kInvalidRequest,
                       "Value for " + s3::ChecksumHeaderName(*alg) + " header is invalid.");
    }
    plan.header_alg = alg;
    plan.header_value = value;
    plan.algorithm = alg;
  }
  if (auto t = c.Header("x-amz-trailer")) {
    auto alg = s3::ChecksumAlgorithmFromHeader(s3::TrimSpaces(*t));
    if (!alg) {
      return s3::S3Err(s3::ErrorCode::kInvalidRequest,
                       "The value specified in the x-amz-trailer "
                       "header is not supported");
    }
    if (plan.algorithm && *plan.algorithm != *alg) {
      return s3::S3Err(s3::ErrorCode::kInvalidRequest,
                       "Expecting a single x-amz-checksum- header.");
    }
    plan.algorithm = alg;
  }
  for (const char* h : {"x-amz-sdk-checksum-algorithm", "x-amz-checksum-algorithm"}) {
    auto v = c.Header(h);
    if (!v) continue;
    auto alg = s3::ParseChecksumAlgorithm(*v);
    if (!alg) {
      return s3::S3Err(s3::ErrorCode::kInvalidRequest,
                       "Checksum algorithm provided is unsupported. Please try again with any of "
                       "the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]");
    }
    if (!plan.algorithm) plan.algorithm = alg;
  }
  if (plan.algorithm) RequestChecksum(*plan.algorithm, &plan.set);
  return plan;
}

void RequestChecksum(s3::ChecksumAlgorithm alg, ChecksumSet* set) {
  switch (alg) {
    case s3::ChecksumAlgorithm::kCrc32:
      set->crc32 = true;
      break;
    case s3::ChecksumAlgorithm::kCrc32c:
      break;  // always computed
    case s3::ChecksumAlgorithm::kCrc64Nvme:
      set->crc64nvme = true;
      break;
    case s3::ChecksumAlgorithm::kSha1:
      set->sha1 = true;
      break;
    case s3::ChecksumAlgorithm::kSha256:
      set->sha256 = true;
      break;
  }
}

std::string ChecksumValue(const Checksums& sums, s3::ChecksumAlgorithm alg) {
  switch (alg) {
    case s3::ChecksumAlgorithm::kCrc32:
      return sums.crc32;
    case s3::ChecksumAlgorithm::kCrc32c:
      return sums.crc32c;
    case s3::ChecksumAlgorithm::kCrc64Nvme:
      return sums.crc64nvme;
    case s3::ChecksumAlgorithm::kSha1:
      return sums.sha1;
    case s3::ChecksumAlgorithm::kSha256:
      return sums.sha256;
  }
  return std::string();
}

void AddChecksumHeaders(const Checksums& sums, HttpResponse& res) {
  bool any = false;
  for (auto alg : {s3::ChecksumAlgorithm::kCrc64Nvme, s3::ChecksumAlgorithm::kCrc32,
                   s3::ChecksumAlgorithm::kCrc32c, s3::ChecksumAlgorithm::kSha1,
                   s3::ChecksumAlgorithm::kSha256}) {
    std::string v = ChecksumValue(sums, alg);
    if (v.empty()) continue;
    res.SetHeader(s3::ChecksumHeaderName(alg), v);
    any = true;
  }
  if (any && !sums.type.empty()) res.SetHeader("x-amz-checksum-type", sums.type);
}

s3::XmlChecksums ToXmlChecksums(const Checksums& sums) {
  s3::XmlChecksums x;
  x.crc32 = sums.crc32;
  x.crc32c = sums.crc32c;
  x.crc64nvme = sums.crc64nvme;
  x.sha1 = sums.sha1;
  x.sha256 = sums.sha256;
  x.type = sums.type;
  return x;
}

s3::S3Status CheckContentMd5(const Context& c, std::string_view md5_hex) {
  auto header = c.Header("Content-MD5");
  if (!header) return {};
  auto raw = s3::Base64Decode(s3::TrimSpaces(*header));
  if (!raw || raw->size() != 16) return s3::S3Err(s3::ErrorCode::kInvalidDigest);
  if (s3::HexEncode(*raw) != md5_hex) return s3::S3Err(s3::ErrorCode::kBadDigest);
  return {};
}

}  // namespace seglake::s3d
