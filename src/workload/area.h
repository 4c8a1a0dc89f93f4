// The workload area of a volume and which of its tracks each writer owns.
//
// On a volume with a VTOC the area is the tracks of the data set
// PAS.WORKLOAD (never another data set's; workload/dataset.h allocates it),
// or the tracks named with --tracks FIRST-LAST inside it; on a volume
// without a VTOC cylinder 1 to the end, or --tracks (never track 0). With M
// systems of N writers each, global writer g = I*N + w (I the system index)
// owns exactly the area tracks t with t % (M*N) == g, so writers never
// write the same track, also across systems sharing the volume.
// Plain values and pure functions (ReadVtoc reads the image).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "ckd/image.h"

namespace pas::workload {

inline constexpr const char* kWorkloadDataSet = "PAS.WORKLOAD";

struct TrackArea {
  std::vector<std::pair<uint32_t, uint32_t>> ranges;  // inclusive, ascending
  std::string source;  // "data set PAS.WORKLOAD", "cylinder 1 to the end", "--tracks", ...
  uint32_t size() const;
  std::string ToString() const;  // "15-449" or "15-29,45-59"
};

// The area of `image` as above. `tracks` must lie in the image, avoid
// track 0 and the VTOC, and on a volume with a VTOC lie inside
// PAS.WORKLOAD (InvalidArgument otherwise). NotFound when the volume has a
// VTOC that lists no PAS.WORKLOAD. Corruption/IoError from reading the VTOC.
Result<TrackArea> ResolveArea(const ckd::CkdImage& image,
                              std::optional<std::pair<uint32_t, uint32_t>> tracks);

// The tracks of `area` that global writer `writer` of `total` owns.
std::vector<uint32_t> OwnedTracks(const TrackArea& area, uint32_t writer, uint32_t total);

}  // namespace pas::workload
