// Fuzz target: the track image codec (src/ckd/track.h).
//
// Input: byte 0 flags (bit 0: 3380 geometry instead of 3390; bit 1: pass
// the slot at the input's length instead of padding it to the slot size;
// bit 2: expect the track named by bytes 1-2 instead of the one in the home
// address), bytes 1-2 a relative track (big-endian), the rest the slot.
// Checked beyond "no crash, leak or UB": ParseTrack and ValidateTrack agree,
// a parsed track's used length is TrackUsedLength's and its records lie in
// the slot, a slot equals itself, and a track rebuilt record by record with
// TrackBuilder has the same content.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "ckd/device.h"
#include "ckd/track.h"

using namespace pas::ckd;

namespace {

bool Inside(std::span<const uint8_t> part, std::span<const uint8_t> whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const uint8_t flags = data[0];
  const DeviceGeometry g = (flags & 1) ? k3380Geometry : k3390Geometry;
  std::span<const uint8_t> body(data + 3, size - 3);
  std::vector<uint8_t> slot;
  if (flags & 2) {
    slot.assign(body.begin(), body.end());
  } else {
    slot.assign(g.slot_size, 0);
    std::copy_n(body.begin(), std::min<size_t>(body.size(), g.slot_size), slot.begin());
  }
  uint32_t expected = (uint32_t{data[1]} << 8) | data[2];
  if (!(flags & 4) && slot.size() >= kHomeAddressSize) {
    // The track the home address names, so that the record checks run.
    const uint32_t cyl = (uint32_t{slot[1]} << 8) | slot[2];
    const uint32_t head = (uint32_t{slot[3]} << 8) | slot[4];
    if (head < g.heads) expected = cyl * g.heads + head;
  }
  auto parsed = ParseTrack(slot, g, expected);
  pas::Status valid = ValidateTrack(slot, g, expected);
  if (parsed.ok() != valid.ok()) std::abort();
  const uint32_t used = TrackUsedLength(slot);
  (void)IsEmptyTrack(slot);
  (void)IsZeroSlot(slot);
  if (!SameTrackContent(slot, slot)) std::abort();
  if (!parsed.ok()) return 0;
  if (parsed->used_length != used || used > slot.size()) std::abort();
  for (const RecordView& r : parsed->records) {
    if (!Inside(r.key, slot) || !Inside(r.data, slot)) std::abort();
  }
  // Rebuild the track record by record (only a full-size slot whose first
  // record is a keyless R0, which TrackBuilder writes itself otherwise).
  if (slot.size() != g.slot_size || parsed->records.empty() || parsed->records[0].rec != 0 ||
      !parsed->records[0].key.empty()) {
    return 0;
  }
  TrackBuilder builder(g, expected);
  for (const RecordView& r : parsed->records) {
    if (!builder.AddRecord(r.rec, r.key, r.data).ok()) return 0;
  }
  std::vector<uint8_t> rebuilt(g.slot_size);
  if (!builder.Finish(rebuilt).ok()) std::abort();
  if (!SameTrackContent(slot, rebuilt)) std::abort();
  if (!ValidateTrack(rebuilt, g, expected).ok()) std::abort();
  return 0;
}
