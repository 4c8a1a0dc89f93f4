// Workload shares. Format: doc/workload.md, "Shares".
#include "workload/share.h"

#include <climits>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/control_file.h"

namespace pas::workload {
namespace {

// Layout (little-endian on x86):
//   0     header, 4096 bytes: magic[8] "PASWKLD1", version u32
//   4096  kShareSlots slots of 128 bytes: system[64], systems u32 (64),
//         index u32 (68), writers u32 (72), first track u32 (76), last
//         track u32 (80), used u8 (84)
// Lock bytes: host::kLockBase (claim), host::kLockBase + 1 + i (slot i, held
// exclusive by the running workload that claimed it).
constexpr char kMagic[8] = {'P', 'A', 'S', 'W', 'K', 'L', 'D', '1'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 4096, kSlotSize = 128;
constexpr size_t kFileSize = kHeaderSize + kShareSlots * kSlotSize;
constexpr uint64_t kClaimByte = host::kLockBase;
uint64_t SlotByte(int i) { return host::kLockBase + 1 + static_cast<uint64_t>(i); }

struct Header {
  char magic[8];
  uint32_t version;
};
struct Slot {
  char system[64];
  uint32_t systems;
  uint32_t index;
  uint32_t writers;
  uint32_t first_track;
  uint32_t last_track;
  uint8_t used;
  uint8_t pad[43];
};
static_assert(sizeof(Slot) == kSlotSize);
static_assert(offsetof(Slot, used) == 84);

std::string Where(const std::string& path) { return "workload share file " + path; }

Status ReadAt(int fd, void* buf, size_t n, off_t off, const std::string& path) {
  ssize_t got = ::pread(fd, buf, n, off);
  if (got < 0) return Status::FromErrno(Where(path));
  if (static_cast<size_t>(got) < n) std::memset(static_cast<char*>(buf) + got, 0, n - got);
  return Status::Ok();
}

Status WriteAt(int fd, const void* buf, size_t n, off_t off, const std::string& path) {
  if (::pwrite(fd, buf, n, off) != static_cast<ssize_t>(n)) return Status::FromErrno(Where(path));
  return Status::Ok();
}

Result<host::Fd> OpenShareFile(const std::string& path, bool create, bool writable) {
  const std::string image = path.substr(0, path.size() - std::string(".pas-workload").size());
  auto fd = OpenControlFile(path, {.create = create, .writable = writable, .owner_of = image});
  if (!fd.ok()) {
    if (fd.status().IsNotFound()) return fd.status();
    return fd.status().WithContext(Where(path));
  }
  return host::Fd(*fd);
}

// Under the claim lock: gives a new (empty) file its header; checks an
// existing one's.
Status EnsureInitialized(int fd, const std::string& path) {
  Header h{};
  PAS_RETURN_IF_ERROR(ReadAt(fd, &h, sizeof h, 0, path));
  if (std::memcmp(h.magic, kMagic, 8) == 0) {
    if (h.version != kVersion) {
      return Status::Corruption(Where(path) + ": version " + std::to_string(h.version) +
                                ", expected " + std::to_string(kVersion));
    }
    return Status::Ok();
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::FromErrno(Where(path));
  if (st.st_size != 0) return Status::Corruption(Where(path) + ": bad magic (not a pas share file)");
  if (::ftruncate(fd, kFileSize) != 0) return Status::FromErrno(Where(path));
  Header fresh{};
  std::memcpy(fresh.magic, kMagic, 8);
  fresh.version = kVersion;
  return WriteAt(fd, &fresh, sizeof fresh, 0, path);
}

Result<std::vector<Slot>> ReadSlots(int fd, const std::string& path) {
  std::vector<Slot> slots(kShareSlots);
  PAS_RETURN_IF_ERROR(ReadAt(fd, slots.data(), kShareSlots * kSlotSize, kHeaderSize, path));
  return slots;
}

ShareSlot ToShareSlot(const Slot& s, bool live) {
  return ShareSlot{.system = std::string(s.system, strnlen(s.system, sizeof s.system)),
                   .systems = s.systems,
                   .index = s.index,
                   .writers = s.writers,
                   .first_track = s.first_track,
                   .last_track = s.last_track,
                   .live = live};
}

std::string Describe(const ShareSlot& s) {
  return "SYSTEM " + s.system + " SHARE " + std::to_string(s.index) + " OF " +
         std::to_string(s.systems) + " (" + std::to_string(s.writers) + " WRITERS, TRACKS " +
         std::to_string(s.first_track) + "-" + std::to_string(s.last_track) + ")";
}

}  // namespace

std::string ShareFilePath(const std::string& image_path) {
  char resolved[PATH_MAX];
  if (::realpath(image_path.c_str(), resolved) != nullptr) {
    return std::string(resolved) + ".pas-workload";
  }
  return image_path + ".pas-workload";
}

Result<ClaimLock> ClaimLock::Acquire(const std::string& image_path) {
  ClaimLock lock;
  lock.path_ = ShareFilePath(image_path);
  PAS_ASSIGN_OR_RETURN(lock.fd_, OpenShareFile(lock.path_, true, true));
  PAS_RETURN_IF_ERROR(
      host::WaitLockByte(lock.fd_.get(), kClaimByte, host::LockKind::kExclusive));
  Status s = EnsureInitialized(lock.fd_.get(), lock.path_);
  if (!s.ok()) return s;  // the lock goes with the descriptor
  return lock;
}

ClaimLock::~ClaimLock() {
  if (fd_.valid()) (void)host::UnlockByte(fd_.get(), kClaimByte);
}

Result<std::unique_ptr<ShareClaim>> ShareClaim::Claim(const ClaimLock& lock,
                                                      const ShareRequest& r) {
  if (r.systems == 0 || (r.index && *r.index >= r.systems)) {
    return Status::InvalidArgument("--system-index must be below --systems");
  }
  const std::string& path = lock.path();
  PAS_ASSIGN_OR_RETURN(std::vector<Slot> slots, ReadSlots(lock.fd(), path));
  std::vector<bool> live(kShareSlots, false);
  for (int i = 0; i < kShareSlots; ++i) {
    live[i] = slots[i].used && host::ByteLocked(lock.fd(), SlotByte(i));
  }
  // Running claims: refuse one that overlaps; note the indices of the
  // same scheme that are taken.
  auto same_scheme = [&](const Slot& s) {
    return s.systems == r.systems && s.writers == r.writers && s.first_track == r.first_track &&
           s.last_track == r.last_track;
  };
  std::vector<bool> taken(r.systems, false);
  std::string holders;
  for (int i = 0; i < kShareSlots; ++i) {
    if (!live[i]) continue;
    const Slot& s = slots[i];
    if (s.last_track < r.first_track || s.first_track > r.last_track) continue;
    const ShareSlot other = ToShareSlot(s, true);
    if (!same_scheme(s)) {
      return Status::Busy("PAS762E WORKLOAD SHARE OVERLAPS A RUNNING WORKLOAD: " + Describe(other) +
                          " IS RUNNING WITH ANOTHER DIVISION OF THE AREA (GIVE THE SAME "
                          "--systems AND --writers ON EVERY SYSTEM)");
    }
    if (s.index < r.systems) taken[s.index] = true;
    if (r.index && *r.index == s.index) {
      return Status::Busy("PAS762E WORKLOAD SHARE OVERLAPS A RUNNING WORKLOAD: " + Describe(other) +
                          " HOLDS SHARE " + std::to_string(s.index));
    }
    holders += (holders.empty() ? "" : ", ") + other.system;
  }
  uint32_t index = 0;
  if (r.index) {
    index = *r.index;
  } else {
    std::optional<uint32_t> pick;
    for (int i = 0; i < kShareSlots && !pick; ++i) {
      const Slot& s = slots[i];
      if (s.used && !live[i] && same_scheme(s) && s.index < r.systems && !taken[s.index] &&
          ToShareSlot(s, false).system == r.system) {
        pick = s.index;  // this system's share from before
      }
    }
    for (uint32_t i = 0; i < r.systems && !pick; ++i) {
      if (!taken[i]) pick = i;
    }
    if (!pick) {
      return Status::Busy("PAS762E WORKLOAD SHARE OVERLAPS A RUNNING WORKLOAD: ALL " +
                          std::to_string(r.systems) + " SHARES OF TRACKS " +
                          std::to_string(r.first_track) + "-" + std::to_string(r.last_track) +
                          " ARE HELD BY RUNNING WORKLOADS OF " + holders +
                          " (GIVE --systems WITH THE NUMBER OF SYSTEMS WRITING)");
    }
    index = *pick;
  }
  // A slot for the claim: this system's own (not running), an unused one,
  // or one whose run has ended.
  int slot = -1;
  for (int i = 0; i < kShareSlots && slot < 0; ++i) {
    if (slots[i].used && !live[i] && ToShareSlot(slots[i], false).system == r.system) slot = i;
  }
  for (int i = 0; i < kShareSlots && slot < 0; ++i) {
    if (!slots[i].used) slot = i;
  }
  for (int i = 0; i < kShareSlots && slot < 0; ++i) {
    if (!live[i]) slot = i;
  }
  if (slot < 0) {
    return Status::Busy("PAS762E WORKLOAD SHARE CANNOT BE CLAIMED: " +
                        std::to_string(kShareSlots) + " WORKLOADS ARE RUNNING ON THE VOLUME");
  }
  Slot s{};
  std::strncpy(s.system, r.system.c_str(), sizeof s.system - 1);
  s.systems = r.systems;
  s.index = index;
  s.writers = r.writers;
  s.first_track = r.first_track;
  s.last_track = r.last_track;
  s.used = 1;
  PAS_RETURN_IF_ERROR(WriteAt(lock.fd(), &s, sizeof s, kHeaderSize + slot * kSlotSize, path));
  if (::fdatasync(lock.fd()) != 0) return Status::FromErrno(Where(path));
  std::unique_ptr<ShareClaim> claim(new ShareClaim());
  PAS_ASSIGN_OR_RETURN(claim->fd_, OpenShareFile(path, false, true));
  PAS_RETURN_IF_ERROR(host::TryLockByte(claim->fd_.get(), SlotByte(slot), host::LockKind::kExclusive)
                          .WithContext(Where(path) + ": slot " + std::to_string(slot)));
  claim->index_ = index;
  claim->systems_ = r.systems;
  return claim;
}

Result<std::vector<ShareSlot>> ListShares(const std::string& image_path) {
  const std::string path = ShareFilePath(image_path);
  auto fd = OpenShareFile(path, false, false);
  if (!fd.ok()) {
    if (fd.status().IsNotFound()) return std::vector<ShareSlot>{};
    return fd.status();
  }
  PAS_ASSIGN_OR_RETURN(std::vector<Slot> slots, ReadSlots(fd->get(), path));
  std::vector<ShareSlot> out;
  for (int i = 0; i < kShareSlots; ++i) {
    if (slots[i].used) out.push_back(ToShareSlot(slots[i], host::ByteLocked(fd->get(), SlotByte(i))));
  }
  return out;
}

}  // namespace pas::workload
