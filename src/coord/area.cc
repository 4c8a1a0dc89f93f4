#include "coord/area.h"

#include "base/control_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include "base/lock_file.h"

namespace pas::coord {
namespace {

constexpr int kReadAttempts = 50;

void Pause() { std::this_thread::sleep_for(std::chrono::milliseconds(1)); }

// The area is created by a separate open that is closed at once: the
// creating descriptor can sit in a lock domain of its own on a
// distributed file system (base/lock_file.h), and its liveness locks would
// then be invisible to the other machines.
int OpenFd(const std::string& path, int flags) { return OpenLockFile(path, flags | O_CLOEXEC, 0666); }

}  // namespace

std::string ControlPath(const std::string& target_image) { return target_image + ".pas-ctl"; }

Result<FileIdentity> IdentityOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::FromErrno(path + ": stat");
  return FileIdentity{static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size)};
}

Result<CoordinationArea> CoordinationArea::Open(const std::string& target_image, Mode mode) {
  CoordinationArea a;
  a.path_ = ControlPath(target_image);
  // A control file (base/control_file.h): never through a symlink, created
  // exclusively, owned by this user, root or the target image's owner.
  auto fd = OpenControlFile(a.path_, {.create = mode == Mode::kCreate,
                                      .writable = mode != Mode::kReadOnly,
                                      .owner_of = target_image});
  if (!fd.ok()) {
    if (fd.status().IsNotFound()) return Status::NotFound(a.path_ + ": no coordination area");
    return fd.status();
  }
  a.fd_ = *fd;
  a.probe_ = OpenFd(a.path_, O_RDONLY | O_NOFOLLOW);
  if (a.probe_ < 0) return Status::FromErrno(a.path_ + ": open probe");
  if (mode != Mode::kReadOnly) {
    struct stat st;
    if (::fstat(a.fd_, &st) != 0) return Status::FromErrno(a.path_ + ": fstat");
    if (static_cast<uint64_t>(st.st_size) < kAreaSize && ::ftruncate(a.fd_, kAreaSize) != 0) {
      return Status::FromErrno(a.path_ + ": size");
    }
  }
  return a;
}

CoordinationArea::CoordinationArea(CoordinationArea&& o) noexcept
    : path_(std::move(o.path_)), fd_(o.fd_), probe_(o.probe_) {
  o.fd_ = o.probe_ = -1;
}

CoordinationArea& CoordinationArea::operator=(CoordinationArea&& o) noexcept {
  if (this != &o) {
    Close();
    path_ = std::move(o.path_);
    fd_ = o.fd_;
    probe_ = o.probe_;
    o.fd_ = o.probe_ = -1;
  }
  return *this;
}

CoordinationArea::~CoordinationArea() { Close(); }

void CoordinationArea::Close() {
  if (fd_ >= 0) ::close(fd_);
  if (probe_ >= 0) ::close(probe_);
  fd_ = probe_ = -1;
}

Status CoordinationArea::TryLock(uint64_t byte) {
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = static_cast<off_t>(byte);
  fl.l_len = 1;
  if (::fcntl(fd_, F_OFD_SETLK, &fl) == 0) return Status::Ok();
  int err = errno;
  if (err == EAGAIN || err == EACCES) return Status::Busy(path_ + ": lock byte held by another process");
  return Status::FromErrno(path_ + ": lock", err);
}

Status CoordinationArea::Unlock(uint64_t byte) {
  struct flock fl = {};
  fl.l_type = F_UNLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = static_cast<off_t>(byte);
  fl.l_len = 1;
  if (::fcntl(fd_, F_OFD_SETLK, &fl) != 0) return Status::FromErrno(path_ + ": unlock");
  return Status::Ok();
}

bool CoordinationArea::Locked(uint64_t byte) const {
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = static_cast<off_t>(byte);
  fl.l_len = 1;
  if (::fcntl(probe_, F_OFD_GETLK, &fl) != 0) return true;
  return fl.l_type != F_UNLCK;
}

Status CoordinationArea::TryLockJob() { return TryLock(JobLockByte()); }
Status CoordinationArea::TryLockParticipant(uint32_t index) {
  if (index >= kMaxParticipants) return Status::InvalidArgument("participant index out of range");
  return TryLock(ParticipantLockByte(index));
}
Status CoordinationArea::UnlockParticipant(uint32_t index) {
  if (index >= kMaxParticipants) return Status::InvalidArgument("participant index out of range");
  return Unlock(ParticipantLockByte(index));
}
bool CoordinationArea::JobAlive() const { return Locked(JobLockByte()); }
bool CoordinationArea::ParticipantAlive(uint32_t index) const {
  return index < kMaxParticipants && Locked(ParticipantLockByte(index));
}
bool CoordinationArea::WatcherAlive(uint32_t slot) const {
  return slot < kMaxWatchers && Locked(WatcherLockByte(slot));
}
bool CoordinationArea::AnyParticipantAlive() const {
  for (uint32_t i = 0; i < kMaxParticipants; ++i)
    if (Locked(ParticipantLockByte(i))) return true;
  return false;
}

