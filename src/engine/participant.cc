#include "engine/participant.h"

#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <optional>

#include "base/clock.h"
#include "base/fault_point.h"
#include "base/log.h"
#include "ckd/image.h"
#include "coord/area.h"
#include "host/config.h"
#include "host/decision.h"
#include "host/pacing.h"
#include "host/reopen.h"
#include "report/messages.h"

namespace pas::engine {
namespace {

std::string Ms(int64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(us) / 1000.0);
  return buf;
}

// The handed-over tracks as bitmap words of `tracks` bits.
std::vector<uint64_t> Words(const ckd::TrackSet& set, uint32_t tracks, uint32_t* count) {
  std::vector<uint64_t> words((size_t{tracks} + 63) / 64, 0);
  uint32_t n = 0;
  set.ForEach([&](uint32_t t) {
    if (t < tracks) {
      words[t / 64] |= uint64_t{1} << (t % 64);
      ++n;
    }
  });
  *count = n;
  return words;
}

class ParticipantRun {
 public:
  ParticipantRun(const coord::Header& h, uint32_t index, const ParticipantOptions& o)
      : h_(h), index_(index), o_(o), sys_(*o.system), log_(Logger(o.in_job ? "engine" : "monitor")) {
    decision_path_ = DecisionPath(h.target_path, h.job_id);
    unit_ = host::FormatDevnum(o.source_devnum);
    target_unit_ = host::FormatDevnum(o.target_devnum);
  }

  Result<ParticipantOutcome> Run() {
    PAS_ASSIGN_OR_RETURN(area_, coord::CoordinationArea::Open(h_.target_path,
                                                              coord::CoordinationArea::Mode::kReadWrite));
    PAS_RETURN_IF_ERROR(area_->TryLockParticipant(index_));
    blk_.index = index_;
    blk_.job_id = h_.job_id;
    blk_.pid = static_cast<uint32_t>(::getpid());
    blk_.source_devnum = o_.source_devnum;
    blk_.target_devnum = o_.target_devnum;
    blk_.system = sys_.name();
    blk_.serial = sys_.serial();
    Status s = Participate();
    if (reopen_held_) {
      // Every way out releases a held reopen (the program then opens the
      // unit's image of this moment; a unit still quiesced holds its I/O).
      host::ReleaseReopen(sys_, o_.source_devnum);
      reopen_held_ = false;
    }
    (void)area_->UnlockParticipant(index_);
    if (!s.ok()) return s;
    return out_;
  }

 private:
  void Say(std::string_view id, std::initializer_list<report::Arg> args) {
    if (o_.say) o_.say(report::Format(id, args));
  }

  Status Write() {
    blk_.updated_us = WallMicros();
    return area_->WriteParticipant(blk_);
  }

  Status Handover(uint32_t seq) {
    PAS_ASSIGN_OR_RETURN(ckd::TrackSet set, sys_.HarvestDirty(o_.source_devnum));
    uint32_t count = 0;
    std::vector<uint64_t> words = Words(set, h_.tracks, &count);
    PAS_ASSIGN_OR_RETURN(uint32_t crc, area_->WriteBitmap(index_, words, h_.tracks));
    blk_.harvest_ack = seq;
    blk_.bitmap_crc = crc;
    blk_.bitmap_count = count;
    blk_.harvests++;
    blk_.tracks_handed += count;
    return Status::Ok();
  }

  Status Decline(const std::string& why) {
    log_->warn("{}: unit {} declines the swap of {}: {}", sys_.name(), unit_, h_.volser, why);
    blk_.state = coord::ParticipantState::kDeclined;
    blk_.note = why;
    out_.declined = true;
    return Write();
  }

  Status Participate() {
    joined_at_ = o_.clock->NowMicros();
    PAS_ASSIGN_OR_RETURN(host::Decision d, host::ReadDecision(decision_path_));
    if (d == host::Decision::kNone && !area_->JobAlive()) {
      PAS_ASSIGN_OR_RETURN(d, host::Decide(decision_path_, host::Decision::kSource));
      out_.job_died = true;
    }
    if (d == host::Decision::kNone) {
      PAS_ASSIGN_OR_RETURN(d, JoinAndServe());
    }
    return Follow(d);
  }

