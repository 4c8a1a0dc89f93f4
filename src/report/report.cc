#include "report/report.h"

#include "base/format.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace pas::report {
namespace {

std::string Fixed(double v, int decimals) { return FormatFixed(v, decimals); }

std::string JsonNumber(double v) {
  if (!std::isfinite(v)) return "0";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

int CcForSeverity(Severity s) {
  switch (s) {
    case Severity::kInfo: return kCcOk;
    case Severity::kWarning: return kCcWarning;
    case Severity::kError: return kCcVolumeFailed;
    case Severity::kSevere: return kCcJobFailed;
  }
  return kCcOk;
}

}  // namespace

std::string FormatThousands(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  int count = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (count > 0 && count % 3 == 0) out += ',';
    out += *it;
    ++count;
  }
  return std::string(out.rbegin(), out.rend());
}

std::string FormatOperationStatistics(const VolumeStats& v) {
  const std::string ind = "      ";
  std::string out;
  out += "OPERATION STATISTICS FOR " + v.device_type + " VOLUME....." + v.volser + "\n";
  out += ind + "CYLINDERS ON VOLUME....." + FormatThousands(v.cylinders) + "\n";
  out += ind + "DATASETS PROCESSED....." + FormatThousands(v.datasets_processed) + "\n";
  out += ind + "BYTES READ FROM DASD....." + FormatThousands(v.bytes_read) + "\n";
  out += ind + "DASD TRACKS SWAPPED....." + FormatThousands(v.tracks_swapped) + "\n";
  out += ind + "UPDATED TRACKS RECOPIED....." + FormatThousands(v.tracks_recopied) + "\n";
  out += ind + "DASD EXCPS....." + FormatThousands(v.source_excps) + "\n";
  out += ind + "TARGET DASD EXCPS....." + FormatThousands(v.target_excps) + "\n";
  out += ind + "CPU TIME (SECONDS)....." + Fixed(v.cpu_seconds, 3) + "\n";
  out += ind + "ELAPSED TIME (MINUTES)....." + Fixed(v.elapsed_minutes, 1) + "\n";
  out += ind + "SWAP TIME....." + Fixed(v.swap_minutes, 1) + "\n";
  out += ind + "PASSES....." + FormatThousands(v.passes) + "\n";
  out += ind + "LONGEST I/O PAUSE (MS)....." + Fixed(v.longest_pause_ms, 1);
  if (!v.longest_pause_system.empty()) out += " ON " + v.longest_pause_system;
  out += "\n";
  if (v.pace_us > 0) out += ind + "WRITES PACED (MS PER WRITE)....." + Fixed(v.pace_us / 1000.0, 2) + "\n";
  if (v.tracks_skipped > 0) out += ind + "TRACKS ALREADY ON TARGET....." + FormatThousands(v.tracks_skipped) + "\n";
  return out;
}

