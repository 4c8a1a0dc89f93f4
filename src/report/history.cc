#include "report/history.h"

#include "base/control_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>

#include "report/report.h"

namespace pas::report {
namespace {

std::string Num(double v) {
  if (!std::isfinite(v)) return "0";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// A flat JSON object of string and number members, as HistoryRecordJson
// writes it. Returns false on anything else.
bool ParseFlatObject(const std::string& s, std::map<std::string, std::string>& strings,
                     std::map<std::string, double>& numbers) {
  size_t i = 0;
  auto ws = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  };
  auto str = [&](std::string& out) -> bool {
    if (i >= s.size() || s[i] != '"') return false;
    ++i;
    while (i < s.size() && s[i] != '"') {
      char c = s[i++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i >= s.size()) return false;
      char e = s[i++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          if (i + 4 > s.size()) return false;
          unsigned v = 0;
          for (int k = 0; k < 4; ++k) {
            char h = s[i++];
            v <<= 4;
            if (h >= '0' && h <= '9') v |= h - '0';
            else if (h >= 'a' && h <= 'f') v |= h - 'a' + 10;
            else if (h >= 'A' && h <= 'F') v |= h - 'A' + 10;
            else return false;
          }
          if (v < 0x80) out += static_cast<char>(v);
          else out += '?';
          break;
        }
        default: return false;
      }
    }
    if (i >= s.size()) return false;
    ++i;
    return true;
  };
  ws();
  if (i >= s.size() || s[i++] != '{') return false;
  ws();
  if (i < s.size() && s[i] == '}') return true;
  while (true) {
    ws();
    std::string key;
    if (!str(key)) return false;
    ws();
    if (i >= s.size() || s[i++] != ':') return false;
    ws();
    if (i < s.size() && s[i] == '"') {
      std::string v;
      if (!str(v)) return false;
      strings[key] = v;
    } else {
      const char* begin = s.c_str() + i;
      char* end = nullptr;
      double v = std::strtod(begin, &end);
      if (end == begin) return false;
      i += static_cast<size_t>(end - begin);
      numbers[key] = v;
    }
    ws();
    if (i >= s.size()) return false;
    if (s[i] == ',') {
      ++i;
      continue;
    }
    if (s[i] == '}') {
      ++i;
      ws();
      return i == s.size();
    }
    return false;
  }
}

std::string Duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld", s);
  }
  return buf;
}

}  // namespace

Result<std::string> ResolveStateDir(const std::string& explicit_dir) {
  if (!explicit_dir.empty()) return explicit_dir;
  if (const char* d = std::getenv("PAS_STATE_DIR"); d != nullptr && *d) return std::string(d);
  if (const char* d = std::getenv("XDG_STATE_HOME"); d != nullptr && *d) {
    return std::string(d) + "/pas";
  }
  if (const char* h = std::getenv("HOME"); h != nullptr && *h) {
    return std::string(h) + "/.local/state/pas";
  }
  return Status::InvalidArgument(
      "no state directory: set PAS_STATE_DIR, XDG_STATE_HOME or HOME, or give --state-dir");
}

std::string HistoryRecordJson(const HistoryRecord& r) {
  std::string o = "{";
  o += "\"time\":" + std::to_string(r.time);
  o += ",\"system\":" + JsonString(r.system);
  o += ",\"volser\":" + JsonString(r.volser);
  o += ",\"function\":" + JsonString(r.function);
  o += ",\"status\":" + JsonString(r.status);
  o += ",\"condition_code\":" + std::to_string(r.condition_code);
  if (r.exit_condition_code >= 0) {
    o += ",\"exit_condition_code\":" + std::to_string(r.exit_condition_code);
  }
  o += ",\"source_unit\":" + JsonString(r.source_unit);
  o += ",\"target_unit\":" + JsonString(r.target_unit);
  o += ",\"validate_s\":" + Num(r.phases.validate);
  o += ",\"join_s\":" + Num(r.phases.join);
  o += ",\"copy_s\":" + Num(r.phases.copy);
  o += ",\"recopy_s\":" + Num(r.phases.recopy);
  o += ",\"quiesce_s\":" + Num(r.phases.quiesce);
  o += ",\"final_copy_s\":" + Num(r.phases.final_copy);
  o += ",\"swap_s\":" + Num(r.phases.swap);
  o += ",\"tracks_copied\":" + std::to_string(r.tracks_copied);
  o += ",\"tracks_recopied\":" + std::to_string(r.tracks_recopied);
  o += ",\"passes\":" + std::to_string(r.passes);
  o += ",\"longest_pause_ms\":" + Num(r.longest_pause_ms);
  o += ",\"copy_rate_mbps\":" + Num(r.copy_rate_mbps);
  o += ",\"message\":" + JsonString(r.message);
  o += "}";
  return o;
}

