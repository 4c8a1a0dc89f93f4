// The copy engine: runs of tracks moved source -> target through an
// IoBackend with a bounded number of requests in flight. doc/copy-engine.md.
#include "engine/copy_engine.h"

#include <fcntl.h>
#include <libdeflate.h>
#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "base/log.h"
#include "ckd/track.h"

namespace pas::engine {
namespace {

double ThreadCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::string TrackName(const ckd::DeviceGeometry& g, uint32_t track) {
  ckd::Cchh a = ckd::TrackAddress(g, track);
  return "track " + std::to_string(track) + " (cyl " + std::to_string(a.cyl) + " head " +
         std::to_string(a.head) + ")";
}

std::string RunName(const ckd::DeviceGeometry& g, uint32_t first, uint32_t count) {
  if (count == 1) return TrackName(g, first);
  return "tracks " + std::to_string(first) + "-" + std::to_string(first + count - 1);
}

}  // namespace

CopyStats& CopyStats::operator+=(const CopyStats& o) {
  tracks_copied += o.tracks_copied;
  tracks_formatted += o.tracks_formatted;
  bytes_read += o.bytes_read;
  bytes_written += o.bytes_written;
  source_excps += o.source_excps;
  target_excps += o.target_excps;
  read_retries += o.read_retries;
  verify_reads += o.verify_reads;
  tracks_verified += o.tracks_verified;
  verify_rewrites += o.verify_rewrites;
  tracks_skipped += o.tracks_skipped;
  target_reads += o.target_reads;
  cpu_seconds += o.cpu_seconds;
  elapsed_seconds += o.elapsed_seconds;
  return *this;
}

// A run of consecutive tracks in one file of the source and of the target.
struct CopyEngine::Run {
  uint32_t first = 0;
  uint32_t count = 0;
  int src_fd = -1;
  uint64_t src_offset = 0;
  int dst_fd = -1;
  uint64_t dst_offset = 0;
};

// One buffer of tracks_per_request slots and the single request it has in
// flight at a time: a read of a run, then the write of the same run.
struct CopyEngine::Slot {
  enum class State { kFree, kReading, kReadingTarget, kWriting, kVerifying };
  struct FreeDeleter {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, FreeDeleter> buf;
  size_t capacity = 0;
  std::unique_ptr<uint8_t, FreeDeleter> tbuf;  // the target's run (skip_equal)
  size_t tcapacity = 0;
  uint32_t woff = 0;  // bytes of the run before the first track written
  uint32_t wlen = 0;  // bytes written (from woff)
  State state = State::kFree;
  Run run;
  uint32_t length = 0;  // bytes of the run
  uint32_t done = 0;    // bytes transferred so far by this phase
  int read_attempts = 0;
  int rewrites = 0;  // writes repeated after a read-back differed
  int eagains = 0;
  int read_fd = -1;    // the fd the source read goes through (DirectFd)
  int verify_fd = -1;  // the fd the read-back reads through (DirectFd)
  int write_fd = -1;   // the fd the write goes through (DirectWriteFd or the run's)
  uint32_t crc = 0;    // kVerifying: CRC-32 of the bytes that were written
};

// verify_writes: a run written and not yet read back. Its bytes are gone
// (the slot copies the next run); the CRC-32 of what was written stays.
struct CopyEngine::Written {
  Run run;
  uint32_t woff = 0, wlen = 0;  // the span of the run written
  uint32_t crc = 0;
  int rewrites = 0;  // writes repeated after a read-back differed
};

CopyEngine::CopyEngine(const ckd::CkdImage& source, ckd::CkdImage& target, IoBackend& backend,
                       CopyOptions options)
    : source_(source), target_(target), backend_(backend), options_(std::move(options)) {}

CopyEngine::~CopyEngine() {
  for (const auto& [fd, direct] : direct_fds_) {
    if (direct != fd) ::close(direct);
  }
  for (const auto& [fd, direct] : direct_write_fds_) {
    if (direct != fd) ::close(direct);
  }
  for (int fd : retired_fds_) ::close(fd);
}

// Tracks between two slots that start on a 4 KiB boundary of the file
// (a 3390 slot of 56,832 bytes: every 8th track), 0 when slots are not
// 512-byte multiples (never on such a boundary but by chance).
uint32_t CopyEngine::DirectPeriod() const {
  const uint32_t ss = target_.geometry().slot_size;
  if (ss % 512 != 0) return 0;
  for (uint32_t p = 1; p <= 8; ++p) {
    if ((uint64_t{p} * ss) % 4096 == 0) return p;
  }
  return 0;
}

// `fd` reopened with O_DIRECT and `flags` (through /proc/self/fd: the same
// open file's inode, never a path looked up again), remembered in `table`;
// `fd` itself where the file system refuses O_DIRECT (tmpfs; some FUSE
// mounts). `what` ("reads", "writes") names the use in the log line.
int CopyEngine::ReopenDirect(FdTable& table, int fd, int flags, const char* what) {
  for (const auto& [f, direct] : table) {
    if (f == fd) return direct;
  }
  int direct =
      ::open(("/proc/self/fd/" + std::to_string(fd)).c_str(), flags | O_DIRECT | O_CLOEXEC);
  if (direct < 0) {
    Logger("engine")->info("{}: {} through the page cache (O_DIRECT: {})",
                           options_.label.empty() ? target_.path() : options_.label, what,
                           std::strerror(errno));
    direct = fd;
  }
  table.emplace_back(fd, direct);
  return direct;
}

// A direct request refused with EINVAL (an offset, length or buffer not
// aligned to what the device needs): that file's `what` go through the page
// cache from now on.
void CopyEngine::DropDirect(FdTable& table, int fd, const char* what) {
  for (auto& [f, direct] : table) {
    if (f == fd && direct != fd) {
      Logger("engine")->info("{}: {} through the page cache (O_DIRECT: EINVAL)",
                             options_.label.empty() ? target_.path() : options_.label, what);
      retired_fds_.push_back(direct);  // other requests in flight may still use it
      direct = fd;
    }
  }
}

// Source reads and read-backs go through a read-only O_DIRECT descriptor: a
// read-back then comes from the device, not from the pages just written
// (the kernel first writes the range back, then reads it).
int CopyEngine::DirectFd(int fd) { return ReopenDirect(direct_fds_, fd, O_RDONLY, "reads"); }

// Writes of runs aligned to 4 KiB go through a read-write O_DIRECT
// descriptor, only on local block file systems, where a direct write of
// whole blocks is an overwrite or an allocation and nothing else; elsewhere
// (FUSE and network file systems keep their own caching rules) `fd` itself.
int CopyEngine::DirectWriteFd(int fd) {
  for (const auto& [f, direct] : direct_write_fds_) {
    if (f == fd) return direct;
  }
  struct statfs sf {};
  if (::fstatfs(fd, &sf) == 0 && (sf.f_type == EXT4_SUPER_MAGIC || sf.f_type == XFS_SUPER_MAGIC ||
                                  sf.f_type == BTRFS_SUPER_MAGIC)) {
    return ReopenDirect(direct_write_fds_, fd, O_RDWR, "writes");
  }
  Logger("engine")->debug("{}: writes through the page cache (not a local block file system)",
                          options_.label.empty() ? target_.path() : options_.label);
  direct_write_fds_.emplace_back(fd, fd);
  return fd;
}

Status CopyEngine::PlanRuns(const ckd::TrackSet& tracks, Mode mode, std::vector<Run>& runs) const {
  const uint32_t tpr = options_.tracks_per_request;
  const uint32_t limit =
      mode == Mode::kCopy ? std::min(source_.tracks(), target_.tracks()) : target_.tracks();
  // Direct writes: runs start and end on 4 KiB boundaries of the target
  // file where the set allows: a short run up to the first boundary, then
  // runs of tracks_per_request rounded up to the period.
  const uint32_t period = mode == Mode::kCopy && DirectWritesUsed() ? DirectPeriod() : 0;
  const uint32_t wide = period == 0 ? tpr : (tpr + period - 1) / period * period;
  Status status;
  uint32_t run_max = 0;
  tracks.ForEach([&](uint32_t t) {
    if (!status.ok()) return;
    if (t >= limit) {
      status = Status::InvalidArgument(
          TrackName(target_.geometry(), t) + " is beyond the " +
          (mode == Mode::kCopy && source_.tracks() <= target_.tracks() ? "source" : "target") +
          " (" + std::to_string(limit) + " tracks)");
      return;
    }
    if (!runs.empty() && runs.back().first + runs.back().count == t &&
        runs.back().count < run_max) {
      ++runs.back().count;
      return;
    }
    Run run;
    run.first = t;
    run.count = 1;
    run_max = tpr - t % tpr;  // requests stay aligned to tracks_per_request
    auto dst = target_.Locate(t);
    if (!dst.ok()) {
      status = dst.status();
      return;
    }
    run.dst_fd = dst->fd;
    run.dst_offset = dst->offset;
    if (period != 0) {
      run_max = wide;
      const uint32_t ss = target_.geometry().slot_size;
      for (uint32_t k = 0; k < period; ++k) {
        if ((run.dst_offset + uint64_t{k} * ss) % 4096 == 0) {
          if (k != 0) run_max = k;  // up to the first boundary
          break;
        }
      }
    }
    run_max = std::min(run_max, dst->tracks_left_in_file);
    if (mode == Mode::kCopy) {
      auto src = source_.Locate(t);
      if (!src.ok()) {
        status = src.status();
        return;
      }
      run.src_fd = src->fd;
      run.src_offset = src->offset;
      run_max = std::min(run_max, src->tracks_left_in_file);
    }
    runs.push_back(run);
  });
  return status;
}

Result<CopyStats> CopyEngine::CopyTracks(const ckd::TrackSet& tracks) {
  return Transfer(tracks, Mode::kCopy);
}

Status CopyEngine::CheckSetup(const std::string& who) const {
  const ckd::DeviceGeometry& g = target_.geometry();
  if (source_.geometry().device_type != g.device_type || source_.slot_size() != g.slot_size) {
    return Status::InvalidArgument(who + ": source and target device types differ");
  }
  if (options_.queue_depth == 0 || options_.queue_depth > backend_.capacity()) {
    return Status::InvalidArgument(who + ": queue depth " + std::to_string(options_.queue_depth) +
                                   " outside 1.." + std::to_string(backend_.capacity()));
  }
  if (options_.tracks_per_request == 0 ||
      uint64_t{options_.tracks_per_request} * g.slot_size > 0x7ffff000ull) {
    return Status::InvalidArgument(who + ": tracks per request " +
                                   std::to_string(options_.tracks_per_request));
  }
  if (backend_.outstanding() != 0) {
    return Status::InvalidArgument(who + ": I/O backend has requests outstanding");
  }
  return Status::Ok();
}

Result<CopyStats> CopyEngine::FormatTracks(const ckd::TrackSet& tracks) {
  if (source_.compressed() || target_.compressed()) return Transfer(tracks, Mode::kFormat);
  if (options_.skip_equal || zero_range_unsupported_) return Transfer(tracks, Mode::kFormat);
  CopyStats stats;
  Status s = FormatSparse(tracks, stats);
  if (s.ok()) return stats;
  if (s.kind() != Status::Kind::kNotSupported) return s;
  // No hole punching on this filesystem: write the full slots of the
  // tracks not formatted yet, now and in every later call.
  zero_range_unsupported_ = true;
  static std::atomic<bool> logged{false};
  if (!logged.exchange(true)) {
    Logger("engine")->warn("{}: {}; formatting writes whole empty tracks",
                           options_.label.empty() ? target_.path() : options_.label, s.message());
  }
  const ckd::TrackSet rest = not_copied_;
  auto more = Transfer(rest, Mode::kFormat);
  if (!more.ok()) return more;
  stats += *more;
  return stats;
}

// Formats `tracks` by punching a hole over each run of consecutive tracks in
// one file (IoBackend::ZeroRange) and writing the kEmptyTrackLength-byte
// head of each slot (HA, R0, end of track); the rest of the slot is the
// zero fill the hole already reads as. Up to backend_.capacity() head
// writes are in flight. NotSupported (from ZeroRange) is returned after the
// writes in flight have drained; not_copied_ then holds exactly the tracks
// still to be formatted.
Status CopyEngine::FormatSparse(const ckd::TrackSet& tracks, CopyStats& stats) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = ThreadCpuSeconds();
  const ckd::DeviceGeometry& g = target_.geometry();
  const std::string who = options_.label.empty() ? target_.path() : options_.label;
  auto log = Logger("engine");
  not_copied_ = tracks;
  PAS_RETURN_IF_ERROR(CheckSetup(who));
  std::vector<Run> runs;
  if (Status s = PlanRuns(tracks, Mode::kFormat, runs); !s.ok()) return s.WithContext(who);

