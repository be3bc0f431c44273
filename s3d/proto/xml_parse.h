// Parsers of the XML request bodies of S3, over pugixml without exceptions.
// Element names are matched without namespace prefixes; unknown elements
// are ignored. A body that is not well-formed XML, has the wrong root, or
// lacks a required element is MalformedXML.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proto/errors.h"
#include "proto/xml_types.h"

namespace seglake::s3 {

inline constexpr uint32_t kMaxPartNumber = 10000;
inline constexpr size_t kMaxDeleteObjects = 1000;

// CompleteMultipartUpload: at least one Part, each with PartNumber (1..10000,
// else InvalidArgument) and ETag, part numbers strictly ascending (else
// InvalidPartOrder).
S3Result<std::vector<CompletePartXml>> ParseCompleteMultipartUpload(std::string_view body);

// Delete (DeleteObjects): 1..1000 Object elements, each with a Key (which
// may be empty: the caller answers that key's error), optional VersionId
// and Quiet. The caller checks each key.
S3Result<DeleteRequestXml> ParseDeleteRequest(std::string_view body);

// CreateBucketConfiguration: the LocationConstraint, "" when absent or when
// the body is empty.
S3Result<std::string> ParseCreateBucketConfiguration(std::string_view body);

// VersioningConfiguration: Status Enabled or Suspended; MfaDelete ignored.
S3Result<VersioningStatus> ParseVersioningConfiguration(std::string_view body);

// Tagging/TagSet/Tag{Key,Value}; checked with CheckTags(max_tags).
S3Result<std::vector<XmlTag>> ParseTagging(std::string_view body, size_t max_tags = 10);

}  // namespace seglake::s3
