// The operation report: the per-volume OPERATION STATISTICS block in the
// seed's layout, the job's closing line, the JSON report (--json FILE) and
// Reporter, the sink the engine and `pas run` send messages and volume
// results to.
//
// Condition codes: 0 success, 4 warnings, 8 a volume failed, 12 the job
// could not run; the exit status of `pas run` is the highest one.
// Formatting functions are pure (thread-safe). Reporter is thread-safe: the
// MAXTASKS volume threads call it concurrently; each message line is written
// whole.
#pragma once

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "report/messages.h"

namespace pas::report {

inline constexpr int kCcOk = 0;
inline constexpr int kCcWarning = 4;
inline constexpr int kCcVolumeFailed = 8;
inline constexpr int kCcJobFailed = 12;

struct VolumeStats {
  std::string function;     // "SWAP", "SWAPDUMP", "SIMSWAP", "SIMSWAPMON"
  std::string device_type = "3390";
  std::string volser;
  std::string source_unit;  // "1887"
  std::string target_unit;  // "B887"
  std::string status;       // "SWAPPED", "DUMPED", "SIMULATED", "FAILED", ...
  int condition_code = 0;
  uint64_t cylinders = 0;
  uint64_t datasets_processed = 0;
  uint64_t bytes_read = 0;
  uint64_t tracks_swapped = 0;   // tracks copied in all passes
  uint64_t tracks_recopied = 0;  // of which recopied because they changed
  uint64_t source_excps = 0;     // read requests on the source
  uint64_t target_excps = 0;     // write requests on the target
  double cpu_seconds = 0;
  double elapsed_minutes = 0;
  double swap_minutes = 0;       // from the announce to the swap
  uint32_t passes = 0;           // copy pass + recopy passes + final copy
  double longest_pause_ms = 0;   // longest I/O pause any system saw at the swap
  std::string longest_pause_system;  // "" if none measured
  // Convergence and copy-less figures (doc/swap-protocol.md, "Convergence";
  // doc/copy-engine.md, "Copy less"): the largest pacing the writers got
  // (microseconds added to each write; 0 when not paced) and the tracks the
  // first pass did not rewrite because the target already held them.
  uint32_t pace_us = 0;
  uint64_t tracks_skipped = 0;
};

// 12345678 -> "12,345,678".
std::string FormatThousands(uint64_t n);

// The seed's block, each line ending in '\n':
//   OPERATION STATISTICS FOR 3390 VOLUME.....VM1887
//         CYLINDERS ON VOLUME.....10,017
//         ...
//         SWAP TIME.....2.4
//         PASSES.....4
//         LONGEST I/O PAUSE (MS).....12.3 ON VMLAB63B
std::string FormatOperationStatistics(const VolumeStats& v);

// cc 0: "PAS SUCCESSFULLY COMPLETED"; cc 4: "PAS COMPLETED WITH WARNINGS —
// HIGHEST CONDITION CODE 4"; cc >= 8: "PAS COMPLETED WITH ERRORS — HIGHEST
// CONDITION CODE n". No newline.
std::string ClosingLine(int highest_cc);

struct JobReport {
  std::string function;     // "SWAP", ...
  std::string deck;         // the deck's source name
  std::string system;       // the system the job ran on ("" if none)
  int64_t start_wall_seconds = 0;
  int64_t end_wall_seconds = 0;
  int condition_code = 0;
  std::vector<std::string> messages;  // every PAS message issued, in order
  std::vector<VolumeStats> volumes;
};

// The JSON document for a job (one object, UTF-8, ends with '\n').
std::string JobReportJson(const JobReport& job);
// Writes JobReportJson to `path` (temporary file + rename). IoError on failure.
Status WriteJsonReport(const std::string& path, const JobReport& job);
// `s` as a JSON string literal, quotes included.
std::string JsonString(std::string_view s);

// The job's output sink. Messages go to `out` (one line each, flushed) and
// are kept for the JSON report; the highest condition code is tracked.
// When `out` is the journal stream of a systemd service (JOURNAL_STREAM),
// each message line starts with its syslog priority (<6> I, <4> W, <3> E,
// <2> S), which the journal takes as the entry's priority.
class Reporter {
 public:
  explicit Reporter(FILE* out = stdout);
  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;

  // Prints Format(id, args) and raises the condition code by the message's
  // severity (W -> 4, E -> 8, S -> 12). Returns the printed line.
  std::string Message(std::string_view id, std::initializer_list<Arg> args);
  // Prints a line that is not a catalogue message (statement echo, blank).
  void Line(std::string_view text);
  // A catalogue message formatted elsewhere (this system's part in a swap
  // says PAS234I, PAS237I through a callback): printed, recorded for the
  // JSON report and raising the condition code as Message does. A line
  // that does not start with a catalogued ID is printed as Line does.
  void FormattedMessage(std::string_view line);
  // Prints the volume's statistics block, records it for the JSON report
  // and raises the condition code to the volume's.
  void Volume(const VolumeStats& v);
  // Raises the highest condition code to at least `cc`.
  void RaiseConditionCode(int cc);
  int highest_cc() const;
  // Prints ClosingLine(highest_cc()).
  void Close();
  // Snapshot of what was reported (for --json); the caller fills the rest.
  JobReport Snapshot() const;

 private:
  void WriteLocked(std::string_view line);
  FILE* out_;
  const bool journal_;  // out_ is the journal stream: priority prefixes
  mutable std::mutex mu_;
  int highest_cc_ = 0;                 // guarded by mu_
  std::vector<std::string> messages_;  // guarded by mu_
  std::vector<VolumeStats> volumes_;   // guarded by mu_
};

}  // namespace pas::report
