#include "engine/job.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <thread>

#include "base/clock.h"
#include "base/format.h"
#include "base/fault_point.h"
#include "base/log.h"
#include "ckd/fresh.h"
#include "ckd/image.h"
#include "ckd/label.h"
#include "ckd/track.h"
#include "ckd/vtoc.h"
#include "coord/area.h"
#include "engine/copy_engine.h"
#include "engine/io_backend.h"
#include "engine/participant.h"
#include "host/decision.h"
#include "host/image_identity.h"
#include "host/online_registry.h"
#include "host/pacing.h"
#include "host/unit_table.h"

namespace pas::engine {
namespace {

using coord::JobState;
using coord::ParticipantState;
using host::FormatDevnum;

std::string TypeName(uint16_t t) { return FormatDevnum(t); }

uint64_t NewJobId() {
  std::random_device rd;
  uint64_t id = (uint64_t{rd()} << 32) ^ rd() ^ static_cast<uint64_t>(WallMicros());
  return id == 0 ? 1 : id;
}

// One MOUNT resolved against the system's units.
struct VolumeTask {
  statements::Mount mount;
  uint16_t source = 0;
  uint16_t target = 0;
  std::string error;  // the message issued when resolution failed, "" when resolved
  std::string config_path;  // this system's configuration file (rewritten after a SWAP)
};

struct UnitLabel {
  std::string image;
  std::string volser;
};

class VolumeJob {
 public:
  VolumeJob(const statements::Plan& plan, host::System& sys, const JobOptions& o, const VolumeTask& t)
      : plan_(plan), sys_(sys), o_(o), rep_(*o.reporter), t_(t), log_(Logger("engine")) {
    st_.function = statements::FunctionName(plan.function);
    st_.volser = t.mount.volser;
    st_.source_unit = FormatDevnum(t.source);
    st_.target_unit = FormatDevnum(t.target);
    st_.status = "FAILED";
    st_.condition_code = report::kCcVolumeFailed;
  }

  void Run() {
    start_us_ = o_.clock->NowMicros();
    cpu_start_ = CpuSeconds();
    rep_.Message("PAS200I", {{"function", st_.function}, {"volser", st_.volser},
                             {"source", st_.source_unit}, {"target", st_.target_unit}});
    EnterPhase("VALIDATE");
    bool ok = Validate();
    phases_.validate = Since(start_us_);
    if (ok) {
      if (plan_.function == statements::Function::kSimSwap) {
        Simulate();
      } else {
        Operate();
      }
    }
    if (own_thread_.joinable()) own_thread_.join();
    st_.elapsed_minutes = Since(start_us_) / 60.0;
    st_.cpu_seconds = std::max(copy_.cpu_seconds, CpuSeconds() - cpu_start_);
    if (o_.progress) o_.progress->Finish(st_.volser);
  }

  const report::VolumeStats& stats() const { return st_; }
  report::HistoryRecord History(const std::string& system) const {
    report::HistoryRecord r;
    r.time = o_.clock->WallSeconds();
    r.system = system;
    r.volser = st_.volser;
    r.function = st_.function;
    r.status = st_.status;
    r.condition_code = st_.condition_code;
    r.source_unit = st_.source_unit;
    r.target_unit = st_.target_unit;
    r.phases = phases_;
    r.tracks_copied = st_.tracks_swapped;
    r.tracks_recopied = st_.tracks_recopied;
    r.passes = st_.passes;
    r.longest_pause_ms = st_.longest_pause_ms;
    r.copy_rate_mbps = copy_rate_mbps_;
    r.message = failure_;
    return r;
  }

 private:
  // ---------------------------------------------------------------- helpers
  double Since(int64_t us) const { return static_cast<double>(o_.clock->NowMicros() - us) / 1e6; }

  static double CpuSeconds() {
    struct rusage ru;
    if (::getrusage(RUSAGE_THREAD, &ru) != 0) return 0;
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  }

  // Fails the volume before anything was written.
  bool Reject(std::string_view id, std::initializer_list<report::Arg> args) {
    failure_ = rep_.Message(id, args);
    return false;
  }

  // Progress within a phase (`phase_start`: the phase or pass begins; no
  // PAS250I then, the views outside the job are told at once).
  void Progress(const std::string& phase, uint64_t done, uint64_t total, uint64_t dirty,
                bool phase_start = false) {
    if (!o_.progress) return;
    report::VolumeProgress p;
    p.volser = st_.volser;
    p.source_unit = st_.source_unit;
    p.target_unit = st_.target_unit;
    p.phase = phase;
    p.pass = phase_start ? st_.passes : std::max<uint32_t>(1, st_.passes);
    p.tracks_done = done;
    p.tracks_total = total;
    p.dirty_tracks = dirty;
    p.bytes_done = copy_.bytes_read + pass_bytes_;
    if (phase_start) {
      o_.progress->Phase(p);
    } else {
      o_.progress->Update(p);
    }
  }
  // A phase without a track count of its own (VALIDATE, JOIN, VERIFY,
  // QUIESCE, COMMIT, SWAP, RESUME, ABORT).
  void EnterPhase(const std::string& phase) {
    phase_ = phase;
    pass_total_ = 0;
    Progress(phase, 0, 0, 0, true);
  }

  // --------------------------------------------------------------- validate
  bool Validate() {
    auto ss = sys_.Status(t_.source);
    if (!ss.ok()) return Reject("PAS208E", {{"unit", st_.source_unit}, {"reason", ss.status().message()}});
    if (!ss->online) {
      return Reject("PAS209E", {{"source", st_.source_unit}, {"volser", st_.volser}, {"system", sys_.name()}});
    }
    source_path_ = ss->image_path;
    auto ts = sys_.Status(t_.target);
    if (!ts.ok()) return Reject("PAS208E", {{"unit", st_.target_unit}, {"reason", ts.status().message()}});
    target_path_ = ts->image_path;
    auto src = ckd::CkdImage::Open(source_path_, /*writable=*/false);
    if (!src.ok()) return Reject("PAS208E", {{"unit", st_.source_unit}, {"reason", src.status().message()}});
    auto tgt = ckd::CkdImage::Open(target_path_, /*writable=*/false);
    if (!tgt.ok()) return Reject("PAS208E", {{"unit", st_.target_unit}, {"reason", tgt.status().message()}});
    st_.cylinders = src->cylinders();
    st_.device_type = TypeName(src->geometry().device_type);
    const std::string scyl = std::to_string(src->cylinders()), tcyl = std::to_string(tgt->cylinders());
    if (source_path_ == target_path_) {
      return Reject("PAS313E", {{"volser", st_.volser}, {"unit", st_.target_unit}});
    }
    if (auto shared = host::ImagesOverlap(target_path_, source_path_)) {
      return Reject("PAS280E", {{"target", st_.target_unit}, {"target_image", target_path_},
                                {"source", st_.source_unit}, {"source_image", source_path_},
                                {"target_file", shared->a_file}, {"source_file", shared->b_file}});
    }
    if (src->geometry().device_type != tgt->geometry().device_type ||
        src->slot_size() != tgt->slot_size()) {
      return Reject("PAS207E", {{"source", st_.source_unit}, {"source_type", TypeName(src->geometry().device_type)},
                                {"target", st_.target_unit}, {"target_type", TypeName(tgt->geometry().device_type)}});
    }
    if (tgt->cylinders() < src->cylinders()) {
      return Reject("PAS202E", {{"target", st_.target_unit}, {"source", st_.source_unit},
                                {"target_cyls", tcyl}, {"source_cyls", scyl}});
    }
    if (tgt->cylinders() > src->cylinders() && !plan_.larger_size_ok) {
      return Reject("PAS203E", {{"target", st_.target_unit}, {"source", st_.source_unit},
                                {"target_cyls", tcyl}, {"source_cyls", scyl}});
    }
    if (src->tracks() > coord::kMaxTracks || tgt->tracks() > coord::kMaxTracks) {
      return Reject("PAS208E", {{"unit", st_.target_unit}, {"reason", "volume larger than 65536 cylinders"}});
    }
    if (ts->online) return Reject("PAS204E", {{"target", st_.target_unit}, {"system", sys_.name()}});
    auto tonline = host::ListOnlineSystems(target_path_);
    if (!tonline.ok()) {
      return Reject("PAS205E", {{"target", st_.target_unit}, {"reason", tonline.status().message()}});
    }
    if (!tonline->empty()) {
      for (const auto& s : *tonline) rep_.Message("PAS204E", {{"target", st_.target_unit}, {"system", s.name}});
      failure_ = "target online";
      return false;
    }
    auto area = coord::CoordinationArea::Open(target_path_, coord::CoordinationArea::Mode::kReadOnly);
    if (area.ok() && (area->JobAlive() || area->AnyParticipantAlive())) {
      return Reject("PAS205E", {{"target", st_.target_unit}, {"reason", "another swap job is using it"}});
    }
    auto marker = host::ReadMarker(source_path_);
    if (marker.ok() && marker->frozen) {
      auto d = host::ReadDecision(marker->decision_path);
      if (d.ok() && *d == host::Decision::kNone && !FrozenJobAlive(*marker)) {
        // The job that froze the source died before any decision and no
        // participant was left to record one: it can never commit.
        d = host::Decide(marker->decision_path, host::Decision::kSource);
        log_->warn("{}: the swap job that froze the source died undecided; recorded {}", st_.volser,
                   d.ok() ? host::DecisionName(*d) : d.status().ToString());
      }
      if (d.ok() && *d == host::Decision::kNone) {
        return Reject("PAS205E", {{"target", st_.target_unit},
                                  {"reason", "a swap of the source volume is in progress"}});
      }
    }
    if (plan_.check_target) {
      auto label = ckd::ReadVolumeLabel(*tgt);
      if (label.ok()) {
        auto vtoc = ckd::ReadVtoc(*tgt);
        bool empty = vtoc.ok() && vtoc->datasets.empty();
        if (!empty) {
          return Reject("PAS206E", {{"target", st_.target_unit}, {"target_volser", label->volser}});
        }
      }
    }
    source_cyls_ = src->cylinders();
    target_cyls_ = tgt->cylinders();
    target_id_ = FileId(target_path_);
    // Every other system finds its units for the source and the target by
    // these identities, under its own mount path (doc/multi-machine.md).
    auto sid = coord::IdentityOf(source_path_);
    auto tid = coord::IdentityOf(target_path_);
    if (!sid.ok()) return Reject("PAS208E", {{"unit", st_.source_unit}, {"reason", sid.status().message()}});
    if (!tid.ok()) return Reject("PAS208E", {{"unit", st_.target_unit}, {"reason", tid.status().message()}});
    source_identity_ = *sid;
    target_identity_ = *tid;
    tgt_compressed_ = tgt->compressed();
    rep_.Message("PAS201I", {{"target", st_.target_unit}, {"volser", st_.volser},
                             {"device_type", st_.device_type}, {"target_cyls", tcyl}, {"source_cyls", scyl}});
    return true;
  }

