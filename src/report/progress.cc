#include "report/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "report/messages.h"

namespace pas::report {
namespace {

std::string Eta(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

std::string Fixed1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::isfinite(v) ? v : 0.0);
  return buf;
}

}  // namespace

ProgressReporter::Mode ProgressReporter::ModeFor(FILE* out) {
  return (out != nullptr && ::isatty(::fileno(out))) ? Mode::kLive : Mode::kMessages;
}

ProgressReporter::ProgressReporter(FILE* out, Mode mode, Clock* clock, int64_t interval_micros)
    : out_(out), mode_(mode), clock_(clock), interval_micros_(interval_micros) {}

ProgressFigures ComputeFigures(const VolumeProgress& p, double elapsed_s) {
  ProgressFigures f;
  f.percent = p.tracks_total ? 100.0 * static_cast<double>(p.tracks_done) /
                                   static_cast<double>(p.tracks_total)
                             : 0.0;
  f.rate_mbps = elapsed_s > 0 ? static_cast<double>(p.bytes_done) / 1e6 / elapsed_s : 0.0;
  // ETA: the tracks left in this pass plus the dirty ones, at the average
  // bytes per track seen so far.
  if (f.rate_mbps > 0 && p.tracks_done > 0 && p.bytes_done > 0) {
    double track_bytes_done = static_cast<double>(p.bytes_done);
    double tracks_copied_total = track_bytes_done / 56664.0;
    double per_track_s = elapsed_s / std::max(tracks_copied_total, 1.0);
    double left = static_cast<double>(p.tracks_total - std::min(p.tracks_done, p.tracks_total)) +
                  static_cast<double>(p.dirty_tracks);
    f.eta_seconds = left * per_track_s;
  }
  return f;
}

std::string ProgressReporter::DescribeLocked(const VolumeProgress& p, const State& s,
                                             int64_t now) const {
  ProgressFigures f = ComputeFigures(p, static_cast<double>(now - s.start_micros) / 1e6);
  const double percent = f.percent, rate = f.rate_mbps, eta = f.eta_seconds;
  std::vector<std::pair<std::string, std::string>> args = {
      {"volser", p.volser},
      {"phase", p.phase.empty() ? std::string("COPY") : p.phase},
      {"pass", std::to_string(p.pass)},
      {"percent", Fixed1(percent)},
      {"done", std::to_string(p.tracks_done)},
      {"total", std::to_string(p.tracks_total)},
      {"dirty", std::to_string(p.dirty_tracks)},
      {"rate", Fixed1(rate)},
      {"eta", Eta(eta)},
  };
  return Format("PAS250I", args);
}

std::string ProgressReporter::Describe(const VolumeProgress& p) const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = clock_->NowMicros();
  auto it = volumes_.find(p.volser);
  State s;
  s.start_micros = it != volumes_.end() ? it->second.start_micros : now;
  return DescribeLocked(p, s, now);
}

void ProgressReporter::RedrawLocked(int64_t now) {
  // Move up over the lines drawn last time, then draw every volume again.
  std::string buf;
  if (live_lines_ > 0) buf += "\x1b[" + std::to_string(live_lines_) + "F";
  for (const auto& [volser, s] : volumes_) {
    buf += "\r\x1b[2K" + DescribeLocked(s.last, s, now) + "\n";
  }
  if (volumes_.size() < live_lines_) buf += "\x1b[J";
  live_lines_ = volumes_.size();
  std::fwrite(buf.data(), 1, buf.size(), out_);
  std::fflush(out_);
}

bool ProgressReporter::RecordLocked(const VolumeProgress& p, int64_t now, State** state) {
  auto [it, inserted] = volumes_.try_emplace(p.volser);
  State& s = it->second;
  if (inserted) s.start_micros = now;
  const bool changed = inserted || s.last.phase != p.phase || s.last.pass != p.pass ||
                       (p.tracks_total > 0 && p.tracks_done >= p.tracks_total &&
                        s.last.tracks_done < s.last.tracks_total);
  s.last = p;
  *state = &s;
  return changed;
}

std::vector<VolumeSnapshot> ProgressReporter::SnapshotLocked(int64_t now) const {
  std::vector<VolumeSnapshot> v;
  v.reserve(volumes_.size());
  for (const auto& [volser, s] : volumes_) {
    v.push_back({s.last, ComputeFigures(s.last, static_cast<double>(now - s.start_micros) / 1e6)});
  }
  return v;
}

void ProgressReporter::Notify(std::vector<VolumeSnapshot> volumes, bool changed) {
  if (listener_) listener_(volumes, changed);
}

void ProgressReporter::SetListener(Listener listener) { listener_ = std::move(listener); }

void ProgressReporter::Update(const VolumeProgress& p) { Record(p, /*line_due=*/true); }

void ProgressReporter::Phase(const VolumeProgress& p) { Record(p, /*line_due=*/false); }

void ProgressReporter::Record(const VolumeProgress& p, bool line_due) {
  std::vector<VolumeSnapshot> snapshot;
  bool changed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t now = clock_->NowMicros();
    State* s = nullptr;
    changed = RecordLocked(p, now, &s);
    if (listener_) snapshot = SnapshotLocked(now);
    if (mode_ == Mode::kOff || out_ == nullptr) {
      // nothing printed
    } else if (mode_ == Mode::kLive) {
      RedrawLocked(now);
    } else if (line_due && (s->last_print_micros < 0 || now - s->last_print_micros >= interval_micros_ ||
                            p.pass != s->last_printed_pass)) {
      s->last_print_micros = now;
      s->last_printed_pass = p.pass;
      std::string line = DescribeLocked(p, *s, now) + "\n";
      std::fwrite(line.data(), 1, line.size(), out_);
      std::fflush(out_);
    }
  }
  Notify(std::move(snapshot), changed);
}

void ProgressReporter::Finish(const std::string& volser) {
  std::vector<VolumeSnapshot> snapshot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (volumes_.erase(volser) == 0) return;
    int64_t now = clock_->NowMicros();
    if (listener_) snapshot = SnapshotLocked(now);
    if (mode_ == Mode::kLive && out_ != nullptr) RedrawLocked(now);
  }
  Notify(std::move(snapshot), true);
}

}  // namespace pas::report
