// `pas run [FILE|-] [--config FILE] [--json FILE] [--state-dir DIR]`: reads a
// control-statement deck (standard input when FILE is absent or `-`, like
// //SYSIN DD *), lists it as read, validates it and executes the plan. On any
// statement error every diagnostic is printed and the exit status is 12;
// nothing is touched. The exit status is the highest condition code.
#include <unistd.h>

#include <cstdio>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "ckd/device.h"
#include "ckd/image.h"
#include "ckd/label.h"
#include "engine/job.h"
#include "host/config.h"
#include "host/job_status.h"
#include "monitor/monitor.h"
#include "pas/command.h"
#include "report/history.h"
#include "report/messages.h"
#include "report/report.h"
#include "statements/parser.h"

namespace pas::cli {
namespace {

struct RunOptions {
  std::string deck_path;   // "-" for standard input
  std::string deck_name;   // how diagnostics name it
  std::string config_path; // --config ("" : $PAS_CONFIG)
  std::string json_path;   // --json ("" : none)
  std::string state_dir;   // --state-dir ("" : default)
};

void Usage(FILE* out) {
  std::fprintf(out,
               "usage: pas run [FILE|-] [--config FILE] [--json FILE] [--state-dir DIR]\n\n"
               "Reads control statements from FILE (standard input when absent or -),\n"
               "lists them, validates them and runs the function: SWAP, SWAPDUMP,\n"
               "SIMSWAP, SIMSWAPMON or MONITOR (doc/statements.md). --config names the\n"
               "system configuration (default $PAS_CONFIG); --json writes the report as\n"
               "JSON. Exit status: the highest condition code (0, 4, 8, 12).\n");
}

// Reads at most kMaxDeckBytes + 1 bytes so a huge input is refused without
// being held in memory.
Result<std::string> ReadDeck(const std::string& path) {
  FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::FromErrno(path);
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    text.append(buf, n);
    if (text.size() > statements::kMaxDeckBytes) break;
  }
  bool err = std::ferror(f);
  if (f != stdin) std::fclose(f);
  if (err) return Status::IoError("read " + path);
  return text;
}

// History records made by the engine for the volumes of this job.
std::vector<report::HistoryRecord>& history_records() {
  static std::vector<report::HistoryRecord> records;
  return records;
}

// Publishes the job's progress on the system's status board (`pas status`,
// host/job_status.h): every phase or pass change at once, progress within
// a pass at most every kInterval. While a volume is under the quiesce
// (FINAL, COMMIT) the file is written by the publisher's own thread, so
// the pause of the applications never waits for it; otherwise by the
// calling volume thread, so the board is current when the thread goes on.
// A board that cannot be written costs a log line, not the job.
class StatusPublisher {
 public:
  static constexpr auto kInterval = std::chrono::milliseconds(500);

