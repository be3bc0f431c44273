#include "proto/xml_common.h"

#include "proto/uri.h"

namespace seglake::s3 {

std::string QuoteEtag(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') return std::string(etag);
  std::string out;
  out.reserve(etag.size() + 2);
  out.push_back('"');
  out.append(etag);
  out.push_back('"');
  return out;
}

void WriteOwner(XmlWriter& w, std::string_view element, const XmlOwner& owner) {
  w.Open(element);
  w.Element("ID", owner.id);
  w.Optional("DisplayName", owner.display_name);
  w.Close();
}

void WriteChecksums(XmlWriter& w, const XmlChecksums& c) {
  w.Optional("ChecksumCRC32", c.crc32);
  w.Optional("ChecksumCRC32C", c.crc32c);
  w.Optional("ChecksumCRC64NVME", c.crc64nvme);
  w.Optional("ChecksumSHA1", c.sha1);
  w.Optional("ChecksumSHA256", c.sha256);
  w.Optional("ChecksumType", c.type);
}

std::string MaybeUrlEncode(std::string_view encoding_type, std::string_view text) {
  if (encoding_type == "url") return UriEncode(text, true);
  return std::string(text);
}

}  // namespace seglake::s3
