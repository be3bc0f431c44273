#include "proto/xml_results.h"

#include "proto/dates.h"
#include "proto/xml_common.h"

namespace seglake::s3 {

std::string InitiateMultipartUploadXmlDoc(std::string_view bucket, std::string_view key,
                                          std::string_view upload_id) {
  XmlWriter w("InitiateMultipartUploadResult");
  w.Element("Bucket", bucket);
  w.Element("Key", key);
  w.Element("UploadId", upload_id);
  return w.Finish();
}

std::string CompleteMultipartUploadXmlDoc(std::string_view location, std::string_view bucket,
                                          std::string_view key, std::string_view etag,
                                          const XmlChecksums& checksums) {
  XmlWriter w("CompleteMultipartUploadResult");
  w.Element("Location", location);
  w.Element("Bucket", bucket);
  w.Element("Key", key);
  w.Element("ETag", QuoteEtag(etag));
  WriteChecksums(w, checksums);
  return w.Finish();
}

std::string ObjectAttributesXmlDoc(const ObjectAttributesXml& a) {
  XmlWriter w("GetObjectAttributesResponse");
  if (a.etag) w.Element("ETag", *a.etag);
  if (a.checksum) {
    w.Open("Checksum");
    WriteChecksums(w, *a.checksum);
    w.Close();
  }
  if (a.parts_count) {
    // Parts are listed by S3 only for objects with an additional checksum
    // per part; here, as for objects without one, only their count.
    w.Open("ObjectParts");
    w.Element("PartsCount", uint64_t{*a.parts_count});
    w.Element("PartNumberMarker", uint64_t{a.part_number_marker});
    w.Element("NextPartNumberMarker", uint64_t{0});
    w.Element("MaxParts", uint64_t{a.max_parts});
    w.Flag("IsTruncated", false);
    w.Close();
  }
  if (a.storage_class) w.Element("StorageClass", *a.storage_class);
  if (a.size) w.Element("ObjectSize", *a.size);
  return w.Finish();
}

std::string CopyResultXmlDoc(std::string_view etag, int64_t last_modified_ns,
                             const XmlChecksums& checksums, bool part) {
  XmlWriter w(part ? "CopyPartResult" : "CopyObjectResult");
  w.Element("ETag", QuoteEtag(etag));
  w.Element("LastModified", FormatIso8601Millis(last_modified_ns));
  WriteChecksums(w, checksums);
  return w.Finish();
}

std::string DeleteResultXmlDoc(const DeleteResultXml& r) {
  XmlWriter w("DeleteResult");
  for (const DeletedXml& d : r.deleted) {
    w.Open("Deleted");
    w.Element("Key", d.key);
    w.Optional("VersionId", d.version_id);
    if (d.delete_marker) {
      w.Flag("DeleteMarker", true);
      w.Optional("DeleteMarkerVersionId", d.delete_marker_version_id);
    }
    w.Close();
  }
  for (const DeleteErrorXml& e : r.errors) {
    w.Open("Error");
    w.Element("Key", e.key);
    w.Optional("VersionId", e.version_id);
    w.Element("Code", e.code);
    w.Element("Message", e.message);
    w.Close();
  }
  return w.Finish();
}

std::string VersioningXmlDoc(std::string_view status) {
  XmlWriter w("VersioningConfiguration");
  w.Optional("Status", status);
  return w.Finish();
}

std::string LocationXmlDoc(std::string_view region) {
  // The root element itself holds the region.
  std::string doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"";
  doc += kS3Namespace;
  doc += "\">";
  if (region != "us-east-1") doc += XmlEscape(region);
  doc += "</LocationConstraint>";
  return doc;
}

std::string TaggingXmlDoc(const std::vector<XmlTag>& tags) {
  XmlWriter w("Tagging");
  w.Open("TagSet");
  for (const XmlTag& t : tags) {
    w.Open("Tag");
    w.Element("Key", t.key);
    w.Element("Value", t.value);
    w.Close();
  }
  return w.Finish();
}

std::string ErrorXmlDoc(const ErrorXml& e) {
  XmlWriter w("Error", "");
  w.Element("Code", e.code);
  w.Element("Message", e.message);
  w.Optional("Key", e.key);
  w.Optional("BucketName", e.bucket_name);
  w.Optional("Resource", e.resource);
  w.Optional("RequestId", e.request_id);
  return w.Finish();
}

std::string ErrorXmlDoc(const S3Error& error, std::string_view resource,
                        std::string_view request_id) {
  ErrorXml e;
  e.code = std::string(error.name());
  e.message = std::string(error.text());
  e.resource = std::string(resource);
  e.request_id = std::string(request_id);
  return ErrorXmlDoc(e);
}

}  // namespace seglake::s3
