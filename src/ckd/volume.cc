// Whole-volume operations. See volume.h and doc/ckd-format.md.
#include "ckd/volume.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <sstream>

#include "base/log.h"
#include "ckd/dscb.h"
#include "ckd/ebcdic.h"
#include "ckd/label.h"
#include "ckd/track.h"

namespace pas::ckd {

namespace {

// IPL1 data as dasdinit 3.13 writes it: a PSW and two CCWs.
constexpr uint8_t kIpl1Data[24] = {0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0F,
                                   0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
                                   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
constexpr uint32_t kIpl2DataLength = 144;

Status BuildTrack0(const DeviceGeometry& g, std::string_view volser, std::span<uint8_t> slot) {
  TrackBuilder tb(g, 0);
  const auto ipl1 = AsciiToEbcdic("IPL1");
  const auto ipl2 = AsciiToEbcdic("IPL2");
  const auto vol1 = AsciiToEbcdic("VOL1");
  PAS_RETURN_IF_ERROR(tb.AddRecord(1, ipl1, kIpl1Data));
  std::vector<uint8_t> ipl2_data(kIpl2DataLength, 0);
  PAS_RETURN_IF_ERROR(tb.AddRecord(2, ipl2, ipl2_data));
  std::vector<uint8_t> v(kVol1DataLength, kEbcdicBlank);
  std::memcpy(v.data(), vol1.data(), 4);
  AsciiToEbcdicPadded(volser, std::span<uint8_t>(v.data() + 4, 6));
  v[10] = kEbcdicBlank;  // security byte, as 3.13 writes it
  // VTOC pointer CCHHR 0000 0001 01.
  v[11] = 0;
  v[12] = 0;
  v[13] = 0;
  v[14] = 1;
  v[15] = 1;
  AsciiToEbcdicPadded("    HERCULES  ", std::span<uint8_t>(v.data() + 37, 14));
  PAS_RETURN_IF_ERROR(tb.AddRecord(3, vol1, v));
  return tb.Finish(slot);
}

// The VTOC tracks 1..kVtocTracks: F4, F5, then F0s filling every track.
Status BuildVtocTracks(const DeviceGeometry& g, uint32_t cylinders, std::span<uint8_t> slots) {
  const uint32_t per_track = RecordsPerTrack(g, dscb::kKeyLength, dscb::kDataLength);
  const uint32_t total_dscbs = per_track * kVtocTracks;
  dscb::Bytes f4{};
  std::memset(f4.data(), 0x04, dscb::kKeyLength);
  f4[dscb::kFmtId] = 0xF4;
  // HPCHR: the last DSCB in use (the F5 until a data set is added).
  f4[dscb::kF4Hpchr + 3] = 1;
  f4[dscb::kF4Hpchr + 4] = 2;
  dscb::PutBe16(&f4[dscb::kF4Dsrec], total_dscbs - 2);
  dscb::PutBe16(&f4[dscb::kF4Hcchh], cylinders);
  f4[dscb::kF4Noext] = 1;
  dscb::PutBe16(&f4[dscb::kF4Dscyl], cylinders);
  dscb::PutBe16(&f4[dscb::kF4Dstrk], g.heads);
  dscb::PutBe16(&f4[dscb::kF4Devtk], g.devtk);
  f4[dscb::kF4Devfg] = 0x30;
  f4[dscb::kF4Devdt] = static_cast<uint8_t>(per_track);
  f4[dscb::kF4Devdb] = static_cast<uint8_t>(RecordsPerTrack(g, 8, 256));
  const Extent vtoce{.type = 0x01, .seq = 0, .begin = {0, 1}, .end = {0, kVtocTracks}};
  dscb::EncodeExtent(vtoce, &f4[dscb::kF4Vtoce]);

  dscb::Bytes f5{};
  std::memset(f5.data(), 0x05, 4);
  f5[dscb::kFmtId] = 0xF5;
  const uint32_t free_first = 1 + kVtocTracks;
  const uint32_t free_count = cylinders * g.heads - free_first;
  if (cylinders * g.heads <= 0xFFFF) {
    dscb::PutBe16(&f5[dscb::F5ExtentOffset(0)], free_first);
    dscb::PutBe16(&f5[dscb::F5ExtentOffset(0) + 2], free_count / g.heads);
    f5[dscb::F5ExtentOffset(0) + 4] = static_cast<uint8_t>(free_count % g.heads);
  } else {
    // F5 cannot address tracks beyond 65535: free space is computed from
    // the extents (DS4VTOCI 0x80), as dasdload's VTOCs have it.
    f4[dscb::kF4Vtoci] = dscb::kVtociF5Invalid;
  }
  const dscb::Bytes f0{};
  for (uint32_t i = 0; i < kVtocTracks; ++i) {
    TrackBuilder tb(g, 1 + i);
    for (uint32_t r = 1; r <= per_track; ++r) {
      const dscb::Bytes& d = (i == 0 && r == 1) ? f4 : (i == 0 && r == 2) ? f5 : f0;
      PAS_RETURN_IF_ERROR(tb.AddRecord(
          static_cast<uint8_t>(r), std::span<const uint8_t>(d.data(), dscb::kKeyLength),
          std::span<const uint8_t>(d.data() + dscb::kKeyLength, dscb::kDataLength)));
    }
    PAS_RETURN_IF_ERROR(tb.Finish(slots.subspan(size_t{i} * g.slot_size, g.slot_size)));
  }
  return Status::Ok();
}

bool IsValidDsname(std::string_view name) {
  if (name.empty() || name.size() > 44 || name.front() == '.' || name.back() == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '@' || c == '#' ||
                    c == '$' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string Hex(uint32_t v, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*X", digits, v);
  return buf;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += "\\u00" + Hex(static_cast<unsigned char>(c), 2);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string ExtentText(const Extent& e) {
  return Hex(e.begin.cyl, 4) + Hex(e.begin.head, 4) + "-" + Hex(e.end.cyl, 4) + Hex(e.end.head, 4);
}

// Why two well-formed or malformed slots differ, for the compare listing.
std::string DiffReason(std::span<const uint8_t> a, std::span<const uint8_t> b,
                       const DeviceGeometry& g, uint32_t track) {
  auto pa = ParseTrack(a, g, track);
  auto pb = ParseTrack(b, g, track);
  if (!pa.ok()) return "A: " + pa.status().message();
  if (!pb.ok()) return "B: " + pb.status().message();
  const size_t n = std::min(pa->records.size(), pb->records.size());
  for (size_t i = 0; i < n; ++i) {
    const RecordView& ra = pa->records[i];
    const RecordView& rb = pb->records[i];
    if (ra.rec != rb.rec)
      return "record " + std::to_string(i) + ": R " + std::to_string(ra.rec) + " in A, " +
             std::to_string(rb.rec) + " in B";
    if (!std::equal(ra.key.begin(), ra.key.end(), rb.key.begin(), rb.key.end())) {
      return "record " + std::to_string(ra.rec) + ": key differs";
    }
    if (ra.data.size() != rb.data.size()) {
      return "record " + std::to_string(ra.rec) + ": data length " +
             std::to_string(ra.data.size()) + " in A, " + std::to_string(rb.data.size()) + " in B";
    }
    if (!std::equal(ra.data.begin(), ra.data.end(), rb.data.begin())) {
      return "record " + std::to_string(ra.rec) + ": data differs";
    }
  }
  return std::to_string(pa->records.size()) + " records in A, " +
         std::to_string(pb->records.size()) + " in B";
}

}  // namespace

Status FormatVolume(CkdImage& image, std::string_view volser, bool with_vtoc) {
  if (!IsValidVolser(volser)) {
    return Status::InvalidArgument("volser '" + std::string(volser) +
                                   "' is not 1-6 characters A-Z 0-9 @ # $");
  }
  const DeviceGeometry& g = image.geometry();
  if (with_vtoc && image.tracks() <= 1 + kVtocTracks) {
    return Status::InvalidArgument("volume too small for a VTOC");
  }
  // Sparse: every file's track area is made a hole (reads as zeros), then
  // only the used bytes of each empty track (HA, R0, end of track) are
  // written; the zero fill of a slot is the hole. Where the filesystem
  // cannot punch holes every slot is written whole.
  // A compressed image has no fixed track offsets: its tracks are written
  // whole through the image (an empty track compresses to a few bytes).
  bool sparse = !image.compressed();
  for (const ImageFile& file : image.files()) {
    if (!sparse) break;
    PAS_ASSIGN_OR_RETURN(auto loc, image.Locate(file.first_track));
    const off_t len = static_cast<off_t>(uint64_t{file.tracks} * g.slot_size);
    int r;
    do {
      r = ::fallocate(loc.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(loc.offset), len);
    } while (r != 0 && errno == EINTR);
    if (r != 0) {
      if (errno != EOPNOTSUPP && errno != ENOSYS) return Status::FromErrno("fallocate(PUNCH_HOLE) of " + file.path);
      sparse = false;
      break;
    }
  }
  std::vector<uint8_t> buf(size_t{g.heads} * g.slot_size);
  for (uint32_t cyl = 0; cyl < image.cylinders(); ++cyl) {
    if (cyl > 0 && sparse) {
      uint8_t head[kEmptyTrackLength];
      for (uint32_t h = 0; h < g.heads; ++h) {
        const uint32_t track = cyl * g.heads + h;
        BuildEmptyTrack(g, track, std::span<uint8_t>(head, sizeof head));
        PAS_ASSIGN_OR_RETURN(auto loc, image.Locate(track));
        ssize_t w;
        do {
          w = ::pwrite(loc.fd, head, sizeof head, static_cast<off_t>(loc.offset));
        } while (w < 0 && errno == EINTR);
        if (w != static_cast<ssize_t>(sizeof head)) {
          return w < 0 ? Status::FromErrno("write of track " + std::to_string(track))
                       : Status::IoError("short write of track " + std::to_string(track), EIO);
        }
      }
      continue;
    }
    // Cylinder 0 (label, VTOC), or every cylinder without holes: whole slots.
    std::fill(buf.begin(), buf.end(), 0);
    for (uint32_t h = 0; h < g.heads; ++h) {
      BuildEmptyTrack(g, cyl * g.heads + h,
                      std::span<uint8_t>(buf).subspan(size_t{h} * g.slot_size, g.slot_size));
    }
    if (cyl == 0) {
      PAS_RETURN_IF_ERROR(BuildTrack0(g, volser, std::span<uint8_t>(buf).subspan(0, g.slot_size)));
      if (with_vtoc) {
        PAS_RETURN_IF_ERROR(BuildVtocTracks(
            g, image.cylinders(),
            std::span<uint8_t>(buf).subspan(g.slot_size, size_t{kVtocTracks} * g.slot_size)));
      }
    }
    PAS_RETURN_IF_ERROR(image.WriteTracks(cyl * g.heads, buf));
  }
  return Status::Ok();
}

Status AddDataSet(CkdImage& image, const DataSetSpec& spec) {
  const DeviceGeometry& g = image.geometry();
  if (!IsValidDsname(spec.name)) {
    return Status::InvalidArgument("data set name '" + spec.name + "' is not valid");
  }
  if (spec.lrecl == 0 || spec.blksize == 0 || spec.blksize % spec.lrecl != 0 ||
      spec.blksize > 32760 || spec.tracks == 0) {
    return Status::InvalidArgument("data set " + spec.name +
                                   ": LRECL, BLKSIZE or tracks invalid (BLKSIZE must be a "
                                   "multiple of LRECL, at most 32760)");
  }
  PAS_ASSIGN_OR_RETURN(dscb::Scan scan, dscb::ScanVtoc(image));
  if (!scan.vtoc.present || scan.f4 < 0) {
    return Status::NotFound("image " + image.path() + ": no VTOC to allocate " + spec.name + " in");
  }
  for (const DataSet& ds : scan.vtoc.datasets) {
    if (ds.name == spec.name) return Status::InvalidArgument("data set " + spec.name + " exists");
  }
  int free_dscb = -1;
  for (size_t i = 0; i < scan.entries.size(); ++i) {
    if (scan.entries[i].format() == 0) {
      free_dscb = static_cast<int>(i);
      break;
    }
  }
  if (free_dscb < 0) return Status::NotSupported("image " + image.path() + ": VTOC is full");

  const uint32_t records_per_block = spec.blksize / spec.lrecl;
  const uint64_t blocks = (spec.records + records_per_block - 1) / records_per_block;
  const uint32_t blocks_per_track = RecordsPerTrack(g, 0, spec.blksize);
  if (blocks_per_track == 0 || blocks_per_track > 255) {
    return Status::InvalidArgument("data set " + spec.name + ": BLKSIZE does not fit a track");
  }
  const uint64_t tracks_needed = blocks / blocks_per_track + 1;  // +1: room for the EOF
  if (tracks_needed > spec.tracks) {
    return Status::InvalidArgument("data set " + spec.name + ": " + std::to_string(spec.records) +
                                   " records need " + std::to_string(tracks_needed) + " tracks, " +
                                   std::to_string(spec.tracks) + " allocated");
  }
  // First fit.
  const TrackSet& alloc = scan.vtoc.allocated;
  uint32_t first = 0, run = 0;
  for (uint32_t t = 0; t < scan.vtoc.vtoc_tracks && run < spec.tracks; ++t) {
    if (alloc.Test(t)) {
      run = 0;
    } else {
      if (run++ == 0) first = t;
    }
  }
  if (run < spec.tracks) {
    return Status::InvalidArgument("image " + image.path() + ": no " + std::to_string(spec.tracks) +
                                   " contiguous free tracks for " + spec.name);
  }

  // The data: blocks of logical records, then an EOF record.
  std::vector<uint8_t> block(spec.blksize);
  std::vector<uint8_t> slot(g.slot_size);
  uint64_t rec_index = 0, block_index = 0;
  uint32_t last_tt = 0, last_r = 0;
  bool eof_written = false;
  for (uint32_t i = 0; i < spec.tracks && !eof_written; ++i) {
    TrackBuilder tb(g, first + i);
    uint32_t on_track = 0;
    while (block_index < blocks && on_track < blocks_per_track) {
      const uint64_t n = std::min<uint64_t>(records_per_block, spec.records - rec_index);
      const size_t len = static_cast<size_t>(n) * spec.lrecl;
      for (uint64_t k = 0; k < n; ++k) {
        std::span<uint8_t> r(block.data() + k * spec.lrecl, spec.lrecl);
        if (spec.fill) {
          spec.fill(rec_index + k, r);
        } else {
          char text[64];
          std::snprintf(text, sizeof text, "%s RECORD %08llu", spec.name.c_str(),
                        static_cast<unsigned long long>(rec_index + k + 1));
          AsciiToEbcdicPadded(text, r);
        }
      }
      PAS_RETURN_IF_ERROR(tb.AddRecord(static_cast<uint8_t>(on_track + 1), {},
                                       std::span<const uint8_t>(block.data(), len)));
      ++on_track;
      ++block_index;
      rec_index += n;
      last_tt = i;
      last_r = on_track;
    }
    if (block_index == blocks && on_track < blocks_per_track) {
      PAS_RETURN_IF_ERROR(tb.AddEofRecord(static_cast<uint8_t>(on_track + 1)));
      eof_written = true;
    }
    PAS_RETURN_IF_ERROR(tb.Finish(slot));
    PAS_RETURN_IF_ERROR(image.WriteTrack(first + i, slot));
  }

  // The F1 DSCB.
  dscb::Entry& f1 = scan.entries[static_cast<size_t>(free_dscb)];
  dscb::Bytes& b = f1.bytes;
  b.fill(0);
  AsciiToEbcdicPadded(spec.name, std::span<uint8_t>(b.data(), dscb::kKeyLength));
  b[dscb::kFmtId] = 0xF1;
  auto label = ReadVolumeLabel(image);
  AsciiToEbcdicPadded(label.ok() ? label->volser : "", std::span<uint8_t>(&b[dscb::kF1Dssn], 6));
  dscb::PutBe16(&b[dscb::kF1Volsq], 1);
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  b[dscb::kF1Credt] = static_cast<uint8_t>(tm.tm_year);
  dscb::PutBe16(&b[dscb::kF1Credt + 1], static_cast<uint32_t>(tm.tm_yday + 1));
  b[dscb::kF1Noepv] = 1;
  AsciiToEbcdicPadded("PAS", std::span<uint8_t>(&b[dscb::kF1Syscd], 13));
  b[dscb::kF1Dsorg] = 0x40;  // PS
  b[dscb::kF1Recfm] = 0x90;  // FB
  dscb::PutBe16(&b[dscb::kF1Blkl], spec.blksize);
  dscb::PutBe16(&b[dscb::kF1Lrecl], spec.lrecl);
  b[dscb::kF1Dsind] = 0x80;  // last volume of the data set
  b[dscb::kF1Scalo] = 0x80;  // track allocation, no secondary
  if (blocks > 0) {
    dscb::PutBe16(&b[dscb::kF1Lstar], last_tt);
    b[dscb::kF1Lstar + 2] = static_cast<uint8_t>(last_r);
  }
  const Extent ext{.type = 0x01,
                   .seq = 0,
                   .begin = TrackAddress(g, first),
                   .end = TrackAddress(g, first + spec.tracks - 1)};
  dscb::EncodeExtent(ext, &b[dscb::kF1Ext1]);
  PAS_RETURN_IF_ERROR(dscb::WriteDscb(image, f1.track, f1.rec, b));

  // The F4: one DSCB fewer free, HPCHR raised.
  dscb::Entry& f4 = scan.entries[static_cast<size_t>(scan.f4)];
  uint8_t* f4b = f4.bytes.data();
  const uint32_t dsrec = dscb::Be16(f4b + dscb::kF4Dsrec);
  if (dsrec > 0) dscb::PutBe16(f4b + dscb::kF4Dsrec, dsrec - 1);
  const Cchh at = TrackAddress(g, f1.track);
  const uint64_t hp = uint64_t{dscb::Be16(f4b + dscb::kF4Hpchr)} << 24 |
                      uint64_t{dscb::Be16(f4b + dscb::kF4Hpchr + 2)} << 8 | f4b[dscb::kF4Hpchr + 4];
  const uint64_t mine = uint64_t{at.cyl} << 24 | uint64_t{at.head} << 8 | f1.rec;
  if (mine > hp) {
    dscb::PutBe16(f4b + dscb::kF4Hpchr, at.cyl);
    dscb::PutBe16(f4b + dscb::kF4Hpchr + 2, at.head);
    f4b[dscb::kF4Hpchr + 4] = f1.rec;
  }
  PAS_RETURN_IF_ERROR(dscb::WriteDscb(image, f4.track, f4.rec, f4.bytes));
  scan.vtoc.allocated.SetRange(first, first + spec.tracks - 1);
  return dscb::WriteFreeSpace(image, scan);
}

Result<VolumeInfo> DescribeVolume(const std::string& path) {
  PAS_ASSIGN_OR_RETURN(CkdImage image, CkdImage::Open(path, false));
  VolumeInfo info;
  info.path = path;
  info.files = image.files();
  info.device_type = image.geometry().device_type;
  info.model = std::string(ModelName(info.device_type, image.cylinders()));
  info.cylinders = image.cylinders();
  info.heads = image.geometry().heads;
  info.tracks = image.tracks();
  if (image.compressed()) {
    info.compressed = true;
    info.compression = std::string(CompressionName(image.cckd()->compression()));
    PAS_ASSIGN_OR_RETURN(info.space, image.cckd()->Space());
  }
  auto label = ReadVolumeLabel(image);
  if (label.ok()) {
    info.labelled = true;
    info.volser = label->volser;
    info.vtoc_cchh = label->vtoc_cchh;
    info.vtoc_record = label->vtoc_record;
  } else if (!label.status().IsNotFound()) {
    return label.status();
  }
  PAS_ASSIGN_OR_RETURN(Vtoc vtoc, ReadVtoc(image));
  info.vtoc_present = vtoc.present;
  info.vtoc_extent = vtoc.vtoc_extent;
  info.datasets = vtoc.datasets;
  info.allocated_tracks = vtoc.allocated.Count();
  info.free_tracks = vtoc.free_tracks();
  return info;
}

std::string VolumeInfoText(const VolumeInfo& info) {
  std::ostringstream o;
  o << "IMAGE      " << info.path;
  if (info.files.size() > 1) o << " (" << info.files.size() << " files)";
  o << "\n";
  o << "DEVICE     " << Hex(info.device_type, 4) << "  MODEL " << info.model << "\n";
  if (info.compressed) {
    o << "FORMAT     COMPRESSED (CCKD), NEW TRACKS " << info.compression << ", "
      << info.space.file_size << " BYTES, " << info.space.used_bytes << " USED, "
      << info.space.free_bytes << " FREE IN " << info.space.free_blocks << " BLOCKS, "
      << info.space.stored_tracks << " TRACK IMAGES, " << info.space.null_tracks
      << " NULL TRACKS" << (info.space.opened ? ", NOT CLOSED BY ITS LAST WRITER" : "") << "\n";
  }
  o << "GEOMETRY   " << info.cylinders << " CYLINDERS, " << info.heads << " TRACKS/CYLINDER, "
    << info.tracks << " TRACKS\n";
  o << "VOLSER     " << (info.labelled ? info.volser : "(no VOL1 label)") << "\n";
  if (info.vtoc_present) {
    o << "VTOC       F4 AT CCHHR " << Hex(info.vtoc_cchh.cyl, 4) << Hex(info.vtoc_cchh.head, 4)
      << Hex(info.vtoc_record, 2) << ", EXTENT " << ExtentText(info.vtoc_extent) << "\n";
  } else {
    o << "VTOC       NONE (every track is copied)\n";
  }
  o << "DATA SETS  " << info.datasets.size() << "\n";
  if (!info.datasets.empty()) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-44s %-5s %-5s %6s %7s %7s %4s\n", "DSNAME", "DSORG",
                  "RECFM", "LRECL", "BLKSIZE", "TRACKS", "EXTS");
    o << line;
    for (const DataSet& ds : info.datasets) {
      std::snprintf(line, sizeof line, "  %-44s %-5s %-5s %6u %7u %7u %4zu\n", ds.name.c_str(),
                    ds.dsorg.c_str(), ds.recfm.c_str(), ds.lrecl, ds.blksize, ds.tracks,
                    ds.extents.size());
      o << line;
    }
  }
  o << "ALLOCATED  " << info.allocated_tracks << " TRACKS\n";
  o << "FREE       " << info.free_tracks << " TRACKS\n";
  return o.str();
}

std::string VolumeInfoJson(const VolumeInfo& info) {
  std::ostringstream o;
  o << "{\"image\":" << JsonString(info.path) << ",\"files\":[";
  for (size_t i = 0; i < info.files.size(); ++i) {
    o << (i ? "," : "") << "{\"path\":" << JsonString(info.files[i].path)
      << ",\"first_track\":" << info.files[i].first_track << ",\"tracks\":" << info.files[i].tracks
      << "}";
  }
  o << "],\"device_type\":" << JsonString(Hex(info.device_type, 4))
    << ",\"model\":" << JsonString(info.model) << ",\"cylinders\":" << info.cylinders
    << ",\"heads\":" << info.heads << ",\"tracks\":" << info.tracks
    << ",\"labelled\":" << (info.labelled ? "true" : "false")
    << ",\"volser\":" << JsonString(info.volser)
    << ",\"vtoc\":" << (info.vtoc_present ? "true" : "false")
    << ",\"compressed\":" << (info.compressed ? "true" : "false");
  if (info.compressed) {
    o << ",\"compression\":" << JsonString(info.compression)
      << ",\"file_bytes\":" << info.space.file_size << ",\"used_bytes\":" << info.space.used_bytes
      << ",\"free_bytes\":" << info.space.free_bytes
      << ",\"stored_tracks\":" << info.space.stored_tracks
      << ",\"null_tracks\":" << info.space.null_tracks;
  }
  if (info.vtoc_present) {
    o << ",\"vtoc_cchhr\":"
      << JsonString(Hex(info.vtoc_cchh.cyl, 4) + Hex(info.vtoc_cchh.head, 4) +
                    Hex(info.vtoc_record, 2))
      << ",\"vtoc_extent\":" << JsonString(ExtentText(info.vtoc_extent));
  }
  o << ",\"datasets\":[";
  for (size_t i = 0; i < info.datasets.size(); ++i) {
    const DataSet& ds = info.datasets[i];
    o << (i ? "," : "") << "{\"name\":" << JsonString(ds.name)
      << ",\"dsorg\":" << JsonString(ds.dsorg) << ",\"recfm\":" << JsonString(ds.recfm)
      << ",\"lrecl\":" << ds.lrecl << ",\"blksize\":" << ds.blksize << ",\"keylen\":" << ds.keylen
      << ",\"tracks\":" << ds.tracks << ",\"extents\":[";
    for (size_t k = 0; k < ds.extents.size(); ++k) {
      o << (k ? "," : "") << JsonString(ExtentText(ds.extents[k]));
    }
    o << "]}";
  }
  o << "],\"allocated_tracks\":" << info.allocated_tracks << ",\"free_tracks\":" << info.free_tracks
    << "}\n";
  return o.str();
}

Result<CompareResult> CompareVolumes(const CkdImage& a, const CkdImage& b, size_t max_diffs) {
  const DeviceGeometry& g = a.geometry();
  if (g.device_type != b.geometry().device_type) {
    return Status::InvalidArgument("cannot compare a " + Hex(g.device_type, 4) + " with a " +
                                   Hex(b.geometry().device_type, 4));
  }
  CompareResult res;
  auto note = [&](uint32_t track, std::string reason) {
    res.equal = false;
    ++res.differing_tracks;
    if (res.diffs.size() < max_diffs) res.diffs.push_back(TrackDiff{track, std::move(reason)});
  };
  const uint32_t total = std::max(a.tracks(), b.tracks());
  const uint32_t batch = g.heads;
  std::vector<uint8_t> ba(size_t{batch} * g.slot_size), bb(ba.size());
  for (uint32_t t = 0; t < total; t += batch) {
    const uint32_t n = std::min(batch, total - t);
    const bool in_a = t < a.tracks(), in_b = t < b.tracks();
    const uint32_t na = in_a ? std::min(n, a.tracks() - t) : 0;
    const uint32_t nb = in_b ? std::min(n, b.tracks() - t) : 0;
    if (na)
      PAS_RETURN_IF_ERROR(
          a.ReadTracks(t, na, std::span<uint8_t>(ba).first(size_t{na} * g.slot_size)));
    if (nb)
      PAS_RETURN_IF_ERROR(
          b.ReadTracks(t, nb, std::span<uint8_t>(bb).first(size_t{nb} * g.slot_size)));
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t track = t + i;
      auto sa = std::span<const uint8_t>(ba).subspan(size_t{i} * g.slot_size, g.slot_size);
      auto sb = std::span<const uint8_t>(bb).subspan(size_t{i} * g.slot_size, g.slot_size);
      ++res.tracks_compared;
      if (i < na && i < nb) {
        if (!SameTrackContent(sa, sb)) note(track, DiffReason(sa, sb, g, track));
      } else if (i < nb) {
        if (!IsEmptyTrack(sb) || !ValidateTrack(sb, g, track).ok()) {
          note(track, "beyond the end of A, B's track is not an empty track");
        }
      } else {
        note(track, "beyond the end of B");
      }
    }
  }
  return res;
}

Status BuildDemoVolume(const std::string& path, std::string_view volser, uint32_t cylinders) {
  PAS_ASSIGN_OR_RETURN(CkdImage image, CkdImage::Create(path, k3390Geometry, cylinders, false));
  PAS_RETURN_IF_ERROR(FormatVolume(image, volser, true));
  DataSetSpec text{.name = "PAS.DEMO.TEXT",
                   .tracks = 5,
                   .lrecl = 80,
                   .blksize = 3120,
                   .records = 1000,
                   .fill = nullptr};
  PAS_RETURN_IF_ERROR(AddDataSet(image, text));
  DataSetSpec payroll{.name = "PAS.DEMO.PAYROLL",
                      .tracks = 30,
                      .lrecl = 200,
                      .blksize = 27800,
                      .records = 7000,
                      .fill = [](uint64_t i, std::span<uint8_t> r) {
                        for (size_t k = 0; k < r.size(); ++k) {
                          r[k] = static_cast<uint8_t>((i * 131 + k * 7) & 0xFF);
                        }
                      }};
  PAS_RETURN_IF_ERROR(AddDataSet(image, payroll));
  DataSetSpec binary{.name = "PAS.DEMO.BINARY",
                     .tracks = 45,
                     .lrecl = 4096,
                     .blksize = 4096,
                     .records = 500,
                     .fill = [](uint64_t i, std::span<uint8_t> r) {
                       uint64_t x = i * 0x9E3779B97F4A7C15ull + 1;
                       for (auto& byte : r) {
                         x ^= x << 13;
                         x ^= x >> 7;
                         x ^= x << 17;
                         byte = static_cast<uint8_t>(x);
                       }
                     }};
  PAS_RETURN_IF_ERROR(AddDataSet(image, binary));
  return image.Sync();
}

}  // namespace pas::ckd
