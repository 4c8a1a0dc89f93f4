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
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "host/config.h"
#include "workload/area.h"
#include "workload/latency.h"

namespace pas::workload {

struct RunOptions {
  uint16_t devnum = 0;
  uint32_t writers = 4;          // N writer processes on this system
  double duration_s = 10;        // run time of each writer
  uint64_t max_writes = 0;       // per writer; 0: until the duration ends
  double rate = 0;               // writes/s per writer; 0: as fast as possible
  std::string journal;           // base name; writer g appends to BASE.wG
  uint32_t system_index = 0;     // I
  uint32_t systems = 1;          // M
  std::optional<std::pair<uint32_t, uint32_t>> tracks;  // explicit area
  uint64_t seed = 0;             // 0: from the clock
};

struct RunPlan {
  std::string system;   // LPARNAME
  std::string image;    // the unit's image when the run started
  std::string volser;   // "" when unlabelled
  TrackArea area;
  uint32_t first_writer = 0, total_writers = 0;
  uint64_t start_seq = 0;
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

// Resolves the plan (config unit, online, image, area) without writing.
// NotFound for an unknown unit, Busy when it is offline, InvalidArgument
// for bad options or an area without owned tracks, errors of the image.
Result<RunPlan> PlanWorkload(const host::SystemConfig& config, const RunOptions& options);

// Runs the writers. Errors only when nothing could start (fork); writer
// failures are listed in RunResult::errors.
Result<RunResult> RunWorkload(const host::SystemConfig& config, const RunOptions& options,
                              const RunPlan& plan);

}  // namespace pas::workload
