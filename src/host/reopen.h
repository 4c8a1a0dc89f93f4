// The reopen of a unit by a program whose descriptors cannot be switched in
// place at a swap: Hercules on a compressed (CCKD) image keeps the file's
// lookup tables, free space and changed tracks in its own memory, so it
// must close the source (flushing everything through the intercept, where
// the writes are marked) and open the new image itself. Protocol, states
// and why no write is lost: doc/cckd-live.md, "The reopen at the swap".
//
// Two sides meet in the unit control block:
//  - the program's side (the preload intercept in that process) claims the
//    unit as its reopen user while it has descriptors on it, and when asked
//    closes them all and holds its open of the new image until released;
//  - a participant (the job for its own system, a monitor for the others)
//    asks before it quiesces the unit and releases after it followed the
//    decision.
// Every function is safe from any thread and any process of the system.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "host/unit_table.h"

namespace pas::host {

// The participant's side.
//
// True when a live process of the system is the unit's reopen user (a
// dead one is cleared). Never blocks.
bool HasReopenUser(System& system, uint16_t devnum);

// Asks the unit's reopen user to close every descriptor of the unit and
// reopen it as `image`, and waits until its open is held (Ok, true), or
// until there is no live reopen user (Ok, false: nothing to reopen; a user
// that dies meanwhile counts so). TimedOut when the user did not get there
// within `timeout_us` (the request is withdrawn; the program keeps or
// reopens the unit's current image); Busy when another request is pending.
// Blocks up to `timeout_us`.
Result<bool> RequestReopen(System& system, uint16_t devnum, const std::string& image, int64_t timeout_us);

// Lets a held reopen proceed: the program then opens the unit's image of
// that moment (the target after SwitchImage, else the source). Call after
// the decision was followed, before Resume. A no-op when nothing is held or
// requested. Never blocks.
void ReleaseReopen(System& system, uint16_t devnum);

// The program's side (the preload intercept).
//
// Claims the unit for this process (its System slot): true when this
// process is now the reopen user (taken over from a dead one), false when
// a live process already is.
bool ClaimReopenUser(System& system, uint16_t devnum);
// Gives the claim up (the program closed the unit for good).
void DropReopenUser(System& system, uint16_t devnum);

// The request pending for this process: its sequence number (0 when none)
// and the image to reopen.
struct ReopenRequest {
  uint32_t seq = 0;
  std::string image;
};
ReopenRequest PendingReopen(System& system, uint16_t devnum);

// Waits up to `timeout_us` for the pending request's state to change from
// `seen` (a futex wait on the word). Returns the state now.
uint32_t WaitReopenState(System& system, uint16_t devnum, uint32_t seen, int64_t timeout_us);

// Called by the program's side when every descriptor of the unit is closed
// and the reopen's open has reached the intercept: marks the request held
// (false when it was withdrawn meanwhile: open the unit's image now) and
// blocks until the participant releases it, or until the participant dies
// (then the dead-participant recovery of the unit table runs: the decision
// is followed as the quiesce gate follows it). Returns when the open may
// proceed on the unit's image of that moment.
bool HoldReopen(System& system, uint16_t devnum, uint32_t seq);

}  // namespace pas::host
