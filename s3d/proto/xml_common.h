// Pieces shared by the XML response builders.
#pragma once

#include <string>
#include <string_view>

#include "proto/xml_types.h"
#include "proto/xml_writer.h"

namespace seglake::s3 {

// "\"" + etag + "\"", leaving an already quoted ETag alone.
std::string QuoteEtag(std::string_view etag);
void WriteOwner(XmlWriter& w, std::string_view element, const XmlOwner& owner);
void WriteChecksums(XmlWriter& w, const XmlChecksums& c);
// Encodes by AWS URI rules (keeping '/') when encoding_type is "url".
std::string MaybeUrlEncode(std::string_view encoding_type, std::string_view text);

}  // namespace seglake::s3
