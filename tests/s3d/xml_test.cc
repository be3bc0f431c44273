// XML response builders and request body parsers.
#define BOOST_TEST_MODULE s3proto_xml
#include <boost/test/unit_test.hpp>

#include <string>

#include "proto/dates.h"
#include "proto/tags.h"
#include "proto/xml_list.h"
#include "proto/xml_parse.h"
#include "proto/xml_results.h"
#include "proto/xml_writer.h"

namespace seglake::s3 {
namespace {

const int64_t kT = *ParseIso8601("2026-11-24T20:25:05.123Z");
constexpr std::string_view kDecl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

bool Contains(const std::string& doc, std::string_view piece) {
  const bool found = doc.find(piece) != std::string::npos;
  if (!found) BOOST_TEST_MESSAGE("missing " << piece << " in " << doc);
  return found;
}

template <typename T>
void ExpectCode(const S3Result<T>& r, ErrorCode code) {
  BOOST_REQUIRE_MESSAGE(!r.has_value(), "expected " << ErrorCodeName(code));
  BOOST_CHECK_MESSAGE(r.error().code == code,
                      "expected " << ErrorCodeName(code) << ", got " << r.error().name());
}

std::string DeleteBody(size_t n) {
  std::string b = "<Delete>";
  for (size_t i = 0; i < n; ++i) b += "<Object><Key>k" + std::to_string(i) + "</Key></Object>";
  return b + "</Delete>";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(builders)

BOOST_AUTO_TEST_CASE(escaping_is_lossless) {
  BOOST_CHECK_EQUAL(XmlEscape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
  BOOST_CHECK_EQUAL(XmlEscape("\r\n\t\x01\x1f\x7f"), "&#xD;&#xA;&#x9;&#x1;&#x1F;&#x7F;");
  BOOST_CHECK_EQUAL(XmlEscape("\xc3\xa9"), "\xc3\xa9");
}

BOOST_AUTO_TEST_CASE(list_buckets) {
  ListBucketsXml r;
  r.owner = {"owner-id", "owner"};
  r.buckets = {{"alpha", kT, ""}, {"beta", 0, "eu-west-3"}};
  const std::string doc = ListBucketsXmlDoc(r);
  BOOST_CHECK(doc.starts_with(kDecl));
  BOOST_CHECK(
      Contains(doc, "<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"));
  BOOST_CHECK(Contains(doc, "<Owner><ID>owner-id</ID><DisplayName>owner</DisplayName></Owner>"));
  BOOST_CHECK(Contains(doc,
                       "<Bucket><Name>alpha</Name><CreationDate>2026-11-24T20:25:05.123Z"
                       "</CreationDate></Bucket>"));
  BOOST_CHECK(Contains(doc, "<BucketRegion>eu-west-3</BucketRegion>"));
  BOOST_CHECK(doc.ends_with("</Buckets></ListAllMyBucketsResult>"));
}

BOOST_AUTO_TEST_CASE(list_objects_v2_url_encoded) {
  ListObjectsXml r;
  r.bucket = "b";
  r.prefix = "dir a/";
  r.delimiter = "/";
  r.encoding_type = "url";
  r.max_keys = 2;
  r.truncated = true;
  r.continuation_token = "tok";
  r.next_continuation_token = "next+tok";
  r.objects = {{"dir a/k+1&\r.txt", kT, "0123abcd", 42, "STANDARD", std::nullopt, "CRC32C"}};
  r.common_prefixes = {"dir a/sub dir/"};
  const std::string doc = ListObjectsV2XmlDoc(r);
  BOOST_CHECK(Contains(doc, "<Prefix>dir%20a/</Prefix>"));
  BOOST_CHECK(Contains(doc, "<Delimiter>/</Delimiter>"));
  BOOST_CHECK(Contains(doc, "<KeyCount>2</KeyCount>"));
  BOOST_CHECK(Contains(doc, "<MaxKeys>2</MaxKeys>"));
  BOOST_CHECK(Contains(doc, "<IsTruncated>true</IsTruncated>"));
  BOOST_CHECK(Contains(doc, "<EncodingType>url</EncodingType>"));
  BOOST_CHECK(Contains(doc, "<ContinuationToken>tok</ContinuationToken>"));
  BOOST_CHECK(Contains(doc, "<NextContinuationToken>next+tok</NextContinuationToken>"));
  BOOST_CHECK(Contains(doc,
                       "<Contents><Key>dir%20a/k%2B1%26%0D.txt</Key><LastModified>"
                       "2026-11-24T20:25:05.123Z</LastModified><ETag>&quot;0123abcd&quot;"
                       "</ETag><ChecksumAlgorithm>CRC32C</ChecksumAlgorithm><Size>42</Size>"
                       "<StorageClass>STANDARD</StorageClass></Contents>"));
  BOOST_CHECK(
      Contains(doc, "<CommonPrefixes><Prefix>dir%20a/sub%20dir/</Prefix></CommonPrefixes>"));
}

BOOST_AUTO_TEST_CASE(list_objects_v1_plain) {
  ListObjectsXml r;
  r.bucket = "b";
  r.marker = "m<";
  r.truncated = true;
  r.next_marker = "n";
  r.objects = {{"k&1", kT, "\"quoted\"", 0, "STANDARD", XmlOwner{"id", ""}, ""}};
  const std::string doc = ListObjectsV1XmlDoc(r);
  BOOST_CHECK(Contains(doc, "<Marker>m&lt;</Marker>"));
  BOOST_CHECK(Contains(doc, "<NextMarker>n</NextMarker>"));
  BOOST_CHECK(Contains(doc, "<Key>k&amp;1</Key>"));
  BOOST_CHECK(Contains(doc, "<ETag>&quot;quoted&quot;</ETag>"));
  BOOST_CHECK(Contains(doc, "<Owner><ID>id</ID></Owner>"));
  BOOST_CHECK(!Contains(doc, "KeyCount"));
  r.truncated = false;
  BOOST_CHECK(!Contains(ListObjectsV1XmlDoc(r), "NextMarker"));
}

BOOST_AUTO_TEST_CASE(list_versions) {
  ListVersionsXml r;
  r.bucket = "b";
  r.truncated = true;
  r.next_key_marker = "k";
  r.next_version_id_marker = "v2";
  XmlVersion v;
  v.key = "k";
  v.version_id = "v1";
  v.is_latest = true;
  v.last_modified_ns = kT;
  v.etag = "e";
  v.size = 5;
  XmlVersion m = v;
  m.delete_marker = true;
  m.version_id = "v0";
  m.is_latest = false;
  r.versions = {v, m};
  const std::string doc = ListVersionsXmlDoc(r);
  BOOST_CHECK(Contains(doc, "<ListVersionsResult"));
  BOOST_CHECK(Contains(doc,
                       "<Version><Key>k</Key><VersionId>v1</VersionId><IsLatest>true"
                       "</IsLatest><LastModified>2026-11-24T20:25:05.123Z</LastModified>"
                       "<ETag>&quot;e&quot;</ETag><Size>5</Size><StorageClass>STANDARD"
                       "</StorageClass></Version>"));
  BOOST_CHECK(Contains(doc,
                       "<DeleteMarker><Key>k</Key><VersionId>v0</VersionId><IsLatest>false"
                       "</IsLatest><LastModified>2026-11-24T20:25:05.123Z</LastModified>"
                       "</DeleteMarker>"));
  BOOST_CHECK(Contains(doc, "<NextKeyMarker>k</NextKeyMarker><NextVersionIdMarker>v2"));
}

BOOST_AUTO_TEST_CASE(list_uploads_and_parts) {
  ListUploadsXml u;
  u.bucket = "b";
  u.uploads = {{"k", "up1", kT, "STANDARD", XmlOwner{"id", "me"}}};
  const std::string udoc = ListUploadsXmlDoc(u);
  BOOST_CHECK(Contains(udoc,
                       "<Upload><Key>k</Key><UploadId>up1</UploadId><Initiator><ID>id</ID>"
                       "<DisplayName>me</DisplayName></Initiator><Owner><ID>id</ID>"
                       "<DisplayName>me</DisplayName></Owner><StorageClass>STANDARD"
                       "</StorageClass><Initiated>2026-11-24T20:25:05.123Z</Initiated>"
                       "</Upload>"));
  BOOST_CHECK(Contains(udoc, "<MaxUploads>1000</MaxUploads>"));

  ListPartsXml p;
  p.bucket = "b";
  p.key = "k";
  p.upload_id = "up1";
  p.truncated = true;
  p.next_part_number_marker = 2;
  XmlPart part;
  part.part_number = 2;
  part.last_modified_ns = kT;
  part.etag = "e2";
  part.size = 5242880;
  part.checksums.crc32c = "sOO8/Q==";
  p.parts = {part};
  const std::string pdoc = ListPartsXmlDoc(p);
  BOOST_CHECK(Contains(pdoc,
                       "<Part><PartNumber>2</PartNumber><LastModified>2026-11-24T20:25:05"
                       ".123Z</LastModified><ETag>&quot;e2&quot;</ETag><Size>5242880</Size>"
                       "<ChecksumCRC32C>sOO8/Q==</ChecksumCRC32C></Part>"));
  BOOST_CHECK(Contains(pdoc, "<NextPartNumberMarker>2</NextPartNumberMarker>"));
}

BOOST_AUTO_TEST_CASE(results) {
  BOOST_CHECK_EQUAL(InitiateMultipartUploadXmlDoc("b", "k&", "u"),
                    std::string(kDecl) +
                        "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/"
                        "2006-03-01/\"><Bucket>b</Bucket><Key>k&amp;</Key><UploadId>u</UploadId>"
                        "</InitiateMultipartUploadResult>");
  BOOST_CHECK(Contains(CompleteMultipartUploadXmlDoc("http://h/b/k", "b", "k", "abc-2", {}),
                       "<Location>http://h/b/k</Location><Bucket>b</Bucket><Key>k</Key>"
                       "<ETag>&quot;abc-2&quot;</ETag></CompleteMultipartUploadResult>"));
  BOOST_CHECK(Contains(CopyResultXmlDoc("e", kT, {}, false),
                       "<CopyObjectResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                       "<ETag>&quot;e&quot;</ETag><LastModified>2026-11-24T20:25:05.123Z"
                       "</LastModified></CopyObjectResult>"));
  BOOST_CHECK(Contains(CopyResultXmlDoc("e", kT, {}, true), "<CopyPartResult"));
  DeleteResultXml d;
  d.deleted = {{"a", "", false, ""}, {"b", "v1", true, "m1"}};
  d.errors = {{"c", "", "AccessDenied", "Access Denied"}};
  const std::string ddoc = DeleteResultXmlDoc(d);
  BOOST_CHECK(Contains(ddoc, "<Deleted><Key>a</Key></Deleted>"));
  BOOST_CHECK(Contains(ddoc,
                       "<Deleted><Key>b</Key><VersionId>v1</VersionId><DeleteMarker>true"
                       "</DeleteMarker><DeleteMarkerVersionId>m1</DeleteMarkerVersionId>"
                       "</Deleted>"));
  BOOST_CHECK(Contains(ddoc,
                       "<Error><Key>c</Key><Code>AccessDenied</Code><Message>Access Denied"
                       "</Message></Error>"));
  BOOST_CHECK(Contains(VersioningXmlDoc("Enabled"), "<Status>Enabled</Status>"));
  BOOST_CHECK(VersioningXmlDoc("").ends_with(
      "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "</VersioningConfiguration>"));
  BOOST_CHECK(LocationXmlDoc("us-east-1").ends_with("\"></LocationConstraint>"));
  BOOST_CHECK(LocationXmlDoc("eu-west-3").ends_with("\">eu-west-3</LocationConstraint>"));
  BOOST_CHECK(Contains(TaggingXmlDoc({{"k", "v"}}),
                       "<TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>"));
}

BOOST_AUTO_TEST_CASE(error_document) {
  const std::string doc =
      ErrorXmlDoc(S3Error{ErrorCode::kNoSuchKey, "", {}}, "/b/k<1>", "4442587FB7D0A2F9");
  BOOST_CHECK_EQUAL(doc, std::string(kDecl) +
                             "<Error><Code>NoSuchKey</Code><Message>The specified key does not "
                             "exist.</Message><Resource>/b/k&lt;1&gt;</Resource><RequestId>"
                             "4442587FB7D0A2F9</RequestId></Error>");
  ErrorXml e{"NoSuchBucket", "m", "/b", "r", "", "b"};
  BOOST_CHECK(Contains(ErrorXmlDoc(e), "<BucketName>b</BucketName>"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(complete_multipart_upload)

BOOST_AUTO_TEST_CASE(valid) {
  auto r = ParseCompleteMultipartUpload(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
      "  <Part><PartNumber>1</PartNumber><ETag>\"a54357aff0632cce46d942af68356b38\"</ETag></Part>\n"
      "  <Part><ETag>&quot;0c78aef83f66abc1fa1e8477f296d394&quot;</ETag><PartNumber> 2 "
      "</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>\n"
      "  <Part><PartNumber>10000</PartNumber><ETag>acbd18db4cc2f85cedef654fccc4a4d8</ETag></Part>\n"
      "</CompleteMultipartUpload>");
  BOOST_REQUIRE_MESSAGE(r.has_value(), r.error().text());
  BOOST_REQUIRE_EQUAL(r->size(), 3u);
  BOOST_CHECK_EQUAL((*r)[0].part_number, 1u);
  BOOST_CHECK_EQUAL((*r)[0].etag, "a54357aff0632cce46d942af68356b38");
  BOOST_CHECK_EQUAL((*r)[1].etag, "0c78aef83f66abc1fa1e8477f296d394");
  BOOST_CHECK_EQUAL((*r)[1].checksums.crc32, "AAAAAA==");
  BOOST_CHECK_EQUAL((*r)[2].part_number, 10000u);
}
BOOST_AUTO_TEST_CASE(namespace_prefix_is_ignored) {
  BOOST_CHECK(
      ParseCompleteMultipartUpload(
          "<s3:CompleteMultipartUpload xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
          "<s3:Part><s3:PartNumber>1</s3:PartNumber><s3:ETag>e</s3:ETag></s3:Part>"
          "</s3:CompleteMultipartUpload>")
          .has_value());
}
BOOST_AUTO_TEST_CASE(part_numbers_out_of_range) {
  for (std::string_view n : {"0", "10001", "-1", "1.5", "", "abc", "99999999999999999999999"}) {
    BOOST_TEST_CONTEXT("PartNumber " << n) {
      ExpectCode(ParseCompleteMultipartUpload(
                     "<CompleteMultipartUpload><Part><PartNumber>" + std::string(n) +
                     "</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>"),
                 ErrorCode::kInvalidArgument);
    }
  }
}
BOOST_AUTO_TEST_CASE(parts_out_of_order_or_repeated) {
  const std::string p1 = "<Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>";
  const std::string p2 = "<Part><PartNumber>2</PartNumber><ETag>e</ETag></Part>";
  ExpectCode(ParseCompleteMultipartUpload("<CompleteMultipartUpload>" + p2 + p1 +
                                          "</CompleteMultipartUpload>"),
             ErrorCode::kInvalidPartOrder);
  ExpectCode(ParseCompleteMultipartUpload("<CompleteMultipartUpload>" + p1 + p1 +
                                          "</CompleteMultipartUpload>"),
             ErrorCode::kInvalidPartOrder);
}
BOOST_AUTO_TEST_CASE(missing_or_repeated_elements) {
  for (std::string_view body :
       {"<CompleteMultipartUpload></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><ETag>e</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></"
        "CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><PartNumber>2</PartNumber>"
        "<ETag>e</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag><ChecksumCRC32>a"
        "</ChecksumCRC32><ChecksumCRC32>b</ChecksumCRC32></Part></CompleteMultipartUpload>"}) {
    BOOST_TEST_CONTEXT(body) {
      ExpectCode(ParseCompleteMultipartUpload(body), ErrorCode::kMalformedXML);
    }
  }
}
BOOST_AUTO_TEST_CASE(malformed_documents) {
  for (std::string_view body :
       {"", " ", "not xml", "<CompleteMultipartUpload>", "<CompleteMultipartUpload><Part>",
        "<Complete></Complete>", "<CompleteMultipartUpload/><CompleteMultipartUpload/>",
        "text<CompleteMultipartUpload/>", "<CompleteMultipartUpload><Part></Prat>",
        "<CompleteMultipartUpload>&bogus;</CompleteMultipartUpload>", "<?xml version=\"1.0\"?>"}) {
    BOOST_TEST_CONTEXT(body) {
      ExpectCode(ParseCompleteMultipartUpload(body), ErrorCode::kMalformedXML);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(delete_objects)

BOOST_AUTO_TEST_CASE(valid_with_quiet_and_versions) {
  auto r = ParseDeleteRequest(
      "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
      "<Object><Key>a&amp;b</Key></Object><Object><Key>  </Key><VersionId>v1</VersionId></Object>"
      "<Object><Key>x&#13;y</Key></Object><Object><Key></Key></Object></Delete>");
  BOOST_REQUIRE_MESSAGE(r.has_value(), r.error().text());
  BOOST_CHECK(r->quiet);
  BOOST_REQUIRE_EQUAL(r->objects.size(), 4u);
  BOOST_CHECK_EQUAL(r->objects[0].key, "a&b");
  BOOST_CHECK_EQUAL(r->objects[1].key, "  ");  // whitespace keys kept
  BOOST_CHECK_EQUAL(r->objects[1].version_id, "v1");
  BOOST_CHECK_EQUAL(r->objects[2].key, "x\ry");
  BOOST_CHECK_EQUAL(r->objects[3].key, "");  // the caller reports it per key
}
BOOST_AUTO_TEST_CASE(quiet_values) {
  BOOST_CHECK(!ParseDeleteRequest("<Delete><Quiet>False</Quiet><Object><Key>a</Key></Object>"
                                  "</Delete>")
                   ->quiet);
  ExpectCode(ParseDeleteRequest("<Delete><Quiet>yes</Quiet><Object><Key>a</Key></Object></Delete>"),
             ErrorCode::kMalformedXML);
}
BOOST_AUTO_TEST_CASE(one_thousand_objects_ok_1001_not) {
  BOOST_CHECK_EQUAL(ParseDeleteRequest(DeleteBody(1000))->objects.size(), 1000u);
  ExpectCode(ParseDeleteRequest(DeleteBody(1001)), ErrorCode::kMalformedXML);
}
BOOST_AUTO_TEST_CASE(missing_parts) {
  ExpectCode(ParseDeleteRequest(DeleteBody(0)), ErrorCode::kMalformedXML);
  ExpectCode(ParseDeleteRequest("<Delete><Object></Object></Delete>"), ErrorCode::kMalformedXML);
  ExpectCode(ParseDeleteRequest("<Delete><Object><VersionId>v</VersionId></Object></Delete>"),
             ErrorCode::kMalformedXML);
  ExpectCode(ParseDeleteRequest("<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>"),
             ErrorCode::kMalformedXML);
  ExpectCode(ParseDeleteRequest(""), ErrorCode::kMalformedXML);
  ExpectCode(ParseDeleteRequest("<Delete><Object><Key>a</Key></Object>"), ErrorCode::kMalformedXML);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(small_bodies)

BOOST_AUTO_TEST_CASE(create_bucket_configuration) {
  BOOST_CHECK_EQUAL(*ParseCreateBucketConfiguration(""), "");
  BOOST_CHECK_EQUAL(*ParseCreateBucketConfiguration(" \r\n"), "");
  BOOST_CHECK_EQUAL(*ParseCreateBucketConfiguration(
                        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/"
                        "\"><LocationConstraint> eu-west-3 </LocationConstraint>"
                        "</CreateBucketConfiguration>"),
                    "eu-west-3");
  BOOST_CHECK_EQUAL(*ParseCreateBucketConfiguration("<CreateBucketConfiguration/>"), "");
  ExpectCode(ParseCreateBucketConfiguration("<LocationConstraint>x</LocationConstraint>"),
             ErrorCode::kMalformedXML);
  ExpectCode(ParseCreateBucketConfiguration("<CreateBucketConfiguration><LocationConstraint>a"
                                            "</LocationConstraint><LocationConstraint>b"
                                            "</LocationConstraint></CreateBucketConfiguration>"),
             ErrorCode::kMalformedXML);
  ExpectCode(ParseCreateBucketConfiguration("<CreateBucketConfiguration>"),
             ErrorCode::kMalformedXML);
}

BOOST_AUTO_TEST_CASE(versioning_configuration) {
  BOOST_CHECK(*ParseVersioningConfiguration(
                  "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>") ==
              VersioningStatus::kEnabled);
  BOOST_CHECK(*ParseVersioningConfiguration(
                  "<VersioningConfiguration><MfaDelete>Disabled</MfaDelete><Status>Suspended"
                  "</Status></VersioningConfiguration>") == VersioningStatus::kSuspended);
  for (std::string_view body :
       {"", "<VersioningConfiguration/>",
        "<VersioningConfiguration><Status>enabled</Status></VersioningConfiguration>",
        "<VersioningConfiguration><Status>Disabled</Status></VersioningConfiguration>",
        "<VersioningConfiguration><Status>Enabled</Status><Status>Enabled</Status>"
        "</VersioningConfiguration>",
        "<Versioning><Status>Enabled</Status></Versioning>"}) {
    BOOST_TEST_CONTEXT(body) {
      ExpectCode(ParseVersioningConfiguration(body), ErrorCode::kMalformedXML);
    }
  }
}

std::string TaggingBody(const std::vector<XmlTag>& tags) {
  std::string b = "<Tagging><TagSet>";
  for (const XmlTag& t : tags)
    b += "<Tag><Key>" + t.key + "</Key><Value>" + t.value + "</Value></Tag>";
  return b + "</TagSet></Tagging>";
}

BOOST_AUTO_TEST_CASE(tagging) {
  auto r = ParseTagging(TaggingBody({{"k1", "v1"}, {"k2", ""}}));
  BOOST_REQUIRE(r.has_value());
  BOOST_CHECK((*r == std::vector<XmlTag>{{"k1", "v1"}, {"k2", ""}}));
  BOOST_CHECK(ParseTagging("<Tagging><TagSet/></Tagging>")->empty());
  std::vector<XmlTag> ten;
  for (int i = 0; i < 10; ++i) ten.push_back({"k" + std::to_string(i), "v"});
  BOOST_CHECK(ParseTagging(TaggingBody(ten)).has_value());
  ten.push_back({"k10", "v"});
  ExpectCode(ParseTagging(TaggingBody(ten)), ErrorCode::kInvalidTag);
  BOOST_CHECK(ParseTagging(TaggingBody(ten), kMaxBucketTags).has_value());
}
BOOST_AUTO_TEST_CASE(tagging_limits) {
  ExpectCode(ParseTagging(TaggingBody({{"k", "a"}, {"k", "b"}})), ErrorCode::kInvalidTag);
  BOOST_CHECK(ParseTagging(TaggingBody({{std::string(128, 'k'), std::string(256, 'v')}})));
  ExpectCode(ParseTagging(TaggingBody({{std::string(129, 'k'), "v"}})), ErrorCode::kInvalidTag);
  ExpectCode(ParseTagging(TaggingBody({{"k", std::string(257, 'v')}})), ErrorCode::kInvalidTag);
  ExpectCode(ParseTagging(TaggingBody({{"", "v"}})), ErrorCode::kInvalidTag);
  // Limits count characters, not bytes: 128 two-byte characters are fine.
  std::string wide;
  for (int i = 0; i < 128; ++i) wide += "\xc3\xa9";
  BOOST_CHECK(ParseTagging(TaggingBody({{wide, "v"}})).has_value());
}
BOOST_AUTO_TEST_CASE(tagging_malformed) {
  for (std::string_view body :
       {"", "<Tagging/>", "<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>",
        "<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>",
        "<Tagging><TagSet/><TagSet/></Tagging>", "<TagSet></TagSet>",
        "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet>"}) {
    BOOST_TEST_CONTEXT(body) { ExpectCode(ParseTagging(body), ErrorCode::kMalformedXML); }
  }
}
BOOST_AUTO_TEST_CASE(tagging_header) {
  auto r = ParseTaggingHeader("a=1&b%20c=d+e&empty=");
  BOOST_REQUIRE(r.has_value());
  BOOST_CHECK((*r == std::vector<XmlTag>{{"a", "1"}, {"b c", "d e"}, {"empty", ""}}));
  BOOST_CHECK(ParseTaggingHeader("")->empty());
  ExpectCode(ParseTaggingHeader("a=1&a=2"), ErrorCode::kInvalidTag);
  ExpectCode(ParseTaggingHeader("a=%zz"), ErrorCode::kInvalidArgument);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seglake::s3
