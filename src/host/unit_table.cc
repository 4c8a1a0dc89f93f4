#include "host/unit_table.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "base/control_file.h"
#include "base/log.h"
#include "ckd/image.h"
#include "host/decision.h"
#include "host/online_registry.h"
#include "host/runtime.h"
#include "host/ucb.h"
#include "intercept/dirty_bitmap.h"
#include "intercept/futex.h"

namespace pas::host {

using intercept::DirtyTrackBitmap;

int LockRobust(pthread_mutex_t* m) {
  int rc = pthread_mutex_lock(m);
  if (rc == EOWNERDEAD) {
    pthread_mutex_consistent(m);
    rc = 0;
  }
  return rc;
}

int64_t MonotonicMicros() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

namespace {

auto Log() { return Logger("host"); }

std::string Str(const char* p, size_t max) { return std::string(p, strnlen(p, max)); }
void Put(char* dst, size_t max, const std::string& s) {
  std::memset(dst, 0, max);
  std::memcpy(dst, s.data(), std::min(s.size(), max - 1));
}

std::string Hex4(uint16_t v) {
  char b[8];
  std::snprintf(b, sizeof b, "%04X", v);
  return b;
}

class UcbLock {
 public:
  explicit UcbLock(UnitControlBlock* u) : m_(&u->mutex) { LockRobust(m_); }
  ~UcbLock() { pthread_mutex_unlock(m_); }

 private:
  pthread_mutex_t* m_;
};

// Removes the intercept and the swap context of a unit whose participant
// died (the caller holds the UCB mutex); I/O processes see the context
// sequence change and drop a pre-opened target that is no longer wanted.
void DropSwapContext(UnitControlBlock* u) {
  u->intercept.store(0, std::memory_order_seq_cst);
  Put(u->decision_path, kPathMax, "");
  Put(u->target_image, kPathMax, "");
  Put(u->job_id, sizeof u->job_id, "");
  u->context_seq.fetch_add(1);
}

size_t Align(size_t v, size_t a) { return (v + a - 1) / a * a; }

size_t TableSize(size_t units) {
  size_t ucbs = Align(sizeof(UnitTable), 4096);
  size_t bitmaps = Align(ucbs + units * sizeof(UnitControlBlock), 4096);
  return bitmaps + units * kBitmapBytes;
}

void InitMutex(pthread_mutex_t* m) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(m, &a);
  pthread_mutexattr_destroy(&a);
}

// Fills a freshly truncated (all-zero) mapping from the configuration.
void InitTable(UnitTable* t, const SystemConfig& config, size_t size) {
  t->version = kTableVersion;
  t->unit_count = static_cast<uint32_t>(config.units.size());
  t->size = size;
  Put(t->name, sizeof t->name, config.name);
  Put(t->serial, sizeof t->serial, config.cpu_serial);
  t->ucb_offset = Align(sizeof(UnitTable), 4096);
  size_t bitmaps = Align(t->ucb_offset + config.units.size() * sizeof(UnitControlBlock), 4096);
  for (uint32_t i = 0; i < t->unit_count; ++i) {
    const UnitConfig& uc = config.units[i];
    UnitControlBlock* u = t->ucb(i);
    u->devnum = uc.devnum;
    u->device_type = uc.device_type;
    u->index = i;
    Put(u->configured_image, kPathMax, uc.image_path);
    Put(u->image_path, kPathMax, uc.image_path);
    u->bitmap_offset = bitmaps + i * kBitmapBytes;
    u->online.store(uc.offline ? 0 : 1);
    u->configured_offline.store(uc.offline ? 1 : 0);
    auto img = ckd::CkdImage::Open(uc.image_path, false);
    u->tracks.store(img.ok() ? img->tracks() : 0);
    InitMutex(&u->mutex);
    for (auto& m : u->stripes) InitMutex(&m);
  }
}

// A configuration rewritten after a swap names the two units' images
// exchanged; a table whose configured images differ from the file's only
// by such exchanges (the same set of images among the differing units)
// takes the file's names (the process that rewrote the file may have died
// before it changed the table). True when it did.
bool AdoptExchangedImages(UnitTable* t, const SystemConfig& config) {
  if (t->version != kTableVersion || t->unit_count != config.units.size()) return false;
  std::vector<uint32_t> differ;
  std::vector<std::string> in_table, in_file;
  for (uint32_t i = 0; i < t->unit_count; ++i) {
    UnitControlBlock* u = t->ucb(i);
    const UnitConfig& uc = config.units[i];
    if (u->devnum != uc.devnum || u->device_type != uc.device_type) return false;
    UcbLock lock(u);
    std::string configured = Str(u->configured_image, kPathMax);
    if (configured == uc.image_path) continue;
    differ.push_back(i);
    in_table.push_back(configured);
    in_file.push_back(uc.image_path);
  }
  std::sort(in_table.begin(), in_table.end());
  std::sort(in_file.begin(), in_file.end());
  if (differ.empty() || in_table != in_file) return false;
  for (uint32_t i : differ) {
    UnitControlBlock* u = t->ucb(i);
    UcbLock lock(u);
    Put(u->configured_image, kPathMax, config.units[i].image_path);
  }
  return true;
}

// Empty when the existing table was made from the same unit list.
std::string Mismatch(UnitTable* t, const SystemConfig& config) {
  if (t->version != kTableVersion)
    return "version " + std::to_string(t->version) + ", expected " + std::to_string(kTableVersion);
  if (t->unit_count != config.units.size())
    return std::to_string(t->unit_count) + " units in the table, " +
           std::to_string(config.units.size()) + " in the configuration";
  for (uint32_t i = 0; i < t->unit_count; ++i) {
    UnitControlBlock* u = t->ucb(i);
    const UnitConfig& uc = config.units[i];
    std::string configured;
    {
      UcbLock lock(u);
      configured = Str(u->configured_image, kPathMax);
    }
    if (u->devnum != uc.devnum || u->device_type != uc.device_type || configured != uc.image_path)
      return "unit " + Hex4(uc.devnum) + " " + Hex4(uc.device_type) + " " + uc.image_path +
             " is in the table as " + Hex4(u->devnum) + " " + Hex4(u->device_type) + " " + configured;
  }
  return "";
}

}  // namespace

