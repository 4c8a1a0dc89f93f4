// Fuzz target: the compressed (CCKD) image reader and writer
// (src/ckd/cckd.h) behind CkdImage.
//
// Input: the bytes of a CCKD file from offset 512 on (CCKD header, L1 and
// L2 tables, track images, free space); the 512-byte device header of a
// 3390 is put in front. The file lives in a memfd opened through
// /proc/self/fd. An image that opens is read whole (volumes of up to 60
// cylinders; larger ones are only opened and measured), then one track is
// written and the file hardened, reopened and the track read back.
// Checked beyond "no crash, leak, hang or UB": every track read is a valid
// track of its address, the written track reads back equal, and the
// hardened file opens again.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "ckd/cckd.h"
#include "ckd/device.h"
#include "ckd/image.h"
#include "ckd/track.h"

using namespace pas::ckd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fd = memfd_create("pas-fuzz-cckd", 0);
  if (fd < 0) std::abort();
  const DeviceGeometry& g = k3390Geometry;
  DeviceHeader h{.devid = "CKD_C370", .heads = g.heads, .trksize = g.slot_size,
                 .devtyp = g.header_devtype, .fileseq = 0, .highcyl = 0};
  std::vector<uint8_t> file = EncodeDeviceHeader(h);
  file.insert(file.end(), data, data + size);
  if (pwrite(fd, file.data(), file.size(), 0) != static_cast<ssize_t>(file.size())) std::abort();
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  {
    auto img = CkdImage::Open(path, /*writable=*/true);
    if (img.ok() && img->cylinders() <= 60) {
      std::vector<uint8_t> cyl(size_t{g.slot_size} * g.heads);
      bool all_read = true;
      for (uint32_t c = 0; c < img->cylinders(); ++c) {
        if (!img->ReadTracks(c * g.heads, g.heads, cyl).ok()) {
          all_read = false;
          continue;
        }
        for (uint32_t k = 0; k < g.heads; ++k) {
          auto s = ValidateTrack(std::span<const uint8_t>(cyl).subspan(size_t{k} * g.slot_size, g.slot_size), g,
                                 c * g.heads + k);
          if (!s.ok()) std::abort();  // the reader returned something that is not a track
        }
      }
      // Writing: only into a file whose every table checks out.
      if (all_read) {
        std::vector<uint8_t> slot(g.slot_size), back(g.slot_size);
        TrackBuilder b(g, 1);
        std::vector<uint8_t> rec(700, 0x42);
        if (!b.AddRecord(1, {}, rec).ok() || !b.Finish(slot).ok()) std::abort();
        if (img->WriteTrack(1, slot).ok() && img->Sync().ok()) {
          auto again = CkdImage::Open(path, false);
          if (!again.ok()) std::abort();
          if (!again->ReadTrack(1, back).ok() || !SameTrackContent(slot, back)) std::abort();
        }
      }
    } else if (img.ok()) {
      (void)img->cckd()->Space();
    }
  }
  close(fd);
  return 0;
}
