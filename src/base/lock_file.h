// Opening a file that several machines lock through a shared file system.
//
// On a distributed file system (GlusterFS measured, doc/multi-machine.md)
// the descriptor returned by the open(2) that *creates* a file, while
// clients on other machines open the same name at that moment, can land
// in a lock domain of its own: its byte-range locks then do not conflict
// with the others' (9 of 12 runs lost updates). A descriptor from an open
// by name of a file that already exists is always in the common domain.
// So a lock file is created, closed and opened again; the descriptor a
// caller locks through never comes from the creating open.
//
// Thread- and process-safe (plain system calls); blocks only for the I/O.
#pragma once

#include <string>

namespace pas {

// open(path, flags) where `flags` may include O_CREAT (mode `mode`): when
// the file does not exist it is created by a separate open that is closed
// at once, and the descriptor returned is from a fresh open by name. O_EXCL
// and O_TRUNC are not allowed with it (EINVAL). Returns the descriptor, or
// -1 with errno set, like open(2).
int OpenLockFile(const std::string& path, int flags, int mode);

}  // namespace pas
