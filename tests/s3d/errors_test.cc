// The S3 error table and the Status translation.
#define BOOST_TEST_MODULE s3proto_errors
#include <boost/test/unit_test.hpp>

#include "proto/errors.h"
#include "proto/status_map.h"

namespace seglake::s3 {

BOOST_AUTO_TEST_CASE(http_statuses) {
  struct Row {
    ErrorCode code;
    std::string_view name;
    int status;
  };
  const Row rows[] = {
      {ErrorCode::kNoSuchBucket, "NoSuchBucket", 404},
      {ErrorCode::kNoSuchKey, "NoSuchKey", 404},
      {ErrorCode::kNoSuchUpload, "NoSuchUpload", 404},
      {ErrorCode::kNoSuchVersion, "NoSuchVersion", 404},
      {ErrorCode::kBucketNotEmpty, "BucketNotEmpty", 409},
      {ErrorCode::kBucketAlreadyOwnedByYou, "BucketAlreadyOwnedByYou", 409},
      {ErrorCode::kBucketAlreadyExists, "BucketAlreadyExists", 409},
      {ErrorCode::kInvalidPart, "InvalidPart", 400},
      {ErrorCode::kInvalidPartOrder, "InvalidPartOrder", 400},
      {ErrorCode::kEntityTooSmall, "EntityTooSmall", 400},
      {ErrorCode::kEntityTooLarge, "EntityTooLarge", 400},
      {ErrorCode::kPreconditionFailed, "PreconditionFailed", 412},
      {ErrorCode::kNotModified, "NotModified", 304},
      {ErrorCode::kInvalidRange, "InvalidRange", 416},
      {ErrorCode::kSignatureDoesNotMatch, "SignatureDoesNotMatch", 403},
      {ErrorCode::kAccessDenied, "AccessDenied", 403},
      {ErrorCode::kInvalidAccessKeyId, "InvalidAccessKeyId", 403},
      {ErrorCode::kRequestTimeTooSkewed, "RequestTimeTooSkewed", 403},
      {ErrorCode::kNotImplemented, "NotImplemented", 501},
      {ErrorCode::kInternalError, "InternalError", 500},
      {ErrorCode::kSlowDown, "SlowDown", 503},
      {ErrorCode::kServiceUnavailable, "ServiceUnavailable", 503},
      {ErrorCode::kMalformedXML, "MalformedXML", 400},
      {ErrorCode::kInvalidArgument, "InvalidArgument", 400},
      {ErrorCode::kInvalidBucketName, "InvalidBucketName", 400},
      {ErrorCode::kKeyTooLongError, "KeyTooLongError", 400},
      {ErrorCode::kBadDigest, "BadDigest", 400},
      {ErrorCode::kInvalidDigest, "InvalidDigest", 400},
      {ErrorCode::kMethodNotAllowed, "MethodNotAllowed", 405},
      {ErrorCode::kMissingContentLength, "MissingContentLength", 411},
      {ErrorCode::kAuthorizationHeaderMalformed, "AuthorizationHeaderMalformed", 400},
      {ErrorCode::kAuthorizationQueryParametersError, "AuthorizationQueryParametersError", 400},
      {ErrorCode::kMissingSecurityHeader, "MissingSecurityHeader", 400},
      {ErrorCode::kIncompleteBody, "IncompleteBody", 400},
      {ErrorCode::kMalformedTrailerError, "MalformedTrailerError", 400},
      {ErrorCode::kXAmzContentSHA256Mismatch, "XAmzContentSHA256Mismatch", 400},
      {ErrorCode::kInvalidTag, "InvalidTag", 400},
      {ErrorCode::kNoSuchTagSet, "NoSuchTagSet", 404},
  };
  for (const Row& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      BOOST_CHECK_EQUAL(ErrorCodeName(r.code), r.name);
      BOOST_CHECK_EQUAL(HttpStatus(r.code), r.status);
      BOOST_CHECK(*ErrorCodeFromName(r.name) == r.code);
      BOOST_CHECK(!DefaultMessage(r.code).empty());
    }
  }
  BOOST_CHECK(!ErrorCodeFromName("NoSuchThing"));
  BOOST_CHECK(!ErrorCodeFromName(""));
}

BOOST_AUTO_TEST_CASE(s3error_text) {
  S3Error e{ErrorCode::kNoSuchKey, "", {}};
  BOOST_CHECK_EQUAL(e.text(), "The specified key does not exist.");
  BOOST_CHECK_EQUAL(e.http_status(), 404);
  e.message = "custom";
  BOOST_CHECK_EQUAL(e.text(), "custom");
  S3Status st = S3Err(ErrorCode::kSlowDown);
  BOOST_CHECK(!st.has_value());
  BOOST_CHECK_EQUAL(st.error().name(), "SlowDown");
}

BOOST_AUTO_TEST_CASE(status_translation) {
  BOOST_CHECK(FromStatus(Status::NotFound("x")).code == ErrorCode::kNoSuchKey);
  Status nb = Status::NotFound("no bucket");
  nb.WithDetail("NoSuchBucket");
  S3Error e = FromStatus(nb);
  BOOST_CHECK(e.code == ErrorCode::kNoSuchBucket);
  BOOST_CHECK_EQUAL(e.message, "no bucket");
  Status ip = Status::InvalidArgument("etag mismatch");
  ip.WithDetail("InvalidPart");
  BOOST_CHECK(FromStatus(ip).code == ErrorCode::kInvalidPart);
  BOOST_CHECK(FromStatus(Status::NotEmpty("x")).code == ErrorCode::kBucketNotEmpty);
  BOOST_CHECK(FromStatus(Status::AlreadyExists("x")).code == ErrorCode::kBucketAlreadyOwnedByYou);
  BOOST_CHECK(FromStatus(Status::PreconditionFailed("x")).code == ErrorCode::kPreconditionFailed);
  BOOST_CHECK(FromStatus(Status::Busy("x")).code == ErrorCode::kSlowDown);
  BOOST_CHECK(FromStatus(Status::NotSupported("x")).code == ErrorCode::kNotImplemented);
  BOOST_CHECK(FromStatus(Status::NoSpace("x")).code == ErrorCode::kServiceUnavailable);
  S3Error io = FromStatus(Status::IOError("/data/segments/0001: EIO"));
  BOOST_CHECK(io.code == ErrorCode::kInternalError);
  BOOST_CHECK(io.message.empty());  // paths stay out of responses
  // ...but the cause of a 5xx is kept for the log.
  BOOST_CHECK(io.cause.find("/data/segments/0001: EIO") != std::string::npos);
  BOOST_CHECK(FromStatus(Status::NoSpace("disk full")).cause.find("disk full") !=
              std::string::npos);
  BOOST_CHECK(FromStatus(Status::NotFound("x")).cause.empty());
  BOOST_CHECK(FromStatus(Status::Corruption("x")).code == ErrorCode::kInternalError);
  Status unknown = Status::NotFound("x");
  unknown.WithDetail("NotAnS3Code");
  BOOST_CHECK(FromStatus(unknown).code == ErrorCode::kNoSuchKey);
}

}  // namespace seglake::s3
