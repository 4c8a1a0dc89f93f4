// The VTOC reader and ResizeVtoc. See vtoc.h, dscb.h and
// doc/ckd-format.md ("VTOC").
#include "ckd/vtoc.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "base/log.h"
#include "ckd/dscb.h"
#include "ckd/ebcdic.h"
#include "ckd/label.h"
#include "ckd/track.h"

namespace pas::ckd {

void TrackSet::SetRange(uint32_t first, uint32_t last) {
  if (size_ == 0 || first >= size_) return;
  if (last >= size_) last = size_ - 1;
  for (uint32_t t = first; t <= last;) {
    if (t % 64 == 0 && last - t >= 63) {
      words_[t / 64] = ~uint64_t{0};
      t += 64;
    } else {
      Set(t);
      ++t;
    }
  }
}

uint32_t TrackSet::Count() const {
  uint32_t n = 0;
  for (uint64_t w : words_) n += static_cast<uint32_t>(std::popcount(w));
  return n;
}

void TrackSet::ForEach(const std::function<void(uint32_t)>& fn) const {
  for (size_t i = 0; i < words_.size(); ++i) {
    uint64_t w = words_[i];
    while (w) {
      const int b = std::countr_zero(w);
      fn(static_cast<uint32_t>(i * 64 + b));
      w &= w - 1;
    }
  }
}

TrackSet TracksToCopy(const Vtoc& vtoc, uint32_t total_tracks) {
  if (vtoc.present && vtoc.allocated.size() == total_tracks) return vtoc.allocated;
  TrackSet all(total_tracks);
  all.SetAll();
  return all;
}

namespace dscb {

size_t F5ExtentOffset(uint32_t i) { return i < 8 ? 4 + 5 * i : 45 + 5 * (i - 8); }

Extent DecodeExtent(const uint8_t* p) {
  Extent e;
  e.type = p[0];
  e.seq = p[1];
  e.begin = Cchh{Be16(p + 2), Be16(p + 4)};
  e.end = Cchh{Be16(p + 6), Be16(p + 8)};
  return e;
}

void EncodeExtent(const Extent& e, uint8_t* p) {
  p[0] = e.type;
  p[1] = e.seq;
  PutBe16(p + 2, e.begin.cyl);
  PutBe16(p + 4, e.begin.head);
  PutBe16(p + 6, e.end.cyl);
  PutBe16(p + 8, e.end.head);
}

namespace {

std::string Where(uint32_t track, uint8_t rec, const DeviceGeometry& g) {
  const Cchh a = TrackAddress(g, track);
  char buf[64];
  std::snprintf(buf, sizeof buf, "DSCB at CCHHR %04X%04X%02X", a.cyl, a.head, rec);
  return buf;
}

std::string TrimRight(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

std::string Dsorg(const uint8_t* p) {
  if (p[1] & 0x08) return "VS";
  switch (p[0] & 0xFE) {
    case 0x40:
      return "PS";
    case 0x02:
      return "PO";
    case 0x20:
      return "DA";
    case 0x80:
      return "IS";
    default:
      break;
  }
  if (p[0] & 0x01) return "U";
  return "";
}

std::string Recfm(uint8_t r) {
  std::string s;
  switch (r & 0xC0) {
    case 0xC0:
      s = "U";
      break;
    case 0x80:
      s = "F";
      break;
    case 0x40:
      s = "V";
      break;
    default:
      return "";
  }
  if (r & 0x10) s += "B";
  if (r & 0x08) s += "S";
  if (r & 0x04) s += "A";
  if (r & 0x02) s += "M";
  return s;
}

uint64_t Key(uint32_t track, uint8_t rec) { return uint64_t{track} << 8 | rec; }

// Adds extent `e` of `owner` to `ds` and to `allocated`, checking bounds.
Status AddExtent(const Extent& e, const DeviceGeometry& g, uint32_t total, const std::string& owner,
                 DataSet* ds, TrackSet* allocated) {
  if (e.type == 0) return Status::Ok();
  const uint32_t b = RelativeTrack(g, e.begin), en = RelativeTrack(g, e.end);
  if (e.begin.head >= g.heads || e.end.head >= g.heads || b > en || en >= total) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "extent %u (%04X%04X-%04X%04X)", e.seq, e.begin.cyl,
                  e.begin.head, e.end.cyl, e.end.head);
    return Status::Corruption(owner + ": " + buf + " is not within the volume's " +
                              std::to_string(total) + " tracks");
  }
  allocated->SetRange(b, en);
  if (ds) {
    ds->extents.push_back(e);
    ds->tracks += en - b + 1;
  }
  return Status::Ok();
}

}  // namespace

Result<Scan> ScanVtoc(const CkdImage& image) {
  const DeviceGeometry& g = image.geometry();
  Scan scan;
  Vtoc& v = scan.vtoc;
  v.total_tracks = image.tracks();
  v.vtoc_tracks = v.total_tracks;
  v.allocated = TrackSet(v.total_tracks);
  v.allocated.Set(0);
  const std::string img = "image " + image.path();

  auto label = ReadVolumeLabel(image);
  if (!label.ok()) {
    if (label.status().IsNotFound()) return scan;
    return label.status();
  }
  const Cchh f4c = label->vtoc_cchh;
  if (f4c.head >= g.heads || RelativeTrack(g, f4c) >= v.total_tracks) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04X%04X%02X", f4c.cyl, f4c.head, label->vtoc_record);
    return Status::Corruption(img + ": VOL1 VTOC pointer CCHHR " + std::string(buf) +
                              " is beyond the volume");
  }
  std::vector<uint8_t> slot(image.slot_size());
  const uint32_t f4_track = RelativeTrack(g, f4c);
  PAS_RETURN_IF_ERROR(image.ReadTrack(f4_track, slot));
  {
    auto t = ParseTrack(slot, g, f4_track);
    if (!t.ok()) return t.status().WithContext(img + ": VTOC");
    const RecordView* f4 = nullptr;
    for (const auto& r : t->records) {
      if (r.rec == label->vtoc_record && r.rec != 0) f4 = &r;
    }
    if (f4 == nullptr) return scan;  // VOL1 points at an empty track: no VTOC
    if (f4->key.size() != kKeyLength || f4->data.size() != kDataLength || f4->data[0] != 0xF4) {
      return Status::Corruption(img + ": " + Where(f4_track, f4->rec, g) +
                                " named by VOL1 is not a Format-4 DSCB");
    }
    Bytes b;
    std::memcpy(b.data(), f4->key.data(), kKeyLength);
    std::memcpy(b.data() + kKeyLength, f4->data.data(), kDataLength);
    v.present = true;
    v.f4_location = f4c;
    v.f4_record = f4->rec;
    v.vtoci = b[kF4Vtoci];
    v.f4_cylinders = Be16(&b[kF4Dscyl]);
    if (v.f4_cylinders == 0xFFFE) {
      v.f4_cylinders = uint32_t{b[kF4Dcyl]} << 24 | uint32_t{b[kF4Dcyl + 1]} << 16 |
                       uint32_t{b[kF4Dcyl + 2]} << 8 | b[kF4Dcyl + 3];
    }
    v.vtoc_extent = DecodeExtent(&b[kF4Vtoce]);
    v.vtoc_tracks = std::min(v.total_tracks, v.f4_cylinders * g.heads);
  }
  const std::string f4where = img + ": Format-4 DSCB";
  PAS_RETURN_IF_ERROR(
      AddExtent(v.vtoc_extent, g, v.total_tracks, f4where + " VTOC", nullptr, &v.allocated));
  if (v.vtoc_extent.type == 0) return Status::Corruption(f4where + ": VTOC extent is empty");
  const uint32_t vb = RelativeTrack(g, v.vtoc_extent.begin);
  const uint32_t ve = RelativeTrack(g, v.vtoc_extent.end);
  if (f4_track < vb || f4_track > ve) {
    return Status::Corruption(f4where + ": VTOC extent does not contain the Format-4 DSCB");
  }

