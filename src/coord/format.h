// The coordination area's on-storage format: the blocks of
// `TARGET.pas-ctl`, encoded and decoded by pure functions.
//
// The coordination area is the only channel between the swap job and the
// monitors of the other systems (doc/swap-protocol.md). It is a fixed-size
// file beside the target image holding a header block (written only by the
// job), one watcher slot per running monitor (written only by that
// monitor), one participant block per system taking part in the swap
// (written only by that system's participant) and one dirty-track bitmap
// region per participant. Every block ends with a CRC-32C over the rest of
// it, so a torn or corrupt read is detected and never taken for a decision.
// The exact byte layout: doc/coordination-area.md.
//
// Everything here is a pure function over caller-owned bytes: thread-safe,
// never blocks, and the decoders accept any input (they return Corruption
// or NotFound, never crash) — they are fuzz targets.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"

namespace pas::coord {

// ---- Layout (doc/coordination-area.md) ----
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr uint32_t kHeaderSize = 4096;
inline constexpr uint32_t kWatcherSlotSize = 128;
inline constexpr uint32_t kMaxWatchers = 64;
inline constexpr uint32_t kParticipantBlockSize = 512;
inline constexpr uint32_t kMaxParticipants = 32;
// Largest volume whose dirty tracks fit a bitmap region: 65536 cylinders
// of 15 tracks (the Hercules header limits a CKD image to 65536 cylinders).
inline constexpr uint32_t kMaxTracks = 65536 * 15;
inline constexpr uint32_t kBitmapRegionSize = kMaxTracks / 8;  // 122880, a multiple of 4096

inline constexpr uint64_t kWatcherOffset = kHeaderSize;                                   // 4096
inline constexpr uint64_t kParticipantOffset = kWatcherOffset + kMaxWatchers * kWatcherSlotSize;  // 12288
inline constexpr uint64_t kBitmapOffset = 32768;
inline constexpr uint64_t kAreaSize = kBitmapOffset + uint64_t{kMaxParticipants} * kBitmapRegionSize;
static_assert(kParticipantOffset + kMaxParticipants * kParticipantBlockSize <= kBitmapOffset);

inline constexpr uint64_t WatcherOffset(uint32_t slot) { return kWatcherOffset + uint64_t{slot} * kWatcherSlotSize; }
inline constexpr uint64_t ParticipantOffset(uint32_t i) {
  return kParticipantOffset + uint64_t{i} * kParticipantBlockSize;
}
inline constexpr uint64_t BitmapOffset(uint32_t i) { return kBitmapOffset + uint64_t{i} * kBitmapRegionSize; }

// Liveness lock bytes (OFD locks; far beyond the data, like the host files).
inline constexpr uint64_t kLockBase = uint64_t{1} << 40;
inline constexpr uint64_t JobLockByte() { return kLockBase; }
inline constexpr uint64_t ParticipantLockByte(uint32_t i) { return kLockBase + 1 + i; }
inline constexpr uint64_t WatcherLockByte(uint32_t slot) { return kLockBase + 64 + slot; }

// Field sizes.
inline constexpr size_t kNameSize = 16;    // system names, serials
inline constexpr size_t kPathSize = 1024;  // image paths (NUL-padded)
inline constexpr size_t kNoteSize = 128;

// ---- Values ----
enum class JobFunction : uint8_t { kSwap = 1, kSwapDump = 2, kSimSwapMon = 3 };
const char* JobFunctionName(JobFunction f);  // "SWAP", "SWAPDUMP", "SIMSWAPMON"

// Progress of the job (for display and bookkeeping; the decision record,
// not this state, is what participants follow).
enum class JobState : uint8_t {
  kAnnounced = 1,  // request written; participants join
  kCopy = 2,
  kRecopy = 3,
  kQuiesce = 4,    // participants asked to quiesce
  kFinal = 5,      // final copy running
  kDecided = 6,    // decision record exists
  kDone = 7,       // every participant followed; the job is finished with it
  kFailed = 8,     // ended without a swap (decision SOURCE)
};
const char* JobStateName(JobState s);

enum class ParticipantState : uint8_t {
  kJoined = 1,    // intercept installed, handing over on request
  kDeclined = 2,  // will not take part (note says why); the job fails the volume
  kQuiesced = 3,  // I/O held, final dirty tracks handed over
  kSwapped = 4,   // unit now on the target, I/O resumed
  kResumed = 5,   // stayed on / returned to the source, intercept removed
  kLeft = 6,      // SIMSWAPMON: joined and left
};
const char* ParticipantStateName(ParticipantState s);

// ---- Blocks ----
// Which file an image path names, independent of the path: the inode
// number and size of the image's (first) file. On a file system shared by
// several machines the inode number is the same on every client
// (GlusterFS derives it from the file's GFID, NFS uses the server's inode)
// while the device number and the mount path are not, so a system finds
// its unit for the job's source and target by this identity, under its
// own mount path (doc/multi-machine.md). ino 0: not recorded.
struct FileIdentity {
  uint64_t ino = 0;
  uint64_t size = 0;
  bool operator==(const FileIdentity&) const = default;
};

struct Header {
  uint64_t job_id = 0;  // never 0 in a valid header
  JobFunction function = JobFunction::kSwap;
  JobState state = JobState::kAnnounced;
  uint32_t tracks = 0;       // of the source volume (<= kMaxTracks)
  uint32_t cylinders = 0;    // of the source volume
  uint16_t heads = 0;
  uint16_t device_type = 0;  // 0x3390
  uint16_t source_devnum = 0;  // on the job's system
  uint16_t target_devnum = 0;
  uint32_t harvest_seq = 0;  // incremented by the job for each handover request
  uint32_t quiesce_seq = 0;  // non-zero: participants must quiesce
  uint32_t job_pid = 0;
  // Microseconds each participant adds after every write to the source
  // while its intercept is installed (0: no pacing). Raised by the job when
  // writes outpace the copy (doc/swap-protocol.md, "Convergence").
  uint32_t pace_us = 0;
  int64_t created_us = 0;    // wall clock, microseconds since the Unix epoch
  int64_t updated_us = 0;
  std::string volser;        // 1-6 characters
  std::string job_system;    // the system the job runs on
  std::vector<std::string> expected;  // systems that must join, index = participant index
  std::string source_path;   // source image (first file of a set), as the job's system names it
  std::string target_path;   // target image, as the job's system names it
  FileIdentity source_id;    // the files those paths name on the job's system
  FileIdentity target_id;

