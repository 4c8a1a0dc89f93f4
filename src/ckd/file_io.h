// Whole transfers on an image file's descriptor: pread/pwrite repeated
// until every byte moved, EINTR retried. Shared by the uncompressed
// (image.cc) and compressed (cckd.cc) image code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/status.h"

namespace pas::ckd {

// Reads exactly `len` bytes at `off`. End of file before that is IoError
// ("short read"), or Corruption ("extends past the end of the file") when
// `eof_is_corruption` (a table that points past the file). `what` names the
// transfer in the message.
Status PreadFull(int fd, uint8_t* buf, size_t len, uint64_t off, const std::string& what,
                 bool eof_is_corruption = false);
// Writes exactly `len` bytes at `off`.
Status PwriteFull(int fd, const uint8_t* buf, size_t len, uint64_t off, const std::string& what);

}  // namespace pas::ckd
