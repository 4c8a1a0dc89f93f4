// Write pacing: the lever that makes a swap converge when applications
// write faster than the copy (doc/swap-protocol.md, "Convergence").
//
// A participant sets a per-unit pace on its system; every track write that
// completes through UnitIo while the unit's intercept is installed is then
// followed by a sleep of that many microseconds before the write returns
// (after the write is in the image and its in-flight word is cleared, so a
// paced writer never delays a quiesce or holds a stripe lock). The pace is
// bounded by kMaxPaceUs. It names the process that set it: a writer that
// finds that process dead clears the pace instead of sleeping, so a dead
// job or monitor can never leave a system's writers slowed. Removing the
// intercept ends the pacing too.
//
// Thread/process safety: the pace is one atomic word in the unit control
// block; every function may be called from any thread of any process of
// the system. None blocks.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "host/unit_table.h"

namespace pas::host {

// Largest delay ever added to one write.
inline constexpr uint32_t kMaxPaceUs = 5000;

// Sets the pace of unit `devnum` to `pace_us` microseconds per write
// (capped at kMaxPaceUs; 0 turns pacing off), owned by this process's slot.
// NotFound for an unknown unit.
Status SetWritePacing(System& system, uint16_t devnum, uint32_t pace_us);

// The pace in force on `devnum` now (0 when off or when its setter died).
// NotFound for an unknown unit.
Result<uint32_t> WritePacing(const System& system, uint16_t devnum);

// The pace word (UnitControlBlock::pace): bits 0-12 the pace in us, bits
// 13-19 the setter's process slot, bits 20-31 the low 12 bits of the
// setter's pid (a slot reused by another process does not keep the pace).
uint32_t EncodePace(int slot, int pid, uint32_t pace_us);
// The pace of a non-zero word, or 0 when its setter is no longer alive.
uint32_t LivePace(const System& system, uint32_t word);

}  // namespace pas::host
