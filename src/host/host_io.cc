#include "host/host_io.h"

#include <unistd.h>

#include <cstring>
#include <optional>

#include "base/fault_point.h"
#include "base/log.h"
#include "ckd/track.h"
#include "host/decision.h"
#include "host/io_path.h"
#include "host/pacing.h"
#include "host/ucb.h"
#include "intercept/dirty_bitmap.h"
#include "intercept/futex.h"

namespace pas::host {

using intercept::DirtyTrackBitmap;

namespace {

std::string Hex4(uint16_t v) {
  char b[8];
  std::snprintf(b, sizeof b, "%04X", v);
  return b;
}
std::string Str(const char* p, size_t max) { return std::string(p, strnlen(p, max)); }

constexpr int64_t kGatePollUs = 50'000;  // re-check the quiesce holder's liveness

}  // namespace

void PublishInflight(UnitControlBlock* ucb, InflightSlot* slot, uint32_t state) {
  ++slot->seq;
  ucb->inflight[slot->slot].store((uint64_t{slot->seq} << 32) | state, std::memory_order_seq_cst);
}

int64_t PassQuiesceGate(System& system, UnitControlBlock* ucb, InflightSlot* slot, uint32_t state,
                        void (*after_wait)(void*), void* arg) {
  int64_t waited = 0;
  for (;;) {
    PublishInflight(ucb, slot, state);                            // (1)
    uint32_t q = ucb->quiesce.load(std::memory_order_seq_cst);    // (2)
    if (q == 0) return waited;
    PublishInflight(ucb, slot, 0);
    ucb->drain_seq.fetch_add(1, std::memory_order_seq_cst);
    intercept::FutexWake(&ucb->drain_seq);
    const int64_t start = MonotonicMicros();
    while ((q = ucb->quiesce.load(std::memory_order_seq_cst)) != 0) {
      auto r = intercept::FutexWait(&ucb->quiesce, q, kGatePollUs);
      if (r == intercept::FutexWaitResult::kTimedOut && !system.SlotAlive(static_cast<int>(q) - 1)) {
        Status s = system.RecoverDeadHolder(ucb);
        if (!s.ok()) Logger("host")->error("{}: unit {}: {}", system.name(), Hex4(ucb->devnum), s.ToString());
      }
    }
    waited = std::max(waited, MonotonicMicros() - start);
    if (after_wait != nullptr) after_wait(arg);
  }
}

void LeaveIo(UnitControlBlock* ucb, InflightSlot* slot) {
  PublishInflight(ucb, slot, 0);
  if (ucb->quiesce.load(std::memory_order_seq_cst) != 0) {
    ucb->drain_seq.fetch_add(1, std::memory_order_seq_cst);
    intercept::FutexWake(&ucb->drain_seq);
  }
}

bool InterceptInstalled(const UnitControlBlock* ucb) { return ucb->intercept.load(std::memory_order_seq_cst) != 0; }

void MarkDirty(System& system, UnitControlBlock* ucb, uint32_t track) {
  DirtyTrackBitmap(system.table()->bitmap(ucb), kBitmapTracks).Mark(track);
}

// One relaxed load when not pacing. A pace whose setter died is cleared,
// not applied.
int64_t PaceAfterWrite(System& system, UnitControlBlock* ucb) {
  uint32_t word = ucb->pace.load(std::memory_order_relaxed);
  if (word == 0 || ucb->intercept.load(std::memory_order_relaxed) == 0) return 0;
  const int64_t us = LivePace(system, word);
  if (us == 0) {
    ucb->pace.compare_exchange_strong(word, 0);
    return 0;
  }
  const int64_t start = MonotonicMicros();
  ::usleep(static_cast<useconds_t>(us));
  return MonotonicMicros() - start;
}

pthread_mutex_t* TrackStripe(UnitControlBlock* ucb, uint32_t track) { return &ucb->stripes[track % kStripes]; }

struct UnitIo::State {
  System* system = nullptr;
  UnitControlBlock* ucb = nullptr;
  uint16_t devnum = 0;
  InflightSlot io;  // our I/O slot's in-flight word
  int slot_fd = -1;
  uint32_t generation = 0;
  uint32_t context_seq = 0;
  std::optional<ckd::CkdImage> image;
  std::optional<ckd::CkdImage> preopened;  // the swap target, opened at announce
  std::optional<RegistryEntry> registration;
  std::vector<uint8_t> buffer;
  IoStats stats;

  ~State() {
    if (ucb != nullptr && io.slot >= 0) Publish(0);
    if (system != nullptr) system->ReleaseSlot(io.slot, slot_fd);
  }

  // Stores our in-flight word with a fresh sequence number (seq_cst: see
  // the ordering argument in doc/host-io.md).
  void Publish(uint32_t state) { PublishInflight(ucb, &io, state); }