  // True when the job whose decision record `m` names still holds its
  // coordination area (the area of the frozen target, with that job id).
  static bool FrozenJobAlive(const host::RegistryMarker& m) {
    auto area = coord::CoordinationArea::Open(m.target_image, coord::CoordinationArea::Mode::kReadOnly);
    if (!area.ok() || !area->JobAlive()) return false;
    auto h = area->ReadHeader();
    return !h.ok() || DecisionPath(m.target_image, h->job_id) == m.decision_path;
  }

  // --------------------------------------------------------------- SIMSWAP
  void Simulate() {
    rep_.Message("PAS260I", {{"volser", st_.volser}, {"source", st_.source_unit},
                             {"source_type", st_.device_type}, {"source_cyls", std::to_string(source_cyls_)},
                             {"target", st_.target_unit}, {"target_type", st_.device_type},
                             {"target_cyls", std::to_string(target_cyls_)}});
    std::vector<coord::WatcherSlot> watchers;
    auto area = coord::CoordinationArea::Open(target_path_, coord::CoordinationArea::Mode::kReadOnly);
    if (area.ok()) watchers = area->LiveWatchers();
    auto online = host::ListOnlineSystems(source_path_);
    if (!online.ok()) {
      rep_.Message("PAS264E", {{"volser", st_.volser}});
      failure_ = online.status().message();
      return;
    }
    int cc = report::kCcOk;
    for (const auto& s : *online) {
      if (s.name == sys_.name()) {
        rep_.Message("PAS261I", {{"volser", st_.volser}, {"system", s.name}, {"source", FormatDevnum(s.devnum)},
                                 {"state", "NOT NEEDED (THE JOB RUNS HERE)"}});
        continue;
      }
      bool up = std::any_of(watchers.begin(), watchers.end(),
                            [&](const coord::WatcherSlot& w) { return w.system == s.name; });
      if (plan_.IsExcluded(s.name) && s.live) {
        rep_.Message("PAS226E", {{"system", s.name}, {"volser", st_.volser}});
        cc = report::kCcVolumeFailed;
      } else if (plan_.IsExcluded(s.name)) {
        rep_.Message("PAS225I", {{"system", s.name}, {"volser", st_.volser}});
      } else if (up) {
        rep_.Message("PAS261I", {{"volser", st_.volser}, {"system", s.name}, {"source", FormatDevnum(s.devnum)},
                                 {"state", "UP"}});
      } else {
        rep_.Message("PAS262W", {{"volser", st_.volser}, {"system", s.name}, {"source", FormatDevnum(s.devnum)}});
        cc = std::max(cc, report::kCcWarning);
      }
    }
    if (cc >= report::kCcVolumeFailed) {
      rep_.Message("PAS264E", {{"volser", st_.volser}});
      failure_ = "SIMSWAP found errors";
      st_.condition_code = cc;
      return;
    }
    rep_.Message("PAS265I", {{"volser", st_.volser}});
    st_.status = "SIMULATED";
    st_.condition_code = cc;
  }

  // ------------------------------------------------- SWAP, SWAPDUMP, SIMSWAPMON
  void Operate() {
    if (!Announce()) return;
    swap_start_us_ = o_.clock->NowMicros();
    int64_t t = o_.clock->NowMicros();
    EnterPhase("JOIN");
    bool ok = Join();
    phases_.join = Since(t);
    if (ok && plan_.function == statements::Function::kSimSwapMon) {
      FinishSimSwapMon();
      return;
    }
    if (ok) ok = !Cancelled() && CopyPass();
    if (ok) ok = !Cancelled() && RecopyPasses();
    if (ok) ok = !Cancelled() && LastRecopyPass();
    if (ok) ok = !Cancelled() && QuiesceAndFinalCopy();
    if (ok) ok = !Cancelled() && Commit();
    if (!ok) {
      Abort();
      return;
    }
    Complete();
  }

  Status WriteHeader(JobState state) {
    header_.state = state;
    header_.updated_us = WallMicros();
    return area_->WriteHeader(header_);
  }

  // True (after PAS282E) when the operator cancelled this volume or the
  // job: a signal to `pas run`, or a `pas cancel` request. Called between
  // steps before the commit, and while waiting for joins; the caller then
  // fails the volume through Abort (every system back on the source).
  bool Cancelled() {
    if (cancelled_) return true;
    std::string by;
    if (o_.cancel != nullptr && o_.cancel->load()) {
      const int sig = o_.cancel_signal != nullptr ? o_.cancel_signal->load() : 0;
      by = sig == SIGINT ? "SIGNAL SIGINT" : sig == SIGTERM ? "SIGNAL SIGTERM" : "SIGNAL " + std::to_string(sig);
    } else if (!o_.cancel_dir.empty() && WallMicros() - last_cancel_poll_us_ >= 200'000) {
      last_cancel_poll_us_ = WallMicros();
      for (const std::string& name : {st_.volser, "JOB-" + std::to_string(::getpid())}) {
        struct stat st {};
        const std::string path = o_.cancel_dir + "/" + name;
        if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            int64_t{st.st_mtime} * 1'000'000 >= job_start_wall_us_ - 1'000'000) {
          by = "PAS CANCEL (" + name + ")";
          cancel_request_ = path;
          break;
        }
      }
    }
    if (by.empty()) return false;
    cancelled_ = true;
    failure_ = rep_.Message("PAS282E", {{"volser", st_.volser}, {"by", by}});
    st_.status = "CANCELLED";
    return true;
  }

