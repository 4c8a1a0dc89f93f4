// UnitIo: the host I/O API — the only way a process of a system does unit
// I/O: read/write a whole track, read/update a record by CCHHR, format a
// track. Every call goes through the unit control block: it waits (never
// fails) while the unit is quiesced, follows the unit to its new image
// after a swap (the target is pre-opened when the swap context is set),
// marks written tracks while the intercept is installed, and holds a
// striped robust mutex so a track write is atomic with respect to every
// other writer of the system. The path and its ordering argument:
// doc/host-io.md, "The host I/O path".
//
// Ownership: a UnitIo owns its image descriptors, its I/O slot in the unit
// table and its registration in the image's online registry; it borrows
// the System, which must outlive it. Movable, not copyable.
// Thread-safety: one UnitIo is used by one thread at a time; threads that
// do I/O concurrently each open their own UnitIo. Safe against any number
// of other UnitIo objects in this and other processes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "base/status.h"
#include "ckd/device.h"
#include "ckd/image.h"
#include "host/online_registry.h"
#include "host/unit_table.h"

namespace pas::host {

struct IoStats {
  uint64_t ios = 0;                // calls completed
  uint64_t writes = 0;             // track writes completed
  int64_t longest_gate_wait_us = 0;  // longest wait at the quiesce gate
  uint64_t reopens = 0;            // image reopens after a generation change
  uint64_t paced_writes = 0;       // writes followed by a pacing delay (host/pacing.h)
  int64_t paced_us = 0;            // total delay added by pacing
};

class UnitIo {
 public:
  // Opens unit `devnum` of `system` for I/O. The unit must be online (Busy
  // otherwise; NotFound for an unknown unit). Registers this process in the
  // image's online registry FIRST and only then reads the freeze marker, so
  // a swap job either lists this system (it lists after freezing) or this
  // process sees the freeze. When frozen and this system is not a
  // participant of that swap (its unit has no swap context for it), the
  // registration is dropped and Open waits (polling every 50 ms) until the
  // decision exists: SWAP follows to the target image, SOURCE proceeds. A
  // registry marked moved follows to the target. Errors from opening the
  // image (IoError, Corruption). Blocks as described.
  static Result<UnitIo> Open(System& system, uint16_t devnum);
  UnitIo(UnitIo&&) noexcept;
  UnitIo& operator=(UnitIo&&) noexcept;
  UnitIo(const UnitIo&) = delete;
  UnitIo& operator=(const UnitIo&) = delete;
  ~UnitIo();

  uint16_t devnum() const;
  uint32_t tracks() const;
  const ckd::DeviceGeometry& geometry() const;
  // The image this UnitIo currently does I/O on.
  const std::string& image_path() const;

  // Each call below: waits while quiesced; Busy when the unit is offline;
  // InvalidArgument for a track or record out of range; IoError from the
  // image. Blocks for the I/O and any quiesce.
  // Reads `track`'s slot into `slot` (exactly geometry().slot_size bytes).
  pas::Status ReadTrack(uint32_t track, std::span<uint8_t> slot);
  // Writes a whole track image. The image is validated first
  // (ckd::ValidateTrack): InvalidArgument and nothing written when bad.
  // Every write (WriteTrack, UpdateRecord, FormatTrack) is followed by the
  // unit's pacing delay while a swap paces writers (host/pacing.h).
  pas::Status WriteTrack(uint32_t track, std::span<const uint8_t> slot);
  // The data of record `record` on track `cchh`. NotFound when absent.
  Result<std::vector<uint8_t>> ReadRecord(ckd::Cchh cchh, uint8_t record);
  // Replaces the data of record `record` (same length; InvalidArgument
  // otherwise): read-modify-write of the track under the stripe lock.
  pas::Status UpdateRecord(ckd::Cchh cchh, uint8_t record, std::span<const uint8_t> data);
  // Writes an empty FMT1 track (R0 only).
  pas::Status FormatTrack(uint32_t track);

  IoStats stats() const;

 private:
  struct State;
  explicit UnitIo(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

}  // namespace pas::host
