// S3 error codes: the names S3 puts in <Code>, their HTTP status, and the
// S3Error / S3Result types every function of this library reports with.
// No function of this library throws; failures come back as S3Error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace seglake::s3 {

enum class ErrorCode : uint8_t {
  kAccessDenied,
  kAuthorizationHeaderMalformed,
  kAuthorizationQueryParametersError,
  kBadDigest,
  kBadRequest,
  kBucketAlreadyExists,
  kBucketAlreadyOwnedByYou,
  kBucketNotEmpty,
  kEntityTooLarge,
  kEntityTooSmall,
  kIncompleteBody,
  kInternalError,
  kInvalidAccessKeyId,
  kInvalidArgument,
  kInvalidBucketName,
  kInvalidDigest,
  kInvalidLocationConstraint,
  kInvalidPart,
  kInvalidPartNumber,
  kInvalidPartOrder,
  kInvalidRange,
  kInvalidRequest,
  kInvalidStorageClass,
  kInvalidTag,
  kKeyTooLongError,
  kMalformedTrailerError,
  kMalformedXML,
  kMetadataTooLarge,
  kMethodNotAllowed,
  kMissingContentLength,
  kMissingRequestBodyError,
  kMissingSecurityHeader,
  kNoSuchBucket,
  kNoSuchKey,
  kNoSuchTagSet,
  kNoSuchUpload,
  kNoSuchVersion,
  kNotImplemented,
  kNotModified,
  kPreconditionFailed,
  kRequestTimeTooSkewed,
  kRequestTimeout,
  kServiceUnavailable,
  kSignatureDoesNotMatch,
  kSlowDown,
  kXAmzContentSHA256Mismatch,
};

// The code as S3 spells it in <Code>, e.g. "NoSuchKey".
std::string_view ErrorCodeName(ErrorCode code);
// The HTTP status S3 answers with, e.g. 404 for NoSuchKey.
int HttpStatus(ErrorCode code);
// S3's usual message for the code, used when an error carries none.
std::string_view DefaultMessage(ErrorCode code);
// Inverse of ErrorCodeName; nullopt for names not in the table.
std::optional<ErrorCode> ErrorCodeFromName(std::string_view name);

struct S3Error {
  ErrorCode code = ErrorCode::kInternalError;
  std::string message;  // empty: DefaultMessage(code)
  // For a 5xx, what failed inside (the engine's Status): logged with the
  // request id, never sent to the client.
  std::string cause;

  std::string_view name() const { return ErrorCodeName(code); }
  int http_status() const { return HttpStatus(code); }
  std::string_view text() const { return message.empty() ? DefaultMessage(code) : message; }
};

template <typename T>
using S3Result = tl::expected<T, S3Error>;
using S3Status = tl::expected<void, S3Error>;

inline tl::unexpected<S3Error> S3Err(ErrorCode code, std::string message = {}) {
  return tl::unexpected<S3Error>(S3Error{code, std::move(message), {}});
}

}  // namespace seglake::s3
