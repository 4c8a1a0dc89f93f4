// The workload journal. Format: doc/workload.md.
#include "workload/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace pas::workload {
namespace {

constexpr const char* kHeaderTag = "# PASWJ1";

bool ParseU64(const std::string& s, int base, uint64_t* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), &end, base);
  if (errno != 0 || *end != '\0' || s[0] == '-' || s[0] == '+') return false;
  *out = v;
  return true;
}

// Parses "key=value" fields of a header line.
JournalHeader ParseHeader(const std::string& line) {
  JournalHeader h;
  std::istringstream in(line);
  std::string tok;
  while (in >> tok) {
    auto eq = tok.find('=');
    if (eq == std::string::npos) continue;
    std::string k = tok.substr(0, eq), v = tok.substr(eq + 1);
    uint64_t n = 0;
    if (k == "system") h.system = v;
    else if (k == "hash" && ParseU64(v, 16, &n)) h.system_hash = static_cast<uint32_t>(n);
    else if (k == "unit") h.unit = v;
    else if (k == "writer" && ParseU64(v, 10, &n)) h.writer = static_cast<uint32_t>(n);
    else if (k == "writers" && ParseU64(v, 10, &n)) h.total_writers = static_cast<uint32_t>(n);
    else if (k == "area") {
      auto dash = v.find('-');
      uint64_t a = 0, b = 0;
      if (dash != std::string::npos && ParseU64(v.substr(0, dash), 10, &a) &&
          ParseU64(v.substr(dash + 1), 10, &b)) {
        h.first_track = static_cast<uint32_t>(a);
        h.last_track = static_cast<uint32_t>(b);
      }
    } else if (k == "image") h.image = v;
  }
  return h;
}

}  // namespace

std::string WriterJournalPath(const std::string& base, uint32_t writer) {
  return base + ".w" + std::to_string(writer);
}

Result<JournalWriter> JournalWriter::Open(const std::string& path, const JournalHeader& h) {
  JournalWriter w;
  w.fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (w.fd_ < 0) return Status::FromErrno("journal " + path);
  char buf[1024];
  int n = std::snprintf(buf, sizeof buf,
                        "%s system=%s hash=%08x unit=%s writer=%u writers=%u area=%u-%u image=%s\n",
                        kHeaderTag, h.system.c_str(), h.system_hash, h.unit.c_str(), h.writer,
                        h.total_writers, h.first_track, h.last_track, h.image.c_str());
  if (n <= 0 || n >= static_cast<int>(sizeof buf)) {
    return Status::InvalidArgument("journal " + path + ": header too long");
  }
  ssize_t wr = ::write(w.fd_, buf, static_cast<size_t>(n));
  if (wr != n) return Status::FromErrno("journal " + path + ": header write");
  return w;
}

JournalWriter::JournalWriter(JournalWriter&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
JournalWriter& JournalWriter::operator=(JournalWriter&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}
JournalWriter::~JournalWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status JournalWriter::Append(uint32_t track, uint32_t writer, uint64_t seq, uint32_t checksum) {
  char buf[96];
  int n = std::snprintf(buf, sizeof buf, "%u %u %" PRIu64 " %08x\n", track, writer, seq, checksum);
  ssize_t wr = ::write(fd_, buf, static_cast<size_t>(n));
  if (wr < 0) return Status::FromErrno("journal append");
  if (wr != n) return Status::IoError("journal append: short write");
  return Status::Ok();
}

Result<std::vector<std::string>> ExpandJournalNames(const std::vector<std::string>& names) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const auto& name : names) {
    size_t before = out.size();
    std::error_code ec;
    if (fs::is_regular_file(name, ec)) out.push_back(name);
    fs::path p(name);
    fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
    const std::string prefix = p.filename().string() + ".w";
    std::vector<std::string> writers;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      const std::string fname = it->path().filename().string();
      if (fname.size() <= prefix.size() || fname.compare(0, prefix.size(), prefix) != 0) continue;
      const std::string digits = fname.substr(prefix.size());
      if (!std::all_of(digits.begin(), digits.end(), ::isdigit)) continue;
      if (it->is_regular_file(ec)) writers.push_back((dir / fname).string());
    }
    std::sort(writers.begin(), writers.end());
    out.insert(out.end(), writers.begin(), writers.end());
    if (out.size() == before) {
      return Status::NotFound("journal " + name + ": no such file (nor " + name + ".wN files)");
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<JournalContents> ReadJournal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FromErrno("journal " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::FromErrno("journal " + path + ": read");
  JournalContents c;
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    ++line_no;
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) {
      c.incomplete_tail = true;
      break;
    }
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (line.rfind(kHeaderTag, 0) == 0) c.headers.push_back(ParseHeader(line));
      continue;
    }
    // The system of an entry: that of the last header before it.
    const uint32_t system_hash = c.headers.empty() ? 0 : c.headers.back().system_hash;
    std::istringstream fields(line);
    std::string t, w, s, k, extra;
    fields >> t >> w >> s >> k;
    uint64_t track = 0, writer = 0, seq = 0, sum = 0;
    if (k.empty() || (fields >> extra) || !ParseU64(t, 10, &track) || track > UINT32_MAX ||
        !ParseU64(w, 10, &writer) || writer > UINT32_MAX || !ParseU64(s, 10, &seq) ||
        k.size() != 8 || !ParseU64(k, 16, &sum)) {
      return Status::InvalidArgument(path + ":" + std::to_string(line_no) +
                                     ": malformed journal line '" + line.substr(0, 80) +
                                     "' (expected TRACK WRITER SEQ CHECKSUM)");
    }
    c.entries.push_back(JournalEntry{.track = static_cast<uint32_t>(track),
                                     .writer = static_cast<uint32_t>(writer),
                                     .seq = seq,
                                     .checksum = static_cast<uint32_t>(sum),
                                     .system_hash = system_hash,
                                     .file = path,
                                     .line = line_no});
  }
  return c;
}

}  // namespace pas::workload
