#include <cerrno>
#include <cstring>
#include <string>

#include "seglake/status.h"

namespace seglake {

Status Status::FromErrno(int err, std::string_view context) {
  std::string m(context);
  m += ": ";
  m += std::strerror(err);
  switch (err) {
    case ENOENT:
      return NotFound(m);
    case EEXIST:
      return AlreadyExists(m);
    case ENOTEMPTY:
      return NotEmpty(m);
    case ENOSPC:
    case EDQUOT:
      return NoSpace(m);
    case EINVAL:
    case ENAMETOOLONG:
      return InvalidArgument(m);
    case EWOULDBLOCK:
      return Busy(m);
    case ENOTSUP:
      return NotSupported(m);
    default:
      return IOError(m);
  }
}

std::string Status::ToString() const {
  const char* name = "OK";
  switch (code_) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      name = "NotFound";
      break;
    case Code::kAlreadyExists:
      name = "AlreadyExists";
      break;
    case Code::kNotEmpty:
      name = "NotEmpty";
      break;
    case Code::kInvalidArgument:
      name = "InvalidArgument";
      break;
    case Code::kPreconditionFailed:
      name = "PreconditionFailed";
      break;
    case Code::kBusy:
      name = "Busy";
      break;
    case Code::kCorruption:
      name = "Corruption";
      break;
    case Code::kIOError:
      name = "IOError";
      break;
    case Code::kNoSpace:
      name = "NoSpace";
      break;
    case Code::kNotSupported:
      name = "NotSupported";
      break;
  }
  std::string s = name;
  if (!detail_.empty()) s += " (" + detail_ + ")";
  if (!msg_.empty()) s += ": " + msg_;
  return s;
}

}  // namespace seglake
