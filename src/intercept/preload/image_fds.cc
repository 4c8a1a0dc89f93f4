// The preloaded intercept's descriptor table and I/O path. Protocol and
// the argument why no write is lost: doc/host-io.md, "The preload
// intercept".
#include "intercept/preload/image_fds.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "ckd/cckd.h"
#include "ckd/image.h"
#include "host/config.h"
#include "host/io_path.h"
#include "host/online_registry.h"
#include "host/reopen.h"
#include "host/ucb.h"
#include "host/unit_table.h"

namespace pas::preload {
namespace {

// Set while this thread runs pas code; the wrappers then pass through.
thread_local int t_inside __attribute__((tls_model("initial-exec"))) = 0;

class InsideGuard {
 public:
  InsideGuard() : was_(t_inside) { t_inside = 1; }
  ~InsideGuard() { t_inside = was_; }

 private:
  int was_;
};

// Messages to the program's stderr (write(2) on fd 2: never an image).
void Say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void Say(const char* fmt, ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  size_t len = std::min(static_cast<size_t>(n), sizeof buf - 2);
  buf[len++] = '\n';
  (void)!Real().write(2, buf, len);
}

std::string Hex4(uint16_t v) { return host::FormatDevnum(v); }

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const FileId& o) const { return dev == o.dev && ino == o.ino; }
};

FileId IdOfPath(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {st.st_dev, st.st_ino};
}

struct UnitRt {
  uint16_t devnum = 0;
  host::UnitControlBlock* ucb = nullptr;
  std::string configured;  // immutable
  // Registration, the current image and the switch of the descriptors.
  std::mutex mu;
  // The generation the program's descriptors are on (stored, release,
  // after they are switched; see SwitchUnit).
  std::atomic<uint32_t> generation{0};
  std::string image;                               // guarded by mu
  std::optional<ckd::CkdImage> current;            // guarded by mu (writes); read by routed I/O
  std::vector<FileId> current_ids;                 // guarded by mu
  std::optional<host::RegistryEntry> registration; // guarded by mu
  std::vector<Desc*> descs;                        // guarded by g_fd_mu
  // This process is the unit's reopen user (host/reopen.h): its program can
  // be made to reopen the unit (Hercules: devinit). Guarded by mu; the
  // atomic mirror is read by the reopen thread.
  bool reopen_user = false;
  std::atomic<bool> reopen_user_flag{false};
  uint32_t reopen_done_seq = 0;  // the reopen thread's last request handled
  std::atomic<uint32_t> takeovers{0};  // descriptors taken over (TakeOver)
  // For a compressed current image: the map from the program's writes to
  // the tracks they change (doc/cckd-live.md). Serializes this process's
  // writes to the unit's image.
  std::mutex map_mu;
  std::optional<ckd::CckdWriteMap> map;  // guarded by map_mu
};

}  // namespace

struct Desc {
  UnitRt* unit = nullptr;
  int access = O_RDONLY;   // O_ACCMODE bits of the program's open
  int status_flags = 0;    // O_APPEND, O_DIRECT, ... (for the switch's reopen)
  uint32_t slot_size = 0;
  // The program's view of its file: the volume's tracks [view_first,
  // view_first + view_tracks) at 512 + k * slot_size.
  uint32_t view_first = 0;
  uint32_t view_tracks = 0;
  // True when the program's descriptor is on the current image's file at
  // the same offsets (the usual case); else track I/O is routed to the
  // current image's file holding the track. Written under the unit's mu
  // before its generation is published.
  std::atomic<bool> identity{true};
  // On a compressed image: byte offsets are not tracks; writes are mapped
  // through the unit's CckdWriteMap and never cut at track boundaries.
  bool compressed = false;
  std::mutex pos_mu;      // the description's file position, like the kernel's f_pos lock
  int64_t position = 0;   // guarded by pos_mu
  std::vector<int> fds;   // guarded by g_fd_mu
};