std::optional<HistoryRecord> ParseHistoryRecord(const std::string& line) {
  std::map<std::string, std::string> s;
  std::map<std::string, double> n;
  if (!ParseFlatObject(line, s, n)) return std::nullopt;
  // A record must at least say when, what and on which volume.
  if (!n.count("time") || !s.count("volser") || !s.count("function")) return std::nullopt;
  auto str = [&](const char* k) { return s.count(k) ? s[k] : std::string(); };
  auto num = [&](const char* k) { return n.count(k) ? n[k] : 0.0; };
  HistoryRecord r;
  r.time = static_cast<int64_t>(num("time"));
  r.system = str("system");
  r.volser = str("volser");
  r.function = str("function");
  r.status = str("status");
  r.condition_code = static_cast<int>(num("condition_code"));
  r.exit_condition_code = n.count("exit_condition_code") ? static_cast<int>(num("exit_condition_code")) : -1;
  r.source_unit = str("source_unit");
  r.target_unit = str("target_unit");
  r.phases.validate = num("validate_s");
  r.phases.join = num("join_s");
  r.phases.copy = num("copy_s");
  r.phases.recopy = num("recopy_s");
  r.phases.quiesce = num("quiesce_s");
  r.phases.final_copy = num("final_copy_s");
  r.phases.swap = num("swap_s");
  r.tracks_copied = static_cast<uint64_t>(num("tracks_copied"));
  r.tracks_recopied = static_cast<uint64_t>(num("tracks_recopied"));
  r.passes = static_cast<uint32_t>(num("passes"));
  r.longest_pause_ms = num("longest_pause_ms");
  r.copy_rate_mbps = num("copy_rate_mbps");
  r.message = str("message");
  return r;
}

Status AppendHistory(const std::string& state_dir, const HistoryRecord& rec) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) return Status::IoError("create " + state_dir + ": " + ec.message(), ec.value());
  PAS_RETURN_IF_ERROR(CheckControlDirectory(state_dir));
  const std::string path = state_dir + "/" + kHistoryFileName;
  PAS_ASSIGN_OR_RETURN(int fd, OpenControlFile(path, {.create = true, .writable = true}));
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_APPEND);
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      Status s = Status::FromErrno("lock " + path);
      ::close(fd);
      return s;
    }
  }
  // A previous writer that died mid-line left no newline: start on a fresh
  // line so this record is not glued to the torn one.
  std::string line;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    char last = '\n';
    if (::pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n') line += '\n';
  }
  line += HistoryRecordJson(rec);
  line += '\n';
  Status result;
  ssize_t n;
  do {
    n = ::write(fd, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    result = Status::FromErrno("write " + path);
  } else if (static_cast<size_t>(n) != line.size()) {
    result = Status::IoError("write " + path + ": short write", ENOSPC);
  } else if (::fdatasync(fd) != 0) {
    result = Status::FromErrno("fdatasync " + path);
  }
  ::flock(fd, LOCK_UN);
  ::close(fd);
  return result;
}