  StatusPublisher(const host::SystemConfig& config, const statements::Plan& plan, const RunOptions& opt) {
    base_.system = config.name;
    base_.function = statements::FunctionName(plan.function);
    base_.deck = opt.deck_path;
    auto e = host::JobStatusEntry::Open(base_);
    if (!e.ok()) {
      Logger("engine")->warn("{}: the job's status is not published for pas status: {}", config.name,
                             e.status().ToString());
      return;
    }
    entry_.emplace(std::move(e).value());
    writer_ = std::thread([this] { WriteDeferred(); });
  }
  ~StatusPublisher() {
    if (!writer_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    writer_.join();
  }

  void Attach(report::ProgressReporter& progress) {
    if (!entry_) return;
    progress.SetListener([this](const std::vector<report::VolumeSnapshot>& volumes, bool changed) {
      Publish(volumes, changed);
    });
  }

 private:
  void Publish(const std::vector<report::VolumeSnapshot>& volumes, bool changed) {
    host::JobStatus s = base_;
    bool paused = false;
    for (const report::VolumeSnapshot& v : volumes) {
      host::JobVolumeStatus vs;
      vs.volser = v.progress.volser;
      vs.source_unit = v.progress.source_unit;
      vs.target_unit = v.progress.target_unit;
      vs.phase = v.progress.phase;
      vs.pass = v.progress.pass;
      vs.tracks_done = v.progress.tracks_done;
      vs.tracks_total = v.progress.tracks_total;
      vs.dirty_tracks = v.progress.dirty_tracks;
      vs.percent = v.figures.percent;
      vs.rate_mbps = v.figures.rate_mbps;
      vs.eta_seconds = v.figures.eta_seconds;
      paused = paused || vs.phase == "FINAL" || vs.phase == "COMMIT";
      s.volumes.push_back(std::move(vs));
    }
    uint64_t seq = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const auto now = std::chrono::steady_clock::now();
      if (!changed && now - last_ < kInterval) return;
      last_ = now;
      seq = ++seq_;
      if (paused) {
        pending_ = std::move(s);
        pending_seq_ = seq;
        cv_.notify_one();
        return;
      }
    }
    Write(std::move(s), seq);
  }

  void WriteDeferred() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stop_ || pending_seq_ != 0; });
      if (pending_seq_ == 0 && stop_) return;
      host::JobStatus s = std::move(pending_);
      const uint64_t seq = pending_seq_;
      pending_seq_ = 0;
      lock.unlock();
      Write(std::move(s), seq);
      lock.lock();
    }
  }

  // Writes `s` unless a newer status (higher `seq`) was written already.
  void Write(host::JobStatus s, uint64_t seq) {
    std::lock_guard<std::mutex> lock(write_mu_);
    if (seq <= written_seq_) return;
    written_seq_ = seq;
    Status st = entry_->Publish(std::move(s));
    if (!st.ok() && !warned_) {
      warned_ = true;
      Logger("engine")->warn("{}: publishing the job's status: {}", base_.system, st.ToString());
    }
  }

  host::JobStatus base_;  // set in the constructor, then read-only
  std::optional<host::JobStatusEntry> entry_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::chrono::steady_clock::time_point last_{};  // guarded by mu_
  uint64_t seq_ = 0;                              // guarded by mu_
  host::JobStatus pending_;                       // guarded by mu_: for the writer thread
  uint64_t pending_seq_ = 0;                      // guarded by mu_: 0 when nothing is pending
  bool stop_ = false;                             // guarded by mu_
  std::mutex write_mu_;
  uint64_t written_seq_ = 0;                      // guarded by write_mu_
  bool warned_ = false;                           // guarded by write_mu_
  std::thread writer_;
};

