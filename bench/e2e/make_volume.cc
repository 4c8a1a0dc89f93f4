// e2e_make_volume: writes the 3390 volumes the end-to-end benchmark
// (bench/e2e/run.py) copies, quickly and sparsely.
//
//   e2e_make_volume --image PATH --cylinders N --volser VOLSER
//                   [--dataset NAME --tracks T] [--no-vtoc] [--target]
//
// The image is created sparse (never-written slots stay holes). Cylinder 0
// is taken from a two-cylinder volume made by ckd::FormatVolume (track 0
// with the VOL1 label, and unless --no-vtoc the VTOC), copied into the
// image, and the F4 is made to describe the image's real size (DS4DSCYL,
// DS4HCCHH; the F5 rewritten, or marked not maintained beyond 65,535
// tracks). Then one PS data set of T tracks is allocated with
// ckd::AddDataSet right after the VTOC and every one of its tracks is
// filled with one full-size record (56,664 bytes on a 3390) of generated
// data stamped with the track number. T = 0 (the default with a VTOC)
// allocates every remaining track: the volume is full. --no-vtoc writes
// only the label and fills every other track with data (a volume without
// a VTOC, copied whole). --target writes the label alone (no VTOC) and
// leaves every other track a hole: an empty target as a swap expects it.
// Tracks outside the data set are holes: a mostly empty volume costs
// almost no disk space.
//
// Exit status 0 on success, 1 with a message on stderr otherwise.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "base/status.h"
#include "ckd/device.h"
#include "ckd/dscb.h"
#include "ckd/image.h"
#include "ckd/track.h"
#include "ckd/volume.h"
#include "ckd/vtoc.h"

namespace {

using pas::Status;
namespace ckd = pas::ckd;

struct Args {
  std::string image;
  uint32_t cylinders = 0;
  std::string volser;
  std::string dataset = "PAS.WORKLOAD";
  uint32_t tracks = 0;
  bool vtoc = true;
  bool target = false;
};

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr,
               "e2e_make_volume: %s\nusage: e2e_make_volume --image PATH --cylinders N --volser VOLSER "
               "[--dataset NAME --tracks T] [--no-vtoc] [--target]\n",
               why.c_str());
  std::exit(1);
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(k + " needs a value");
      return argv[++i];
    };
    if (k == "--image") {
      a.image = value();
    } else if (k == "--cylinders") {
      a.cylinders = static_cast<uint32_t>(std::strtoul(value().c_str(), nullptr, 10));
    } else if (k == "--volser") {
      a.volser = value();
    } else if (k == "--dataset") {
      a.dataset = value();
    } else if (k == "--tracks") {
      a.tracks = static_cast<uint32_t>(std::strtoul(value().c_str(), nullptr, 10));
    } else if (k == "--no-vtoc") {
      a.vtoc = false;
    } else if (k == "--target") {
      a.target = true;
      a.vtoc = false;
    } else {
      Usage("unknown argument " + k);
    }
  }
  if (a.image.empty() || a.volser.empty()) Usage("--image and --volser are required");
  if (a.cylinders < 2 || a.cylinders > ckd::kMaxCylinders) Usage("--cylinders must be 2..65535");
  return a;
}

int Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "e2e_make_volume: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

// Makes the F4 of `image` describe its real number of cylinders and the
// free space (F5) agree with it.
Status ResizeF4(ckd::CkdImage& image) {
  PAS_ASSIGN_OR_RETURN(ckd::dscb::Scan scan, ckd::dscb::ScanVtoc(image));
  if (scan.f4 < 0) return Status::Corruption("no F4 DSCB on the template VTOC");
  ckd::dscb::Entry f4 = scan.entries[static_cast<size_t>(scan.f4)];
  ckd::dscb::PutBe16(&f4.bytes[ckd::dscb::kF4Hcchh], image.cylinders());
  ckd::dscb::PutBe16(&f4.bytes[ckd::dscb::kF4Dscyl], image.cylinders());
  PAS_RETURN_IF_ERROR(ckd::dscb::WriteDscb(image, f4.track, f4.rec, f4.bytes));
  PAS_ASSIGN_OR_RETURN(ckd::dscb::Scan rescan, ckd::dscb::ScanVtoc(image));
  return ckd::dscb::WriteFreeSpace(image, rescan);
}

