// The system configuration parser. Format and message IDs:
// doc/config-format.md. Errors are "file:line: PAS15nE message".
#include "host/config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "host/image_identity.h"

namespace pas::host {
namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool IsHex(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0;
  });
}

bool IsDecimal(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

// Splits a statement into blank-separated tokens after removing the
// comment: a '#' at the start of the line or after a blank starts one (as in
// Hercules). A double-quoted token may contain blanks and '#'. `spans`
// (optional) receives each token's [begin, end) in `line`, quotes included.
std::vector<std::string> Tokenize(const std::string& line, bool* unterminated_quote,
                                  std::vector<std::pair<size_t, size_t>>* spans = nullptr) {
  std::vector<std::string> tokens;
  *unterminated_quote = false;
  size_t i = 0;
  const size_t n = line.size();
  while (i < n) {
    while (i < n && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= n || line[i] == '#') break;
    std::string tok;
    const size_t begin = i;
    if (line[i] == '"') {
      size_t end = line.find('"', i + 1);
      if (end == std::string::npos) {
        *unterminated_quote = true;
        return tokens;
      }
      tok = line.substr(i + 1, end - i - 1);
      i = end + 1;
    } else {
      while (i < n && !std::isspace(static_cast<unsigned char>(line[i]))) tok += line[i++];
    }
    tokens.push_back(tok);
    if (spans != nullptr) spans->push_back({begin, i});
  }
  return tokens;
}

// A line `#PAS statement` holds a statement only pas reads (Hercules sees a
// comment). Returns the offset of the statement, or npos for other lines.
size_t PasOnlyStatement(const std::string& line) {
  if (line.size() < 5 || line[0] != '#') return std::string::npos;
  if (std::toupper(static_cast<unsigned char>(line[1])) != 'P' ||
      std::toupper(static_cast<unsigned char>(line[2])) != 'A' ||
      std::toupper(static_cast<unsigned char>(line[3])) != 'S' ||
      !std::isspace(static_cast<unsigned char>(line[4])))
    return std::string::npos;
  return 5;
}

// Device types Hercules knows that are not CKD DASD: their device
// statements are accepted and ignored (consoles, printers, readers, punches,
// tapes, communication adapters, FBA disks).
const std::set<std::string>& IgnoredDeviceTypes() {
  static const std::set<std::string> kTypes = {
      // consoles and terminals
      "1052", "1052-C", "3215", "3215-C", "3270", "3277", "3278", "3279", "3287", "SYSG", "3211",
      "1403", "3203", "4245", "4248", "1442", "2501", "3505", "2540R", "2540P", "3525",
      // tapes
      "3410", "3411", "3420", "3422", "3430", "3480", "3490", "3590", "8809", "9347", "3480-C",
      // communication and channel-to-channel
      "3088", "CTCI", "CTCT", "CTCE", "LCS", "QETH", "OSA", "OSD", "ZFCP", "2703", "3705", "3172",
      "HCHAN", "2880", "3791",
      // FBA DASD (pas migrates CKD volumes only)
      "3310", "3370", "9332", "9335", "9336", "9313", "0671", "671"};
  return kTypes;
}

// CKD device types Hercules supports that pas does not migrate.
const std::set<std::string>& UnsupportedCkdTypes() {
  static const std::set<std::string> kTypes = {"2305", "2311", "2314", "3330",
                                               "3340", "3350", "3375", "9345"};
  return kTypes;
}

struct Reference {
  uint16_t first;
  uint16_t last;
  int line;
  std::string statement;
};

class Parser {
 public:
  explicit Parser(const std::string& path) : path_(path) {
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(path, ec);
    if (ec) abs = std::filesystem::path(path);
    dir_ = abs.lexically_normal().parent_path().string();
    if (dir_.empty()) dir_ = ".";
  }

  Result<SystemConfig> Parse(const std::string& text) {
    config_.path = path_;
    std::istringstream in(text);
    std::string line;
    int lineno = 0;
    while (std::getline(in, line)) {
      ++lineno;
      // A UTF-8 byte-order mark (editors on other systems write one).
      if (lineno == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (size_t at = PasOnlyStatement(line); at != std::string::npos) line = line.substr(at);
      PAS_RETURN_IF_ERROR(Statement(line, lineno));
    }
    PAS_RETURN_IF_ERROR(Resolve());
    if (config_.name.empty()) {
      return Status::InvalidArgument(path_ + ": PAS160E NO LPARNAME (OR SYSNAME) STATEMENT");
    }
    return std::move(config_);
  }

 private:
  Status Error(int line, const std::string& msg) const {
    return Status::InvalidArgument(path_ + ":" + std::to_string(line) + ": " + msg);
  }

  Status Statement(const std::string& text, int line) {
    bool unterminated = false;
    std::vector<std::string> t = Tokenize(text, &unterminated);
    if (unterminated) return Error(line, "PAS169E UNTERMINATED QUOTED STRING");
    if (t.empty()) return Status::Ok();
    const std::string verb = Upper(t[0]);
    if (verb == "LPARNAME" || verb == "SYSNAME") return Name(t, line);
    if (verb == "CPUSERIAL") return Serial(t, line);
    if (verb == "OFFLINE" || verb == "CPOWNED") return RangeStatement(verb, t, line);
    if (verb == "ATTACH") return Attach(t, line);
    if (verb == "ALLOC") return Alloc(t, line);
    // A device statement starts with a device number, a range (0120-0123)
    // or a count (0120.4), optionally with a channel-subsystem prefix (0:).
    std::string dev = t[0];
    if (dev.size() > 2 && dev[1] == ':' && std::isdigit(static_cast<unsigned char>(dev[0]))) {
      dev = dev.substr(2);
    }
    std::string head = dev.substr(0, dev.find_first_of("-.,"));
    if (IsHex(head) && head.size() <= 4) return Device(t, dev, line);
    // A DASD device statement whose unit has too many digits is a typo,
    // not another statement: ignoring it would silently drop a disk.
    if (IsHex(head) && t.size() >= 2) {
      const std::string type = Upper(t[1]);
      if (type == "3390" || type == "3380" || UnsupportedCkdTypes().count(type)) {
        return Error(line, "PAS154E INVALID UNIT " + t[0] + " (1-4 HEXADECIMAL DIGITS)");
      }
    }
    return Status::Ok();  // another Hercules statement: ignored
  }

  Status Name(const std::vector<std::string>& t, int line) {
    if (t.size() != 2)
      return Error(line, "PAS169E " + Upper(t[0]) + " NEEDS ONE OPERAND: THE SYSTEM NAME");
    std::string name = Upper(t[1]);
    bool ok = name.size() <= 8 && std::all_of(name.begin(), name.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '$' || c == '#' ||
                       c == '@' || c == '_' || c == '-';
              });
    if (!ok)
      return Error(line, "PAS161E INVALID SYSTEM NAME " + t[1] + " (1-8 LETTERS, DIGITS, $#@_-)");
    if (!config_.name.empty() && config_.name != name) {
      return Error(line, "PAS162E SYSTEM NAME " + name + " CONFLICTS WITH " + config_.name +
                             " SET AT LINE " + std::to_string(name_line_));
    }
    config_.name = name;
    name_line_ = line;
    return Status::Ok();
  }

  Status Serial(const std::vector<std::string>& t, int line) {
    if (t.size() != 2) return Error(line, "PAS169E CPUSERIAL NEEDS ONE OPERAND");
    if (!IsHex(t[1]) || t[1].size() > 16) {
      return Error(line, "PAS154E CPUSERIAL " + t[1] + " IS NOT HEXADECIMAL");
    }
    config_.cpu_serial = Upper(t[1]);
    return Status::Ok();
  }

  Result<std::pair<uint16_t, uint16_t>> Range(const std::string& text, int line) {
    if (auto r = ParseDevnumRange(text)) return *r;
    size_t dash = text.find('-');
    if (dash != std::string::npos) {
      auto a = ParseDevnum(text.substr(0, dash));
      auto b = ParseDevnum(text.substr(dash + 1));
      if (a && b && *a > *b) return Error(line, "PAS155E REVERSED UNIT RANGE " + text);
    }
    return Error(line, "PAS154E INVALID UNIT " + text + " (1-4 HEXADECIMAL DIGITS)");
  }

  Status RangeStatement(const std::string& verb, const std::vector<std::string>& t, int line) {
    if (t.size() < 2) return Error(line, "PAS169E " + verb + " NEEDS A UNIT OR UNIT RANGE");
    for (size_t i = 1; i < t.size(); ++i) {
      PAS_ASSIGN_OR_RETURN(auto r, Range(t[i], line));
      refs_.push_back({r.first, r.second, line, verb});
      if (verb == "OFFLINE") {
        offline_.push_back(r);
      } else {
        cpowned_.push_back(r);
      }
    }
    return Status::Ok();
  }

  Status Attach(const std::vector<std::string>& t, int line) {
    if (t.size() != 3) return Error(line, "PAS169E ATTACH NEEDS TWO OPERANDS: UNIT USERID");
    auto dev = ParseDevnum(t[1]);
    if (!dev) return Error(line, "PAS154E INVALID UNIT " + t[1] + " (1-4 HEXADECIMAL DIGITS)");
    std::string user = Upper(t[2]);
    bool ok =
        !user.empty() && user.size() <= 8 && std::all_of(user.begin(), user.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '$' || c == '#' || c == '@' ||
                 c == '_' || c == '-';
        });
    if (!ok) return Error(line, "PAS161E INVALID USERID " + t[2] + " (1-8 LETTERS, DIGITS, $#@_-)");
    if (attach_.count(*dev)) {
      return Error(line, "PAS163E UNIT " + FormatDevnum(*dev) + " IS ALREADY ATTACHED AT LINE " +
                             std::to_string(attach_[*dev].second));
    }
    attach_[*dev] = {user, line};
    refs_.push_back({*dev, *dev, line, "ATTACH"});
    return Status::Ok();
  }

  Status Alloc(const std::vector<std::string>& t, int line) {
    if (t.size() != 4)
      return Error(line, "PAS169E ALLOC NEEDS THREE OPERANDS: UNIT TYPE FIRST-LAST");
    auto dev = ParseDevnum(t[1]);
    if (!dev) return Error(line, "PAS154E INVALID UNIT " + t[1] + " (1-4 HEXADECIMAL DIGITS)");
    static const std::map<std::string, AllocType> kTypes = {
        {"PAGE", AllocType::kPage},  {"SPOOL", AllocType::kSpool}, {"TDISK", AllocType::kTdisk},
        {"TEMP", AllocType::kTdisk}, {"DRCT", AllocType::kDrct},   {"PERM", AllocType::kPerm}};
    auto it = kTypes.find(Upper(t[2]));
    if (it == kTypes.end()) {
      return Error(
          line, "PAS158E INVALID ALLOCATION TYPE " + t[2] + " (PAGE, SPOOL, TDISK, DRCT OR PERM)");
    }
    const std::string& r = t[3];
    size_t dash = r.find('-');
    std::string a = dash == std::string::npos ? r : r.substr(0, dash);
    std::string b = dash == std::string::npos ? r : r.substr(dash + 1);
    if (!IsDecimal(a) || !IsDecimal(b) || a.size() > 5 || b.size() > 5) {
      return Error(line, "PAS159E INVALID CYLINDER RANGE " + r + " (DECIMAL FIRST-LAST)");
    }
    uint32_t first = static_cast<uint32_t>(std::stoul(a));
    uint32_t last = static_cast<uint32_t>(std::stoul(b));
    if (first > last) return Error(line, "PAS155E REVERSED CYLINDER RANGE " + r);
    if (last > 65535) return Error(line, "PAS159E CYLINDER RANGE " + r + " BEYOND CYLINDER 65535");
    for (const auto& [other_dev, other] : allocs_) {
      if (other_dev == *dev && first <= other.last_cyl && other.first_cyl <= last) {
        return Error(line, "PAS164E ALLOCATION " + r + " ON UNIT " + FormatDevnum(*dev) +
                               " OVERLAPS THE ONE AT LINE " + std::to_string(other.line));
      }
    }
    allocs_.push_back({*dev, CpAlloc{it->second, first, last, line}});
    refs_.push_back({*dev, *dev, line, "ALLOC"});
    return Status::Ok();
  }

  Status Device(const std::vector<std::string>& t, const std::string& dev, int line) {
    if (t.size() < 2)
      return Error(line, "PAS169E DEVICE STATEMENT " + t[0] + " HAS NO DEVICE TYPE");
    const std::string type = Upper(t[1]);
    if (IgnoredDeviceTypes().count(type)) return Status::Ok();
    if (UnsupportedCkdTypes().count(type)) {
      return Error(line, "PAS153E DEVICE TYPE " + type + " IS NOT SUPPORTED (3390 AND 3380 ONLY)");
    }
    uint16_t device_type;
    if (type == "3390") {
      device_type = 0x3390;
    } else if (type == "3380") {
      device_type = 0x3380;
    } else {
      return Error(line, "PAS152E UNKNOWN DEVICE TYPE " + t[1]);
    }
    auto devnum = ParseDevnum(dev);
    if (!devnum) {
      if (dev.find_first_of("-.,") != std::string::npos) {
        return Error(line, "PAS165E A " + type + " DEVICE STATEMENT NAMES ONE UNIT, NOT " + t[0]);
      }
      return Error(line, "PAS154E INVALID UNIT " + t[0] + " (1-4 HEXADECIMAL DIGITS)");
    }
    if (t.size() < 3) {
      return Error(line, "PAS169E DASD UNIT " + FormatDevnum(*devnum) + " HAS NO IMAGE FILE");
    }
    if (const UnitConfig* prev = config_.FindUnit(*devnum)) {
      return Error(line, "PAS156E DUPLICATE UNIT " + FormatDevnum(*devnum) +
                             " (FIRST DEFINED AT LINE " + std::to_string(prev->line) + ")");
    }
    UnitConfig u;
    u.devnum = *devnum;
    u.device_type = device_type;
    u.image_path = t[2].front() == '/'
                       ? t[2]
                       : (std::filesystem::path(dir_) / t[2]).lexically_normal().string();
    u.line = line;
    for (size_t i = 3; i < t.size(); ++i) {
      if (t[i].size() >= 3 && Upper(t[i].substr(0, 3)) == "SF=") u.shadow_files = t[i];
      u.operands.push_back(t[i]);
    }
    config_.units.push_back(std::move(u));
    return Status::Ok();
  }

  static bool InRange(uint16_t d, const std::pair<uint16_t, uint16_t>& r) {
    return d >= r.first && d <= r.second;
  }

  // Applies OFFLINE/CPOWNED/ATTACH/ALLOC (which may come before the device
  // statements they name) and checks every reference names a defined unit.
  Status Resolve() {
    for (const Reference& ref : refs_) {
      bool found = false;
      for (const UnitConfig& u : config_.units) {
        if (u.devnum >= ref.first && u.devnum <= ref.last) found = true;
      }
      if (!found) {
        std::string what = FormatDevnum(ref.first);
        if (ref.last != ref.first) what += "-" + FormatDevnum(ref.last);
        return Error(ref.line, "PAS157E " + ref.statement + " NAMES " +
                                   (ref.last != ref.first ? "UNIT RANGE " : "UNIT ") + what +
                                   " WITHOUT A DASD DEVICE STATEMENT");
      }
    }
    for (UnitConfig& u : config_.units) {
      for (const auto& r : offline_) u.offline |= InRange(u.devnum, r);
      for (const auto& r : cpowned_) u.cp_owned |= InRange(u.devnum, r);
      if (auto it = attach_.find(u.devnum); it != attach_.end()) u.attached_to = it->second.first;
      for (const auto& [dev, a] : allocs_) {
        if (dev == u.devnum) u.allocs.push_back(a);
      }
      if (u.cp_owned && !u.attached_to.empty()) {
        return Error(attach_[u.devnum].second, "PAS166E UNIT " + FormatDevnum(u.devnum) +
                                                   " IS CP-OWNED AND CANNOT BE ATTACHED TO " +
                                                   u.attached_to);
      }
      if (!u.cp_owned && !u.allocs.empty()) {
        return Error(u.allocs.front().line, "PAS167E ALLOC NAMES UNIT " + FormatDevnum(u.devnum) +
                                                " WHICH IS NOT CP-OWNED (ADD A CPOWNED STATEMENT)");
      }
    }
    return Status::Ok();
  }

  std::string path_;
  std::string dir_;
  SystemConfig config_;
  int name_line_ = 0;
  std::vector<Reference> refs_;
  std::vector<std::pair<uint16_t, uint16_t>> offline_;
  std::vector<std::pair<uint16_t, uint16_t>> cpowned_;
  std::map<uint16_t, std::pair<std::string, int>> attach_;  // unit -> (userid, line)
  std::vector<std::pair<uint16_t, CpAlloc>> allocs_;
};

}  // namespace

