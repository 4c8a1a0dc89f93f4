// CopyEngine: copies whole CKD tracks from a source image to a target image
// through an IoBackend, and formats target tracks empty. It is the data
// mover of every copy pass of a swap (first pass, recopy passes, final
// copy). Design and figures: doc/copy-engine.md.
//
// Runs of consecutive tracks are moved in requests of up to
// `tracks_per_request` slots (one cylinder by default), never crossing a
// file of a multi-file set, with at most `queue_depth` requests in flight:
// reads of the next runs overlap writes of the previous ones. Every track is
// validated as a track image (ckd::ValidateTrack) before it is written; a
// source track that fails validation is re-read (a host write may have been
// in progress) and, still invalid, fails the copy with Corruption naming
// the track. Short transfers are resumed, EAGAIN is retried, a failed read
// is retried kReadRetries times; a failed write fails the copy with the
// errno. On any failure the tracks not confirmed written are available from
// not_copied() so the caller can mark them dirty again.
//
// When either image is compressed (CCKD) tracks have no fixed file offset:
// runs are then moved by a pool of `compress_threads` worker threads, each
// reading a run through the source image (inflating it), validating it and
// writing it through the target image (compressing it), so compression uses
// every core; the backend is not used for those runs. Same errors, retries
// (of invalid reads), statistics and not_copied() as the io path.
//
// Ownership: the engine borrows the images and the backend; they must
// outlive it. The source is only read (open it read-only). Thread-safety:
// one engine is driven by one thread; it owns its buffers. Different
// engines (one per volume) may run on different threads with their own
// backends.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "ckd/image.h"
#include "ckd/vtoc.h"
#include "engine/io_backend.h"

namespace pas::engine {

// Retries of a failed source read (and re-reads of a track that fails
// validation) before the copy fails.
inline constexpr int kReadRetries = 3;
// Retries of one request answered with EAGAIN before it counts as an error.
inline constexpr int kEagainRetries = 1000;

struct CopyOptions {
  unsigned queue_depth = 8;          // requests in flight (<= backend capacity)
  uint32_t tracks_per_request = 15;  // slots per request: one 3390 cylinder
  // Start the kernel's writeback of each run as soon as it is written
  // (IoBackend::StartWriteback), so SyncTarget overlaps the copy instead
  // of following it. Off by default: no gain measured (doc/copy-engine.md).
  bool start_writeback = false;
  // Copy less (doc/copy-engine.md, "Copy less"): read each run of the
  // target too and write only the tracks whose target slot is not already
  // byte-identical to what would be written (the source track, or the
  // empty track for FormatTracks). Costs one target read per run; saves
  // the write of every equal track. Only safe while nobody else writes
  // the target (the swap job holds it exclusively). Off by default.
  bool skip_equal = false;
  // Read-back verification: when a write completes, the engine keeps the
  // CRC-32 of the bytes written, starts their writeback and frees the
  // slot; once every run of the call has been started, each written run is
  // made clean (IoBackend::FinishWriteback), read back (through O_DIRECT
  // with direct_io: from the device) and the CRCs compared. A run that
  // reads back different is copied again from the source (formatted
  // again), up to kReadRetries times; then the copy fails with Corruption
  // ("did not read back as written"). A run leaves not_copied() only once
  // it read back equal (progress counts it when written). Costs one
  // target read per run.
  bool verify_writes = false;
  // Source reads and read-backs (verify_writes) with O_DIRECT, through a
  // second descriptor of each file: no copy through the page cache, and a
  // read-back that reads the device (doc/copy-engine.md, io_uring, "Direct
  // reads, buffered writes").
  // Where the file system or device refuses, the page cache is used.
  bool direct_io = true;
  // Target writes with O_DIRECT too, for runs whose file offset and length
  // are multiples of 4 KiB (doc/copy-engine.md, "Direct writes"). Runs are
  // then planned so that they start and end on such offsets (a 3390 track
  // starts on one every 8 tracks), up to tracks_per_request rounded up to
  // that period; with verify_writes each direct run is read back as soon
  // as its write completes, beside the copy. Used with direct_io only, on
  // local block file systems (ext4, XFS, btrfs); elsewhere, and for runs
  // that are not aligned, writes go through the page cache as above.
  bool direct_writes = false;
  // Worker threads moving runs when an image is compressed (0: one per
  // core, at most 8).
  unsigned compress_threads = 0;
  // Prefix of log lines and error messages: the unit or volume ("1887").
  std::string label;
  // Called after each completed request with the tracks done so far in
  // this call (copied, formatted or skipped); from the copying thread, or
  // for compressed images from a worker thread, one call at a time.
  std::function<void(uint64_t tracks_done)> progress;
  // When set and true, the engine stops issuing requests, drains the ones in
  // flight and returns Aborted (not_copied() holds the rest).
  const std::atomic<bool>* cancel = nullptr;
};

struct CopyStats {
  uint64_t tracks_copied = 0;     // source tracks written to the target
  uint64_t tracks_formatted = 0;  // empty tracks written by FormatTracks
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  uint64_t source_excps = 0;     // read requests issued (retries included)
  uint64_t target_excps = 0;     // write requests issued (resumptions included)
  uint64_t read_retries = 0;     // failed or invalid reads retried
  uint64_t tracks_skipped = 0;   // already equal on the target (skip_equal): not written
  uint64_t target_reads = 0;     // target read requests issued by skip_equal
  uint64_t verify_reads = 0;     // read-back requests issued by verify_writes
  uint64_t tracks_verified = 0;  // tracks read back equal to what was written
  uint64_t verify_rewrites = 0;  // runs written again after a read-back differed
  double cpu_seconds = 0;        // CPU of the copying thread
  double elapsed_seconds = 0;