Result<std::unique_ptr<System>> System::Attach(const SystemConfig& config) {
  if (config.name.empty() || config.name.size() >= 64 || config.name.find('/') != std::string::npos)
    return Status::InvalidArgument("PAS193E bad system name '" + config.name + "'");
  for (const auto& uc : config.units)
    if (uc.image_path.size() >= kPathMax)
      return Status::InvalidArgument("PAS193E unit " + Hex4(uc.devnum) + ": image path too long");
  PAS_ASSIGN_OR_RETURN(std::string dir, EnsureRuntimeDir());
  std::unique_ptr<System> sys(new System);
  sys->name_ = config.name;
  sys->serial_ = config.cpu_serial;
  sys->table_path_ = dir + "/" + config.name + ".units";
  const std::string& path = sys->table_path_;
  sys->fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (sys->fd_ < 0) return Status::FromErrno("PAS190E unit table " + path);
  PAS_RETURN_IF_ERROR(CheckControlFile(sys->fd_, path).WithContext("PAS190E unit table " + path));
  sys->probe_fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (sys->probe_fd_ < 0) return Status::FromErrno("PAS190E unit table " + path);

  // Creation is serialized by flock on the table file; a creator writes the
  // whole table and publishes the magic last, so an attacher that sees the
  // magic sees a complete table.
  while (::flock(sys->fd_, LOCK_EX) != 0) {
    if (errno != EINTR) return Status::FromErrno("PAS190E unit table " + path + ": flock");
  }
  struct Unflock {
    int fd;
    ~Unflock() { ::flock(fd, LOCK_UN); }
  } unflock{sys->fd_};

  struct stat st {};
  if (::fstat(sys->fd_, &st) != 0) return Status::FromErrno("PAS190E unit table " + path);
  size_t want = TableSize(config.units.size());
  bool create = true;
  if (static_cast<size_t>(st.st_size) >= sizeof(UnitTable)) {
    void* p = ::mmap(nullptr, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, sys->fd_, 0);
    if (p == MAP_FAILED) return Status::FromErrno("PAS190E unit table " + path + ": mmap");
    auto* t = static_cast<UnitTable*>(p);
    if (t->magic.load(std::memory_order_acquire) == kTableMagic) {
      std::string why = Mismatch(t, config);
      if (!why.empty() && AdoptExchangedImages(t, config)) {
        Log()->info("{}: unit table takes the exchanged images of the rewritten configuration", config.name);
        why = Mismatch(t, config);
      }
      if (why.empty()) {
        create = false;
        sys->table_ = t;
        sys->map_size_ = st.st_size;
        sys->ApplyChangedOffline(config);
      } else {
        bool live = false;
        for (int i = 0; i < kMaxSlots && !live; ++i) live = ByteLocked(sys->probe_fd_, kLockBase + i);
        ::munmap(p, st.st_size);
        if (live)
          return Status::InvalidArgument(
              "PAS192E unit table " + path + " of system " + config.name +
              " was created from a different configuration (" + why +
              "); stop every process of the system to let it be rebuilt");
        Log()->info("{}: PAS194I rebuilding unit table ({})", config.name, why);
      }
    } else {
      ::munmap(p, st.st_size);
    }
  }
  if (create) {
    if (::ftruncate(sys->fd_, 0) != 0 || ::ftruncate(sys->fd_, want) != 0)
      return Status::FromErrno("PAS190E unit table " + path + ": ftruncate");
    void* p = ::mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_SHARED, sys->fd_, 0);
    if (p == MAP_FAILED) return Status::FromErrno("PAS190E unit table " + path + ": mmap");
    auto* t = static_cast<UnitTable*>(p);
    InitTable(t, config, want);
    t->magic.store(kTableMagic, std::memory_order_release);
    sys->table_ = t;
    sys->map_size_ = want;
  }
  int lock_fd = sys->fd_;
  // The attachment's slot lock lives on fd_ itself (claimed below).
  for (int i = 0; i < kMaxSlots; ++i) {
    if (TryLockByte(lock_fd, kLockBase + i, LockKind::kExclusive).ok()) {
      sys->slot_ = i;
      break;
    }
  }
  if (sys->slot_ < 0)
    return Status::Busy("PAS195E unit table " + path + ": all " + std::to_string(kMaxSlots) +
                        " process slots are in use");
  for (uint32_t u = 0; u < sys->table_->unit_count; ++u) sys->ReapSlot(sys->table_->ucb(u), sys->slot_);
  sys->table_->slots[sys->slot_].pid.store(::getpid());
  sys->table_->slots[sys->slot_].start_time.store(::time(nullptr));
  sys->RecoverOrphans(sys->slot_);
  sys->FollowMovedVolumes();
  sys->PublishOnlineState();
  return sys;
}