  std::map<uint64_t, size_t> by_addr;
  for (uint32_t t = vb; t <= ve; ++t) {
    PAS_RETURN_IF_ERROR(image.ReadTrack(t, slot));
    auto pt = ParseTrack(slot, g, t);
    if (!pt.ok()) return pt.status().WithContext(img + ": VTOC");
    for (const auto& r : pt->records) {
      if (r.rec == 0 || r.key.size() != kKeyLength || r.data.size() != kDataLength) continue;
      Entry e;
      e.track = t;
      e.rec = r.rec;
      std::memcpy(e.bytes.data(), r.key.data(), kKeyLength);
      std::memcpy(e.bytes.data() + kKeyLength, r.data.data(), kDataLength);
      by_addr[Key(t, r.rec)] = scan.entries.size();
      if (t == f4_track && r.rec == v.f4_record) scan.f4 = static_cast<int>(scan.entries.size());
      if (e.format() == 0xF5 && scan.f5 < 0) scan.f5 = static_cast<int>(scan.entries.size());
      scan.entries.push_back(e);
    }
  }

  for (const Entry& e : scan.entries) {
    if (e.format() != 0xF1 && e.format() != 0xF8) continue;
    const uint8_t* b = e.bytes.data();
    DataSet ds;
    ds.format = e.format();
    ds.name = TrimRight(EbcdicToAscii(std::span<const uint8_t>(b, kKeyLength)));
    ds.dsorg = Dsorg(b + kF1Dsorg);
    ds.recfm = Recfm(b[kF1Recfm]);
    ds.blksize = Be16(b + kF1Blkl);
    ds.lrecl = Be16(b + kF1Lrecl);
    ds.keylen = b[kF1Keyl];
    const std::string owner = img + ": data set " + ds.name;
    for (int i = 0; i < 3; ++i) {
      PAS_RETURN_IF_ERROR(AddExtent(DecodeExtent(b + kF1Ext1 + 10 * i), g, v.total_tracks, owner,
                                    &ds, &v.allocated));
    }
    // The chain: F1 -> F3 -> F3 ..., or F8 -> F9 ... -> F3 ...
    std::set<uint64_t> seen{Key(e.track, e.rec)};
    const uint8_t* ptr = b + kPtrds;
    for (;;) {
      const Cchh c{Be16(ptr), Be16(ptr + 2)};
      const uint8_t rec = ptr[4];
      if (c.cyl == 0 && c.head == 0 && rec == 0) break;
      const uint32_t t = c.head < g.heads ? RelativeTrack(g, c) : ~0u;
      char buf[48];
      std::snprintf(buf, sizeof buf, "%04X%04X%02X", c.cyl, c.head, rec);
      auto it = by_addr.find(Key(t, rec));
      if (it == by_addr.end()) {
        return Status::Corruption(owner + ": DSCB chain points to CCHHR " + buf +
                                  ", which is not a DSCB in the VTOC");
      }
      if (!seen.insert(it->first).second) {
        return Status::Corruption(owner + ": DSCB chain loops at CCHHR " + buf);
      }
      const Entry& next = scan.entries[it->second];
      const uint8_t* n = next.bytes.data();
      if (next.format() == 0xF3) {
        for (int i = 0; i < 4; ++i) {
          PAS_RETURN_IF_ERROR(
              AddExtent(DecodeExtent(n + 4 + 10 * i), g, v.total_tracks, owner, &ds, &v.allocated));
        }
        for (int i = 0; i < 9; ++i) {
          PAS_RETURN_IF_ERROR(AddExtent(DecodeExtent(n + 45 + 10 * i), g, v.total_tracks, owner,
                                        &ds, &v.allocated));
        }
      } else if (next.format() != 0xF9) {
        char f[8];
        std::snprintf(f, sizeof f, "%02X", next.format());
        return Status::Corruption(owner + ": DSCB chain points to CCHHR " + buf + ", a format " +
                                  f + " DSCB, not Format-3 or -9");
      }
      ptr = n + kPtrds;
    }
    v.datasets.push_back(std::move(ds));
  }
  return scan;
}

