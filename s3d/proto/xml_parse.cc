#include "proto/xml_parse.h"

#include <pugixml.hpp>

#include <optional>

#include "proto/encoding.h"
#include "proto/tags.h"

namespace seglake::s3 {
namespace {

tl::unexpected<S3Error> MalformedXml() { return S3Err(ErrorCode::kMalformedXML); }

std::string_view LocalName(const pugi::xml_node& n) {
  std::string_view name = n.name();
  const size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// Parses the body and returns its single root element if it is named `root`.
std::optional<pugi::xml_node> Root(pugi::xml_document& doc, std::string_view body,
                                   std::string_view root) {
  const unsigned flags = pugi::parse_default | pugi::parse_ws_pcdata_single;
  if (body.empty()) return std::nullopt;
  const pugi::xml_parse_result r =
      doc.load_buffer(body.data(), body.size(), flags, pugi::encoding_utf8);
  if (!r) return std::nullopt;
  std::optional<pugi::xml_node> found;
  for (pugi::xml_node n : doc.children()) {
    if (n.type() == pugi::node_pcdata || n.type() == pugi::node_cdata) return std::nullopt;
    if (n.type() != pugi::node_element) continue;
    if (found) return std::nullopt;  // several root elements
    found = n;
  }
  if (!found || LocalName(*found) != root) return std::nullopt;
  return found;
}

// The text of an element: its character data children, concatenated.
std::string Text(const pugi::xml_node& n) {
  std::string out;
  for (pugi::xml_node c : n.children()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
  }
  return out;
}

// The only child element named `name`: nullopt-inside-optional semantics:
// returns false when it appears more than once.
bool UniqueChild(const pugi::xml_node& parent, std::string_view name,
                 std::optional<pugi::xml_node>& out) {
  out.reset();
  for (pugi::xml_node c : parent.children()) {
    if (c.type() != pugi::node_element || LocalName(c) != name) continue;
    if (out) return false;
    out = c;
  }
  return true;
}

std::string StripQuotes(std::string_view etag) {
  etag = TrimSpaces(etag);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

bool ReadChecksum(const pugi::xml_node& part, std::string_view name, std::string& out) {
  std::optional<pugi::xml_node> n;
  if (!UniqueChild(part, name, n)) return false;
  if (n) out = std::string(TrimSpaces(Text(*n)));
  return true;
}

}  // namespace

S3Result<std::vector<CompletePartXml>> ParseCompleteMultipartUpload(std::string_view body) {
  pugi::xml_document doc;
  auto root = Root(doc, body, "CompleteMultipartUpload");
  if (!root) return MalformedXml();
  std::vector<CompletePartXml> parts;
  for (pugi::xml_node part : root->children()) {
    if (part.type() != pugi::node_element || LocalName(part) != "Part") continue;
    std::optional<pugi::xml_node> number, etag;
    if (!UniqueChild(part, "PartNumber", number) || !UniqueChild(part, "ETag", etag) || !number ||
        !etag) {
      return MalformedXml();
    }
    CompletePartXml p;
    auto n = ParseDecimal(TrimSpaces(Text(*number)));
    if (!n || *n < 1 || *n > kMaxPartNumber) {
      return S3Err(ErrorCode::kInvalidArgument,
                   "Part number must be an integer between 1 and 10000, inclusive");
    }
    p.part_number = static_cast<uint32_t>(*n);
    if (!parts.empty() && p.part_number <= parts.back().part_number) {
      return S3Err(ErrorCode::kInvalidPartOrder);
    }
    p.etag = StripQuotes(Text(*etag));
    XmlChecksums& c = p.checksums;
    if (!ReadChecksum(part, "ChecksumCRC32", c.crc32) ||
        !ReadChecksum(part, "ChecksumCRC32C", c.crc32c) ||
        !ReadChecksum(part, "ChecksumCRC64NVME", c.crc64nvme) ||
        !ReadChecksum(part, "ChecksumSHA1", c.sha1) ||
        !ReadChecksum(part, "ChecksumSHA256", c.sha256)) {
      return MalformedXml();
    }
    parts.push_back(std::move(p));
  }
  if (parts.empty()) return MalformedXml();
  return parts;
}

S3Result<DeleteRequestXml> ParseDeleteRequest(std::string_view body) {
  pugi::xml_document doc;
  auto root = Root(doc, body, "Delete");
  if (!root) return MalformedXml();
  DeleteRequestXml req;
  std::optional<pugi::xml_node> quiet;
  if (!UniqueChild(*root, "Quiet", quiet)) return MalformedXml();
  if (quiet) {
    const std::string q(TrimSpaces(Text(*quiet)));
    if (EqualsIgnoreCase(q, "true")) {
      req.quiet = true;
    } else if (!EqualsIgnoreCase(q, "false")) {
      return MalformedXml();
    }
  }
  for (pugi::xml_node obj : root->children()) {
    if (obj.type() != pugi::node_element || LocalName(obj) != "Object") continue;
    if (req.objects.size() == kMaxDeleteObjects) return MalformedXml();
    std::optional<pugi::xml_node> key, version, etag;
    if (!UniqueChild(obj, "Key", key) || !UniqueChild(obj, "VersionId", version) ||
        !UniqueChild(obj, "ETag", etag) || !key) {
      return MalformedXml();
    }
    DeleteObjectXml o;
    o.key = Text(*key);
    if (version) o.version_id = std::string(TrimSpaces(Text(*version)));
    if (etag) {
      o.etag = std::string(TrimSpaces(Text(*etag)));
      if (o.etag.empty()) return MalformedXml();
    }
    req.objects.push_back(std::move(o));
  }
  if (req.objects.empty()) return MalformedXml();
  return req;
}

S3Result<std::string> ParseCreateBucketConfiguration(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return std::string();
  pugi::xml_document doc;
  auto root = Root(doc, body, "CreateBucketConfiguration");
  if (!root) return MalformedXml();
  std::optional<pugi::xml_node> loc;
  if (!UniqueChild(*root, "LocationConstraint", loc)) return MalformedXml();
  if (!loc) return std::string();
  return std::string(TrimSpaces(Text(*loc)));
}

S3Result<VersioningStatus> ParseVersioningConfiguration(std::string_view body) {
  pugi::xml_document doc;
  auto root = Root(doc, body, "VersioningConfiguration");
  if (!root) return MalformedXml();
  std::optional<pugi::xml_node> status;
  if (!UniqueChild(*root, "Status", status) || !status) return MalformedXml();
  const std::string s(TrimSpaces(Text(*status)));
  if (s == "Enabled") return VersioningStatus::kEnabled;
  if (s == "Suspended") return VersioningStatus::kSuspended;
  return MalformedXml();
}

S3Result<std::vector<XmlTag>> ParseTagging(std::string_view body, size_t max_tags) {
  pugi::xml_document doc;
  auto root = Root(doc, body, "Tagging");
  if (!root) return MalformedXml();
  std::optional<pugi::xml_node> set;
  if (!UniqueChild(*root, "TagSet", set) || !set) return MalformedXml();
  std::vector<XmlTag> tags;
  for (pugi::xml_node tag : set->children()) {
    if (tag.type() != pugi::node_element || LocalName(tag) != "Tag") continue;
    std::optional<pugi::xml_node> key, value;
    if (!UniqueChild(tag, "Key", key) || !UniqueChild(tag, "Value", value) || !key || !value) {
      return MalformedXml();
    }
    tags.push_back({Text(*key), Text(*value)});
    if (tags.size() > max_tags) break;  // CheckTags reports it
  }
  if (auto st = CheckTags(tags, max_tags); !st) return tl::unexpected(st.error());
  return tags;
}

}  // namespace seglake::s3