namespace {

// ---- Process state ------------------------------------------------------

enum class State { kUninit, kDisabled, kReady, kBroken };

struct Process {
  std::mutex init_mu;
  std::atomic<State> state{State::kUninit};
  std::string why_broken;
  host::SystemConfig config;
  std::unique_ptr<host::System> system;
  std::vector<std::unique_ptr<UnitRt>> units;
  // Hercules' console entry (a function pointer variable its executable
  // exports), or null: the program cannot be made to reopen a unit.
  void* (**panel_command)(void*) = nullptr;
  std::atomic<bool> reopen_thread{false};
  // Image files known by (dev, ino): rebuilt when a unit's generation changed.
  struct Match {
    FileId id;
    size_t unit;
    bool current;
    uint32_t first, tracks, slot_size;
    bool compressed;  // a CCKD image: byte offsets are not tracks (doc/cckd-live.md)
  };
  std::mutex index_mu;
  std::vector<Match> index;               // guarded by index_mu
  std::vector<uint32_t> index_generation; // guarded by index_mu
  bool index_built = false;               // guarded by index_mu
};

Process& P() {
  static Process* p = new Process;  // never destroyed: wrappers run until exit
  return *p;
}

// Descriptor table: two levels of atomic pointers, written under g_fd_mu.
constexpr int kFdChunkBits = 10;
constexpr int kFdChunks = 1024;  // descriptors below 2^20
std::atomic<std::atomic<Desc*>*> g_fd_table[kFdChunks];
std::mutex g_fd_mu;

// The reopen this thread is making the program perform (the reopen thread
// while it runs Hercules' devinit): the unit, the request, and whether its
// open has reached AfterOpen yet.
struct ReopenInProgress {
  UnitRt* unit = nullptr;
  uint32_t seq = 0;
  FileId image;
  bool reached = false;
};
thread_local ReopenInProgress t_reopen;
UnitRt* ReopeningUnit() { return t_reopen.unit; }

std::atomic<Desc*>* FdCell(int fd, bool create) {
  if (fd < 0 || fd >= (kFdChunks << kFdChunkBits)) return nullptr;
  auto& top = g_fd_table[fd >> kFdChunkBits];
  std::atomic<Desc*>* chunk = top.load(std::memory_order_acquire);
  if (chunk == nullptr) {
    if (!create) return nullptr;
    chunk = new std::atomic<Desc*>[1 << kFdChunkBits]();
    top.store(chunk, std::memory_order_release);
  }
  return &chunk[fd & ((1 << kFdChunkBits) - 1)];
}

// Every Desc ever made (never freed, so a racing lookup stays safe; closed
// ones are reused).
std::vector<Desc*>& AllDescs() {
  static auto* v = new std::vector<Desc*>;
  return *v;
}
std::vector<Desc*>& FreeDescs() {
  static auto* v = new std::vector<Desc*>;
  return *v;
}

Desc* NewDesc() {  // under g_fd_mu
  if (!FreeDescs().empty()) {
    Desc* d = FreeDescs().back();
    FreeDescs().pop_back();
    return d;
  }
  Desc* d = new Desc;
  AllDescs().push_back(d);
  return d;
}

// Removes `fd` from the table (under g_fd_mu). True when its description
// has no descriptor left; *unit_empty when its unit has none either.
void UntableLocked(int fd, bool* unit_empty, UnitRt** unit) {
  std::atomic<Desc*>* cell = FdCell(fd, false);
  if (cell == nullptr) return;
  Desc* d = cell->load(std::memory_order_relaxed);
  if (d == nullptr) return;
  cell->store(nullptr, std::memory_order_release);
  auto& fds = d->fds;
  fds.erase(std::remove(fds.begin(), fds.end(), fd), fds.end());
  if (!fds.empty()) return;
  UnitRt* u = d->unit;
  u->descs.erase(std::remove(u->descs.begin(), u->descs.end(), d), u->descs.end());
  FreeDescs().push_back(d);
  if (u->descs.empty()) {
    *unit_empty = true;
    *unit = u;
  }
}

// Drops the unit's registration and image when it has no descriptor.
void ReleaseUnitIfUnused(UnitRt* u) {
  InsideGuard inside;
  std::lock_guard<std::mutex> lock(u->mu);
  {
    std::lock_guard<std::mutex> fl(g_fd_mu);
    if (!u->descs.empty()) return;
  }
  // The reopen thread's devinit closed the unit's last descriptor: the
  // registration and the reopen claim stay until its held open proceeds.
  if (ReopeningUnit() == u) return;
  u->registration.reset();
  u->current.reset();
  u->current_ids.clear();
  u->image.clear();
  if (u->reopen_user) {
    host::DropReopenUser(*P().system, u->devnum);
    u->reopen_user = false;
    u->reopen_user_flag.store(false);
  }
  std::lock_guard<std::mutex> ml(u->map_mu);
  u->map.reset();
}

// ---- Per-thread I/O slots ---------------------------------------------

struct ThreadSlot {
  host::InflightSlot io;
  int lock_fd = -1;
};

thread_local ThreadSlot* t_slot __attribute__((tls_model("initial-exec"))) = nullptr;
pthread_key_t g_slot_key;
std::mutex g_slots_mu;  // guards g_slots
std::vector<ThreadSlot*>* g_slots = new std::vector<ThreadSlot*>;
// Used by threads that find every slot taken, one I/O at a time.
std::mutex g_fallback_mu;
ThreadSlot* g_fallback = nullptr;  // guarded by g_fallback_mu

void ReleaseThreadSlot(void* p) {
  auto* s = static_cast<ThreadSlot*>(p);
  if (s == nullptr) return;
  InsideGuard inside;
  {
    std::lock_guard<std::mutex> lock(g_slots_mu);
    g_slots->erase(std::remove(g_slots->begin(), g_slots->end(), s), g_slots->end());
  }
  if (P().system) P().system->ReleaseSlot(s->io.slot, s->lock_fd);
  if (t_slot == s) t_slot = nullptr;
  delete s;
}

ThreadSlot* ClaimSlot() {
  InsideGuard inside;
  int fd = -1;
  auto r = P().system->ClaimSlot(&fd);
  if (!r.ok()) return nullptr;
  auto* s = new ThreadSlot;
  s->io.slot = *r;
  s->lock_fd = fd;
  std::lock_guard<std::mutex> lock(g_slots_mu);
  g_slots->push_back(s);
  return s;
}

// The in-flight slot of this thread for one I/O call.
class SlotHold {
 public:
  SlotHold() {
    if (t_slot == nullptr) {
      t_slot = ClaimSlot();
      if (t_slot != nullptr) pthread_setspecific(g_slot_key, t_slot);
    }
    if (t_slot != nullptr) {
      slot_ = t_slot;
      return;
    }
    fallback_ = std::unique_lock<std::mutex>(g_fallback_mu);
    if (g_fallback == nullptr) g_fallback = ClaimSlot();
    slot_ = g_fallback;
  }
  host::InflightSlot* io() { return slot_ == nullptr ? nullptr : &slot_->io; }

