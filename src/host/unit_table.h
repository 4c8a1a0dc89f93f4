// System: this process's attachment to its system's unit table, the
// mmapped file RUNTIME/SYSNAME.units holding one unit control block (UCB)
// per configured DASD unit: device number and type, the current image and
// its generation, online/offline, the intercept flag, the quiesce word,
// the per-I/O-slot in-flight words, the swap context and the dirty-track
// bitmap. Format and the ordering arguments: doc/host-io.md.
//
// The first process of a system creates the table from its SystemConfig
// (under flock, magic word written last); every other process of the same
// system name attaches to it. Systems with different names have separate
// tables. Each attachment claims a process slot whose liveness is an OFD
// lock the kernel releases when the process dies.
//
// Ownership: Attach returns the only owner of the mapping and the slot;
// destroying the System releases the slot. UnitIo objects created from a
// System must not outlive it.
// Thread/process safety: every member function may be called from any
// thread; cross-process consistency comes from atomics and robust
// process-shared mutexes in the table. One System per process per system
// is the intended use (a second one works but claims a second slot).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "ckd/vtoc.h"
#include "host/config.h"

namespace pas::host {

struct UnitTable;  // the mapped layout (host/ucb.h, private to src/host)
struct UnitControlBlock;

// What a swap in progress on a unit needs for recovery when its quiesce
// holder dies (see doc/swap-protocol.md §3).
struct SwapContext {
  std::string decision_path;  // the decision record
  std::string target_image;   // where SWAP moves the unit
  std::string job_id;
};

struct UnitStatus {
  uint16_t devnum = 0;
  uint16_t device_type = 0;
  std::string image_path;    // the current image (changes on a swap)
  uint32_t generation = 0;   // incremented by every SwitchImage
  uint32_t tracks = 0;       // tracks of the current image (0 if it never opened)
  bool online = false;
  bool intercept = false;    // the change-tracking intercept is installed
  bool quiesced = false;
  uint32_t dirty_tracks = 0; // bits set in the dirty bitmap now
  int64_t longest_pause_us = 0;  // longest quiesce .. resume so far
  SwapContext swap;          // empty when no swap is in progress
};

struct QuiesceInfo {
  int64_t drain_us = 0;            // time from setting the quiesce to drained
  uint32_t dead_writes_marked = 0; // in-flight writes of dead processes marked dirty
};

class System {
 public:
  // Creates or attaches the unit table of `config.name` in RuntimeDir()
  // and claims a process slot. Blocks briefly on the table's flock.
  // Errors: IoError (runtime dir, file, mmap), InvalidArgument when an
  // existing table of that name lists different units (names the first
  // difference and how to clear it), Busy when every process slot is live.
  static Result<std::unique_ptr<System>> Attach(const SystemConfig& config);
  ~System();
  System(const System&) = delete;
  System& operator=(const System&) = delete;

  const std::string& name() const { return name_; }
  const std::string& serial() const { return serial_; }
  const std::string& table_path() const { return table_path_; }
  // This attachment's process slot (the quiesce holder id it uses).
  int slot() const { return slot_; }
  // Configured units in table order.
  std::vector<uint16_t> Devnums() const;

  // NotFound for an unknown unit. Never blocks.
  Result<UnitStatus> Status(uint16_t devnum) const;

  // Brings the unit online or offline for this system. I/O through an open
  // UnitIo on an offline unit fails Busy ("unit offline"); UnitIo::Open
  // needs the unit online. The state is also recorded in the online
  // registry of the unit's image, where it persists without a process
  // (MarkSystemOnline / MarkSystemOffline). NotFound for an unknown unit;
  // IoError when the registry cannot be written (the unit table is
  // changed all the same). Blocks briefly on the registry's claim lock.
  pas::Status Vary(uint16_t devnum, bool online);

  // Control operations of the monitor and the swap job (same system).
  // Records / clears the swap context (and lets I/O processes pre-open the
  // target). NotFound, InvalidArgument for a path over 1023 bytes.
  pas::Status SetSwapContext(uint16_t devnum, const SwapContext& context);
  pas::Status ClearSwapContext(uint16_t devnum);

  // Installs the change-tracking intercept: clears the bitmap, sets the
  // flag, then waits until every I/O that was in flight before the flag
  // was visible has finished (a grace period; I/O of dead processes counts
  // as finished, their in-flight write tracks are marked). From the return
  // on, every write that completes on this system is marked. Blocks for at
  // most `timeout_us` (TimedOut then; the intercept stays installed).
  pas::Status InstallIntercept(uint16_t devnum, int64_t timeout_us = 10'000'000);
  // Clears the flag. Writes already past their flag check may still mark.
  pas::Status RemoveIntercept(uint16_t devnum);