  Result<host::Decision> JoinAndServe() {
    host::SwapContext ctx{decision_path_, h_.target_path, JobIdHex(h_.job_id)};
    Status s = sys_.SetSwapContext(o_.source_devnum, ctx);
    if (s.ok()) {
      context_set_ = true;
      s = sys_.InstallIntercept(o_.source_devnum, o_.install_timeout_us);
      intercept_ = true;  // installed even when the grace period timed out
    }
    if (!s.ok()) {
      PAS_RETURN_IF_ERROR(Decline("cannot install the intercept: " + s.message()));
    } else {
      blk_.state = coord::ParticipantState::kJoined;
      blk_.joined_us = WallMicros();
      PAS_RETURN_IF_ERROR(Write());
      Say(o_.in_job ? "PAS234I" : "PAS233I",
          {{"system", sys_.name()}, {"serial", sys_.serial().empty() ? "NONE" : sys_.serial()},
           {"volser", h_.volser}, {"source", unit_}, {"target", target_unit_}});
      FaultPoint("monitor.join");
    }
    for (;;) {
      PAS_ASSIGN_OR_RETURN(host::Decision d, host::ReadDecision(decision_path_));
      if (d != host::Decision::kNone) return d;
      auto hr = area_->ReadHeader();
      if (hr.ok() && hr->job_id == h_.job_id && !out_.declined) {
        if (hr->pace_us != pace_us_ && intercept_) {
          // Before the handover below, so the pass that follows copies
          // while the writers are paced.
          Status ps = host::SetWritePacing(sys_, o_.source_devnum, hr->pace_us);
          if (ps.ok()) {
            pace_us_ = hr->pace_us;
          } else {
            log_->warn("{}: unit {}: pacing: {}", sys_.name(), unit_, ps.ToString());
          }
        }
        if (hr->quiesce_seq > blk_.quiesce_ack) {
          int64_t start = o_.clock->NowMicros();
          Status rs = ReopenBeforeQuiesce();
          auto q = rs.ok() ? sys_.Quiesce(o_.source_devnum, o_.quiesce_timeout_us) : Result<host::QuiesceInfo>(rs);
          if (!q.ok()) {
            PAS_RETURN_IF_ERROR(Decline("cannot quiesce: " + q.status().message()));
          } else {
            quiesced_ = true;
            quiesce_start_ = start;
            FaultPoint("monitor.quiesce");
            PAS_RETURN_IF_ERROR(Handover(hr->harvest_seq));
            blk_.quiesce_ack = hr->quiesce_seq;
            blk_.state = coord::ParticipantState::kQuiesced;
            PAS_RETURN_IF_ERROR(Write());
          }
        } else if (hr->harvest_seq > blk_.harvest_ack) {
          log_->debug("{}: unit {}: handover {}", sys_.name(), unit_, hr->harvest_seq);
          PAS_RETURN_IF_ERROR(Handover(hr->harvest_seq));
          PAS_RETURN_IF_ERROR(Write());
          FaultPoint("monitor.harvest");
        }
      } else if (!hr.ok()) {
        log_->debug("{}: unit {}: header: {}", sys_.name(), unit_, hr.status().ToString());
      } else if (hr.ok() && hr->job_id != h_.job_id) {
        log_->warn("{}: unit {}: the coordination area now holds another job", sys_.name(), unit_);
      }
      if (!area_->JobAlive()) {
        PAS_ASSIGN_OR_RETURN(d, host::ReadDecision(decision_path_));
        if (d == host::Decision::kNone) {
          PAS_ASSIGN_OR_RETURN(d, host::Decide(decision_path_, host::Decision::kSource));
        }
        out_.job_died = true;
        return d;
      }
      o_.clock->SleepMicros(o_.poll_us);
    }
  }

