// The swap job: executes a validated SWAP, SWAPDUMP, SIMSWAP or SIMSWAPMON
// plan on the system it runs on, volume by volume (MAXTASKS at once), each
// through the flow of doc/swap-protocol.md §2: validate, announce, join,
// copy pass, recopy passes, quiesce, final copy, commit, swap (or resume on
// the source), relabel, report. The job takes part in the swap for its own
// system itself (engine/participant.h); every other system that has the
// source online joins through its monitor.
//
// Ownership: RunJob attaches to the system's unit table for the duration of
// the call and owns every image, coordination area and thread it opens.
// Thread-safety: RunJob blocks the caller; it runs the volumes on its own
// threads and reports through the (thread-safe) Reporter and
// ProgressReporter it is given.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "base/clock.h"
#include "host/config.h"
#include "report/history.h"
#include "report/progress.h"
#include "report/report.h"
#include "statements/plan.h"

namespace pas::engine {

// Recopy passes after the first copy pass, at most.
inline constexpr int kMaxRecopyPasses = 8;
// A dirty set this small goes straight to the final copy.
inline constexpr uint32_t kConvergedTracks = 30;

struct JobOptions {
  report::Reporter* reporter = nullptr;          // required
  report::ProgressReporter* progress = nullptr;  // optional
  Clock* clock = Clock::Real();
  // How long to wait for a system to join before the NONRESPONDING policy
  // acts (FAIL fails, RETRY/MSG announce again).
  int64_t join_timeout_us = 30'000'000;
  int64_t quiesce_timeout_us = 30'000'000;  // every system quiesced and handed over
  int64_t follow_timeout_us = 60'000'000;   // every system followed the decision
  int64_t poll_us = 1000;                   // coordination area polling while waiting
  unsigned queue_depth = 16;                // copy requests in flight per volume
  // Cancellation (doc/swap-protocol.md, "Cancelling a job"). When *cancel
  // becomes true (the caller's SIGINT/SIGTERM handler sets it), every
  // volume not yet committed fails like a failed volume (PAS214E naming
  // `cancel_reason`, then SOURCE for every system); a committed one
  // completes. `cancel_dir`, when set, is polled for `pas cancel` requests:
  // a file named VOLSER (cancels that volume) or JOB-<pid of this process>
  // (cancels the job), newer than the job's start.
  const std::atomic<bool>* cancel = nullptr;
  const std::atomic<int>* cancel_signal = nullptr;  // the signal number, for the message
  std::string cancel_dir;
};

struct JobResult {
  int condition_code = 0;
  std::string system;  // the system the job ran on
  std::vector<report::VolumeStats> volumes;
  std::vector<report::HistoryRecord> history;
};

// Runs `plan` (not MONITOR) on the system of `config`. Every message goes
// through options.reporter (statistics blocks included, via Reporter::Volume);
// the closing line is left to the caller. Never throws; blocks until every
// volume is finished. The condition code is the highest of the volumes'
// (12 when the job could not run at all).
JobResult RunJob(const statements::Plan& plan, const host::SystemConfig& config, const JobOptions& options);

// The volser the old source gets after a committed SWAP: "PAS" and the last
// three hex digits of the target unit (0xB887 -> "PAS887").
std::string RelabelVolser(uint16_t target_devnum);

}  // namespace pas::engine
