// Response documents of the S3 calls that are not listings, and the error
// document.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proto/errors.h"
#include "proto/xml_types.h"

namespace seglake::s3 {

std::string InitiateMultipartUploadXmlDoc(std::string_view bucket, std::string_view key,
                                          std::string_view upload_id);
std::string CompleteMultipartUploadXmlDoc(std::string_view location, std::string_view bucket,
                                          std::string_view key, std::string_view etag,
                                          const XmlChecksums& checksums);
// CopyObjectResult; CopyPartResult with `part` set.
std::string ObjectAttributesXmlDoc(const ObjectAttributesXml& a);
std::string CopyResultXmlDoc(std::string_view etag, int64_t last_modified_ns,
                             const XmlChecksums& checksums, bool part);
std::string DeleteResultXmlDoc(const DeleteResultXml& r);
// Status empty: never configured (an empty VersioningConfiguration).
std::string VersioningXmlDoc(std::string_view status);
// us-east-1 is written as an empty LocationConstraint, as S3 does.
std::string LocationXmlDoc(std::string_view region);
std::string TaggingXmlDoc(const std::vector<XmlTag>& tags);
std::string ErrorXmlDoc(const ErrorXml& e);
// The error document for an S3Error: code and message from the error.
std::string ErrorXmlDoc(const S3Error& error, std::string_view resource,
                        std::string_view request_id);

}  // namespace seglake::s3
