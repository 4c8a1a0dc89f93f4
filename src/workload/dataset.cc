// The workload's own data set. doc/workload.md, "The area".
#include "workload/dataset.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "ckd/dscb.h"
#include "ckd/label.h"
#include "ckd/track.h"
#include "ckd/volume.h"
#include "ckd/vtoc.h"
#include "workload/record.h"

namespace pas::workload {
namespace {

// A sparse image in a fresh directory under $TMPDIR holding copies of the
// unit's track 0 and VTOC tracks; removed with its directory on
// destruction.
class ScratchVolume {
 public:
  static Result<std::unique_ptr<ScratchVolume>> Create(host::UnitIo& io) {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/pas-wlalloc-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) {
      return Status::FromErrno("scratch directory " + templ + " for the VTOC");
    }
    std::unique_ptr<ScratchVolume> v(new ScratchVolume());
    v->dir_ = templ;
    v->path_ = templ + "/vtoc.ckd";
    const auto& g = io.geometry();
    PAS_ASSIGN_OR_RETURN(ckd::CkdImage img,
                         ckd::CkdImage::Create(v->path_, g, io.tracks() / g.heads, false));
    v->image_ = std::make_unique<ckd::CkdImage>(std::move(img));
    return v;
  }
  ~ScratchVolume() {
    image_.reset();
    if (!path_.empty()) ::unlink(path_.c_str());
    if (!dir_.empty()) ::rmdir(dir_.c_str());
  }
  ckd::CkdImage& image() { return *image_; }

 private:
  ScratchVolume() = default;
  std::string dir_, path_;
  std::unique_ptr<ckd::CkdImage> image_;
};

// Copies `track` of the unit into the scratch image (and remembers it).
Status CopyIn(host::UnitIo& io, ckd::CkdImage& scratch, uint32_t track,
              std::vector<uint32_t>& copied) {
  if (std::find(copied.begin(), copied.end(), track) != copied.end()) return Status::Ok();
  std::vector<uint8_t> slot(io.geometry().slot_size);
  PAS_RETURN_IF_ERROR(io.ReadTrack(track, slot));
  PAS_RETURN_IF_ERROR(scratch.WriteTrack(track, slot));
  copied.push_back(track);
  return Status::Ok();
}

// Copies track 0 and, when VOL1 points at a Format-4 DSCB, every track of
// the VTOC extent it names into the scratch image.
Status CopyLabelAndVtoc(host::UnitIo& io, ckd::CkdImage& scratch, std::vector<uint32_t>& copied) {
  const auto& g = io.geometry();
  PAS_RETURN_IF_ERROR(CopyIn(io, scratch, 0, copied));
  auto label = ckd::ReadVolumeLabel(scratch);
  if (!label.ok()) return label.status().IsNotFound() ? Status::Ok() : label.status();
  const uint32_t f4_track = ckd::RelativeTrack(g, label->vtoc_cchh);
  if (f4_track == 0 || f4_track >= io.tracks()) return Status::Ok();  // ReadVtoc decides
  PAS_RETURN_IF_ERROR(CopyIn(io, scratch, f4_track, copied));
  std::vector<uint8_t> slot(g.slot_size);
  PAS_RETURN_IF_ERROR(scratch.ReadTrack(f4_track, slot));
  auto parsed = ckd::ParseTrack(slot, g, f4_track);
  if (!parsed.ok()) return Status::Ok();  // an empty or unformatted track: no VTOC
  for (const auto& r : parsed->records) {
    if (r.rec != label->vtoc_record) continue;
    if (r.key.size() != ckd::dscb::kKeyLength || r.data.size() != ckd::dscb::kDataLength ||
        r.data[0] != 0xF4) {
      return Status::Ok();
    }
    const ckd::Extent e = ckd::dscb::DecodeExtent(
        r.data.data() + (ckd::dscb::kF4Vtoce - ckd::dscb::kKeyLength));
    const uint32_t a = ckd::RelativeTrack(g, e.begin), b = ckd::RelativeTrack(g, e.end);
    if (a > b || b >= io.tracks()) return Status::Ok();  // ReadVtoc reports the corruption
    for (uint32_t t = a; t <= b; ++t) PAS_RETURN_IF_ERROR(CopyIn(io, scratch, t, copied));
  }
  return Status::Ok();
}

// The largest run of free tracks in the VTOC's view of the volume.
uint32_t LargestFreeRun(const ckd::Vtoc& vtoc) {
  uint32_t best = 0, run = 0;
  for (uint32_t t = 0; t < vtoc.vtoc_tracks; ++t) {
    run = vtoc.allocated.Test(t) ? 0 : run + 1;
    best = std::max(best, run);
  }
  return best;
}

}  // namespace

