// Response documents of the S3 listing calls.
#pragma once

#include <string>

#include "proto/xml_types.h"

namespace seglake::s3 {

std::string ListBucketsXmlDoc(const ListBucketsXml& r);    // ListAllMyBucketsResult
std::string ListObjectsV1XmlDoc(const ListObjectsXml& r);  // ListBucketResult
std::string ListObjectsV2XmlDoc(const ListObjectsXml& r);  // ListBucketResult, KeyCount
std::string ListVersionsXmlDoc(const ListVersionsXml& r);  // ListVersionsResult
std::string ListUploadsXmlDoc(const ListUploadsXml& r);    // ListMultipartUploadsResult
std::string ListPartsXmlDoc(const ListPartsXml& r);        // ListPartsResult

}  // namespace seglake::s3
