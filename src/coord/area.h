// CoordinationArea: one open coordination area (`TARGET.pas-ctl`, beside
// the target image) — reading and writing its blocks and holding or
// probing its liveness locks. The format is in coord/format.h and
// doc/coordination-area.md; the protocol that uses it in
// doc/swap-protocol.md.
//
// Who writes what: the header only the job; participant block i and bitmap
// region i only participant i; watcher slot k only the monitor holding
// watcher lock k. Liveness: the job holds an OFD lock on JobLockByte(),
// participant i on ParticipantLockByte(i), a watching monitor on
// WatcherLockByte(k). The kernel releases them when the process dies, so
// the *Alive() probes tell a dead process from a slow one.
//
// Ownership and safety: an object owns two file descriptions (one for I/O
// and the locks it takes, one to probe others' locks) and closes them,
// releasing its locks, when destroyed. Movable, not copyable. Reads and
// writes are pread/pwrite of whole blocks, so concurrent calls from
// several threads on one object are safe; a reader that sees a block torn
// by a concurrent writer retries (up to about 50 ms) and then reports
// Corruption — never a half-written value. Nothing here waits for another
// process except those retries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "coord/format.h"

namespace pas::coord {

// target_image + ".pas-ctl".
std::string ControlPath(const std::string& target_image);

// The identity (inode number, size) of the file `path` names on this
// system (stat(2)). IoError when it cannot be stat'ed. Does not block
// beyond the stat.
Result<FileIdentity> IdentityOf(const std::string& path);

class CoordinationArea {
 public:
  enum class Mode {
    kReadOnly,       // probe and read only (SIMSWAP); NotFound when missing
    kReadWrite,      // NotFound when missing
    kCreate,         // created (and sized to kAreaSize) when missing
  };
  // Opens the area of `target_image` (the control file beside it). IoError
  // when it cannot be opened or sized.
  static Result<CoordinationArea> Open(const std::string& target_image, Mode mode);

  CoordinationArea(CoordinationArea&&) noexcept;
  CoordinationArea& operator=(CoordinationArea&&) noexcept;
  CoordinationArea(const CoordinationArea&) = delete;
  CoordinationArea& operator=(const CoordinationArea&) = delete;
  ~CoordinationArea();

  const std::string& path() const { return path_; }

  // ---- Locks (never wait) ----
  // Busy when another open file description holds the lock.
  Status TryLockJob();
  Status TryLockParticipant(uint32_t index);
  Status UnlockParticipant(uint32_t index);
  // True while some other file description holds the lock (this object's
  // own locks count too: the probe is a separate description). A failing
  // query counts as alive (never take a live process for dead).
  bool JobAlive() const;
  bool ParticipantAlive(uint32_t index) const;
  bool WatcherAlive(uint32_t slot) const;
  // True when any participant lock is held (a swap is still being followed).
  bool AnyParticipantAlive() const;

  // Claims a free watcher slot (the first whose lock can be taken), writes
  // `w` into it and keeps the lock until ReleaseWatcher or destruction.
  // Busy when all kMaxWatchers slots are held.
  Result<uint32_t> ClaimWatcher(const WatcherSlot& w);
  Status ReleaseWatcher(uint32_t slot);
  // The watcher slots whose lock is held and whose block decodes.
  std::vector<WatcherSlot> LiveWatchers() const;

  // ---- Blocks ----
  // NotFound when never written; Corruption when it stays undecodable
  // through the retries; IoError on a read failure.
  Result<Header> ReadHeader() const;
  Status WriteHeader(const Header& h);
  Result<ParticipantBlock> ReadParticipant(uint32_t index) const;
  Status WriteParticipant(const ParticipantBlock& p);
  // Zeroes every participant block (the job, at announce, before the new
  // header is visible).
  Status ClearParticipants();

  // Writes region `index` (the handed-over dirty tracks) and returns the
  // CRC-32C of its used bytes, to be published in the participant block.
  Result<uint32_t> WriteBitmap(uint32_t index, const std::vector<uint64_t>& words, uint32_t tracks);
  // Reads region `index` and checks it against `expected_crc` (from the
  // participant block that acknowledged it). Retries a mismatch; then
  // Corruption.
  Result<std::vector<uint64_t>> ReadBitmap(uint32_t index, uint32_t tracks, uint32_t expected_crc) const;

 private:
  CoordinationArea() = default;
  Status ReadAt(uint64_t offset, std::span<uint8_t> out) const;
  Status WriteAt(uint64_t offset, std::span<const uint8_t> in);
  Status TryLock(uint64_t byte);
  Status Unlock(uint64_t byte);
  bool Locked(uint64_t byte) const;
  void Close();

  std::string path_;
  int fd_ = -1;     // I/O and this object's locks
  int probe_ = -1;  // queries others' locks
};

}  // namespace pas::coord
