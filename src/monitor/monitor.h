// The monitor: the per-system agent of `pas monitor` and of a
// `MONITOR TYPE=SWAP` deck. It watches the coordination areas of its
// system's offline target units (holding a watcher lock in each, so a
// SIMSWAP can see it is up), and when a swap job announces a swap whose
// source this system has online, it takes part through the same
// Participant the job uses for its own system (engine/participant.h).
// It ends when every watched unit has been swapped to or is no longer
// offline (unless DYNMON), when DURATION runs out, or when stopped. With
// DYNMON a watched unit that goes offline again is taken up again, so a
// monitor watching every unit (`****`) serves every later swap.
// Protocol: doc/swap-protocol.md.
//
// Ownership: RunMonitor attaches to the system's unit table and owns every
// area and thread it opens for the duration of the call. Thread-safety:
// blocks the caller; `stop` may be set from any thread or a signal handler.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "base/clock.h"
#include "host/config.h"
#include "report/report.h"

namespace pas::monitor {

struct MonitorOptions {
  std::vector<std::string> unit_patterns;  // "B887" or "B8**"
  bool dynmon = false;                     // keep running; re-watch units offline again
  int duration_minutes = 0;                // 0: no limit
  int max_tasks = 100;                     // swaps taken part in at once
  report::Reporter* reporter = nullptr;    // required
  Clock* clock = Clock::Real();
  int64_t poll_us = 20'000;                // how often idle areas are read
  const std::atomic<bool>* stop = nullptr; // set to end the monitor
};

// Runs the monitor for the system of `config`. Returns the condition code:
// 0, 4 (a swap it took part in failed or was abandoned), 12 (it could not
// run: no matching unit, the unit table could not be attached).
int RunMonitor(const host::SystemConfig& config, const MonitorOptions& options);

}  // namespace pas::monitor