  bool Announce() {
    auto area = coord::CoordinationArea::Open(target_path_, coord::CoordinationArea::Mode::kCreate);
    if (!area.ok()) return Reject("PAS205E", {{"target", st_.target_unit}, {"reason", area.status().message()}});
    area_.emplace(std::move(area).value());
    Status s = area_->TryLockJob();
    if (!s.ok()) return Reject("PAS205E", {{"target", st_.target_unit}, {"reason", "another swap job holds it"}});
    if (area_->AnyParticipantAlive()) {
      return Reject("PAS205E", {{"target", st_.target_unit}, {"reason", "a system is still following a swap"}});
    }
    header_.job_id = NewJobId();
    decision_path_ = DecisionPath(target_path_, header_.job_id);
    s = area_->ClearParticipants();
    if (s.ok()) s = host::FreezeRegistry(source_path_, decision_path_, target_path_);
    if (!s.ok()) return Reject("PAS205E", {{"target", st_.target_unit}, {"reason", s.message()}});
    announced_ = true;
    // From the freeze on, a system that was not yet using the source waits
    // for the decision before it can; the list below is complete.
    auto online = host::ListOnlineSystems(source_path_);
    if (!online.ok()) {
      failure_ = rep_.Message("PAS240E", {{"volser", st_.volser}, {"reason", online.status().message()}});
      Abort();
      return false;
    }
    // Every system that has the source online is expected, whether or not
    // a process of it runs now: online is a fact on the storage.
    std::vector<std::string> expected;
    for (const auto& ex : plan_.excludes) {
      auto it = std::find_if(online->begin(), online->end(),
                             [&](const host::OnlineSystem& o) { return o.name == ex.system; });
      if (it != online->end() && it->live) {
        failure_ = rep_.Message("PAS226E", {{"system", ex.system}, {"volser", st_.volser}});
        Abort();
        return false;
      }
      // A stale registration (no live process): dropped for good.
      if (it != online->end()) {
        Status m = host::MarkSystemOffline(source_path_, ex.system);
        if (!m.ok()) log_->warn("{}: dropping the registration of {}: {}", st_.volser, ex.system, m.ToString());
      }
      rep_.Message("PAS225I", {{"system", ex.system}, {"volser", st_.volser}});
    }
    for (const auto& sys : *online) {
      if (plan_.IsExcluded(sys.name)) continue;
      if (std::find(expected.begin(), expected.end(), sys.name) == expected.end()) expected.push_back(sys.name);
    }
    if (expected.size() > coord::kMaxParticipants) {
      failure_ = rep_.Message("PAS240E", {{"volser", st_.volser}, {"reason", "more than 32 systems"}});
      Abort();
      return false;
    }
    auto src = ckd::CkdImage::Open(source_path_, false);
    if (!src.ok()) {
      failure_ = rep_.Message("PAS208E", {{"unit", st_.source_unit}, {"reason", src.status().message()}});
      Abort();
      return false;
    }
    header_.function = plan_.function == statements::Function::kSwap       ? coord::JobFunction::kSwap
                       : plan_.function == statements::Function::kSwapDump ? coord::JobFunction::kSwapDump
                                                                           : coord::JobFunction::kSimSwapMon;
    header_.tracks = src->tracks();
    header_.cylinders = src->cylinders();
    header_.heads = static_cast<uint16_t>(src->geometry().heads);
    header_.device_type = src->geometry().device_type;
    header_.source_devnum = t_.source;
    header_.target_devnum = t_.target;
    header_.job_pid = static_cast<uint32_t>(::getpid());
    header_.created_us = WallMicros();
    header_.volser = st_.volser;
    header_.job_system = sys_.name();
    header_.expected = expected;
    header_.source_path = source_path_;
    header_.target_path = target_path_;
    header_.source_id = source_identity_;
    header_.target_id = target_identity_;
    s = WriteHeader(JobState::kAnnounced);
    if (!s.ok()) {
      failure_ = rep_.Message("PAS240E", {{"volser", st_.volser}, {"reason", s.message()}});
      Abort();
      return false;
    }
    rep_.Message("PAS220I", {{"volser", st_.volser}, {"target", st_.target_unit},
                             {"count", std::to_string(expected.size())}});
    FaultPoint("job.announce");
    int own = header_.ParticipantIndex(sys_.name());
    if (own >= 0) StartOwnParticipant(static_cast<uint32_t>(own));
    return true;
  }

  void StartOwnParticipant(uint32_t index) {
    own_opts_.system = &sys_;
    own_opts_.source_devnum = t_.source;
    own_opts_.target_devnum = t_.target;
    own_opts_.in_job = true;
    own_opts_.config_path = t_.config_path;
    own_opts_.say = [this](const std::string& line) { rep_.FormattedMessage(line); };
    own_opts_.clock = o_.clock;
    own_index_ = static_cast<int>(index);
    own_thread_ = std::thread([this, index, header = header_] {
      auto r = RunParticipant(header, index, own_opts_);
      if (!r.ok()) log_->error("{}: this system's part in the swap: {}", st_.volser, r.status().ToString());
    });
  }

  // The participant block of `i` for this job, if written.
  std::optional<coord::ParticipantBlock> Block(uint32_t i, Status* err) {
    auto b = area_->ReadParticipant(i);
    if (!b.ok()) {
      if (!b.status().IsNotFound()) *err = b.status();
      return std::nullopt;
    }
    if (b->job_id != header_.job_id) return std::nullopt;
    return std::move(b).value();
  }

  std::string Names(const std::vector<uint32_t>& idx) const {
    std::string s;
    for (uint32_t i : idx) s += (s.empty() ? "" : ",") + header_.expected[i];
    return s;
  }

  bool Join() {
    const size_t n = header_.expected.size();
    active_.assign(n, false);
    std::vector<bool> dropped(n, false);
    const int64_t start = o_.clock->NowMicros();
    int64_t deadline = start + o_.join_timeout_us;
    const int64_t stop_at = start + int64_t{plan_.stop_after_minutes} * 60'000'000;
    int64_t last_registry_check = 0;
    int retry = 0;
    for (;;) {
      std::vector<uint32_t> missing;
      for (uint32_t i = 0; i < n; ++i) {
        if (active_[i] || dropped[i]) continue;
        Status err;
        auto b = Block(i, &err);
        if (!err.ok()) {
          failure_ = rep_.Message("PAS240E", {{"volser", st_.volser}, {"reason", err.message()}});
          return false;
        }
        if (b && b->state == ParticipantState::kDeclined) {
          failure_ = rep_.Message("PAS240E", {{"volser", st_.volser},
                                              {"reason", "SYSTEM " + b->system + " DECLINED: " + b->note}});
          return false;
        }
        if (b) {
          active_[i] = true;
          if (b->system != sys_.name()) {
            rep_.Message("PAS233I", {{"system", b->system}, {"serial", b->serial.empty() ? "NONE" : b->serial},
                                     {"volser", st_.volser}, {"source", FormatDevnum(b->source_devnum)},
                                     {"target", FormatDevnum(b->target_devnum)}});
          }
          continue;
        }
        missing.push_back(i);
      }
      for (uint32_t i = 0; i < n; ++i) {
        if (active_[i] && !area_->ParticipantAlive(i)) {
          Status err;
          auto b = Block(i, &err);
          if (!b || b->state != ParticipantState::kLeft) {
            failure_ = rep_.Message("PAS245E", {{"system", header_.expected[i]}, {"volser", st_.volser}});
            return false;
          }
        }
      }
      if (missing.empty()) break;
      if (Cancelled()) return false;
      int64_t now = o_.clock->NowMicros();
      if (now - last_registry_check > 100'000) {
        // A system whose every process with the source online died can no
        // longer write it; it is not waited for (and cannot come back
        // without following the decision: the registry is frozen).
        last_registry_check = now;
        auto online = host::ListOnlineSystems(source_path_);
        if (online.ok()) {
          for (uint32_t i : missing) {
            bool live = std::any_of(online->begin(), online->end(),
                                    [&](const host::OnlineSystem& s) { return s.name == header_.expected[i]; });
            if (!live) {
              dropped[i] = true;
              log_->info("{}: system {} no longer has the source online; not waited for", st_.volser,
                         header_.expected[i]);
            }
          }
        }
      }
      if (now >= stop_at) {
        failure_ = rep_.Message("PAS224E", {{"volser", st_.volser},
                                            {"minutes", std::to_string(plan_.stop_after_minutes)}});
        return false;
      }
      if (now >= deadline) {
        ++retry;
        switch (plan_.nonresponding) {
          case statements::NonResponding::kFail:
            failure_ = rep_.Message("PAS222E", {{"systems", Names(missing)}, {"volser", st_.volser},
                                                {"seconds", std::to_string(o_.join_timeout_us / 1'000'000)}});
            return false;
          case statements::NonResponding::kRetry:
            rep_.Message("PAS223W", {{"count", std::to_string(missing.size())}, {"volser", st_.volser},
                                     {"retry", std::to_string(retry)}});
            break;
          case statements::NonResponding::kMsg:
            rep_.Message("PAS221W", {{"systems", Names(missing)}, {"volser", st_.volser},
                                     {"retry", std::to_string(retry)}});
            break;
        }
        (void)WriteHeader(JobState::kAnnounced);  // announce again
        deadline = now + o_.join_timeout_us;
      }
      o_.clock->SleepMicros(o_.poll_us);
    }
    FaultPoint("job.join");
    return true;
  }

