// Control files: the files pas keeps beside images and in its runtime and
// state directories (online registry, coordination area, decision record,
// history, cancel requests, unit tables). Nobody else may steer pas through
// them, so every one is opened with these rules (doc/host-io.md, "Control
// files and who may own them"):
//   - never through a symbolic link (O_NOFOLLOW on the file itself);
//   - created exclusively (O_CREAT | O_EXCL), then mode 0644 whatever the
//     umask, and closed: the descriptor returned always comes from an open
//     by name of the existing file (base/lock_file.h explains why);
//   - a regular file, owned by the effective user, by root, or by the owner
//     of the file it serves (the image), and writable by nobody else
//     (no group or other write bit).
// A refusal is IoError "PAS285E CONTROL FILE path REFUSED: reason".
// Plain functions, thread-safe; none blocks (a FIFO is refused unopened).
#pragma once

#include <string>
#include <sys/types.h>

#include "base/status.h"

namespace pas {

struct ControlFileOptions {
  bool create = false;       // create it when missing
  bool writable = true;      // O_RDWR, else O_RDONLY
  std::string owner_of;      // a file whose owner may own this one too ("" none)
};

// Opens `path` under the rules above; returns the descriptor (the caller
// closes it). NotFound when it is missing and `create` is false.
Result<int> OpenControlFile(const std::string& path, const ControlFileOptions& options);

// Checks an already open descriptor of a control file (the same rules).
Status CheckControlFile(int fd, const std::string& path, const std::string& owner_of = "");

// Checks a runtime or state directory: a real directory (not a symlink),
// owned by the effective user or root, not writable by group or others
// unless sticky (like /tmp). IoError PAS285E naming the reason.
Status CheckControlDirectory(const std::string& dir);

}  // namespace pas