  // Index of `system` in `expected`, or -1.
  int ParticipantIndex(const std::string& system) const;
};

struct WatcherSlot {
  uint32_t pid = 0;
  std::string system;
  std::string serial;
  uint16_t devnum = 0;      // the target unit on the watcher's system
  int64_t started_us = 0;
};

struct ParticipantBlock {
  uint32_t index = 0;
  uint64_t job_id = 0;      // the job this block answers (stale blocks are ignored)
  ParticipantState state = ParticipantState::kJoined;
  uint32_t pid = 0;
  uint16_t source_devnum = 0;  // on the participant's system
  uint16_t target_devnum = 0;
  uint32_t harvest_ack = 0;    // the harvest_seq whose dirty tracks are in the region
  uint32_t quiesce_ack = 0;    // the quiesce_seq this participant is quiesced for
  uint32_t bitmap_count = 0;   // tracks set in the region for harvest_ack
  uint32_t bitmap_crc = 0;     // CRC-32C of the region's used bytes for harvest_ack
  uint32_t harvests = 0;       // handovers done
  uint64_t tracks_handed = 0;  // tracks handed over in all handovers
  uint64_t longest_pause_us = 0;  // longest I/O hold this system saw
  int64_t joined_us = 0;
  int64_t updated_us = 0;
  std::string system;
  std::string serial;
  std::string note;          // reason for DECLINED, "" otherwise
};

// CRC-32C (Castagnoli), as used by every block. `crc` chains calls.
uint32_t Crc32c(std::span<const uint8_t> bytes, uint32_t crc = 0);

// Encoders: exactly the block size, CRC filled in. InvalidArgument when a
// field does not fit (a name longer than 15 bytes, a path longer than 1023,
// more than kMaxParticipants expected systems, tracks > kMaxTracks, job_id 0).
Result<std::vector<uint8_t>> EncodeHeader(const Header& h);
Result<std::vector<uint8_t>> EncodeWatcherSlot(const WatcherSlot& w);
Result<std::vector<uint8_t>> EncodeParticipantBlock(const ParticipantBlock& p);

// Decoders: any bytes in. NotFound when the block was never written (all
// zero); Corruption naming the field when the size, magic, version, CRC or
// a field value is wrong.
Result<Header> DecodeHeader(std::span<const uint8_t> bytes);
Result<WatcherSlot> DecodeWatcherSlot(std::span<const uint8_t> bytes);
Result<ParticipantBlock> DecodeParticipantBlock(std::span<const uint8_t> bytes);

// A bitmap region's used bytes: ceil(tracks/64) little-endian 64-bit words.
size_t BitmapBytes(uint32_t tracks);
std::vector<uint8_t> EncodeBitmap(const std::vector<uint64_t>& words, uint32_t tracks);
// Words from region bytes; Corruption when the size is wrong or a bit
// beyond `tracks` is set.
Result<std::vector<uint64_t>> DecodeBitmap(std::span<const uint8_t> bytes, uint32_t tracks);

}  // namespace pas::coord
