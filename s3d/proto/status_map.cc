#include "proto/status_map.h"

namespace seglake::s3 {
namespace {

ErrorCode ForCode(Status::Code code) {
  switch (code) {
    case Status::Code::kNotFound:
      return ErrorCode::kNoSuchKey;
    case Status::Code::kAlreadyExists:
      return ErrorCode::kBucketAlreadyOwnedByYou;
    case Status::Code::kNotEmpty:
      return ErrorCode::kBucketNotEmpty;
    case Status::Code::kInvalidArgument:
      return ErrorCode::kInvalidArgument;
    case Status::Code::kPreconditionFailed:
      return ErrorCode::kPreconditionFailed;
    case Status::Code::kBusy:
      return ErrorCode::kSlowDown;
    case Status::Code::kNotSupported:
      return ErrorCode::kNotImplemented;
    case Status::Code::kNoSpace:
      return ErrorCode::kServiceUnavailable;
    case Status::Code::kOk:
    case Status::Code::kCorruption:
    case Status::Code::kIOError:
      break;
  }
  return ErrorCode::kInternalError;
}

}  // namespace

S3Error FromStatus(const Status& status) {
  S3Error e;
  if (auto named = ErrorCodeFromName(status.detail())) {
    e = S3Error{*named, status.message(), {}};
  } else {
    e.code = ForCode(status.code());
    // Internal failures keep their detail out of the response body.
    if (e.code == ErrorCode::kServiceUnavailable) {
      e.message = "Insufficient storage space.";
    } else if (e.code != ErrorCode::kInternalError) {
      e.message = status.message();
    }
  }
  if (e.http_status() >= 500) e.cause = status.ToString();
  return e;
}

}  // namespace seglake::s3