  // (Re)opens the current image of the unit and registers in its registry.
  Status Reopen() {
    std::string path;
    uint32_t gen;
    {
      LockRobust(&ucb->mutex);
      path = Str(ucb->image_path, kPathMax);
      gen = ucb->generation.load();
      pthread_mutex_unlock(&ucb->mutex);
    }
    if (preopened && preopened->path() == path) {
      image = std::move(preopened);
      preopened.reset();
    } else {
      preopened.reset();
      auto img = ckd::CkdImage::Open(path, true);
      if (!img.ok()) return img.status().WithContext("unit " + Hex4(devnum));
      image = std::move(img).value();
    }
    if (!registration || registration->image_path() != path) {
      auto reg = RegistryEntry::Register(path, system->name(), system->serial(), devnum);
      if (!reg.ok()) return reg.status().WithContext("unit " + Hex4(devnum));
      registration = std::move(reg).value();
    }
    generation = gen;
    buffer.resize(image->slot_size());
    return Status::Ok();
  }

  // Pre-opens the swap target when a swap context appears, so the switch
  // after the quiesce only swaps descriptors.
  void CheckContext() {
    uint32_t cs = ucb->context_seq.load(std::memory_order_acquire);
    if (cs == context_seq) return;
    context_seq = cs;
    LockRobust(&ucb->mutex);
    std::string target = Str(ucb->target_image, kPathMax);
    pthread_mutex_unlock(&ucb->mutex);
    // A cleared context keeps the pre-opened target: the participant
    // clears it just before it resumes the unit on that target, and the
    // Reopen that follows the resume must only swap descriptors (an open
    // and parse of the image there would lengthen the first write after
    // the swap). Reopen drops it when the unit went elsewhere.
    if (target.empty()) return;
    if (preopened && preopened->path() == target) return;
    preopened.reset();
    auto img = ckd::CkdImage::Open(target, true);
    if (img.ok()) preopened = std::move(img).value();
  }

  static void AfterWait(void* self) { static_cast<State*>(self)->CheckContext(); }

  // Steps (1)-(3) of the I/O path. On OK our in-flight word is published,
  // the unit is not quiesced and `image` is the current generation's.
  Status Enter(uint32_t track, bool write) {
    CheckContext();
    const uint32_t state = (track + 1) | (write ? kInflightWrite : 0);
    const int64_t waited = PassQuiesceGate(*system, ucb, &io, state, &State::AfterWait, this);  // (1), (2)
    stats.longest_gate_wait_us = std::max(stats.longest_gate_wait_us, waited);
    if (ucb->online.load(std::memory_order_seq_cst) == 0) {
      Publish(0);
      return Status::Busy("PAS196E unit " + Hex4(devnum) + " is offline");
    }
    if (ucb->generation.load(std::memory_order_seq_cst) != generation) {  // (3)
      Status s = Reopen();
      if (!s.ok()) {
        Publish(0);
        return s;
      }
      ++stats.reopens;
    }
    if (track >= image->tracks()) {
      Publish(0);
      return Status::InvalidArgument("unit " + Hex4(devnum) + " track " + std::to_string(track) +
                                     " is beyond the last track " + std::to_string(image->tracks() - 1));
    }
    return Status::Ok();
  }

  // Step (5): clear the in-flight word; wake a quiescer waiting to drain.
  void Leave() {
    LeaveIo(ucb, &io);
    ++stats.ios;
  }

  pthread_mutex_t* Stripe(uint32_t track) { return TrackStripe(ucb, track); }

  // After a write, outside Enter/Leave: the pacing delay a swap asks for
  // (host/pacing.h). One relaxed load when not pacing. A pace whose setter
  // died is cleared, not applied.
  void Pace() {
    const int64_t us = PaceAfterWrite(*system, ucb);
    if (us == 0) return;
    ++stats.paced_writes;
    stats.paced_us += us;
  }