  // Asks every active participant for a handover (and to quiesce when
  // `quiesce`), waits for all acknowledgements and returns the union.
  std::optional<ckd::TrackSet> Handover(bool quiesce) {
    header_.harvest_seq++;
    if (quiesce) header_.quiesce_seq = 1;
    Status s = WriteHeader(quiesce ? JobState::kQuiesce : JobState::kRecopy);
    if (!s.ok()) {
      failure_ = rep_.Message("PAS240E", {{"volser", st_.volser}, {"reason", s.message()}});
      return std::nullopt;
    }
    const int64_t deadline = o_.clock->NowMicros() + o_.quiesce_timeout_us;
    ckd::TrackSet all(header_.tracks);
    std::vector<bool> done(active_.size(), false);
    for (;;) {
      bool waiting = false;
      for (uint32_t i = 0; i < active_.size(); ++i) {
        if (!active_[i] || done[i]) continue;
        Status err;
        auto b = Block(i, &err);
        if (!err.ok()) {
          failure_ = rep_.Message("PAS240E", {{"volser", st_.volser}, {"reason", err.message()}});
          return std::nullopt;
        }
        if (b && b->state == ParticipantState::kDeclined) {
          failure_ = rep_.Message("PAS240E", {{"volser", st_.volser},
                                              {"reason", "SYSTEM " + b->system + " DECLINED: " + b->note}});
          return std::nullopt;
        }
        bool acked = b && b->harvest_ack >= header_.harvest_seq &&
                     (!quiesce || (b->state == ParticipantState::kQuiesced && b->quiesce_ack >= header_.quiesce_seq));
        if (acked) {
          auto words = area_->ReadBitmap(i, header_.tracks, b->bitmap_crc);
          if (!words.ok()) {
            failure_ = rep_.Message("PAS240E", {{"volser", st_.volser}, {"reason", words.status().message()}});
            return std::nullopt;
          }
          for (size_t w = 0; w < words->size(); ++w) {
            uint64_t bits = (*words)[w];
            while (bits) {
              int b0 = __builtin_ctzll(bits);
              all.Set(static_cast<uint32_t>(w * 64 + b0));
              bits &= bits - 1;
            }
          }
          done[i] = true;
          continue;
        }
        if (!area_->ParticipantAlive(i)) {
          failure_ = rep_.Message("PAS245E", {{"system", header_.expected[i]}, {"volser", st_.volser}});
          return std::nullopt;
        }
        waiting = true;
      }
      if (!waiting) break;
      if (o_.clock->NowMicros() > deadline) {
        std::vector<uint32_t> late;
        for (uint32_t i = 0; i < active_.size(); ++i)
          if (active_[i] && !done[i]) late.push_back(i);
        failure_ = rep_.Message("PAS240E", {{"volser", st_.volser},
                                            {"reason", std::string(quiesce ? "NOT EVERY SYSTEM QUIESCED IN TIME"
                                                                           : "NOT EVERY SYSTEM HANDED OVER IN TIME") +
                                                           " (" + Names(late) + ")"}});
        return std::nullopt;
      }
      o_.clock->SleepMicros(o_.poll_us);
    }
    return all;
  }

  // Copies `set`; a failed copy of a track written concurrently goes to
  // `pending_` for the next pass (at most a few times), a write failure or a
  // failure while quiesced fails the volume.
  bool CopySet(CopyEngine& engine, const ckd::TrackSet& set, bool final_pass) {
    auto r = engine.CopyTracks(set);
    if (!r.ok() && o_.cancel != nullptr && o_.cancel->load() && Cancelled()) return false;
    if (r.ok()) {
      copy_ += *r;
      pass_bytes_ = 0;
      return true;
    }
    if (!final_pass && r.status().IsCorruption() && ++copy_retries_ <= 3) {
      log_->warn("{}: {}; retried in the next pass", st_.volser, r.status().ToString());
      engine.not_copied().ForEach([&](uint32_t t) { pending_.Set(t); });
      return true;
    }
    failure_ = rep_.Message("PAS240E", {{"volser", st_.volser}, {"reason", r.status().message()}});
    return false;
  }

  bool OpenCopy() {
    auto src = ckd::CkdImage::Open(source_path_, /*writable=*/false);
    auto tgt = src.ok() ? ckd::CkdImage::Open(target_path_, /*writable=*/true) : Result<ckd::CkdImage>(src.status());
    if (!tgt.ok()) {
      failure_ = rep_.Message("PAS240E", {{"volser", st_.volser}, {"reason", tgt.status().message()}});
      return false;
    }
    src_.emplace(std::move(src).value());
    tgt_.emplace(std::move(tgt).value());
    backend_ = MakeAutoBackend(o_.queue_depth);
    CopyOptions co;
    co.queue_depth = o_.queue_depth;
    co.tracks_per_request = src_->geometry().heads;
    co.label = st_.volser;
    // Every write is read back from the device and its CRC compared with
    // what was written (doc/copy-engine.md, "Read-back verification"): a
    // target that does not keep what is written to it fails the volume.
    co.verify_writes = true;
    // The first pass writes runs aligned to 4 KiB with O_DIRECT and reads
    // each back as soon as it is written (doc/copy-engine.md, "Direct
    // writes"); CopyPass turns this off for the passes after it.
    co.direct_writes = true;
    co.cancel = o_.cancel;
    co.progress = [this](uint64_t done) {
      pass_bytes_ = done * src_->slot_size();
      Progress(phase_, done, pass_total_, 0);
    };
    engine_ = std::make_unique<CopyEngine>(*src_, *tgt_, *backend_, co);
    pending_ = ckd::TrackSet(src_->tracks());
    return true;
  }