  // Takes and clears the dirty bitmap (atomic per 64-bit word) and adds the
  // tracks of in-flight writes of dead processes. The set has the unit's
  // current track count. NotFound. Never blocks.
  Result<ckd::TrackSet> HarvestDirty(uint16_t devnum);

  // Quiesces the unit: sets the quiesce word (holder = slot()), then waits
  // until no live process has I/O in flight on the unit; an in-flight write
  // of a dead process is marked dirty. New I/O waits (it does not fail)
  // until Resume. TimedOut when not drained within `timeout_us`: the unit
  // is then resumed before returning. Busy if already quiesced by another
  // live holder. Blocks up to the timeout.
  Result<QuiesceInfo> Quiesce(uint16_t devnum, int64_t timeout_us);

  // Points the unit at `new_image` and increments the generation; every
  // process reopens on its next I/O. The caller must hold the quiesce
  // (InvalidArgument otherwise). The image must open and have the unit's
  // device type (IoError / Corruption / InvalidArgument, nothing changed).
  pas::Status SwitchImage(uint16_t devnum, const std::string& new_image);

  // Clears the quiesce, wakes every waiter and records the pause length.
  // InvalidArgument when the unit is not quiesced. Never blocks.
  pas::Status Resume(uint16_t devnum);

  // After a committed SWAP of the volume of unit `source` to unit `target`
  // (the source unit already on the target image): the target unit now
  // names `old_source_image` (the relabelled old source; only when offline,
  // so nothing of this system does I/O through it), and with
  // `exchange_configured` (the configuration file was just rewritten the
  // same way) the two units' configured images are exchanged, so an attach
  // with the rewritten file matches the table. NotFound for an unknown
  // unit. Never blocks long.
  pas::Status ExchangeImagesAfterSwap(uint16_t source, uint16_t target, const std::string& old_source_image,
                                      bool exchange_configured);

  // True when an online unit of this system other than `except` uses
  // `image` now (a moved marker pointing there is not followed: that unit
  // holds the volume, and `except` names the old source deliberately).
  bool ImageInUseByOtherUnit(const std::string& image, uint16_t except) const;

  // For the host I/O path (src/host only).
  UnitControlBlock* FindUcb(uint16_t devnum) const;
  UnitTable* table() const { return table_; }
  int probe_fd() const { return probe_fd_; }
  int table_fd() const { return fd_; }
  // True when process slot `slot` is held by a live process.
  bool SlotAlive(int slot) const;
  // Claims a free slot (for an I/O channel); returns the slot index and
  // keeps its lock on `lock_fd` (a fresh open of the table file).
  Result<int> ClaimSlot(int* lock_fd);
  void ReleaseSlot(int slot, int lock_fd);
  // The recovery run by a waiter that finds the quiesce holder dead
  // (doc/host-io.md, "Dead quiesce holder"). Never blocks long.
  // `dead_slot`: a slot the caller just claimed (its previous owner is
  // dead although the slot's lock is now held).
  pas::Status RecoverDeadHolder(UnitControlBlock* ucb, int dead_slot = -1);
  // Run when a slot is claimed (Attach, ClaimSlot): the dead-holder
  // recovery for units quiesced by a dead process, and removal of
  // intercepts whose installing process died while its unit was not
  // quiesced (recording SOURCE when no decision exists). Never blocks long.
  void RecoverOrphans(int fresh_slot);
  // Run by Attach: an online unit whose image was swapped away while no
  // process of this system had it online (the job does not wait for such a
  // system) still names the old source; it is pointed at the target the image's
  // registry marks it moved to (following a chain of swaps), under the
  // quiesce, so `pas display` and every later open agree with the swap.
  // Units a live process of this system still has open on the old image
  // are left to that system's participant. Best effort; never blocks long.
  void FollowMovedVolumes();
  // Run by Attach on an existing table, under its flock: applies an OFFLINE
  // statement added to or removed from the configuration since (PAS284I).
  void ApplyChangedOffline(const SystemConfig& config);
  // Run by Attach: records every unit's online state in its image's
  // online registry (the fact other systems see). Best effort, logged.
  void PublishOnlineState();
  // Marks (if a write) and clears the in-flight entries of dead slots;
  // returns the writes marked.
  uint32_t ReapDeadInflight(UnitControlBlock* ucb);
  // Marks and clears slot `slot`'s in-flight entry; true if it was a write.
  bool ReapSlot(UnitControlBlock* ucb, int slot);

 private:
  System() = default;
  void EndQuiesce(UnitControlBlock* ucb);
  std::string name_, serial_, table_path_;
  UnitTable* table_ = nullptr;
  size_t map_size_ = 0;
  int fd_ = -1;        // holds this attachment's slot lock
  int probe_fd_ = -1;  // for liveness queries
  int slot_ = -1;
};

}  // namespace pas::host