const char* AllocTypeName(AllocType t) {
  switch (t) {
    case AllocType::kPage:
      return "PAGE";
    case AllocType::kSpool:
      return "SPOOL";
    case AllocType::kTdisk:
      return "TDISK";
    case AllocType::kDrct:
      return "DRCT";
    case AllocType::kPerm:
      return "PERM";
  }
  return "?";
}

const UnitConfig* SystemConfig::FindUnit(uint16_t devnum) const {
  for (const UnitConfig& u : units) {
    if (u.devnum == devnum) return &u;
  }
  return nullptr;
}

Result<SystemConfig> ParseSystemConfig(const std::string& text, const std::string& path) {
  return Parser(path).Parse(text);
}

Result<SystemConfig> LoadSystemConfig(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Status::IoError(path + ": PAS150E CANNOT READ THE CONFIGURATION FILE: " +
                               std::strerror(EISDIR),
                           EISDIR);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    return Status::IoError(
        path + ": PAS150E CANNOT READ THE CONFIGURATION FILE: " + std::strerror(err), err);
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IoError(path + ": PAS150E CANNOT READ THE CONFIGURATION FILE");
  PAS_ASSIGN_OR_RETURN(SystemConfig config, ParseSystemConfig(text.str(), path));
  PAS_RETURN_IF_ERROR(CheckDistinctImages(config));
  return config;
}

