#include "host/online_registry.h"

#include "base/control_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/random.h>

#include <cerrno>
#include <cstddef>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "base/lock_file.h"

namespace pas::host {
namespace {

// Layout (doc/host-io.md, "The online registry"):
//   0     header, 4096 bytes: magic[8] "PASONLN1", version u32, flags u32
//         (1 frozen, 2 moved), decision_path[1024] at 16, target[1024] at 1040,
//         image_id[16] at 2064 (all zero: not assigned yet)
//   4096  kRegistrySlots slots of 256 bytes: name[64], serial[32], devnum
//         u16 (little-endian, at 96), used u8 (at 98), online u8 (at 99)
// Lock bytes: kLockBase (claim), kLockBase + 1 + i (slot i).
constexpr char kMagic[8] = {'P', 'A', 'S', 'O', 'N', 'L', 'N', '1'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kFrozen = 1, kMoved = 2;
constexpr size_t kHeaderSize = 4096, kSlotSize = 256, kPathMax = 1024;
constexpr size_t kFileSize = kHeaderSize + kRegistrySlots * kSlotSize;
constexpr uint64_t kClaimByte = kLockBase;
uint64_t SlotByte(int i) { return kLockBase + 1 + static_cast<uint64_t>(i); }

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t flags;
  char decision_path[kPathMax];
  char target[kPathMax];
  uint8_t image_id[16];
};
static_assert(offsetof(Header, image_id) == 2064);
struct Slot {
  char name[64];
  char serial[32];
  uint16_t devnum;
  uint8_t used;
  uint8_t online;  // the system has the unit varied online (persistent)
};
static_assert(offsetof(Slot, online) == 99);

std::string Str(const char* p, size_t max) { return std::string(p, strnlen(p, max)); }
void Put(char* dst, size_t max, const std::string& s) {
  std::memset(dst, 0, max);
  std::memcpy(dst, s.data(), std::min(s.size(), max - 1));
}

Status ReadAt(int fd, void* buf, size_t n, off_t off, const std::string& path) {
  ssize_t got = ::pread(fd, buf, n, off);
  if (got < 0) return Status::FromErrno("PAS197E online registry " + path);
  if (static_cast<size_t>(got) < n) std::memset(static_cast<char*>(buf) + got, 0, n - got);
  return Status::Ok();
}
Status WriteAt(int fd, const void* buf, size_t n, off_t off, const std::string& path) {
  if (::pwrite(fd, buf, n, off) != static_cast<ssize_t>(n))
    return Status::FromErrno("PAS197E online registry " + path);
  return Status::Ok();
}

// Opens (creating when `create`) and, under the claim lock the caller
// holds, initializes the registry file. The descriptor never comes from
// the open that created the file (base/lock_file.h).
// A control file (base/control_file.h): never through a symlink, created
// exclusively, owned by this user, root or the image's owner, writable by
// nobody else.
Result<Fd> OpenRegistry(const std::string& path, bool create) {
  const std::string image = path.substr(0, path.size() - std::string(".pas-online").size());
  auto fd = OpenControlFile(path, {.create = create, .writable = true, .owner_of = image});
  if (!fd.ok() && !create && fd.status().err() == EACCES)
    fd = OpenControlFile(path, {.create = false, .writable = false, .owner_of = image});
  if (!fd.ok()) {
    if (fd.status().IsNotFound()) return Status::NotFound("online registry " + path + " does not exist");
    return fd.status().WithContext("PAS197E online registry " + path);
  }
  return Fd(*fd);
}

bool IdAssigned(const Header& h) {
  for (uint8_t b : h.image_id)
    if (b != 0) return true;
  return false;
}

std::string IdHex(const Header& h) {
  if (!IdAssigned(h)) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : h.image_id) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// A random image id (RFC 4122 version 4 layout).
Status NewImageId(Header& h, const std::string& path) {
  size_t got = 0;
  while (got < sizeof h.image_id) {
    ssize_t n = ::getrandom(h.image_id + got, sizeof h.image_id - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("PAS197E online registry " + path + ": getrandom");
    }
    got += static_cast<size_t>(n);
  }
  h.image_id[6] = static_cast<uint8_t>((h.image_id[6] & 0x0F) | 0x40);
  h.image_id[8] = static_cast<uint8_t>((h.image_id[8] & 0x3F) | 0x80);
  return Status::Ok();
}

// Called with the claim lock held exclusively. Creates the header of a new
// (empty) registry and assigns the image id when it has none.
Status EnsureInitialized(int fd, const std::string& path) {
  Header h{};
  PAS_RETURN_IF_ERROR(ReadAt(fd, &h, sizeof h, 0, path));
  if (std::memcmp(h.magic, kMagic, 8) == 0) {
    if (h.version != kVersion)
      return Status::Corruption("PAS197E online registry " + path + ": version " +
                                std::to_string(h.version) + ", expected " + std::to_string(kVersion));
    if (IdAssigned(h)) return Status::Ok();
    PAS_RETURN_IF_ERROR(NewImageId(h, path));
    return WriteAt(fd, &h, sizeof h, 0, path);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::FromErrno("PAS197E online registry " + path);
  if (st.st_size != 0)
    return Status::Corruption("PAS197E online registry " + path + ": bad magic (not a pas registry)");
  if (::ftruncate(fd, kFileSize) != 0) return Status::FromErrno("PAS197E online registry " + path);
  Header fresh{};
  std::memcpy(fresh.magic, kMagic, 8);
  fresh.version = kVersion;
  PAS_RETURN_IF_ERROR(NewImageId(fresh, path));
  return WriteAt(fd, &fresh, sizeof fresh, 0, path);
}

class ClaimLock {
 public:
  ClaimLock(int fd, LockKind kind) : fd_(fd) { status_ = WaitLockByte(fd, kClaimByte, kind); }
  ~ClaimLock() {
    if (status_.ok()) UnlockByte(fd_, kClaimByte);
  }
  const Status& status() const { return status_; }

 private:
  int fd_;
  Status status_;
};

std::string DirOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// Paths in the marker are stored relative to the registry's directory when
// they are in it (the decision record and the target beside the source,
// the usual layout), so a system that mounts the shared storage under
// another path resolves them under its own (doc/multi-machine.md).
std::string StoredPath(const std::string& image_path, const std::string& path) {
  auto slash = path.rfind('/');
  if (slash != std::string::npos && path.substr(0, slash) == DirOf(image_path)) return path.substr(slash + 1);
  return path;
}
std::string ResolvedPath(const std::string& image_path, const std::string& stored) {
  if (stored.empty() || stored.find('/') != std::string::npos) return stored;
  return DirOf(image_path) + "/" + stored;
}

Status UpdateHeader(const std::string& image_path, uint32_t set, uint32_t clear,
                    const std::string* decision, const std::string* target) {
  std::string path = RegistryPath(image_path);
  PAS_ASSIGN_OR_RETURN(Fd fd, OpenRegistry(path, true));
  ClaimLock lock(fd.get(), LockKind::kExclusive);
  PAS_RETURN_IF_ERROR(lock.status());
  PAS_RETURN_IF_ERROR(EnsureInitialized(fd.get(), path));
  Header h{};
  PAS_RETURN_IF_ERROR(ReadAt(fd.get(), &h, sizeof h, 0, path));
  if (decision != nullptr) Put(h.decision_path, kPathMax, StoredPath(image_path, *decision));
  if (target != nullptr) Put(h.target, kPathMax, StoredPath(image_path, *target));
  h.flags = (h.flags & ~clear) | set;
  PAS_RETURN_IF_ERROR(WriteAt(fd.get(), &h, sizeof h, 0, path));
  if (::fdatasync(fd.get()) != 0) return Status::FromErrno("PAS197E online registry " + path);
  return Status::Ok();
}

}  // namespace

std::string RegistryPath(const std::string& image_path) {
  // Beside the file the name resolves to, so every name of one image (a
  // symlink, another mount path) meets in one registry.
  char resolved[PATH_MAX];
  if (::realpath(image_path.c_str(), resolved) != nullptr) return std::string(resolved) + ".pas-online";
  return image_path + ".pas-online";
}

Result<std::string> RegistryImageId(const std::string& image_path, bool assign) {
  std::string path = RegistryPath(image_path);
  if (assign) {
    PAS_ASSIGN_OR_RETURN(Fd fd, OpenRegistry(path, true));
    ClaimLock lock(fd.get(), LockKind::kExclusive);
    PAS_RETURN_IF_ERROR(lock.status());
    PAS_RETURN_IF_ERROR(EnsureInitialized(fd.get(), path));
    Header h{};
    PAS_RETURN_IF_ERROR(ReadAt(fd.get(), &h, sizeof h, 0, path));
    if (::fdatasync(fd.get()) != 0) return Status::FromErrno("PAS197E online registry " + path);
    return IdHex(h);
  }
  auto fd = OpenRegistry(path, false);
  if (!fd.ok()) {
    if (fd.status().IsNotFound()) return std::string();
    return fd.status();
  }
  ClaimLock lock(fd->get(), LockKind::kShared);
  PAS_RETURN_IF_ERROR(lock.status());
  Header h{};
  PAS_RETURN_IF_ERROR(ReadAt(fd->get(), &h, sizeof h, 0, path));
  if (std::memcmp(h.magic, kMagic, 8) != 0) return std::string();
  return IdHex(h);
}

Result<std::vector<OnlineSystem>> ListOnlineSystems(const std::string& image_path) {
  std::string path = RegistryPath(image_path);
  auto fd = OpenRegistry(path, false);
  if (!fd.ok()) {
    if (fd.status().IsNotFound()) return std::vector<OnlineSystem>{};
    return fd.status();
  }
  std::vector<OnlineSystem> out;
  for (int i = 0; i < kRegistrySlots; ++i) {
    Slot s{};
    PAS_RETURN_IF_ERROR(ReadAt(fd->get(), &s, sizeof s, kHeaderSize + i * kSlotSize, path));
    if (!s.used) continue;
    const bool live = ByteLocked(fd->get(), SlotByte(i));
    if (!live && !s.online) continue;
    out.push_back({Str(s.name, sizeof s.name), Str(s.serial, sizeof s.serial), s.devnum, live,
                   s.online != 0});
  }
  return out;
}

Result<RegistryMarker> ReadMarker(const std::string& image_path) {
  std::string path = RegistryPath(image_path);
  auto fd = OpenRegistry(path, false);
  if (!fd.ok()) {
    if (fd.status().IsNotFound()) return RegistryMarker{};
    return fd.status();
  }
  ClaimLock lock(fd->get(), LockKind::kShared);
  PAS_RETURN_IF_ERROR(lock.status());
  Header h{};
  PAS_RETURN_IF_ERROR(ReadAt(fd->get(), &h, sizeof h, 0, path));
  RegistryMarker m;
  if (std::memcmp(h.magic, kMagic, 8) != 0) return m;
  m.frozen = (h.flags & kFrozen) != 0;
  m.moved = (h.flags & kMoved) != 0;
  m.decision_path = ResolvedPath(image_path, Str(h.decision_path, kPathMax));
  m.target_image = ResolvedPath(image_path, Str(h.target, kPathMax));
  return m;
}

Status FreezeRegistry(const std::string& image_path, const std::string& decision_path,
                      const std::string& target_image) {
  if (decision_path.size() >= kPathMax || target_image.size() >= kPathMax)
    return Status::InvalidArgument("FreezeRegistry: path too long");
  return UpdateHeader(image_path, kFrozen, 0, &decision_path, &target_image);
}

Status MarkMoved(const std::string& image_path, const std::string& target_image) {
  if (target_image.size() >= kPathMax) return Status::InvalidArgument("MarkMoved: path too long");
  return UpdateHeader(image_path, kMoved, kFrozen, nullptr, &target_image);
}

Status ClearFreeze(const std::string& image_path) {
  return UpdateHeader(image_path, 0, kFrozen, nullptr, nullptr);
}

Status ClearMoved(const std::string& image_path) {
  PAS_ASSIGN_OR_RETURN(RegistryMarker m, ReadMarker(image_path));
  if (!m.moved) return Status::Ok();
  return UpdateHeader(image_path, 0, kMoved, nullptr, nullptr);
}

namespace {

// Finds the slot of system `name` or claims a free one (unused, or neither
// varied online nor held by a live process), with the claim lock held
// exclusively. With `set_online` the slot's persistent online flag is set.
// `*changed` tells whether the slot was written.
Result<int> ClaimSlot(int fd, const std::string& path, const std::string& name,
                      const std::string& serial, uint16_t devnum, bool set_online,
                      bool* changed = nullptr) {
  bool dummy = false;
  if (changed == nullptr) changed = &dummy;
  *changed = false;
  int mine = -1, free_slot = -1;
  Slot mine_slot{};
  for (int i = 0; i < kRegistrySlots && mine < 0; ++i) {
    Slot s{};
    PAS_RETURN_IF_ERROR(ReadAt(fd, &s, sizeof s, kHeaderSize + i * kSlotSize, path));
    if (s.used && Str(s.name, sizeof s.name) == name) {
      mine = i;
      mine_slot = s;
    } else if (free_slot < 0 && (!s.used || (!s.online && !ByteLocked(fd, SlotByte(i))))) {
      free_slot = i;
    }
  }
  if (mine >= 0) {
    if (set_online && (!mine_slot.online || mine_slot.devnum != devnum)) {
      mine_slot.online = 1;
      mine_slot.devnum = devnum;
      *changed = true;
      PAS_RETURN_IF_ERROR(WriteAt(fd, &mine_slot, sizeof mine_slot, kHeaderSize + mine * kSlotSize, path));
    }
    return mine;
  }
  if (free_slot < 0)
    return Status::Busy("PAS195E online registry " + path + ": all " +
                        std::to_string(kRegistrySlots) + " system slots are in use");
  Slot s{};
  Put(s.name, sizeof s.name, name);
  Put(s.serial, sizeof s.serial, serial);
  s.devnum = devnum;
  s.used = 1;
  s.online = set_online ? 1 : 0;
  *changed = true;
  PAS_RETURN_IF_ERROR(WriteAt(fd, &s, sizeof s, kHeaderSize + free_slot * kSlotSize, path));
  return free_slot;
}

}  // namespace

Status MarkSystemOnline(const std::string& image_path, const std::string& name,
                        const std::string& serial, uint16_t devnum) {
  std::string path = RegistryPath(image_path);
  PAS_ASSIGN_OR_RETURN(Fd fd, OpenRegistry(path, true));
  ClaimLock lock(fd.get(), LockKind::kExclusive);
  PAS_RETURN_IF_ERROR(lock.status());
  PAS_RETURN_IF_ERROR(EnsureInitialized(fd.get(), path));
  bool changed = false;
  PAS_RETURN_IF_ERROR(ClaimSlot(fd.get(), path, name, serial, devnum, true, &changed).status());
  if (changed && ::fdatasync(fd.get()) != 0) return Status::FromErrno("PAS197E online registry " + path);
  return Status::Ok();
}

Status MarkSystemOffline(const std::string& image_path, const std::string& name) {
  std::string path = RegistryPath(image_path);
  auto fd = OpenRegistry(path, false);
  if (!fd.ok()) return fd.status().IsNotFound() ? Status::Ok() : fd.status();
  ClaimLock lock(fd->get(), LockKind::kExclusive);
  PAS_RETURN_IF_ERROR(lock.status());
  for (int i = 0; i < kRegistrySlots; ++i) {
    Slot s{};
    PAS_RETURN_IF_ERROR(ReadAt(fd->get(), &s, sizeof s, kHeaderSize + i * kSlotSize, path));
    if (!s.used || Str(s.name, sizeof s.name) != name || !s.online) continue;
    s.online = 0;
    PAS_RETURN_IF_ERROR(WriteAt(fd->get(), &s, sizeof s, kHeaderSize + i * kSlotSize, path));
    if (::fdatasync(fd->get()) != 0) return Status::FromErrno("PAS197E online registry " + path);
  }
  return Status::Ok();
}

Status TransferOnline(const std::string& from_image, const std::string& to_image) {
  PAS_ASSIGN_OR_RETURN(std::vector<OnlineSystem> list, ListOnlineSystems(from_image));
  for (const auto& s : list) {
    if (!s.varied_online) continue;
    PAS_RETURN_IF_ERROR(MarkSystemOnline(to_image, s.name, s.serial, s.devnum));
  }
  for (const auto& s : list) {
    if (s.varied_online) PAS_RETURN_IF_ERROR(MarkSystemOffline(from_image, s.name));
  }
  return Status::Ok();
}

Result<RegistryEntry> RegistryEntry::Register(const std::string& image_path, const std::string& name,
                                              const std::string& serial, uint16_t devnum) {
  std::string path = RegistryPath(image_path);
  PAS_ASSIGN_OR_RETURN(Fd fd, OpenRegistry(path, true));
  ClaimLock lock(fd.get(), LockKind::kExclusive);
  PAS_RETURN_IF_ERROR(lock.status());
  PAS_RETURN_IF_ERROR(EnsureInitialized(fd.get(), path));
  PAS_ASSIGN_OR_RETURN(int mine, ClaimSlot(fd.get(), path, name, serial, devnum, false));
  PAS_RETURN_IF_ERROR(TryLockByte(fd.get(), SlotByte(mine), LockKind::kShared)
                          .WithContext("PAS197E online registry " + path + " slot " +
                                       std::to_string(mine)));
  RegistryEntry e;
  e.image_path_ = image_path;
  e.slot_ = mine;
  e.fd_ = std::move(fd);
  return e;
}

Result<bool> SystemRegistered(const std::string& image_path, const std::string& name) {
  auto list = ListOnlineSystems(image_path);
  if (!list.ok()) return list.status();
  for (const auto& s : *list)
    if (s.name == name && s.live) return true;
  return false;
}

}  // namespace pas::host
