// Fuzz target: the VOL1 label and VTOC readers (src/ckd/label.h, vtoc.h)
// and the volume description and VTOC resize built on them.
//
// The image is a 10-cylinder 3390 in memory (a memfd opened through
// /proc/self/fd, so CkdImage reads it like any file). Input: a sequence of
// chunks, each a 2-byte big-endian track number (modulo the volume's
// tracks), a 2-byte big-endian length and that many bytes, written at the
// start of the track's slot (the rest of the slot zero). Tracks written by
// the previous input are zeroed first.
// Checked beyond "no crash, leak, hang or UB": ReadVtoc's sets stay inside
// the volume, and DescribeVolume agrees with ReadVtoc.
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ckd/device.h"
#include "ckd/image.h"
#include "ckd/label.h"
#include "ckd/volume.h"
#include "ckd/vtoc.h"

using namespace pas::ckd;

namespace {

constexpr uint32_t kCylinders = 10;

struct MemoryVolume {
  int fd = -1;
  std::string path;

  MemoryVolume() {
    fd = memfd_create("pas-fuzz-volume", 0);
    if (fd < 0) std::abort();
    const DeviceGeometry& g = k3390Geometry;
    DeviceHeader h{.devid = "CKD_P370", .heads = g.heads, .trksize = g.slot_size,
                   .devtyp = g.header_devtype, .fileseq = 0, .highcyl = 0};
    std::vector<uint8_t> hdr = EncodeDeviceHeader(h);
    if (pwrite(fd, hdr.data(), hdr.size(), 0) != static_cast<ssize_t>(hdr.size())) std::abort();
    if (ftruncate(fd, kDeviceHeaderSize + uint64_t{kCylinders} * g.heads * g.slot_size) != 0) {
      std::abort();
    }
    path = "/proc/self/fd/" + std::to_string(fd);
  }
};

MemoryVolume& Volume() {
  static MemoryVolume* v = new MemoryVolume();
  return *v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  MemoryVolume& vol = Volume();
  auto opened = CkdImage::Open(vol.path, /*writable=*/true);
  if (!opened.ok()) std::abort();
  CkdImage& image = *opened;
  const DeviceGeometry& g = image.geometry();
  std::vector<uint8_t> slot(g.slot_size, 0);
  // Every track back to zero (the previous input's and whatever
  // ResizeVtoc wrote): a hole punched over the whole track area.
  if (fallocate(vol.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, kDeviceHeaderSize,
                uint64_t{image.tracks()} * g.slot_size) != 0) {
    std::abort();
  }
  size_t pos = 0;
  while (pos + 4 <= size) {
    const uint32_t track = ((uint32_t{data[pos]} << 8) | data[pos + 1]) % image.tracks();
    size_t len = (size_t{data[pos + 2]} << 8) | data[pos + 3];
    pos += 4;
    len = std::min({len, size - pos, size_t{g.slot_size}});
    std::fill(slot.begin(), slot.end(), 0);
    std::copy_n(data + pos, len, slot.begin());
    pos += len;
    if (!image.WriteTrack(track, slot).ok()) std::abort();
  }

  (void)ReadVolumeLabel(image);
  auto vtoc = ReadVtoc(image);
  if (vtoc.ok()) {
    if (vtoc->allocated.size() != image.tracks()) std::abort();
    if (vtoc->vtoc_tracks > image.tracks()) std::abort();
    if (vtoc->free_tracks() > vtoc->vtoc_tracks) std::abort();
    for (const DataSet& ds : vtoc->datasets) {
      for (const Extent& e : ds.extents) {
        if (RelativeTrack(g, e.end) >= image.tracks()) std::abort();
      }
    }
    TrackSet copy = TracksToCopy(*vtoc, image.tracks());
    if (copy.size() != image.tracks()) std::abort();
  }
  auto info = DescribeVolume(vol.path);
  if (info.ok() != vtoc.ok()) std::abort();
  if (info.ok()) {
    (void)VolumeInfoText(*info);
    (void)VolumeInfoJson(*info);
  }
  // A grown copy's VTOC is rewritten from what it holds: hostile too.
  if (vtoc.ok() && vtoc->present) {
    if (ResizeVtoc(image, kCylinders).ok()) {
      if (!ReadVtoc(image).ok()) std::abort();
    }
  }
  return 0;
}