Status CheckDistinctImages(const SystemConfig& config) {
  std::vector<std::pair<const UnitConfig*, ImageIdentity>> seen;
  for (const auto& u : config.units) {
    auto id = IdentifyImage(u.image_path);
    if (!id.ok()) continue;  // a missing image is reported by whoever opens it
    for (const auto& [other, other_id] : seen) {
      if (auto shared = Overlap(*id, other_id)) {
        return Status::InvalidArgument(
            config.path + ":" + std::to_string(u.line) + ": PAS281E UNIT " + FormatDevnum(u.devnum) +
            " IMAGE " + shared->a_file + " IS THE SAME FILE AS UNIT " + FormatDevnum(other->devnum) +
            " IMAGE " + shared->b_file + " (LINE " + std::to_string(other->line) + ")");
      }
    }
    seen.emplace_back(&u, std::move(id).value());
  }
  return Status::Ok();
}

Result<std::string> ResolveConfigPath(const std::string& explicit_path) {
  if (!explicit_path.empty()) return explicit_path;
  const char* env = std::getenv("PAS_CONFIG");
  if (env != nullptr && *env != '\0') return std::string(env);
  return Status::InvalidArgument(
      "PAS168E NO CONFIGURATION FILE: GIVE --config FILE OR SET PAS_CONFIG");
}

