#include "proto/errors.h"

#include <array>

namespace seglake::s3 {
namespace {

struct Entry {
  ErrorCode code;
  std::string_view name;
  int status;
  std::string_view message;
};

// One row per ErrorCode, in enum order (checked by the unit test).
constexpr std::array kTable = {
    Entry{ErrorCode::kAccessDenied, "AccessDenied", 403, "Access Denied"},
    Entry{ErrorCode::kAuthorizationHeaderMalformed, "AuthorizationHeaderMalformed", 400,
          "The authorization header is malformed."},
    Entry{ErrorCode::kAuthorizationQueryParametersError, "AuthorizationQueryParametersError", 400,
          "Error parsing the X-Amz-Credential parameter."},
    Entry{ErrorCode::kBadDigest, "BadDigest", 400,
          "The Content-MD5 or checksum you specified did not match what we received."},
    Entry{ErrorCode::kBadRequest, "BadRequest", 400, "Bad Request"},
    Entry{ErrorCode::kBucketAlreadyExists, "BucketAlreadyExists", 409,
          "The requested bucket name is not available."},
    Entry{ErrorCode::kBucketAlreadyOwnedByYou, "BucketAlreadyOwnedByYou", 409,
          "Your previous request to create the named bucket succeeded and you already own it."},
    Entry{ErrorCode::kBucketNotEmpty, "BucketNotEmpty", 409,
          "The bucket you tried to delete is not empty."},
    Entry{ErrorCode::kEntityTooLarge, "EntityTooLarge", 400,
          "Your proposed upload exceeds the maximum allowed object size."},
    Entry{ErrorCode::kEntityTooSmall, "EntityTooSmall", 400,
          "Your proposed upload is smaller than the minimum allowed object size."},
    Entry{ErrorCode::kIncompleteBody, "IncompleteBody", 400,
          "You did not provide the number of bytes specified by the Content-Length HTTP header."},
    Entry{ErrorCode::kInternalError, "InternalError", 500,
          "We encountered an internal error. Please try again."},
    Entry{ErrorCode::kInvalidAccessKeyId, "InvalidAccessKeyId", 403,
          "The AWS Access Key Id you provided does not exist in our records."},
    Entry{ErrorCode::kInvalidArgument, "InvalidArgument", 400, "Invalid Argument"},
    Entry{ErrorCode::kInvalidBucketName, "InvalidBucketName", 400,
          "The specified bucket is not valid."},
    Entry{ErrorCode::kInvalidDigest, "InvalidDigest", 400,
          "The Content-MD5 or checksum you specified is not valid."},
    Entry{ErrorCode::kInvalidLocationConstraint, "InvalidLocationConstraint", 400,
          "The specified location constraint is not valid."},
    Entry{ErrorCode::kInvalidPart, "InvalidPart", 400,
          "One or more of the specified parts could not be found. The part may not have been "
          "uploaded, or the specified entity tag may not match the part's entity tag."},
    Entry{ErrorCode::kInvalidPartNumber, "InvalidPartNumber", 416,
          "The requested partnumber is not satisfiable"},
    Entry{ErrorCode::kInvalidPartOrder, "InvalidPartOrder", 400,
          "The list of parts was not in ascending order. The parts list must be specified in "
          "order by part number."},
    Entry{ErrorCode::kInvalidRange, "InvalidRange", 416, "The requested range is not satisfiable"},
    Entry{ErrorCode::kInvalidRequest, "InvalidRequest", 400, "Invalid Request"},
    Entry{ErrorCode::kInvalidStorageClass, "InvalidStorageClass", 400,
          "The storage class you specified is not valid."},
    Entry{ErrorCode::kInvalidTag, "InvalidTag", 400, "The tag provided was not a valid tag."},
    Entry{ErrorCode::kKeyTooLongError, "KeyTooLongError", 400, "Your key is too long."},
    Entry{ErrorCode::kMalformedTrailerError, "MalformedTrailerError", 400,
          "The request contained trailing data that was not well-formed or did not conform to "
          "our published schema."},
    Entry{ErrorCode::kMalformedXML, "MalformedXML", 400,
          "The XML you provided was not well-formed or did not validate against our published "
          "schema."},
    Entry{ErrorCode::kMetadataTooLarge, "MetadataTooLarge", 400,
          "Your metadata headers exceed the maximum allowed metadata size."},
    Entry{ErrorCode::kMethodNotAllowed, "MethodNotAllowed", 405,
          "The specified method is not allowed against this resource."},
    Entry{ErrorCode::kMissingContentLength, "MissingContentLength", 411,
          "You must provide the Content-Length HTTP header."},
    Entry{ErrorCode::kMissingRequestBodyError, "MissingRequestBodyError", 400,
          "Request Body is empty."},
    Entry{ErrorCode::kMissingSecurityHeader, "MissingSecurityHeader", 400,
          "Your request is missing a required header."},
    Entry{ErrorCode::kNoSuchBucket, "NoSuchBucket", 404, "The specified bucket does not exist"},
    Entry{ErrorCode::kNoSuchKey, "NoSuchKey", 404, "The specified key does not exist."},
    Entry{ErrorCode::kNoSuchTagSet, "NoSuchTagSet", 404, "The TagSet does not exist"},
    Entry{ErrorCode::kNoSuchUpload, "NoSuchUpload", 404,
          "The specified upload does not exist. The upload ID may be invalid, or the upload may "
          "have been aborted or completed."},
    Entry{ErrorCode::kNoSuchVersion, "NoSuchVersion", 404, "The specified version does not exist."},
    Entry{ErrorCode::kNotImplemented, "NotImplemented", 501,
          "A header you provided implies functionality that is not implemented."},
    Entry{ErrorCode::kNotModified, "NotModified", 304, "Not Modified"},
    Entry{ErrorCode::kPreconditionFailed, "PreconditionFailed", 412,
          "At least one of the preconditions you specified did not hold."},
    Entry{ErrorCode::kRequestTimeTooSkewed, "RequestTimeTooSkewed", 403,
          "The difference between the request time and the server's time is too large."},
    Entry{ErrorCode::kRequestTimeout, "RequestTimeout", 400,
          "Your socket connection to the server was not read from or written to within the "
          "timeout period."},
    Entry{ErrorCode::kServiceUnavailable, "ServiceUnavailable", 503,
          "Please reduce your request rate."},
    Entry{ErrorCode::kSignatureDoesNotMatch, "SignatureDoesNotMatch", 403,
          "The request signature we calculated does not match the signature you provided. Check "
          "your key and signing method."},
    Entry{ErrorCode::kSlowDown, "SlowDown", 503, "Please reduce your request rate."},
    Entry{ErrorCode::kXAmzContentSHA256Mismatch, "XAmzContentSHA256Mismatch", 400,
          "The provided 'x-amz-content-sha256' header does not match what was computed."},
};

constexpr bool TableInEnumOrder() {
  for (size_t i = 0; i < kTable.size(); ++i) {
    if (static_cast<size_t>(kTable[i].code) != i) return false;
  }
  return true;
}
static_assert(TableInEnumOrder(), "kTable rows must follow the ErrorCode order");

const Entry& Lookup(ErrorCode code) {
  const auto i = static_cast<size_t>(code);
  return i < kTable.size() ? kTable[i] : kTable[static_cast<size_t>(ErrorCode::kInternalError)];
}

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) { return Lookup(code).name; }
int HttpStatus(ErrorCode code) { return Lookup(code).status; }
std::string_view DefaultMessage(ErrorCode code) { return Lookup(code).message; }

std::optional<ErrorCode> ErrorCodeFromName(std::string_view name) {
  for (const Entry& e : kTable) {
    if (e.name == name) return e.code;
  }
  return std::nullopt;
}

}  // namespace seglake::s3
