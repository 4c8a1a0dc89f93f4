// CALCDASD: the capacity report for sizing a migration (doc/calcdasd.md).
//
// BuildReport reads, for every DASD unit of a system's configuration (or of
// a unit range), only what the report needs: the image header and file
// sizes (cylinders), track 0 (the volser), the VTOC (allocated tracks) and
// the first bytes of the tracks of the CP allocation areas (% used), skipping
// the holes of sparse images. Units whose image is missing or corrupt are
// reported with a message and counted apart. FormatReport renders the seed's
// layout; FormatJson the same facts for programs.
//
// All functions are re-entrant; BuildReport reads images concurrently with
// a few threads and blocks on disk I/O. Nothing is ever written to a volume.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "host/config.h"

namespace pas::calcdasd {

// Copy rate assumed when neither --rate nor a measured rate in the history
// is available (MB = 10^6 bytes).
inline constexpr double kDefaultRateMBps = 100.0;

struct Options {
  // Only units in this inclusive range; all DASD units when empty.
  std::optional<std::pair<uint16_t, uint16_t>> range;
  // Copy rate for the estimate (MB/s); 0: the history's last measured rate,
  // else kDefaultRateMBps.
  double rate_mbps = 0;
  // State directory holding the history; "" resolves as `pas history` does.
  std::string state_dir;
  // Threads reading images; 0: the number of processors (at most 8).
  int threads = 0;
};

enum class UnitRole { kCpOwned, kSystem, kAttached, kOffline };
const char* UnitRoleName(UnitRole r);  // "CP-OWNED", "SYSTEM", "ATTACHED", "OFFLINE"

// Use of one CP allocation extent, clipped to the volume.
struct AreaUse {
  host::AllocType type;
  uint32_t first_cyl = 0, last_cyl = 0;  // as configured
  uint32_t cylinders = 0;                // inside the volume
  uint64_t tracks = 0;
  uint64_t used_tracks = 0;       // holding records beyond R0 (malformed included)
  uint64_t malformed_tracks = 0;  // neither empty, never written nor well formed
};

struct UnitReport {
  uint16_t devnum = 0;
  uint16_t device_type = 0;  // 0x3390 / 0x3380 from the configuration
  UnitRole role = UnitRole::kSystem;
  std::string attached_to;
  std::string image_path;
  // False when the image could not be measured; `error` then holds the
  // message (PAS401E/PAS402E/PAS409E) and the unit is counted apart.
  bool counted = false;
  std::string error;
  std::vector<std::string> warnings;  // PAS403W..PAS406W for this unit
  std::string volser;                 // "" when unlabelled
  uint32_t image_cylinders = 0;       // cylinders in the image
  uint32_t cylinders = 0;             // counted: primary cylinders of the model when the
                                      // image also holds its alternates, else image_cylinders
  std::string model;                  // "3390-9"; "" for a non-standard size
  bool vtoc_present = false;
  uint64_t total_tracks = 0;
  uint64_t allocated_tracks = 0;  // VTOC; every track without a VTOC
  uint32_t track_capacity = 0;    // bytes per track for GB (56664 / 47476)
  std::vector<AreaUse> areas;
  // A compressed (CCKD) image: counted by its cylinders like any other;
  // file_bytes is what it occupies on the storage.
  bool compressed = false;
  uint64_t file_bytes = 0;
};

struct ModelCount {
  std::string label;  // "3390-9s"
  std::string size;   // "10017 cylinders", "sizes < 65520"
  int count = 0;
};

struct AllocRow {
  std::string type;  // "TDISK", "PAGE", "SPOOL", "DRCT", "PERM"
  uint64_t cylinders = 0;
  double gb = 0;
  double percent_used = 0;
};

struct TotalRow {
  std::string type;  // "CP-OWNED", "SYSTEM", "ATTACHED", "OFFLINE", "Total:"
  uint64_t cylinders = 0;
  double gb = 0;
};

struct Report {
  std::string system;
  std::string query;                       // "1880-1887", or "" for all DASD
  std::vector<UnitReport> units;           // in configuration order
  std::vector<std::string> size_warnings;  // "Warning - non standard size: ..."
  std::vector<ModelCount> models;          // 3390 lines, then 3380 lines if any 3380
  std::vector<AllocRow> cp_allocation;     // TDISK PAGE SPOOL DRCT (+PERM if any)
  std::vector<TotalRow> totals;            // CP-OWNED SYSTEM ATTACHED (+OFFLINE) and Total:
  int units_counted = 0;
  int units_failed = 0;
  // Migration estimate over the counted units.
  uint64_t total_tracks = 0;
  uint64_t allocated_tracks = 0;
  double total_gb = 0;
  double allocated_gb = 0;
  int volumes_without_vtoc = 0;
  double rate_mbps = 0;
  std::string rate_source;  // "--rate", "history", "default"
  double seconds_allocated = 0;
  double seconds_total = 0;

  // 0 clean, 4 a unit had warnings (PAS403W-406W), 8 a unit was not counted.
  int ConditionCode() const;
};

// Builds the report. InvalidArgument (PAS407E) when no DASD unit of the
// configuration lies in the range; per-unit problems never fail the call.
Result<Report> BuildReport(const host::SystemConfig& config, const Options& options);

// The report text; `short_form` omits the QUERY lines and the estimate.
std::string FormatReport(const Report& report, bool short_form);
// The same facts as one JSON object.
std::string FormatJson(const Report& report);
// The seed's synopsis (`calcdasd (HELP`).
std::string HelpText();

// GB as the seed computes it: cylinders x 15 x track_capacity / 10^9.
double CylindersToGb(uint64_t cylinders, uint32_t track_capacity = 56664);

// Command-line arguments, VM style or with options:
//   calcdasd [rdev | rdev1-rdev2] [( SHORT | ( HELP]
//   --short --help --config FILE --json FILE --rate MB/s --state-dir DIR
struct CommandLine {
  Options options;
  bool short_form = false;
  bool help = false;
  std::string config_path;  // --config, "" for $PAS_CONFIG
  std::string json_path;
};
// InvalidArgument (PAS408E) naming the bad argument.
Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

// Runs calcdasd: writes the report to `out`, messages to `err`, returns the
// exit status (0, 4, 8; 12 when it cannot run).
int RunCalcdasd(const std::vector<std::string>& args, std::string* out, std::string* err);

}  // namespace pas::calcdasd
