// The track image codec: the bytes of one Hercules track slot.
//
// A slot holds the home address (HA: bin, CC, HH), then records back to back
// (8-byte count CC HH R KL DL, KL key bytes, DL data bytes; R0 first), then
// the end-of-track marker (8 x 0xFF), then zero fill. All CKD fields are
// big-endian. Format facts: doc/ckd-format.md.
//
// Everything here is a pure function over caller-owned buffers, or a
// TrackBuilder owned by one thread: thread-safe by construction.
// RecordView and ParsedTrack point into the slot they were parsed from and
// are valid only while that buffer is.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "ckd/device.h"

namespace pas::ckd {

inline constexpr uint32_t kHomeAddressSize = 5;
inline constexpr uint32_t kCountSize = 8;
inline constexpr uint32_t kEndOfTrackSize = 8;
// Bytes of a FMT1 empty track: HA, R0 count + 8 data bytes, end of track.
inline constexpr uint32_t kEmptyTrackLength = kHomeAddressSize + kCountSize + 8 + kEndOfTrackSize;

struct RecordView {
  uint32_t cyl = 0, head = 0;
  uint8_t rec = 0;
  std::span<const uint8_t> key;
  std::span<const uint8_t> data;
};

struct ParsedTrack {
  uint32_t cyl = 0, head = 0;
  std::vector<RecordView> records;  // R0 first
  uint32_t used_length = 0;         // bytes through the end-of-track marker
};

// Parses a slot. Checks: the slot is large enough, HA bin is 0 and its CCHH
// is `expected_track`'s, every count's CCHH equals the HA's, no record
// overruns the slot, the end-of-track marker is present. Corruption naming
// the track, the record and what is wrong otherwise. Does not block.
Result<ParsedTrack> ParseTrack(std::span<const uint8_t> slot, const DeviceGeometry& g,
                               uint32_t expected_track);

// The same checks as ParseTrack without building the record list (no
// allocation on success). Used for every track written to a target.
Status ValidateTrack(std::span<const uint8_t> slot, const DeviceGeometry& g,
                     uint32_t expected_track);

// Bytes from the slot start through the end-of-track marker, found by
// walking the count fields; 0 when the slot holds no well-formed track.
uint32_t TrackUsedLength(std::span<const uint8_t> slot);

// True when two slots hold the same track image (HA, records, end of track);
// the zero fill after the marker is ignored. Malformed slots are compared
// byte for byte over their whole length.
bool SameTrackContent(std::span<const uint8_t> a, std::span<const uint8_t> b);

// Writes a FMT1 empty track (HA, R0 with 8 zero data bytes, end of track,
// zero fill) for `track` into `slot` (at least kEmptyTrackLength bytes), as
// dasdinit formats every track but track 0.
void BuildEmptyTrack(const DeviceGeometry& g, uint32_t track, std::span<uint8_t> slot);

// True when the slot is a well-formed track holding no records beyond R0
// (an R1 EOF record alone, the FMT0 form, also counts as empty). False for
// malformed slots, including an all-zero (never written) slot.
bool IsEmptyTrack(std::span<const uint8_t> slot);

// True when every byte of the slot is zero (a never-written sparse slot).
bool IsZeroSlot(std::span<const uint8_t> slot);

// Builds one track image record by record. Owned by one thread.
class TrackBuilder {
 public:
  // Starts a track at relative `track`; R0 (KL 0, DL 8, zeros) is added
  // automatically unless the first AddRecord is record 0.
  TrackBuilder(const DeviceGeometry& g, uint32_t track);

  // Appends a record. InvalidArgument when it would not fit in the slot
  // (with the end-of-track marker) or DL exceeds the track capacity.
  Status AddRecord(uint8_t rec, std::span<const uint8_t> key, std::span<const uint8_t> data);
  // Appends an EOF record (KL 0, DL 0).
  Status AddEofRecord(uint8_t rec) { return AddRecord(rec, {}, {}); }

  // Writes HA, records, end of track and zero fill into `slot` (exactly
  // slot_size bytes). InvalidArgument on a wrong slot size.
  Status Finish(std::span<uint8_t> slot) const;

  // Bytes used so far including the end-of-track marker.
  uint32_t used_length() const {
    return static_cast<uint32_t>(bytes_.size()) + (r0_added_ ? 0 : kCountSize + 8) +
           kEndOfTrackSize;
  }
  // Bytes still free for records (count + key + data) in the slot.
  uint32_t free_bytes() const;
  uint32_t record_count() const { return records_; }

 private:
  DeviceGeometry g_;
  uint32_t track_;
  Cchh addr_;
  std::vector<uint8_t> bytes_;  // HA and records so far
  bool r0_added_ = false;
  uint32_t records_ = 0;
};

}  // namespace pas::ckd