 private:
  ThreadSlot* slot_ = nullptr;
  std::unique_lock<std::mutex> fallback_;
};

// ---- Initialization -----------------------------------------------------

void InitLocked() {
  Process& p = P();
  const char* cfg = std::getenv("PAS_EXEC_CONFIG");
  if (cfg == nullptr || *cfg == '\0') {
    p.state = State::kDisabled;
    return;
  }
  auto config = host::LoadSystemConfig(cfg);
  if (!config.ok()) {
    Say("PAS212E PAS INTERCEPT OF SYSTEM (UNKNOWN): INACTIVE IN PROCESS %d: %s", static_cast<int>(::getpid()),
        config.status().message().c_str());
    p.state = State::kDisabled;
    return;
  }
  p.config = std::move(config).value();
  p.panel_command = reinterpret_cast<void* (**)(void*)>(::dlsym(RTLD_DEFAULT, "panel_command"));
  pthread_key_create(&g_slot_key, &ReleaseThreadSlot);
  auto sys = host::System::Attach(p.config);
  if (!sys.ok()) {
    p.why_broken = sys.status().message();
    Say("PAS212E PAS INTERCEPT OF SYSTEM %s: CANNOT ATTACH ITS UNIT TABLE: %s; OPENS OF ITS IMAGES FAIL",
        p.config.name.c_str(), p.why_broken.c_str());
    p.state = State::kBroken;
    return;
  }
  p.system = std::move(sys).value();
  for (const auto& uc : p.config.units) {
    auto u = std::make_unique<UnitRt>();
    u->devnum = uc.devnum;
    u->ucb = p.system->FindUcb(uc.devnum);
    u->configured = uc.image_path;
    p.units.push_back(std::move(u));
  }
  p.state = State::kReady;
}

State EnsureInit() {
  Process& p = P();
  State s = p.state.load(std::memory_order_acquire);
  if (s != State::kUninit) return s;
  InsideGuard inside;
  std::lock_guard<std::mutex> lock(p.init_mu);
  if (p.state.load() == State::kUninit) InitLocked();
  return p.state.load();
}

std::string UnitImage(UnitRt* u) {
  host::LockRobust(&u->ucb->mutex);
  std::string path(u->ucb->image_path, strnlen(u->ucb->image_path, host::kPathMax));
  pthread_mutex_unlock(&u->ucb->mutex);
  return path;
}

void AddImage(std::vector<Process::Match>* index, size_t unit, const std::string& path, bool current) {
  auto img = ckd::CkdImage::Open(path, false);
  if (!img.ok()) return;
  for (const auto& f : img->files()) {
    FileId id = IdOfPath(f.path);
    if (id.ino == 0) continue;
    index->push_back({id, unit, current, f.first_track, f.tracks, img->slot_size(), img->compressed()});
  }
}

// Under index_mu: rebuilds the index when any unit changed image.
void RefreshIndexLocked() {
  Process& p = P();
  if (p.state == State::kBroken) {
    if (p.index_built) return;
    for (size_t i = 0; i < p.config.units.size(); ++i) AddImage(&p.index, i, p.config.units[i].image_path, true);
    p.index_built = true;
    return;
  }
  bool stale = !p.index_built;
  if (!stale) {
    for (size_t i = 0; i < p.units.size(); ++i)
      if (p.units[i]->ucb->generation.load() != p.index_generation[i]) stale = true;
  }
  if (!stale) return;
  p.index.clear();
  p.index_generation.assign(p.units.size(), 0);
  for (size_t i = 0; i < p.units.size(); ++i) {
    UnitRt* u = p.units[i].get();
    p.index_generation[i] = u->ucb->generation.load();
    const std::string cur = UnitImage(u);
    AddImage(&p.index, i, cur, true);
    if (u->configured != cur) AddImage(&p.index, i, u->configured, false);
  }
  p.index_built = true;
}

// ---- Switching a unit's descriptors to its current image ----------------

// Puts the program's descriptors of `d` on the file of `u->current` that
// holds the view's first track (under u->mu and g_fd_mu). `keep` is the
// FileId the descriptors are on now (skipped when it already is that file).
bool PlaceDesc(UnitRt* u, Desc* d, const FileId& on_now, std::string* error) {
  const auto& files = u->current->files();
  size_t k = 0;
  while (k + 1 < files.size() && d->view_first >= files[k].first_track + files[k].tracks) ++k;
  const ckd::ImageFile& f = files[k];
  const bool identity = f.first_track == d->view_first && f.tracks >= d->view_tracks;
  if (identity) d->view_tracks = f.tracks;  // a larger target: the program may address it all
  d->identity.store(identity, std::memory_order_relaxed);
  if (on_now == u->current_ids[k]) return true;
  int nfd = Real().open(f.path.c_str(), d->access | (d->status_flags & ~O_APPEND) | O_CLOEXEC);
  if (nfd < 0) {
    *error = f.path + ": " + std::strerror(errno);
    return false;
  }
  for (int fd : d->fds) {
    int fdflags = Real().fcntl(fd, F_GETFD);
    if (Real().dup3(nfd, fd, (fdflags >= 0 && (fdflags & FD_CLOEXEC)) ? O_CLOEXEC : 0) < 0) {
      *error = "dup3 onto descriptor " + std::to_string(fd) + ": " + std::strerror(errno);
      Real().close(nfd);
      return false;
    }
  }
  Real().close(nfd);
  return true;
}

// Opens `path` as the unit's current image (under u->mu).
bool LoadCurrent(UnitRt* u, const std::string& path, std::string* error) {
  auto img = ckd::CkdImage::Open(path, true);
  if (!img.ok()) {
    *error = img.status().message();
    return false;
  }
  u->current = std::move(img).value();
  u->current_ids.clear();
  for (const auto& f : u->current->files()) u->current_ids.push_back(IdOfPath(f.path));
  u->image = path;
  return true;
}

// The unit's generation changed (a swap, or a follow of a moved volume):
// moves every descriptor of the unit in this process to the unit's image
// now. Runs with no I/O of this process in flight on the unit: every I/O
// that saw the old generation ended before the quiesce that preceded the
// switch, and every later one waits here (on u->mu) until the descriptors
// are moved and the generation is published.
bool LoadMap(UnitRt* u, std::string* error);

bool SwitchUnit(UnitRt* u) {
  InsideGuard inside;
  std::lock_guard<std::mutex> lock(u->mu);
  const uint32_t gen = u->ucb->generation.load(std::memory_order_seq_cst);
  if (gen == u->generation.load(std::memory_order_acquire)) return true;
  const std::string path = UnitImage(u);
  std::string error;
  if (path != u->image) {
    Process& p = P();
    {
      // A compressed image on either side: the program's view of the file
      // (its cached tables, or its fixed track offsets) cannot be moved in
      // place; the program must reopen the unit (doc/cckd-live.md). Its I/O
      // fails rather than reading or writing the wrong bytes.
      auto next = ckd::CkdImage::Open(path, false);
      const bool next_compressed = next.ok() && next->compressed();
      if ((next_compressed || (u->current && u->current->compressed()))) {
        bool any;
        {
          std::lock_guard<std::mutex> fl(g_fd_mu);
          any = !u->descs.empty();
        }
        if (any) {
          Say("PAS215E UNIT %s: CANNOT MOVE THE PROGRAM'S DESCRIPTORS IN PLACE TO %s: A COMPRESSED IMAGE "
              "NEEDS A REOPEN BY THE PROGRAM",
              Hex4(u->devnum).c_str(), path.c_str());
          return false;
        }
      }
    }
    auto reg = host::RegistryEntry::Register(path, p.system->name(), p.system->serial(), u->devnum);
    if (!reg.ok()) {
      Say("PAS215E UNIT %s: CANNOT FOLLOW THE VOLUME TO %s: %s", Hex4(u->devnum).c_str(), path.c_str(),
          reg.status().message().c_str());
      return false;
    }
    std::vector<FileId> before = u->current_ids;
    if (!LoadCurrent(u, path, &error)) {
      Say("PAS215E UNIT %s: CANNOT FOLLOW THE VOLUME TO %s: %s", Hex4(u->devnum).c_str(), path.c_str(),
          error.c_str());
      return false;
    }
    std::lock_guard<std::mutex> fl(g_fd_mu);
    for (Desc* d : u->descs) {
      if (!PlaceDesc(u, d, FileId{}, &error)) {
        Say("PAS215E UNIT %s: CANNOT MOVE A DESCRIPTOR TO %s: %s", Hex4(u->devnum).c_str(), path.c_str(),
            error.c_str());
        return false;
      }
    }
    u->registration = std::move(reg).value();
    if (!LoadMap(u, &error)) {
      Say("PAS215E UNIT %s: CANNOT FOLLOW THE VOLUME TO %s: %s", Hex4(u->devnum).c_str(), path.c_str(),
          error.c_str());
      return false;
    }
  }
  u->generation.store(gen, std::memory_order_release);
  return true;
}

// ---- The I/O path -------------------------------------------------------

size_t IovTotal(const struct iovec* iov, int iovcnt, bool* bad) {
  size_t total = 0;
  *bad = iovcnt < 0 || iovcnt > IOV_MAX;
  for (int i = 0; !*bad && i < iovcnt; ++i) {
    if (iov[i].iov_len > SSIZE_MAX - total) *bad = true;
    total += iov[i].iov_len;
  }
  return total;
}

// The part [skip, skip + len) of `iov` as a new vector.
std::vector<struct iovec> Slice(const struct iovec* iov, int iovcnt, size_t skip, size_t len) {
  std::vector<struct iovec> out;
  for (int i = 0; i < iovcnt && len > 0; ++i) {
    if (skip >= iov[i].iov_len) {
      skip -= iov[i].iov_len;
      continue;
    }
    size_t n = std::min(iov[i].iov_len - skip, len);
    out.push_back({static_cast<char*>(iov[i].iov_base) + skip, n});
    len -= n;
    skip = 0;
  }
  return out;
}

ssize_t RawIo(int fd, const struct iovec* iov, int iovcnt, size_t skip, size_t len, bool write, off_t off) {
  if (iovcnt == 1) {
    char* base = static_cast<char*>(iov[0].iov_base) + skip;
    return write ? Real().pwrite(fd, base, len, off) : Real().pread(fd, base, len, off);
  }
  std::vector<struct iovec> part = Slice(iov, iovcnt, skip, len);
  const int n = static_cast<int>(part.size());
  return write ? Real().pwritev(fd, part.data(), n, off) : Real().preadv(fd, part.data(), n, off);
}

void SayOnce(std::atomic<bool>* said, const char* id, UnitRt* u, const char* what) {
  if (!said->exchange(true)) Say("%s UNIT %s: %s", id, Hex4(u->devnum).c_str(), what);
}
std::atomic<bool> g_said_offline{false}, g_said_follow{false}, g_said_slot{false};

// One call's transfer on a compressed image (doc/cckd-live.md), in the
// I/O slot `io` that Transfer holds for it: the whole
// call is one pass of the I/O path; a write's tracks are those whose L2
// entries (or L1 entries) it changes, found by the unit's CckdWriteMap
// against the bytes the file holds, marked before and after the write.
// Writes of one process to the unit are serialized (map_mu) so the map
// sees them in file order.
ssize_t TransferCompressed(Desc* d, int fd, const struct iovec* iov, int iovcnt, size_t total, bool write,
                           int64_t offset, host::InflightSlot* io) {
  UnitRt* u = d->unit;
  host::UnitControlBlock* ucb = u->ucb;
  host::System& sys = *P().system;
  std::vector<uint8_t> data, old;
  for (;;) {
    std::unique_lock<std::mutex> ml;
    std::vector<uint32_t> tracks;
    if (write) {
      ml = std::unique_lock<std::mutex>(u->map_mu);
      if (u->map && u->map->TouchesTables(static_cast<uint64_t>(offset), total)) {
        if (data.empty()) {
          data.resize(total);
          size_t at = 0;
          for (int i = 0; i < iovcnt; ++i) {
            std::memcpy(data.data() + at, iov[i].iov_base, iov[i].iov_len);
            at += iov[i].iov_len;
          }
        }
        // Bytes past the end of the file are new: compared with zeros.
        old.assign(total, 0);
        (void)Real().pread(fd, old.data(), total, offset);
        tracks = u->map->TracksWritten(static_cast<uint64_t>(offset), data, old);
      }
    }
    const uint32_t state = tracks.empty() ? 1 : (tracks.front() + 1) | host::kInflightWrite;
    host::PassQuiesceGate(sys, ucb, io, state, nullptr, nullptr);
    if (ucb->generation.load(std::memory_order_seq_cst) != u->generation.load(std::memory_order_acquire)) {
      // (The map saw a write that did not happen: it is reloaded by the
      // follow, or the I/O fails.)
      host::LeaveIo(ucb, io);
      if (ml.owns_lock()) ml.unlock();
      if (!SwitchUnit(u)) {
        SayOnce(&g_said_follow, "PAS215E", u, "I/O FAILS: THE DESCRIPTORS COULD NOT FOLLOW THE SWAP");
        errno = EIO;
        return -1;
      }
      continue;
    }
    if (ucb->online.load(std::memory_order_seq_cst) == 0) {
      host::LeaveIo(ucb, io);
      SayOnce(&g_said_offline, "PAS214E", u, "I/O FAILS: THE UNIT IS OFFLINE");
      errno = EIO;
      return -1;
    }
    if (!tracks.empty() && host::InterceptInstalled(ucb))
      for (uint32_t t : tracks) host::MarkDirty(sys, ucb, t);
    const ssize_t n = RawIo(fd, iov, iovcnt, 0, total, write, offset);
    const int err = errno;
    if (!tracks.empty() && host::InterceptInstalled(ucb))
      for (uint32_t t : tracks) host::MarkDirty(sys, ucb, t);
    host::LeaveIo(ucb, io);
    if (ml.owns_lock()) ml.unlock();
    if (!tracks.empty()) host::PaceAfterWrite(sys, ucb);
    if (n < 0) errno = err;
    return n;
  }
}

// One call's transfer, cut at track boundaries so that each piece is one
// track's I/O through the unit control block.
ssize_t Transfer(Desc* d, int fd, const struct iovec* iov, int iovcnt, size_t total, bool write, int64_t offset) {
  UnitRt* u = d->unit;
  host::UnitControlBlock* ucb = u->ucb;
  host::System& sys = *P().system;
  SlotHold hold;
  host::InflightSlot* io = hold.io();
  if (io == nullptr) {
    SayOnce(&g_said_slot, "PAS215E", u, "NO FREE I/O SLOT IN THE UNIT TABLE");
    errno = EIO;
    return -1;
  }
  if (d->compressed) return TransferCompressed(d, fd, iov, iovcnt, total, write, offset, io);
  const uint64_t slot = d->slot_size;
  size_t done = 0;
  bool wrote_track = false;
  while (done < total) {
    const int64_t pos = offset + static_cast<int64_t>(done);
    size_t len = total - done;
    bool is_track = false;
    uint32_t track = 0;
    uint64_t within = 0;
    if (pos < ckd::kDeviceHeaderSize) {
      len = std::min<size_t>(len, ckd::kDeviceHeaderSize - pos);
    } else {
      const uint64_t rel = static_cast<uint64_t>(pos) - ckd::kDeviceHeaderSize;
      const uint64_t t = rel / slot;
      if (t >= d->view_tracks) {
        // Past the view's last track: not the volume's data.
        ssize_t n = RawIo(fd, iov, iovcnt, done, len, write, pos);
        if (n < 0) return done > 0 ? static_cast<ssize_t>(done) : -1;
        done += static_cast<size_t>(n);
        break;
      }
      is_track = true;
      track = d->view_first + static_cast<uint32_t>(t);
      within = rel % slot;
      len = std::min<size_t>(len, slot - within);
    }
    const uint32_t state = is_track ? (track + 1) | (write ? host::kInflightWrite : 0) : 1;
    for (;;) {
      host::PassQuiesceGate(sys, ucb, io, state, nullptr, nullptr);
      if (ucb->generation.load(std::memory_order_seq_cst) == u->generation.load(std::memory_order_acquire)) break;
      host::LeaveIo(ucb, io);
      if (!SwitchUnit(u)) {
        SayOnce(&g_said_follow, "PAS215E", u, "I/O FAILS: THE DESCRIPTORS COULD NOT FOLLOW THE SWAP");
        errno = EIO;
        return -1;
      }
    }
    if (ucb->online.load(std::memory_order_seq_cst) == 0) {
      host::LeaveIo(ucb, io);
      SayOnce(&g_said_offline, "PAS214E", u, "I/O FAILS: THE UNIT IS OFFLINE");
      if (done > 0) break;
      errno = EIO;
      return -1;
    }
    int io_fd = fd;
    off_t io_off = pos;
    if (is_track && !d->identity.load(std::memory_order_relaxed)) {
      auto loc = u->current->Locate(track);
      if (!loc.ok()) {
        host::LeaveIo(ucb, io);
        if (done > 0) break;
        errno = EIO;
        return -1;
      }
      io_fd = loc->fd;
      io_off = static_cast<off_t>(loc->offset + within);
    }
    pthread_mutex_t* stripe = is_track ? host::TrackStripe(ucb, track) : nullptr;
    if (stripe != nullptr) host::LockRobust(stripe);
    const bool mark = write && is_track;
    if (mark && host::InterceptInstalled(ucb)) host::MarkDirty(sys, ucb, track);
    ssize_t n = RawIo(io_fd, iov, iovcnt, done, len, write, io_off);
    const int err = errno;
    if (mark && host::InterceptInstalled(ucb)) host::MarkDirty(sys, ucb, track);
    if (stripe != nullptr) pthread_mutex_unlock(stripe);
    host::LeaveIo(ucb, io);
    wrote_track |= mark;
    if (n < 0) {
      if (done > 0) break;
      errno = err;
      return -1;
    }
    done += static_cast<size_t>(n);
    if (static_cast<size_t>(n) < len) break;
  }
  if (wrote_track) host::PaceAfterWrite(sys, ucb);
  return static_cast<ssize_t>(done);
}

// The size of the program's view of its file.
int64_t ViewSize(Desc* d, int fd) {
  if (d->identity.load(std::memory_order_relaxed)) {
    struct stat st {};
    if (::fstat(fd, &st) == 0) return st.st_size;
  }
  return ckd::kDeviceHeaderSize + int64_t{d->view_tracks} * d->slot_size;
}

}  // namespace

