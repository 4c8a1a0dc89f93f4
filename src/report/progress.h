// ProgressReporter: progress of the volumes of a job.
//
// On a terminal (Mode::kLive) it keeps one live line per volume, redrawn in
// place ("VM1887 1887->B887  42.3% PASS 1  DIRTY 120  512.0 MB/S  ETA 0:12").
// Otherwise (Mode::kMessages) it prints a PAS250I progress message for a
// volume at most once every `interval` (and at each new pass), so logs stay
// small. Time comes from the Clock seam. Thread-safe: the MAXTASKS volume
// threads call Update concurrently.
//
// A listener (SetListener) gets every volume's state with its figures after
// each change, for views outside the job's own output (`pas status` reads
// what the job publishes: host/job_status.h).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"

namespace pas::report {

struct VolumeProgress {
  std::string volser;
  std::string source_unit;  // "1887"
  std::string target_unit;  // "B887"
  std::string phase;        // "COPY", "RECOPY", "QUIESCE", ...
  uint32_t pass = 1;
  uint64_t tracks_done = 0;   // in the current pass
  uint64_t tracks_total = 0;  // in the current pass
  uint64_t dirty_tracks = 0;  // changed tracks waiting for the next pass
  uint64_t bytes_done = 0;    // bytes copied since the volume started (for MB/s)
};

// The figures shown for a volume: percent of the current pass, copy rate
// since the volume started (MB = 10^6 bytes) and the estimated seconds to
// the end of the pass plus its dirty tracks (negative: not known yet).
struct ProgressFigures {
  double percent = 0;
  double rate_mbps = 0;
  double eta_seconds = -1;
};
ProgressFigures ComputeFigures(const VolumeProgress& p, double elapsed_seconds);

// One volume as a listener sees it.
struct VolumeSnapshot {
  VolumeProgress progress;
  ProgressFigures figures;
};

class ProgressReporter {
 public:
  enum class Mode { kLive, kMessages, kOff };
  // kLive when `out` is a terminal, else kMessages.
  static Mode ModeFor(FILE* out);

  ProgressReporter(FILE* out, Mode mode, Clock* clock = Clock::Real(),
                   int64_t interval_micros = 30'000'000);
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // Records the volume's state and prints if due. Never blocks on I/O other
  // than writing to `out`.
  void Update(const VolumeProgress& p);
  // The volume entered a new phase (JOIN, QUIESCE, COMMIT...): recorded,
  // redrawn on a terminal, given to the listener; no PAS250I message.
  void Phase(const VolumeProgress& p);
  // The volume is done: its live line is removed (kLive) — nothing printed otherwise.
  void Finish(const std::string& volser);

  // `changed`: a volume was added or removed, or changed phase or pass, or
  // finished its pass — a listener that throttles should not skip it.
  using Listener = std::function<void(const std::vector<VolumeSnapshot>& volumes, bool changed)>;
  // Installs the listener, called after every Update, Phase and Finish
  // (from the calling volume thread, outside the reporter's lock; it must be
  // thread-safe). Call before the volumes start.
  void SetListener(Listener listener);

  // The text of one progress line for `p` (no newline), with MB/s and ETA
  // computed from what was recorded so far. Exposed for tests.
  std::string Describe(const VolumeProgress& p) const;

 private:
  struct State {
    VolumeProgress last;
    int64_t start_micros = 0;
    int64_t last_print_micros = -1;
    uint32_t last_printed_pass = 0;
  };
  std::string DescribeLocked(const VolumeProgress& p, const State& s, int64_t now) const;
  void RedrawLocked(int64_t now);
  // Records `p`; returns whether the listener must not skip this change.
  bool RecordLocked(const VolumeProgress& p, int64_t now, State** state);
  std::vector<VolumeSnapshot> SnapshotLocked(int64_t now) const;
  void Notify(std::vector<VolumeSnapshot> volumes, bool changed);
  // Update (line_due: a PAS250I line when the interval passed or the pass
  // changed) and Phase (no line) both record, redraw live and notify.
  void Record(const VolumeProgress& p, bool line_due);

  FILE* out_;
  Mode mode_;
  Clock* clock_;
  int64_t interval_micros_;
  mutable std::mutex mu_;
  std::map<std::string, State> volumes_;  // guarded by mu_, by volser
  size_t live_lines_ = 0;                 // guarded by mu_: lines drawn last time
  Listener listener_;                     // set before use, then read-only
};

}  // namespace pas::report
