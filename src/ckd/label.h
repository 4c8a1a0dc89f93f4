// The VOL1 volume label: cylinder 0, head 0, record 3 (key "VOL1", 80
// data bytes): the volser and the CCHHR of the VTOC's first DSCB.
// Functions read or write one track through a CkdImage; they are as
// thread-safe as the CkdImage calls they make (concurrent reads are fine; a
// WriteVolser must not race other writers of track 0). Format facts:
// doc/ckd-format.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "ckd/device.h"
#include "ckd/image.h"

namespace pas::ckd {

inline constexpr uint32_t kVol1DataLength = 80;

struct VolumeLabel {
  std::string volser;  // ASCII, trailing blanks removed
  Cchh vtoc_cchh;      // where the VTOC's first DSCB (the F4) is
  uint8_t vtoc_record = 0;
  uint8_t security = 0;  // byte 10 (0x40 dasdinit 3.13, 0xC0 4.x, C'0' z/VM)
  std::string owner;     // ASCII, 14 characters as stored
};

// 1-6 characters from A-Z 0-9 @ # $.
bool IsValidVolser(std::string_view volser);

// Reads track 0 and decodes record 3. NotFound when track 0 is well formed
// but has no VOL1 record (an unlabelled volume); Corruption when track 0 is
// malformed; IoError when it cannot be read.
Result<VolumeLabel> ReadVolumeLabel(const CkdImage& image);

// Replaces the volser in VOL1 in place; the rest of track 0 is unchanged.
// InvalidArgument for a bad volser, NotFound/Corruption as ReadVolumeLabel.
Status WriteVolser(CkdImage& image, std::string_view volser);

}  // namespace pas::ckd
