// The track image codec. See track.h and doc/ckd-format.md ("Track layout").
#include "ckd/track.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace pas::ckd {

namespace {

constexpr uint64_t kEot = ~uint64_t{0};

inline uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t Be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline bool IsEot(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v == kEot;
}

std::string Hex8(uint32_t v) {
  char buf[12];
  std::snprintf(buf, sizeof buf, "%08X", v);
  return buf;
}

std::string TrackPrefix(uint32_t track) { return "track " + std::to_string(track) + ": "; }

// Walks the slot, calling on_record(count_ptr, key_ptr, kl, data_ptr, dl)
// for each record. Returns the used length or a Corruption status. Only
// builds strings on the error path.
template <typename OnRecord>
Status Walk(std::span<const uint8_t> slot, const DeviceGeometry& g, uint32_t expected_track,
            uint32_t* used, OnRecord&& on_record) {
  const uint8_t* s = slot.data();
  const size_t size = slot.size();
  if (size < kHomeAddressSize + kEndOfTrackSize) {
    return Status::Corruption(TrackPrefix(expected_track) + "slot of " + std::to_string(size) +
                              " bytes is too short for a track");
  }
  if (s[0] != 0) {
    return Status::Corruption(TrackPrefix(expected_track) + "home address bin byte is " +
                              std::to_string(s[0]) + ", must be 0");
  }
  const Cchh want = TrackAddress(g, expected_track);
  const uint32_t want_cchh = (want.cyl & 0xFFFF) << 16 | (want.head & 0xFFFF);
  const uint32_t ha_cchh = Be32(s + 1);
  if (ha_cchh != want_cchh || want.cyl > 0xFFFF) {
    return Status::Corruption(TrackPrefix(expected_track) + "home address CCHH " + Hex8(ha_cchh) +
                              " is not the track's address " + Hex8(want_cchh));
  }
  size_t p = kHomeAddressSize;
  uint32_t n = 0;
  for (;;) {
    if (p + kCountSize > size) {
      return Status::Corruption(TrackPrefix(expected_track) + "missing end-of-track marker (" +
                                std::to_string(n) + " records, slot ends at offset " +
                                std::to_string(size) + ")");
    }
    const uint8_t* c = s + p;
    if (IsEot(c)) {
      *used = static_cast<uint32_t>(p + kEndOfTrackSize);
      return Status::Ok();
    }
    const uint32_t cchh = Be32(c);
    const uint8_t rec = c[4];
    const uint32_t kl = c[5];
    const uint32_t dl = Be16(c + 6);
    if (cchh != ha_cchh) {
      return Status::Corruption(TrackPrefix(expected_track) + "record " + std::to_string(rec) +
                                " count CCHH " + Hex8(cchh) + " does not match home address " +
                                Hex8(ha_cchh));
    }
    const size_t end = p + kCountSize + kl + dl;
    if (end > size) {
      return Status::Corruption(TrackPrefix(expected_track) + "record " + std::to_string(rec) +
                                " (KL " + std::to_string(kl) + " DL " + std::to_string(dl) +
                                " at offset " + std::to_string(p) + ") overruns the slot of " +
                                std::to_string(size) + " bytes");
    }
    on_record(c, kl, dl);
    p = end;
    ++n;
  }
}

// Used length without HA checks; 0 when malformed.
uint32_t UsedLength(std::span<const uint8_t> slot) {
  const uint8_t* s = slot.data();
  const size_t size = slot.size();
  if (size < kHomeAddressSize + kEndOfTrackSize || s[0] != 0) return 0;
  size_t p = kHomeAddressSize;
  while (p + kCountSize <= size) {
    if (IsEot(s + p)) return static_cast<uint32_t>(p + kEndOfTrackSize);
    p += kCountSize + s[p + 5] + Be16(s + p + 6);
  }
  return 0;
}

}  // namespace

Result<ParsedTrack> ParseTrack(std::span<const uint8_t> slot, const DeviceGeometry& g,
                               uint32_t expected_track) {
  ParsedTrack t;
  const Cchh a = TrackAddress(g, expected_track);
  t.cyl = a.cyl;
  t.head = a.head;
  Status s = Walk(slot, g, expected_track, &t.used_length,
                  [&](const uint8_t* c, uint32_t kl, uint32_t dl) {
                    RecordView r;
                    r.cyl = Be16(c);
                    r.head = Be16(c + 2);
                    r.rec = c[4];
                    r.key = std::span<const uint8_t>(c + kCountSize, kl);
                    r.data = std::span<const uint8_t>(c + kCountSize + kl, dl);
                    t.records.push_back(r);
                  });
  if (!s.ok()) return s;
  return t;
}

Status ValidateTrack(std::span<const uint8_t> slot, const DeviceGeometry& g,
                     uint32_t expected_track) {
  uint32_t used = 0;
  return Walk(slot, g, expected_track, &used, [](const uint8_t*, uint32_t, uint32_t) {});
}

uint32_t TrackUsedLength(std::span<const uint8_t> slot) { return UsedLength(slot); }