Result<uint32_t> CoordinationArea::ClaimWatcher(const WatcherSlot& w) {
  PAS_ASSIGN_OR_RETURN(auto bytes, EncodeWatcherSlot(w));
  for (uint32_t k = 0; k < kMaxWatchers; ++k) {
    Status s = TryLock(WatcherLockByte(k));
    if (s.IsBusy()) continue;
    PAS_RETURN_IF_ERROR(s);
    Status ws = WriteAt(WatcherOffset(k), bytes);
    if (!ws.ok()) {
      (void)Unlock(WatcherLockByte(k));
      return ws;
    }
    return k;
  }
  return Status::Busy(path_ + ": every watcher slot is in use");
}

Status CoordinationArea::ReleaseWatcher(uint32_t slot) {
  if (slot >= kMaxWatchers) return Status::InvalidArgument("watcher slot out of range");
  return Unlock(WatcherLockByte(slot));
}

std::vector<WatcherSlot> CoordinationArea::LiveWatchers() const {
  std::vector<WatcherSlot> out;
  std::vector<uint8_t> buf(kWatcherSlotSize);
  for (uint32_t k = 0; k < kMaxWatchers; ++k) {
    if (!WatcherAlive(k)) continue;
    for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
      if (!ReadAt(WatcherOffset(k), buf).ok()) break;
      auto w = DecodeWatcherSlot(buf);
      if (w.ok()) {
        out.push_back(std::move(w).value());
        break;
      }
      if (w.status().IsNotFound()) break;
      Pause();
    }
  }
  return out;
}

Status CoordinationArea::ReadAt(uint64_t offset, std::span<uint8_t> out) const {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(path_ + ": read");
    }
    if (n == 0) {  // beyond the end: never written
      std::fill(out.begin() + done, out.end(), 0);
      return Status::Ok();
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status CoordinationArea::WriteAt(uint64_t offset, std::span<const uint8_t> in) {
  size_t done = 0;
  while (done < in.size()) {
    ssize_t n = ::pwrite(fd_, in.data() + done, in.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(path_ + ": write");
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<Header> CoordinationArea::ReadHeader() const {
  std::vector<uint8_t> buf(kHeaderSize);
  Status last;
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    PAS_RETURN_IF_ERROR(ReadAt(0, buf));
    auto h = DecodeHeader(buf);
    if (h.ok() || h.status().IsNotFound()) return h;
    last = h.status();
    Pause();
  }
  return last.WithContext(path_);
}

Status CoordinationArea::WriteHeader(const Header& h) {
  PAS_ASSIGN_OR_RETURN(auto bytes, EncodeHeader(h));
  return WriteAt(0, bytes);
}

Result<ParticipantBlock> CoordinationArea::ReadParticipant(uint32_t index) const {
  if (index >= kMaxParticipants) return Status::InvalidArgument("participant index out of range");
  std::vector<uint8_t> buf(kParticipantBlockSize);
  Status last;
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    PAS_RETURN_IF_ERROR(ReadAt(ParticipantOffset(index), buf));
    auto p = DecodeParticipantBlock(buf);
    if (p.ok()) {
      if (p->index != index) return Status::Corruption(path_ + ": participant block holds another index");
      return p;
    }
    if (p.status().IsNotFound()) return p;
    last = p.status();
    Pause();
  }
  return last.WithContext(path_);
}

Status CoordinationArea::WriteParticipant(const ParticipantBlock& p) {
  PAS_ASSIGN_OR_RETURN(auto bytes, EncodeParticipantBlock(p));
  return WriteAt(ParticipantOffset(p.index), bytes);
}

Status CoordinationArea::ClearParticipants() {
  std::vector<uint8_t> zero(size_t{kMaxParticipants} * kParticipantBlockSize, 0);
  return WriteAt(kParticipantOffset, zero);
}

Result<uint32_t> CoordinationArea::WriteBitmap(uint32_t index, const std::vector<uint64_t>& words,
                                               uint32_t tracks) {
  if (index >= kMaxParticipants) return Status::InvalidArgument("participant index out of range");
  if (tracks > kMaxTracks) return Status::InvalidArgument("too many tracks for a bitmap region");
  std::vector<uint8_t> bytes = EncodeBitmap(words, tracks);
  PAS_RETURN_IF_ERROR(WriteAt(BitmapOffset(index), bytes));
  return Crc32c(bytes);
}

Result<std::vector<uint64_t>> CoordinationArea::ReadBitmap(uint32_t index, uint32_t tracks,
                                                           uint32_t expected_crc) const {
  if (index >= kMaxParticipants) return Status::InvalidArgument("participant index out of range");
  if (tracks > kMaxTracks) return Status::InvalidArgument("too many tracks for a bitmap region");
  std::vector<uint8_t> buf(BitmapBytes(tracks));
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    PAS_RETURN_IF_ERROR(ReadAt(BitmapOffset(index), buf));
    if (Crc32c(buf) == expected_crc) return DecodeBitmap(buf, tracks);
    Pause();
  }
  return Status::Corruption(path_ + ": bitmap region " + std::to_string(index) +
                            " does not match its acknowledged CRC");
}

}  // namespace pas::coord
