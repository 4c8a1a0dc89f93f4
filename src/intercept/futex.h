// Process-shared futex helpers: wait on and wake a 32-bit atomic word that
// may live in shared memory (the unit table). They use the raw futex(2)
// system call WITHOUT FUTEX_PRIVATE_FLAG, so waiters and wakers in
// different processes that map the same file page meet; std::atomic::wait
// uses private futexes and would not.
//
// Thread- and process-safe. FutexWait blocks; FutexWake does not.
#pragma once

#include <atomic>
#include <cstdint>

namespace pas::intercept {

static_assert(std::atomic<uint32_t>::is_always_lock_free);
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));

enum class FutexWaitResult { kWoken, kValueChanged, kTimedOut, kInterrupted };

// Blocks while `*word == expected`, for at most `timeout_us` microseconds
// (negative: no limit). Returns kValueChanged at once when the word no
// longer holds `expected`; kWoken after a FutexWake (or a spurious wake-up:
// callers re-check their condition); kTimedOut; kInterrupted on a signal.
FutexWaitResult FutexWait(std::atomic<uint32_t>* word, uint32_t expected, int64_t timeout_us);

// Wakes up to `count` waiters blocked on `word` (default: all). Returns the
// number woken. Never blocks.
int FutexWake(std::atomic<uint32_t>* word, int count = INT32_MAX);

}  // namespace pas::intercept
