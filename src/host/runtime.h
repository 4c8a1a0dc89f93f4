// The runtime directory of the systems on this machine and the OFD-lock
// helpers every host file uses to tell a live process from a dead one.
//
// The runtime directory is $PAS_RUNTIME_DIR, else /tmp/pas-runtime-<uid>;
// it holds one unit table per system (SYSNAME.units, doc/host-io.md).
//
// OFD locks (fcntl F_OFD_SETLK / F_OFD_GETLK) belong to an open file
// description, not to a process: a lock taken through one descriptor is
// held until every descriptor sharing that description is closed, which
// the kernel does when the process dies. A lock taken through another open
// of the same file conflicts normally, also inside one process, so these
// helpers test liveness through a separate "probe" descriptor.
// All functions are thread-safe; none blocks unless its name says Wait.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace pas::host {

// $PAS_RUNTIME_DIR or /tmp/pas-runtime-<uid>. Does not create it.
std::string RuntimeDir();
// Creates the runtime directory (mode 0700) if missing. IoError on failure.
Result<std::string> EnsureRuntimeDir();

// Byte offsets used for liveness locks: far beyond any data in the file.
inline constexpr uint64_t kLockBase = uint64_t{1} << 40;

enum class LockKind { kShared, kExclusive };

// Takes an OFD lock on the single byte `offset` of `fd` without waiting.
// Busy when another open file description holds a conflicting lock;
// IoError for other failures.
Status TryLockByte(int fd, uint64_t offset, LockKind kind);
// As TryLockByte but blocks until the lock is granted.
Status WaitLockByte(int fd, uint64_t offset, LockKind kind);
// Releases this description's lock on byte `offset`.
Status UnlockByte(int fd, uint64_t offset);
// True when some open file description other than `probe_fd`'s holds any
// lock on byte `offset` (F_OFD_GETLK for a write lock). On a lock query
// failure returns true (assume alive: never treat a live process as dead).
bool ByteLocked(int probe_fd, uint64_t offset);

// An owned file descriptor (closed on destruction; movable).
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_ = -1;
};

}  // namespace pas::host
