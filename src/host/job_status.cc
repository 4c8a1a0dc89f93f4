#include "host/job_status.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "base/clock.h"
#include "base/format.h"

namespace pas::host {
namespace {

constexpr const char* kMagic = "PASJOBSTATUS 1";

// A word of the status file: no blanks, never empty.
std::string Word(const std::string& s) {
  if (s.empty()) return "-";
  std::string w = s;
  for (char& c : w)
    if (c == ' ' || c == '\t' || c == '\n') c = '_';
  return w;
}

std::string LockPath(const std::string& dir, uint32_t pid) { return dir + "/" + std::to_string(pid) + ".lock"; }
std::string StatusPath(const std::string& dir, uint32_t pid) { return dir + "/" + std::to_string(pid) + ".status"; }

Result<std::string> ReadWhole(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(path);
  Fd f(fd);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(f.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(path);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > (1u << 20)) return Status::Corruption(path + ": larger than 1 MiB");
  }
  return out;
}

}  // namespace

std::string FormatJobStatus(const JobStatus& s) {
  std::string out = std::string(kMagic) + "\n";
  out += "job " + std::to_string(s.pid) + " " + Word(s.system) + " " + Word(s.function) + " " +
         std::to_string(s.started_us) + " " + std::to_string(s.updated_us) + "\n";
  out += "deck " + (s.deck.empty() ? std::string("-") : s.deck) + "\n";
  for (const JobVolumeStatus& v : s.volumes) {
    out += "volume " + Word(v.volser) + " " + Word(v.source_unit) + " " + Word(v.target_unit) + " " +
           Word(v.phase) + " " + std::to_string(v.pass) + " " + std::to_string(v.tracks_done) + " " +
           std::to_string(v.tracks_total) + " " + std::to_string(v.dirty_tracks) + " " + FormatFixed(v.percent, 1) +
           " " + FormatFixed(v.rate_mbps, 1) + " " + FormatFixed(v.eta_seconds < 0 ? -1.0 : v.eta_seconds, 0) + "\n";
  }
  out += "end\n";
  return out;
}

Result<JobStatus> ParseJobStatus(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != kMagic) return Status::Corruption("not a job status");
  JobStatus s;
  bool have_job = false, have_end = false;
  while (std::getline(in, line)) {
    if (line == "end") {
      have_end = true;
      break;
    }
    if (line.rfind("deck ", 0) == 0) {
      s.deck = line.substr(5);
      continue;
    }
    std::istringstream ls(line);
    std::string kind;
    ls >> kind;
    if (kind == "job") {
      if (!(ls >> s.pid >> s.system >> s.function >> s.started_us >> s.updated_us)) {
        return Status::Corruption("bad job line: " + line);
      }
      have_job = true;
    } else if (kind == "volume") {
      JobVolumeStatus v;
      if (!(ls >> v.volser >> v.source_unit >> v.target_unit >> v.phase >> v.pass >> v.tracks_done >>
            v.tracks_total >> v.dirty_tracks >> v.percent >> v.rate_mbps >> v.eta_seconds)) {
        return Status::Corruption("bad volume line: " + line);
      }
      s.volumes.push_back(std::move(v));
    } else {
      return Status::Corruption("unknown line: " + line);
    }
  }
  if (!have_job || !have_end) return Status::Corruption("incomplete job status");
  return s;
}

std::string JobStatusDir(const std::string& system) { return RuntimeDir() + "/" + system + ".jobs"; }

JobStatusEntry::JobStatusEntry(std::string dir, uint32_t pid, Fd lock)
    : dir_(std::move(dir)), pid_(pid), lock_(std::move(lock)) {}

JobStatusEntry::JobStatusEntry(JobStatusEntry&& o) noexcept
    : dir_(std::move(o.dir_)), pid_(o.pid_), lock_(std::move(o.lock_)), moved_(o.moved_) {
  o.moved_ = true;
}

JobStatusEntry::~JobStatusEntry() {
  if (moved_) return;
  // The status first: a reader that finds a lock file without a status
  // skips it; one that finds a status whose lock is free removes it.
  ::unlink(StatusPath(dir_, pid_).c_str());
  ::unlink(LockPath(dir_, pid_).c_str());
}

Result<JobStatusEntry> JobStatusEntry::Open(const JobStatus& initial) {
  PAS_ASSIGN_OR_RETURN(std::string runtime, EnsureRuntimeDir());
  (void)runtime;
  std::string dir = JobStatusDir(initial.system);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Status::FromErrno("job status board " + dir);
  const uint32_t pid = static_cast<uint32_t>(::getpid());
  // A file left by a dead process with our pid is replaced: O_TRUNC, and
  // the lock below is free (its holder is gone).
  int fd = ::open(LockPath(dir, pid).c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno("job status lock " + LockPath(dir, pid));
  Fd lock(fd);
  PAS_RETURN_IF_ERROR(TryLockByte(lock.get(), kLockBase, LockKind::kExclusive));
  JobStatusEntry entry(dir, pid, std::move(lock));
  JobStatus s = initial;
  s.started_us = s.started_us ? s.started_us : WallMicros();
  PAS_RETURN_IF_ERROR(entry.Publish(s));
  return entry;
}

Status JobStatusEntry::Publish(JobStatus status) {
  std::lock_guard<std::mutex> lock(mu_);
  status.pid = pid_;
  status.updated_us = WallMicros();
  const std::string text = FormatJobStatus(status);
  const std::string tmp = StatusPath(dir_, pid_) + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno("job status " + tmp);
  Fd f(fd);
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(f.get(), text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno("job status " + tmp);
    off += static_cast<size_t>(n);
  }
  // No fsync: the board lives in the runtime directory and means nothing
  // after a crash of the machine.
  if (::rename(tmp.c_str(), StatusPath(dir_, pid_).c_str()) != 0) return Status::FromErrno("job status rename");
  return Status::Ok();
}

Result<std::vector<JobStatus>> ListRunningJobs(const std::string& system) {
  const std::string dir = JobStatusDir(system);
  std::vector<JobStatus> jobs;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return jobs;
    return Status::FromErrno("job status board " + dir);
  }
  std::vector<uint32_t> pids;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    const std::string suffix = ".lock";
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    std::string num = name.substr(0, name.size() - suffix.size());
    if (num.find_first_not_of("0123456789") != std::string::npos) continue;
    pids.push_back(static_cast<uint32_t>(std::strtoul(num.c_str(), nullptr, 10)));
  }
  ::closedir(d);
  for (uint32_t pid : pids) {
    int fd = ::open(LockPath(dir, pid).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;  // removed meanwhile: the job ended
    Fd probe(fd);
    if (!ByteLocked(probe.get(), kLockBase)) {
      // The job died without removing its entry (SIGKILL): clean up. A new
      // job with the same pid takes the lock before it publishes, so a
      // free lock always means a dead entry.
      ::unlink(StatusPath(dir, pid).c_str());
      ::unlink((StatusPath(dir, pid) + ".tmp").c_str());
      ::unlink(LockPath(dir, pid).c_str());
      continue;
    }
    // A rename in progress cannot tear the file; a status not yet written
    // (between the lock and the first publish) is skipped.
    auto text = ReadWhole(StatusPath(dir, pid));
    if (!text.ok()) continue;
    auto s = ParseJobStatus(*text);
    if (!s.ok()) continue;
    jobs.push_back(std::move(s).value());
  }
  std::sort(jobs.begin(), jobs.end(), [](const JobStatus& a, const JobStatus& b) {
    return a.started_us != b.started_us ? a.started_us < b.started_us : a.pid < b.pid;
  });
  return jobs;
}

}  // namespace pas::host
