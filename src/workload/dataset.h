// The workload's own data set: on a volume with a VTOC the workload writes
// only inside PAS.WORKLOAD, allocating it in free space through the VTOC
// when the volume has none. doc/workload.md, "The area".
//
// Everything goes through the host I/O API of the unit (host::UnitIo): the
// label and VTOC are read through it, and the allocation's track writes
// (the data set's first track and the changed VTOC tracks) are written
// through it, so a swap in progress sees them as changed tracks and a
// quiesced unit holds them. The allocation is prepared on a sparse scratch
// copy of track 0 and the VTOC's tracks ($TMPDIR, removed at once) with
// ckd::AddDataSet. The caller holds the claim lock of the volume
// (workload/share.h), so two runs never both allocate. Blocking I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "base/status.h"
#include "host/host_io.h"
#include "workload/area.h"

namespace pas::workload {

// Tracks PAS.WORKLOAD gets when --allocate is not given (at most; less
// when the largest free extent is smaller).
inline constexpr uint32_t kDefaultWorkloadTracks = 150;

struct AreaChoice {
  TrackArea area;
  bool vtoc = false;       // the volume has a VTOC
  bool allocated = false;  // PAS.WORKLOAD was allocated by this call
  uint32_t first_track = 0, tracks = 0;  // its extent when allocated
};

// The area the workload may write on the unit's volume now. With a VTOC:
// the tracks of PAS.WORKLOAD (allocated when missing: `allocate_tracks`
// tracks, or when 0 the default above clipped to the largest free extent),
// narrowed to `tracks` when given (which must then lie inside the data
// set; InvalidArgument, nothing allocated, when there is none yet).
// Without a VTOC: ResolveArea's rules (cylinder 1 to the end, or
// `tracks`). `min_tracks`: the fewest tracks the data set may have (one
// per writer). Errors: InvalidArgument for bad `tracks`; Busy with a text
// beginning "PAS761E" when there is no room (nothing written); the
// errors of the unit's I/O and of the VTOC (Corruption).
Result<AreaChoice> ChooseArea(host::UnitIo& io,
                              std::optional<std::pair<uint32_t, uint32_t>> tracks,
                              uint32_t allocate_tracks, uint32_t min_tracks);

}  // namespace pas::workload
