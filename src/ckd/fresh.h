// The "freshly formatted" marker of an uncompressed image. `pas volume
// init` leaves every track after cylinder 0 an empty track (HA, R0, end of
// track); it says so in an extended attribute of each file
// (user.pas.formatted), tied to what the file system reports about the file
// right after the format was made durable: inode, size and modification
// time (ns), which every client of a shared file system reports alike. Any later write to the file changes its
// modification time, so a marker that no longer matches says nothing, and
// pas removes the marker before it writes an image itself. A job then
// skips formatting the empty tracks of a fresh target (doc/ckd-format.md,
// "Freshly formatted images").
#pragma once

#include <cstdint>

#include "base/status.h"
#include "ckd/image.h"

namespace pas::ckd {

inline constexpr char kFreshAttribute[] = "user.pas.formatted";

// Marks every file of `image` (uncompressed; after FormatVolume and Sync).
// NotSupported when the file system keeps no user extended attributes (the
// image is then simply not known to be fresh); IoError otherwise.
Status MarkFreshlyFormatted(const CkdImage& image);

// True when every file of `image` carries a marker that still matches the
// file: every track from cylinder 1 on is then an empty track. False for a
// compressed image, a missing or stale marker, or any error.
bool IsFreshlyFormatted(const CkdImage& image);

// Removes the markers (before pas writes the image). Absent markers and
// file systems without extended attributes are not errors.
Status ClearFreshlyFormatted(const CkdImage& image);

}  // namespace pas::ckd