// Executes a validated plan: MONITOR decks run the monitor, every other
// function runs the swap job (src/engine/job.h).
void ExecutePlan(const statements::Plan& plan, const RunOptions& opt, report::Reporter& rep,
                 report::JobReport& job) {
  const std::string function = statements::FunctionName(plan.function);
  rep.Message("PAS329I", {{"function", function},
                          {"count", std::to_string(plan.IsMonitor() ? plan.monitor_units.size()
                                                                    : plan.mounts.size())},
                          {"max_tasks", std::to_string(plan.max_tasks)}});
  if (plan.IsMonitor()) {
    std::string units;
    for (const auto& u : plan.monitor_units) units += (units.empty() ? "" : ",") + u;
    rep.Message("PAS331I", {{"units", units},
                            {"dynmon", plan.dynmon ? "YES" : "NO"},
                            {"duration", plan.duration_minutes
                                             ? std::to_string(plan.duration_minutes)
                                             : std::string("NOLIMIT")}});
  } else {
    for (const statements::Mount& m : plan.mounts) {
      rep.Message("PAS330I", {{"function", function}, {"volser", m.volser},
                              {"unit", m.swapunit_pattern}, {"line", std::to_string(m.where.line)}});
    }
  }
  // The swap engine (src/engine/job.h) and the monitor (src/monitor/monitor.h).
  auto path = host::ResolveConfigPath(opt.config_path);
  Result<host::SystemConfig> config =
      path.ok() ? host::LoadSystemConfig(*path) : Result<host::SystemConfig>(path.status());
  if (!config.ok()) {
    rep.Message("PAS150E", {{"reason", config.status().message()}});
    rep.RaiseConditionCode(report::kCcJobFailed);
    return;
  }
  job.system = config->name;
  if (plan.IsMonitor()) {
    static std::atomic<bool> stop{false};
    std::signal(SIGINT, [](int) { stop.store(true); });
    std::signal(SIGTERM, [](int) { stop.store(true); });
    monitor::MonitorOptions mo;
    mo.unit_patterns = plan.monitor_units;
    mo.dynmon = plan.dynmon;
    mo.duration_minutes = plan.duration_minutes;
    mo.max_tasks = plan.max_tasks;
    mo.reporter = &rep;
    mo.stop = &stop;
    rep.RaiseConditionCode(monitor::RunMonitor(*config, mo));
    return;
  }
  report::ProgressReporter progress(stdout, report::ProgressReporter::ModeFor(stdout));
  StatusPublisher status(*config, plan, opt);
  status.Attach(progress);
  engine::JobOptions jo;
  jo.reporter = &rep;
  jo.progress = &progress;
  // SIGINT and SIGTERM cancel the job like a failed volume: every volume
  // not yet committed goes back to the source on every system (PAS214E).
  static std::atomic<bool> cancel{false};
  static std::atomic<int> cancel_signal{0};
  struct sigaction sa {};
  sa.sa_handler = [](int sig) {
    cancel_signal.store(sig);
    cancel.store(true);
  };
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  jo.cancel = &cancel;
  jo.cancel_signal = &cancel_signal;
  if (auto dir = report::ResolveStateDir(opt.state_dir); dir.ok()) jo.cancel_dir = *dir + "/cancel";
  // PAS_JOIN_TIMEOUT: seconds a system may take to join (default 30).
  if (const char* t = std::getenv("PAS_JOIN_TIMEOUT"); t != nullptr && std::atoi(t) > 0) {
    jo.join_timeout_us = int64_t{std::atoi(t)} * 1'000'000;
  }
  engine::JobResult result = engine::RunJob(plan, *config, jo);
  job.volumes = result.volumes;
  history_records() = result.history;
  rep.RaiseConditionCode(result.condition_code);
}

void RecordHistory(const RunOptions& opt, const report::JobReport& job, report::Reporter& rep,
                   int exit_cc) {
  if (job.volumes.empty()) return;
  auto dir = report::ResolveStateDir(opt.state_dir);
  if (!dir.ok()) {
    rep.Message("PAS503W", {{"path", "(none)"}, {"reason", dir.status().message()}});
    return;
  }
  if (!history_records().empty()) {
    for (report::HistoryRecord r : history_records()) {
      r.exit_condition_code = exit_cc;
      Status s = report::AppendHistory(*dir, r);
      if (!s.ok()) {
        rep.Message("PAS503W", {{"path", *dir}, {"reason", s.message()}});
        return;
      }
    }
    return;
  }
  for (const report::VolumeStats& v : job.volumes) {
    report::HistoryRecord r;
    r.time = job.end_wall_seconds;
    r.system = job.system;
    r.volser = v.volser;
    r.function = v.function;
    r.status = v.status;
    r.condition_code = v.condition_code;
    r.exit_condition_code = exit_cc;
    r.source_unit = v.source_unit;
    r.target_unit = v.target_unit;
    r.phases.validate = static_cast<double>(job.end_wall_seconds - job.start_wall_seconds);
    Status s = report::AppendHistory(*dir, r);
    if (!s.ok()) {
      rep.Message("PAS503W", {{"path", *dir}, {"reason", s.message()}});
      return;
    }
  }
}

