// DSCB (VTOC record) layout helpers shared by vtoc.cc and volume.cc:
// offsets into the 140-byte key+data of a DSCB, extent encoding, and a
// scan of every DSCB on the VTOC tracks with its position, so that
// writers can update one DSCB in place. Pure functions and values; the
// scan reads through a CkdImage. Format: doc/ckd-format.md ("DSCBs").
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "ckd/image.h"
#include "ckd/vtoc.h"

namespace pas::ckd::dscb {

inline constexpr uint32_t kKeyLength = 44;
inline constexpr uint32_t kDataLength = 96;
inline constexpr uint32_t kSize = kKeyLength + kDataLength;
using Bytes = std::array<uint8_t, kSize>;

// Offsets into the 140 bytes (key first).
inline constexpr size_t kFmtId = 44;
inline constexpr size_t kPtrds = 135;  // CCHHR of the next DSCB in a chain
// Format-1
inline constexpr size_t kF1Dssn = 45, kF1Volsq = 51, kF1Credt = 53, kF1Expdt = 56, kF1Noepv = 59,
                        kF1Syscd = 62, kF1Dsorg = 82, kF1Recfm = 84, kF1Blkl = 86, kF1Lrecl = 88,
                        kF1Keyl = 90, kF1Dsind = 93, kF1Scalo = 94, kF1Lstar = 98, kF1Trbal = 101,
                        kF1Ext1 = 105;
// Format-4
inline constexpr size_t kF4Hpchr = 45, kF4Dsrec = 50, kF4Hcchh = 52, kF4Noatk = 56, kF4Vtoci = 58,
                        kF4Noext = 59, kF4Dscyl = 62, kF4Dstrk = 64, kF4Devtk = 66, kF4Devfg = 71,
                        kF4Devdt = 74, kF4Devdb = 75, kF4Vtoce = 105, kF4Dcyl = 132;
inline constexpr uint8_t kVtociF5Invalid = 0x80, kVtociF7 = 0x20;
// Format-5: 26 five-byte extents.
inline constexpr uint32_t kF5Extents = 26;
size_t F5ExtentOffset(uint32_t i);  // 4, 9, ..., 39, 45, ..., 130

inline uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline void PutBe16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
Extent DecodeExtent(const uint8_t* p);
void EncodeExtent(const Extent& e, uint8_t* p);

// One DSCB found on a VTOC track.
struct Entry {
  uint32_t track = 0;  // relative track
  uint8_t rec = 0;
  Bytes bytes{};
  uint8_t format() const { return bytes[kFmtId]; }
};

struct Scan {
  Vtoc vtoc;
  std::vector<Entry> entries;  // every KL 44 DL 96 record on the VTOC tracks
  int f4 = -1;                 // index into entries
  int f5 = -1;
};

// ReadVtoc with every DSCB's position kept.
Result<Scan> ScanVtoc(const CkdImage& image);

// Replaces record `rec` (a DSCB) on `track` with `bytes`; the rest of the
// track unchanged. Corruption when the record is not a DSCB.
Status WriteDscb(CkdImage& image, uint32_t track, uint8_t rec, const Bytes& bytes);

// Rewrites the F5 free-space extents from `allocated` (or marks F5 invalid
// in the F4 when it cannot express them). Needs scan.f4 and scan.f5.
Status WriteFreeSpace(CkdImage& image, Scan& scan);

}  // namespace pas::ckd::dscb
