#include "proto/names.h"

#include <array>
#include <string>

#include "proto/encoding.h"

namespace seglake::s3 {
namespace {

constexpr std::array<std::string_view, 3> kReservedPrefixes = {"xn--", "sthree-", "amzn-s3-demo-"};
constexpr std::array<std::string_view, 5> kReservedSuffixes = {"-s3alias", "--ol-s3", ".mrap",
                                                               "--x-s3", "--table-s3"};

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// Four dot-separated groups of 1-3 digits, like 192.168.5.4.
bool LooksLikeIpv4(std::string_view name) {
  int groups = 0;
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    const std::string_view g = name.substr(start, dot - start);
    if (g.empty() || g.size() > 3) return false;
    for (char c : g) {
      if (c < '0' || c > '9') return false;
    }
    ++groups;
    start = dot + 1;
  }
  return groups == 4;
}

const char* BucketNameProblem(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return "must be between 3 and 63 characters long";
  for (char c : name) {
    if (!IsLowerAlnum(c) && c != '.' && c != '-') {
      return "can consist only of lowercase letters, numbers, dots and hyphens";
    }
  }
  if (!IsLowerAlnum(name.front()) || !IsLowerAlnum(name.back())) {
    return "must begin and end with a letter or number";
  }
  if (name.find("..") != std::string_view::npos) return "must not contain two adjacent periods";
  if (LooksLikeIpv4(name)) return "must not be formatted as an IP address";
  for (std::string_view p : kReservedPrefixes) {
    if (name.starts_with(p)) return "must not start with a reserved prefix";
  }
  for (std::string_view s : kReservedSuffixes) {
    if (name.ends_with(s)) return "must not end with a reserved suffix";
  }
  return nullptr;
}

}  // namespace

bool IsValidBucketName(std::string_view name) { return BucketNameProblem(name) == nullptr; }

S3Status CheckBucketName(std::string_view name) {
  if (const char* problem = BucketNameProblem(name)) {
    return S3Err(ErrorCode::kInvalidBucketName,
                 std::string("The specified bucket is not valid: a bucket name ") + problem + ".");
  }
  return {};
}

S3Status CheckObjectKey(std::string_view key) {
  if (key.empty()) return S3Err(ErrorCode::kInvalidArgument, "The object key must not be empty.");
  if (key.size() > kMaxKeyBytes) return S3Err(ErrorCode::kKeyTooLongError);
  if (!IsValidUtf8(key)) {
    return S3Err(ErrorCode::kInvalidArgument, "The object key is not valid UTF-8.");
  }
  return {};
}

}  // namespace seglake::s3
