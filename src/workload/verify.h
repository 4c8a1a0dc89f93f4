// Workload verification: every last acknowledged write of every track,
// across all the journals given, is present and intact in an image.
// How it decides: doc/workload.md ("How verify decides").
//
// Reads the image only; a plain function, safe to run beside other readers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "ckd/image.h"
#include "workload/journal.h"

namespace pas::workload {

struct VerifyProblem {
  enum class Kind {
    kLost,  // the image holds an older write (or none) than the journal's last
    kTorn,  // the track holds workload records that do not form one intact write
    // The track holds an intact, newer write of a writer (or system) other
    // than the journal's: another workload wrote over this one's track.
    kOverwritten,
  };
  Kind kind = Kind::kLost;
  uint32_t track = 0;
  JournalEntry expected;  // the last acknowledged write of the track
  std::string detail;     // "image seq 4 < journal seq 5", "record 3: checksum mismatch"
};

struct VerifyReport {
  uint64_t entries = 0;         // journal lines read
  uint32_t tracks_checked = 0;  // distinct tracks journaled
  uint32_t newer_on_disk = 0;   // image newer than the journal (append lost at a kill)
  uint32_t torn_in_flight = 0;  // a write never acknowledged, cut short by its writer's death
  std::vector<VerifyProblem> problems;  // ascending track order
  bool ok() const { return problems.empty(); }
};

// Checks `image` against `entries` (from any number of journals).
// InvalidArgument (naming the journal file:line) for an entry whose track
// is beyond the image; IoError when a track cannot be read.
Result<VerifyReport> VerifyImage(const ckd::CkdImage& image,
                                 const std::vector<JournalEntry>& entries);

}  // namespace pas::workload