Status WriteDscb(CkdImage& image, uint32_t track, uint8_t rec, const Bytes& bytes) {
  std::vector<uint8_t> slot(image.slot_size());
  PAS_RETURN_IF_ERROR(image.ReadTrack(track, slot));
  auto t = ParseTrack(slot, image.geometry(), track);
  if (!t.ok()) return t.status().WithContext("image " + image.path() + ": VTOC");
  for (const auto& r : t->records) {
    if (r.rec != rec) continue;
    if (r.key.size() != kKeyLength || r.data.size() != kDataLength) break;
    const size_t off = static_cast<size_t>(r.key.data() - slot.data());
    std::memcpy(slot.data() + off, bytes.data(), kSize);
    return image.WriteTrack(track, slot);
  }
  return Status::Corruption("image " + image.path() + ": " + Where(track, rec, image.geometry()) +
                            " not found");
}

Status WriteFreeSpace(CkdImage& image, Scan& scan) {
  if (scan.f4 < 0) return Status::NotFound("image " + image.path() + ": no VTOC");
  Entry& f4 = scan.entries[static_cast<size_t>(scan.f4)];
  const Vtoc& v = scan.vtoc;
  if (f4.bytes[kF4Vtoci] & (kVtociF5Invalid | kVtociF7)) return Status::Ok();
  // Free runs of unallocated tracks.
  std::vector<std::pair<uint32_t, uint32_t>> runs;  // first, count
  for (uint32_t t = 0; t < v.vtoc_tracks;) {
    if (v.allocated.Test(t)) {
      ++t;
      continue;
    }
    uint32_t e = t;
    while (e < v.vtoc_tracks && !v.allocated.Test(e)) ++e;
    runs.emplace_back(t, e - t);
    t = e;
  }
  const bool fits = scan.f5 >= 0 && runs.size() <= kF5Extents && v.vtoc_tracks <= 0xFFFF;
  if (!fits) {
    // F5 cannot describe this volume: mark it invalid, as an indexed VTOC
    // or dasdload's does; readers then compute free space from extents.
    f4.bytes[kF4Vtoci] |= kVtociF5Invalid;
    Logger("ckd")->info("{}: free space not expressible in Format-5; DS4VTOCI marked 0x80",
                        image.path());
    return WriteDscb(image, f4.track, f4.rec, f4.bytes);
  }
  Entry& f5 = scan.entries[static_cast<size_t>(scan.f5)];
  const uint32_t heads = image.geometry().heads;
  for (uint32_t i = 0; i < kF5Extents; ++i) {
    uint8_t* p = f5.bytes.data() + F5ExtentOffset(i);
    std::memset(p, 0, 5);
    if (i < runs.size()) {
      PutBe16(p, runs[i].first);
      PutBe16(p + 2, runs[i].second / heads);
      p[4] = static_cast<uint8_t>(runs[i].second % heads);
    }
  }
  std::memset(f5.bytes.data() + kPtrds, 0, 5);
  return WriteDscb(image, f5.track, f5.rec, f5.bytes);
}

}  // namespace dscb