// ---- Public entry points -------------------------------------------------

bool InsideIntercept() { return t_inside != 0; }

Desc* Lookup(int fd) {
  std::atomic<Desc*>* cell = FdCell(fd, false);
  return cell == nullptr ? nullptr : cell->load(std::memory_order_acquire);
}

namespace {

// Whether the program can be made to reopen a unit (Hercules: its console's
// devinit, doc/cckd-live.md).
bool ProgramCanReopen() {
  Process& p = P();
  return p.panel_command != nullptr && *p.panel_command != nullptr;
}

void StartReopenThread();

// Loads the write map of the unit's compressed current image (under u->mu).
bool LoadMap(UnitRt* u, std::string* error) {
  std::lock_guard<std::mutex> ml(u->map_mu);
  u->map.reset();
  if (!u->current || !u->current->compressed()) return true;
  const std::string& path = u->current->files().front().path;
  int fd = Real().open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  auto m = ckd::CckdWriteMap::Load(fd, u->current->geometry());
  Real().close(fd);
  if (!m.ok()) {
    *error = m.status().message();
    return false;
  }
  u->map = std::move(m).value();
  return true;
}

// Takes `fd` (open on the file `id`) over as a descriptor of unit `u`, whose
// image file `m` it shows the program. Returns fd, or -1 with errno set
// after closing it.
int TakeOver(int fd, int flags, UnitRt* u, const Process::Match& m, const FileId& id, int saved_errno) {
  Process& p = P();
  const int access = flags & O_ACCMODE;
  if (FdCell(fd, true) == nullptr) {
    Say("PAS215E UNIT %s: DESCRIPTOR %d IS BEYOND THE INTERCEPT'S TABLE", Hex4(u->devnum).c_str(), fd);
    Real().close(fd);
    errno = EMFILE;
    return -1;
  }
  std::lock_guard<std::mutex> lock(u->mu);
  std::string error;
  bool have_descs;
  {
    std::lock_guard<std::mutex> fl(g_fd_mu);
    have_descs = !u->descs.empty();
  }
  if (!have_descs) {
    // First descriptor of the unit in this process: register like UnitIo::Open.
    const uint32_t gen = u->ucb->generation.load(std::memory_order_seq_cst);
    auto reg = host::RegisterUnitUse(*p.system, u->devnum);
    if (!reg.ok()) {
      Say("PAS215E UNIT %s: OPEN OF ITS IMAGE REFUSED: %s", Hex4(u->devnum).c_str(),
          reg.status().message().c_str());
      Real().close(fd);
      errno = reg.status().IsBusy() ? EBUSY : EIO;
      return -1;
    }
    if (!LoadCurrent(u, reg->image_path(), &error) || !LoadMap(u, &error)) {
      Say("PAS215E UNIT %s: OPEN OF ITS IMAGE REFUSED: %s", Hex4(u->devnum).c_str(), error.c_str());
      Real().close(fd);
      errno = EIO;
      return -1;
    }
    u->registration = std::move(reg).value();
    u->generation.store(gen, std::memory_order_release);
  }
  if (ProgramCanReopen() && !u->reopen_user) {
    u->reopen_user = host::ClaimReopenUser(*p.system, u->devnum);
    u->reopen_user_flag.store(u->reopen_user);
    if (u->reopen_user) StartReopenThread();
  }
  if (u->current->compressed() && access != O_RDONLY && !u->reopen_user) {
    // Another live process of the system is the unit's reopen user: at a
    // swap only one program can be made to reopen it.
    Say("PAS215E UNIT %s: WRITE OPEN OF ITS COMPRESSED IMAGE REFUSED: ANOTHER PROCESS OF SYSTEM %s "
        "WRITES IT (doc/cckd-live.md)",
        Hex4(u->devnum).c_str(), p.config.name.c_str());
    Real().close(fd);
    errno = EBUSY;
    return -1;
  }
  std::lock_guard<std::mutex> fl(g_fd_mu);
  Desc* d = NewDesc();
  d->unit = u;
  d->access = access;
  d->status_flags = flags & (O_APPEND | O_DIRECT | O_SYNC | O_DSYNC | O_NOATIME | O_NONBLOCK);
  d->slot_size = m.slot_size;
  d->view_first = m.first;
  d->view_tracks = m.tracks;
  d->compressed = u->current->compressed();
  d->identity.store(true);
  d->position = 0;
  d->fds.assign(1, fd);
  if (!PlaceDesc(u, d, id, &error)) {
    Say("PAS215E UNIT %s: OPEN OF ITS IMAGE REFUSED: %s", Hex4(u->devnum).c_str(), error.c_str());
    d->fds.clear();
    FreeDescs().push_back(d);
    Real().close(fd);
    errno = EIO;
    return -1;
  }
  u->descs.push_back(d);
  FdCell(fd, true)->store(d, std::memory_order_release);
  u->takeovers.fetch_add(1);
  errno = saved_errno;
  return fd;
}

// The open of the reopen this thread drives: every descriptor of the unit
// is closed (the program flushed and closed the old image through the
// intercept); held until the participant releases it, then the descriptor
// is put on the unit's image of that moment.
int ReopenOpen(int fd, int flags, const FileId& id, int saved_errno) {
  Process& p = P();
  UnitRt* u = t_reopen.unit;
  t_reopen.reached = true;
  bool empty;
  {
    std::lock_guard<std::mutex> fl(g_fd_mu);
    empty = u->descs.empty();
  }
  if (empty) {
    host::HoldReopen(*p.system, u->devnum, t_reopen.seq);
  } else {
    Say("PAS215E UNIT %s: THE PROGRAM REOPENED IT WITH OTHER DESCRIPTORS STILL OPEN: NOT HELD",
        Hex4(u->devnum).c_str());
  }
  // The unit's image file that holds its first track, now.
  std::optional<Process::Match> m;
  {
    std::lock_guard<std::mutex> lock(p.index_mu);
    RefreshIndexLocked();
    for (const auto& e : p.index)
      if (p.units[e.unit].get() == u && e.current && e.first == 0) m = e;
  }
  if (!m) {
    Say("PAS215E UNIT %s: REOPEN FAILED: ITS IMAGE %s CANNOT BE OPENED", Hex4(u->devnum).c_str(),
        UnitImage(u).c_str());
    Real().close(fd);
    errno = EIO;
    return -1;
  }
  return TakeOver(fd, flags, u, *m, id, saved_errno);
}

// Makes the program reopen unit `u` as request `r` asks: Hercules' console
// command `devinit CUU IMAGE`, run in this thread, so the close of the old
// image and the open of the new one meet the wrappers here (t_reopen).
// devinit is refused while the device is busy: retried until its open got
// here or the request is withdrawn.
void RunReopen(UnitRt* u, const host::ReopenRequest& r) {
  Process& p = P();
  if (r.image.find_first_of(" \t\"'") != std::string::npos) {
    Say("PAS215E UNIT %s: CANNOT REOPEN %s: HERCULES' DEVINIT TAKES NO PATH WITH BLANKS OR QUOTES",
        Hex4(u->devnum).c_str(), r.image.c_str());
    return;
  }
  // The device statement's operands after the file name go with it:
  // devinit replaces all of them.
  std::string operands;
  if (const host::UnitConfig* uc = p.config.FindUnit(u->devnum)) {
    for (const std::string& o : uc->operands) {
      if (o.find_first_of(" \t\"'") != std::string::npos) {
        Say("PAS215E UNIT %s: CANNOT REOPEN IT: OPERAND %s OF ITS DEVICE STATEMENT HAS BLANKS OR QUOTES",
            Hex4(u->devnum).c_str(), o.c_str());
        return;
      }
      operands += " " + o;
    }
  }
  const std::string cmd = "devinit " + Hex4(u->devnum) + " " + r.image + operands;
  t_reopen.unit = u;
  t_reopen.seq = r.seq;
  t_reopen.image = IdOfPath(r.image);
  t_reopen.reached = false;
  for (int attempt = 0; !t_reopen.reached; ++attempt) {
    if (u->ucb->reopen_state.load() != host::kReopenRequested || u->ucb->reopen_seq.load() != r.seq) break;
    std::vector<char> line(cmd.begin(), cmd.end());
    line.push_back('\0');
    (*p.panel_command)(line.data());
    if (!t_reopen.reached) ::usleep(500 + (attempt % 8) * 250);
  }
  const bool reached = t_reopen.reached;
  t_reopen = ReopenInProgress{};
  if (!reached) return;
  // The swap was not committed: the held open went to the source, which
  // Hercules now has open under the target's name. One more devinit, to
  // the source by its name, so Hercules names the file it uses (a later
  // devinit without a file name reopens what Hercules names).
  const std::string now = UnitImage(u);
  if (IdOfPath(now) == IdOfPath(r.image) || now.find_first_of(" \t\"'") != std::string::npos) return;
  const std::string again = "devinit " + Hex4(u->devnum) + " " + now + operands;
  // Keeps the registration across its close (ReleaseUnitIfUnused); its
  // open is an ordinary one (reached).
  t_reopen.unit = u;
  t_reopen.reached = true;
  for (int attempt = 0; attempt < 2000; ++attempt) {
    const uint32_t opens = u->takeovers.load();
    std::vector<char> line(again.begin(), again.end());
    line.push_back('\0');
    (*p.panel_command)(line.data());
    if (u->takeovers.load() != opens) {  // reopened (else refused as busy)
      t_reopen = ReopenInProgress{};
      return;
    }
    ::usleep(500 + (attempt % 8) * 250);
  }
  t_reopen = ReopenInProgress{};
  Say("PAS215E UNIT %s: HERCULES STILL NAMES %s FOR ITS IMAGE %s (DEVINIT REFUSED)", Hex4(u->devnum).c_str(),
      r.image.c_str(), now.c_str());
}

// The one thread the intercept starts, only in a program it can make
// reopen a unit (Hercules) and only once it is a unit's reopen user: it
// waits for reopen requests of the participants (host/reopen.h) and carries
// them out. Never ends; it holds no lock while it waits.
void* ReopenMain(void*) {
  Process& p = P();
  for (;;) {
    UnitRt* first = nullptr;
    uint32_t seen = 0;
    for (auto& up : p.units) {
      UnitRt* u = up.get();
      if (!u->reopen_user_flag.load()) continue;
      host::ReopenRequest r;
      {
        InsideGuard inside;
        r = host::PendingReopen(*p.system, u->devnum);
      }
      if (r.seq != 0 && r.seq != u->reopen_done_seq) {
        u->reopen_done_seq = r.seq;
        RunReopen(u, r);
      }
      if (first == nullptr) {
        first = u;
        seen = u->ucb->reopen_state.load();
      }
    }
    InsideGuard inside;
    if (first != nullptr) {
      host::WaitReopenState(*p.system, first->devnum, seen, 100'000);
    } else {
      ::usleep(100'000);
    }
  }
  return nullptr;
}

void StartReopenThread() {
  Process& p = P();
  bool expected = false;
  if (!p.reopen_thread.compare_exchange_strong(expected, true)) return;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t t;
  if (pthread_create(&t, &attr, &ReopenMain, nullptr) != 0) {
    p.reopen_thread.store(false);
    Say("PAS215E PAS INTERCEPT: CANNOT START ITS REOPEN THREAD: %s", std::strerror(errno));
  }
  pthread_attr_destroy(&attr);
}

}  // namespace

int AfterOpen(int fd, int flags) {
  if (fd < 0) return fd;
  const int saved_errno = errno;
  // A stale entry (the number was closed behind the wrappers' back).
  if (Lookup(fd) != nullptr) BeforeClose(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    errno = saved_errno;
    return fd;
  }
  const State state = EnsureInit();
  if (state == State::kDisabled) {
    errno = saved_errno;
    return fd;
  }
  InsideGuard inside;
  Process& p = P();
  const FileId id{st.st_dev, st.st_ino};
  if (t_reopen.unit != nullptr && !t_reopen.reached && state == State::kReady && id == t_reopen.image)
    return ReopenOpen(fd, flags, id, saved_errno);
  // Choose the unit: an online unit whose current image it is, then an
  // offline one, then a unit whose configured image it is (its volume
  // moved: the descriptor follows it).
  std::optional<Process::Match> best;
  int best_rank = 0;
  {
    std::lock_guard<std::mutex> lock(p.index_mu);
    RefreshIndexLocked();
    for (const auto& m : p.index) {
      if (!(m.id == id)) continue;
      bool online = state == State::kReady && p.units[m.unit]->ucb->online.load() != 0;
      int rank = (m.current ? 2 : 0) + (online ? 1 : 0) + 1;
      if (rank > best_rank) {
        best_rank = rank;
        best = m;
      }
    }
  }
  if (!best) {
    errno = saved_errno;
    return fd;
  }
  const int access = flags & O_ACCMODE;
  if (state == State::kBroken) {
    Say("PAS212E PAS INTERCEPT OF SYSTEM %s: OPEN OF ITS IMAGE REFUSED: %s", p.config.name.c_str(), p.why_broken.c_str());
    Real().close(fd);
    errno = EIO;
    return -1;
  }
  UnitRt* u = p.units[best->unit].get();
  if (best->compressed && access == O_RDONLY) {  // reading is harmless
    errno = saved_errno;
    return fd;
  }
  if (u->ucb->online.load() == 0) {
    if (access == O_RDONLY) {  // reading an offline unit (a swap target) is harmless
      errno = saved_errno;
      return fd;
    }
    Say("PAS214E UNIT %s: WRITE OPEN OF ITS IMAGE REFUSED: THE UNIT IS OFFLINE IN SYSTEM %s",
        Hex4(u->devnum).c_str(), p.config.name.c_str());
    Real().close(fd);
    errno = EBUSY;
    return -1;
  }
  if (best->compressed && !ProgramCanReopen()) {
    // Its writes can be tracked (CckdWriteMap), but at a swap the program
    // keeps the old file's tables and changed tracks in its memory: only a
    // program the intercept can make reopen the unit (Hercules) may write.
    Say("PAS215E UNIT %s: WRITE OPEN OF ITS COMPRESSED (CCKD) IMAGE REFUSED: THIS PROGRAM CANNOT BE MADE "
        "TO REOPEN IT AT A SWAP (doc/cckd-live.md)",
        Hex4(u->devnum).c_str());
    Real().close(fd);
    errno = EOPNOTSUPP;
    return -1;
  }
  return TakeOver(fd, flags, u, *best, id, saved_errno);
}

void BeforeClose(int fd) {
  bool unit_empty = false;
  UnitRt* u = nullptr;
  {
    std::lock_guard<std::mutex> fl(g_fd_mu);
    UntableLocked(fd, &unit_empty, &u);
  }
  if (unit_empty) ReleaseUnitIfUnused(u);
}

int Duplicate(int how, int oldfd, int newfd, int flags) {
  const int saved_errno = errno;
  bool unit_empty = false;
  UnitRt* emptied = nullptr;
  int r;
  {
    std::lock_guard<std::mutex> fl(g_fd_mu);
    Desc* d = Lookup(oldfd);
    switch (how) {
      case 0: r = Real().dup(oldfd); break;
      case 1: r = Real().dup2(oldfd, newfd); break;
      case 2: r = Real().dup3(oldfd, newfd, flags); break;
      case 3: r = Real().fcntl(oldfd, F_DUPFD, newfd); break;
      default: r = Real().fcntl(oldfd, F_DUPFD_CLOEXEC, newfd); break;
    }
    const int err = errno;
    if (r >= 0 && r != oldfd) {
      // The new number's previous description (dup2 / dup3 close it).
      if (Lookup(r) != nullptr) UntableLocked(r, &unit_empty, &emptied);
      if (d != nullptr) {
        std::atomic<Desc*>* cell = FdCell(r, true);
        if (cell != nullptr) {
          d->fds.push_back(r);
          cell->store(d, std::memory_order_release);
        }
      }
    }
    errno = r >= 0 ? saved_errno : err;
  }
  if (unit_empty) ReleaseUnitIfUnused(emptied);
  return r;
}

ssize_t DescIo(Desc* d, int fd, const struct iovec* iov, int iovcnt, bool write, bool use_position, off_t offset) {
  const int saved_errno = errno;
  bool bad = false;
  const size_t total = IovTotal(iov, iovcnt, &bad);
  if (bad || (!use_position && offset < 0)) {
    errno = EINVAL;
    return -1;
  }
  if (write && d->access == O_RDONLY) {
    errno = EBADF;
    return -1;
  }
  if (!write && d->access == O_WRONLY) {
    errno = EBADF;
    return -1;
  }
  if (total == 0) return 0;
  std::unique_lock<std::mutex> pos;
  if (use_position) {
    pos = std::unique_lock<std::mutex>(d->pos_mu);
    offset = d->position;
    if (write && (d->status_flags & O_APPEND)) offset = ViewSize(d, fd);
  }
  ssize_t r = Transfer(d, fd, iov, iovcnt, total, write, offset);
  if (use_position && r > 0) d->position = offset + r;
  if (r >= 0) errno = saved_errno;
  return r;
}

off_t DescSeek(Desc* d, int fd, off_t offset, int whence) {
  const int saved_errno = errno;
  std::lock_guard<std::mutex> pos(d->pos_mu);
  int64_t next;
  switch (whence) {
    case SEEK_SET: next = offset; break;
    case SEEK_CUR: next = d->position + offset; break;
    case SEEK_END: next = ViewSize(d, fd) + offset; break;
    default: {
      off_t r = Real().lseek(fd, offset, whence);  // SEEK_DATA / SEEK_HOLE: the kernel knows
      if (r < 0) return r;
      next = r;
    }
  }
  if (next < 0) {
    errno = EINVAL;
    return -1;
  }
  d->position = next;
  errno = saved_errno;
  return static_cast<off_t>(next);
}

void* RefuseMmap(Desc* d, int fd) {
  Say("PAS213E MMAP OF THE IMAGE OF UNIT %s (DESCRIPTOR %d) REFUSED: PAS TRACKS IMAGE WRITES THROUGH "
      "READ AND WRITE CALLS ONLY",
      Hex4(d->unit->devnum).c_str(), fd);
  errno = ENODEV;
  return MAP_FAILED;
}

// Fork: the child keeps every descriptor (same open file descriptions, so
// the registry's OFD locks stay held while either process lives) but gets
// I/O slots of its own, claimed on its first I/O; the inherited slot locks
// are closed in the child only (an unlock would release the parent's).
void ForkPrepare() {
  g_fd_mu.lock();
  g_slots_mu.lock();
}
void ForkParent() {
  g_slots_mu.unlock();
  g_fd_mu.unlock();
}
void ForkChild() {
  new (&g_slots_mu) std::mutex;
  new (&g_fd_mu) std::mutex;
  new (&g_fallback_mu) std::mutex;
  for (ThreadSlot* s : *g_slots) {
    if (s->lock_fd >= 0) Real().close(s->lock_fd);
    delete s;
  }
  g_slots->clear();
  if (g_fallback != nullptr) {
    if (g_fallback->lock_fd >= 0) Real().close(g_fallback->lock_fd);
    delete g_fallback;
    g_fallback = nullptr;
  }
  t_slot = nullptr;
  if (P().state.load() == State::kReady) pthread_setspecific(g_slot_key, nullptr);
  for (Desc* d : AllDescs()) new (&d->pos_mu) std::mutex;
  for (auto& u : P().units) {
    new (&u->mu) std::mutex;
    new (&u->map_mu) std::mutex;
    // The child is not its parent's reopen user and has no reopen thread.
    u->reopen_user = false;
    u->reopen_user_flag.store(false);
  }
  P().reopen_thread.store(false);
  new (&P().index_mu) std::mutex;
}

}  // namespace pas::preload
