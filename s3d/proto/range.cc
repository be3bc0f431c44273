#include "proto/range.h"

#include <optional>

#include "proto/encoding.h"

namespace seglake::s3 {
namespace {

// A run of decimal digits; saturates at UINT64_MAX instead of failing.
struct Number {
  uint64_t value = 0;
  bool overflow = false;
};

std::optional<Number> ParseDigits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  Number n;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto d = static_cast<uint64_t>(c - '0');
    if (n.overflow || n.value > (UINT64_MAX - d) / 10) {
      n.overflow = true;
      n.value = UINT64_MAX;
    } else {
      n.value = n.value * 10 + d;
    }
  }
  return n;
}

struct Spec {
  bool suffix = false;
  Number first, last;
  bool has_last = false;
};

std::optional<Spec> ParseSpec(std::string_view s) {
  s = TrimSpaces(s);
  const size_t dash = s.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  Spec spec;
  const std::string_view a = s.substr(0, dash);
  const std::string_view b = s.substr(dash + 1);
  if (a.empty()) {
    auto n = ParseDigits(b);
    if (!n) return std::nullopt;
    spec.suffix = true;
    spec.last = *n;
    return spec;
  }
  auto first = ParseDigits(a);
  if (!first) return std::nullopt;
  spec.first = *first;
  if (!b.empty()) {
    auto last = ParseDigits(b);
    if (!last) return std::nullopt;
    // Both saturated: the true values are unknown, so the order is too.
    if (!(first->overflow && last->overflow) && last->value < first->value) return std::nullopt;
    spec.last = *last;
    spec.has_last = true;
  }
  return spec;
}

}  // namespace

RangeResult ResolveRange(std::string_view header, uint64_t size) {
  constexpr std::string_view kUnit = "bytes=";
  RangeResult result;
  if (header.size() < kUnit.size() || !EqualsIgnoreCase(header.substr(0, kUnit.size()), kUnit)) {
    return result;
  }
  std::string_view rest = header.substr(kUnit.size());
  std::optional<Spec> spec;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    if (!TrimSpaces(item).empty()) {  // RFC 7230 #rule: empty list elements are allowed
      if (spec) return result;        // a second range: S3 ignores the header
      spec = ParseSpec(item);
      if (!spec) return result;
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (!spec) return result;

  result.outcome = RangeOutcome::kUnsatisfiable;
  if (size == 0) return result;
  if (spec->suffix) {
    if (spec->last.value == 0) return result;
    const uint64_t n = spec->last.value < size ? spec->last.value : size;
    result.range = {size - n, size - 1};
  } else {
    if (spec->first.value >= size) return result;
    const uint64_t last =
        spec->has_last && spec->last.value < size - 1 ? spec->last.value : size - 1;
    result.range = {spec->first.value, last};
  }
  result.outcome = RangeOutcome::kRange;
  return result;
}

S3Result<ByteRange> ResolveCopySourceRange(std::string_view header, uint64_t size) {
  constexpr std::string_view kUnit = "bytes=";
  const auto malformed = [] {
    return S3Err(ErrorCode::kInvalidArgument,
                 "The x-amz-copy-source-range value must be of the form bytes=first-last where "
                 "first and last are the zero-based offsets of the first and last bytes to copy");
  };
  if (!header.starts_with(kUnit)) return malformed();
  const std::string_view rest = header.substr(kUnit.size());
  const size_t dash = rest.find('-');
  if (dash == std::string_view::npos) return malformed();
  auto first = ParseDecimal(rest.substr(0, dash));
  auto last = ParseDecimal(rest.substr(dash + 1));
  if (!first || !last || *first > *last) return malformed();
  if (*last >= size) {
    return S3Err(ErrorCode::kInvalidRange,
                 "The requested range is not satisfiable: it ends past the source object.");
  }
  return ByteRange{*first, *last};
}

}  // namespace seglake::s3