  // A program of this system that keeps a compressed image's tables and
  // changed tracks in its memory (Hercules on a CCKD image; or one that
  // must move from an uncompressed source to a compressed target) cannot
  // have its descriptors switched in place: before the quiesce it is made
  // to flush and close the source and to hold its open of the image it
  // will use (the target for SWAP, the source for SWAPDUMP) until Follow
  // releases it. doc/cckd-live.md, "The reopen at the swap".
  Status ReopenBeforeQuiesce() {
    if (h_.function != coord::JobFunction::kSwap && h_.function != coord::JobFunction::kSwapDump) return Status::Ok();
    if (!host::HasReopenUser(sys_, o_.source_devnum)) return Status::Ok();
    PAS_ASSIGN_OR_RETURN(host::UnitStatus st, sys_.Status(o_.source_devnum));
    auto compressed = [](const std::string& path) {
      auto img = ckd::CkdImage::Open(path, false);
      return img.ok() && img->compressed();
    };
    if (!compressed(st.image_path) && !compressed(h_.target_path)) return Status::Ok();
    const std::string image = h_.function == coord::JobFunction::kSwap ? h_.target_path : st.image_path;
    const int64_t start = o_.clock->NowMicros();
    auto r = host::RequestReopen(sys_, o_.source_devnum, image, o_.quiesce_timeout_us);
    if (!r.ok()) return r.status().WithContext("the program using the unit did not reopen it");
    reopen_held_ = *r;
    if (*r) {
      log_->info("{}: unit {}: the program using it closed {} and holds its reopen of {} ({} ms)", sys_.name(),
                 unit_, st.image_path, image, Ms(o_.clock->NowMicros() - start));
    }
    return Status::Ok();
  }

  // Quiesces for a SWAP that was decided while this participant was not
  // quiesced (a restarted monitor). Retries: the decision is final.
  Status QuiesceForSwitch() {
    Status last;
    for (int attempt = 0; attempt < 20; ++attempt) {
      int64_t start = o_.clock->NowMicros();
      auto q = sys_.Quiesce(o_.source_devnum, o_.quiesce_timeout_us);
      if (q.ok()) {
        quiesced_ = true;
        quiesce_start_ = start;
        return Status::Ok();
      }
      last = q.status();
      o_.clock->SleepMicros(50'000);
    }
    return last;
  }

  Status Follow(host::Decision d) {
    if (d == host::Decision::kSwap) {
      FaultPoint("monitor.after_commit");
      PAS_ASSIGN_OR_RETURN(host::UnitStatus st, sys_.Status(o_.source_devnum));
      old_source_image_ = st.image_path != h_.target_path ? st.image_path : h_.source_path;
      if (st.image_path != h_.target_path) {
        if (!quiesced_) PAS_RETURN_IF_ERROR(QuiesceForSwitch());
        Status s = sys_.SwitchImage(o_.source_devnum, h_.target_path);
        if (!s.ok()) {
          // The decision is final: without the switch this system must not
          // resume on the source. Leave it quiesced and report.
          log_->error("{}: unit {}: cannot switch to {}: {}", sys_.name(), unit_, h_.target_path,
                      s.ToString());
          return s;
        }
      }
      out_.swapped = true;
    }
    if (reopen_held_) {
      // After the switch: the held open proceeds on the target (SWAP) or
      // the source; its I/O waits for the Resume below.
      host::ReleaseReopen(sys_, o_.source_devnum);
      reopen_held_ = false;
    }
    if (pace_us_ != 0) {
      (void)host::SetWritePacing(sys_, o_.source_devnum, 0);
      pace_us_ = 0;
    }
    if (intercept_ || d == host::Decision::kSwap) (void)sys_.RemoveIntercept(o_.source_devnum);
    if (context_set_ || d == host::Decision::kSwap) (void)sys_.ClearSwapContext(o_.source_devnum);
    if (quiesced_) {
      Status s = sys_.Resume(o_.source_devnum);
      if (!s.ok()) log_->warn("{}: unit {}: resume: {}", sys_.name(), unit_, s.ToString());
      out_.longest_pause_us = o_.clock->NowMicros() - quiesce_start_;
    }
    blk_.longest_pause_us = static_cast<uint64_t>(out_.longest_pause_us);
    out_.joined_to_left_us = o_.clock->NowMicros() - joined_at_;
    if (d == host::Decision::kSwap) {
      AdoptSwap(sys_, o_.source_devnum, o_.target_devnum, old_source_image_, o_.config_path, o_.say);
      blk_.state = coord::ParticipantState::kSwapped;
      out_.final_state = blk_.state;
      (void)Write();
      Say("PAS237I", {{"system", sys_.name()}, {"source", unit_}, {"target", target_unit_},
                      {"volser", h_.volser}, {"pause_ms", Ms(out_.longest_pause_us)}});
      if (!o_.in_job) {
        if (out_.job_died) {
          Say("PAS273I", {{"system", sys_.name()}, {"volser", h_.volser}, {"target", target_unit_}});
        }
        Say("PAS241I", {{"volser", h_.volser}, {"target", target_unit_}});
      }
      return Status::Ok();
    }
    blk_.state = h_.function == coord::JobFunction::kSimSwapMon && !out_.job_died && !out_.declined
                     ? coord::ParticipantState::kLeft
                     : (out_.declined ? coord::ParticipantState::kDeclined : coord::ParticipantState::kResumed);
    out_.final_state = blk_.state;
    (void)Write();
    if (intercept_) Say("PAS244I", {{"system", sys_.name()}, {"unit", unit_}});
    if (out_.job_died) Say("PAS272W", {{"system", sys_.name()}, {"volser", h_.volser}, {"source", unit_}});
    return Status::Ok();
  }

  const coord::Header h_;
  const uint32_t index_;
  const ParticipantOptions& o_;
  host::System& sys_;
  std::shared_ptr<spdlog::logger> log_;
  std::string decision_path_, unit_, target_unit_;
  std::optional<coord::CoordinationArea> area_;
  coord::ParticipantBlock blk_;
  ParticipantOutcome out_;
  bool context_set_ = false, intercept_ = false, quiesced_ = false;
  bool reopen_held_ = false;  // a program of this system holds its reopen of the unit
  int64_t quiesce_start_ = 0, joined_at_ = 0;
  uint32_t pace_us_ = 0;  // the write pacing this participant set on its unit
  std::string old_source_image_;  // the source unit's image before the switch
};

}  // namespace

std::string JobIdHex(uint64_t job_id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, job_id);
  return buf;
}

