// The workload area of a volume and which of its tracks each writer owns.
//
// The area is the tracks of a data set named PAS.WORKLOAD when the volume's
// VTOC lists one, else cylinder 1 to the end (never track 0 or the VTOC's
// extent), or tracks the operator names with --tracks FIRST-LAST. With M
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
  std::string source;  // "data set PAS.WORKLOAD", "cylinder 1 to the end", "--tracks"
  uint32_t size() const;
  std::string ToString() const;  // "15-449" or "15-29,45-59"
};

// The area of `image`: the explicit `tracks` range if given (must lie in
// the image and avoid track 0 and the VTOC: InvalidArgument otherwise),
// else the default above. Corruption/IoError from reading the VTOC.
Result<TrackArea> ResolveArea(const ckd::CkdImage& image,
                              std::optional<std::pair<uint32_t, uint32_t>> tracks);

// The tracks of `area` that global writer `writer` of `total` owns.
std::vector<uint32_t> OwnedTracks(const TrackArea& area, uint32_t writer, uint32_t total);

}  // namespace pas::workload
