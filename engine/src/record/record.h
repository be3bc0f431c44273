// Encoding and validation of one record header. Pure functions over bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "record/record_format.h"
#include "seglake/status.h"

namespace seglake::record {

struct Header {
  Type type = Type::kData;
  uint32_t length = 0;  // payload bytes
  uint32_t crc = 0;     // CRC32C of header bytes [0,12) and the payload
};

// Writes the 16-byte header for `payload` of `type` into out[0..16).
void EncodeHeader(Type type, std::string_view payload, char* out);
// Same, for a payload given as pieces (CRC over all of them).
uint32_t PayloadCrc(Type type, uint32_t length, std::string_view payload);

// Parses a header; Corruption if the magic, type, reserved bits or length are
// invalid. Does not check the payload CRC.
Result<Header> DecodeHeader(std::string_view bytes);
// Checks a payload against its header's CRC.
Status VerifyPayload(const Header& h, std::string_view payload);

}  // namespace seglake::record