  constexpr uint32_t kHead = ckd::kEmptyTrackLength;
  struct Head {
    uint32_t track = 0;
    int fd = -1;
    uint64_t offset = 0;
    uint32_t done = 0;
    int eagains = 0;
    uint8_t bytes[kHead];
  };
  const unsigned depth = backend_.capacity();
  // Heap-held so a failed ring can abandon them to requests still in the kernel.
  auto heads_owner = std::make_unique<std::vector<Head>>(depth);
  std::vector<Head>& heads = *heads_owner;
  std::vector<unsigned> free_ids;
  for (unsigned i = depth; i > 0; --i) free_ids.push_back(i - 1);
  Status failure;
  uint64_t tracks_done = 0;
  auto fail = [&](Status s) {
    if (failure.ok()) failure = std::move(s);
  };
  auto issue = [&](unsigned id) -> Status {
    Head& h = heads[id];
    IoRequest req;
    req.op = IoOp::kWrite;
    req.fd = h.fd;
    req.user = id;
    req.offset = h.offset + h.done;
    req.buf = std::span<uint8_t>(h.bytes + h.done, kHead - h.done);
    return backend_.Submit(req);
  };
  // Collects at least one completion; false when the ring itself failed.
  auto reap = [&]() -> bool {
    auto done = backend_.Wait(1);
    if (!done.ok()) {
      fail(done.status().WithContext(who));
      return false;
    }
    for (const IoCompletion& c : *done) {
      const unsigned id = static_cast<unsigned>(c.user);
      Head& h = heads[id];
      int error = c.error;
      if (error == 0 && c.bytes == 0) error = EIO;  // no progress
      Status s;
      bool again = false;  // resubmitted: still in flight
      if (error == EAGAIN && failure.ok() && ++h.eagains <= kEagainRetries) {
        s = issue(id);
        again = s.ok();
      } else if (error != 0) {
        fail(Status::IoError(
            who + ": write of target " + TrackName(g, h.track) + " failed: " + std::strerror(error),
            error));
      } else if ((h.done += c.bytes) < kHead) {  // short transfer: resume the rest
        if (failure.ok()) {
          ++stats.target_excps;
          s = issue(id);
          again = s.ok();
        }
      } else {
        not_copied_.Clear(h.track);
        ++stats.tracks_formatted;
        stats.bytes_written += kHead;
        ++tracks_done;
        if (options_.progress && (tracks_done % options_.tracks_per_request == 0)) {
          options_.progress(tracks_done);
        }
        free_ids.push_back(id);
        continue;
      }
      if (!s.ok()) fail(s.WithContext(who));
      if (!again) free_ids.push_back(id);
    }
    return true;
  };

