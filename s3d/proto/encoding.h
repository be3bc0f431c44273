// Byte encodings S3 speaks: lowercase hex, standard base64 (with padding),
// UTF-8 validation, and the ASCII helpers the parsers share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace seglake::s3 {

std::string HexEncode(std::string_view bytes);  // lowercase
bool IsLowerHex(std::string_view s);

std::string Base64Encode(std::string_view bytes);
// Strict: standard alphabet, length a multiple of 4, correct padding, no
// whitespace, and unused bits zero. nullopt on anything else.
std::optional<std::string> Base64Decode(std::string_view text);

// Well-formed UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF.
bool IsValidUtf8(std::string_view s);
// Number of code points; REQUIRES: IsValidUtf8(s).
size_t Utf8Length(std::string_view s);

std::string AsciiLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Strips spaces and horizontal tabs at both ends.
std::string_view TrimSpaces(std::string_view s);
// Whether s holds a control character other than HTAB (0x00-0x08,
// 0x0A-0x1F, 0x7F): bytes a header value must never carry, lest CR/LF split
// the response or NUL cut it.
bool HasControlChars(std::string_view s);
// An RFC 9110 token (a header name): one or more of A-Z a-z 0-9 and
// !#$%&'*+-.^_`|~.
bool IsHttpToken(std::string_view s);
// Decimal digits only (no sign, no spaces), at least one, fits in uint64.
std::optional<uint64_t> ParseDecimal(std::string_view s);

}  // namespace seglake::s3