int RunCommand(int argc, char** argv) {
  RunOptions opt;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name, std::string& out) -> bool {
      std::string flag = std::string("--") + name;
      if (a == flag && i + 1 < argc) {
        out = argv[++i];
        return true;
      }
      if (a.rfind(flag + "=", 0) == 0) {
        out = a.substr(flag.size() + 1);
        return true;
      }
      return false;
    };
    if (a == "--help" || a == "-h") {
      Usage(stdout);
      return 0;
    }
    if (value("config", opt.config_path) || value("json", opt.json_path) ||
        value("state-dir", opt.state_dir)) {
      continue;
    }
    if (a.size() > 1 && a[0] == '-') {
      std::fprintf(stderr, "%s\n", report::Format("PAS003E", {{"command", "run"},
                                                              {"reason", "unknown option " + a}})
                                       .c_str());
      Usage(stderr);
      return report::kCcJobFailed;
    }
    positional.push_back(a);
  }
  if (positional.size() > 1) {
    std::fprintf(stderr, "%s\n", report::Format("PAS003E", {{"command", "run"},
                                                            {"reason", "more than one FILE"}})
                                     .c_str());
    return report::kCcJobFailed;
  }
  opt.deck_path = positional.empty() ? "-" : positional[0];
  opt.deck_name = opt.deck_path == "-" ? "<stdin>" : opt.deck_path;

  report::Reporter rep(stdout);
  report::JobReport job;
  job.deck = opt.deck_name;
  job.start_wall_seconds = Clock::Real()->WallSeconds();
  // The end of every run: the --json report (a failure to write it is an
  // error of the job, PAS504E, condition code 8 at least), then the
  // history with the condition code the job exits with, then the closing
  // line.
  bool record_history = false;
  auto finish = [&]() {
    job.end_wall_seconds = Clock::Real()->WallSeconds();
    report::JobReport snap = rep.Snapshot();
    job.condition_code = snap.condition_code;
    job.messages = snap.messages;
    if (!opt.json_path.empty()) {
      Status s = report::WriteJsonReport(opt.json_path, job);
      if (!s.ok()) {
        rep.Message("PAS504E", {{"path", opt.json_path}, {"reason", s.message()}});
        rep.RaiseConditionCode(report::kCcVolumeFailed);
      }
    }
    if (record_history) RecordHistory(opt, job, rep, rep.Snapshot().condition_code);
    rep.Close();
    return rep.Snapshot().condition_code;
  };

  auto text = ReadDeck(opt.deck_path);
  if (!text.ok()) {
    rep.Message("PAS332E", {{"source", opt.deck_name}, {"reason", text.status().message()}});
    rep.RaiseConditionCode(report::kCcJobFailed);
    return finish();
  }
  statements::ParseResult parsed = statements::ParseDeck(*text, opt.deck_name);
  rep.Message("PAS300I", {{"source", opt.deck_name}});
  for (const std::string& line : parsed.echo) rep.Line("  " + line);
  rep.Line("");
  for (const statements::Diagnostic& d : parsed.diagnostics) {
    std::string f = d.Format();
    std::fwrite(f.data(), 1, f.size(), stderr);
  }
  std::fflush(stderr);
  rep.RaiseConditionCode(parsed.condition_code);
  if (!parsed.ok()) return finish();
  job.function = statements::FunctionName(parsed.plan->function);
  ExecutePlan(*parsed.plan, opt, rep, job);
  job.end_wall_seconds = Clock::Real()->WallSeconds();
  for (const report::VolumeStats& v : job.volumes) rep.RaiseConditionCode(v.condition_code);
  record_history = true;
  return finish();
}

}  // namespace

PAS_COMMAND("run", "run a control-statement deck (SWAP, SWAPDUMP, SIMSWAP, MONITOR...)", RunCommand);

}  // namespace pas::cli
