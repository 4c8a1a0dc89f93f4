#include "intercept/futex.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

namespace pas::intercept {

// FUTEX_WAIT / FUTEX_WAKE without FUTEX_PRIVATE_FLAG: the kernel keys the
// futex by the backing page (inode + offset for a shared file mapping), so
// processes mapping the unit table at different addresses meet.
FutexWaitResult FutexWait(std::atomic<uint32_t>* word, uint32_t expected, int64_t timeout_us) {
  timespec ts{};
  timespec* tsp = nullptr;
  if (timeout_us >= 0) {
    ts.tv_sec = timeout_us / 1'000'000;
    ts.tv_nsec = (timeout_us % 1'000'000) * 1000;
    tsp = &ts;
  }
  long rc = ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, expected, tsp,
                      nullptr, 0);
  if (rc == 0) return FutexWaitResult::kWoken;
  switch (errno) {
    case EAGAIN: return FutexWaitResult::kValueChanged;
    case ETIMEDOUT: return FutexWaitResult::kTimedOut;
    case EINTR: return FutexWaitResult::kInterrupted;
    default: return FutexWaitResult::kWoken;  // callers re-check their condition
  }
}

int FutexWake(std::atomic<uint32_t>* word, int count) {
  long rc = ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, count, nullptr,
                      nullptr, 0);
  return rc < 0 ? 0 : static_cast<int>(rc);
}

}  // namespace pas::intercept
