// The VOL1 label. See label.h and doc/ckd-format.md ("Track 0 and VOL1").
#include "ckd/label.h"

#include <cstring>
#include <vector>

#include "ckd/ebcdic.h"
#include "ckd/track.h"

namespace pas::ckd {

namespace {

constexpr uint8_t kVol1Key[4] = {0xE5, 0xD6, 0xD3, 0xF1};  // "VOL1"

std::string TrimRight(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

struct Vol1Location {
  std::vector<uint8_t> slot;
  size_t data_offset = 0;  // of record 3's data within the slot
};

Result<Vol1Location> FindVol1(const CkdImage& image) {
  Vol1Location loc;
  loc.slot.resize(image.slot_size());
  PAS_RETURN_IF_ERROR(image.ReadTrack(0, loc.slot));
  auto t = ParseTrack(loc.slot, image.geometry(), 0);
  if (!t.ok()) return t.status().WithContext("image " + image.path() + ": volume label track");
  for (const RecordView& r : t->records) {
    if (r.rec != 3) continue;
    const bool key_ok = r.key.size() == 4 && std::memcmp(r.key.data(), kVol1Key, 4) == 0;
    const bool data_ok =
        r.data.size() >= kVol1DataLength && std::memcmp(r.data.data(), kVol1Key, 4) == 0;
    if (!key_ok && !data_ok) break;
    if (r.data.size() < kVol1DataLength) {
      return Status::Corruption("image " + image.path() + ": VOL1 record has " +
                                std::to_string(r.data.size()) + " data bytes, expected 80");
    }
    loc.data_offset = static_cast<size_t>(r.data.data() - loc.slot.data());
    return loc;
  }
  return Status::NotFound("image " + image.path() + ": no VOL1 label (cylinder 0 head 0 record 3)");
}

}  // namespace

bool IsValidVolser(std::string_view volser) {
  if (volser.empty() || volser.size() > 6) return false;
  for (char c : volser) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '@' || c == '#' || c == '$';
    if (!ok) return false;
  }
  return true;
}

Result<VolumeLabel> ReadVolumeLabel(const CkdImage& image) {
  PAS_ASSIGN_OR_RETURN(Vol1Location loc, FindVol1(image));
  const uint8_t* d = loc.slot.data() + loc.data_offset;
  VolumeLabel l;
  l.volser = TrimRight(EbcdicToAscii(std::span<const uint8_t>(d + 4, 6)));
  l.security = d[10];
  l.vtoc_cchh.cyl = static_cast<uint32_t>(d[11] << 8 | d[12]);
  l.vtoc_cchh.head = static_cast<uint32_t>(d[13] << 8 | d[14]);
  l.vtoc_record = d[15];
  l.owner = EbcdicToAscii(std::span<const uint8_t>(d + 37, 14));
  return l;
}

Status WriteVolser(CkdImage& image, std::string_view volser) {
  if (!IsValidVolser(volser)) {
    return Status::InvalidArgument("volser '" + std::string(volser) +
                                   "' is not 1-6 characters A-Z 0-9 @ # $");
  }
  PAS_ASSIGN_OR_RETURN(Vol1Location loc, FindVol1(image));
  AsciiToEbcdicPadded(volser, std::span<uint8_t>(loc.slot.data() + loc.data_offset + 4, 6));
  return image.WriteTrack(0, loc.slot);
}

}  // namespace pas::ckd