  // Step (4): the write itself, between Enter and Leave. Marks before the
  // write (a process killed after pwrite but before the second mark still
  // leaves the bit, unless a harvest took it in between, in which case its
  // in-flight word, still set, is marked by the next quiesce or harvest)
  // and after it (a harvest that took the first mark before the data was
  // in the image is followed by this one).
  Status WriteLocked(uint32_t track, std::span<const uint8_t> slot) {
    if (InterceptInstalled(ucb)) MarkDirty(*system, ucb, track);
    FaultPoint("host.write_in_flight");
    Status s = image->WriteTrack(track, slot);
    if (InterceptInstalled(ucb)) MarkDirty(*system, ucb, track);
    if (s.ok()) ++stats.writes;
    return s;
  }
};

UnitIo::UnitIo(std::unique_ptr<State> state) : s_(std::move(state)) {}
UnitIo::UnitIo(UnitIo&&) noexcept = default;
UnitIo& UnitIo::operator=(UnitIo&&) noexcept = default;
UnitIo::~UnitIo() = default;

Result<RegistryEntry> RegisterUnitUse(System& system, uint16_t devnum) {
  UnitControlBlock* u = system.FindUcb(devnum);
  if (u == nullptr)
    return Status::NotFound("PAS172E unit " + Hex4(devnum) + " is not defined in system " + system.name());
  if (u->online.load() == 0) return Status::Busy("PAS196E unit " + Hex4(devnum) + " is offline");

  // A swap in progress on the current image: a system that is not a
  // participant must not start writing the source behind the job's back.
  // Register first, then read the marker: the job freezes the registry and
  // then lists the registered systems, so either the job's list holds this
  // system (we registered before it listed) or we see the freeze here.
  std::optional<RegistryEntry> registration;
  for (int follows = 0;;) {
    std::string path;
    std::string context_decision;
    {
      LockRobust(&u->mutex);
      path = Str(u->image_path, kPathMax);
      context_decision = Str(u->decision_path, kPathMax);
      pthread_mutex_unlock(&u->mutex);
    }
    {
      auto reg = RegistryEntry::Register(path, system.name(), system.serial(), devnum);
      if (!reg.ok()) return reg.status().WithContext("unit " + Hex4(devnum));
      registration = std::move(reg).value();
    }
    FaultPoint("host.open_registered");
    PAS_ASSIGN_OR_RETURN(RegistryMarker m, ReadMarker(path));
    std::string follow;
    if (m.moved && !m.target_image.empty()) {
      // The volume lives on an image another unit of this system uses:
      // this unit names the old source (the exchange after a swap).
      if (system.ImageInUseByOtherUnit(m.target_image, devnum)) break;
      follow = m.target_image;
    } else if (m.frozen) {
      PAS_ASSIGN_OR_RETURN(Decision d, ReadDecision(m.decision_path));
      if (d == Decision::kSource) break;
      if (d == Decision::kNone) {
        // This system takes part in that swap (its participant recorded the
        // swap context before installing the intercept): our writes are
        // tracked like every other process's of the system.
        if (!context_decision.empty() && context_decision == m.decision_path) break;
        // Not a participant: a registration now would make the job fail the
        // volume at its final check; wait unregistered until the decision
        // exists (or the freeze is gone), then register and check again.
        registration.reset();
        for (;;) {
          ::usleep(kGatePollUs);
          PAS_ASSIGN_OR_RETURN(RegistryMarker again, ReadMarker(path));
          if (!again.frozen || again.decision_path != m.decision_path) break;
          PAS_ASSIGN_OR_RETURN(Decision now, ReadDecision(m.decision_path));
          if (now != Decision::kNone) break;
        }
        continue;
      }
      follow = m.target_image;
    } else {
      break;
    }
    registration.reset();
    if (++follows > kMaxFollows)
      return Status::Corruption("PAS197E online registry " + RegistryPath(path) + ": unit " + Hex4(devnum) +
                                " followed " + std::to_string(kMaxFollows) +
                                " swap markers without reaching the volume's device (a marker loop)");
    // Follow the volume to its new image (only when no I/O of this system
    // can be in flight on the old one: nobody of this system has it online).
    auto img = ckd::CkdImage::Open(follow, true);
    if (!img.ok()) return img.status().WithContext("unit " + Hex4(devnum) + ": following the swap");
    LockRobust(&u->mutex);
    if (Str(u->image_path, kPathMax) == path) {
      std::strncpy(u->image_path, follow.c_str(), kPathMax - 1);
      u->tracks.store(img->tracks());
      u->generation.fetch_add(1, std::memory_order_seq_cst);
    }
    pthread_mutex_unlock(&u->mutex);
    Logger("host")->info("{}: unit {} follows its volume to {}", system.name(), Hex4(devnum), follow);
  }
  return std::move(*registration);
}

Result<UnitIo> UnitIo::Open(System& system, uint16_t devnum) {
  PAS_ASSIGN_OR_RETURN(RegistryEntry registration, RegisterUnitUse(system, devnum));
  auto st = std::make_unique<State>();
  st->system = &system;
  st->ucb = system.FindUcb(devnum);
  st->devnum = devnum;
  st->registration = std::move(registration);
  PAS_ASSIGN_OR_RETURN(st->io.slot, system.ClaimSlot(&st->slot_fd));
  PAS_RETURN_IF_ERROR(st->Reopen());
  return UnitIo(std::move(st));
}

uint16_t UnitIo::devnum() const { return s_->devnum; }
uint32_t UnitIo::tracks() const { return s_->image->tracks(); }
const ckd::DeviceGeometry& UnitIo::geometry() const { return s_->image->geometry(); }
const std::string& UnitIo::image_path() const { return s_->image->path(); }
IoStats UnitIo::stats() const { return s_->stats; }

Status UnitIo::ReadTrack(uint32_t track, std::span<uint8_t> slot) {
  PAS_RETURN_IF_ERROR(s_->Enter(track, false));
  LockRobust(s_->Stripe(track));
  Status st = s_->image->ReadTrack(track, slot);
  pthread_mutex_unlock(s_->Stripe(track));
  s_->Leave();
  return st;
}

Status UnitIo::WriteTrack(uint32_t track, std::span<const uint8_t> slot) {
  PAS_RETURN_IF_ERROR(s_->Enter(track, true));
  Status st = slot.size() == s_->image->slot_size()
                  ? ckd::ValidateTrack(slot, s_->image->geometry(), track)
                  : Status::InvalidArgument("slot of " + std::to_string(slot.size()) + " bytes, expected " +
                                            std::to_string(s_->image->slot_size()));
  if (!st.ok()) {
    s_->Leave();
    return Status::InvalidArgument("PAS193E unit " + Hex4(s_->devnum) + " track " + std::to_string(track) +
                                   ": not written: " + st.message());
  }
  LockRobust(s_->Stripe(track));
  st = s_->WriteLocked(track, slot);
  pthread_mutex_unlock(s_->Stripe(track));
  s_->Leave();
  s_->Pace();
  return st;
}

Result<std::vector<uint8_t>> UnitIo::ReadRecord(ckd::Cchh cchh, uint8_t record) {
  if (s_->image && cchh.head >= s_->image->geometry().heads)
    return Status::InvalidArgument("unit " + Hex4(s_->devnum) + ": head " + std::to_string(cchh.head) + " out of range");
  uint32_t track = ckd::RelativeTrack(s_->image->geometry(), cchh);
  PAS_RETURN_IF_ERROR(s_->Enter(track, false));
  std::vector<uint8_t>& buf = s_->buffer;
  LockRobust(s_->Stripe(track));
  Status st = s_->image->ReadTrack(track, buf);
  pthread_mutex_unlock(s_->Stripe(track));
  s_->Leave();
  PAS_RETURN_IF_ERROR(st);
  PAS_ASSIGN_OR_RETURN(ckd::ParsedTrack parsed, ckd::ParseTrack(buf, s_->image->geometry(), track));
  for (const auto& r : parsed.records)
    if (r.rec == record) return std::vector<uint8_t>(r.data.begin(), r.data.end());
  return Status::NotFound("unit " + Hex4(s_->devnum) + " track " + std::to_string(track) + ": no record " +
                          std::to_string(record));
}

Status UnitIo::UpdateRecord(ckd::Cchh cchh, uint8_t record, std::span<const uint8_t> data) {
  if (cchh.head >= s_->image->geometry().heads)
    return Status::InvalidArgument("unit " + Hex4(s_->devnum) + ": head " + std::to_string(cchh.head) + " out of range");
  uint32_t track = ckd::RelativeTrack(s_->image->geometry(), cchh);
  PAS_RETURN_IF_ERROR(s_->Enter(track, true));
  std::vector<uint8_t>& buf = s_->buffer;
  LockRobust(s_->Stripe(track));
  Status st = s_->image->ReadTrack(track, buf);
  if (st.ok()) {
    auto parsed = ckd::ParseTrack(buf, s_->image->geometry(), track);
    st = parsed.ok() ? Status::NotFound("unit " + Hex4(s_->devnum) + " track " + std::to_string(track) +
                                        ": no record " + std::to_string(record))
                     : parsed.status();
    if (parsed.ok()) {
      for (const auto& r : parsed->records) {
        if (r.rec != record) continue;
        if (r.data.size() != data.size()) {
          st = Status::InvalidArgument("unit " + Hex4(s_->devnum) + " track " + std::to_string(track) +
                                       " record " + std::to_string(record) + ": data length " +
                                       std::to_string(r.data.size()) + ", update has " +
                                       std::to_string(data.size()));
          break;
        }
        size_t off = static_cast<size_t>(r.data.data() - buf.data());
        std::memcpy(buf.data() + off, data.data(), data.size());
        st = s_->WriteLocked(track, buf);
        break;
      }
    }
  }
  pthread_mutex_unlock(s_->Stripe(track));
  s_->Leave();
  s_->Pace();
  return st;
}

Status UnitIo::FormatTrack(uint32_t track) {
  std::vector<uint8_t> slot(s_->image->slot_size(), 0);
  ckd::BuildEmptyTrack(s_->image->geometry(), track, slot);
  return WriteTrack(track, slot);
}

}  // namespace pas::host
