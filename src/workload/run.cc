// The workload writers. doc/workload.md.
#include "workload/run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>

#include "base/clock.h"
#include "base/log.h"
#include "ckd/image.h"
#include "ckd/label.h"
#include "host/host_io.h"
#include "host/online_registry.h"
#include "host/unit_table.h"
#include "workload/journal.h"
#include "workload/record.h"

namespace pas::workload {
namespace {

volatile sig_atomic_t g_stop = 0;
void OnStopSignal(int) { g_stop = 1; }

int64_t WallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What a writer sends its parent at the end (then kWireWords histogram
// words, then `error_len` bytes of error text).
struct WriterReport {
  uint64_t writes = 0;
  uint64_t stalls_over_10ms = 0;
  uint64_t stall_track = 0;
  uint64_t gate_wait_us = 0;
  uint64_t reopens = 0;
  uint64_t error_len = 0;
};

bool WriteAll(int fd, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t w = ::write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    c += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool ReadAll(int fd, void* p, size_t n) {
  char* c = static_cast<char*>(p);
  while (n > 0) {
    ssize_t r = ::read(fd, c, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    c += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// One writer process's whole life; returns its exit status.
int WriterMain(const host::SystemConfig& config, const RunOptions& o, const RunPlan& plan,
               uint32_t g, int report_fd) {
  LatencyHistogram hist;
  WriterReport rep;
  std::string error;
  auto finish = [&](int rc) {
    rep.error_len = error.size();
    auto words = hist.Serialize();
    bool ok = WriteAll(report_fd, &rep, sizeof rep) &&
              WriteAll(report_fd, words.data(), words.size() * sizeof(uint64_t)) &&
              WriteAll(report_fd, error.data(), error.size());
    ::close(report_fd);
    return ok ? rc : 3;
  };
  const std::vector<uint32_t> owned = OwnedTracks(plan.area, g, plan.total_writers);
  if (owned.empty()) {
    error = "owns no track of area " + plan.area.ToString();
    return finish(1);
  }
  auto system = host::System::Attach(config);
  if (!system.ok()) {
    error = "attach: " + system.status().ToString();
    return finish(1);
  }
  auto io = host::UnitIo::Open(**system, o.devnum);
  if (!io.ok()) {
    error = "open unit " + host::FormatDevnum(o.devnum) + ": " + io.status().ToString();
    return finish(1);
  }
  JournalHeader header{.system = plan.system,
                       .system_hash = SystemNameHash(plan.system),
                       .unit = host::FormatDevnum(o.devnum),
                       .writer = g,
                       .total_writers = plan.total_writers,
                       .first_track = plan.area.ranges.front().first,
                       .last_track = plan.area.ranges.back().second,
                       .image = plan.image};
  auto journal = JournalWriter::Open(WriterJournalPath(o.journal, g), header);
  if (!journal.ok()) {
    error = journal.status().ToString();
    return finish(1);
  }
  const ckd::DeviceGeometry geometry = io->geometry();
  std::vector<uint8_t> slot(geometry.slot_size);
  std::mt19937_64 rng(o.seed ? o.seed + g : static_cast<uint64_t>(WallMicros()) * 7919 + g);
  std::uniform_int_distribution<size_t> pick(0, owned.size() - 1);
  Clock* clock = Clock::Real();
  const int64_t start = clock->NowMicros();
  const int64_t deadline = start + static_cast<int64_t>(o.duration_s * 1e6);
  const int64_t interval = o.rate > 0 ? static_cast<int64_t>(1e6 / o.rate) : 0;
  int64_t next = start;
  uint64_t seq = plan.start_seq;
  int64_t longest = -1;
  while (!g_stop) {
    if (o.max_writes ? rep.writes >= o.max_writes : clock->NowMicros() >= deadline) break;
    if (o.max_writes && o.duration_s > 0 && clock->NowMicros() >= deadline) break;
    if (interval > 0) {
      const int64_t now = clock->NowMicros();
      if (next > now) clock->SleepMicros(next - now);
      next += interval;
    }
    const uint32_t track = owned[pick(rng)];
    ++seq;
    WriteId id{.writer = g, .system_hash = header.system_hash, .track = track, .seq = seq};
    auto sum = BuildWorkloadTrack(geometry, id, slot);
    if (!sum.ok()) {
      error = "track " + std::to_string(track) + ": " + sum.status().ToString();
      return finish(1);
    }
    const int64_t t0 = clock->NowMicros();
    Status s = io->WriteTrack(track, slot);
    const int64_t lat = clock->NowMicros() - t0;
    if (!s.ok()) {
      error = "track " + std::to_string(track) + " seq " + std::to_string(seq) + ": " +
              s.ToString();
      return finish(1);
    }
    Status js = journal->Append(track, g, seq, *sum);
    if (!js.ok()) {
      error = js.ToString();
      return finish(1);
    }
    ++rep.writes;
    hist.Record(static_cast<uint64_t>(lat));
    if (lat > 10'000) ++rep.stalls_over_10ms;
    if (lat > longest) {
      longest = lat;
      rep.stall_track = track;
    }
  }
  host::IoStats st = io->stats();
  rep.gate_wait_us = static_cast<uint64_t>(st.longest_gate_wait_us);
  rep.reopens = st.reopens;
  return finish(0);
}

}  // namespace

Result<RunPlan> PlanWorkload(const host::SystemConfig& config, const RunOptions& o) {
  if (o.writers == 0 || o.writers > 256) {
    return Status::InvalidArgument("--writers must be 1-256");
  }
  if (o.systems > 256) return Status::InvalidArgument("--systems must be 0-256");
  if (o.system_index && o.systems && *o.system_index >= o.systems) {
    return Status::InvalidArgument("--system-index must be below --systems");
  }
  if (o.journal.empty()) return Status::InvalidArgument("--journal is required");
  if (o.duration_s <= 0 && o.max_writes == 0) {
    return Status::InvalidArgument("--duration must be positive");
  }
  const host::UnitConfig* unit = config.FindUnit(o.devnum);
  if (!unit) {
    return Status::NotFound("unit " + host::FormatDevnum(o.devnum) + " is not in " + config.path);
  }
  RunPlan plan;
  plan.system = config.name;
  PAS_ASSIGN_OR_RETURN(auto system, host::System::Attach(config));
  PAS_ASSIGN_OR_RETURN(host::UnitStatus st, system->Status(o.devnum));
  if (!st.online) {
    return Status::Busy("unit " + host::FormatDevnum(o.devnum) + " is offline on system " +
                        config.name);
  }
  PAS_ASSIGN_OR_RETURN(host::UnitIo io, host::UnitIo::Open(*system, o.devnum));
  plan.image = io.image_path();
  // M: as given, else every system that has the volume online (each of
  // them may run a workload on it), this one at least.
  plan.systems = o.systems;
  if (plan.systems == 0) {
    auto online = host::ListOnlineSystems(plan.image);
    uint32_t n = 0;
    bool self = false;
    if (online.ok()) {
      for (const auto& sys : *online) {
        ++n;
        self |= sys.name == config.name;
      }
    }
    plan.systems = std::max<uint32_t>(1, n + (self ? 0 : 1));
  }
  if (o.system_index && *o.system_index >= plan.systems) {
    return Status::InvalidArgument("--system-index must be below --systems");
  }
  // Under the volume's claim lock: the area (allocating PAS.WORKLOAD when
  // the VTOC lists none) and this system's share, so two systems starting
  // at once never both allocate nor take one share.
  PAS_ASSIGN_OR_RETURN(ClaimLock lock, ClaimLock::Acquire(plan.image));
  PAS_ASSIGN_OR_RETURN(plan.choice,
                       ChooseArea(io, o.tracks, o.allocate_tracks, plan.systems * o.writers));
  plan.area = plan.choice.area;
  PAS_ASSIGN_OR_RETURN(ckd::CkdImage image, ckd::CkdImage::Open(plan.image, false));
  auto label = ckd::ReadVolumeLabel(image);
  if (label.ok()) plan.volser = label->volser;
  plan.total_writers = plan.systems * o.writers;
  // Every writer must own a track, whatever share it gets.
  for (uint32_t g = 0; g < plan.total_writers; ++g) {
    if (OwnedTracks(plan.area, g, plan.total_writers).empty()) {
      return Status::InvalidArgument("area " + plan.area.ToString() + " is too small for " +
                                     std::to_string(plan.total_writers) + " writers");
    }
  }
  PAS_ASSIGN_OR_RETURN(auto claim,
                       ShareClaim::Claim(lock, ShareRequest{.system = config.name,
                                                            .systems = plan.systems,
                                                            .index = o.system_index,
                                                            .writers = o.writers,
                                                            .first_track = plan.area.ranges.front().first,
                                                            .last_track = plan.area.ranges.back().second}));
  plan.system_index = claim->index();
  plan.claim = std::move(claim);
  plan.first_writer = plan.system_index * o.writers;
  // Sequence numbers start at the wall clock in microseconds, so a later
  // run's writes compare newer than an earlier run's (a writer does far
  // fewer than one write per microsecond).
  plan.start_seq = static_cast<uint64_t>(WallMicros());
  return plan;
}

Result<RunResult> RunWorkload(const host::SystemConfig& config, const RunOptions& o,
                              const RunPlan& plan) {
  RunResult result;
  result.plan = plan;
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {}, old_term {};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  g_stop = 0;
  const pid_t parent = ::getpid();
  std::vector<pid_t> pids;
  std::vector<int> fds;
  const int64_t t0 = Clock::Real()->NowMicros();
  for (uint32_t w = 0; w < o.writers; ++w) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) {
      result.errors.push_back("pipe: " + std::string(std::strerror(errno)));
      break;
    }
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) {
      result.errors.push_back("fork: " + std::string(std::strerror(errno)));
      ::close(p[0]);
      ::close(p[1]);
      break;
    }
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(4);
      ::close(p[0]);
      for (int fd : fds) ::close(fd);
      int rc = WriterMain(config, o, plan, plan.first_writer + w, p[1]);
      std::fflush(nullptr);
      ::_exit(rc);
    }
    ::close(p[1]);
    pids.push_back(pid);
    fds.push_back(p[0]);
  }
  if (pids.empty()) return Status::IoError("no writer could start: " + result.errors.front());
  // Collect every writer's report; pass a stop request on to the writers.
  std::vector<bool> done(fds.size(), false);
  size_t remaining = fds.size();
  bool forwarded = false;
  int64_t longest = -1;
  while (remaining > 0) {
    if (g_stop && !forwarded) {
      for (pid_t pid : pids) ::kill(pid, SIGTERM);
      forwarded = true;
    }
    std::vector<pollfd> pfds;
    std::vector<size_t> which;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (!done[i]) {
        pfds.push_back(pollfd{.fd = fds[i], .events = POLLIN, .revents = 0});
        which.push_back(i);
      }
    }
    int n = ::poll(pfds.data(), pfds.size(), 200);
    if (n <= 0) continue;
    for (size_t k = 0; k < pfds.size(); ++k) {
      if (!pfds[k].revents) continue;
      const size_t i = which[k];
      const uint32_t g = plan.first_writer + static_cast<uint32_t>(i);
      done[i] = true;
      --remaining;
      WriterReport rep;
      std::vector<uint64_t> words(LatencyHistogram::kWireWords);
      LatencyHistogram h;
      if (!ReadAll(fds[i], &rep, sizeof rep) ||
          !ReadAll(fds[i], words.data(), words.size() * sizeof(uint64_t)) ||
          !LatencyHistogram::Deserialize(words, &h) || rep.error_len > 65536) {
        result.errors.push_back("writer " + std::to_string(g) + ": ended without a report");
        ::close(fds[i]);
        continue;
      }
      std::string err(rep.error_len, '\0');
      if (rep.error_len && !ReadAll(fds[i], err.data(), err.size())) err = "(error text lost)";
      ::close(fds[i]);
      if (!err.empty()) result.errors.push_back("writer " + std::to_string(g) + ": " + err);
      if (static_cast<int64_t>(h.max()) > longest && h.count() > 0) {
        longest = static_cast<int64_t>(h.max());
        result.stall_writer = g;
        result.stall_track = static_cast<uint32_t>(rep.stall_track);
      }
      result.latency.Merge(h);
      result.writes += rep.writes;
      result.stalls_over_10ms += rep.stalls_over_10ms;
      result.longest_gate_wait_us =
          std::max<int64_t>(result.longest_gate_wait_us, static_cast<int64_t>(rep.gate_wait_us));
      result.reopens += rep.reopens;
    }
  }
  for (size_t i = 0; i < pids.size(); ++i) {
    int status = 0;
    while (::waitpid(pids[i], &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) {
      result.errors.push_back("writer " + std::to_string(plan.first_writer + i) +
                              ": killed by signal " + std::to_string(WTERMSIG(status)));
    }
  }
  result.elapsed_s = static_cast<double>(Clock::Real()->NowMicros() - t0) / 1e6;
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  return result;
}

}  // namespace pas::workload