  bool ring_ok = true;
  for (size_t r = 0; r < runs.size() && failure.ok() && ring_ok;) {
    // One zero range over the longest stretch of runs contiguous in one file.
    size_t end = r + 1;
    while (end < runs.size() && runs[end].dst_fd == runs[r].dst_fd &&
           runs[end].first == runs[end - 1].first + runs[end - 1].count &&
           runs[end].dst_offset ==
               runs[end - 1].dst_offset + uint64_t{runs[end - 1].count} * g.slot_size) {
      ++end;
    }
    const uint64_t zoff = runs[r].dst_offset;
    const uint64_t zlen =
        runs[end - 1].dst_offset + uint64_t{runs[end - 1].count} * g.slot_size - zoff;
    ++stats.target_excps;
    if (Status s = backend_.ZeroRange(runs[r].dst_fd, zoff, zlen); !s.ok()) {
      const uint32_t n = runs[end - 1].first + runs[end - 1].count - runs[r].first;
      fail(s.kind() == Status::Kind::kNotSupported
               ? s
               : s.WithContext(who + ": zeroing target " + RunName(g, runs[r].first, n)));
      break;
    }
    for (; r < end && failure.ok() && ring_ok; ++r) {
      if (options_.cancel != nullptr && options_.cancel->load()) {
        fail(Status::Aborted(who + ": copy cancelled"));
        break;
      }
      ++stats.target_excps;  // one per request-sized group of head writes
      const Run& run = runs[r];
      for (uint32_t k = 0; k < run.count && failure.ok(); ++k) {
        while (free_ids.empty() && failure.ok() && ring_ok) ring_ok = reap();
        if (!failure.ok()) break;
        const unsigned id = free_ids.back();
        free_ids.pop_back();
        Head& h = heads[id];
        h.track = run.first + k;
        h.offset = run.dst_offset + uint64_t{k} * g.slot_size;
        h.done = 0;
        h.eagains = 0;
        h.fd = run.dst_fd;
        ckd::BuildEmptyTrack(g, h.track, std::span<uint8_t>(h.bytes, kHead));
        if (Status s = issue(id); !s.ok()) {
          free_ids.push_back(id);
          fail(s.WithContext(who));
        }
      }
    }
  }
  while (ring_ok && backend_.outstanding() > 0) ring_ok = reap();
  if (!ring_ok) heads_owner.release();  // requests may still be in the kernel: abandoned
  if (options_.progress && tracks_done % options_.tracks_per_request != 0) {
    options_.progress(tracks_done);
  }
  stats.cpu_seconds += ThreadCpuSeconds() - cpu_start;
  stats.elapsed_seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!failure.ok()) {
    if (failure.kind() != Status::Kind::kNotSupported) log->error("{}", failure.message());
    return failure;
  }
  log->debug("{}: formatted {} tracks sparsely, {} bytes in {:.3f} s", who, tracks_done,
             stats.bytes_written, stats.elapsed_seconds);
  return Status::Ok();
}

