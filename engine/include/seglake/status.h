// Status and Result: how every engine call reports failure. No exceptions cross
// the engine API. Status is cheap to copy; an OK status carries no message.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace seglake {

class [[nodiscard]] Status {
 public:
  enum class Code : unsigned char {
    kOk = 0,
    kNotFound,
    kAlreadyExists,
    kNotEmpty,
    kInvalidArgument,
    kPreconditionFailed,
    kBusy,
    kCorruption,
    kIOError,
    kNoSpace,
    kNotSupported,
  };

  Status() = default;
  static Status OK() { return Status(); }
  static Status NotFound(std::string_view m) { return Status(Code::kNotFound, m); }
  static Status AlreadyExists(std::string_view m) { return Status(Code::kAlreadyExists, m); }
  static Status NotEmpty(std::string_view m) { return Status(Code::kNotEmpty, m); }
  static Status InvalidArgument(std::string_view m) { return Status(Code::kInvalidArgument, m); }
  static Status PreconditionFailed(std::string_view m) {
    return Status(Code::kPreconditionFailed, m);
  }
  static Status Busy(std::string_view m) { return Status(Code::kBusy, m); }
  static Status Corruption(std::string_view m) { return Status(Code::kCorruption, m); }
  static Status IOError(std::string_view m) { return Status(Code::kIOError, m); }
  static Status NoSpace(std::string_view m) { return Status(Code::kNoSpace, m); }
  static Status NotSupported(std::string_view m) { return Status(Code::kNotSupported, m); }
  // Maps an errno value from a failed system call to a Status.
  static Status FromErrno(int err, std::string_view context);

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return msg_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsAlreadyExists() const { return code_ == Code::kAlreadyExists; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsPreconditionFailed() const { return code_ == Code::kPreconditionFailed; }
  bool IsBusy() const { return code_ == Code::kBusy; }
  bool IsNotEmpty() const { return code_ == Code::kNotEmpty; }
  std::string ToString() const;

  // Sub-kind carried with some codes so front ends can pick the exact error
  // (NoSuchBucket vs NoSuchKey vs NoSuchUpload, InvalidPart, ...).
  Status& WithDetail(std::string_view d) {
    detail_ = d;
    return *this;
  }
  const std::string& detail() const { return detail_; }

 private:
  Status(Code c, std::string_view m) : code_(c), msg_(m) {}
  Code code_ = Code::kOk;
  std::string msg_;
  std::string detail_;
};

template <typename T>
using Result = tl::expected<T, Status>;

inline tl::unexpected<Status> Err(Status s) { return tl::unexpected<Status>(std::move(s)); }

}  // namespace seglake

// Propagate a non-OK Status: SEGLAKE_RETURN_IF_ERROR in functions returning
// Status, SEGLAKE_TRY in functions returning Result<T>.
#define SEGLAKE_RETURN_IF_ERROR(expr) \
  do {                                \
    ::seglake::Status _st = (expr);   \
    if (!_st.ok()) return _st;        \
  } while (0)
#define SEGLAKE_TRY(expr)                      \
  do {                                         \
    ::seglake::Status _st = (expr);            \
    if (!_st.ok()) return ::seglake::Err(_st); \
  } while (0)
