// JSON forms of version attributes and checksums, stored in meta.db's `info`
// columns and in metadata log records.
#pragma once

#include <nlohmann/json.hpp>

#include "seglake/types.h"

namespace seglake::meta {

nlohmann::json AttrsToJson(const ObjectAttrs& a);
ObjectAttrs AttrsFromJson(const nlohmann::json& j);
nlohmann::json ChecksumsToJson(const Checksums& c);
Checksums ChecksumsFromJson(const nlohmann::json& j);
nlohmann::json ChecksumSetToJson(const ChecksumSet& c);
ChecksumSet ChecksumSetFromJson(const nlohmann::json& j);

// The `info` column of a version: attributes, checksums, part sizes.
nlohmann::json VersionInfoJson(const ObjectInfo& o);
void VersionInfoFromJson(const nlohmann::json& j, ObjectInfo* o);
// Parses without exceptions; an unparsable text yields a discarded value.
nlohmann::json ParseJson(std::string_view text);

}  // namespace seglake::meta