Result<HistoryContents> ReadHistory(const std::string& state_dir) {
  const std::string path = state_dir + "/" + kHistoryFileName;
  HistoryContents out;
  // What another user planted is not our history: the directory and the
  // file pass the control-file checks before a line is believed.
  struct stat dst {};
  if (::lstat(state_dir.c_str(), &dst) != 0) {
    if (errno == ENOENT) return out;
    return Status::FromErrno("state directory " + state_dir);
  }
  PAS_RETURN_IF_ERROR(CheckControlDirectory(state_dir));
  auto fd = OpenControlFile(path, ControlFileOptions{.create = false, .writable = false});
  if (!fd.ok()) {
    if (fd.status().IsNotFound()) return out;
    return fd.status();
  }
  FILE* f = ::fdopen(*fd, "r");
  if (f == nullptr) {
    Status s = Status::FromErrno("open " + path);
    ::close(*fd);
    return s;
  }
  std::string line;
  int c;
  auto finish_line = [&](bool terminated) {
    if (line.empty()) return;
    auto rec = terminated ? ParseHistoryRecord(line) : std::nullopt;
    if (rec) out.records.push_back(std::move(*rec));
    else ++out.skipped_lines;
    line.clear();
  };
  while ((c = std::fgetc(f)) != EOF) {
    if (c == '\n') finish_line(true);
    else line += static_cast<char>(c);
  }
  bool err = std::ferror(f);
  std::fclose(f);
  if (err) return Status::IoError("read " + path);
  finish_line(false);  // no newline: torn by a crash mid-write
  return out;
}

Result<std::optional<double>> LastCopyRateMBps(const std::string& state_dir) {
  PAS_ASSIGN_OR_RETURN(HistoryContents h, ReadHistory(state_dir));
  for (auto it = h.records.rbegin(); it != h.records.rend(); ++it) {
    if (it->copy_rate_mbps > 0) return std::optional<double>(it->copy_rate_mbps);
  }
  return std::optional<double>();
}

std::string FormatHistoryTable(const std::vector<HistoryRecord>& records) {
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-52s%s\n", "", "----- Elapsed time of each phase -----");
  out += buf;
  std::snprintf(buf, sizeof buf,
                "%-8s %-8s %-8s %-10s %-9s %-4s %-9s %2s %7s %7s %7s %7s %7s %7s %7s %11s %9s "
                "%5s %9s %7s\n",
                "Date", "Time", "Volume", "Function", "Status", "CC", "Units", "", "Validat",
                "Join", "Copy", "Recopy", "Quiesce", "Final", "Swap", "Tracks", "Recopied",
                "Pass", "Pause ms", "MB/s");
  out += buf;
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    const HistoryRecord& r = *it;
    std::time_t t = static_cast<std::time_t>(r.time);
    std::tm tm {};
    localtime_r(&t, &tm);
    char date[16], tod[16];
    std::strftime(date, sizeof date, "%d/%m/%y", &tm);
    std::strftime(tod, sizeof tod, "%H:%M:%S", &tm);
    std::string units = r.source_unit + "-" + r.target_unit;
    std::snprintf(buf, sizeof buf,
                  "%-8s %-8s %-8s %-10s %-9s %-4d %-12s %7s %7s %7s %7s %7s %7s %7s %11s %9s %5u "
                  "%9.1f %7.1f\n",
                  date, tod, r.volser.c_str(), r.function.c_str(), r.status.c_str(),
                  r.condition_code, units.c_str(), Duration(r.phases.validate).c_str(),
                  Duration(r.phases.join).c_str(), Duration(r.phases.copy).c_str(),
                  Duration(r.phases.recopy).c_str(), Duration(r.phases.quiesce).c_str(),
                  Duration(r.phases.final_copy).c_str(), Duration(r.phases.swap).c_str(),
                  FormatThousands(r.tracks_copied).c_str(),
                  FormatThousands(r.tracks_recopied).c_str(), r.passes, r.longest_pause_ms,
                  r.copy_rate_mbps);
    out += buf;
  }
  return out;
}

}  // namespace pas::report
