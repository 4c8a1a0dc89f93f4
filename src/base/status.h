// Status and Result<T>: the error values every pas library returns.
//
// A Status is either OK or carries a named kind, the errno that caused it
// (0 when none) and a context message that says what failed and where
// ("unit 1887 track 42: short read"). Result<T> holds a T or a non-OK Status.
// Library code (ckd, host, intercept, engine, monitor) never throws: it
// returns these. Both are plain values; a given object is not safe for
// concurrent mutation, copies are independent.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <variant>

namespace pas {

class Status {
 public:
  enum class Kind {
    kOk = 0,
    kIoError,          // the operating system failed an I/O call (errno set)
    kCorruption,       // on-disk data is not what the format says
    kInvalidArgument,  // the caller or the user supplied something malformed
    kNotSupported,     // valid but not handled by this implementation
    kNotFound,         // a named thing does not exist
    kBusy,             // in use by someone else (a lock is held, a unit is online)
    kAborted,          // an operation was cancelled by a decision (swap aborted)
    kTimedOut,         // a wait ran out
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status IoError(std::string msg, int err = 0) {
    return Status(Kind::kIoError, std::move(msg), err);
  }
  static Status Corruption(std::string msg) { return Status(Kind::kCorruption, std::move(msg)); }
  static Status InvalidArgument(std::string msg) {
    return Status(Kind::kInvalidArgument, std::move(msg));
  }
  static Status NotSupported(std::string msg) { return Status(Kind::kNotSupported, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(Kind::kNotFound, std::move(msg)); }
  static Status Busy(std::string msg) { return Status(Kind::kBusy, std::move(msg)); }
  static Status Aborted(std::string msg) { return Status(Kind::kAborted, std::move(msg)); }
  static Status TimedOut(std::string msg) { return Status(Kind::kTimedOut, std::move(msg)); }
  // An IoError from the current errno value, "what: strerror(errno)".
  static Status FromErrno(const std::string& what, int err = errno) {
    return Status(Kind::kIoError, what + ": " + std::strerror(err), err);
  }

  bool ok() const { return kind_ == Kind::kOk; }
  Kind kind() const { return kind_; }
  int err() const { return errno_; }
  const std::string& message() const { return message_; }
  bool IsIoError() const { return kind_ == Kind::kIoError; }
  bool IsCorruption() const { return kind_ == Kind::kCorruption; }
  bool IsInvalidArgument() const { return kind_ == Kind::kInvalidArgument; }
  bool IsNotFound() const { return kind_ == Kind::kNotFound; }
  bool IsBusy() const { return kind_ == Kind::kBusy; }
  bool IsAborted() const { return kind_ == Kind::kAborted; }
  bool IsTimedOut() const { return kind_ == Kind::kTimedOut; }

  // A copy whose message is "prefix: message" (kind and errno kept).
  Status WithContext(const std::string& prefix) const {
    if (ok()) return *this;
    return Status(kind_, prefix + ": " + message_, errno_);
  }

  // "Corruption: unit 1887 track 3: missing end of track".
  std::string ToString() const;
  static const char* KindName(Kind k);

 private:
  Status(Kind k, std::string msg, int err = 0) : kind_(k), errno_(err), message_(std::move(msg)) {}
  Kind kind_ = Kind::kOk;
  int errno_ = 0;
  std::string message_;
};

// Holds either a value or a non-OK Status. Constructing from an OK Status is
// a programming error and is turned into kInvalidArgument.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status s) : v_(s.ok() ? Status::InvalidArgument("Result built from OK status") : std::move(s)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace pas

// Return early from a function returning Status or Result<T>.
#define PAS_RETURN_IF_ERROR(expr)               \
  do {                                          \
    ::pas::Status pas_status_ = (expr);         \
    if (!pas_status_.ok()) return pas_status_;  \
  } while (0)

#define PAS_CONCAT_INNER(a, b) a##b
#define PAS_CONCAT(a, b) PAS_CONCAT_INNER(a, b)
// `PAS_ASSIGN_OR_RETURN(auto x, Foo());` — x is the value or the function returns the status.
#define PAS_ASSIGN_OR_RETURN(lhs, expr)                              \
  auto PAS_CONCAT(pas_result_, __LINE__) = (expr);                   \
  if (!PAS_CONCAT(pas_result_, __LINE__).ok())                       \
    return PAS_CONCAT(pas_result_, __LINE__).status();               \
  lhs = std::move(PAS_CONCAT(pas_result_, __LINE__)).value()
