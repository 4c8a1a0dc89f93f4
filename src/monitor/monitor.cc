#include "monitor/monitor.h"

#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "base/clock.h"
#include "base/log.h"
#include "ckd/image.h"
#include "coord/area.h"
#include "engine/participant.h"
#include "host/decision.h"
#include "host/unit_table.h"
#include "statements/plan.h"

namespace pas::monitor {
namespace {

using host::FormatDevnum;

struct Participation {
  std::thread thread;
  std::atomic<bool> finished{false};
  bool swapped = false;
  bool failed = false;
};

struct Watched {
  uint16_t devnum = 0;
  std::string image;  // the target image this unit's area belongs to
  std::optional<coord::CoordinationArea> area;
  std::optional<uint32_t> watcher_slot;
  std::set<uint64_t> handled;  // job ids already taken part in or judged stale
  std::unique_ptr<Participation> current;
  uint64_t current_job = 0;
  bool done = false;           // swapped to, or no longer offline
  std::string done_reason;
};

class Monitor {
 public:
  Monitor(const host::SystemConfig& config, const MonitorOptions& o)
      : config_(config), o_(o), rep_(*o.reporter), log_(Logger("monitor")) {}

  int Run() {
    auto sys = host::System::Attach(config_);
    if (!sys.ok()) {
      rep_.Message("PAS274E", {{"system", config_.name}, {"reason", sys.status().message()}});
      return report::kCcJobFailed;
    }
    sys_ = std::move(sys).value();
    std::string units;
    for (uint16_t dev : sys_->Devnums()) {
      bool match = false;
      for (const auto& p : o_.unit_patterns) match = match || statements::UnitMatches(p, dev);
      if (!match) continue;
      Watched w;
      w.devnum = dev;
      watched_.push_back(std::move(w));
      units += (units.empty() ? "" : ",") + FormatDevnum(dev);
    }
    if (watched_.empty()) {
      std::string pats;
      for (const auto& p : o_.unit_patterns) pats += (pats.empty() ? "" : ",") + p;
      rep_.Message("PAS274E", {{"system", sys_->name()}, {"reason", "NO UNIT OF THIS SYSTEM MATCHES " + pats}});
      return report::kCcJobFailed;
    }
    rep_.Message("PAS270I", {{"system", sys_->name()}, {"units", units}});
    const int64_t start = o_.clock->NowMicros();
    std::string reason;
    for (;;) {
      bool busy = false;
      for (Watched& w : watched_) busy = Poll(w) || busy;
      if (o_.stop && o_.stop->load()) {
        reason = "STOPPED";
        break;
      }
      if (o_.duration_minutes > 0 &&
          o_.clock->NowMicros() - start >= int64_t{o_.duration_minutes} * 60'000'000) {
        reason = "DURATION REACHED";
        break;
      }
      bool all_done = true;
      for (const Watched& w : watched_) all_done = all_done && w.done && !w.current;
      if (all_done && !o_.dynmon) {
        reason = "ALL UNITS SWAPPED OR ONLINE";
        break;
      }
      o_.clock->SleepMicros(busy ? 2000 : o_.poll_us);
    }
    // A stop during a swap still lets the participations finish: leaving
    // would only make the job abort (or, after commit, leave the work to
    // this system's I/O path).
    for (Watched& w : watched_) {
      if (w.current && w.current->thread.joinable()) w.current->thread.join();
    }
    rep_.Message("PAS271I", {{"system", sys_->name()}, {"reason", reason}});
    return cc_;
  }