Result<CopyStats> CopyEngine::Transfer(const ckd::TrackSet& tracks, Mode mode) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = ThreadCpuSeconds();
  const ckd::DeviceGeometry& g = target_.geometry();
  const std::string who = options_.label.empty() ? target_.path() : options_.label;
  auto log = Logger("engine");
  not_copied_ = tracks;

  PAS_RETURN_IF_ERROR(CheckSetup(who));
  if (source_.compressed() || target_.compressed()) return TransferByImage(tracks, mode);
  std::vector<Run> runs;
  if (Status s = PlanRuns(tracks, mode, runs); !s.ok()) return s.WithContext(who);

  const uint32_t period = DirectWritesUsed() ? DirectPeriod() : 0;
  const uint32_t run_tracks = period == 0
                                  ? options_.tracks_per_request
                                  : (options_.tracks_per_request + period - 1) / period * period;
  const size_t bytes_per_slot = size_t{run_tracks} * g.slot_size;
  bool allocated = slots_.size() != options_.queue_depth;
  slots_.resize(options_.queue_depth);
  for (Slot& slot : slots_) {
    slot.state = Slot::State::kFree;
    if (slot.capacity < bytes_per_slot) {
      size_t size = (bytes_per_slot + 4095) / 4096 * 4096;
      slot.buf.reset(static_cast<uint8_t*>(std::aligned_alloc(4096, size)));
      if (!slot.buf) return Status::IoError(who + ": out of memory for copy buffers", ENOMEM);
      slot.capacity = size;
      allocated = true;
    }
    if (options_.skip_equal && slot.tcapacity < bytes_per_slot) {
      size_t size = (bytes_per_slot + 4095) / 4096 * 4096;
      slot.tbuf.reset(static_cast<uint8_t*>(std::aligned_alloc(4096, size)));
      if (!slot.tbuf) return Status::IoError(who + ": out of memory for copy buffers", ENOMEM);
      slot.tcapacity = size;
      allocated = true;
    }
  }
  if (allocated) {
    // Fixed buffers: the kernel pins them once instead of per request.
    std::vector<std::span<uint8_t>> bufs;
    for (Slot& slot : slots_) {
      bufs.emplace_back(slot.buf.get(), slot.capacity);
      if (slot.tbuf) bufs.emplace_back(slot.tbuf.get(), slot.tcapacity);
    }
    if (Status s = backend_.RegisterBuffers(bufs); !s.ok()) {
      log->debug("{}: copy buffers not registered ({})", who, s.message());
    }
  }

  CopyStats stats;
  Status failure;
  uint64_t tracks_done = 0;
  size_t next_run = 0;

  auto submit = [&](Slot& slot, size_t index) -> Status {
    IoRequest req;
    req.user = index;
    switch (slot.state) {
      case Slot::State::kReading:
        req.op = IoOp::kRead;
        req.fd = slot.read_fd;
        req.offset = slot.run.src_offset + slot.done;
        req.buf = std::span<uint8_t>(slot.buf.get() + slot.done, slot.length - slot.done);
        ++stats.source_excps;
        break;
      case Slot::State::kReadingTarget:
        req.op = IoOp::kRead;
        req.fd = slot.run.dst_fd;
        req.offset = slot.run.dst_offset + slot.done;
        req.buf = std::span<uint8_t>(slot.tbuf.get() + slot.done, slot.length - slot.done);
        ++stats.target_reads;
        break;
      case Slot::State::kVerifying:
        req.op = IoOp::kRead;
        req.fd = slot.verify_fd;
        req.offset = slot.run.dst_offset + slot.woff + slot.done;
        req.buf = std::span<uint8_t>(slot.buf.get() + slot.woff + slot.done, slot.wlen - slot.done);
        ++stats.verify_reads;
        break;
      default:
        req.op = IoOp::kWrite;
        req.fd = slot.write_fd;
        req.offset = slot.run.dst_offset + slot.woff + slot.done;
        req.buf = std::span<uint8_t>(slot.buf.get() + slot.woff + slot.done, slot.wlen - slot.done);
        ++stats.target_excps;
        break;
    }
    return backend_.Submit(req);
  };
  // Writes bytes [woff, woff + wlen) of the run.
  auto start_write_part = [&](Slot& slot, size_t index, uint32_t woff, uint32_t wlen) {
    slot.state = Slot::State::kWriting;
    slot.woff = woff;
    slot.wlen = wlen;
    slot.done = 0;
    slot.eagains = 0;
    const uint64_t off = slot.run.dst_offset + woff;
    slot.write_fd = period != 0 && mode == Mode::kCopy && off % 4096 == 0 && wlen % 4096 == 0
                        ? DirectWriteFd(slot.run.dst_fd)
                        : slot.run.dst_fd;
    return submit(slot, index);
  };
  auto start_write = [&](Slot& slot, size_t index) {
    return start_write_part(slot, index, 0, slot.length);
  };
  // With skip_equal, the target's run is read before anything is written.
  auto start_write_or_compare = [&](Slot& slot, size_t index) {
    if (!options_.skip_equal) return start_write(slot, index);
    slot.state = Slot::State::kReadingTarget;
    slot.done = 0;
    slot.eagains = 0;
    return submit(slot, index);
  };
  // The target's run is in tbuf: writes the span from the first to the
  // last track that differs, or nothing when every track is equal.
  auto compare_and_write = [&](Slot& slot, size_t index) -> Status {
    const uint32_t ss = g.slot_size;
    int64_t first = -1, last = -1;
    for (uint32_t k = 0; k < slot.run.count; ++k) {
      if (std::memcmp(slot.buf.get() + size_t{k} * ss, slot.tbuf.get() + size_t{k} * ss, ss) != 0) {
        if (first < 0) first = k;
        last = k;
      }
    }
    if (first < 0) {
      slot.state = Slot::State::kFree;
      for (uint32_t k = 0; k < slot.run.count; ++k) not_copied_.Clear(slot.run.first + k);
      stats.tracks_skipped += slot.run.count;
      tracks_done += slot.run.count;
      if (options_.progress) options_.progress(tracks_done);
      return Status::Ok();
    }
    return start_write_part(slot, index, static_cast<uint32_t>(first) * ss,
                            static_cast<uint32_t>(last - first + 1) * ss);
  };
  auto start_read = [&](Slot& slot, size_t index) {
    slot.state = Slot::State::kReading;
    slot.read_fd = options_.direct_io ? DirectFd(slot.run.src_fd) : slot.run.src_fd;
    slot.done = 0;
    slot.eagains = 0;
    return submit(slot, index);
  };
  auto fail = [&](Status s) {
    if (failure.ok()) failure = std::move(s);
  };
  // A run is on the target (written, and read back equal with verify_writes).
  auto finish_write = [&](Slot& slot) {
    slot.state = Slot::State::kFree;
    if (options_.start_writeback && !options_.verify_writes) {  // verify_writes started it
      backend_.StartWriteback(slot.run.dst_fd, slot.run.dst_offset + slot.woff, slot.wlen);
    }
    for (uint32_t k = 0; k < slot.run.count; ++k) not_copied_.Clear(slot.run.first + k);
    const uint32_t written = slot.wlen / g.slot_size;
    (mode == Mode::kCopy ? stats.tracks_copied : stats.tracks_formatted) += written;
    stats.tracks_skipped += slot.run.count - written;
    if (!options_.verify_writes) {  // verify_writes counted it when it was written
      tracks_done += slot.run.count;
      if (options_.progress) options_.progress(tracks_done);
    }
  };
  // Reads the run from the source (copy), or builds its empty tracks and
  // writes them (format): the first time, and again after a read-back
  // found the target different.
  auto begin = [&](Slot& slot, size_t index) -> Status {
    slot.read_attempts = 0;
    // A run whose ends fall inside 4 KiB blocks (so it is written through
    // the page cache): those blocks are read in now, while the source is
    // read, so that the write does not wait to read them (the target's
    // pages are not in the page cache after direct writes; the final copy
    // under the quiesce would read them one after the other). A run with
    // both ends aligned has no partial block.
    if (slot.rewrites == 0) {
      const uint64_t b = slot.run.dst_offset, e = b + slot.length;
      if (b % 4096 != 0) backend_.Prefetch(slot.run.dst_fd, b / 4096 * 4096, 4096);
      if (e % 4096 != 0) backend_.Prefetch(slot.run.dst_fd, e / 4096 * 4096, 4096);
    }
    if (mode == Mode::kCopy) return start_read(slot, index);
    std::span<uint8_t> buf(slot.buf.get(), slot.length);
    std::memset(buf.data(), 0, buf.size());
    for (uint32_t k = 0; k < slot.run.count; ++k) {
      ckd::BuildEmptyTrack(g, slot.run.first + k,
                           buf.subspan(size_t{k} * g.slot_size, g.slot_size));
    }
    return start_write_or_compare(slot, index);
  };
  std::deque<Written> unverified;  // verify_writes: written, not read back yet; oldest first
  bool reading_back = false;

  for (;;) {
    const bool cancelled = options_.cancel != nullptr && options_.cancel->load();
    if (cancelled) fail(Status::Aborted(who + ": copy cancelled"));
    for (size_t i = 0; i < slots_.size() && failure.ok(); ++i) {
      Slot& slot = slots_[i];
      if (slot.state != Slot::State::kFree) continue;
      Status s;
      // Read-backs once every run has been started: mixed with the copy
      // they made it slower here (doc/copy-engine.md, "Read-back
      // verification"). The writeback of the first runs is over by then.
      if (!unverified.empty() && next_run >= runs.size()) {
        if (!reading_back) {
          // Every run written so far made clean at once, one call per
          // target file: their writebacks run in parallel (a final copy under the
          // quiesce waits for the slowest, not for each in turn).
          reading_back = true;
          log->debug(
              "{}: {} runs written in {:.3f} s; reading them back", who, unverified.size(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
          if (options_.direct_io) {
            for (const ckd::ImageFile& file : target_.files()) {
              auto loc = target_.Locate(file.first_track);
              if (loc.ok()) backend_.FinishWriteback(loc->fd, 0, 0);  // the whole file
            }
          }
        }
        const Written w = unverified.front();
        unverified.pop_front();
        slot.run = w.run;
        slot.length = slot.run.count * g.slot_size;
        slot.rewrites = w.rewrites;
        slot.woff = w.woff;
        slot.wlen = w.wlen;
        slot.crc = w.crc;
        slot.state = Slot::State::kVerifying;
        slot.done = 0;
        slot.eagains = 0;
        slot.verify_fd = options_.direct_io ? DirectFd(slot.run.dst_fd) : slot.run.dst_fd;
        // Clean before the direct read, so the read does not write it back
        // itself under the file's inode lock: a run written again after
        // the read-backs began (the others were made clean above).
        if (slot.verify_fd != slot.run.dst_fd && w.rewrites > 0) {
          backend_.FinishWriteback(slot.run.dst_fd, slot.run.dst_offset + slot.woff, slot.wlen);
        }
        s = submit(slot, i);
      } else if (next_run < runs.size()) {
        slot.run = runs[next_run++];
        slot.length = slot.run.count * g.slot_size;
        slot.rewrites = 0;
        s = begin(slot, i);
      } else {
        break;
      }
      if (!s.ok()) {
        slot.state = Slot::State::kFree;
        fail(s.WithContext(who));
      }
    }
    if (backend_.outstanding() == 0) break;

    auto done = backend_.Wait(1);
    if (!done.ok()) {
      // The ring itself failed; requests may still be in the kernel, so the
      // buffers are abandoned with the backend's failure.
      fail(done.status().WithContext(who));
      for (Slot& slot : slots_) slot.buf.release();
      for (Slot& slot : slots_) slot.tbuf.release();
      for (Slot& slot : slots_) slot.capacity = slot.tcapacity = 0;
      break;
    }
    for (const IoCompletion& c : *done) {
      Slot& slot = slots_[c.user];
      if (slot.state == Slot::State::kReadingTarget) {
        // skip_equal: any failure to read the target just means "write it".
        int error = c.error;
        if (error == 0 && c.bytes == 0) error = ENODATA;
        if (!failure.ok()) {
          slot.state = Slot::State::kFree;
          continue;
        }
        if (error == EAGAIN && ++slot.eagains <= kEagainRetries) {
          if (Status s = submit(slot, c.user); !s.ok()) {
            slot.state = Slot::State::kFree;
            fail(s.WithContext(who));
          }
          continue;
        }
        Status s;
        if (error != 0) {
          s = start_write(slot, c.user);
        } else if ((slot.done += c.bytes) < slot.length) {
          s = submit(slot, c.user);
        } else {
          s = compare_and_write(slot, c.user);
        }
        if (!s.ok()) {
          slot.state = Slot::State::kFree;
          fail(s.WithContext(who));
        }
        continue;
      }
      if (slot.state == Slot::State::kVerifying) {
        // verify_writes: the written bytes read back into buf (the CRC of what was written is
        // kept).
        const std::string what = RunName(g, slot.run.first, slot.run.count);
        int error = c.error;
        if (error == 0 && c.bytes == 0) error = ENODATA;
        if (!failure.ok()) {
          slot.state = Slot::State::kFree;
          continue;
        }
        Status s;
        if (error == EAGAIN && ++slot.eagains <= kEagainRetries) {
          s = submit(slot, c.user);
        } else if (error == EINVAL && slot.verify_fd != slot.run.dst_fd) {
          DropDirect(direct_fds_, slot.run.dst_fd, "reads");
          slot.verify_fd = slot.run.dst_fd;
          s = submit(slot, c.user);
        } else if (error != 0) {
          slot.state = Slot::State::kFree;
          fail(Status::Corruption(who + ": read-back of target " + what +
                                  " failed: " + std::strerror(error)));
          continue;
        } else if ((slot.done += c.bytes) < slot.wlen) {
          s = submit(slot, c.user);
        } else if (libdeflate_crc32(0, slot.buf.get() + slot.woff, slot.wlen) == slot.crc) {
          stats.tracks_verified += slot.wlen / g.slot_size;
          finish_write(slot);
          continue;
        } else if (slot.rewrites < kReadRetries) {
          // Copied again from the source (or formatted again): what was
          // written is no longer in hand.
          ++slot.rewrites;
          ++stats.verify_rewrites;
          log->warn("{}: target {} did not read back as written; writing it again ({} of {})", who,
                    what, slot.rewrites, kReadRetries);
          s = begin(slot, c.user);
        } else {
          slot.state = Slot::State::kFree;
          fail(Status::Corruption(who + ": target " + what +
                                  " did not read back as written after " +
                                  std::to_string(slot.rewrites + 1) + " writes"));
          continue;
        }
        if (!s.ok()) {
          slot.state = Slot::State::kFree;
          fail(s.WithContext(who));
        }
        continue;
      }
      const bool reading = slot.state == Slot::State::kReading;
      const std::string what = RunName(g, slot.run.first, slot.run.count);
      auto resubmit = [&]() {
        if (Status s = submit(slot, c.user); !s.ok()) {
          slot.state = Slot::State::kFree;
          fail(s.WithContext(who));
        }
      };
      int error = c.error;
      if (error == 0 && c.bytes == 0) error = reading ? ENODATA : EIO;  // end of file / no progress
      if (error == EAGAIN && failure.ok() && ++slot.eagains <= kEagainRetries) {
        resubmit();
        continue;
      }
      if (error == EINVAL && reading && failure.ok() && slot.read_fd != slot.run.src_fd) {
        DropDirect(direct_fds_, slot.run.src_fd, "reads");
        slot.read_fd = slot.run.src_fd;
        resubmit();
        continue;
      }
      if (error == EINVAL && !reading && failure.ok() && slot.write_fd != slot.run.dst_fd) {
        DropDirect(direct_write_fds_, slot.run.dst_fd, "writes");
        slot.write_fd = slot.run.dst_fd;
        resubmit();
        continue;
      }
      if (error != 0) {
        if (reading && failure.ok() && error != EAGAIN && slot.read_attempts < kReadRetries) {
          ++slot.read_attempts;
          ++stats.read_retries;
          log->warn("{}: read of {} failed ({}), retry {} of {}", who, what, std::strerror(error),
                    slot.read_attempts, kReadRetries);
          resubmit();
          continue;
        }
        slot.state = Slot::State::kFree;
        if (reading) {
          fail(Status::IoError(who + ": read of source " + what + " failed after " +
                                   std::to_string(slot.read_attempts + 1) +
                                   " attempts: " + std::strerror(error),
                               error));
        } else {
          fail(Status::IoError(
              who + ": write of target " + what + " failed: " + std::strerror(error), error));
        }
        continue;
      }
      slot.done += c.bytes;
      if (slot.done < (reading ? slot.length : slot.wlen)) {  // short transfer: resume the rest
        if (failure.ok()) {
          resubmit();
        } else {
          slot.state = Slot::State::kFree;
        }
        continue;
      }
      if (reading) {
        stats.bytes_read += slot.length;
        if (!failure.ok()) {
          slot.state = Slot::State::kFree;
          continue;
        }
        Status bad;
        for (uint32_t k = 0; k < slot.run.count && bad.ok(); ++k) {
          bad = ckd::ValidateTrack(
              std::span<const uint8_t>(slot.buf.get() + size_t{k} * g.slot_size, g.slot_size), g,
              slot.run.first + k);
        }
        if (!bad.ok()) {
          if (slot.read_attempts < kReadRetries) {
            // A host write may have been in flight while we read: read again.
            ++slot.read_attempts;
            ++stats.read_retries;
            log->info("{}: {} invalid ({}), re-reading", who, what, bad.message());
            if (Status s = start_read(slot, c.user); !s.ok()) {
              slot.state = Slot::State::kFree;
              fail(s.WithContext(who));
            }
            continue;
          }
          slot.state = Slot::State::kFree;
          fail(Status::Corruption(who + ": source " + bad.message() + " (not copied)"));
          continue;
        }
        if (Status s = start_write_or_compare(slot, c.user); !s.ok()) {
          slot.state = Slot::State::kFree;
          fail(s.WithContext(who));
        }
        continue;
      }
      // A run is written.
      stats.bytes_written += slot.wlen;
      if (options_.verify_writes && slot.write_fd != slot.run.dst_fd) {
        // A direct write is on the device: read it back now, beside the
        // copy (no writeback to wait for, no page cache lock to take).
        if (slot.rewrites == 0) {
          tracks_done += slot.run.count;
          if (options_.progress) options_.progress(tracks_done);
        }
        slot.crc = libdeflate_crc32(0, slot.buf.get() + slot.woff, slot.wlen);
        slot.state = Slot::State::kVerifying;
        slot.done = 0;
        slot.eagains = 0;
        slot.verify_fd = DirectFd(slot.run.dst_fd);
        if (Status s = submit(slot, c.user); !s.ok()) {
          slot.state = Slot::State::kFree;
          fail(s.WithContext(who));
        }
        continue;
      }
      if (options_.verify_writes) {
        // Read back later (the slot is free now); its writeback starts
        // now, so it is on the device when the read-back reads it there.
        // Progress counts it now; not_copied() only once it read back equal.
        Written w;
        w.run = slot.run;
        w.woff = slot.woff;
        w.wlen = slot.wlen;
        w.crc = libdeflate_crc32(0, slot.buf.get() + slot.woff, slot.wlen);
        w.rewrites = slot.rewrites;
        backend_.StartWriteback(slot.run.dst_fd, slot.run.dst_offset + slot.woff, slot.wlen);
        unverified.push_back(w);
        slot.state = Slot::State::kFree;
        if (w.rewrites == 0) {
          tracks_done += slot.run.count;
          if (options_.progress) options_.progress(tracks_done);
        }
        continue;
      }
      finish_write(slot);
    }
  }

  stats.cpu_seconds = ThreadCpuSeconds() - cpu_start;
  stats.elapsed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!failure.ok()) {
    log->error("{}", failure.message());
    return failure;
  }
  log->debug("{}: {} {} tracks, {} bytes in {:.3f} s", who,
             mode == Mode::kCopy ? "copied" : "formatted", tracks_done, stats.bytes_written,
             stats.elapsed_seconds);
  return stats;
}