Result<Vtoc> ReadVtoc(const CkdImage& image) {
  PAS_ASSIGN_OR_RETURN(dscb::Scan scan, dscb::ScanVtoc(image));
  return std::move(scan.vtoc);
}

Status ResizeVtoc(CkdImage& target, uint32_t new_cylinders) {
  PAS_ASSIGN_OR_RETURN(dscb::Scan scan, dscb::ScanVtoc(target));
  if (!scan.vtoc.present) return Status::Ok();
  if (new_cylinders > target.cylinders()) {
    return Status::InvalidArgument("image " + target.path() + ": cannot describe " +
                                   std::to_string(new_cylinders) + " cylinders on a volume of " +
                                   std::to_string(target.cylinders()));
  }
  if (new_cylinders < scan.vtoc.f4_cylinders) {
    return Status::InvalidArgument(
        "image " + target.path() + ": VTOC describes " + std::to_string(scan.vtoc.f4_cylinders) +
        " cylinders; shrinking to " + std::to_string(new_cylinders) + " is not allowed");
  }
  if (scan.vtoc.vtoci & dscb::kVtociF7) {
    return Status::NotSupported("image " + target.path() +
                                ": free space in Format-7 DSCBs is not maintained by pas");
  }
  dscb::Entry& f4 = scan.entries[static_cast<size_t>(scan.f4)];
  uint8_t* b = f4.bytes.data();
  const uint32_t old_cyls = scan.vtoc.f4_cylinders;
  if (dscb::Be16(b + dscb::kF4Dscyl) == 0xFFFE) {
    for (int i = 0; i < 4; ++i)
      b[dscb::kF4Dcyl + i] = static_cast<uint8_t>(new_cylinders >> (24 - 8 * i));
  } else {
    dscb::PutBe16(b + dscb::kF4Dscyl, new_cylinders);
  }
  // DS4HCCHH names the first alternate track: the cylinder after the volume.
  if (dscb::Be16(b + dscb::kF4Hcchh) == old_cyls) dscb::PutBe16(b + dscb::kF4Hcchh, new_cylinders);
  PAS_RETURN_IF_ERROR(dscb::WriteDscb(target, f4.track, f4.rec, f4.bytes));
  // Free space over the new size (the allocation map spans the image).
  scan.vtoc.vtoci = b[dscb::kF4Vtoci];
  scan.vtoc.f4_cylinders = new_cylinders;
  scan.vtoc.vtoc_tracks = new_cylinders * target.geometry().heads;
  return dscb::WriteFreeSpace(target, scan);
}

}  // namespace pas::ckd
