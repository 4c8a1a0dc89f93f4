// Fuzz target: the 512-byte Hercules device header decoder
// (src/ckd/image.h). A header that decodes re-encodes to one that decodes
// to the same fields.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "ckd/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto h = pas::ckd::DecodeDeviceHeader(std::span<const uint8_t>(data, size));
  if (!h.ok()) return 0;
  std::vector<uint8_t> again = pas::ckd::EncodeDeviceHeader(*h);
  if (again.size() != pas::ckd::kDeviceHeaderSize) std::abort();
  auto h2 = pas::ckd::DecodeDeviceHeader(again);
  if (!h2.ok()) std::abort();
  if (h2->devid != h->devid || h2->heads != h->heads || h2->trksize != h->trksize ||
      h2->devtyp != h->devtyp || h2->fileseq != h->fileseq || h2->highcyl != h->highcyl) {
    std::abort();
  }
  return 0;
}
