// The VTOC: Format-4, -1/-8, -3, -5, -7 DSCBs decoded into the data sets
// of a volume, its allocated tracks and its free space; and ResizeVtoc,
// which makes the VTOC of a grown copy describe its real size.
//
// ReadVtoc only reads through a CkdImage (safe alongside other readers);
// ResizeVtoc writes VTOC tracks and must not race other writers of them.
// TrackSet is a plain value, not synchronised. Format facts:
// doc/ckd-format.md.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "ckd/device.h"
#include "ckd/image.h"

namespace pas::ckd {

// One extent: tracks begin..end inclusive.
struct Extent {
  uint8_t type = 0;  // 0x01 data, 0x81 cylinder boundary, 0x40 user labels, ...
  uint8_t seq = 0;
  Cchh begin;
  Cchh end;
  uint32_t tracks(const DeviceGeometry& g) const {
    uint32_t b = RelativeTrack(g, begin), e = RelativeTrack(g, end);
    return e >= b ? e - b + 1 : 0;
  }
};

struct DataSet {
  std::string name;   // ASCII, trailing blanks removed
  std::string dsorg;  // "PS", "PO", "DA", "IS", "VS", "U", ""
  std::string recfm;  // "F", "FB", "V", "VB", "U", "FBA", ... ("" if none)
  uint32_t lrecl = 0, blksize = 0, keylen = 0;
  std::vector<Extent> extents;
  uint32_t tracks = 0;    // sum over extents
  uint8_t format = 0xF1;  // 0xF1 or 0xF8
};

// One bit per track of a volume.
class TrackSet {
 public:
  TrackSet() = default;
  explicit TrackSet(uint32_t tracks) : size_(tracks), words_((tracks + 63) / 64, 0) {}
  uint32_t size() const { return size_; }
  void Set(uint32_t t) { words_[t / 64] |= uint64_t{1} << (t % 64); }
  void Clear(uint32_t t) { words_[t / 64] &= ~(uint64_t{1} << (t % 64)); }
  bool Test(uint32_t t) const { return (words_[t / 64] >> (t % 64)) & 1; }
  // Sets first..last inclusive, clipped to size().
  void SetRange(uint32_t first, uint32_t last);
  void SetAll() {
    if (size_) SetRange(0, size_ - 1);
  }
  uint32_t Count() const;
  // Calls fn(track) for every set track in ascending order.
  void ForEach(const std::function<void(uint32_t)>& fn) const;

 private:
  uint32_t size_ = 0;
  std::vector<uint64_t> words_;
};

struct Vtoc {
  bool present = false;  // false: VOL1 points at an empty track or nowhere
  Cchh f4_location;      // CCHH of the F4 (record f4_record)
  uint8_t f4_record = 0;
  uint32_t f4_cylinders = 0;  // DS4DSCYL (or DS4DCYL on large volumes)
  uint8_t vtoci = 0;          // DS4VTOCI
  Extent vtoc_extent;         // DS4VTOCE
  std::vector<DataSet> datasets;
  TrackSet allocated;         // track 0, the VTOC extent, every data set extent
  uint32_t total_tracks = 0;  // tracks of the image (allocated.size())
  // Tracks the VTOC describes: DS4DSCYL x heads (at most total_tracks), or
  // total_tracks without a VTOC. Smaller than total_tracks on a copy made
  // onto a larger device until ResizeVtoc runs.
  uint32_t vtoc_tracks = 0;
  // Unallocated tracks within vtoc_tracks.
  uint32_t free_tracks() const {
    uint32_t used = 0;
    allocated.ForEach([&](uint32_t t) { used += t < vtoc_tracks; });
    return vtoc_tracks > used ? vtoc_tracks - used : 0;
  }
};

// Reads VOL1, the F4 and every DSCB on the VTOC extent's tracks. A volume
// whose VOL1 points at an empty track (dasdinit) or that has no VOL1 gives
// present=false with allocated = {track 0}. Corruption (naming the track,
// record and field) for a malformed VTOC, an extent beyond the volume, or
// an F3 chain that loops or leaves the VTOC; IoError on read failure.
Result<Vtoc> ReadVtoc(const CkdImage& image);

// The tracks a full-volume copy must transfer: `vtoc.allocated` when a VTOC
// is present, every one of `total_tracks` otherwise.
TrackSet TracksToCopy(const Vtoc& vtoc, uint32_t total_tracks);

// Makes the VTOC of `target` (a copy of a smaller volume) describe
// `new_cylinders`: F4 DS4DSCYL updated and the free-space DSCBs (F5) given
// the added cylinders. The F4's DS4VTOCI bit 0x80 (F5 not maintained, as
// dasdload and indexed VTOCs have it) is left set, the F5 is then not
// touched. NotSupported when the grown volume has more than 65535 tracks
// and uses F5 (F7 conversion is not done); Corruption on a malformed VTOC;
// Ok without change for a volume without a VTOC.
Status ResizeVtoc(CkdImage& target, uint32_t new_cylinders);

}  // namespace pas::ckd
