#include "base/status.h"

namespace pas {

const char* Status::KindName(Kind k) {
  switch (k) {
    case Kind::kOk: return "OK";
    case Kind::kIoError: return "IoError";
    case Kind::kCorruption: return "Corruption";
    case Kind::kInvalidArgument: return "InvalidArgument";
    case Kind::kNotSupported: return "NotSupported";
    case Kind::kNotFound: return "NotFound";
    case Kind::kBusy: return "Busy";
    case Kind::kAborted: return "Aborted";
    case Kind::kTimedOut: return "TimedOut";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(KindName(kind_)) + ": " + message_;
}

}  // namespace pas