// Runs moved through the images by a pool of workers (compressed images).
// Each worker owns one run at a time: read (inflate), validate, with
// skip_equal compare with the target's run, write (compress and append).
Result<CopyStats> CopyEngine::TransferByImage(const ckd::TrackSet& tracks, Mode mode) {
  const auto start = std::chrono::steady_clock::now();
  const ckd::DeviceGeometry& g = target_.geometry();
  const std::string who = options_.label.empty() ? target_.path() : options_.label;
  auto log = Logger("engine");
  const uint32_t tpr = options_.tracks_per_request;
  const uint32_t limit =
      mode == Mode::kCopy ? std::min(source_.tracks(), target_.tracks()) : target_.tracks();
  struct Span {
    uint32_t first, count;
  };
  std::vector<Span> runs;
  Status bad;
  tracks.ForEach([&](uint32_t t) {
    if (!bad.ok()) return;
    if (t >= limit) {
      bad = Status::InvalidArgument(
          TrackName(g, t) + " is beyond the " +
          (mode == Mode::kCopy && source_.tracks() <= target_.tracks() ? "source" : "target") +
          " (" + std::to_string(limit) + " tracks)");
      return;
    }
    if (!runs.empty() && runs.back().first + runs.back().count == t &&
        runs.back().count < tpr - runs.back().first % tpr) {
      ++runs.back().count;
      return;
    }
    runs.push_back({t, 1});
  });
  if (!bad.ok()) return bad.WithContext(who);

  unsigned workers = options_.compress_threads;
  if (workers == 0) workers = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  workers = static_cast<unsigned>(std::min<size_t>(workers, std::max<size_t>(runs.size(), 1)));

  std::mutex mu;  // guards stats, failure, tracks_done, not_copied_, progress calls
  CopyStats stats;
  Status failure;
  uint64_t tracks_done = 0;
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  auto fail = [&](Status s) {
    std::lock_guard<std::mutex> lock(mu);
    if (failure.ok()) failure = std::move(s);
    stop = true;
  };
  auto work = [&]() {
    const double cpu_start = ThreadCpuSeconds();
    std::vector<uint8_t> buf(size_t{tpr} * g.slot_size), tbuf;
    CopyStats mine;
    for (;;) {
      if (stop.load()) break;
      if (options_.cancel != nullptr && options_.cancel->load()) {
        fail(Status::Aborted(who + ": copy cancelled"));
        break;
      }
      const size_t i = next.fetch_add(1);
      if (i >= runs.size()) break;
      const Span run = runs[i];
      const std::string what = RunName(g, run.first, run.count);
      std::span<uint8_t> data(buf.data(), size_t{run.count} * g.slot_size);
      Status s;
      if (mode == Mode::kCopy) {
        for (int attempt = 0;; ++attempt) {
          ++mine.source_excps;
          s = source_.ReadTracks(run.first, run.count, data);
          if (s.ok()) {
            mine.bytes_read += data.size();
            for (uint32_t k = 0; k < run.count && s.ok(); ++k) {
              s = ckd::ValidateTrack(data.subspan(size_t{k} * g.slot_size, g.slot_size), g,
                                     run.first + k);
            }
          }
          // Re-read: a host write may have been in progress.
          if (s.ok() || attempt >= kReadRetries) break;
          ++mine.read_retries;
          log->info("{}: {} unreadable ({}), re-reading", who, what, s.message());
        }
        if (!s.ok()) {
          fail(s.IsIoError()
                   ? Status::IoError(who + ": read of source " + what + " failed: " + s.message(),
                                     s.err())
                   : Status::Corruption(who + ": source " + s.message() + " (not copied)"));
          break;
        }
      } else {
        std::memset(data.data(), 0, data.size());
        for (uint32_t k = 0; k < run.count; ++k) {
          ckd::BuildEmptyTrack(g, run.first + k,
                               data.subspan(size_t{k} * g.slot_size, g.slot_size));
        }
      }
      uint32_t wfirst = 0, wcount = run.count;
      if (options_.skip_equal) {
        tbuf.resize(data.size());
        ++mine.target_reads;
        if (target_.ReadTracks(run.first, run.count, tbuf).ok()) {
          int64_t lo = -1, hi = -1;
          for (uint32_t k = 0; k < run.count; ++k) {
            const size_t off = size_t{k} * g.slot_size;
            if (!ckd::SameTrackContent(data.subspan(off, g.slot_size),
                                       std::span<const uint8_t>(tbuf).subspan(off, g.slot_size))) {
              if (lo < 0) lo = k;
              hi = k;
            }
          }
          wfirst = lo < 0 ? 0 : static_cast<uint32_t>(lo);
          wcount = lo < 0 ? 0 : static_cast<uint32_t>(hi - lo + 1);
        }
      }
      if (wcount > 0) {
        ++mine.target_excps;
        s = target_.WriteTracks(run.first + wfirst, data.subspan(size_t{wfirst} * g.slot_size,
                                                                 size_t{wcount} * g.slot_size));
        if (!s.ok()) {
          fail(Status::IoError(who + ": write of target " + what + " failed: " + s.message(),
                               s.err()));
          break;
        }
        mine.bytes_written += size_t{wcount} * g.slot_size;
        // verify_writes: the written tracks read back through the target
        // image and compared by content with what was written (a compressed
        // slot reads back zero-filled after its end-of-track marker).
        if (options_.verify_writes) {
          const auto wdata =
              data.subspan(size_t{wfirst} * g.slot_size, size_t{wcount} * g.slot_size);
          std::vector<uint8_t> back(wdata.size());
          bool same = false;
          for (int attempt = 0; attempt <= kReadRetries && s.ok(); ++attempt) {
            ++mine.target_reads;
            s = target_.ReadTracks(run.first + wfirst, wcount, back);
            if (!s.ok()) break;
            same = true;
            for (uint32_t k = 0; k < wcount && same; ++k) {
              const size_t off = size_t{k} * g.slot_size;
              same =
                  ckd::SameTrackContent(wdata.subspan(off, g.slot_size),
                                        std::span<const uint8_t>(back).subspan(off, g.slot_size));
            }
            if (same) break;
            ++mine.target_excps;
            s = target_.WriteTracks(run.first + wfirst, wdata);
          }
          if (s.ok() && !same) {
            s = Status::Corruption(who + ": target " + what + " did not read back as written");
          }
          if (!s.ok()) {
            fail(s);
            break;
          }
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      for (uint32_t k = 0; k < run.count; ++k) not_copied_.Clear(run.first + k);
      (mode == Mode::kCopy ? stats.tracks_copied : stats.tracks_formatted) += wcount;
      stats.tracks_skipped += run.count - wcount;
      tracks_done += run.count;
      if (options_.progress) options_.progress(tracks_done);
    }
    std::lock_guard<std::mutex> lock(mu);
    mine.cpu_seconds = ThreadCpuSeconds() - cpu_start;
    stats += mine;
  };
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();

  stats.elapsed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!failure.ok()) {
    log->error("{}", failure.message());
    return failure;
  }
  log->debug("{}: {} {} tracks by {} worker(s) (compressed image), {} bytes in {:.3f} s", who,
             mode == Mode::kCopy ? "copied" : "formatted", tracks_done, workers,
             stats.bytes_written, stats.elapsed_seconds);
  return stats;
}

Status CopyEngine::SyncTarget() {
  const std::string who = options_.label.empty() ? target_.path() : options_.label;
  if (target_.compressed()) {
    if (Status s = target_.Sync(); !s.ok())
      return s.WithContext(who + ": sync of " + target_.path());
    return Status::Ok();
  }
  for (const ckd::ImageFile& file : target_.files()) {
    PAS_ASSIGN_OR_RETURN(auto loc, target_.Locate(file.first_track));
    if (Status s = backend_.Sync(loc.fd); !s.ok()) {
      return s.WithContext(who + ": sync of " + file.path);
    }
  }
  return Status::Ok();
}

}  // namespace pas::engine