 private:
  // One look at a watched unit. Returns true while a swap is in progress on it.
  bool Poll(Watched& w) {
    if (w.current) {
      if (!w.current->finished.load()) return true;
      w.current->thread.join();
      if (w.current->swapped) {
        w.done = true;
        w.done_reason = "SWAPPED";
      }
      if (w.current->failed) cc_ = std::max(cc_, report::kCcWarning);
      w.current.reset();
    }
    if (w.done) {
      if (!o_.dynmon) return false;
      // DYNMON: a unit that is offline again (varied offline after it was
      // swapped to or online) is watched again.
      auto again = sys_->Status(w.devnum);
      if (!again.ok() || again->online) return false;
      w.done = false;
      w.done_reason.clear();
    }
    auto st = sys_->Status(w.devnum);
    if (!st.ok()) return false;
    if (st->online) {
      w.done = true;
      w.done_reason = "ONLINE";
      return false;
    }
    if (!w.area || w.image != st->image_path) {
      w.area.reset();
      w.image = st->image_path;
      auto area = coord::CoordinationArea::Open(w.image, coord::CoordinationArea::Mode::kCreate);
      if (!area.ok()) {
        log_->warn("{}: unit {}: {}", sys_->name(), FormatDevnum(w.devnum), area.status().ToString());
        return false;
      }
      w.area.emplace(std::move(area).value());
      auto slot = w.area->ClaimWatcher({.pid = static_cast<uint32_t>(::getpid()),
                                        .system = sys_->name(),
                                        .serial = sys_->serial(),
                                        .devnum = w.devnum,
                                        .started_us = WallMicros()});
      if (slot.ok()) w.watcher_slot = *slot;
    }
    auto read = w.area->ReadHeader();
    if (!read.ok()) return false;  // none yet, or unreadable (retried next poll)
    if (w.handled.count(read->job_id)) return false;
    // The header names the images as the job's system does; this system
    // may mount the shared storage under another path. Every use below
    // goes through `h`, the header with this system's own paths.
    std::optional<uint16_t> source;
    auto localized = Localize(w, *read, &source);
    if (!localized) {
      w.handled.insert(read->job_id);
      return false;
    }
    const coord::Header* h = &*localized;
    if (h->state == coord::JobState::kDone || h->state == coord::JobState::kFailed) {
      // Finished before we looked. If it moved a volume this system still
      // points at the old source, follow it.
      FollowIfSwapped(*h);
      w.handled.insert(h->job_id);
      return false;
    }
    int index = h->ParticipantIndex(sys_->name());
    if (index < 0) {
      // Not a participant: this system had no process with the source
      // online. Follow a SWAP once it is decided.
      auto d = host::ReadDecision(engine::DecisionPath(h->target_path, h->job_id));
      if (d.ok() && *d != host::Decision::kNone) {
        FollowIfSwapped(*h);
        w.handled.insert(h->job_id);
      } else if (!w.area->JobAlive()) {
        w.handled.insert(h->job_id);
      }
      return false;
    }
    if (active_ >= o_.max_tasks) return true;
    w.handled.insert(h->job_id);
    if (!source) {
      // A live process of this system has the source online (that is why
      // the job lists it), but no unit here is that image: the job must
      // not go on without this system. Say so in the participant block,
      // so the job fails the volume now instead of after its join timeout.
      const std::string why = "NO UNIT OF THIS SYSTEM USES THE SOURCE";
      rep_.Message("PAS274E", {{"system", sys_->name()}, {"reason", why + " " + read->source_path}});
      Decline(w, *h, static_cast<uint32_t>(index), why);
      cc_ = std::max(cc_, report::kCcWarning);
      return false;
    }
    Start(w, *h, static_cast<uint32_t>(index), *source);
    return true;
  }

  // True when `path` names the file `id` (the job's identity of it), or,
  // for a header without identities, when the paths are equal.
  static bool SameImage(const std::string& path, const coord::FileIdentity& id, const std::string& job_path) {
    if (id.ino == 0) return path == job_path;
    auto mine = coord::IdentityOf(path);
    if (!mine.ok() || mine->ino != id.ino) return false;
    if (mine->size == id.size) return true;
    // A compressed (CCKD) image grows while it is written: its size is not
    // part of its identity.
    auto image = ckd::CkdImage::Open(path, false);
    return image.ok() && image->compressed();
  }

