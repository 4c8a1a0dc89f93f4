// IoBackend: asynchronous reads and writes of byte ranges of open files,
// the I/O seam of the copy engine. Implementations: io_uring (liburing), a
// plain pread/pwrite one (used when io_uring is unavailable), and
// FaultInjectingBackend, a wrapper that fails, shortens, delays (-EAGAIN),
// tears or loses chosen requests for tests and for failing-storage runs of
// a real `pas` process (PAS_IO_FAULTS). Design and fault syntax:
// doc/copy-engine.md.
//
// The model is submit / wait: Submit() queues a request and never blocks;
// Wait() hands the queued requests to the kernel and blocks until at least
// `min_complete` completions are available. A completion reports what one
// attempt did: the bytes transferred (possibly fewer than asked: a short
// transfer) or an errno (EAGAIN included). Backends never retry or resume;
// the caller (CopyEngine) does, so the wrapper can exercise that logic.
// The kernel's -errno convention stops here: a completion carries a
// positive errno in `error` and the byte count separately.
//
// Ownership: the caller owns the file descriptors and the buffers; a buffer
// must stay valid until its completion has been returned by Wait(). User
// tags must be unique among requests in flight.
// Thread-safety: one backend object is used by one thread at a time; use
// one backend per copying thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"

namespace pas::engine {

enum class IoOp : uint8_t { kRead, kWrite };

struct IoRequest {
  IoOp op = IoOp::kRead;
  int fd = -1;
  uint64_t offset = 0;
  std::span<uint8_t> buf;  // read into / write from; at most 2 GiB - 4 KiB
  uint64_t user = 0;       // returned in the completion
};

struct IoCompletion {
  uint64_t user = 0;
  uint32_t bytes = 0;  // transferred by this attempt (0 on error)
  int error = 0;       // 0, or a positive errno (EIO, ENOSPC, EAGAIN, ...)
};

class IoBackend {
 public:
  virtual ~IoBackend() = default;

  // "io_uring", "pread", "faults(io_uring)".
  virtual std::string name() const = 0;
  // The most requests that may be submitted and not yet completed.
  virtual unsigned capacity() const = 0;

  // Queues `req`. Does not block. InvalidArgument when `capacity()` requests
  // are already outstanding or the buffer is empty or too large.
  virtual Status Submit(const IoRequest& req) = 0;

  // Starts every queued request and blocks until at least `min_complete`
  // completions are ready (fewer only if fewer are outstanding); returns
  // them. The returned span stays valid until the next call on this
  // backend. IoError only when the backend itself fails (the ring), never
  // for the result of one request.
  virtual Result<std::span<const IoCompletion>> Wait(unsigned min_complete) = 0;

  // fdatasync(fd); blocks. IoError with the errno on failure.
  virtual Status Sync(int fd) = 0;

  // Asks the kernel to start writing back [offset, offset+length) of fd
  // (sync_file_range SYNC_FILE_RANGE_WRITE) so a later Sync has little
  // left to do. A hint: does not wait for the data, errors are ignored
  // (Sync reports them). The io_uring backend queues it on the ring
  // (IORING_OP_SYNC_FILE_RANGE, started with the next Wait) and never
  // blocks; the others call sync_file_range, which may block briefly when
  // the device queue is full.
  virtual void StartWriteback(int fd, uint64_t offset, uint64_t length);

  // Writes [offset, offset+length) of fd back (length 0: to the end of
  // the file) and waits until it is (sync_file_range WAIT_BEFORE | WRITE |
  // WAIT_AFTER; no device flush).
  // Blocks the caller, but not other writers of the file: a direct read
  // of a dirty range would write it back itself, holding the file's
  // inode lock, and every buffered write to the file would wait for that.
  // Errors are ignored here (Sync reports them).
  virtual void FinishWriteback(int fd, uint64_t offset, uint64_t length);

  // Asks the kernel to read [offset, offset+length) of fd into the page
  // cache now (posix_fadvise WILLNEED), without waiting for it: a later
  // buffered write that covers only part of a 4 KiB block then finds the
  // block there instead of reading it from the device itself. A hint:
  // errors are ignored.
  virtual void Prefetch(int fd, uint64_t offset, uint64_t length);

  // Makes [offset, offset+length) of fd read as zeros and the file at least
  // offset+length long, without writing the zeros: fallocate(PUNCH_HOLE |
  // KEEP_SIZE) deallocates the whole blocks of the range and zeroes the
  // partial ones; a file ending inside the range is then extended
  // (ftruncate). Synchronous: done when it returns, so writes submitted
  // afterwards land on the zeroed range. Must not overlap a request in
  // flight. NotSupported when the filesystem cannot punch holes
  // (EOPNOTSUPP, ENOSYS): the caller writes the zeros instead. IoError
  // with the errno on any other failure.
  virtual Status ZeroRange(int fd, uint64_t offset, uint64_t length);