  // One more handover and recopy before the quiesce, then the target is
  // synced: the sync under the quiesce only has the final tracks to write,
  // so the final copy stays as small as the recopy passes left it. Every
  // write of every pass is read back by the engine (verify_writes).
  bool LastRecopyPass() {
    // Writers already paced are paced at the largest step for this last
    // pass: what they write during it and its sync is the final copy under
    // the quiesce. At 1.5 ms per write the pause at 120 % of the copy
    // bandwidth reached 40-54 ms; at 5 ms it was 16-22 ms
    // (doc/swap-protocol.md §6). Writers never paced stay unpaced.
    if (header_.pace_us != 0 && header_.pace_us < host::kMaxPaceUs) {
      log_->info("{}: writers paced at {} us per write for the last pass", st_.volser, host::kMaxPaceUs);
      header_.pace_us = host::kMaxPaceUs;  // written with the handover request below
      st_.pace_us = std::max(st_.pace_us, header_.pace_us);
    }
    auto set = Handover(false);
    if (!set) return false;
    pending_.ForEach([&](uint32_t tr) { set->Set(tr); });
    pending_ = ckd::TrackSet(src_->tracks());
    const uint32_t n = set->Count();
    rep_.Message("PAS232I", {{"pass", std::to_string(st_.passes + 1)}, {"volser", st_.volser},
                             {"tracks", report::FormatThousands(n)}});
    // Flush what is copied before the quiesce now, so the sync under the
    // quiesce only has the final tracks to write.
    if (n == 0) {
      (void)engine_->SyncTarget();
      ReportRecopyEnd();
      return true;
    }
    phase_ = "RECOPY";
    pass_total_ = n;
    st_.passes++;
    Progress(phase_, 0, n, 0, true);
    if (!CopySet(*engine_, *set, false)) return false;
    copied_tracks_ += n;
    recopied_tracks_ += n;
    (void)engine_->SyncTarget();
    ReportRecopyEnd();
    return true;
  }

  bool CopyPass() {
    int64_t t = o_.clock->NowMicros();
    if (!OpenCopy()) return false;
    (void)WriteHeader(JobState::kCopy);
    // The VTOC may be rewritten by a system while we read it: re-read a
    // few times; without a readable VTOC every track is copied.
    Result<ckd::Vtoc> vtoc = Status::NotFound("");
    for (int i = 0; i < 3 && !vtoc.ok(); ++i) vtoc = ckd::ReadVtoc(*src_);
    ckd::TrackSet to_copy(src_->tracks());
    if (vtoc.ok()) {
      to_copy = ckd::TracksToCopy(*vtoc, src_->tracks());
      st_.datasets_processed = vtoc->datasets.size();
    } else {
      log_->warn("{}: VTOC unreadable ({}); copying every track", st_.volser, vtoc.status().ToString());
      to_copy.SetAll();
    }
    // A target `pas volume init` made and nothing wrote since (its marker
    // still matches the file: ckd/fresh.h) already holds an empty track
    // from cylinder 1 on: only cylinder 0 is formatted there. The marker
    // is removed before the first write, whatever it said.
    const bool fresh = ckd::IsFreshlyFormatted(*tgt_);
    if (Status c = ckd::ClearFreshlyFormatted(*tgt_); !c.ok()) {
      failure_ = rep_.Message("PAS240E", {{"volser", st_.volser}, {"reason", c.message()}});
      return false;
    }
    const uint32_t format_end = fresh ? tgt_->geometry().heads : tgt_->tracks();
    ckd::TrackSet to_format(tgt_->tracks());
    uint64_t already_empty = 0;
    for (uint32_t i = 0; i < tgt_->tracks(); ++i) {
      if (i < src_->tracks() && to_copy.Test(i)) continue;
      if (i < format_end) {
        to_format.Set(i);
      } else {
        ++already_empty;
      }
    }
    const uint32_t n = to_copy.Count();
    rep_.Message("PAS230I", {{"volser", st_.volser}, {"tracks", report::FormatThousands(n)}});
    phase_ = "COPY";
    pass_total_ = n;
    st_.passes = 1;
    Progress(phase_, 0, n, 0, true);
    CopyStats before = copy_;
    // Copy less: a target that already carries this volume's label is most
    // likely an earlier copy of it (a SWAPDUMP, an interrupted swap): the
    // first pass reads each target run and writes only the tracks that
    // differ (doc/copy-engine.md, "Copy less"). The target is offline and
    // ours alone (byte-0 lock of its coordination area), so nothing changes
    // it between the compare and the skip. Later passes always write.
    auto tlabel = ckd::ReadVolumeLabel(*tgt_);
    const bool skip = tlabel.ok() && tlabel->volser == st_.volser;
    if (skip) log_->info("{}: the target holds a copy of the volume; equal tracks are not rewritten", st_.volser);
    engine_->set_skip_equal(skip);
    if (!CopySet(*engine_, to_copy, false)) return false;
    const auto format_start = o_.clock->NowMicros();
    auto f = engine_->FormatTracks(to_format);
    engine_->set_skip_equal(false);
    if (!f.ok()) {
      failure_ = rep_.Message("PAS240E", {{"volser", st_.volser}, {"reason", f.status().message()}});
      return false;
    }
    rep_.Message("PAS249I",
                 {{"volser", st_.volser},
                  {"formatted", report::FormatThousands(f->tracks_formatted)},
                  {"seconds", FormatFixed(Since(format_start), 2)},
                  {"empty", report::FormatThousands(already_empty)}});
    copy_ += *f;
    copy_.tracks_skipped += already_empty;
    copied_tracks_ += n;
    double secs = std::max(1e-6, Since(t));
    copy_rate_mbps_ = static_cast<double>(copy_.bytes_read - before.bytes_read) / 1e6 / secs;
    rep_.Message("PAS231I", {{"volser", st_.volser}, {"tracks", report::FormatThousands(n)},
                             {"seconds", FormatFixed(secs, 2)}, {"rate", FormatFixed(copy_rate_mbps_, 1)}});
    phases_.copy = Since(t);
    // The recopy passes write through the page cache again: what they copy
    // is what the final copy under the quiesce writes over, and a buffered
    // write there then finds its partial blocks cached instead of reading
    // them inside the pause (doc/copy-engine.md, "Direct writes").
    engine_->set_direct_writes(false);
    FaultPoint("job.copy");
    return true;
  }

  // The recopy passes and the convergence policy (doc/swap-protocol.md,
  // "Convergence"). A pass that does not halve the dirty set, or any of the
  // last passes before kMaxRecopyPasses, while copying the set takes longer
  // than the pause budget, paces the writers (every participant adds
  // pace_us after each write, raised step by step up to host::kMaxPaceUs).
  // The loop ends when the set is small (kConvergedTracks), empty, no
  // longer halving but within the budget, still not halving at the largest
  // pace, or after kMaxRecopyPasses; the final copy under quiesce is
  // bounded by the last set either way.
  bool RecopyPasses() {
    int64_t t = o_.clock->NowMicros();
    uint32_t previous = UINT32_MAX;
    int pass = 1;
    std::string why = "PASS LIMIT";
    for (; pass <= kMaxRecopyPasses; ++pass) {
      if (Cancelled()) return false;
      auto set = Handover(false);
      if (!set) return false;
      pending_.ForEach([&](uint32_t tr) { set->Set(tr); });
      pending_ = ckd::TrackSet(src_->tracks());
      const uint32_t n = set->Count();
      rep_.Message("PAS232I", {{"pass", std::to_string(st_.passes + 1)}, {"volser", st_.volser},
                               {"tracks", report::FormatThousands(n)}});
      if (n == 0) {
        why = "NO UPDATES";
        break;
      }
      phase_ = "RECOPY";
      pass_total_ = n;
      st_.passes++;
      Progress(phase_, 0, n, 0, true);
      const int64_t copy_start = o_.clock->NowMicros();
      if (!CopySet(*engine_, *set, false)) return false;
      const int64_t copy_us = o_.clock->NowMicros() - copy_start;
      copied_tracks_ += n;
      recopied_tracks_ += n;
      FaultPoint("job.recopy");
      if (n <= kConvergedTracks) {
        why = "FEW UPDATES";
        break;
      }
      // Converging too slowly: the set did not halve (the writers dirtied
      // at least half as many tracks as the pass copied, in the time it
      // took), or the passes are running out while a pass still takes
      // longer than the pause budget. A set that copies within the budget
      // (a small hot area) goes to the final copy and nobody is slowed;
      // a larger one paces the writers, step by step, so that the last
      // passes shrink it below the budget instead of the pass limit
      // handing a large final copy to the quiesce.
      const bool halved = previous == UINT32_MAX || uint64_t{n} * 2 <= uint64_t{previous};
      const bool running_out = pass >= kMaxRecopyPasses - 3;
      if (!halved || running_out) {
        if (copy_us <= kFinalCopyBudgetUs) {
          if (!halved) {
            why = "SET STOPPED SHRINKING; ITS COPY TAKES " + FormatFixed(copy_us / 1000.0, 1) + " MS";
            break;
          }
        } else {
          uint32_t next = NextPace(header_.pace_us);
          if (next == header_.pace_us) {
            if (!halved) {
              log_->info("{}: dirty set stopped shrinking at pass {} ({} tracks) at the largest pace", st_.volser,
                         pass, n);
              why = "SET STOPPED SHRINKING AT THE LARGEST PACE";
              break;
            }
          } else {
            header_.pace_us = next;  // written with the next handover request
            st_.pace_us = std::max(st_.pace_us, next);
            rep_.Message("PAS238I", {{"volser", st_.volser}, {"pass", std::to_string(st_.passes)},
                                     {"tracks", report::FormatThousands(n)}, {"pace_ms", FormatFixed(next / 1000.0, 2)}});
          }
        }
      }
      previous = n;
    }
    recopy_end_ = why;
    phases_.recopy = Since(t);
    return true;
  }

