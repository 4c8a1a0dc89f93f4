// The I/O backends: io_uring, pread/pwrite, and the fault-injecting wrapper.
// Format of PAS_IO_FAULTS and the design: doc/copy-engine.md.
#include "engine/io_backend.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <liburing.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "base/log.h"

namespace pas::engine {
namespace {

constexpr size_t kMaxTransfer = 0x7ffff000;  // Linux caps one read/write here

Status CheckRequest(const IoRequest& req, unsigned outstanding, unsigned capacity) {
  if (outstanding >= capacity) {
    return Status::InvalidArgument("I/O backend full: " + std::to_string(capacity) +
                                   " requests outstanding");
  }
  if (req.buf.empty() || req.buf.size() > kMaxTransfer) {
    return Status::InvalidArgument("I/O request of " + std::to_string(req.buf.size()) + " bytes");
  }
  if (req.fd < 0) return Status::InvalidArgument("I/O request on a closed file");
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// io_uring: one ring of `depth` entries; requests are prepared at Submit()
// and handed to the kernel in one io_uring_submit_and_wait() per Wait().
class UringBackend final : public IoBackend {
 public:
  explicit UringBackend(unsigned depth) : depth_(depth) {}
  ~UringBackend() override {
    // Buffers belong to the caller; never leave the kernel writing into them.
    while (outstanding_ > 0) {
      if (!Wait(outstanding_).ok()) break;
    }
    DrainHints();
    if (initialised_) io_uring_queue_exit(&ring_);
  }

  // Waits for the writeback hints in the ring (nothing else is outstanding).
  void DrainHints() {
    if (!initialised_) return;
    while (hints_ > 0 && outstanding_ == 0) {
      io_uring_cqe* cqe;
      if (io_uring_submit_and_wait(&ring_, 1) < 0 && io_uring_peek_cqe(&ring_, &cqe) != 0) return;
      while (io_uring_peek_cqe(&ring_, &cqe) == 0) {
        io_uring_cqe_seen(&ring_, cqe);
        --hints_;
      }
    }
  }

  Status Init() {
    // Twice the depth: room for a writeback hint per request in flight.
    int r = io_uring_queue_init(2 * depth_, &ring_, 0);
    if (r < 0) {
      return Status::NotSupported(std::string("io_uring_queue_init: ") + std::strerror(-r));
    }
    initialised_ = true;
    return Status::Ok();
  }

  std::string name() const override { return "io_uring"; }
  unsigned capacity() const override { return depth_; }
  unsigned outstanding() const override { return outstanding_; }

  Status Submit(const IoRequest& req) override {
    PAS_RETURN_IF_ERROR(CheckRequest(req, outstanding_, depth_));
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
      // Unreachable with outstanding_ < depth_, kept as a clean error.
      return Status::IoError("io_uring: submission queue full");
    }
    auto len = static_cast<unsigned>(req.buf.size());
    const int index = FixedIndex(req.buf);
    if (req.op == IoOp::kRead) {
      if (index >= 0) {
        io_uring_prep_read_fixed(sqe, req.fd, req.buf.data(), len, req.offset, index);
      } else {
        io_uring_prep_read(sqe, req.fd, req.buf.data(), len, req.offset);
      }
    } else {
      if (index >= 0) {
        io_uring_prep_write_fixed(sqe, req.fd, req.buf.data(), len, req.offset, index);
      } else {
        io_uring_prep_write(sqe, req.fd, req.buf.data(), len, req.offset);
      }
    }
    io_uring_sqe_set_data64(sqe, req.user);
    ++outstanding_;
    return Status::Ok();
  }

  void StartWriteback(int fd, uint64_t offset, uint64_t length) override {
    // A hint on the ring: its completion is reaped and dropped by Wait.
    if (hints_ >= depth_) return;
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) return;
    io_uring_prep_sync_file_range(sqe, fd, static_cast<unsigned>(length), offset, SYNC_FILE_RANGE_WRITE);
    io_uring_sqe_set_data64(sqe, kHintTag);
    ++hints_;
  }

  Status RegisterBuffers(std::span<const std::span<uint8_t>> buffers) override {
    if (outstanding_ != 0) return Status::InvalidArgument("io_uring: buffers registered with requests outstanding");
    DrainHints();
    if (!fixed_.empty()) {
      io_uring_unregister_buffers(&ring_);
      fixed_.clear();
    }
    std::vector<iovec> iov;
    for (const auto& b : buffers) iov.push_back(iovec{b.data(), b.size()});
    if (iov.empty()) return Status::Ok();
    int r = io_uring_register_buffers(&ring_, iov.data(), static_cast<unsigned>(iov.size()));
    if (r < 0) return Status::NotSupported(std::string("io_uring_register_buffers: ") + std::strerror(-r));
    fixed_.assign(buffers.begin(), buffers.end());
    return Status::Ok();
  }