Result<std::string> ExchangeUnitImages(const std::string& text, const std::string& path, uint16_t a,
                                       uint16_t b) {
  PAS_ASSIGN_OR_RETURN(SystemConfig config, ParseSystemConfig(text, path));
  const UnitConfig* ua = config.FindUnit(a);
  const UnitConfig* ub = config.FindUnit(b);
  if (ua == nullptr || ub == nullptr) {
    return Status::NotFound(path + ": PAS172E UNIT " + FormatDevnum(ua == nullptr ? a : b) +
                            " IS NOT DEFINED IN " + path);
  }
  // Lines with their endings, so everything but the two tokens is kept.
  std::vector<std::string> lines;
  for (size_t at = 0; at < text.size();) {
    size_t nl = text.find('\n', at);
    size_t end = nl == std::string::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(at, end - at));
    at = end;
  }
  auto image_span = [&](int line_no, size_t* begin, size_t* end) {
    const std::string& raw = lines[static_cast<size_t>(line_no - 1)];
    size_t body = raw.size();
    while (body > 0 && (raw[body - 1] == '\n' || raw[body - 1] == '\r')) --body;
    std::string line = raw.substr(0, body);
    size_t skip = PasOnlyStatement(line);
    if (skip == std::string::npos) skip = 0;
    bool unterminated = false;
    std::vector<std::pair<size_t, size_t>> spans;
    Tokenize(line.substr(skip), &unterminated, &spans);
    *begin = skip + spans.at(2).first;
    *end = skip + spans.at(2).second;
  };
  size_t ab, ae, bb, be;
  image_span(ua->line, &ab, &ae);
  image_span(ub->line, &bb, &be);
  std::string& la = lines[static_cast<size_t>(ua->line - 1)];
  std::string& lb = lines[static_cast<size_t>(ub->line - 1)];
  const std::string ta = la.substr(ab, ae - ab), tb = lb.substr(bb, be - bb);
  la.replace(ab, ae - ab, tb);
  lb.replace(bb, be - bb, ta);
  std::string out;
  for (const auto& l : lines) out += l;
  return out;
}

