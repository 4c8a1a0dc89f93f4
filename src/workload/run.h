// RunWorkload: N writer PROCESSES (fork) that rewrite random owned tracks
// of one unit through the host I/O API with self-describing records
// (workload/record.h), journal each acknowledged write
// (workload/journal.h), and report latency percentiles, the longest stall
// and the write rate. Used by `pas workload run`; doc/workload.md.
//
// Blocking: returns when every writer has ended (duration, write count, or
// SIGINT/SIGTERM to the parent, which is passed on to the writers). Each
// writer dies with the parent (PR_SET_PDEATHSIG). Call from a
// single-threaded process: it forks.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "host/config.h"
#include "workload/area.h"
#include "workload/dataset.h"
#include "workload/share.h"
#include "workload/latency.h"

namespace pas::workload {

struct RunOptions {
  uint16_t devnum = 0;
  uint32_t writers = 4;          // N writer processes on this system
  double duration_s = 10;        // run time of each writer
  uint64_t max_writes = 0;       // per writer; 0: until the duration ends
  double rate = 0;               // writes/s per writer; 0: as fast as possible
  std::string journal;           // base name; writer g appends to BASE.wG
  std::optional<uint32_t> system_index;  // I; absent: claimed (workload/share.h)
  uint32_t systems = 0;          // M; 0: the systems that have the volume online
  std::optional<std::pair<uint32_t, uint32_t>> tracks;  // explicit area
  uint32_t allocate_tracks = 0;  // size of a new PAS.WORKLOAD; 0: the default
  uint64_t seed = 0;             // 0: from the clock
};

struct RunPlan {
  std::string system;   // LPARNAME
  std::string image;    // the unit's image when the run started
  std::string volser;   // "" when unlabelled
  TrackArea area;
  AreaChoice choice;      // how the area was found (allocated, VTOC)
  uint32_t system_index = 0, systems = 1;  // I and M
  uint32_t first_writer = 0, total_writers = 0;
  uint64_t start_seq = 0;
  // This run's share claim: held (its liveness lock) while the plan lives.
  std::shared_ptr<ShareClaim> claim;
};

struct RunResult {
  RunPlan plan;
  uint64_t writes = 0;
  double elapsed_s = 0;
  LatencyHistogram latency;  // microseconds per acknowledged write
  uint64_t stalls_over_10ms = 0;
  uint32_t stall_writer = 0, stall_track = 0;  // where the longest one was
  int64_t longest_gate_wait_us = 0;  // host I/O: longest wait at the quiesce gate
  uint64_t reopens = 0;              // image reopens after a swap
  std::vector<std::string> errors;   // one per failed writer ("writer 3: ...")
};

// Resolves the plan: the unit (online), its image, the area (allocating
// PAS.WORKLOAD through the VTOC when the volume has a VTOC and none) and
// this system's share, claimed under the volume's claim lock
// (workload/share.h). Writes nothing to the volume except that
// allocation. NotFound for an unknown unit, Busy when it is offline or
// (text "PAS761E ...") there is no room for PAS.WORKLOAD or (text
// "PAS762E ...") the share would overlap a running workload's,
// InvalidArgument for bad options or an area without owned tracks, errors
// of the image. Blocks on the claim lock and the unit's I/O.
Result<RunPlan> PlanWorkload(const host::SystemConfig& config, const RunOptions& options);

// Runs the writers. Errors only when nothing could start (fork); writer
// failures are listed in RunResult::errors.
Result<RunResult> RunWorkload(const host::SystemConfig& config, const RunOptions& options,
                              const RunPlan& plan);

}  // namespace pas::workload