  // PAS247I once the passes before the quiesce are done: how many (every
  // pass so far, the first copy pass included, as PAS232I, PAS250I and the
  // PASSES statistic number them; the final copy is the next), why the
  // recopy stopped, and the pace.
  void ReportRecopyEnd() {
    rep_.Message("PAS247I", {{"volser", st_.volser}, {"passes", std::to_string(st_.passes)},
                             {"reason", recopy_end_},
                             {"paced", header_.pace_us == 0 ? std::string("NOT PACED")
                                                            : "PACED " + FormatFixed(header_.pace_us / 1000.0, 2) +
                                                                  " MS PER WRITE"}});
  }

  // A dirty set that copies in this time goes to the final copy even when
  // it stopped shrinking: the pause it costs is within the target (p99
  // stall <= 20 ms, doc/performance.md). Larger sets pace the writers.
  static constexpr int64_t kFinalCopyBudgetUs = 20'000;

  // The pacing steps: none, 0.5 ms, 1.5 ms, 5 ms (host::kMaxPaceUs).
  static uint32_t NextPace(uint32_t pace_us) {
    if (pace_us < 500) return 500;
    if (pace_us < 1500) return 1500;
    return host::kMaxPaceUs;
  }

  bool QuiesceAndFinalCopy() {
    int64_t t = o_.clock->NowMicros();
    EnterPhase("QUIESCE");
    auto set = Handover(true);
    if (!set) return false;
    phases_.quiesce = Since(t);
    FaultPoint("job.quiesce");
    // Commit needs everyone: a system using the source that is not a
    // quiesced participant now (it registered in a race with the freeze)
    // could still write it.
    auto online = host::ListOnlineSystems(source_path_);
    if (!online.ok()) {
      failure_ = rep_.Message("PAS240E", {{"volser", st_.volser}, {"reason", online.status().message()}});
      return false;
    }
    for (const auto& s : *online) {
      // A system without a live process cannot write the source; when one
      // starts it waits for the decision (the registry is frozen).
      if (!s.live) continue;
      int i = header_.ParticipantIndex(s.name);
      if (i < 0 || !active_[i]) {
        failure_ = rep_.Message("PAS240E", {{"volser", st_.volser},
                                            {"reason", "SYSTEM " + s.name + " BROUGHT THE SOURCE ONLINE DURING THE SWAP"}});
        return false;
      }
    }
    t = o_.clock->NowMicros();
    pending_.ForEach([&](uint32_t tr) { set->Set(tr); });
    const uint32_t n = set->Count();
    size_t count = std::count(active_.begin(), active_.end(), true);
    rep_.Message("PAS235I", {{"volser", st_.volser}, {"count", std::to_string(count)},
                             {"tracks", report::FormatThousands(n)}});
    (void)WriteHeader(JobState::kFinal);
    phase_ = "FINAL";
    pass_total_ = n;
    st_.passes++;
    Progress(phase_, 0, n, 0, true);
    // Under the quiesce, through the page cache: the hosts' last writes
    // are there (a direct read would first write them back, inside the
    // pause), and the read-back of these few runs reads the pages just
    // written; the fdatasync below then makes them durable and reports a
    // device error (doc/copy-engine.md, "Read-back verification").
    engine_->set_direct_io(false);
    if (n > 0 && !CopySet(*engine_, *set, true)) return false;
    copied_tracks_ += n;
    recopied_tracks_ += n;
    FaultPoint("job.final_copy");
    if (target_cyls_ > source_cyls_) {
      // The target's VTOC must describe its real size (rule 6). Done while
      // every system is quiesced, before the commit.
      Status s = ckd::ResizeVtoc(*tgt_, target_cyls_);
      if (!s.ok()) {
        failure_ = rep_.Message("PAS240E", {{"volser", st_.volser}, {"reason", "VTOC resize: " + s.message()}});
        return false;
      }
    }
    // One fdatasync per target file, inside the pause: the engine's
    // descriptors are the image's own (CkdImage::Locate), so this also
    // covers a VTOC resize written through tgt_. Everything copied before
    // the quiesce was synced at the end of the recopy passes.
    Status s = engine_->SyncTarget();
    if (!s.ok()) {
      failure_ = rep_.Message("PAS240E", {{"volser", st_.volser}, {"reason", s.message()}});
      return false;
    }
    phases_.final_copy = Since(t);
    FaultPoint("job.before_commit");
    return true;
  }

  // The identity of an image file: device, inode and size (0s if it cannot be stat'ed).
  struct ImageId {
    uint64_t dev = 0, ino = 0, size = 0;
    bool operator==(const ImageId&) const = default;
  };
  static ImageId FileId(const std::string& path) {
    struct stat sb {};
    if (::stat(path.c_str(), &sb) != 0) return {};
    return {static_cast<uint64_t>(sb.st_dev), static_cast<uint64_t>(sb.st_ino), static_cast<uint64_t>(sb.st_size)};
  }

  // Before deciding SWAP: the target is still the file that was validated
  // and copied (not replaced, truncated or extended) and still opens as a
  // volume of the validated size.
  bool TargetUnchanged() {
    std::string why;
    ImageId now = FileId(target_path_);
    if (now.ino != target_id_.ino || now.dev != target_id_.dev) {
      why = "THE TARGET IMAGE WAS REPLACED DURING THE SWAP";
    } else if (now.size != target_id_.size && !tgt_compressed_) {
      // (A compressed target grows as the copy appends track images.)
      why = "THE TARGET IMAGE CHANGED SIZE DURING THE SWAP (" + std::to_string(target_id_.size) + " -> " +
            std::to_string(now.size) + " BYTES)";
    } else {
      auto img = ckd::CkdImage::Open(target_path_, false);
      if (!img.ok()) {
        why = "THE TARGET IMAGE NO LONGER OPENS: " + img.status().message();
      } else if (img->cylinders() != target_cyls_) {
        why = "THE TARGET IMAGE HEADER CHANGED DURING THE SWAP";
      }
    }
    if (why.empty()) return true;
    failure_ = rep_.Message("PAS240E", {{"volser", st_.volser}, {"reason", why}});
    return false;
  }

  bool Commit() {
    EnterPhase("COMMIT");
    if (plan_.function == statements::Function::kSwap && !TargetUnchanged()) return false;
    for (uint32_t i = 0; i < active_.size(); ++i) {
      if (active_[i] && !area_->ParticipantAlive(i)) {
        failure_ = rep_.Message("PAS245E", {{"system", header_.expected[i]}, {"volser", st_.volser}});
        return false;
      }
    }
    const bool swap = plan_.function == statements::Function::kSwap;
    auto d = host::Decide(decision_path_, swap ? host::Decision::kSwap : host::Decision::kSource);
    if (!d.ok()) {
      // The decision may or may not exist: read it back; a SWAP is final.
      auto again = host::ReadDecision(decision_path_);
      if (!again.ok() || *again == host::Decision::kNone) {
        failure_ = rep_.Message("PAS240E", {{"volser", st_.volser}, {"reason", d.status().message()}});
        return false;
      }
      d = *again;
    }
    decided_ = *d;
    if (swap && *d != host::Decision::kSwap) {
      failure_ = rep_.Message("PAS240E", {{"volser", st_.volser},
                                          {"reason", "A SYSTEM DECIDED TO STAY ON THE SOURCE"}});
      return false;
    }
    (void)WriteHeader(JobState::kDecided);
    if (swap) rep_.Message("PAS236I", {{"volser", st_.volser}, {"target", st_.target_unit}});
    FaultPoint("job.after_commit");
    return true;
  }