std::string ClosingLine(int highest_cc) {
  if (highest_cc <= 0) return "PAS SUCCESSFULLY COMPLETED";
  std::string what = highest_cc < kCcVolumeFailed ? "WARNINGS" : "ERRORS";
  return "PAS COMPLETED WITH " + what + " \u2014 HIGHEST CONDITION CODE " +
         std::to_string(highest_cc);
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string JobReportJson(const JobReport& job) {
  std::string o = "{\n";
  o += "  \"function\": " + JsonString(job.function) + ",\n";
  o += "  \"deck\": " + JsonString(job.deck) + ",\n";
  o += "  \"system\": " + JsonString(job.system) + ",\n";
  o += "  \"start_time\": " + std::to_string(job.start_wall_seconds) + ",\n";
  o += "  \"end_time\": " + std::to_string(job.end_wall_seconds) + ",\n";
  o += "  \"condition_code\": " + std::to_string(job.condition_code) + ",\n";
  o += "  \"closing_line\": " + JsonString(ClosingLine(job.condition_code)) + ",\n";
  o += "  \"messages\": [";
  for (size_t i = 0; i < job.messages.size(); ++i) {
    o += (i ? ",\n    " : "\n    ") + JsonString(job.messages[i]);
  }
  o += job.messages.empty() ? "],\n" : "\n  ],\n";
  o += "  \"volumes\": [";
  for (size_t i = 0; i < job.volumes.size(); ++i) {
    const VolumeStats& v = job.volumes[i];
    o += i ? ",\n    {" : "\n    {";
    o += "\"volser\": " + JsonString(v.volser);
    o += ", \"function\": " + JsonString(v.function);
    o += ", \"device_type\": " + JsonString(v.device_type);
    o += ", \"source_unit\": " + JsonString(v.source_unit);
    o += ", \"target_unit\": " + JsonString(v.target_unit);
    o += ", \"status\": " + JsonString(v.status);
    o += ", \"condition_code\": " + std::to_string(v.condition_code);
    o += ", \"cylinders\": " + std::to_string(v.cylinders);
    o += ", \"datasets_processed\": " + std::to_string(v.datasets_processed);
    o += ", \"bytes_read\": " + std::to_string(v.bytes_read);
    o += ", \"tracks_swapped\": " + std::to_string(v.tracks_swapped);
    o += ", \"tracks_recopied\": " + std::to_string(v.tracks_recopied);
    o += ", \"source_excps\": " + std::to_string(v.source_excps);
    o += ", \"target_excps\": " + std::to_string(v.target_excps);
    o += ", \"cpu_seconds\": " + JsonNumber(v.cpu_seconds);
    o += ", \"elapsed_minutes\": " + JsonNumber(v.elapsed_minutes);
    o += ", \"swap_minutes\": " + JsonNumber(v.swap_minutes);
    o += ", \"passes\": " + std::to_string(v.passes);
    o += ", \"longest_pause_ms\": " + JsonNumber(v.longest_pause_ms);
    o += ", \"longest_pause_system\": " + JsonString(v.longest_pause_system);
    o += ", \"pace_us\": " + std::to_string(v.pace_us);
    o += ", \"tracks_skipped\": " + std::to_string(v.tracks_skipped);
    o += "}";
  }
  o += job.volumes.empty() ? "]\n" : "\n  ]\n";
  o += "}\n";
  return o;
}

Status WriteJsonReport(const std::string& path, const JobReport& job) {
  const std::string text = JobReportJson(job);
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno("open " + tmp);
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = Status::FromErrno("write " + tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    Status s = Status::FromErrno("sync " + tmp);
    ::unlink(tmp.c_str());
    return s;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = Status::FromErrno("rename " + tmp + " to " + path);
    ::unlink(tmp.c_str());
    return s;
  }
  return Status::Ok();
}

namespace {

// True when `out` is the stream systemd connected to the journal: the
// JOURNAL_STREAM variable names its device and inode (systemd.exec(5)).
bool IsJournalStream(FILE* out) {
  const char* env = std::getenv("JOURNAL_STREAM");
  if (out == nullptr || env == nullptr) return false;
  struct stat st {};
  if (::fstat(::fileno(out), &st) != 0) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
  return dev == static_cast<unsigned long long>(st.st_dev) && ino == static_cast<unsigned long long>(st.st_ino);
}

// The syslog priority prefix the journal reads from a line (sd-daemon(3)):
// I -> <6> info, W -> <4> warning, E -> <3> err, S -> <2> crit.
const char* JournalPrefix(Severity s) {
  switch (s) {
    case Severity::kWarning: return "<4>";
    case Severity::kError: return "<3>";
    case Severity::kSevere: return "<2>";
    default: return "<6>";
  }
}

}  // namespace

Reporter::Reporter(FILE* out) : out_(out), journal_(IsJournalStream(out)) {}

void Reporter::WriteLocked(std::string_view line) {
  if (out_ == nullptr) return;
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

std::string Reporter::Message(std::string_view id, std::initializer_list<Arg> args) {
  std::string line = Format(id, args);
  const MessageDef* m = FindMessage(id);
  int cc = m ? CcForSeverity(m->severity()) : kCcJobFailed;
  std::lock_guard<std::mutex> lock(mu_);
  WriteLocked(journal_ ? JournalPrefix(m ? m->severity() : Severity::kSevere) + line : line);
  messages_.push_back(line);
  if (cc > highest_cc_) highest_cc_ = cc;
  return line;
}

void Reporter::Line(std::string_view text) {
  std::lock_guard<std::mutex> lock(mu_);
  WriteLocked(text);
}

void Reporter::FormattedMessage(std::string_view line) {
  const MessageDef* m = line.size() >= 7 ? FindMessage(line.substr(0, 7)) : nullptr;
  if (m == nullptr) {
    Line(line);
    return;
  }
  const int cc = CcForSeverity(m->severity());
  std::lock_guard<std::mutex> lock(mu_);
  WriteLocked(journal_ ? JournalPrefix(m->severity()) + std::string(line) : std::string(line));
  messages_.emplace_back(line);
  if (cc > highest_cc_) highest_cc_ = cc;
}

void Reporter::Volume(const VolumeStats& v) {
  std::string block = FormatOperationStatistics(v);
  std::lock_guard<std::mutex> lock(mu_);
  if (out_ != nullptr) {
    std::fwrite(block.data(), 1, block.size(), out_);
    std::fflush(out_);
  }
  volumes_.push_back(v);
  if (v.condition_code > highest_cc_) highest_cc_ = v.condition_code;
}

void Reporter::RaiseConditionCode(int cc) {
  std::lock_guard<std::mutex> lock(mu_);
  if (cc > highest_cc_) highest_cc_ = cc;
}

int Reporter::highest_cc() const {
  std::lock_guard<std::mutex> lock(mu_);
  return highest_cc_;
}

void Reporter::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  WriteLocked(ClosingLine(highest_cc_));
}

JobReport Reporter::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  JobReport job;
  job.condition_code = highest_cc_;
  job.messages = messages_;
  job.volumes = volumes_;
  return job;
}

}  // namespace pas::report