namespace {

// Writes `content` to `dir/name` atomically: a new file beside it created
// exclusively without following symlinks, fsync, rename, fsync of the
// directory.
Status WriteFileAtomically(const std::string& dir, const std::string& name, const std::string& content,
                           mode_t mode) {
  const std::string tmp = dir + "/." + name + ".pas-new-" + std::to_string(::getpid());
  const std::string dst = dir + "/" + name;
  int fd = -1;
  for (int attempt = 0; attempt < 2 && fd < 0; ++attempt) {
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0 && errno == EEXIST && attempt == 0) ::unlink(tmp.c_str());  // left by a dead rewrite
  }
  if (fd < 0) return Status::FromErrno(tmp);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status s = Status::FromErrno(tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) {
    Status s = Status::FromErrno(tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), dst.c_str()) != 0) {
    Status s = Status::FromErrno(dst);
    ::unlink(tmp.c_str());
    return s;
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

bool SameFile(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (std::filesystem::equivalent(a, b, ec)) return true;
  return std::filesystem::path(a).lexically_normal() == std::filesystem::path(b).lexically_normal();
}

}  // namespace

Result<bool> RewriteConfigAfterSwap(const std::string& config_path, uint16_t source_devnum,
                                    uint16_t target_devnum, const std::string& source_image) {
  std::error_code ec;
  const std::string real = std::filesystem::canonical(config_path, ec).string();
  if (ec) return Status::IoError(config_path + ": " + ec.message());
  // Serialize rewrites of one file (several volumes of a job end at once):
  // flock the file, and start over when a rewrite replaced it meanwhile.
  for (int attempt = 0;; ++attempt) {
    int fd = ::open(real.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::FromErrno(real);
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{fd};
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR) return Status::FromErrno(real + ": flock");
    }
    struct stat held {}, now {};
    if (::fstat(fd, &held) != 0) return Status::FromErrno(real);
    if (::stat(real.c_str(), &now) != 0 || now.st_ino != held.st_ino || now.st_dev != held.st_dev) {
      if (attempt > 100) return Status::IoError(real + ": replaced while being rewritten");
      continue;
    }
    std::string text;
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::FromErrno(real);
      if (n == 0) break;
      text.append(buf, static_cast<size_t>(n));
    }
    PAS_ASSIGN_OR_RETURN(SystemConfig config, ParseSystemConfig(text, config_path));
    const UnitConfig* src = config.FindUnit(source_devnum);
    if (src == nullptr || config.FindUnit(target_devnum) == nullptr)
      return Status::NotFound(config_path + ": units " + FormatDevnum(source_devnum) + " and " +
                              FormatDevnum(target_devnum) + " are not both defined");
    // Already rewritten (or never naming the swapped image): nothing to do.
    if (!SameFile(src->image_path, source_image)) return false;
    PAS_ASSIGN_OR_RETURN(std::string updated,
                         ExchangeUnitImages(text, config_path, source_devnum, target_devnum));
    const std::filesystem::path p(real);
    const std::string dir = p.parent_path().string();
    const std::string name = p.filename().string();
    const mode_t mode = held.st_mode & 07777;
    PAS_RETURN_IF_ERROR(WriteFileAtomically(dir, name + ".prev", text, mode));
    PAS_RETURN_IF_ERROR(WriteFileAtomically(dir, name, updated, mode));
    return true;
  }
}

std::optional<uint16_t> ParseDevnum(const std::string& text) {
  if (!IsHex(text) || text.size() > 4) return std::nullopt;
  return static_cast<uint16_t>(std::stoul(text, nullptr, 16));
}

std::optional<std::pair<uint16_t, uint16_t>> ParseDevnumRange(const std::string& text) {
  size_t dash = text.find('-');
  if (dash == std::string::npos) {
    auto d = ParseDevnum(text);
    if (!d) return std::nullopt;
    return std::make_pair(*d, *d);
  }
  auto a = ParseDevnum(text.substr(0, dash));
  auto b = ParseDevnum(text.substr(dash + 1));
  if (!a || !b || *a > *b) return std::nullopt;
  return std::make_pair(*a, *b);
}

std::string FormatDevnum(uint16_t devnum) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string s(4, '0');
  for (int i = 3; i >= 0; --i) {
    s[i] = kHex[devnum & 0xF];
    devnum >>= 4;
  }
  return s;
}

}  // namespace pas::host