// Writes tracks [first, first+count) of `image`, each one full-size record.
Status FillTracks(ckd::CkdImage& image, uint32_t first, uint32_t count) {
  const ckd::DeviceGeometry& g = image.geometry();
  uint32_t dl = g.track_capacity;
  while (dl > 0 && ckd::RecordsPerTrack(g, 0, dl) < 1) --dl;
  std::vector<uint8_t> data(dl);
  std::mt19937_64 rng(0x5eed);
  for (size_t i = 0; i + 8 <= data.size(); i += 8) {
    uint64_t v = rng();
    std::memcpy(&data[i], &v, 8);
  }
  const uint32_t batch = g.heads;  // one cylinder per write
  std::vector<uint8_t> buf(size_t{batch} * g.slot_size);
  for (uint32_t t = first; t < first + count;) {
    const uint32_t n = std::min(batch, first + count - t);
    for (uint32_t k = 0; k < n; ++k) {
      const uint32_t track = t + k;
      std::memcpy(data.data(), &track, sizeof track);
      ckd::TrackBuilder tb(g, track);
      PAS_RETURN_IF_ERROR(tb.AddRecord(1, {}, data));
      PAS_RETURN_IF_ERROR(tb.Finish(std::span<uint8_t>(buf).subspan(size_t{k} * g.slot_size, g.slot_size)));
    }
    PAS_RETURN_IF_ERROR(image.WriteTracks(t, std::span<const uint8_t>(buf.data(), size_t{n} * g.slot_size)));
    t += n;
  }
  return Status::Ok();
}

int Main(int argc, char** argv) {
  const Args a = ParseArgs(argc, argv);
  const ckd::DeviceGeometry& g = ckd::k3390Geometry;
  std::error_code ec;
  std::filesystem::remove(a.image, ec);

  // Cylinder 0 from a two-cylinder volume formatted by the library.
  const std::string tmpl_path = a.image + ".template";
  std::filesystem::remove(tmpl_path, ec);
  std::vector<uint8_t> cyl0(size_t{g.heads} * g.slot_size);
  {
    auto tmpl = ckd::CkdImage::Create(tmpl_path, g, 2, false);
    if (!tmpl.ok()) return Fail("template " + tmpl_path, tmpl.status());
    if (Status s = ckd::FormatVolume(*tmpl, a.volser, a.vtoc); !s.ok()) return Fail("format", s);
    if (Status s = tmpl->ReadTracks(0, g.heads, cyl0); !s.ok()) return Fail("read template", s);
  }
  std::filesystem::remove(tmpl_path, ec);

  auto img = ckd::CkdImage::Create(a.image, g, a.cylinders, false);
  if (!img.ok()) return Fail("create " + a.image, img.status());
  const uint32_t head_tracks = a.vtoc ? 1 + ckd::kVtocTracks : 1;
  if (Status s = img->WriteTracks(0, std::span<const uint8_t>(cyl0.data(), size_t{head_tracks} * g.slot_size));
      !s.ok()) {
    return Fail("write cylinder 0", s);
  }
  if (a.target) {
    if (Status s = img->Sync(); !s.ok()) return Fail("sync", s);
    std::printf("%s: %u cylinders, empty target (label only)\n", a.image.c_str(), a.cylinders);
    return 0;
  }
  uint32_t first = head_tracks;
  uint32_t count = img->tracks() - head_tracks;
  if (a.vtoc) {
    if (Status s = ResizeF4(*img); !s.ok()) return Fail("resize VTOC", s);
    ckd::DataSetSpec spec;
    spec.name = a.dataset;
    spec.tracks = a.tracks == 0 ? img->tracks() - head_tracks : a.tracks;
    spec.lrecl = 80;
    spec.blksize = 3120;
    if (Status s = ckd::AddDataSet(*img, spec); !s.ok()) return Fail("allocate " + a.dataset, s);
    auto vtoc = ckd::ReadVtoc(*img);
    if (!vtoc.ok()) return Fail("read VTOC", vtoc.status());
    bool found = false;
    for (const ckd::DataSet& ds : vtoc->datasets) {
      if (ds.name != a.dataset || ds.extents.empty()) continue;
      first = ds.extents[0].begin.cyl * g.heads + ds.extents[0].begin.head;
      count = spec.tracks;
      found = true;
    }
    if (!found) return Fail("read VTOC", Status::NotFound(a.dataset + " not in the VTOC"));
  } else if (a.tracks != 0) {
    count = std::min(count, a.tracks);
  }
  if (Status s = FillTracks(*img, first, count); !s.ok()) return Fail("fill", s);
  if (Status s = img->Sync(); !s.ok()) return Fail("sync", s);
  std::printf("%s: %u cylinders, %u tracks of data from track %u (%s)\n", a.image.c_str(), a.cylinders, count,
              first, a.vtoc ? a.dataset.c_str() : "no VTOC");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
