// The history store: one record per operation (one volume of a job),
// appended crash-safely to `history.jsonl` in the state directory, listed
// by `pas history` like the FLDSPHST display. Format: doc/history-format.md.
//
// Each record is one line of JSON written with a single write(2) on a file
// opened O_APPEND, under flock(LOCK_EX), then fdatasync; a torn last line
// (the process died mid-write) is skipped on read. Safe from several
// processes and threads at once. Functions block on the file lock and disk.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace pas::report {

// Seconds spent in each phase of the volume's flow.
struct PhaseTimes {
  double validate = 0;
  double join = 0;
  double copy = 0;
  double recopy = 0;
  double quiesce = 0;
  double final_copy = 0;
  double swap = 0;
};

struct HistoryRecord {
  int64_t time = 0;           // wall seconds (Unix) when the operation ended
  std::string system;         // system the job ran on
  std::string volser;
  std::string function;       // "SWAP", "SWAPDUMP", "SIMSWAP", "SIMSWAPMON"
  std::string status;         // "SWAPPED", "DUMPED", "SIMULATED", "FAILED", ...
  int condition_code = 0;      // the volume's
  int exit_condition_code = -1;  // what the job exited with (-1: not recorded)
  std::string source_unit;    // "1887"
  std::string target_unit;    // "B887"
  PhaseTimes phases;
  uint64_t tracks_copied = 0;
  uint64_t tracks_recopied = 0;
  uint32_t passes = 0;
  double longest_pause_ms = 0;
  double copy_rate_mbps = 0;  // MB (10^6 bytes) per second of the copy pass; 0 if none
  std::string message;        // the failing message, "" on success
};

inline constexpr const char* kHistoryFileName = "history.jsonl";

// The state directory: `explicit_dir` if not empty, else $PAS_STATE_DIR,
// else $XDG_STATE_HOME/pas, else $HOME/.local/state/pas. InvalidArgument
// when none can be determined. Does not create it.
Result<std::string> ResolveStateDir(const std::string& explicit_dir);

// Appends one record (creates the directory and file as needed). IoError on failure.
Status AppendHistory(const std::string& state_dir, const HistoryRecord& rec);

struct HistoryContents {
  std::vector<HistoryRecord> records;  // oldest first
  int skipped_lines = 0;               // torn or unreadable lines ignored
};
// Reads every record; a missing file is an empty history. IoError if unreadable.
Result<HistoryContents> ReadHistory(const std::string& state_dir);

// The copy rate of the most recent record with a measured rate (> 0) —
// what CALCDASD uses to estimate migration time. nullopt when none.
Result<std::optional<double>> LastCopyRateMBps(const std::string& state_dir);

// One record as its JSON line (no newline) and back (nullopt if malformed).
std::string HistoryRecordJson(const HistoryRecord& rec);
std::optional<HistoryRecord> ParseHistoryRecord(const std::string& line);

// The table `pas history` prints (header, one line per record, newest first).
std::string FormatHistoryTable(const std::vector<HistoryRecord>& records);

}  // namespace pas::report
