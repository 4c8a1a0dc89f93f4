// The steps of the host I/O path (doc/host-io.md, "The host I/O path")
// for one I/O slot, shared by UnitIo and the preloaded intercept
// (src/intercept/preload): publish the in-flight word, wait at the quiesce
// gate, mark written tracks while the intercept is installed, leave, pace.
// And the registration step of opening a unit for I/O (freeze and moved
// markers of the image's online registry).
//
// Thread/process safety: every function may run concurrently from any
// thread of any process of the system; one InflightSlot is used by one
// thread at a time. Private to the host side (UnitControlBlock is in
// host/ucb.h).
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "host/online_registry.h"
#include "host/unit_table.h"

namespace pas::host {

// One process slot's in-flight word for I/O (System::ClaimSlot).
struct InflightSlot {
  int slot = -1;
  uint32_t seq = 0;  // high half of the word: bumped on every store
};

// Stores the slot's in-flight word with a fresh sequence number (seq_cst).
// `state` is 0 or (track + 1) | kInflightWrite for a write.
void PublishInflight(UnitControlBlock* ucb, InflightSlot* slot, uint32_t state);

// Steps (1) and (2): publishes `state` and returns once the unit is not
// quiesced (the word stays published). While quiesced the word is cleared,
// the quiescer woken, and the caller waits on the quiesce word, running the
// dead-holder recovery when the holder died; `after_wait(arg)` (may be
// null) runs after each such wait. Returns the microseconds waited.
int64_t PassQuiesceGate(System& system, UnitControlBlock* ucb, InflightSlot* slot, uint32_t state,
                        void (*after_wait)(void*), void* arg);

// Step (5): clears the in-flight word and wakes a quiescer waiting to drain.
void LeaveIo(UnitControlBlock* ucb, InflightSlot* slot);

// True when the unit's change-tracking intercept is installed (seq_cst).
bool InterceptInstalled(const UnitControlBlock* ucb);
// Marks `track` in the unit's dirty bitmap.
void MarkDirty(System& system, UnitControlBlock* ucb, uint32_t track);

// After a write, outside the in-flight window: the pacing delay a swap
// asks for (host/pacing.h). Returns the microseconds slept (0 when not
// pacing: one relaxed load). A pace whose setter died is cleared.
int64_t PaceAfterWrite(System& system, UnitControlBlock* ucb);

// The stripe mutex of `track` (robust, process-shared).
pthread_mutex_t* TrackStripe(UnitControlBlock* ucb, uint32_t track);

// The registration step of opening unit `devnum` for I/O: registers this
// system in the online registry of the unit's current image FIRST, then
// reads the freeze / moved marker. Frozen and this system not a
// participant: drops the registration and waits (polling every 50 ms)
// until the decision exists; SWAP and moved follow the volume to its
// target (the unit's image changes, generation ++). Returns the
// registration; its image_path() is the image to open. Errors: NotFound
// (unknown unit), Busy (PAS196E offline), IoError / Corruption (PAS197E).
Result<RegistryEntry> RegisterUnitUse(System& system, uint16_t devnum);

}  // namespace pas::host