  // Waits until every active participant has followed the decision (or
  // died: its system's I/O then follows the decision by itself).
  void WaitFollowed() {
    const int64_t deadline = o_.clock->NowMicros() + o_.follow_timeout_us;
    std::vector<bool> done(active_.size(), false);
    for (;;) {
      bool waiting = false;
      for (uint32_t i = 0; i < active_.size(); ++i) {
        if (!active_[i] || done[i]) continue;
        // Alive first, then the block: a participant that writes that it
        // followed and exits between the two would otherwise be read as
        // not followed and then found dead.
        const bool alive = area_->ParticipantAlive(i);
        if (static_cast<int>(i) != own_index_) FaultPoint("job.follow_check");
        Status err;
        auto b = Block(i, &err);
        bool followed = b && (b->state == ParticipantState::kSwapped || b->state == ParticipantState::kResumed ||
                              b->state == ParticipantState::kLeft || b->state == ParticipantState::kDeclined);
        if (followed || !alive) {
          done[i] = true;
          if (!followed) every_system_followed_ = false;  // its unit table may still name the decision
          if (b) {
            blocks_.push_back(*b);
            double ms = static_cast<double>(b->longest_pause_us) / 1000.0;
            if (ms > st_.longest_pause_ms) {
              st_.longest_pause_ms = ms;
              st_.longest_pause_system = b->system;
            }
          }
          continue;
        }
        waiting = true;
      }
      if (!waiting) return;
      if (o_.clock->NowMicros() > deadline) {
        every_system_followed_ = false;
        rep_.Message("PAS246W", {{"volser", st_.volser}, {"what", "WAITING FOR EVERY SYSTEM"},
                                 {"reason", "a system did not confirm in time"}});
        return;
      }
      o_.clock->SleepMicros(o_.poll_us);
    }
  }

  void FinishSimSwapMon() {
    auto d = host::Decide(decision_path_, host::Decision::kSource);
    decided_ = d.ok() ? *d : host::Decision::kSource;
    WaitFollowed();
    for (const auto& b : blocks_) {
      int64_t ms = std::max<int64_t>(0, (b.updated_us - b.joined_us) / 1000);
      rep_.Message("PAS263I", {{"volser", st_.volser}, {"system", b.system}, {"ms", std::to_string(ms)}});
    }
    (void)host::ClearFreeze(source_path_);
    RetireDecision();
    (void)WriteHeader(JobState::kDone);
    rep_.Message("PAS265I", {{"volser", st_.volser}});
    st_.status = "SIMULATED";
    st_.condition_code = report::kCcOk;
  }

  void Abort() {
    EnterPhase("ABORT");
    if (announced_) {
      auto d = host::Decide(decision_path_, host::Decision::kSource);
      if (d.ok() && *d == host::Decision::kSwap) {
        // Cannot happen before our own commit; treat as committed.
        decided_ = host::Decision::kSwap;
        Complete();
        return;
      }
      WaitFollowed();
      (void)host::ClearFreeze(source_path_);
      RetireDecision();
      (void)WriteHeader(JobState::kFailed);
      rep_.Message("PAS243E", {{"volser", st_.volser}, {"reason", failure_.empty() ? "FAILED" : failure_},
                               {"source", st_.source_unit}});
    }
    st_.status = cancelled_ ? "CANCELLED" : "FAILED";
    st_.condition_code = report::kCcVolumeFailed;
    if (!cancel_request_.empty()) ::unlink(cancel_request_.c_str());
    Stats();
  }

  void Complete() {
    int64_t t = o_.clock->NowMicros();
    EnterPhase(decided_ == host::Decision::kSwap ? "SWAP" : "RESUME");
    WaitFollowed();
    FaultPoint("job.swap");
    int cc = report::kCcOk;
    const bool swap = decided_ == host::Decision::kSwap;
    if (swap) {
      // This system, if it has the unit defined on the source but took no
      // part (no process had it open), points it at the target too.
      if (own_index_ < 0) {
        Status s = FollowSwapWithoutParticipating(sys_, t_.source, source_path_, target_path_, t_.target,
                                                  t_.config_path, [this](const std::string& line) { rep_.Line(line); });
        if (!s.ok()) {
          rep_.Message("PAS246W", {{"volser", st_.volser}, {"what", "SWITCHING UNIT " + st_.source_unit},
                                   {"reason", s.message()}});
          cc = report::kCcWarning;
        }
      }
      // The target may itself be an image a volume was once swapped away
      // from; it is the device of record now, so its old marker goes first.
      Status s = host::ClearMoved(target_path_);
      if (s.ok()) s = host::MarkMoved(source_path_, target_path_);
      // Every system that had the source varied online has the target
      // online now, with or without a process (doc/host-io.md).
      if (s.ok()) s = host::TransferOnline(source_path_, target_path_);
      if (!s.ok()) {
        rep_.Message("PAS246W", {{"volser", st_.volser}, {"what", "THE MOVED MARKER"}, {"reason", s.message()}});
        cc = report::kCcWarning;
      }
      s = Relabel();
      FaultPoint("job.relabel");
      if (!s.ok()) {
        rep_.Message("PAS246W", {{"volser", st_.volser}, {"what", "THE RELABEL"}, {"reason", s.message()}});
        cc = report::kCcWarning;
      }
    } else {
      (void)host::ClearFreeze(source_path_);
    }
    // Only once the registry says where the volume is (moved, or no longer
    // frozen): a process that opens the image from now on asks the
    // registry, never the decision record.
    if (swap ? cc == report::kCcOk : true) RetireDecision();
    phases_.swap = Since(t);
    (void)WriteHeader(JobState::kDone);
    st_.swap_minutes = static_cast<double>(o_.clock->NowMicros() - swap_start_us_) / 60e6;
    if (swap) {
      rep_.Message("PAS241I", {{"volser", st_.volser}, {"target", st_.target_unit}});
      st_.status = "SWAPPED";
    } else {
      rep_.Message("PAS242I", {{"volser", st_.volser}, {"target", st_.target_unit}});
      st_.status = "DUMPED";
    }
    st_.condition_code = cc;
    Stats();
  }

  // Removes the decision record once nothing can need it: every system
  // that took part confirmed, alive, that it followed the decision (its
  // unit table no longer holds the swap context), and the registry marker
  // says the outcome. A system that died or did not confirm may still
  // recover from its unit table's swap context, which names the record:
  // then it is kept (doc/swap-protocol.md, "The decision record").
  void RetireDecision() {
    if (!every_system_followed_) {
      log_->info("{}: decision record {} kept: a system did not confirm that it followed", st_.volser,
                 decision_path_);
      return;
    }
    if (::unlink(decision_path_.c_str()) != 0 && errno != ENOENT) {
      log_->warn("{}: decision record {} not removed: {}", st_.volser, decision_path_, std::strerror(errno));
    }
  }

  Status Relabel() {
    PAS_ASSIGN_OR_RETURN(ckd::CkdImage src, ckd::CkdImage::Open(source_path_, /*writable=*/true));
    std::string volser = RelabelVolser(t_.target);
    PAS_RETURN_IF_ERROR(ckd::WriteVolser(src, volser));
    PAS_RETURN_IF_ERROR(src.Sync());
    rep_.Message("PAS239I", {{"source", st_.source_unit}, {"new_volser", volser}});
    return Status::Ok();
  }

  void Stats() {
    st_.bytes_read = copy_.bytes_read;
    st_.tracks_swapped = copied_tracks_;
    st_.tracks_recopied = recopied_tracks_;
    st_.source_excps = copy_.source_excps;
    st_.target_excps = copy_.target_excps;
    st_.tracks_skipped = copy_.tracks_skipped;
  }

  const statements::Plan& plan_;
  host::System& sys_;
  const JobOptions& o_;
  report::Reporter& rep_;
  const VolumeTask t_;
  std::shared_ptr<spdlog::logger> log_;