  Result<std::span<const IoCompletion>> Wait(unsigned min_complete) override {
    out_.clear();
    min_complete = std::min(min_complete, outstanding_);
    int r = io_uring_submit_and_wait(&ring_, min_complete);
    if (r < 0 && r != -EINTR) return Status::IoError(std::string("io_uring_submit_and_wait: ") + std::strerror(-r), -r);
    for (;;) {
      io_uring_cqe* cqe;
      unsigned head, seen = 0, requests = 0;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        ++seen;
        if (io_uring_cqe_get_data64(cqe) == kHintTag) {
          --hints_;
          continue;
        }
        ++requests;
        IoCompletion c;
        c.user = io_uring_cqe_get_data64(cqe);
        if (cqe->res < 0) {
          c.error = -cqe->res;  // the one place -errno becomes errno
        } else {
          c.bytes = static_cast<uint32_t>(cqe->res);
        }
        out_.push_back(c);
      }
      io_uring_cq_advance(&ring_, seen);
      outstanding_ -= requests;
      if (out_.size() >= min_complete) break;
      io_uring_cqe* dummy;
      r = io_uring_wait_cqe(&ring_, &dummy);
      if (r < 0 && r != -EINTR) return Status::IoError(std::string("io_uring_wait_cqe: ") + std::strerror(-r), -r);
    }
    return std::span<const IoCompletion>(out_);
  }

  Status Sync(int fd) override {
    if (::fdatasync(fd) != 0) return Status::FromErrno("fdatasync");
    return Status::Ok();
  }

 private:
  // The registered buffer holding all of `buf`, or -1.
  int FixedIndex(std::span<uint8_t> buf) const {
    for (size_t i = 0; i < fixed_.size(); ++i) {
      if (buf.data() >= fixed_[i].data() && buf.data() + buf.size() <= fixed_[i].data() + fixed_[i].size()) {
        return static_cast<int>(i);
      }
    }
    return -1;
  }

  static constexpr uint64_t kHintTag = ~uint64_t{0};  // user tag of writeback hints
  unsigned depth_;
  io_uring ring_{};
  bool initialised_ = false;
  unsigned outstanding_ = 0;  // requests (not hints) in the ring
  unsigned hints_ = 0;        // writeback hints in the ring
  std::vector<std::span<uint8_t>> fixed_;  // registered buffers, by index
  std::vector<IoCompletion> out_;
};

// ---------------------------------------------------------------------------
// pread/pwrite: requests queue at Submit() and run, one system call each,
// at the next Wait().
class PreadBackend final : public IoBackend {
 public:
  explicit PreadBackend(unsigned depth) : depth_(depth) {}
  std::string name() const override { return "pread"; }
  unsigned capacity() const override { return depth_; }
  unsigned outstanding() const override { return static_cast<unsigned>(queued_.size()); }

  Status Submit(const IoRequest& req) override {
    PAS_RETURN_IF_ERROR(CheckRequest(req, outstanding(), depth_));
    queued_.push_back(req);
    return Status::Ok();
  }

  Result<std::span<const IoCompletion>> Wait(unsigned) override {
    out_.clear();
    for (const IoRequest& req : queued_) {
      ssize_t r;
      do {
        r = req.op == IoOp::kRead
                ? ::pread(req.fd, req.buf.data(), req.buf.size(), static_cast<off_t>(req.offset))
                : ::pwrite(req.fd, req.buf.data(), req.buf.size(), static_cast<off_t>(req.offset));
      } while (r < 0 && errno == EINTR);
      IoCompletion c;
      c.user = req.user;
      if (r < 0) {
        c.error = errno;
      } else {
        c.bytes = static_cast<uint32_t>(r);
      }
      out_.push_back(c);
    }
    queued_.clear();
    return std::span<const IoCompletion>(out_);
  }

  Status Sync(int fd) override {
    if (::fdatasync(fd) != 0) return Status::FromErrno("fdatasync");
    return Status::Ok();
  }

 private:
  unsigned depth_;
  std::vector<IoRequest> queued_;
  std::vector<IoCompletion> out_;
};

// ---------------------------------------------------------------------------
// Fault spec parsing.