// Called with the table flock held. An OFFLINE statement added to or
// removed from the configuration since the table was built takes effect:
// the unit is varied as the configuration now says (PAS284I). A unit the
// operator varied by hand keeps that state while the configuration's
// statement is unchanged.
void System::ApplyChangedOffline(const SystemConfig& config) {
  for (uint32_t i = 0; i < table_->unit_count; ++i) {
    UnitControlBlock* u = table_->ucb(i);
    const bool offline = config.units[i].offline;
    if ((u->configured_offline.load() != 0) == offline) continue;
    u->configured_offline.store(offline ? 1 : 0);
    if ((u->online.load() == 0) == offline) continue;
    if (!offline || (u->intercept.load() == 0 && u->quiesce.load() == 0)) {
      u->online.store(offline ? 0 : 1, std::memory_order_seq_cst);
      Log()->warn("{}: PAS284I unit {} varied {} by the changed OFFLINE statement of {}", name_,
                  Hex4(u->devnum), offline ? "offline" : "online", config.path);
    }
  }
}

// Every unit's online state is a fact on its image's registry, kept there
// whether or not a process of this system runs (doc/host-io.md, "The online
// registry"): online units are varied online on their current image,
// offline ones offline. A registry that cannot be written is logged.
void System::PublishOnlineState() {
  for (uint32_t i = 0; i < table_->unit_count; ++i) {
    UnitControlBlock* u = table_->ucb(i);
    std::string image;
    {
      UcbLock lock(u);
      image = Str(u->image_path, kPathMax);
    }
    pas::Status s = u->online.load() != 0 ? MarkSystemOnline(image, name_, serial_, u->devnum)
                                          : MarkSystemOffline(image, name_);
    if (!s.ok()) Log()->warn("{}: unit {}: online registry of {}: {}", name_, Hex4(u->devnum), image, s.ToString());
  }
}

System::~System() {
  if (table_ != nullptr) ::munmap(table_, map_size_);
  if (probe_fd_ >= 0) ::close(probe_fd_);
  if (fd_ >= 0) ::close(fd_);  // releases the slot lock
}