  report::VolumeStats st_;
  report::PhaseTimes phases_;
  std::string failure_;
  std::string source_path_, target_path_, decision_path_;
  uint32_t source_cyls_ = 0, target_cyls_ = 0;
  ImageId target_id_;
  coord::FileIdentity source_identity_, target_identity_;
  bool tgt_compressed_ = false;  // the target is a CCKD image: its file size changes
  int64_t start_us_ = 0, swap_start_us_ = 0;
  int64_t job_start_wall_us_ = WallMicros();
  bool cancelled_ = false;
  int64_t last_cancel_poll_us_ = 0;
  std::string cancel_request_;  // the `pas cancel` file acted on
  double cpu_start_ = 0;
  double copy_rate_mbps_ = 0;

  std::optional<coord::CoordinationArea> area_;
  coord::Header header_;
  bool announced_ = false;
  bool every_system_followed_ = true;  // WaitFollowed: each participant confirmed alive
  std::vector<bool> active_;  // participants that joined
  std::vector<coord::ParticipantBlock> blocks_;
  host::Decision decided_ = host::Decision::kNone;

  ParticipantOptions own_opts_;
  std::thread own_thread_;
  int own_index_ = -1;

  std::optional<ckd::CkdImage> src_, tgt_;
  std::unique_ptr<IoBackend> backend_;
  std::unique_ptr<CopyEngine> engine_;
  ckd::TrackSet pending_;
  CopyStats copy_;
  int copy_retries_ = 0;
  std::string recopy_end_ = "PASS LIMIT";  // why RecopyPasses stopped (PAS247I)
  uint64_t copied_tracks_ = 0, recopied_tracks_ = 0;
  std::string phase_;
  uint64_t pass_total_ = 0;
  std::atomic<uint64_t> pass_bytes_{0};
};

// The source or target unit that the configuration gives shadow files
// (sf=), or null.
const host::UnitConfig* ShadowedUnit(const host::SystemConfig& config, uint16_t source,
                                     uint16_t target) {
  for (uint16_t dev : {source, target}) {
    const host::UnitConfig* u = config.FindUnit(dev);
    if (u != nullptr && !u->shadow_files.empty()) return u;
  }
  return nullptr;
}

// Resolves every MOUNT: the unit holding the volser (from its current
// image's label) and the SWAPUNIT pattern against it.
std::vector<VolumeTask> ResolveMounts(const statements::Plan& plan, host::System& sys,
                                      const host::SystemConfig& config, report::Reporter& rep) {
  std::map<std::string, std::vector<uint16_t>> by_volser;
  for (uint16_t dev : sys.Devnums()) {
    auto st = sys.Status(dev);
    if (!st.ok()) continue;
    auto image = ckd::CkdImage::Open(st->image_path, false);
    if (!image.ok()) {
      rep.Message("PAS328W", {{"unit", FormatDevnum(dev)}, {"reason", image.status().message()}});
      continue;
    }
    auto label = ckd::ReadVolumeLabel(*image);
    if (label.ok()) {
      // An offline unit holding the volser (a target that already got the
      // volume's label, an old copy) is not the volume in use.
      if (st->online) by_volser[label->volser].push_back(dev);
    } else if (!label.status().IsNotFound()) {
      rep.Message("PAS328W", {{"unit", FormatDevnum(dev)}, {"reason", label.status().message()}});
    }
  }
  std::vector<VolumeTask> tasks;
  for (const statements::Mount& m : plan.mounts) {
    VolumeTask t;
    t.mount = m;
    auto found = by_volser.find(m.volser);
    if (found == by_volser.end()) {
      t.error = rep.Message("PAS316E", {{"volser", m.volser}});
    } else if (found->second.size() > 1) {
      std::string list;
      for (uint16_t u : found->second) list += (list.empty() ? "" : ",") + FormatDevnum(u);
      t.error = rep.Message("PAS327E", {{"volser", m.volser}, {"units", list}});
    } else {
      t.source = found->second[0];
      t.target = statements::ResolveSwapUnit(m.swapunit_pattern, t.source).value_or(0);
      if (t.target == t.source) {
        t.error = rep.Message("PAS313E", {{"volser", m.volser}, {"unit", FormatDevnum(t.target)}});
      } else if (config.FindUnit(t.target) == nullptr) {
        t.error = rep.Message("PAS326E", {{"target", FormatDevnum(t.target)}, {"volser", m.volser},
                                          {"system", config.name}});
      } else if (const host::UnitConfig* shadowed = ShadowedUnit(config, t.source, t.target)) {
        // Its content is spread over the base image and shadow files pas
        // does not read or write (doc/ckd-format.md section 7).
        t.error = rep.Message("PAS111E", {{"unit", FormatDevnum(shadowed->devnum)},
                                          {"image", shadowed->image_path},
                                          {"option", shadowed->shadow_files}});
      } else {
        rep.Message("PAS325I", {{"volser", m.volser}, {"source", FormatDevnum(t.source)},
                                {"target", FormatDevnum(t.target)}});
      }
    }
    tasks.push_back(std::move(t));
  }
  return tasks;
}

}  // namespace

std::string RelabelVolser(uint16_t target_devnum) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "PAS%03X", target_devnum & 0xFFF);
  return buf;
}

JobResult RunJob(const statements::Plan& plan, const host::SystemConfig& config, const JobOptions& options) {
  JobResult result;
  report::Reporter& rep = *options.reporter;
  result.system = config.name;
  const std::string function = statements::FunctionName(plan.function);
  if (plan.IsMonitor()) {
    rep.Message("PAS333E", {{"function", function}, {"reason", "MONITOR is not a job function"}});
    result.condition_code = report::kCcJobFailed;
    return result;
  }
  auto sys = host::System::Attach(config);
  if (!sys.ok()) {
    rep.Message("PAS333E", {{"function", function}, {"reason", sys.status().message()}});
    result.condition_code = report::kCcJobFailed;
    return result;
  }
  std::vector<VolumeTask> tasks = ResolveMounts(plan, **sys, config, rep);
  std::vector<std::unique_ptr<VolumeJob>> jobs(tasks.size());
  std::vector<report::VolumeStats> failed(tasks.size());
  std::vector<bool> resolved(tasks.size(), false);
  for (size_t i = 0; i < tasks.size(); ++i) {
    if (!tasks[i].error.empty()) {
      failed[i].function = function;
      failed[i].volser = tasks[i].mount.volser;
      failed[i].status = "FAILED";
      failed[i].condition_code = report::kCcVolumeFailed;
      if (tasks[i].source) failed[i].source_unit = FormatDevnum(tasks[i].source);
      failed[i].target_unit = tasks[i].mount.swapunit_pattern;
      rep.Volume(failed[i]);
      continue;
    }
    resolved[i] = true;
    tasks[i].config_path = config.path;
    jobs[i] = std::make_unique<VolumeJob>(plan, **sys, options, tasks[i]);
  }
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (;;) {
      size_t i = next.fetch_add(1);
      if (i >= jobs.size()) return;
      if (!jobs[i]) continue;
      jobs[i]->Run();
      rep.Volume(jobs[i]->stats());
    }
  };
  const size_t workers = std::max<size_t>(1, std::min<size_t>(plan.max_tasks, tasks.size()));
  std::vector<std::thread> threads;
  for (size_t w = 0; w < workers; ++w) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  int cc = report::kCcOk;
  for (size_t i = 0; i < tasks.size(); ++i) {
    if (resolved[i]) {
      result.volumes.push_back(jobs[i]->stats());
      result.history.push_back(jobs[i]->History(config.name));
    } else {
      result.volumes.push_back(failed[i]);
      report::HistoryRecord r;
      r.time = options.clock->WallSeconds();
      r.system = config.name;
      r.volser = failed[i].volser;
      r.function = function;
      r.status = "FAILED";
      r.condition_code = report::kCcVolumeFailed;
      r.message = tasks[i].error;
      result.history.push_back(r);
    }
    cc = std::max(cc, result.volumes.back().condition_code);
  }
  result.condition_code = std::max(cc, rep.highest_cc());
  return result;
}

}  // namespace pas::engine