  // `h` with the source and target paths of this system: the target is the
  // image of the watched unit (the area was found beside it; its identity
  // must be the job's target), the source the image of the unit (other
  // than the watched one) that is the job's source file, returned in
  // `source`. nullopt when the watched image is not the job's target.
  std::optional<coord::Header> Localize(const Watched& w, const coord::Header& h, std::optional<uint16_t>* source) {
    if (!SameImage(w.image, h.target_id, h.target_path)) {
      log_->warn("{}: unit {}: the coordination area beside {} names another target image ({}); ignored",
                 sys_->name(), FormatDevnum(w.devnum), w.image, h.target_path);
      return std::nullopt;
    }
    coord::Header local = h;
    local.target_path = w.image;
    for (uint16_t dev : sys_->Devnums()) {
      if (dev == w.devnum) continue;
      auto s = sys_->Status(dev);
      if (s.ok() && SameImage(s->image_path, h.source_id, h.source_path)) {
        *source = dev;
        local.source_path = s->image_path;
      }
    }
    return local;
  }

  // Writes participant block `index` as DECLINED with `why`.
  void Decline(Watched& w, const coord::Header& h, uint32_t index, const std::string& why) {
    if (!w.area->TryLockParticipant(index).ok()) return;
    coord::ParticipantBlock b;
    b.index = index;
    b.job_id = h.job_id;
    b.state = coord::ParticipantState::kDeclined;
    b.pid = static_cast<uint32_t>(::getpid());
    b.system = sys_->name();
    b.serial = sys_->serial();
    b.note = why;
    b.updated_us = WallMicros();
    Status s = w.area->WriteParticipant(b);
    if (!s.ok()) log_->warn("{}: unit {}: declining: {}", sys_->name(), FormatDevnum(w.devnum), s.ToString());
    (void)w.area->UnlockParticipant(index);
  }

  void FollowIfSwapped(const coord::Header& h) {
    auto d = host::ReadDecision(engine::DecisionPath(h.target_path, h.job_id));
    if (!d.ok() || *d != host::Decision::kSwap) return;
    for (uint16_t dev : sys_->Devnums()) {
      auto s = sys_->Status(dev);
      if (!s.ok() || s->image_path != h.source_path || dev == h.target_devnum) continue;
      Status f = engine::FollowSwapWithoutParticipating(*sys_, dev, h.source_path, h.target_path);
      if (!f.ok()) log_->warn("{}: unit {}: following the swap: {}", sys_->name(), FormatDevnum(dev), f.ToString());
    }
  }

  void Start(Watched& w, const coord::Header& h, uint32_t index, uint16_t source) {
    auto p = std::make_unique<Participation>();
    Participation* raw = p.get();
    auto opts = std::make_shared<engine::ParticipantOptions>();
    opts->system = sys_.get();
    opts->source_devnum = source;
    opts->target_devnum = w.devnum;
    opts->in_job = false;
    opts->config_path = config_.path;
    opts->say = [this](const std::string& line) { rep_.Line(line); };
    opts->clock = o_.clock;
    ++active_;
    p->thread = std::thread([this, raw, opts, h, index] {
      auto r = engine::RunParticipant(h, index, *opts);
      if (!r.ok()) {
        rep_.Message("PAS274E", {{"system", sys_->name()}, {"reason", r.status().message()}});
        raw->failed = true;
      } else {
        raw->swapped = r->swapped;
        raw->failed = r->job_died && !r->swapped;
      }
      --active_;
      raw->finished.store(true);
    });
    w.current = std::move(p);
    w.current_job = h.job_id;
  }

  const host::SystemConfig& config_;
  const MonitorOptions& o_;
  report::Reporter& rep_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<host::System> sys_;
  std::vector<Watched> watched_;
  std::atomic<int> active_{0};
  int cc_ = report::kCcOk;
};

}  // namespace

int RunMonitor(const host::SystemConfig& config, const MonitorOptions& options) {
  if (options.reporter == nullptr) return report::kCcJobFailed;
  Monitor m(config, options);
  return m.Run();
}

}  // namespace pas::monitor