std::vector<uint16_t> System::Devnums() const {
  std::vector<uint16_t> out;
  for (uint32_t i = 0; i < table_->unit_count; ++i) out.push_back(table_->ucb(i)->devnum);
  return out;
}

UnitControlBlock* System::FindUcb(uint16_t devnum) const {
  for (uint32_t i = 0; i < table_->unit_count; ++i)
    if (table_->ucb(i)->devnum == devnum) return table_->ucb(i);
  return nullptr;
}

bool System::SlotAlive(int slot) const {
  if (slot < 0 || slot >= kMaxSlots) return false;
  return ByteLocked(probe_fd_, kLockBase + slot);
}

Result<int> System::ClaimSlot(int* lock_fd) {
  int fd = ::open(table_path_.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Status::FromErrno("PAS190E unit table " + table_path_);
  for (int i = 0; i < kMaxSlots; ++i) {
    if (TryLockByte(fd, kLockBase + i, LockKind::kExclusive).ok()) {
      for (uint32_t u = 0; u < table_->unit_count; ++u) ReapSlot(table_->ucb(u), i);
      table_->slots[i].pid.store(::getpid());
      table_->slots[i].start_time.store(::time(nullptr));
      *lock_fd = fd;
      RecoverOrphans(i);
      return i;
    }
  }
  ::close(fd);
  return Status::Busy("PAS195E unit table " + table_path_ + ": all " + std::to_string(kMaxSlots) +
                      " slots are in use");
}

void System::ReleaseSlot(int slot, int lock_fd) {
  if (slot >= 0 && slot < kMaxSlots) table_->slots[slot].pid.store(0);
  if (lock_fd >= 0) ::close(lock_fd);
}

// The slot's owner is dead (or the caller owns the slot freshly): its
// recorded write may or may not have reached the image, so its track is
// marked dirty; then the word is cleared with a CAS so a concurrent reaper
// counts it once.
bool System::ReapSlot(UnitControlBlock* ucb, int slot) {
  uint64_t w = ucb->inflight[slot].load(std::memory_order_seq_cst);
  uint32_t state = static_cast<uint32_t>(w);
  if (state == 0) return false;
  if (state & kInflightWrite) {
    uint32_t track = (state & ~kInflightWrite) - 1;
    DirtyTrackBitmap(table_->bitmap(ucb), kBitmapTracks).Mark(track);
  }
  uint64_t cleared = (w & 0xffff'ffff'0000'0000ull) + (uint64_t{1} << 32);
  return ucb->inflight[slot].compare_exchange_strong(w, cleared) && (state & kInflightWrite);
}

uint32_t System::ReapDeadInflight(UnitControlBlock* ucb) {
  uint32_t n = 0;
  for (int i = 0; i < kMaxSlots; ++i) {
    if (static_cast<uint32_t>(ucb->inflight[i].load()) == 0) continue;
    if (SlotAlive(i)) continue;
    if (ReapSlot(ucb, i)) ++n;
  }
  return n;
}

Result<UnitStatus> System::Status(uint16_t devnum) const {
  UnitControlBlock* u = FindUcb(devnum);
  if (u == nullptr) return pas::Status::NotFound("PAS172E unit " + Hex4(devnum) + " is not defined in system " + name_);
  UnitStatus s;
  s.devnum = u->devnum;
  s.device_type = u->device_type;
  {
    UcbLock lock(u);
    s.image_path = Str(u->image_path, kPathMax);
    s.swap.decision_path = Str(u->decision_path, kPathMax);
    s.swap.target_image = Str(u->target_image, kPathMax);
    s.swap.job_id = Str(u->job_id, sizeof u->job_id);
    s.generation = u->generation.load();
  }
  s.tracks = u->tracks.load();
  s.online = u->online.load() != 0;
  s.intercept = u->intercept.load() != 0;
  s.quiesced = u->quiesce.load() != 0;
  s.dirty_tracks = DirtyTrackBitmap(table_->bitmap(u), kBitmapTracks).Count();
  s.longest_pause_us = u->longest_pause_us.load();
  return s;
}

pas::Status System::Vary(uint16_t devnum, bool online) {
  UnitControlBlock* u = FindUcb(devnum);
  if (u == nullptr) return pas::Status::NotFound("PAS172E unit " + Hex4(devnum) + " is not defined in system " + name_);
  u->online.store(online ? 1 : 0, std::memory_order_seq_cst);
  Log()->info("{}: unit {} varied {}", name_, Hex4(devnum), online ? "online" : "offline");
  std::string image;
  {
    UcbLock lock(u);
    image = Str(u->image_path, kPathMax);
  }
  // The fact every other system sees (doc/host-io.md, "The online registry").
  return online ? MarkSystemOnline(image, name_, serial_, devnum) : MarkSystemOffline(image, name_);
}

pas::Status System::SetSwapContext(uint16_t devnum, const SwapContext& c) {
  UnitControlBlock* u = FindUcb(devnum);
  if (u == nullptr) return pas::Status::NotFound("PAS172E unit " + Hex4(devnum) + " is not defined in system " + name_);
  if (c.decision_path.size() >= kPathMax || c.target_image.size() >= kPathMax || c.job_id.size() >= 64)
    return pas::Status::InvalidArgument("unit " + Hex4(devnum) + ": swap context path too long");
  UcbLock lock(u);
  Put(u->decision_path, kPathMax, c.decision_path);
  Put(u->target_image, kPathMax, c.target_image);
  Put(u->job_id, sizeof u->job_id, c.job_id);
  u->context_seq.fetch_add(1);
  return pas::Status::Ok();
}

pas::Status System::ClearSwapContext(uint16_t devnum) { return SetSwapContext(devnum, SwapContext{}); }

// Grace period. The writer publishes its in-flight word (seq_cst store) and
// then loads the intercept flag (seq_cst); we store the flag and then load
// every in-flight word. In the single total order of seq_cst operations
// either the writer's flag load follows our store (it marks), or our load
// of its word follows its publish (we see the I/O and wait until the word
// changes: every store of the word carries a new sequence number, so a
// change means that I/O has ended and its data is in the image).
pas::Status System::InstallIntercept(uint16_t devnum, int64_t timeout_us) {
  UnitControlBlock* u = FindUcb(devnum);
  if (u == nullptr) return pas::Status::NotFound("PAS172E unit " + Hex4(devnum) + " is not defined in system " + name_);
  {
    UcbLock lock(u);
    if (u->intercept.load() == 0) DirtyTrackBitmap(table_->bitmap(u), kBitmapTracks).Clear();
    // The flag names its installer (slot + 1), so an intercept whose
    // installer died unquiesced can be found and removed (RecoverOrphans).
    u->intercept.store(static_cast<uint32_t>(slot_) + 1, std::memory_order_seq_cst);
  }
  uint64_t snap[kMaxSlots];
  for (int i = 0; i < kMaxSlots; ++i) snap[i] = u->inflight[i].load(std::memory_order_seq_cst);
  int64_t start = MonotonicMicros();
  for (int i = 0; i < kMaxSlots; ++i) {
    while (static_cast<uint32_t>(snap[i]) != 0 &&
           u->inflight[i].load(std::memory_order_seq_cst) == snap[i]) {
      if (!SlotAlive(i)) {
        ReapSlot(u, i);
        break;
      }
      if (MonotonicMicros() - start > timeout_us)
        return pas::Status::TimedOut("PAS198E unit " + Hex4(devnum) +
                                     ": intercept installed but an I/O of slot " +
                                     std::to_string(i) + " did not finish in time");
      ::usleep(50);
    }
  }
  Log()->info("{}: unit {} intercept installed", name_, Hex4(devnum));
  return pas::Status::Ok();
}

pas::Status System::RemoveIntercept(uint16_t devnum) {
  UnitControlBlock* u = FindUcb(devnum);
  if (u == nullptr) return pas::Status::NotFound("PAS172E unit " + Hex4(devnum) + " is not defined in system " + name_);
  u->intercept.store(0, std::memory_order_seq_cst);
  Log()->info("{}: unit {} intercept removed", name_, Hex4(devnum));
  return pas::Status::Ok();
}

Result<ckd::TrackSet> System::HarvestDirty(uint16_t devnum) {
  UnitControlBlock* u = FindUcb(devnum);
  if (u == nullptr) return pas::Status::NotFound("PAS172E unit " + Hex4(devnum) + " is not defined in system " + name_);
  ReapDeadInflight(u);
  uint32_t tracks = u->tracks.load();
  std::vector<uint64_t> words = DirtyTrackBitmap(table_->bitmap(u), kBitmapTracks).Harvest();
  ckd::TrackSet set(tracks);
  for (uint32_t t : intercept::TracksInWords(words))
    if (t < tracks) set.Set(t);
  return set;
}

Result<QuiesceInfo> System::Quiesce(uint16_t devnum, int64_t timeout_us) {
  UnitControlBlock* u = FindUcb(devnum);
  if (u == nullptr) return pas::Status::NotFound("PAS172E unit " + Hex4(devnum) + " is not defined in system " + name_);
  const uint32_t mine = static_cast<uint32_t>(slot_) + 1;
  uint32_t cur = 0;
  while (!u->quiesce.compare_exchange_strong(cur, mine, std::memory_order_seq_cst)) {
    if (cur == mine) break;
    if (SlotAlive(static_cast<int>(cur) - 1))
      return pas::Status::Busy("PAS198E unit " + Hex4(devnum) + " is already quiesced by slot " +
                               std::to_string(cur - 1));
    // The holder died: take the quiesce over (the unit stays held).
  }
  int64_t start = MonotonicMicros();
  if (cur != mine) u->quiesce_start_us.store(start);
  QuiesceInfo info;
  for (;;) {
    uint32_t seen = u->drain_seq.load(std::memory_order_seq_cst);
    bool drained = true;
    for (int i = 0; i < kMaxSlots; ++i) {
      if (static_cast<uint32_t>(u->inflight[i].load(std::memory_order_seq_cst)) == 0) continue;
      if (SlotAlive(i)) {
        drained = false;
      } else if (ReapSlot(u, i)) {
        ++info.dead_writes_marked;
      }
    }
    int64_t now = MonotonicMicros();
    if (drained) {
      info.drain_us = now - start;
      Log()->info("{}: unit {} quiesced in {} us", name_, Hex4(devnum), info.drain_us);
      return info;
    }
    if (now - start > timeout_us) {
      Resume(devnum);
      return pas::Status::TimedOut("PAS198E unit " + Hex4(devnum) + ": I/O did not drain within " +
                                   std::to_string(timeout_us / 1000) + " ms; resumed");
    }
    intercept::FutexWait(&u->drain_seq, seen, 1000);
  }
}

pas::Status System::SwitchImage(uint16_t devnum, const std::string& new_image) {
  UnitControlBlock* u = FindUcb(devnum);
  if (u == nullptr) return pas::Status::NotFound("PAS172E unit " + Hex4(devnum) + " is not defined in system " + name_);
  if (u->quiesce.load() != static_cast<uint32_t>(slot_) + 1)
    return pas::Status::InvalidArgument("unit " + Hex4(devnum) + ": SwitchImage needs the quiesce held by this process");
  if (new_image.size() >= kPathMax) return pas::Status::InvalidArgument("image path too long");
  auto img = ckd::CkdImage::Open(new_image, true);
  if (!img.ok()) return img.status().WithContext("unit " + Hex4(devnum));
  if (img->geometry().device_type != u->device_type)
    return pas::Status::InvalidArgument("unit " + Hex4(devnum) + ": image " + new_image + " is a " +
                                        Hex4(img->geometry().device_type) + ", the unit a " +
                                        Hex4(u->device_type));
  UcbLock lock(u);
  Put(u->image_path, kPathMax, new_image);
  u->tracks.store(img->tracks());
  u->generation.fetch_add(1, std::memory_order_seq_cst);
  Log()->info("{}: unit {} now on {} (generation {})", name_, Hex4(devnum), new_image, u->generation.load());
  return pas::Status::Ok();
}

void System::EndQuiesce(UnitControlBlock* u) {
  int64_t pause = MonotonicMicros() - u->quiesce_start_us.load();
  int64_t prev = u->longest_pause_us.load();
  while (pause > prev && !u->longest_pause_us.compare_exchange_weak(prev, pause)) {
  }
  u->quiesce.store(0, std::memory_order_seq_cst);
  intercept::FutexWake(&u->quiesce);
}

pas::Status System::Resume(uint16_t devnum) {
  UnitControlBlock* u = FindUcb(devnum);
  if (u == nullptr) return pas::Status::NotFound("PAS172E unit " + Hex4(devnum) + " is not defined in system " + name_);
  if (u->quiesce.load() == 0) return pas::Status::InvalidArgument("unit " + Hex4(devnum) + " is not quiesced");
  EndQuiesce(u);
  Log()->info("{}: unit {} resumed", name_, Hex4(devnum));
  return pas::Status::Ok();
}

// Run by an I/O waiter that found the quiesce holder dead. Under the UCB
// mutex (so only one waiter acts) it re-checks, then follows the swap's
// decision record, creating SOURCE when none exists (a dead holder can
// never commit afterwards: the first decision wins), and releases the unit.
pas::Status System::RecoverDeadHolder(UnitControlBlock* u, int dead_slot) {
  UcbLock lock(u);
  uint32_t q = u->quiesce.load();
  if (q == 0 || (static_cast<int>(q) - 1 != dead_slot && SlotAlive(static_cast<int>(q) - 1))) return pas::Status::Ok();
  std::string decision_path = Str(u->decision_path, kPathMax);
  std::string target = Str(u->target_image, kPathMax);
  std::string unit = Hex4(u->devnum);
  if (!decision_path.empty()) {
    auto d = ReadDecision(decision_path);
    if (d.ok() && *d == Decision::kNone) d = Decide(decision_path, Decision::kSource);
    if (!d.ok()) return d.status().WithContext("unit " + unit + ": recovery after the quiesce holder died");
    if (*d == Decision::kSwap && !target.empty() && Str(u->image_path, kPathMax) != target) {
      auto img = ckd::CkdImage::Open(target, true);
      if (!img.ok()) return img.status().WithContext("unit " + unit + ": recovery to the target");
      Put(u->image_path, kPathMax, target);
      u->tracks.store(img->tracks());
      u->generation.fetch_add(1, std::memory_order_seq_cst);
    }
    DropSwapContext(u);
    Log()->warn("{}: PAS199W unit {} quiesce holder died; followed decision {}", name_, unit,
                DecisionName(*d));
  } else {
    Log()->warn("{}: PAS199W unit {} quiesce holder died; resumed", name_, unit);
  }
  EndQuiesce(u);
  return pas::Status::Ok();
}

// An intercept is orphaned when its installer (the participant process of
// this system: a monitor, or the swap job for its own system) is dead and
// the unit is not quiesced. Such a participant never acknowledged a
// quiesce, so the job cannot commit the swap: SOURCE is recorded (if no
// decision exists) and the unit keeps using the source without the flag.
// Only intercepts of a swap (with a swap context) are concerned.
// `fresh_slot` was just claimed by the caller, so its previous owner is
// dead although the slot's lock is held. A unit quiesced by a dead holder
// gets the dead-holder recovery. See doc/swap-protocol.md §3.
void System::RecoverOrphans(int fresh_slot) {
  for (uint32_t i = 0; i < table_->unit_count; ++i) {
    UnitControlBlock* u = table_->ucb(i);
    if (fresh_slot >= 0) {
      // The slot's previous owner is dead: it is no longer the unit's reopen
      // user, and a reopen it held or was asked for can never complete
      // (host/reopen.h).
      uint32_t user = static_cast<uint32_t>(fresh_slot) + 1;
      if (u->reopen_user.compare_exchange_strong(user, 0)) {
        u->reopen_state.store(kReopenIdle, std::memory_order_seq_cst);
        intercept::FutexWake(&u->reopen_state);
      }
    }
    uint32_t q = u->quiesce.load();
    if (q != 0) {
      if (static_cast<int>(q) - 1 == fresh_slot || !SlotAlive(static_cast<int>(q) - 1))
        (void)RecoverDeadHolder(u, fresh_slot);
      continue;
    }
    uint32_t v = u->intercept.load();
    if (v == 0) continue;
    const int installer = static_cast<int>(v) - 1;
    if (installer != fresh_slot && SlotAlive(installer)) continue;
    UcbLock lock(u);
    if (u->intercept.load() != v || u->quiesce.load() != 0) continue;
    std::string decision_path = Str(u->decision_path, kPathMax);
    std::string unit = Hex4(u->devnum);
    // An intercept without a swap context was installed by an operator
    // (`pas intercept install`) and stays until `pas intercept remove`.
    if (decision_path.empty()) continue;
    auto r = ReadDecision(decision_path);
    if (r.ok() && *r == Decision::kNone) r = Decide(decision_path, Decision::kSource);
    if (!r.ok()) {
      Log()->error("{}: unit {}: orphaned intercept: {}", name_, unit, r.status().ToString());
      continue;
    }
    const Decision d = *r;
    if (d == Decision::kSwap) {
      // Cannot be reached through the protocol (a SWAP needs this
      // participant's quiesced handover and the switch happens under the
      // quiesce); left for the participant's follow-up.
      Log()->warn("{}: unit {}: orphaned intercept of a committed swap left in place", name_, unit);
      continue;
    }
    DropSwapContext(u);
    Log()->warn("{}: PAS199W unit {} intercept of a dead process removed; followed decision {}", name_, unit,
                DecisionName(d));
  }
}

pas::Status System::ExchangeImagesAfterSwap(uint16_t source, uint16_t target, const std::string& old_source_image,
                                            bool exchange_configured) {
  UnitControlBlock* s = FindUcb(source);
  UnitControlBlock* t = FindUcb(target);
  if (s == nullptr || t == nullptr)
    return pas::Status::NotFound("PAS172E unit " + Hex4(s == nullptr ? source : target) +
                                 " is not defined in system " + name_);
  if (s == t || old_source_image.size() >= kPathMax) return pas::Status::InvalidArgument("bad exchange");
  auto img = ckd::CkdImage::Open(old_source_image, false);
  UnitControlBlock* first = s->index < t->index ? s : t;
  UnitControlBlock* second = first == s ? t : s;
  UcbLock l1(first);
  UcbLock l2(second);
  if (exchange_configured) {
    std::string configured_s = Str(s->configured_image, kPathMax);
    Put(s->configured_image, kPathMax, Str(t->configured_image, kPathMax));
    Put(t->configured_image, kPathMax, configured_s);
  }
  if (t->online.load() == 0 && Str(t->image_path, kPathMax) != old_source_image) {
    Put(t->image_path, kPathMax, old_source_image);
    t->tracks.store(img.ok() ? img->tracks() : 0);
    t->generation.fetch_add(1, std::memory_order_seq_cst);
  }
  Log()->info("{}: units {} and {} exchanged images; {} now names {}", name_, Hex4(source), Hex4(target),
              Hex4(target), Str(t->image_path, kPathMax));
  return pas::Status::Ok();
}

bool System::ImageInUseByOtherUnit(const std::string& image, uint16_t except) const {
  for (uint32_t i = 0; i < table_->unit_count; ++i) {
    UnitControlBlock* u = table_->ucb(i);
    if (u->devnum == except || u->online.load() == 0) continue;
    UcbLock lock(u);
    if (Str(u->image_path, kPathMax) == image) return true;
  }
  return false;
}

void System::FollowMovedVolumes() {
  for (uint32_t i = 0; i < table_->unit_count; ++i) {
    UnitControlBlock* u = table_->ucb(i);
    const uint16_t devnum = u->devnum;
    // An offline unit does not use its volume (a swap's target unit stays
    // on its image); it follows when varied online and opened.
    if (u->online.load() == 0) continue;
    // A chain of swaps (A moved to B, B moved to C) is followed to its end;
    // the bound guards against a marker loop.
    auto current = [u] {
      UcbLock lock(u);
      return Str(u->image_path, kPathMax);
    };
    std::vector<std::string> seen;
    for (int hop = 0; hop < kMaxFollows; ++hop) {
      const std::string path = current();
      auto m = ReadMarker(path);
      if (!m.ok() || !m->moved || m->target_image.empty()) break;
      if (ImageInUseByOtherUnit(m->target_image, devnum)) break;
      seen.push_back(path);
      if (std::find(seen.begin(), seen.end(), m->target_image) != seen.end()) {
        Log()->error("{}: unit {}: the moved markers of {} and {} form a loop; the unit is left on {}", name_,
                     Hex4(devnum), path, m->target_image, path);
        break;
      }
      auto registered = SystemRegistered(path, name_);
      if (!registered.ok() || *registered) break;
      if (!Quiesce(devnum, 1'000'000).ok()) break;  // a participant of this system holds it: it follows itself
      // An open of this system may have followed the marker meanwhile.
      const bool moved = current() == path;
      pas::Status s = moved ? SwitchImage(devnum, m->target_image) : pas::Status::Ok();
      (void)Resume(devnum);
      if (!s.ok()) {
        Log()->error("{}: unit {}: following the swap of {} to {}: {}", name_, Hex4(devnum), path,
                     m->target_image, s.ToString());
        break;
      }
      if (moved) {
        Log()->info("{}: PAS248I unit {} follows its volume from {} to {}", name_, Hex4(devnum), path,
                    m->target_image);
        (void)MarkSystemOffline(path, name_);  // PublishOnlineState marks the target
      }
    }
  }
}

}  // namespace pas::host