struct ErrnoName {
  std::string_view name;
  int value;
};
constexpr ErrnoName kErrnoNames[] = {
    {"EIO", EIO},       {"ENOSPC", ENOSPC}, {"EAGAIN", EAGAIN}, {"EROFS", EROFS},
    {"EBADF", EBADF},   {"ENXIO", ENXIO},   {"EPERM", EPERM},   {"EACCES", EACCES},
    {"EDQUOT", EDQUOT}, {"EFBIG", EFBIG},   {"EINVAL", EINVAL}, {"ENODEV", ENODEV},
    {"EOPNOTSUPP", EOPNOTSUPP}, {"ENOSYS", ENOSYS},
};

Status ZeroRangeResult(const std::string& what, int error) {
  if (error == EOPNOTSUPP || error == ENOSYS) {
    return Status::NotSupported(what + ": " + std::strerror(error));
  }
  return Status::IoError(what + ": " + std::strerror(error), error);
}

bool ParseNumber(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// "4096", "100K", "64M", "2G" (powers of 1024).
bool ParseBytes(std::string_view s, uint64_t& out) {
  uint64_t mult = 1;
  if (!s.empty()) {
    switch (s.back()) {
      case 'K': case 'k': mult = 1ull << 10; break;
      case 'M': case 'm': mult = 1ull << 20; break;
      case 'G': case 'g': mult = 1ull << 30; break;
      default: break;
    }
    if (mult != 1) s.remove_suffix(1);
  }
  if (!ParseNumber(s, out)) return false;
  out *= mult;
  return true;
}

bool ParseErrno(std::string_view s, int& out) {
  for (const auto& e : kErrnoNames) {
    if (e.name == s) {
      out = e.value;
      return true;
    }
  }
  uint64_t n;
  if (ParseNumber(s, n) && n > 0 && n < 4096) {
    out = static_cast<int>(n);
    return true;
  }
  return false;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

bool Overlaps(uint64_t a_begin, uint64_t a_end, uint64_t b_begin, uint64_t b_end) {
  return a_begin < b_end && b_begin < a_end;
}

}  // namespace

void IoBackend::StartWriteback(int fd, uint64_t offset, uint64_t length) {
  ::sync_file_range(fd, static_cast<off_t>(offset), static_cast<off_t>(length),
                    SYNC_FILE_RANGE_WRITE);
}

void IoBackend::FinishWriteback(int fd, uint64_t offset, uint64_t length) {
  int r;
  do {
    r = ::sync_file_range(fd, static_cast<off_t>(offset), static_cast<off_t>(length),
                          SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
  } while (r != 0 && errno == EINTR);
}

void IoBackend::Prefetch(int fd, uint64_t offset, uint64_t length) {
  ::posix_fadvise(fd, static_cast<off_t>(offset), static_cast<off_t>(length), POSIX_FADV_WILLNEED);
}

Status IoBackend::RegisterBuffers(std::span<const std::span<uint8_t>>) { return Status::Ok(); }

Status IoBackend::ZeroRange(int fd, uint64_t offset, uint64_t length) {
  if (fd < 0) return Status::InvalidArgument("zero range on a closed file");
  if (length == 0) return Status::Ok();
  int r;
  do {
    r = ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                    static_cast<off_t>(length));
  } while (r != 0 && errno == EINTR);
  if (r != 0) return ZeroRangeResult("fallocate(PUNCH_HOLE)", errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::FromErrno("fstat");
  if (static_cast<uint64_t>(st.st_size) < offset + length &&
      ::ftruncate(fd, static_cast<off_t>(offset + length)) != 0) {
    return Status::FromErrno("ftruncate");
  }
  return Status::Ok();
}

Result<std::unique_ptr<IoBackend>> MakeUringBackend(unsigned queue_depth) {
  if (queue_depth == 0) return Status::InvalidArgument("io_uring queue depth 0");
  auto backend = std::make_unique<UringBackend>(queue_depth);
  PAS_RETURN_IF_ERROR(backend->Init());
  return std::unique_ptr<IoBackend>(std::move(backend));
}

std::unique_ptr<IoBackend> MakePreadBackend(unsigned queue_depth) {
  return std::make_unique<PreadBackend>(std::max(queue_depth, 1u));
}

std::unique_ptr<IoBackend> MakeAutoBackend(unsigned queue_depth) {
  auto log = Logger("engine");
  std::unique_ptr<IoBackend> backend;
  const char* forced = std::getenv("PAS_IO_BACKEND");
  std::string_view choice = forced ? forced : "";
  if (choice == "pread") {
    backend = MakePreadBackend(queue_depth);
  } else {
    if (!choice.empty() && choice != "uring" && choice != "io_uring") {
      log->warn("PAS_IO_BACKEND={} is not uring or pread; choosing automatically", choice);
    }
    auto uring = MakeUringBackend(queue_depth);
    if (uring.ok()) {
      backend = std::move(uring).value();
    } else {
      if (choice.empty()) {
        log->info("io_uring unavailable ({}); using pread", uring.status().message());
      } else {
        log->warn("io_uring unavailable ({}); using pread", uring.status().message());
      }
      backend = MakePreadBackend(queue_depth);
    }
  }
  if (const char* faults = std::getenv("PAS_IO_FAULTS"); faults != nullptr && *faults != '\0') {
    auto spec = ParseFaultSpec(faults);
    if (spec.ok()) {
      backend = std::make_unique<FaultInjectingBackend>(std::move(backend), *spec);
      log->warn("injecting I/O faults: {}", faults);
    } else {
      log->error("PAS_IO_FAULTS ignored: {}", spec.status().message());
    }
  }
  log->info("I/O backend {} (queue depth {})", backend->name(), queue_depth);
  return backend;
}

Result<FaultSpec> ParseFaultSpec(const std::string& text) {
  FaultSpec spec;
  for (std::string_view item : Split(text, ',')) {
    if (item.empty()) continue;
    std::string_view head = item, arg;
    std::vector<std::string_view> mods;
    if (size_t at = item.find('@'); at != std::string_view::npos) {
      head = item.substr(0, at);
      auto parts = Split(item.substr(at + 1), ':');
      arg = parts[0];
      mods.assign(parts.begin() + 1, parts.end());
    }
    auto bad = [&](const std::string& why) {
      return Status::InvalidArgument("fault spec item '" + std::string(item) + "': " + why);
    };
    uint64_t n = 0;
    if (head == "read_error" || head == "write_error" || head == "sync_error" ||
        head == "zero_error") {
      if (!ParseNumber(arg, n) || n == 0) return bad("expected @N with N >= 1");
      FaultSpec::Failure f{.nth = n, .error = EIO, .sticky = false};
      for (std::string_view m : mods) {
        if (m == "sticky") {
          f.sticky = true;
        } else if (!ParseErrno(m, f.error)) {
          return bad("unknown errno or modifier '" + std::string(m) + "'");
        }
      }
      (head == "read_error"    ? spec.read_error
       : head == "write_error" ? spec.write_error
       : head == "sync_error"  ? spec.sync_error
                               : spec.zero_error) = f;
    } else if (head == "write_enospc") {
      if (!ParseBytes(arg, n) || !mods.empty()) return bad("expected @BYTES (K, M, G suffixes)");
      spec.enospc_offset = n;
    } else if (head == "torn_write" || head == "lost_write") {
      if (!ParseNumber(arg, n) || n == 0 || !mods.empty()) return bad("expected @N with N >= 1");
      (head == "torn_write" ? spec.torn_write : spec.lost_write) = n;
    } else if (head == "short_reads" || head == "short_writes" || head == "lost_writes") {
      if (item != head) return bad("takes no argument");
      (head == "short_reads" ? spec.short_reads : head == "short_writes" ? spec.short_writes : spec.lost_writes) =
          true;
    } else if (head == "eagain") {
      n = 3;
      if (item != head && (!ParseNumber(arg, n) || n == 0 || !mods.empty())) {
        return bad("expected eagain or eagain@N with N >= 1");
      }
      spec.eagain_every = static_cast<unsigned>(n);
    } else if (head == "slow") {
      if (!ParseNumber(arg, n) || n == 0 || n > 1'000'000 || !mods.empty()) {
        return bad("expected slow@MICROSECONDS (1 to 1000000)");
      }
      spec.slow_us = static_cast<uint32_t>(n);
    } else {
      return bad("unknown fault (read_error, write_error, sync_error, zero_error, write_enospc, "
                 "torn_write, lost_write, lost_writes, short_reads, short_writes, eagain, slow)");
    }
  }
  return spec;
}

// ---------------------------------------------------------------------------

FaultInjectingBackend::FaultInjectingBackend(std::unique_ptr<IoBackend> inner, FaultSpec spec)
    : inner_(std::move(inner)), spec_(spec) {}

FaultInjectingBackend::~FaultInjectingBackend() = default;

std::string FaultInjectingBackend::name() const { return "faults(" + inner_->name() + ")"; }
unsigned FaultInjectingBackend::capacity() const { return inner_->capacity(); }
unsigned FaultInjectingBackend::outstanding() const {
  return inner_->outstanding() + static_cast<unsigned>(synthetic_.size());
}

IoCompletion FaultInjectingBackend::Fail(const IoRequest& req, int error) {
  ++faults_;
  return IoCompletion{.user = req.user, .bytes = 0, .error = error};
}

Status FaultInjectingBackend::Submit(const IoRequest& req) {
  PAS_RETURN_IF_ERROR(CheckRequest(req, outstanding(), capacity()));
  const bool read = req.op == IoOp::kRead;
  const uint64_t n = read ? ++reads_ : ++writes_;
  ++requests_;
  const uint64_t begin = req.offset, end = req.offset + req.buf.size();
  if (spec_.slow_us != 0) ::usleep(spec_.slow_us);

  if (spec_.eagain_every != 0 && requests_ % spec_.eagain_every == 0) {
    synthetic_.push_back(Fail(req, EAGAIN));
    return Status::Ok();
  }
  for (const BadRange& b : bad_) {
    if (b.op == req.op && b.fd == req.fd && Overlaps(begin, end, b.begin, b.end)) {
      synthetic_.push_back(Fail(req, b.error));
      return Status::Ok();
    }
  }
  const FaultSpec::Failure& f = read ? spec_.read_error : spec_.write_error;
  if (f.nth == n) {
    if (f.sticky) bad_.push_back(BadRange{.fd = req.fd, .begin = begin, .end = end, .error = f.error, .op = req.op});
    synthetic_.push_back(Fail(req, f.error));
    return Status::Ok();
  }

  IoRequest actual = req;
  if (!read) {
    if (end > spec_.enospc_offset) {
      if (begin >= spec_.enospc_offset) {
        synthetic_.push_back(Fail(req, ENOSPC));
        return Status::Ok();
      }
      ++faults_;
      actual.buf = req.buf.first(spec_.enospc_offset - begin);
    }
    if (spec_.lost_write == n || spec_.lost_writes) {
      ++faults_;
      synthetic_.push_back(IoCompletion{.user = req.user, .bytes = static_cast<uint32_t>(req.buf.size())});
      return Status::Ok();
    }
    if (spec_.torn_write == n && actual.buf.size() > 1) {
      ++faults_;
      torn_.push_back(Pending{.user = req.user, .reported_bytes = static_cast<uint32_t>(actual.buf.size())});
      actual.buf = actual.buf.first(actual.buf.size() / 2);
    }
  }
  if ((read ? spec_.short_reads : spec_.short_writes) && actual.buf.size() > 1) {
    ++faults_;
    actual.buf = actual.buf.first(actual.buf.size() / 2);
  }
  return inner_->Submit(actual);
}

Result<std::span<const IoCompletion>> FaultInjectingBackend::Wait(unsigned min_complete) {
  out_ = std::move(synthetic_);
  synthetic_.clear();
  if (inner_->outstanding() > 0) {
    unsigned need = min_complete > out_.size() ? min_complete - static_cast<unsigned>(out_.size()) : 0;
    PAS_ASSIGN_OR_RETURN(auto done, inner_->Wait(need));
    for (IoCompletion c : done) {
      auto it = std::find_if(torn_.begin(), torn_.end(), [&](const Pending& p) { return p.user == c.user; });
      if (it != torn_.end()) {
        if (c.error == 0) c.bytes = it->reported_bytes;
        torn_.erase(it);
      }
      out_.push_back(c);
    }
  }
  return std::span<const IoCompletion>(out_);
}

void FaultInjectingBackend::StartWriteback(int fd, uint64_t offset, uint64_t length) {
  inner_->StartWriteback(fd, offset, length);
}

void FaultInjectingBackend::Prefetch(int fd, uint64_t offset, uint64_t length) {
  inner_->Prefetch(fd, offset, length);
}

Status FaultInjectingBackend::ZeroRange(int fd, uint64_t offset, uint64_t length) {
  if (spec_.slow_us != 0) ::usleep(spec_.slow_us);
  if (spec_.zero_error.nth == ++zeros_) {
    ++faults_;
    return ZeroRangeResult("fallocate(PUNCH_HOLE)", spec_.zero_error.error);
  }
  return inner_->ZeroRange(fd, offset, length);
}

Status FaultInjectingBackend::RegisterBuffers(std::span<const std::span<uint8_t>> buffers) {
  return inner_->RegisterBuffers(buffers);
}

Status FaultInjectingBackend::Sync(int fd) {
  if (spec_.sync_error.nth == ++syncs_) {
    ++faults_;
    return Status::IoError(std::string("fdatasync: ") + std::strerror(spec_.sync_error.error),
                           spec_.sync_error.error);
  }
  return inner_->Sync(fd);
}

}  // namespace pas::engine
