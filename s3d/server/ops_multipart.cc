// Multipart uploads: CreateMultipartUpload, UploadPart, ListParts,
// CompleteMultipartUpload, AbortMultipartUpload. Parts stream into the
// engine like PutObject; Complete concatenates manifests.
#include <optional>

#include "proto/checksum.h"
#include "proto/names.h"
#include "proto/xml_common.h"
#include "proto/xml_list.h"
#include "proto/xml_parse.h"
#include "proto/xml_results.h"
#include "seglake/checksum.h"
#include "server/object_headers.h"
#include "server/ops.h"
#include "server/ops_common.h"
#include "server/payload.h"
#include "server/write_body.h"

namespace seglake::s3d {
namespace {

constexpr size_t kMaxCompleteBody = 4 << 20;  // 10,000 parts fit

std::string AlgorithmName(const ChecksumSet& set) {
  if (set.crc32) return "CRC32";
  if (set.crc64nvme) return "CRC64NVME";
  if (set.sha1) return "SHA1";
  if (set.sha256) return "SHA256";
  return std::string();
}

}  // namespace

OpResult CreateMultipartUpload(Context& c) {
  if (auto st = s3::CheckObjectKey(c.key()); !st) return st;
  if (auto st = CheckUnsupportedHeaders(c); !st) return st;
  if (auto t = c.Header("x-amz-checksum-type"); t && *t != "COMPOSITE") {
    return Fail(s3::ErrorCode::kNotImplemented,
                "Only COMPOSITE checksums are implemented for multipart uploads.");
  }
  auto attrs = AttrsFromHeaders(c, true);
  if (!attrs) return tl::unexpected(attrs.error());
  auto plan = PlanChecksums(c);
  if (!plan) return tl::unexpected(plan.error());
  if (auto b = c.engine.GetBucket(c.bucket()); !b) return Fail(b.error());
  PutOptions opts;
  opts.attrs = std::move(*attrs);
  opts.checksums = plan->set;
  auto u = c.engine.CreateUpload(c.bucket(), c.key(), opts);
  if (!u) return Fail(u.error());
  if (plan->algorithm) {
    c.res.SetHeader("x-amz-checksum-algorithm", std::string(s3::ChecksumName(*plan->algorithm)));
  }
  c.Xml(200, s3::InitiateMultipartUploadXmlDoc(c.bucket(), c.key(), u->upload_id));
  return {};
}

OpResult UploadPart(Context& c) {
  auto n = PartNumberParam(c);
  if (!n) return tl::unexpected(n.error());
  auto upload = UploadOfRequest(c);
  if (!upload) return tl::unexpected(upload.error());
  auto plan = PlanChecksums(c);
  if (!plan) return tl::unexpected(plan.error());
  Payload body(c);
  if (auto st = body.Check(c.cfg.max_object_bytes, true); !st) return st;
  auto writer = c.engine.BeginPart(upload->upload_id, *n);
  if (!writer) return Fail(writer.error());
  if (auto st = WriteBody(c, body, *plan, **writer); !st) return st;
  auto part = (*writer)->Commit();
  if (!part) return Fail(part.error());
  c.res.SetHeader("ETag", s3::QuoteEtag(part->etag));
  if (plan->algorithm) {
    std::string v = ChecksumValue(part->checksums, *plan->algorithm);
    if (v.empty() && plan->header_alg) v = plan->header_value;
    if (v.empty() && body.trailer_checksum()) v = body.trailer_checksum()->second;
    if (!v.empty()) c.res.SetHeader(s3::ChecksumHeaderName(*plan->algorithm), v);
  }
  c.res.status = 200;
  return {};
}

OpResult ListParts(Context& c) {
  auto upload = UploadOfRequest(c);
  if (!upload) return tl::unexpected(upload.error());
  auto max = CountParam(c, "max-parts", 1000, 1000);
  if (!max) return tl::unexpected(max.error());
  auto marker = CountParam(c, "part-number-marker", 0, s3::kMaxPartNumber);
  if (!marker) return tl::unexpected(marker.error());
  auto r = c.engine.ListParts(upload->upload_id, *marker, *max);
  if (!r) return Fail(r.error());
  s3::ListPartsXml x;
  x.bucket = c.bucket();
  x.key = c.key();
  x.upload_id = upload->upload_id;
  x.owner = Owner(c);
  x.part_number_marker = *marker;
  x.max_parts = *max;
  x.truncated = r->truncated;
  if (r->truncated) x.next_part_number_marker = r->next_part_number_marker;
  x.checksum_algorithm = AlgorithmName(upload->checksums);
  for (const PartInfo& p : r->parts) {
    s3::XmlPart xp;
    xp.part_number = p.part_number;
    xp.last_modified_ns = static_cast<int64_t>(p.last_modified_ns);
    xp.etag = p.etag;
    xp.size = p.size;
    xp.checksums = ToXmlChecksums(p.checksums);
    xp.checksums.type.clear();
    x.parts.push_back(std::move(xp));
  }
  c.Xml(200, s3::ListPartsXmlDoc(x));
  return {};
}

namespace {

// A Complete repeated after the upload completed (a client retrying after
// a lost response): S3 answers with the object again when the key's
// current version came from that upload with the same parts. The ETag
// md5(part md5s)-N names the parts.
std::optional<ObjectInfo> CompletedBefore(Context& c, const std::string& upload_id,
                                          const std::vector<s3::CompletePartXml>& parts) {
  auto h = c.engine.Head(c.bucket(), c.key(), "");
  if (!h || h->upload_id != upload_id) return std::nullopt;
  std::string md5s;
  for (const s3::CompletePartXml& p : parts) {
    std::string e = p.etag;
    if (e.size() >= 2 && e.front() == '"' && e.back() == '"') e = e.substr(1, e.size() - 2);
    std::string bin;
    if (!FromHex(e, &bin) || bin.size() != 16) return std::nullopt;
    md5s += bin;
  }
  if (h->etag != ToHex(Md5(md5s)) + "-" + std::to_string(parts.size())) return std::nullopt;
  return *h;
}

}  // namespace

OpResult CompleteMultipartUpload(Context& c) {
  auto upload = UploadOfRequest(c);
  if (!upload && upload.error().code == s3::ErrorCode::kNoSuchUpload) {
    if (auto id = c.Param("uploadId"); id && !id->empty()) {
      Payload body(c);
      auto doc = body.ReadSmall(kMaxCompleteBody);
      if (!doc) return tl::unexpected(doc.error());
      auto parsed = s3::ParseCompleteMultipartUpload(*doc);
      if (!parsed) return tl::unexpected(parsed.error());
      if (auto done = CompletedBefore(c, *id, *parsed)) {
        AddVersionHeader(done->version_id, c.res);
        c.Xml(200, s3::CompleteMultipartUploadXmlDoc(ObjectUrl(c), c.bucket(), c.key(), done->etag,
                                                     ToXmlChecksums(done->checksums)));
        return {};
      }
    }
  }
  if (!upload) return tl::unexpected(upload.error());
  auto cond = WriteConditionsOf(c);
  if (!cond) return tl::unexpected(cond.error());
  Payload body(c);
  auto doc = body.ReadSmall(kMaxCompleteBody);
  if (!doc) return tl::unexpected(doc.error());
  auto parsed = s3::ParseCompleteMultipartUpload(*doc);
  if (!parsed) return tl::unexpected(parsed.error());
  std::vector<CompletePart> parts;
  parts.reserve(parsed->size());
  for (const s3::CompletePartXml& p : *parsed) parts.push_back(CompletePart{p.part_number, p.etag});
  auto info = c.engine.CompleteUpload(upload->upload_id, parts, *cond);
  if (!info) return Fail(info.error());
  AddVersionHeader(info->version_id, c.res);
  c.Xml(200, s3::CompleteMultipartUploadXmlDoc(ObjectUrl(c), c.bucket(), c.key(), info->etag,
                                               ToXmlChecksums(info->checksums)));
  return {};
}

OpResult AbortMultipartUpload(Context& c) {
  auto upload = UploadOfRequest(c);
  if (!upload) return tl::unexpected(upload.error());
  if (Status st = c.engine.AbortUpload(upload->upload_id); !st.ok()) return Fail(st);
  c.res.status = 204;
  return {};
}

}  // namespace seglake::s3d
