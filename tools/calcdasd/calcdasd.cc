// CALCDASD report: measuring the units, the tables and their text/JSON
// forms, and the command line. Layout and message IDs: doc/calcdasd.md.
#include "calcdasd/calcdasd.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "base/log.h"
#include "ckd/device.h"
#include "ckd/image.h"
#include "ckd/label.h"
#include "ckd/track.h"
#include "ckd/vtoc.h"
#include "report/history.h"

namespace pas::calcdasd {
namespace {

using host::AllocType;
using host::FormatDevnum;

std::string Fmt(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string Fmt(const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  va_list again;
  va_copy(again, ap);
  int n = std::vsnprintf(nullptr, 0, format, ap);
  va_end(ap);
  std::string out(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(out.data(), out.size() + 1, format, again);
  va_end(again);
  return out;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// What the first bytes of a track slot say about the track.
enum class SlotKind { kNeverWritten, kEmpty, kUsed, kMalformed };

// Classifies a slot from its first bytes: all zero (never written, e.g. a
// hole of a sparse image), a well-formed track with nothing beyond R0 (FMT1,
// or FMT0 with an EOF R1), a track with records beyond R0, or malformed (bad
// home address or R0). Reads more of the slot only when R0 is long.
SlotKind ClassifySlot(int fd, uint64_t offset, uint32_t slot_size, const ckd::DeviceGeometry& g,
                      uint32_t track, Status* io) {
  uint8_t buf[256];
  ssize_t n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(offset));
  if (n < 0) {
    *io = Status::FromErrno(Fmt("track %u: read", track));
    return SlotKind::kMalformed;
  }
  size_t len = static_cast<size_t>(n);
  if (len < 29) return SlotKind::kMalformed;
  if (std::all_of(buf, buf + len, [](uint8_t b) { return b == 0; })) return SlotKind::kNeverWritten;
  const ckd::Cchh want = ckd::TrackAddress(g, track);
  if (buf[0] != 0 || Be16(buf + 1) != want.cyl || Be16(buf + 3) != want.head) {
    return SlotKind::kMalformed;
  }
  const uint8_t* r0 = buf + ckd::kHomeAddressSize;
  if (Be16(r0) != want.cyl || Be16(r0 + 2) != want.head || r0[4] != 0) return SlotKind::kMalformed;
  uint64_t next = ckd::kHomeAddressSize + ckd::kCountSize + r0[5] + Be16(r0 + 6);
  uint8_t tail[16];
  const uint8_t* p;
  if (next + sizeof tail <= len) {
    p = buf + next;
  } else {
    if (next + sizeof tail > slot_size) return SlotKind::kMalformed;
    ssize_t m = ::pread(fd, tail, sizeof tail, static_cast<off_t>(offset + next));
    if (m != static_cast<ssize_t>(sizeof tail)) return SlotKind::kMalformed;
    p = tail;
  }
  auto eot = [](const uint8_t* c) {
    return std::all_of(c, c + 8, [](uint8_t b) { return b == 0xFF; });
  };
  if (eot(p)) return SlotKind::kEmpty;
  // FMT0: R1 is an EOF record (KL 0, DL 0) followed by the end of track.
  if (p[5] == 0 && Be16(p + 6) == 0 && eot(p + 8)) return SlotKind::kEmpty;
  return SlotKind::kUsed;
}

// Counts the tracks first..last (inclusive) holding records beyond R0.
// Holes of sparse files are skipped with SEEK_DATA, so a mostly unwritten
// area costs a few system calls.
Status ScanTracks(const ckd::CkdImage& image, uint32_t first, uint32_t last, AreaUse* use) {
  const uint32_t slot = image.slot_size();
  if (image.compressed()) {
    // No fixed slots: inflate a cylinder at a time (null tracks cost nothing).
    const uint32_t heads = image.geometry().heads;
    std::vector<uint8_t> buf(size_t{heads} * slot);
    for (uint32_t t = first; t <= last;) {
      const uint32_t n = std::min<uint32_t>(heads, last - t + 1);
      PAS_RETURN_IF_ERROR(image.ReadTracks(t, n, std::span<uint8_t>(buf).first(size_t{n} * slot)));
      for (uint32_t k = 0; k < n; ++k) {
        std::span<const uint8_t> s(buf.data() + size_t{k} * slot, slot);
        ++use->tracks;
        if (!ckd::IsEmptyTrack(s)) ++use->used_tracks;
      }
      t += n;
    }
    return Status::Ok();
  }
  uint32_t t = first;
  while (t <= last) {
    PAS_ASSIGN_OR_RETURN(ckd::CkdImage::Location loc, image.Locate(t));
    const uint32_t n = std::min<uint64_t>(loc.tracks_left_in_file, uint64_t{last} - t + 1);
    // The data region of the file at or after the current slot:
    // [data_begin, data_end); INT64_MAX: no more data in this file.
    int64_t data_begin = -1, data_end = -1;
    for (uint32_t i = 0; i < n;) {
      const uint64_t off = loc.offset + uint64_t{i} * slot;
      if (static_cast<int64_t>(off) >= data_end) {
        off_t d = ::lseek(loc.fd, static_cast<off_t>(off), SEEK_DATA);
        if (d >= 0) {
          off_t h = ::lseek(loc.fd, d, SEEK_HOLE);
          data_begin = d;
          data_end = h > d ? h : INT64_MAX;
        } else if (errno == ENXIO) {
          data_begin = data_end = INT64_MAX;
        } else {  // no hole support here: read every slot
          data_begin = static_cast<int64_t>(off);
          data_end = INT64_MAX;
        }
      }
      if (data_begin >= static_cast<int64_t>(off + slot)) {
        // This slot (and maybe more) is a hole: never written, empty.
        uint64_t skip =
            data_begin == INT64_MAX ? n - i : (static_cast<uint64_t>(data_begin) - off) / slot;
        skip = std::min<uint64_t>(std::max<uint64_t>(skip, 1), n - i);
        use->tracks += skip;
        i += static_cast<uint32_t>(skip);
        continue;
      }
      Status io;
      SlotKind kind = ClassifySlot(loc.fd, off, slot, image.geometry(), t + i, &io);
      PAS_RETURN_IF_ERROR(io);
      ++use->tracks;
      if (kind == SlotKind::kUsed) ++use->used_tracks;
      if (kind == SlotKind::kMalformed) {
        ++use->used_tracks;
        ++use->malformed_tracks;
      }
      ++i;
    }
    t += n;
  }
  return Status::Ok();
}

std::optional<ckd::DeviceModel> StandardModel(uint16_t device_type, uint32_t cylinders,
                                              bool* with_alternates) {
  for (const ckd::DeviceModel& m : ckd::kDeviceModels) {
    if (m.device_type != device_type) continue;
    if (cylinders == m.cylinders) {
      *with_alternates = false;
      return m;
    }
    if (cylinders == m.cylinders + m.alt_cylinders) {
      *with_alternates = true;
      return m;
    }
  }
  return std::nullopt;
}

// Measures one unit; never fails: problems go into the unit's error/warnings.
void MeasureUnit(UnitReport* u, const std::vector<host::CpAlloc>& allocs) {
  const std::string unit = FormatDevnum(u->devnum);
  auto log = Logger("calcdasd");
  auto opened = ckd::CkdImage::Open(u->image_path, /*writable=*/false);
  if (!opened.ok()) {
    const Status& s = opened.status();
    const char* id = s.IsIoError() || s.IsNotFound() ? "PAS401E" : "PAS402E";
    u->error = Fmt("%s UNIT %s IMAGE %s NOT COUNTED: %s", id, unit.c_str(), u->image_path.c_str(),
                   s.ToString().c_str());
    log->debug("{}: {}", unit, u->error);
    return;
  }
  const ckd::CkdImage& image = *opened;
  if (image.geometry().device_type != u->device_type) {
    u->error =
        Fmt("PAS409E UNIT %s IS A %04X IN THE CONFIGURATION BUT IMAGE %s HOLDS A %04X",
            unit.c_str(), u->device_type, u->image_path.c_str(), image.geometry().device_type);
    return;
  }
  u->track_capacity = image.geometry().track_capacity;
  u->image_cylinders = image.cylinders();
  u->cylinders = u->image_cylinders;
  bool with_alt = false;
  if (auto m = StandardModel(u->device_type, u->image_cylinders, &with_alt)) {
    u->model = std::string(m->name);
    u->cylinders = m->cylinders;
  }
  u->total_tracks = uint64_t{image.tracks()};
  if (image.compressed()) {
    u->compressed = true;
    auto space = image.cckd()->Space();
    if (space.ok()) u->file_bytes = space->file_size;
  }

  auto label = ckd::ReadVolumeLabel(image);
  if (label.ok()) {
    u->volser = label->volser;
  } else if (label.status().IsNotFound()) {
    u->warnings.push_back(Fmt("PAS403W UNIT %s HAS NO VOL1 LABEL", unit.c_str()));
  } else {
    u->error = Fmt("PAS402E UNIT %s IMAGE %s NOT COUNTED: TRACK 0: %s", unit.c_str(),
                   u->image_path.c_str(), label.status().ToString().c_str());
    return;
  }

  auto vtoc = ckd::ReadVtoc(image);
  if (vtoc.ok() && vtoc->present) {
    u->vtoc_present = true;
    u->allocated_tracks = vtoc->allocated.Count();
  } else {
    u->allocated_tracks = u->total_tracks;
    if (!vtoc.ok()) {
      u->warnings.push_back(
          Fmt("PAS404W UNIT %s VTOC UNREADABLE, ALL TRACKS COUNTED AS ALLOCATED: %s", unit.c_str(),
              vtoc.status().ToString().c_str()));
    }
  }

  const uint32_t heads = image.geometry().heads;
  for (const host::CpAlloc& a : allocs) {
    AreaUse use;
    use.type = a.type;
    use.first_cyl = a.first_cyl;
    use.last_cyl = a.last_cyl;
    uint32_t last = a.last_cyl;
    if (a.first_cyl >= u->image_cylinders) {
      u->warnings.push_back(Fmt(
          "PAS405W UNIT %s ALLOC %s %u-%u IS BEYOND THE LAST CYLINDER %u, IGNORED", unit.c_str(),
          host::AllocTypeName(a.type), a.first_cyl, a.last_cyl, u->image_cylinders - 1));
      u->areas.push_back(use);
      continue;
    }
    if (last >= u->image_cylinders) {
      last = u->image_cylinders - 1;
      u->warnings.push_back(
          Fmt("PAS405W UNIT %s ALLOC %s %u-%u ENDS BEYOND THE LAST CYLINDER %u, CUT THERE",
              unit.c_str(), host::AllocTypeName(a.type), a.first_cyl, a.last_cyl, last));
    }
    use.cylinders = last - a.first_cyl + 1;
    Status s = ScanTracks(image, a.first_cyl * heads, (last + 1) * heads - 1, &use);
    if (!s.ok()) {
      u->error = Fmt("PAS401E UNIT %s IMAGE %s NOT COUNTED: %s AREA: %s", unit.c_str(),
                     u->image_path.c_str(), host::AllocTypeName(a.type), s.ToString().c_str());
      return;
    }
    if (use.malformed_tracks > 0) {
      u->warnings.push_back(
          Fmt("PAS406W UNIT %s: %llu MALFORMED TRACKS IN %s AREA %u-%u, COUNTED AS USED",
              unit.c_str(), static_cast<unsigned long long>(use.malformed_tracks),
              host::AllocTypeName(a.type), a.first_cyl, a.last_cyl));
    }
    u->areas.push_back(use);
  }
  u->counted = true;
}

std::string Hms(double seconds) {
  uint64_t s = static_cast<uint64_t>(std::llround(seconds));
  return Fmt("%llu:%02llu:%02llu", static_cast<unsigned long long>(s / 3600),
             static_cast<unsigned long long>(s / 60 % 60), static_cast<unsigned long long>(s % 60));
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += Fmt("\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string JsonNumber(double v) { return Fmt("%.2f", v); }

}  // namespace

const char* UnitRoleName(UnitRole r) {
  switch (r) {
    case UnitRole::kCpOwned:
      return "CP-OWNED";
    case UnitRole::kSystem:
      return "SYSTEM";
    case UnitRole::kAttached:
      return "ATTACHED";
    case UnitRole::kOffline:
      return "OFFLINE";
  }
  return "?";
}

double CylindersToGb(uint64_t cylinders, uint32_t track_capacity) {
  return static_cast<double>(cylinders) * 15.0 * track_capacity / 1e9;
}

int Report::ConditionCode() const {
  if (units_failed > 0) return 8;
  for (const UnitReport& u : units) {
    if (!u.warnings.empty()) return 4;
  }
  return 0;
}

Result<Report> BuildReport(const host::SystemConfig& config, const Options& options) {
  Report r;
  r.system = config.name;
  if (options.range) {
    r.query = FormatDevnum(options.range->first);
    if (options.range->second != options.range->first) {
      r.query += "-" + FormatDevnum(options.range->second);
    }
  }
  std::vector<const host::UnitConfig*> selected;
  for (const host::UnitConfig& uc : config.units) {
    if (options.range && (uc.devnum < options.range->first || uc.devnum > options.range->second)) {
      continue;
    }
    selected.push_back(&uc);
    UnitReport u;
    u.devnum = uc.devnum;
    u.device_type = uc.device_type;
    u.image_path = uc.image_path;
    u.attached_to = uc.attached_to;
    u.track_capacity = uc.device_type == 0x3380 ? ckd::k3380Geometry.track_capacity
                                                : ckd::k3390Geometry.track_capacity;
    u.role = uc.offline                ? UnitRole::kOffline
             : uc.cp_owned             ? UnitRole::kCpOwned
             : !uc.attached_to.empty() ? UnitRole::kAttached
                                       : UnitRole::kSystem;
    r.units.push_back(std::move(u));
  }
  if (r.units.empty()) {
    return Status::InvalidArgument(r.query.empty()
                                       ? "PAS407E NO DASD UNIT IN THE CONFIGURATION " + config.path
                                       : "PAS407E NO DASD UNIT IN " + r.query +
                                             " IN THE CONFIGURATION " + config.path);
  }

  // Measure the units with a few threads: the work is I/O and system calls.
  int threads = options.threads;
  if (threads <= 0)
    threads = std::clamp<int>(static_cast<int>(std::thread::hardware_concurrency()), 1, 8);
  threads = std::min<int>(threads, static_cast<int>(r.units.size()));
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < r.units.size();)
      MeasureUnit(&r.units[i], selected[i]->allocs);
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();

  // Model counts: 3390 lines always, 3380 lines when there is a 3380.
  struct Bucket {
    uint16_t type;
    std::string label, size;
    uint32_t cylinders;  // 0: non-std, UINT32_MAX: larger than the largest
    int count = 0;
  };
  std::vector<Bucket> buckets;
  bool any3380 = false;
  for (const UnitReport& u : r.units) any3380 |= u.counted && u.device_type == 0x3380;
  for (const ckd::DeviceModel& m : ckd::kDeviceModels) {
    if (m.device_type == 0x3380 && !any3380) continue;
    if (m.device_type == 0x3380 && buckets.back().type == 0x3390) {
      buckets.push_back({0x3390, "non-std", "sizes < 65520", 0});
      buckets.push_back({0x3390, "3390-As", "sizes > 65520", UINT32_MAX});
    }
    buckets.push_back({m.device_type, std::string(m.name) + "s",
                       std::to_string(m.cylinders) + " cylinders", m.cylinders});
  }
  if (!any3380) {
    buckets.push_back({0x3390, "non-std", "sizes < 65520", 0});
    buckets.push_back({0x3390, "3390-As", "sizes > 65520", UINT32_MAX});
  } else {
    buckets.push_back({0x3380, "3380 non-std", "other sizes", 0});
  }

  std::map<AllocType, AllocRow> alloc;
  std::map<AllocType, std::pair<uint64_t, uint64_t>> alloc_tracks;  // tracks, used
  const AllocType kShown[] = {AllocType::kTdisk, AllocType::kPage, AllocType::kSpool,
                              AllocType::kDrct, AllocType::kPerm};
  for (AllocType t : kShown) alloc[t].type = host::AllocTypeName(t);
  std::map<UnitRole, TotalRow> totals;
  for (UnitRole role :
       {UnitRole::kCpOwned, UnitRole::kSystem, UnitRole::kAttached, UnitRole::kOffline}) {
    totals[role].type = UnitRoleName(role);
  }
  TotalRow grand{"Total:", 0, 0};
  const uint32_t kLargest3390 = 65520;

  for (const UnitReport& u : r.units) {
    if (!u.counted) {
      ++r.units_failed;
      continue;
    }
    ++r.units_counted;
    if (u.model.empty() && !(u.device_type == 0x3390 && u.cylinders > kLargest3390)) {
      r.size_warnings.push_back(Fmt("Warning - non standard size: %s has %u cylinders",
                                    FormatDevnum(u.devnum).c_str(), u.cylinders));
    }
    for (Bucket& b : buckets) {
      if (b.type != u.device_type) continue;
      bool match = !u.model.empty()   ? b.cylinders == u.cylinders && b.cylinders != 0
                   : b.cylinders == 0 ? !(u.device_type == 0x3390 && u.cylinders > kLargest3390)
                                      : b.cylinders == UINT32_MAX && u.cylinders > kLargest3390;
      if (match) {
        ++b.count;
        break;
      }
    }
    for (const AreaUse& a : u.areas) {
      AllocRow& row = alloc[a.type];
      row.cylinders += a.cylinders;
      row.gb += CylindersToGb(a.cylinders, u.track_capacity);
      alloc_tracks[a.type].first += a.tracks;
      alloc_tracks[a.type].second += a.used_tracks;
    }
    TotalRow& t = totals[u.role];
    t.cylinders += u.cylinders;
    t.gb += CylindersToGb(u.cylinders, u.track_capacity);
    grand.cylinders += u.cylinders;
    grand.gb += CylindersToGb(u.cylinders, u.track_capacity);
    // The estimate counts the tracks of the counted cylinders.
    const uint64_t tracks = uint64_t{u.cylinders} * 15;
    r.total_tracks += tracks;
    r.total_gb += static_cast<double>(tracks) * u.track_capacity / 1e9;
    const uint64_t allocated = std::min(u.allocated_tracks, tracks);
    r.allocated_tracks += allocated;
    r.allocated_gb += static_cast<double>(allocated) * u.track_capacity / 1e9;
    if (!u.vtoc_present) ++r.volumes_without_vtoc;
  }
  for (const Bucket& b : buckets) r.models.push_back({b.label, b.size, b.count});
  for (AllocType t : kShown) {
    AllocRow row = alloc[t];
    auto [tracks, used] = alloc_tracks[t];
    row.percent_used =
        tracks == 0 ? 0.0 : 100.0 * static_cast<double>(used) / static_cast<double>(tracks);
    if (t == AllocType::kPerm && row.cylinders == 0) continue;
    r.cp_allocation.push_back(row);
  }
  for (UnitRole role :
       {UnitRole::kCpOwned, UnitRole::kSystem, UnitRole::kAttached, UnitRole::kOffline}) {
    if (role == UnitRole::kOffline && totals[role].cylinders == 0) continue;
    r.totals.push_back(totals[role]);
  }
  r.totals.push_back(grand);

  // The copy rate: --rate, else the last one measured by pas, else the default.
  if (options.rate_mbps > 0) {
    r.rate_mbps = options.rate_mbps;
    r.rate_source = "--rate";
  } else {
    r.rate_mbps = kDefaultRateMBps;
    r.rate_source = "default";
    auto dir = report::ResolveStateDir(options.state_dir);
    if (dir.ok()) {
      auto rate = report::LastCopyRateMBps(*dir);
      if (rate.ok() && rate->has_value() && **rate > 0) {
        r.rate_mbps = **rate;
        r.rate_source = "history";
      } else if (!rate.ok()) {
        Logger("calcdasd")->warn("history {}: {}", *dir, rate.status().ToString());
      }
    }
  }
  r.seconds_allocated = r.allocated_gb * 1000.0 / r.rate_mbps;
  r.seconds_total = r.total_gb * 1000.0 / r.rate_mbps;
  return r;
}

std::string FormatReport(const Report& r, bool short_form) {
  std::ostringstream o;
  if (!short_form) {
    o << "QUERY " << (r.query.empty() ? "DASD" : r.query) << " output:\n\n";
    for (const UnitReport& u : r.units) {
      if (!u.counted) continue;
      const std::string unit = FormatDevnum(u.devnum);
      const std::string volser = u.volser.empty() ? "------" : u.volser;
      switch (u.role) {
        case UnitRole::kCpOwned:
          o << "DASD " << unit << " CP OWNED " << volser << "\n";
          break;
        case UnitRole::kSystem:
          o << "DASD " << unit << " CP SYSTEM " << volser << "\n";
          break;
        case UnitRole::kAttached:
          o << "DASD " << unit << " ATTACHED TO " << u.attached_to << " " << unit << " R/W "
            << volser << "\n";
          break;
        case UnitRole::kOffline:
          o << "DASD " << unit << " OFFLINE " << volser << "\n";
          break;
      }
    }
    o << "\n";
  }
  bool any_message = false;
  for (const UnitReport& u : r.units) {
    if (!u.counted) {
      o << u.error << "\n";
      any_message = true;
    }
    for (const std::string& w : u.warnings) {
      o << w << "\n";
      any_message = true;
    }
  }
  if (any_message) o << "\n";
  for (const std::string& w : r.size_warnings) o << w << "\n";
  if (!r.size_warnings.empty()) o << "\n";

  o << "Number of DASD models:\n\n";
  for (const ModelCount& m : r.models) {
    o << Fmt("%-13s(%s):%*s%d\n", m.label.c_str(), m.size.c_str(),
             static_cast<int>(std::max<size_t>(1, 18 - m.size.size())), "", m.count);
  }
  if (r.units_failed > 0) {
    o << Fmt("%-13s(%s):%*s%d\n", "not counted", "image missing or corrupt", 1, "", r.units_failed);
  }

  o << "\nCP-owned cylinder allocation:\n\n";
  o << Fmt("%-9s %9s %8s %7s\n", "Type", "Cylinders", "GB", "% used");
  o << Fmt("%-9s %9s %8s %7s\n", "----", "---------", "-----", "------");
  for (const AllocRow& a : r.cp_allocation) {
    o << Fmt("%-9s %9llu %8.2f %7.2f\n", a.type.c_str(),
             static_cast<unsigned long long>(a.cylinders), a.gb, a.percent_used);
  }

  o << "\nTotal cylinder allocation:\n\n";
  o << Fmt("%-9s %9s %8s\n", "Type", "Cylinders", "GB");
  o << Fmt("%-9s %9s %8s\n", "----", "---------", "-----");
  for (const TotalRow& t : r.totals) {
    if (t.type == "Total:") o << Fmt("%-9s %9s %8s\n", "", "---------", "-----");
    o << Fmt("%-9s %9llu %8.2f\n", t.type.c_str(), static_cast<unsigned long long>(t.cylinders),
             t.gb);
  }

  if (!short_form) {
    o << "\nMigration estimate:\n\n";
    o << Fmt("Volumes counted:     %d", r.units_counted);
    if (r.units_failed > 0) o << Fmt(" (%d not counted)", r.units_failed);
    o << "\n";
    o << Fmt("Tracks on volumes:   %llu (%.2f GB)\n",
             static_cast<unsigned long long>(r.total_tracks), r.total_gb);
    o << Fmt("Tracks allocated:    %llu (%.2f GB)",
             static_cast<unsigned long long>(r.allocated_tracks), r.allocated_gb);
    const int with_vtoc = r.units_counted - r.volumes_without_vtoc;
    if (r.units_counted > 0) o << ": ";
    if (with_vtoc > 0)
      o << Fmt("VTOC allocation of %d volume%s", with_vtoc, with_vtoc == 1 ? "" : "s");
    if (with_vtoc > 0 && r.volumes_without_vtoc > 0) o << ", ";
    if (r.volumes_without_vtoc > 0) {
      o << Fmt("all tracks of %d volume%s without a VTOC", r.volumes_without_vtoc,
               r.volumes_without_vtoc == 1 ? "" : "s");
    }
    o << "\n";
    const char* source = r.rate_source == "--rate" ? "given with --rate"
                         : r.rate_source == "history"
                             ? "last copy rate measured by pas"
                             : "default: no --rate and no copy rate in the history";
    o << Fmt("Copy rate:           %.1f MB/s (%s)\n", r.rate_mbps, source);
    o << "Estimated time:      " << Hms(r.seconds_allocated)
      << " for the allocated tracks (what pas copies), " << Hms(r.seconds_total)
      << " for all tracks\n";
    int compressed = 0;
    uint64_t bytes = 0, cyls = 0;
    double gb = 0;
    for (const UnitReport& u : r.units) {
      if (!u.counted || !u.compressed) continue;
      ++compressed;
      bytes += u.file_bytes;
      cyls += u.cylinders;
      gb += static_cast<double>(u.total_tracks) * u.track_capacity / 1e9;
    }
    if (compressed > 0) {
      o << Fmt("Compressed volumes:  %d, %llu cylinders (%.2f GB) occupying %.3f GB of storage\n",
               compressed, static_cast<unsigned long long>(cyls), gb,
               static_cast<double>(bytes) / 1e9);
    }
  }
  return o.str();
}

std::string FormatJson(const Report& r) {
  std::ostringstream o;
  o << "{\"system\":" << JsonString(r.system) << ",\"query\":" << JsonString(r.query)
    << ",\"units\":[";
  for (size_t i = 0; i < r.units.size(); ++i) {
    const UnitReport& u = r.units[i];
    if (i) o << ",";
    o << "{\"unit\":" << JsonString(FormatDevnum(u.devnum))
      << ",\"device_type\":" << JsonString(Fmt("%04X", u.device_type))
      << ",\"role\":" << JsonString(UnitRoleName(u.role))
      << ",\"attached_to\":" << JsonString(u.attached_to)
      << ",\"image\":" << JsonString(u.image_path)
      << ",\"counted\":" << (u.counted ? "true" : "false") << ",\"error\":" << JsonString(u.error)
      << ",\"warnings\":[";
    for (size_t w = 0; w < u.warnings.size(); ++w) o << (w ? "," : "") << JsonString(u.warnings[w]);
    o << "],\"volser\":" << JsonString(u.volser) << ",\"cylinders\":" << u.cylinders
      << ",\"image_cylinders\":" << u.image_cylinders << ",\"model\":" << JsonString(u.model)
      << ",\"vtoc\":" << (u.vtoc_present ? "true" : "false") << ",\"tracks\":" << u.total_tracks
      << ",\"allocated_tracks\":" << u.allocated_tracks
      << ",\"compressed\":" << (u.compressed ? "true" : "false")
      << ",\"file_bytes\":" << u.file_bytes << ",\"areas\":[";
    for (size_t a = 0; a < u.areas.size(); ++a) {
      const AreaUse& x = u.areas[a];
      o << (a ? "," : "") << "{\"type\":" << JsonString(host::AllocTypeName(x.type))
        << ",\"first_cyl\":" << x.first_cyl << ",\"last_cyl\":" << x.last_cyl
        << ",\"cylinders\":" << x.cylinders << ",\"tracks\":" << x.tracks
        << ",\"used_tracks\":" << x.used_tracks << ",\"malformed_tracks\":" << x.malformed_tracks
        << "}";
    }
    o << "]}";
  }
  o << "],\"size_warnings\":[";
  for (size_t i = 0; i < r.size_warnings.size(); ++i)
    o << (i ? "," : "") << JsonString(r.size_warnings[i]);
  o << "],\"models\":[";
  for (size_t i = 0; i < r.models.size(); ++i) {
    o << (i ? "," : "") << "{\"model\":" << JsonString(r.models[i].label)
      << ",\"size\":" << JsonString(r.models[i].size) << ",\"count\":" << r.models[i].count << "}";
  }
  o << "],\"cp_allocation\":[";
  for (size_t i = 0; i < r.cp_allocation.size(); ++i) {
    const AllocRow& a = r.cp_allocation[i];
    o << (i ? "," : "") << "{\"type\":" << JsonString(a.type) << ",\"cylinders\":" << a.cylinders
      << ",\"gb\":" << JsonNumber(a.gb) << ",\"percent_used\":" << JsonNumber(a.percent_used)
      << "}";
  }
  o << "],\"totals\":[";
  for (size_t i = 0; i < r.totals.size(); ++i) {
    const TotalRow& t = r.totals[i];
    o << (i ? "," : "") << "{\"type\":" << JsonString(t.type == "Total:" ? "TOTAL" : t.type)
      << ",\"cylinders\":" << t.cylinders << ",\"gb\":" << JsonNumber(t.gb) << "}";
  }
  o << "],\"units_counted\":" << r.units_counted << ",\"units_failed\":" << r.units_failed
    << ",\"estimate\":{\"tracks\":" << r.total_tracks
    << ",\"allocated_tracks\":" << r.allocated_tracks << ",\"gb\":" << JsonNumber(r.total_gb)
    << ",\"allocated_gb\":" << JsonNumber(r.allocated_gb)
    << ",\"volumes_without_vtoc\":" << r.volumes_without_vtoc
    << ",\"rate_mbps\":" << JsonNumber(r.rate_mbps)
    << ",\"rate_source\":" << JsonString(r.rate_source)
    << ",\"seconds_allocated\":" << JsonNumber(r.seconds_allocated)
    << ",\"seconds_total\":" << JsonNumber(r.seconds_total)
    << "},\"condition_code\":" << r.ConditionCode() << "}\n";
  return o.str();
}

std::string HelpText() {
  return R"(Synopsis:

Calculate the amount and types of DASD on a system and report

Syntax is:

>>--CALCDASD--+------------------+--+--------------------+--><
              +-rdev-------------+  '-(--+-HELP--+--)--'
              '-rdev1-rdev2------'       '-SHORT-'

Where:

  no rdev range: Query all DASD
  rdev range:    Query these device addresses, not all DASD
  SHORT option:  Do not include QUERY DASD output
  HELP option:   This screen

Also: --short, --help, --config FILE (else $PAS_CONFIG), --json FILE,
      --rate MB/s (copy rate for the migration estimate), --state-dir DIR.
Exit status: 0 all units counted, 4 warnings, 8 a unit was not counted,
             12 the report could not be made.
)";
}

Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine cl;
  auto bad = [](const std::string& what) {
    return Status::InvalidArgument("PAS408E " + what + " (calcdasd (HELP for the syntax)");
  };
  bool in_options = false;  // after "(": VM-style options
  bool have_range = false;
  auto vm_option = [&](std::string word) -> Status {
    if (!word.empty() && word.back() == ')') word.pop_back();
    if (word.empty()) return Status::Ok();
    std::string w = Upper(word);
    if (std::string("SHORT").starts_with(w) && w.size() >= 2) {
      cl.short_form = true;
    } else if (std::string("HELP").starts_with(w)) {
      cl.help = true;
    } else {
      return bad("UNKNOWN OPTION " + word);
    }
    return Status::Ok();
  };
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (in_options) {
      PAS_RETURN_IF_ERROR(vm_option(a));
      continue;
    }
    if (a.starts_with("--")) {
      std::string name = a, value;
      bool has_value = false;
      if (size_t eq = a.find('='); eq != std::string::npos) {
        name = a.substr(0, eq);
        value = a.substr(eq + 1);
        has_value = true;
      }
      auto take = [&]() -> Result<std::string> {
        if (has_value) return value;
        if (i + 1 >= args.size()) return bad(name + " NEEDS A VALUE");
        return args[++i];
      };
      if (name == "--short") {
        cl.short_form = true;
      } else if (name == "--help") {
        cl.help = true;
      } else if (name == "--config") {
        PAS_ASSIGN_OR_RETURN(cl.config_path, take());
      } else if (name == "--json") {
        PAS_ASSIGN_OR_RETURN(cl.json_path, take());
      } else if (name == "--state-dir") {
        PAS_ASSIGN_OR_RETURN(cl.options.state_dir, take());
      } else if (name == "--rate") {
        PAS_ASSIGN_OR_RETURN(std::string v, take());
        char* end = nullptr;
        double rate = std::strtod(v.c_str(), &end);
        if (v.empty() || end == nullptr || *end != '\0' || !(rate > 0) || !std::isfinite(rate)) {
          return bad("--rate " + v + " IS NOT A POSITIVE NUMBER OF MB/S");
        }
        cl.options.rate_mbps = rate;
      } else {
        return bad("UNKNOWN OPTION " + a);
      }
      continue;
    }
    if (a == "-h") {
      cl.help = true;
      continue;
    }
    if (size_t paren = a.find('('); paren != std::string::npos) {
      std::string before = a.substr(0, paren);
      in_options = true;
      PAS_RETURN_IF_ERROR(vm_option(a.substr(paren + 1)));
      if (before.empty()) continue;
      a = before;
    }
    std::string up = Upper(a);
    if (up == "HELP" || up == "?") {
      cl.help = true;
      continue;
    }
    auto range = host::ParseDevnumRange(a);
    if (!range) return bad("INVALID UNIT OR UNIT RANGE " + a);
    if (have_range) return bad("ONLY ONE UNIT RANGE MAY BE GIVEN, NOT ALSO " + a);
    have_range = true;
    cl.options.range = range;
  }
  return cl;
}

int RunCalcdasd(const std::vector<std::string>& args, std::string* out, std::string* err) {
  auto cl = ParseCommandLine(args);
  if (!cl.ok()) {
    *err += cl.status().message() + "\n";
    return 12;
  }
  if (cl->help) {
    *out += HelpText();
    return 0;
  }
  auto path = host::ResolveConfigPath(cl->config_path);
  if (!path.ok()) {
    *err += path.status().message() + "\n";
    return 12;
  }
  auto config = host::LoadSystemConfig(*path);
  if (!config.ok()) {
    *err += config.status().message() + "\n";
    return 12;
  }
  auto report = BuildReport(*config, cl->options);
  if (!report.ok()) {
    *err += report.status().message() + "\n";
    return 12;
  }
  *out += FormatReport(*report, cl->short_form);
  for (const UnitReport& u : report->units) {
    if (!u.counted) *err += u.error + "\n";
  }
  if (!cl->json_path.empty()) {
    std::ofstream json(cl->json_path, std::ios::trunc);
    json << FormatJson(*report);
    json.close();
    if (!json) {
      *err += "PAS410E CANNOT WRITE " + cl->json_path + ": " + std::strerror(errno) + "\n";
      return 12;
    }
  }
  return report->ConditionCode();
}

}  // namespace pas::calcdasd
