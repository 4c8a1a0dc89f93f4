// The mapped layout of a system's unit table (RUNTIME/SYSNAME.units). Private
// to src/host: other components use System and UnitIo. Format and the
// protocol of every field: doc/host-io.md, "The unit table".
//
// Every field is either immutable after creation (written before the ready
// magic is published), an atomic with the protocol named at it, or guarded
// by the UCB's robust process-shared `mutex`.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace pas::host {

inline constexpr uint64_t kTableMagic = 0x3153454C42415455ull;  // "UTABLES1" little-endian
inline constexpr uint32_t kTableVersion = 3;
inline constexpr int kMaxSlots = 128;     // process / I/O-channel slots
inline constexpr int kStripes = 64;       // track-write stripe mutexes per unit
inline constexpr size_t kPathMax = 1024;
// Every bitmap covers the largest CKD image (65535 cylinders x 15 heads) so
// a swap to a larger target never outgrows it; untouched pages stay sparse.
inline constexpr uint32_t kBitmapTracks = 65535u * 15u;
inline constexpr size_t kBitmapBytes = ((kBitmapTracks + 63) / 64) * 8;

// In-flight word of one slot for one unit (64 bits):
//   high 32 bits: a sequence number the owner increments on every store, so
//                 any change of the word means the I/O it showed has ended;
//   low 32 bits:  0 = no I/O, else (track + 1) | kInflightWrite.
inline constexpr uint32_t kInflightWrite = 0x8000'0000u;

struct ProcessSlot {
  std::atomic<int32_t> pid;         // informational (liveness is the slot's OFD lock)
  std::atomic<int64_t> start_time;  // wall seconds when claimed
};

struct UnitControlBlock {
  // Immutable after creation (configured_image: guarded by `mutex`; changed
  // only by System::ExchangeImagesAfterSwap, with the configuration file).
  uint16_t devnum;
  uint16_t device_type;
  uint32_t index;
  char configured_image[kPathMax];
  uint64_t bitmap_offset;  // from the start of the table

  // Guarded by `mutex` (readers take it too).
  char image_path[kPathMax];        // current image
  char decision_path[kPathMax];     // swap context
  char target_image[kPathMax];
  char job_id[64];

  std::atomic<uint32_t> tracks;      // of the current image; 0 if it never opened
  std::atomic<uint32_t> generation;  // ++ under mutex by SwitchImage / recovery
  std::atomic<uint32_t> online;      // 1 online
  std::atomic<uint32_t> intercept;   // 0, or the installer's slot + 1 (seq_cst: see host_io.cc)
  std::atomic<uint32_t> quiesce;     // futex word: 0 running, else holder slot + 1
  std::atomic<uint32_t> drain_seq;   // futex word the quiescer waits on
  std::atomic<uint32_t> context_seq; // ++ on every Set/ClearSwapContext
  // Write pacing (host/pacing.h, EncodePace): 0 off, else the us added after
  // each track write while the intercept is installed and its setter. Sits in
  // what was padding before quiesce_start_us: the layout is unchanged.
  std::atomic<uint32_t> pace;
  // 1 when the configuration the table was built or last attached from
  // said OFFLINE for this unit. Attach compares it with the configuration
  // and applies a changed OFFLINE statement (under the table flock).
  std::atomic<uint32_t> configured_offline;
  std::atomic<int64_t> quiesce_start_us;  // CLOCK_MONOTONIC
  std::atomic<int64_t> longest_pause_us;

  pthread_mutex_t mutex;             // robust, process-shared: control operations
  pthread_mutex_t stripes[kStripes]; // robust, process-shared: track writes
  std::atomic<uint64_t> inflight[kMaxSlots];

  // The reopen of a program that cannot have its descriptors switched in
  // place (Hercules on a compressed image: host/reopen.h, doc/cckd-live.md).
  // reopen_user: 0, or the slot + 1 of the process whose program re-opens
  // the unit when asked (its intercept can make Hercules do `devinit`);
  // set by that process with a compare-and-swap, taken over from a dead one.
  std::atomic<uint32_t> reopen_user;
  // Futex word: kReopenIdle, kReopenRequested (by a participant: reopen
  // reopen_image), kReopenHeld (the user's program closed every descriptor of
  // the unit and its reopen waits), kReopenReleased (the participant followed
  // the decision; the held open proceeds on the unit's image then). Moves
  // only by compare-and-swap except the user's final store of kReopenIdle.
  std::atomic<uint32_t> reopen_state;
  std::atomic<uint32_t> reopen_requester;  // the requesting participant's slot + 1
  std::atomic<uint32_t> reopen_seq;        // ++ on every request
  char reopen_image[kPathMax];             // guarded by `mutex`
};

inline constexpr uint32_t kReopenIdle = 0;
inline constexpr uint32_t kReopenRequested = 1;
inline constexpr uint32_t kReopenHeld = 2;
inline constexpr uint32_t kReopenReleased = 3;

struct UnitTable {
  std::atomic<uint64_t> magic;  // kTableMagic, stored (release) last at creation
  uint32_t version;
  uint32_t unit_count;
  uint64_t size;
  char name[64];
  char serial[32];
  ProcessSlot slots[kMaxSlots];
  // unit_count UnitControlBlocks follow at ucb_offset, then the bitmaps.
  uint64_t ucb_offset;

  UnitControlBlock* ucb(uint32_t i) {
    return reinterpret_cast<UnitControlBlock*>(reinterpret_cast<char*>(this) + ucb_offset) + i;
  }
  std::atomic<uint64_t>* bitmap(UnitControlBlock* u) {
    return reinterpret_cast<std::atomic<uint64_t>*>(reinterpret_cast<char*>(this) + u->bitmap_offset);
  }
};

// Locks a robust mutex; on EOWNERDEAD (its holder died) makes it
// consistent and carries on. Returns 0 or the pthread error.
int LockRobust(pthread_mutex_t* m);

// CLOCK_MONOTONIC microseconds (system-wide, comparable across processes).
int64_t MonotonicMicros();

}  // namespace pas::host