  // Registers the caller's buffers with the kernel once (io_uring fixed
  // buffers), so requests whose bytes lie inside one of them skip the
  // per-request page pinning. Replaces an earlier registration; must be
  // called with nothing outstanding; the buffers must stay valid until the
  // next call or the backend's destruction. Requests outside every
  // registered buffer still work. A hint: the default does nothing; Ok
  // when registered or ignored, NotSupported when the kernel refused
  // (RLIMIT_MEMLOCK): the caller goes on without.
  virtual Status RegisterBuffers(std::span<const std::span<uint8_t>> buffers);

  // Requests submitted and not yet returned by Wait().
  virtual unsigned outstanding() const = 0;
};

// An io_uring backend with `queue_depth` entries. NotSupported when the
// kernel refuses a ring (io_uring_queue_init fails: old kernel, seccomp,
// io_uring_disabled), so the caller can fall back to MakePreadBackend().
Result<std::unique_ptr<IoBackend>> MakeUringBackend(unsigned queue_depth);

// A backend that performs each request with one pread/pwrite call inside
// Wait(), in submission order. Always available.
std::unique_ptr<IoBackend> MakePreadBackend(unsigned queue_depth = 8);

// io_uring when available, else pread, logged on the "engine" logger.
// PAS_IO_BACKEND=uring|pread forces one (uring falls back to pread with a
// warning when refused). When PAS_IO_FAULTS is set (and parses), the result
// is wrapped in a FaultInjectingBackend with that spec; a malformed spec is
// logged as an error and ignored.
std::unique_ptr<IoBackend> MakeAutoBackend(unsigned queue_depth);

// What to inject. Request numbers count from 1 per kind (reads and writes
// separately), retries and resumed transfers included.
struct FaultSpec {
  struct Failure {
    uint64_t nth = 0;     // the request number that fails (0: none)
    int error = 0;        // errno returned
    bool sticky = false;  // later requests overlapping the same bytes of the
                          // same file fail too (a bad spot on the medium)
  };
  Failure read_error;
  Failure write_error;
  Failure sync_error;  // the nth Sync fails
  // The nth ZeroRange fails; EOPNOTSUPP or ENOSYS make it NotSupported (a
  // filesystem without hole punching), any other errno an IoError.
  Failure zero_error;
  // Writes reaching past this byte offset of any file fail with ENOSPC
  // (a write that starts before it transfers up to it: short, then ENOSPC).
  uint64_t enospc_offset = UINT64_MAX;
  bool short_reads = false;   // every read transfers about half of its length
  bool short_writes = false;  // every write transfers about half of its length
  unsigned eagain_every = 0;  // every nth request completes with EAGAIN first
  uint64_t torn_write = 0;    // the nth write transfers half, reports it all
  uint64_t lost_write = 0;    // the nth write is not performed, reports it all
  bool lost_writes = false;   // no write is performed, each reports it all (a
                              // target that keeps nothing written to it)
  uint32_t slow_us = 0;       // every request is delayed this long (slow storage)
};

// Parses "read_error@5:EIO,write_enospc@100M,short_reads,eagain,
// zero_error@1:EOPNOTSUPP" (syntax in
// doc/copy-engine.md). InvalidArgument naming the bad item.
Result<FaultSpec> ParseFaultSpec(const std::string& text);

// Wraps another backend and injects the faults of a FaultSpec. Owns the
// wrapped backend. Counters are readable for assertions.
class FaultInjectingBackend final : public IoBackend {
 public:
  FaultInjectingBackend(std::unique_ptr<IoBackend> inner, FaultSpec spec);
  ~FaultInjectingBackend() override;

  std::string name() const override;
  unsigned capacity() const override;
  Status Submit(const IoRequest& req) override;
  Result<std::span<const IoCompletion>> Wait(unsigned min_complete) override;
  Status Sync(int fd) override;
  void StartWriteback(int fd, uint64_t offset, uint64_t length) override;
  void Prefetch(int fd, uint64_t offset, uint64_t length) override;
  Status ZeroRange(int fd, uint64_t offset, uint64_t length) override;
  Status RegisterBuffers(std::span<const std::span<uint8_t>> buffers) override;
  unsigned outstanding() const override;

  uint64_t reads_submitted() const { return reads_; }
  uint64_t zero_ranges() const { return zeros_; }
  uint64_t writes_submitted() const { return writes_; }
  uint64_t faults_injected() const { return faults_; }

 private:
  struct Pending {
    uint64_t user;
    uint32_t reported_bytes;  // torn writes report more than they did
  };
  struct BadRange {
    int fd;
    uint64_t begin, end;
    int error;
    IoOp op;
  };
  IoCompletion Fail(const IoRequest& req, int error);

  std::unique_ptr<IoBackend> inner_;
  FaultSpec spec_;
  uint64_t reads_ = 0, writes_ = 0, syncs_ = 0, zeros_ = 0, requests_ = 0, faults_ = 0;
  std::vector<IoCompletion> synthetic_;  // completions made up here, not yet returned
  std::vector<Pending> torn_;            // requests whose reported size differs
  std::vector<BadRange> bad_;            // sticky failures
  std::vector<IoCompletion> out_;
};

}  // namespace pas::engine