Result<AreaChoice> ChooseArea(host::UnitIo& io,
                              std::optional<std::pair<uint32_t, uint32_t>> tracks,
                              uint32_t allocate_tracks, uint32_t min_tracks) {
  PAS_ASSIGN_OR_RETURN(auto scratch, ScratchVolume::Create(io));
  std::vector<uint32_t> copied;
  PAS_RETURN_IF_ERROR(CopyLabelAndVtoc(io, scratch->image(), copied));
  AreaChoice choice;
  PAS_ASSIGN_OR_RETURN(ckd::Vtoc vtoc, ckd::ReadVtoc(scratch->image()));
  choice.vtoc = vtoc.present;
  auto area = ResolveArea(scratch->image(), tracks);
  if (area.ok() || !area.status().IsNotFound() || !vtoc.present) {
    if (!area.ok()) return area.status();
    choice.area = std::move(*area);
    return choice;
  }
  if (tracks) {
    // --tracks narrows the data set; it never chooses where one goes.
    return Status::InvalidArgument("--tracks needs data set " + std::string(kWorkloadDataSet) +
                                   " on a volume with a VTOC, and the VTOC lists none (run "
                                   "once without --tracks to allocate it)");
  }
  // A VTOC without PAS.WORKLOAD: allocate it in free space.
  const uint32_t largest = LargestFreeRun(vtoc);
  const uint32_t want = allocate_tracks ? allocate_tracks
                                        : std::min(kDefaultWorkloadTracks, largest);
  if (want > largest || want < std::max<uint32_t>(min_tracks, 1)) {
    return Status::Busy("PAS761E NO ROOM FOR DATA SET " + std::string(kWorkloadDataSet) + ": " +
                        std::to_string(std::max({want, min_tracks, 1u})) +
                        " CONTIGUOUS FREE TRACKS NEEDED, THE LARGEST FREE EXTENT HAS " +
                        std::to_string(largest) + " (" + std::to_string(vtoc.free_tracks()) +
                        " FREE TRACKS IN ALL)");
  }
  ckd::DataSetSpec spec{.name = kWorkloadDataSet,
                        .tracks = want,
                        .lrecl = kRecordDataLength,
                        .blksize = kRecordDataLength,
                        .records = 0,
                        .fill = nullptr};
  Status s = ckd::AddDataSet(scratch->image(), spec);
  if (!s.ok()) {
    if (s.kind() == Status::Kind::kNotSupported) {
      return Status::Busy("PAS761E NO ROOM FOR DATA SET " + std::string(kWorkloadDataSet) +
                          ": " + s.message());
    }
    return s;
  }
  PAS_ASSIGN_OR_RETURN(ckd::Vtoc after, ckd::ReadVtoc(scratch->image()));
  for (const auto& ds : after.datasets) {
    if (ds.name != kWorkloadDataSet || ds.extents.empty()) continue;
    choice.first_track = ckd::RelativeTrack(io.geometry(), ds.extents.front().begin);
    choice.tracks = ds.tracks;
  }
  if (choice.tracks == 0) return Status::Corruption("the allocated data set is not in the VTOC");
  // Through the unit: the data set's first track (its EOF) first, then the
  // VTOC tracks that changed (the F1, F4 and F5 DSCBs).
  std::vector<uint8_t> was(io.geometry().slot_size), now(io.geometry().slot_size);
  PAS_RETURN_IF_ERROR(scratch->image().ReadTrack(choice.first_track, now));
  PAS_RETURN_IF_ERROR(io.WriteTrack(choice.first_track, now));
  for (uint32_t t : copied) {
    PAS_RETURN_IF_ERROR(io.ReadTrack(t, was));
    PAS_RETURN_IF_ERROR(scratch->image().ReadTrack(t, now));
    if (was != now) PAS_RETURN_IF_ERROR(io.WriteTrack(t, now));
  }
  choice.allocated = true;
  PAS_ASSIGN_OR_RETURN(choice.area, ResolveArea(scratch->image(), tracks));
  return choice;
}

}  // namespace pas::workload
