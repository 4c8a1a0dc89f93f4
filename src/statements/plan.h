// Plan: the validated control-statement deck — one function statement (SWAP,
// SWAPDUMP, SIMSWAP, SIMSWAPMON or MONITOR) with its operands and defaults,
// its MOUNT and EXCLUDE statements, each remembering where it was written.
// The statement language and the defaults are documented in
// doc/statements.md. A Plan is produced only by ParseDeck (parser.h) and is
// then read-only data owned by the caller (the engine or the monitor);
// concurrent reads are safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pas::statements {

enum class Function { kSwap, kSwapDump, kSimSwap, kSimSwapMon, kMonitor };
// "SWAP", "SWAPDUMP", "SIMSWAP", "SIMSWAPMON", "MONITOR".
const char* FunctionName(Function f);

enum class NonResponding { kRetry, kFail, kMsg };
// "RETRY", "FAIL", "MSG".
const char* NonRespondingName(NonResponding n);

// Where a statement or operand was written: file (the deck's source name,
// "-" or "<stdin>" for standard input), 1-based line and column.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
};

// MOUNT under a SWAP/SWAPDUMP/SIMSWAP/SIMSWAPMON statement:
// `MOUNT VOL=VM1887,SWAPUNIT=B887`. The target is a pattern until the source
// unit is known (ResolveSwapUnit).
struct Mount {
  std::string volser;            // upper case, 1-6 characters
  std::string swapunit_pattern;  // as written, upper case: "B887", "17C*", "17**"
  Location where;                // the MOUNT statement
};

// EXCLUDE SYSTEM=name: a system whose stale registration is ignored.
struct Exclude {
  std::string system;  // upper case
  Location where;
};

// Defaults (doc/statements.md):
inline constexpr int kDefaultMaxTasks = 1;          // function statements
inline constexpr int kDefaultMonitorMaxTasks = 100; // MONITOR
inline constexpr int kMinMaxTasks = 1;
inline constexpr int kMaxMaxTasks = 100;
inline constexpr int kDefaultStopAfterMinutes = 1440;

struct Plan {
  Function function = Function::kSwap;
  Location where;  // the function statement

  // Function statements (SWAP, SWAPDUMP, SIMSWAP, SIMSWAPMON) and MONITOR.
  bool type_full = false;  // TYPE=FULL (function statements; always true in a valid plan)
  int max_tasks = kDefaultMaxTasks;  // MONITOR: kDefaultMonitorMaxTasks
  bool larger_size_ok = false;       // LARGERSIZE=OK
  NonResponding nonresponding = NonResponding::kRetry;
  bool check_target = false;         // CHECKTARGET=YES
  int stop_after_minutes = kDefaultStopAfterMinutes;

  // MONITOR TYPE=SWAP only.
  bool dynmon = false;        // DYNMON=YES: keep running after all units are swapped
  int duration_minutes = 0;   // DURATION=; 0 = no limit

  std::vector<Mount> mounts;               // function statements
  std::vector<std::string> monitor_units;  // MONITOR: "B887" exact or "B8**" prefix patterns
  std::vector<Location> monitor_unit_where;  // parallel to monitor_units
  std::vector<Exclude> excludes;

  bool IsMonitor() const { return function == Function::kMonitor; }
  // SIMSWAP and SIMSWAPMON write nothing to any volume.
  bool IsSimulation() const {
    return function == Function::kSimSwap || function == Function::kSimSwapMon;
  }
  // True if `system` (any case) is named by an EXCLUDE statement.
  bool IsExcluded(std::string_view system) const;
};

// The target unit for a SWAPUNIT pattern: each `*` takes the digit in the
// same position of the source unit (source 03A4: "17C*" -> 0x17C4, "17**" ->
// 0x17A4, "B887" -> 0xB887). nullopt unless the pattern is exactly 4
// characters each a hex digit or `*` (case-insensitive).
std::optional<uint16_t> ResolveSwapUnit(std::string_view pattern, uint16_t source_unit);

// MONITOR unit patterns: "B887" matches exactly that unit; "B8**" matches
// every unit whose digits equal the pattern where the pattern is not `*`.
// False for a malformed pattern.
bool UnitMatches(std::string_view monitor_pattern, uint16_t unit);

// True if `pattern` is 4 characters, each a hex digit or `*`.
bool IsValidUnitPattern(std::string_view pattern);

}  // namespace pas::statements