bool SameTrackContent(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  const uint32_t la = UsedLength(a);
  const uint32_t lb = UsedLength(b);
  if (la != 0 && lb != 0) return la == lb && std::memcmp(a.data(), b.data(), la) == 0;
  if (la != 0 || lb != 0) return false;
  // memcmp must not be given the null data() of an empty span.
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

void BuildEmptyTrack(const DeviceGeometry& g, uint32_t track, std::span<uint8_t> slot) {
  const Cchh a = TrackAddress(g, track);
  std::memset(slot.data(), 0, slot.size());
  uint8_t* s = slot.data();
  s[1] = static_cast<uint8_t>(a.cyl >> 8);
  s[2] = static_cast<uint8_t>(a.cyl);
  s[3] = static_cast<uint8_t>(a.head >> 8);
  s[4] = static_cast<uint8_t>(a.head);
  std::memcpy(s + 5, s + 1, 4);  // R0 count: CCHH, R 0, KL 0, DL 8
  s[12] = 8;
  std::memset(s + kHomeAddressSize + kCountSize + 8, 0xFF, kEndOfTrackSize);
}

bool IsEmptyTrack(std::span<const uint8_t> slot) {
  const uint32_t used = UsedLength(slot);
  if (used == 0) return false;
  const uint8_t* s = slot.data();
  // Count fields must carry the HA's CCHH.
  if (used == kEmptyTrackLength) {
    return s[9] == 0 && std::memcmp(s + 1, s + 5, 4) == 0;
  }
  size_t p = kHomeAddressSize;
  if (s[p + 4] != 0) return false;  // first record is not R0
  p += kCountSize + s[p + 5] + Be16(s + p + 6);
  if (IsEot(s + p)) return true;
  // FMT0: an EOF record (KL 0, DL 0) then end of track.
  return s[p + 5] == 0 && Be16(s + p + 6) == 0 && IsEot(s + p + kCountSize);
}

bool IsZeroSlot(std::span<const uint8_t> slot) {
  for (uint8_t b : slot) {
    if (b != 0) return false;
  }
  return true;
}

TrackBuilder::TrackBuilder(const DeviceGeometry& g, uint32_t track)
    : g_(g), track_(track), addr_(TrackAddress(g, track)) {
  bytes_.reserve(4096);
  bytes_ = {0, static_cast<uint8_t>(addr_.cyl >> 8), static_cast<uint8_t>(addr_.cyl),
            static_cast<uint8_t>(addr_.head >> 8), static_cast<uint8_t>(addr_.head)};
}

uint32_t TrackBuilder::free_bytes() const {
  const uint32_t used = used_length();
  return used >= g_.slot_size ? 0 : g_.slot_size - used;
}

Status TrackBuilder::AddRecord(uint8_t rec, std::span<const uint8_t> key,
                               std::span<const uint8_t> data) {
  if (key.size() > 255) return Status::InvalidArgument("key longer than 255 bytes");
  if (data.size() > g_.track_capacity) {
    return Status::InvalidArgument("track " + std::to_string(track_) + ": record " +
                                   std::to_string(rec) + " data length " +
                                   std::to_string(data.size()) + " exceeds the track capacity " +
                                   std::to_string(g_.track_capacity));
  }
  const bool implicit_r0 = !r0_added_ && rec != 0;
  const size_t need = kCountSize + key.size() + data.size();
  if (used_length() + need > g_.slot_size) {
    return Status::InvalidArgument("track " + std::to_string(track_) + ": record " +
                                   std::to_string(rec) + " (" + std::to_string(need) +
                                   " bytes) does not fit in the " + std::to_string(free_bytes()) +
                                   " bytes left in the slot");
  }
  auto put_count = [&](uint8_t r, uint8_t kl, uint16_t dl) {
    bytes_.insert(bytes_.end(), bytes_.begin() + 1, bytes_.begin() + 5);
    bytes_.push_back(r);
    bytes_.push_back(kl);
    bytes_.push_back(static_cast<uint8_t>(dl >> 8));
    bytes_.push_back(static_cast<uint8_t>(dl));
  };
  if (implicit_r0) {
    put_count(0, 0, 8);
    bytes_.insert(bytes_.end(), 8, 0);
  }
  r0_added_ = true;
  put_count(rec, static_cast<uint8_t>(key.size()), static_cast<uint16_t>(data.size()));
  bytes_.insert(bytes_.end(), key.begin(), key.end());
  bytes_.insert(bytes_.end(), data.begin(), data.end());
  if (rec != 0 || !implicit_r0) ++records_;
  return Status::Ok();
}

Status TrackBuilder::Finish(std::span<uint8_t> slot) const {
  if (slot.size() != g_.slot_size) {
    return Status::InvalidArgument("TrackBuilder::Finish: buffer is not one slot");
  }
  std::memset(slot.data(), 0, slot.size());
  std::memcpy(slot.data(), bytes_.data(), bytes_.size());
  size_t p = bytes_.size();
  if (!r0_added_) {
    std::memcpy(slot.data() + p, bytes_.data() + 1, 4);
    slot[p + 7] = 8;
    p += kCountSize + 8;
  }
  std::memset(slot.data() + p, 0xFF, kEndOfTrackSize);
  return Status::Ok();
}

}  // namespace pas::ckd