  CopyStats& operator+=(const CopyStats& o);
};

class CopyEngine {
 public:
  // `source` and `target` must have the same device type; the target may
  // have more tracks than the source.
  CopyEngine(const ckd::CkdImage& source, ckd::CkdImage& target, IoBackend& backend,
             CopyOptions options);
  ~CopyEngine();
  CopyEngine(const CopyEngine&) = delete;
  CopyEngine& operator=(const CopyEngine&) = delete;

  // Copies every track in `tracks` from source to target. Blocks until done.
  // Errors: InvalidArgument (geometry mismatch, a track beyond either
  // image, queue_depth above the backend's capacity), Corruption (a source
  // track invalid after kReadRetries re-reads, not written; with
  // verify_writes, a run still reading back different after kReadRetries
  // rewrites, or unreadable), IoError with the errno (a read failing
  // kReadRetries+1 times, any write failure, the backend failing), Aborted
  // (cancelled). Messages name the label and the
  // track. On error not_copied() holds every track of `tracks` not written.
  Result<CopyStats> CopyTracks(const ckd::TrackSet& tracks);

  // Writes an empty FMT1 track (ckd::BuildEmptyTrack) to every target track
  // in `tracks` (tracks up to target.tracks(), beyond the source's end
  // allowed). Errors and not_copied() as CopyTracks.
  // Without skip_equal, each run of consecutive tracks in one file is
  // zeroed with IoBackend::ZeroRange (a punched hole) and only the first
  // ckd::kEmptyTrackLength bytes of each slot are written: the same bytes
  // as full slots at a fraction of the I/O. Where ZeroRange is
  // NotSupported the full slots are written instead (doc/copy-engine.md,
  // "Formatting sparsely"). target_excps counts one per zero range and one
  // per request-sized group (tracks_per_request) of head writes.
  Result<CopyStats> FormatTracks(const ckd::TrackSet& tracks);

  // Turns skip_equal on or off for the following calls.
  void set_skip_equal(bool on) { options_.skip_equal = on; }
  // Turns direct_io on or off for the following calls.
  void set_direct_io(bool on) { options_.direct_io = on; }
  // Turns verify_writes on or off for the following calls.
  void set_verify_writes(bool on) { options_.verify_writes = on; }
  // Turns direct_writes on or off for the following calls.
  void set_direct_writes(bool on) { options_.direct_writes = on; }

  // fdatasync of every file of the target through the backend. Blocks.
  Status SyncTarget();

  // After a failed CopyTracks/FormatTracks: the tracks of its set that were
  // not written (empty after success).
  const ckd::TrackSet& not_copied() const { return not_copied_; }

 private:
  struct Run;
  struct Slot;
  struct Written;
  enum class Mode { kCopy, kFormat };
  Result<CopyStats> Transfer(const ckd::TrackSet& tracks, Mode mode);
  Status PlanRuns(const ckd::TrackSet& tracks, Mode mode, std::vector<Run>& runs) const;
  Status CheckSetup(const std::string& who) const;
  Status FormatSparse(const ckd::TrackSet& tracks, CopyStats& stats);
  Result<CopyStats> TransferByImage(const ckd::TrackSet& tracks, Mode mode);
  using FdTable = std::vector<std::pair<int, int>>;  // fd and the O_DIRECT fd used for it
  int ReopenDirect(FdTable& table, int fd, int flags, const char* what);
  void DropDirect(FdTable& table, int fd, const char* what);
  int DirectFd(int fd);
  int DirectWriteFd(int fd);
  uint32_t DirectPeriod() const;
  bool DirectWritesUsed() const { return options_.direct_writes && options_.direct_io; }

  const ckd::CkdImage& source_;
  ckd::CkdImage& target_;
  IoBackend& backend_;
  CopyOptions options_;
  ckd::TrackSet not_copied_;
  std::vector<Slot> slots_;              // queue_depth buffers of tracks_per_request slots
  bool zero_range_unsupported_ = false;  // ZeroRange said NotSupported once
  // Each source and target fd and the O_DIRECT fd its reads use (the fd
  // itself when O_DIRECT is refused).
  FdTable direct_fds_;
  // Each target fd and the O_DIRECT read-write fd its direct writes use
  // (the fd itself where they are not used).
  FdTable direct_write_fds_;
  std::vector<int> retired_fds_;  // O_DIRECT fds given up on, closed with the engine
};

}  // namespace pas::engine
