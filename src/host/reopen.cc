// The reopen protocol's two sides (host/reopen.h, doc/cckd-live.md).
#include "host/reopen.h"

#include <pthread.h>

#include <chrono>
#include <cstring>

#include "base/log.h"
#include "host/ucb.h"
#include "intercept/futex.h"

namespace pas::host {
namespace {

std::string ReadImage(UnitControlBlock* u) {
  LockRobust(&u->mutex);
  std::string s(u->reopen_image, strnlen(u->reopen_image, kPathMax));
  pthread_mutex_unlock(&u->mutex);
  return s;
}

bool ContextCleared(UnitControlBlock* u) {
  LockRobust(&u->mutex);
  const bool cleared = u->decision_path[0] == '\0';
  pthread_mutex_unlock(&u->mutex);
  return cleared;
}

// The live reopen user's slot + 1, or 0 (a dead one is cleared).
uint32_t LiveUser(System& system, UnitControlBlock* u) {
  uint32_t v = u->reopen_user.load(std::memory_order_seq_cst);
  if (v == 0) return 0;
  if (system.SlotAlive(static_cast<int>(v) - 1)) return v;
  if (u->reopen_user.compare_exchange_strong(v, 0)) {
    // Whatever it held or was asked for can never complete.
    u->reopen_state.store(kReopenIdle, std::memory_order_seq_cst);
    intercept::FutexWake(&u->reopen_state);
  }
  return 0;
}

}  // namespace

bool HasReopenUser(System& system, uint16_t devnum) {
  UnitControlBlock* u = system.FindUcb(devnum);
  return u != nullptr && LiveUser(system, u) != 0;
}

Result<bool> RequestReopen(System& system, uint16_t devnum, const std::string& image, int64_t timeout_us) {
  UnitControlBlock* u = system.FindUcb(devnum);
  if (u == nullptr) return Status::NotFound("unit " + FormatDevnum(devnum) + " is not defined");
  if (image.size() >= kPathMax) return Status::InvalidArgument("image path too long: " + image);
  const uint32_t user = LiveUser(system, u);
  if (user == 0) return false;
  LockRobust(&u->mutex);
  std::memset(u->reopen_image, 0, kPathMax);
  std::memcpy(u->reopen_image, image.data(), image.size());
  pthread_mutex_unlock(&u->mutex);
  u->reopen_requester.store(static_cast<uint32_t>(system.slot()) + 1, std::memory_order_seq_cst);
  u->reopen_seq.fetch_add(1, std::memory_order_seq_cst);
  // A release the user has not taken up yet ends within moments.
  const int64_t busy_until = MonotonicMicros() + 2'000'000;
  for (;;) {
    uint32_t idle = kReopenIdle;
    if (u->reopen_state.compare_exchange_strong(idle, kReopenRequested)) break;
    if (MonotonicMicros() > busy_until || LiveUser(system, u) == 0) {
      return Status::Busy("unit " + FormatDevnum(devnum) + ": a reopen is already in progress (state " +
                          std::to_string(idle) + ")");
    }
    intercept::FutexWait(&u->reopen_state, idle, 10'000);
  }
  intercept::FutexWake(&u->reopen_state);
  const int64_t deadline = MonotonicMicros() + timeout_us;
  for (;;) {
    const uint32_t s = u->reopen_state.load(std::memory_order_seq_cst);
    if (s == kReopenHeld) return true;
    if (s != kReopenRequested) return false;  // taken back by a new user's claim
    if (u->reopen_user.load() != user || !system.SlotAlive(static_cast<int>(user) - 1)) {
      uint32_t req = kReopenRequested;
      if (u->reopen_state.compare_exchange_strong(req, kReopenIdle)) return false;
      continue;
    }
    const int64_t left = deadline - MonotonicMicros();
    if (left <= 0) {
      uint32_t req = kReopenRequested;
      if (u->reopen_state.compare_exchange_strong(req, kReopenIdle)) {
        return Status::TimedOut("unit " + FormatDevnum(devnum) + ": the program using it did not reopen it within " +
                                std::to_string(timeout_us / 1000) + " ms");
      }
      continue;
    }
    intercept::FutexWait(&u->reopen_state, kReopenRequested, std::min<int64_t>(left, 50'000));
  }
}

void ReleaseReopen(System& system, uint16_t devnum) {
  UnitControlBlock* u = system.FindUcb(devnum);
  if (u == nullptr) return;
  uint32_t s = kReopenHeld;
  if (!u->reopen_state.compare_exchange_strong(s, kReopenReleased) && s == kReopenRequested)
    u->reopen_state.compare_exchange_strong(s, kReopenIdle);
  intercept::FutexWake(&u->reopen_state);
}

bool ClaimReopenUser(System& system, uint16_t devnum) {
  UnitControlBlock* u = system.FindUcb(devnum);
  if (u == nullptr || system.slot() < 0) return false;
  const uint32_t mine = static_cast<uint32_t>(system.slot()) + 1;
  for (;;) {
    uint32_t v = u->reopen_user.load(std::memory_order_seq_cst);
    if (v == mine) return true;
    if (v != 0 && system.SlotAlive(static_cast<int>(v) - 1)) return false;
    if (u->reopen_user.compare_exchange_strong(v, mine)) {
      // A dead user may have left its request held: nobody can complete it.
      if (v != 0) {
        u->reopen_state.store(kReopenIdle, std::memory_order_seq_cst);
        intercept::FutexWake(&u->reopen_state);
      }
      return true;
    }
  }
}

void DropReopenUser(System& system, uint16_t devnum) {
  UnitControlBlock* u = system.FindUcb(devnum);
  if (u == nullptr || system.slot() < 0) return;
  uint32_t mine = static_cast<uint32_t>(system.slot()) + 1;
  u->reopen_user.compare_exchange_strong(mine, 0);
}

ReopenRequest PendingReopen(System& system, uint16_t devnum) {
  UnitControlBlock* u = system.FindUcb(devnum);
  if (u == nullptr || u->reopen_state.load(std::memory_order_seq_cst) != kReopenRequested) return {};
  ReopenRequest r;
  r.seq = u->reopen_seq.load(std::memory_order_seq_cst);
  r.image = ReadImage(u);
  // A requester that died before its request was taken up: withdrawn.
  const uint32_t req = u->reopen_requester.load();
  if (req == 0 || !system.SlotAlive(static_cast<int>(req) - 1)) {
    uint32_t s = kReopenRequested;
    u->reopen_state.compare_exchange_strong(s, kReopenIdle);
    system.RecoverOrphans(-1);
    return {};
  }
  return r;
}

uint32_t WaitReopenState(System& system, uint16_t devnum, uint32_t seen, int64_t timeout_us) {
  UnitControlBlock* u = system.FindUcb(devnum);
  if (u == nullptr) return kReopenIdle;
  intercept::FutexWait(&u->reopen_state, seen, timeout_us);
  return u->reopen_state.load(std::memory_order_seq_cst);
}

bool HoldReopen(System& system, uint16_t devnum, uint32_t seq) {
  UnitControlBlock* u = system.FindUcb(devnum);
  if (u == nullptr || u->reopen_seq.load() != seq) return false;
  uint32_t s = kReopenRequested;
  if (!u->reopen_state.compare_exchange_strong(s, kReopenHeld)) return false;
  intercept::FutexWake(&u->reopen_state);
  for (;;) {
    s = u->reopen_state.load(std::memory_order_seq_cst);
    if (s == kReopenReleased) break;
    if (s != kReopenHeld) return true;
    const uint32_t req = u->reopen_requester.load();
    if (req == 0 || !system.SlotAlive(static_cast<int>(req) - 1)) {
      // The participant died: the unit table's recovery follows the
      // decision (SOURCE when none exists) and ends its quiesce.
      Logger("intercept")->warn("{}: unit {}: the participant that asked for the reopen died", system.name(),
                                FormatDevnum(devnum));
      system.RecoverOrphans(-1);
      break;
    }
    if (ContextCleared(u)) break;  // the participant ended without releasing
    intercept::FutexWait(&u->reopen_state, kReopenHeld, 50'000);
  }
  uint32_t cur = u->reopen_state.load();
  if (cur == kReopenReleased || cur == kReopenHeld) u->reopen_state.compare_exchange_strong(cur, kReopenIdle);
  return true;
}

}  // namespace pas::host