std::string DecisionPath(const std::string& target_image, uint64_t job_id) {
  return target_image + ".pas-decision-" + JobIdHex(job_id);
}

Result<ParticipantOutcome> RunParticipant(const coord::Header& header, uint32_t index,
                                          const ParticipantOptions& options) {
  if (options.system == nullptr) return Status::InvalidArgument("participant without a system");
  ParticipantRun run(header, index, options);
  return run.Run();
}

void AdoptSwap(host::System& system, uint16_t source_devnum, uint16_t target_devnum,
               const std::string& old_source_image, const std::string& config_path,
               const std::function<void(const std::string&)>& say) {
  auto log = Logger("engine");
  auto warn = [&](const std::string& what, const std::string& reason) {
    log->warn("{}: {}: {}", system.name(), what, reason);
    if (say)
      say(report::Format("PAS217W", {{"system", system.name()}, {"what", what}, {"reason", reason}}));
  };
  // The file first: the table's configured images follow it only when it
  // was rewritten (they must always equal the file's).
  bool rewritten = false;
  if (!config_path.empty()) {
    auto r = host::RewriteConfigAfterSwap(config_path, source_devnum, target_devnum, old_source_image);
    if (!r.ok()) {
      warn("THE CONFIGURATION FILE " + config_path, r.status().message());
    } else if (*r) {
      rewritten = true;
      if (say)
        say(report::Format("PAS216I", {{"file", config_path},
                                       {"system", system.name()},
                                       {"source", host::FormatDevnum(source_devnum)},
                                       {"target", host::FormatDevnum(target_devnum)}}));
    }
  }
  Status s = system.ExchangeImagesAfterSwap(source_devnum, target_devnum, old_source_image, rewritten);
  if (!s.ok()) warn("THE UNIT TABLE", s.message());
}

Status FollowSwapWithoutParticipating(host::System& system, uint16_t devnum, const std::string& source_image,
                                      const std::string& target_image, uint16_t target_devnum,
                                      const std::string& config_path,
                                      const std::function<void(const std::string&)>& say) {
  PAS_ASSIGN_OR_RETURN(host::UnitStatus st, system.Status(devnum));
  if (st.image_path != source_image) return Status::Ok();
  PAS_ASSIGN_OR_RETURN(host::QuiesceInfo q, system.Quiesce(devnum, 5'000'000));
  (void)q;
  Status s = system.SwitchImage(devnum, target_image);
  Status r = system.Resume(devnum);
  PAS_RETURN_IF_ERROR(s);
  PAS_RETURN_IF_ERROR(r);
  if (target_devnum != 0) AdoptSwap(system, devnum, target_devnum, source_image, config_path, say);
  return Status::Ok();
}

}  // namespace pas::engine
