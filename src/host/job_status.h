// The status board of the swap jobs running on a system: what `pas status`
// shows from any terminal. Each running job keeps one entry in the runtime
// directory (host/runtime.h), RuntimeDir()/SYSNAME.jobs/:
//   PID.lock    held with an OFD lock for the job's lifetime (liveness: the
//               kernel releases it when the job dies, even by SIGKILL);
//   PID.status  the job's state as text, replaced atomically (rename).
// Format and rules: doc/job-status.md.
//
// Ownership: a JobStatusEntry belongs to the job that opened it; its files
// are removed when it is destroyed. Readers (ListRunningJobs) never block
// a job and remove the files of jobs that died. Thread-safety: Publish may
// be called from several threads; ListRunningJobs is thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "host/runtime.h"

namespace pas::host {

struct JobVolumeStatus {
  std::string volser;
  std::string source_unit;  // "1887"
  std::string target_unit;  // "B887"
  std::string phase;        // VALIDATE, JOIN, COPY, RECOPY, VERIFY, QUIESCE, FINAL, COMMIT, SWAP, RESUME, ABORT
  uint32_t pass = 0;        // copy passes begun (0 before the first copy)
  uint64_t tracks_done = 0;   // of the current pass
  uint64_t tracks_total = 0;  // of the current pass
  uint64_t dirty_tracks = 0;
  double percent = 0;         // of the current pass
  double rate_mbps = 0;       // copy rate since the volume started, 10^6 bytes/s
  double eta_seconds = -1;    // to the end of the pass; negative: not known
};

struct JobStatus {
  uint32_t pid = 0;
  std::string system;    // the system the job runs on
  std::string function;  // SWAP, SWAPDUMP, SIMSWAP, SIMSWAPMON
  std::string deck;      // the deck's path, "-" for standard input
  int64_t started_us = 0;  // wall clock, microseconds since the epoch
  int64_t updated_us = 0;
  std::vector<JobVolumeStatus> volumes;  // the volumes in progress
};

// The text of a status file and back. ParseJobStatus: Corruption when the
// text is not a complete status (a reader then retries).
std::string FormatJobStatus(const JobStatus& status);
Result<JobStatus> ParseJobStatus(const std::string& text);

// The directory of the status board of `system`: RuntimeDir()/SYSTEM.jobs.
std::string JobStatusDir(const std::string& system);

class JobStatusEntry {
 public:
  // Creates this process's entry on the board of `initial.system` (the
  // runtime directory and the board directory as needed), takes its lock
  // and publishes `initial`. IoError on failure (the job runs without one).
  static Result<JobStatusEntry> Open(const JobStatus& initial);

  JobStatusEntry(JobStatusEntry&&) noexcept;
  JobStatusEntry& operator=(JobStatusEntry&&) = delete;
  JobStatusEntry(const JobStatusEntry&) = delete;
  JobStatusEntry& operator=(const JobStatusEntry&) = delete;
  // Removes the entry's files (the lock goes with the descriptor).
  ~JobStatusEntry();

  // Replaces the published status (pid and updated time filled in). Writes
  // a temporary file and renames it; never leaves a partial status. IoError
  // on failure.
  Status Publish(JobStatus status);

 private:
  JobStatusEntry(std::string dir, uint32_t pid, Fd lock);

  std::string dir_;
  uint32_t pid_ = 0;
  Fd lock_;            // holds the OFD lock on byte kLockBase of PID.lock
  std::mutex mu_;      // serializes Publish
  bool moved_ = false; // moved-from: owns no files
};

// Every live job of `system`, oldest first. The files of a dead job (its
// lock free) are removed. A status being replaced is read again. A missing
// board is an empty list; IoError when the board cannot be read.
Result<std::vector<JobStatus>> ListRunningJobs(const std::string& system);

}  // namespace pas::host
