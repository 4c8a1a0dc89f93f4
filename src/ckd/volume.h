// Whole-volume operations: formatting a new volume as dasdinit does (with
// an optional empty VTOC), allocating simple data sets with data, the
// facts `pas volume info` prints, and record-level comparison of two
// volumes. Each function works on images the caller owns; none is safe
// against concurrent writers of the same image. Blocking file I/O.
// Format facts: doc/ckd-format.md.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ckd/device.h"
#include "ckd/image.h"
#include "ckd/vtoc.h"

namespace pas::ckd {

// Tracks of the VTOC that FormatVolume writes (cylinder 0, heads 1-4).
inline constexpr uint32_t kVtocTracks = 4;

// Writes track 0 (R0, IPL1, IPL2, VOL1 as dasdinit 3.13 writes them) and
// every other track as an empty FMT1 track. With `with_vtoc`, also an empty
// VTOC on cylinder 0 tracks 1-kVtocTracks (F4, F5 describing the free
// space, F0s). Sparse (doc/ckd-format.md): the track area of every file is
// punched to a hole first and only the used bytes of each empty track are
// written (a 3390-54 in seconds, one file-system block per track), or every
// slot whole where the filesystem cannot punch holes. Whatever the image
// held before is gone.
// InvalidArgument for a bad volser; IoError on write failure.
Status FormatVolume(CkdImage& image, std::string_view volser, bool with_vtoc);

// A physical sequential (PS, FB) data set to allocate and fill.
struct DataSetSpec {
  std::string name;     // up to 44 characters
  uint32_t tracks = 1;  // primary allocation in tracks (one extent)
  uint32_t lrecl = 80;
  uint32_t blksize = 3120;  // a multiple of lrecl
  // Logical records to write (0: none, the data set holds just an EOF).
  uint64_t records = 0;
  // Fills logical record `index` (lrecl bytes); null: EBCDIC text lines.
  std::function<void(uint64_t index, std::span<uint8_t> record)> fill;
};

// Allocates `spec` in the first free tracks after the VTOC, writes its F1
// DSCB into the VTOC (updating the F4 and the F5 free space) and its
// blocks to its tracks followed by an EOF record. InvalidArgument when the
// records do not fit or the name is bad; NotFound when the volume has no
// VTOC; NotSupported when the VTOC is full.
Status AddDataSet(CkdImage& image, const DataSetSpec& spec);

struct VolumeInfo {
  std::string path;
  std::vector<ImageFile> files;
  uint16_t device_type = 0;
  std::string model;  // "3390-3", or "3390" for non-standard sizes
  uint32_t cylinders = 0;
  uint32_t heads = 0;
  uint32_t tracks = 0;
  bool labelled = false;
  std::string volser;
  bool vtoc_present = false;
  Cchh vtoc_cchh;  // from VOL1
  uint8_t vtoc_record = 0;
  Extent vtoc_extent;
  std::vector<DataSet> datasets;
  uint32_t allocated_tracks = 0;
  uint32_t free_tracks = 0;
  // Compressed (CCKD) images: the compression of new track images and the
  // space the file occupies (CckdFile::Space).
  bool compressed = false;
  std::string compression;  // "zlib", "bzip2", "none"
  CckdSpace space;
};

// The facts as the text `pas volume info` prints, and as a JSON object.
std::string VolumeInfoText(const VolumeInfo& info);
std::string VolumeInfoJson(const VolumeInfo& info);

// Opens `path` read-only and gathers the facts above. Errors as
// CkdImage::Open, ReadVolumeLabel (NotFound is not an error: labelled=false)
// and ReadVtoc.
Result<VolumeInfo> DescribeVolume(const std::string& path);

struct TrackDiff {
  uint32_t track = 0;
  std::string reason;  // "record 3 data differs", "only in B", ...
};

struct CompareResult {
  bool equal = true;
  uint32_t tracks_compared = 0;
  uint32_t differing_tracks = 0;  // all of them, not only those listed
  std::vector<TrackDiff> diffs;   // the first max_diffs
};

// Compares record content track by track (slot zero fill ignored). B may
// have more cylinders than A: its extra tracks must be empty. A larger A
// is a difference. Same device type required (InvalidArgument otherwise).
// IoError on read failure.
Result<CompareResult> CompareVolumes(const CkdImage& a, const CkdImage& b, size_t max_diffs);

// Creates a 3390 demo volume at `path`: `cylinders` cylinders, an empty
// VTOC and a few PS data sets holding generated data. Busy if it exists.
Status BuildDemoVolume(const std::string& path, std::string_view volser, uint32_t cylinders);

}  // namespace pas::ckd
