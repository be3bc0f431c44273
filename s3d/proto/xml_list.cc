#include "proto/xml_list.h"

#include "proto/dates.h"
#include "proto/xml_common.h"

namespace seglake::s3 {
namespace {

void WriteObject(XmlWriter& w, const XmlObject& o, std::string_view enc) {
  w.Open("Contents");
  w.Element("Key", MaybeUrlEncode(enc, o.key));
  w.Element("LastModified", FormatIso8601Millis(o.last_modified_ns));
  w.Element("ETag", QuoteEtag(o.etag));
  w.Optional("ChecksumAlgorithm", o.checksum_algorithm);
  w.Element("Size", o.size);
  if (o.owner) WriteOwner(w, "Owner", *o.owner);
  w.Element("StorageClass", o.storage_class);
  w.Close();
}

void WritePrefixes(XmlWriter& w, const std::vector<std::string>& prefixes, std::string_view enc) {
  for (const std::string& p : prefixes) {
    w.Open("CommonPrefixes");
    w.Element("Prefix", MaybeUrlEncode(enc, p));
    w.Close();
  }
}

}  // namespace

std::string ListBucketsXmlDoc(const ListBucketsXml& r) {
  XmlWriter w("ListAllMyBucketsResult");
  WriteOwner(w, "Owner", r.owner);
  w.Open("Buckets");
  for (const XmlBucket& b : r.buckets) {
    w.Open("Bucket");
    w.Element("Name", b.name);
    w.Element("CreationDate", FormatIso8601Millis(b.created_ns));
    w.Optional("BucketRegion", b.region);
    w.Close();
  }
  w.Close();
  w.Optional("ContinuationToken", r.continuation_token);
  w.Optional("Prefix", r.prefix);
  return w.Finish();
}

std::string ListObjectsV1XmlDoc(const ListObjectsXml& r) {
  const std::string_view enc = r.encoding_type;
  XmlWriter w("ListBucketResult");
  w.Element("Name", r.bucket);
  w.Element("Prefix", MaybeUrlEncode(enc, r.prefix));
  w.Element("Marker", MaybeUrlEncode(enc, r.marker));
  if (r.truncated) w.Optional("NextMarker", MaybeUrlEncode(enc, r.next_marker));
  w.Element("MaxKeys", uint64_t{r.max_keys});
  w.Optional("Delimiter", MaybeUrlEncode(enc, r.delimiter));
  w.Flag("IsTruncated", r.truncated);
  w.Optional("EncodingType", r.encoding_type);
  for (const XmlObject& o : r.objects) WriteObject(w, o, enc);
  WritePrefixes(w, r.common_prefixes, enc);
  return w.Finish();
}

std::string ListObjectsV2XmlDoc(const ListObjectsXml& r) {
  const std::string_view enc = r.encoding_type;
  XmlWriter w("ListBucketResult");
  w.Element("Name", r.bucket);
  w.Element("Prefix", MaybeUrlEncode(enc, r.prefix));
  w.Optional("Delimiter", MaybeUrlEncode(enc, r.delimiter));
  w.Element("MaxKeys", uint64_t{r.max_keys});
  w.Element("KeyCount", uint64_t{r.objects.size() + r.common_prefixes.size()});
  w.Flag("IsTruncated", r.truncated);
  w.Optional("EncodingType", r.encoding_type);
  w.Optional("ContinuationToken", r.continuation_token);
  if (r.truncated) w.Optional("NextContinuationToken", r.next_continuation_token);
  w.Optional("StartAfter", MaybeUrlEncode(enc, r.start_after));
  for (const XmlObject& o : r.objects) WriteObject(w, o, enc);
  WritePrefixes(w, r.common_prefixes, enc);
  return w.Finish();
}

std::string ListVersionsXmlDoc(const ListVersionsXml& r) {
  const std::string_view enc = r.encoding_type;
  XmlWriter w("ListVersionsResult");
  w.Element("Name", r.bucket);
  w.Element("Prefix", MaybeUrlEncode(enc, r.prefix));
  w.Element("KeyMarker", MaybeUrlEncode(enc, r.key_marker));
  w.Element("VersionIdMarker", r.version_id_marker);
  if (r.truncated) {
    w.Optional("NextKeyMarker", MaybeUrlEncode(enc, r.next_key_marker));
    w.Optional("NextVersionIdMarker", r.next_version_id_marker);
  }
  w.Element("MaxKeys", uint64_t{r.max_keys});
  w.Optional("Delimiter", MaybeUrlEncode(enc, r.delimiter));
  w.Flag("IsTruncated", r.truncated);
  w.Optional("EncodingType", r.encoding_type);
  for (const XmlVersion& v : r.versions) {
    w.Open(v.delete_marker ? "DeleteMarker" : "Version");
    w.Element("Key", MaybeUrlEncode(enc, v.key));
    w.Element("VersionId", v.version_id);
    w.Flag("IsLatest", v.is_latest);
    w.Element("LastModified", FormatIso8601Millis(v.last_modified_ns));
    if (!v.delete_marker) {
      w.Element("ETag", QuoteEtag(v.etag));
      w.Element("Size", v.size);
    }
    if (v.owner) WriteOwner(w, "Owner", *v.owner);
    if (!v.delete_marker) w.Element("StorageClass", v.storage_class);
    w.Close();
  }
  WritePrefixes(w, r.common_prefixes, enc);
  return w.Finish();
}

std::string ListUploadsXmlDoc(const ListUploadsXml& r) {
  const std::string_view enc = r.encoding_type;
  XmlWriter w("ListMultipartUploadsResult");
  w.Element("Bucket", r.bucket);
  w.Element("KeyMarker", MaybeUrlEncode(enc, r.key_marker));
  w.Element("UploadIdMarker", r.upload_id_marker);
  if (r.truncated) {
    w.Element("NextKeyMarker", MaybeUrlEncode(enc, r.next_key_marker));
    w.Element("NextUploadIdMarker", r.next_upload_id_marker);
  }
  w.Optional("Prefix", MaybeUrlEncode(enc, r.prefix));
  w.Optional("Delimiter", MaybeUrlEncode(enc, r.delimiter));
  w.Element("MaxUploads", uint64_t{r.max_uploads});
  w.Flag("IsTruncated", r.truncated);
  w.Optional("EncodingType", r.encoding_type);
  for (const XmlUpload& u : r.uploads) {
    w.Open("Upload");
    w.Element("Key", MaybeUrlEncode(enc, u.key));
    w.Element("UploadId", u.upload_id);
    if (u.owner) {
      WriteOwner(w, "Initiator", *u.owner);
      WriteOwner(w, "Owner", *u.owner);
    }
    w.Element("StorageClass", u.storage_class);
    w.Element("Initiated", FormatIso8601Millis(u.initiated_ns));
    w.Close();
  }
  WritePrefixes(w, r.common_prefixes, enc);
  return w.Finish();
}

std::string ListPartsXmlDoc(const ListPartsXml& r) {
  XmlWriter w("ListPartsResult");
  w.Element("Bucket", r.bucket);
  w.Element("Key", r.key);
  w.Element("UploadId", r.upload_id);
  if (r.owner) {
    WriteOwner(w, "Initiator", *r.owner);
    WriteOwner(w, "Owner", *r.owner);
  }
  w.Element("StorageClass", r.storage_class);
  w.Element("PartNumberMarker", uint64_t{r.part_number_marker});
  if (r.truncated) w.Element("NextPartNumberMarker", uint64_t{r.next_part_number_marker});
  w.Element("MaxParts", uint64_t{r.max_parts});
  w.Flag("IsTruncated", r.truncated);
  w.Optional("ChecksumAlgorithm", r.checksum_algorithm);
  for (const XmlPart& p : r.parts) {
    w.Open("Part");
    w.Element("PartNumber", uint64_t{p.part_number});
    w.Element("LastModified", FormatIso8601Millis(p.last_modified_ns));
    w.Element("ETag", QuoteEtag(p.etag));
    w.Element("Size", p.size);
    WriteChecksums(w, p.checksums);
    w.Close();
  }
  return w.Finish();
}

}  // namespace seglake::s3
