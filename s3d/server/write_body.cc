#include "server/write_body.h"

#include <optional>

#include "proto/checksum.h"

namespace seglake::s3d {

s3::S3Status WriteBody(const Context& c, Payload& body, const ChecksumPlan& plan,
                       ObjectWriter& writer) {
  std::optional<s3::Checksummer> declared;
  if (plan.header_alg) declared.emplace(*plan.header_alg);
  auto st = body.ReadTo(
      [&](std::string_view data) -> s3::S3Status {
        if (declared) declared->Update(data);
        if (Status s = writer.Append(data.data(), data.size()); !s.ok()) return Fail(s);
        return {};
      },
      c.cfg.max_object_bytes);
  if (!st) return st;
  if (auto md5 = CheckContentMd5(c, writer.Md5Hex()); !md5) return md5;
  if (declared && declared->FinalBase64() != plan.header_value) {
    return s3::S3Err(s3::ErrorCode::kBadDigest,
                     "The " + std::string(s3::ChecksumName(*plan.header_alg)) +
                         " you specified did not match the calculated checksum.");
  }
  return {};
}

}  // namespace seglake::s3d
