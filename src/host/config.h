// SystemConfig: a system's configuration file, Hercules-style (a
// hercules.cnf is a valid start). Format: doc/config-format.md.
//
//   LPARNAME VMLAB63B            (SYSNAME accepted too)
//   CPUSERIAL 04E2062818
//   1887 3390 /vols/vm1887.ckd [Hercules options, ignored]
//   OFFLINE B880-B88F            units offline at start
//   CPOWNED 1880-1881            CP-owned units (CALCDASD)
//   ATTACH 1885 LINUX01          unit attached to a guest (CALCDASD)
//   ALLOC 1884 PAGE 1-10016      CP allocation: TYPE first-last cylinders
//   #PAS OFFLINE B880            a statement only pas reads (Hercules: a comment)
//
// Other Hercules statements (CPUMODEL, MAINSIZE, 0009 3215, ...) are
// ignored; device statements for non-DASD device types are ignored too.
// A malformed pas statement, a duplicate unit or an unknown DASD type is an
// error naming file:line. Plain data; parsing is thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace pas::host {

enum class AllocType { kPage, kSpool, kTdisk, kDrct, kPerm };
const char* AllocTypeName(AllocType t);  // "PAGE", "SPOOL", "TDISK", "DRCT", "PERM"

struct CpAlloc {
  AllocType type;
  uint32_t first_cyl;
  uint32_t last_cyl;  // inclusive
  int line;
};

struct UnitConfig {
  uint16_t devnum;          // 0x1887
  uint16_t device_type;     // 0x3390 or 0x3380
  std::string image_path;   // absolute, resolved against the config file's folder
  bool offline = false;     // OFFLINE at start
  bool cp_owned = false;    // CPOWNED
  std::string attached_to;  // ATTACH userid, "" if not attached
  std::vector<CpAlloc> allocs;
  int line = 0;             // line of the device statement
  std::string shadow_files; // the Hercules sf= operand ("sf=..."), "" if none
  // Every operand after the file name, as written (Hercules' device
  // options: cu=3990, nolazywrite, ...); the intercept passes them on when
  // it makes Hercules reopen the unit (doc/cckd-live.md).
  std::vector<std::string> operands;
};

struct SystemConfig {
  std::string path;           // the file it was read from
  std::string name;           // LPARNAME / SYSNAME (upper case)
  std::string cpu_serial;     // CPUSERIAL (upper-case hex), "" if absent
  std::vector<UnitConfig> units;  // in file order

  const UnitConfig* FindUnit(uint16_t devnum) const;
};

// Parses `text` as if read from `path` (used to name errors and resolve
// relative image paths). Returns InvalidArgument "file:line: message" for
// the first malformed statement; a missing LPARNAME is an error too.
Result<SystemConfig> ParseSystemConfig(const std::string& text, const std::string& path);
// Reads and parses the file, then checks that no two units name one image
// (CheckDistinctImages). IoError when it cannot be read.
Result<SystemConfig> LoadSystemConfig(const std::string& path);
// InvalidArgument (PAS281E, naming both units, both files and both lines)
// when two units' images are the same file or share a file of a multi-file
// set, by device and inode (host/image_identity.h). Images that do not
// exist are skipped. Does not block.
Status CheckDistinctImages(const SystemConfig& config);
// The configuration path: `explicit_path` if not empty, else $PAS_CONFIG;
// InvalidArgument when neither is set.
Result<std::string> ResolveConfigPath(const std::string& explicit_path);

// The text of a configuration in which the device statements of units `a`
// and `b` exchange their image names (the raw tokens, quotes kept; every
// other byte, options after the image and `#PAS ` prefixes included, is
// unchanged). InvalidArgument for a malformed text, NotFound for a unit
// without a device statement.
Result<std::string> ExchangeUnitImages(const std::string& text, const std::string& path, uint16_t a,
                                       uint16_t b);

// After a committed SWAP of the volume on `source_image` from unit
// `source_devnum` to unit `target_devnum`: rewrites the configuration file
// so the source unit's statement names the target image and the target
// unit's the old source (ExchangeUnitImages), atomically — the previous
// contents are kept as FILE.prev, the new file is created exclusively
// beside the file (symlinks are not followed; a symlinked FILE is
// rewritten where it points), fsynced and renamed over it. Concurrent
// rewrites of one file are serialized (flock). Returns false without a
// change when the source unit's statement does not name `source_image`
// (already rewritten). IoError / InvalidArgument / NotFound (the caller reports PAS217W).
Result<bool> RewriteConfigAfterSwap(const std::string& config_path, uint16_t source_devnum,
                                    uint16_t target_devnum, const std::string& source_image);

// "1887" -> 0x1887; nullopt unless 1-4 hex digits.
std::optional<uint16_t> ParseDevnum(const std::string& text);
// "1880-1887" or "1887" -> inclusive range; nullopt if malformed or reversed.
std::optional<std::pair<uint16_t, uint16_t>> ParseDevnumRange(const std::string& text);
// 0x1887 -> "1887" (4 upper-case hex digits).
std::string FormatDevnum(uint16_t devnum);

}  // namespace pas::host
