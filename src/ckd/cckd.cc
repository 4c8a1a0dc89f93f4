// Compressed Hercules CKD images. See cckd.h and doc/ckd-format.md
// ("Compressed images").
#include "ckd/cckd.h"
#include "ckd/file_io.h"

#include <bzlib.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>
#include <utility>

#include "base/fault_point.h"
#include "base/log.h"
#include "ckd/track.h"

namespace pas::ckd {

namespace {

constexpr char kFreeTableMagic[] = "FREE_BLK";
// Images shorter than this are stored uncompressed, as Hercules does.
constexpr uint32_t kCompressMin = 512;
// The largest file a 32-bit CCKD offset can address.
constexpr uint64_t kMaxFileSize = 0xFFFFFFFFull;

uint32_t Get32(const uint8_t* p, bool be) {
  return be ? (uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3])
            : (uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24);
}
uint16_t Get16(const uint8_t* p, bool be) {
  return be ? static_cast<uint16_t>(p[0] << 8 | p[1]) : static_cast<uint16_t>(p[0] | p[1] << 8);
}
void Put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llX", static_cast<unsigned long long>(v));
  return buf;
}

Result<uint64_t> FileSize(int fd, const std::string& what) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Status::FromErrno(what + ": fstat");
  return static_cast<uint64_t>(st.st_size);
}

// Holds flock(LOCK_EX) on a descriptor for a scope.
class FileLock {
 public:
  explicit FileLock(int fd) : fd_(fd) {
    while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  ~FileLock() { ::flock(fd_, LOCK_UN); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

std::string TrackText(const DeviceGeometry& g, uint32_t track) {
  return "track " + std::to_string(track) + " (cyl " + std::to_string(track / g.heads) + " head " +
         std::to_string(track % g.heads) + ")";
}

uint32_t L1Size(const CckdHeader& h) { return h.num_l1 * 4; }
uint64_t L1End(const CckdHeader& h) { return kCckdL1Offset + uint64_t{L1Size(h)}; }

// zlib-format track images are made with libdeflate (whole buffers, which
// is what a track image is): the format zlib's compress2 makes, and zlib's
// uncompress (Hercules', and ours below) reads, for a fraction of the CPU.
// The level is the image's compression parameter; its default (-1, as
// Hercules writes it) is level 6, the level zlib's default means. At the
// same level libdeflate's images are not the same size as zlib's: on the
// benchmark volume level 6 is 6 % larger than zlib's level 6 and level 7
// 2 % smaller (doc/performance.md, "Compressed volumes").
constexpr int kDefaultDeflateLevel = 6;

// One compressor per thread (for the level last asked): libdeflate's
// compressors are not shared between threads, and allocating one per track
// would cost more than a track's compression.
class ThreadCompressor {
 public:
  ~ThreadCompressor() {
    if (compressor_ != nullptr) libdeflate_free_compressor(compressor_);
  }
  libdeflate_compressor* Compressor(int level) {
    if (compressor_ == nullptr || level != level_) {
      if (compressor_ != nullptr) libdeflate_free_compressor(compressor_);
      compressor_ = libdeflate_alloc_compressor(level);
      level_ = level;
    }
    return compressor_;
  }

 private:
  libdeflate_compressor* compressor_ = nullptr;
  int level_ = -1;
};
thread_local ThreadCompressor deflate_compressor;

// Compresses `in` with `c`; empty when the result would not be smaller.
std::vector<uint8_t> Compress(Compression c, int parm, std::span<const uint8_t> in) {
  std::vector<uint8_t> out;
  if (c == Compression::kZlib) {
    if (in.size() < 2) return out;
    const int level = parm >= 0 && parm <= 9 ? parm : kDefaultDeflateLevel;
    libdeflate_compressor* z = deflate_compressor.Compressor(level);
    if (z == nullptr) return out;
    out.resize(in.size() - 1);  // room for any result smaller than the input
    const size_t n = libdeflate_zlib_compress(z, in.data(), in.size(), out.data(), out.size());
    out.resize(n);  // 0: did not fit, stored uncompressed
    return out;
  }
  if (c == Compression::kBzip2) {
    unsigned int n = static_cast<unsigned int>(in.size() + in.size() / 100 + 600);
    out.resize(n);
    const int block = parm >= 1 && parm <= 9 ? parm : 5;
    if (BZ2_bzBuffToBuffCompress(reinterpret_cast<char*>(out.data()), &n,
                                 const_cast<char*>(reinterpret_cast<const char*>(in.data())),
                                 static_cast<unsigned int>(in.size()), block, 0, 0) != BZ_OK) {
      return {};
    }
    out.resize(n);
  }
  if (out.size() >= in.size()) out.clear();
  return out;
}

}  // namespace

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "none";
    case Compression::kZlib:
      return "zlib";
    case Compression::kBzip2:
      return "bzip2";
  }
  return "unknown";
}

Result<Compression> ParseCompression(std::string_view name) {
  if (name == "none") return Compression::kNone;
  if (name == "zlib") return Compression::kZlib;
  if (name == "bzip2") return Compression::kBzip2;
  return Status::InvalidArgument("compression '" + std::string(name) +
                                 "' is not none, zlib or bzip2");
}

Result<CckdHeader> DecodeCckdHeader(std::span<const uint8_t> b) {
  if (b.size() < kCckdHeaderSize) {
    return Status::Corruption("CCKD header truncated: " + std::to_string(b.size()) +
                              " of 512 bytes");
  }
  CckdHeader h;
  std::memcpy(h.vrm, b.data(), 3);
  h.options = b[3];
  const bool be = (h.options & kCckdBigEndian) != 0;
  h.num_l1 = Get32(&b[4], be);
  h.num_l2 = Get32(&b[8], be);
  h.size = Get32(&b[12], be);
  h.used = Get32(&b[16], be);
  h.free_off = Get32(&b[20], be);
  h.free_total = Get32(&b[24], be);
  h.free_largest = Get32(&b[28], be);
  h.free_number = Get32(&b[32], be);
  h.free_imbed = Get32(&b[36], be);
  h.cylinders = Get32(&b[40], false);
  h.nullfmt = b[44];
  h.compression = b[45];
  h.compression_parm = static_cast<int16_t>(Get16(&b[46], be));
  if (h.num_l2 != kCckdTracksPerL2) {
    return Status::Corruption("CCKD header: numl2tab " + std::to_string(h.num_l2) +
                              " is not 256");
  }
  if (h.nullfmt > 2) {
    return Status::Corruption("CCKD header: null track format " + std::to_string(h.nullfmt) +
                              " is not 0, 1 or 2");
  }
  if (h.compression > 2) {
    return Status::Corruption("CCKD header: compression " + std::to_string(h.compression) +
                              " is not none, zlib or bzip2");
  }
  return h;
}

std::vector<uint8_t> EncodeCckdHeader(const CckdHeader& h) {
  std::vector<uint8_t> b(kCckdHeaderSize, 0);
  std::memcpy(b.data(), h.vrm, 3);
  b[3] = static_cast<uint8_t>(h.options & ~kCckdBigEndian);
  Put32(&b[4], h.num_l1);
  Put32(&b[8], h.num_l2);
  Put32(&b[12], h.size);
  Put32(&b[16], h.used);
  Put32(&b[20], h.free_off);
  Put32(&b[24], h.free_total);
  Put32(&b[28], h.free_largest);
  Put32(&b[32], h.free_number);
  Put32(&b[36], h.free_imbed);
  Put32(&b[40], h.cylinders);
  b[44] = h.nullfmt;
  b[45] = h.compression;
  Put16(&b[46], static_cast<uint16_t>(h.compression_parm));
  return b;
}

Status BuildNullTrack(const DeviceGeometry& g, uint32_t track, uint8_t nullfmt,
                      std::span<uint8_t> slot) {
  if (nullfmt > 2) {
    return Status::InvalidArgument("null track format " + std::to_string(nullfmt));
  }
  if (nullfmt == 2 && g.track_capacity < 12 * (kCountSize + 4096)) {
    return Status::InvalidArgument("null track format 2 does not fit a " +
                                   std::to_string(g.device_type) + " track");
  }
  TrackBuilder b(g, track);
  if (nullfmt == 0) PAS_RETURN_IF_ERROR(b.AddEofRecord(1));
  if (nullfmt == 2) {
    static const std::vector<uint8_t> zeros(4096, 0);
    for (uint8_t r = 1; r <= 12; ++r) PAS_RETURN_IF_ERROR(b.AddRecord(r, {}, zeros));
  }
  if (slot.size() < g.slot_size) return Status::InvalidArgument("BuildNullTrack: slot too small");
  return b.Finish(slot.first(g.slot_size));
}

CckdFile::CckdFile(int fd, std::string path, const DeviceGeometry& g, CckdHeader h, bool writable)
    : fd_(fd), path_(std::move(path)), geometry_(g), header_(h), writable_(writable) {
  big_endian_ = (h.options & kCckdBigEndian) != 0;
}

CckdFile::~CckdFile() {
  bool dirty;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    dirty = dirty_;
  }
  if (dirty) {
    if (Status s = Harden(); !s.ok()) Logger("ckd")->error("{}: {}", path_, s.message());
  }
}

Result<std::unique_ptr<CckdFile>> CckdFile::Open(int fd, const std::string& path,
                                                 const DeviceGeometry& g, bool writable) {
  const std::string who = "compressed image " + path;
  PAS_ASSIGN_OR_RETURN(uint64_t file_size, FileSize(fd, who));
  uint8_t hb[kCckdHeaderSize];
  if (file_size < kCckdL1Offset) {
    return Status::Corruption(who + ": " + std::to_string(file_size) +
                              " bytes cannot hold the device and CCKD headers (truncated?)");
  }
  PAS_RETURN_IF_ERROR(PreadFull(fd, hb, sizeof hb, kCckdHeaderOffset, who + ": CCKD header", /*eof_is_corruption=*/true));
  auto hr = DecodeCckdHeader(hb);
  if (!hr.ok()) return hr.status().WithContext(who);
  CckdHeader h = *hr;
  if (h.cylinders == 0 || h.cylinders > kMaxCylinders) {
    return Status::Corruption(who + ": CCKD header cylinders " + std::to_string(h.cylinders) +
                              " out of range 1-65535");
  }
  const uint64_t tracks = uint64_t{h.cylinders} * g.heads;
  const uint64_t want_l1 = (tracks + kCckdTracksPerL2 - 1) / kCckdTracksPerL2;
  if (h.num_l1 != want_l1 && h.num_l1 != want_l1 + 1) {
    return Status::Corruption(who + ": numl1tab " + std::to_string(h.num_l1) + ", expected " +
                              std::to_string(want_l1) + " for " + std::to_string(h.cylinders) +
                              " cylinders");
  }
  const bool big_endian = (h.options & kCckdBigEndian) != 0;
  if (big_endian && writable) {
    return Status::NotSupported(who + ": big-endian compressed image cannot be written here; "
                                "convert it with cckdswap");
  }
  const uint64_t l1end = L1End(h);
  if (l1end > file_size) {
    return Status::Corruption(who + ": file of " + std::to_string(file_size) +
                              " bytes too small for the L1 table of " + std::to_string(h.num_l1) +
                              " entries (truncated?)");
  }
  std::unique_ptr<CckdFile> f(new CckdFile(fd, path, g, h, writable));
  // Structure check: every table and image inside the file, no overlaps.
  CckdSpace space;
  auto extents = f->ScanExtents(&space);
  if (!extents.ok()) return extents.status();

  // The free-space chain, unless the last writer did not close the file
  // (then it is rebuilt from the gaps, as Hercules does).
  if ((h.options & kCckdOpened) == 0 && h.free_number > 0) {
    const std::string fwho = who + ": free-space chain";
    if (h.free_off < l1end || h.free_off + uint64_t{8} > file_size) {
      return Status::Corruption(fwho + " starts at " + Hex(h.free_off) +
                                ", outside the file's space (" + Hex(l1end) + "-" +
                                Hex(file_size) + ")");
    }
    if (h.free_number > file_size / 8) {
      return Status::Corruption(fwho + ": " + std::to_string(h.free_number) +
                                " free blocks cannot fit in a file of " +
                                std::to_string(file_size) + " bytes");
    }
    uint8_t first[8];
    PAS_RETURN_IF_ERROR(PreadFull(fd, first, 8, h.free_off, fwho, /*eof_is_corruption=*/true));
    auto check_block = [&](uint32_t i, uint32_t pos, uint32_t len) -> Status {
      if (pos < l1end || uint64_t{pos} + len > std::max<uint64_t>(h.size, file_size)) {
        return Status::Corruption(fwho + ": block " + std::to_string(i) + " at " + Hex(pos) +
                                  " length " + std::to_string(len) + " is outside the file");
      }
      return Status::Ok();
    };
    if (std::memcmp(first, kFreeTableMagic, 8) == 0) {
      std::vector<uint8_t> table(size_t{h.free_number} * 8);
      PAS_RETURN_IF_ERROR(PreadFull(fd, table.data(), table.size(), h.free_off + 8ull,
                                     fwho + " table of " + std::to_string(h.free_number) +
                                         " entries at " + Hex(h.free_off), /*eof_is_corruption=*/true));
      uint64_t prev_end = 0;
      for (uint32_t i = 0; i < h.free_number; ++i) {
        const uint32_t pos = Get32(&table[size_t{i} * 8], big_endian);
        const uint32_t len = Get32(&table[size_t{i} * 8 + 4], big_endian);
        PAS_RETURN_IF_ERROR(check_block(i, pos, len));
        if (pos < prev_end) {
          return Status::Corruption(fwho + ": block " + std::to_string(i) + " at " + Hex(pos) +
                                    " is not after the previous block (overlap or loop)");
        }
        prev_end = uint64_t{pos} + len;
      }
    } else {
      std::set<uint32_t> seen;
      uint32_t pos = h.free_off;
      for (uint32_t i = 0; i < h.free_number; ++i) {
        if (pos == 0) {
          return Status::Corruption(fwho + " ends after " + std::to_string(i) +
                                    " blocks; the header says " + std::to_string(h.free_number));
        }
        if (!seen.insert(pos).second) {
          return Status::Corruption(fwho + " loops: block " + std::to_string(i) + " at " +
                                    Hex(pos) + " was already visited");
        }
        uint8_t blk[8];
        PAS_RETURN_IF_ERROR(PreadFull(fd, blk, 8, pos, fwho + " block at " + Hex(pos), /*eof_is_corruption=*/true));
        const uint32_t next = Get32(blk, big_endian);
        const uint32_t len = Get32(blk + 4, big_endian);
        PAS_RETURN_IF_ERROR(check_block(i, pos, len));
        pos = next;
      }
    }
  }
  return f;
}

Result<std::unique_ptr<CckdFile>> CckdFile::Create(int fd, const std::string& path,
                                                   const DeviceGeometry& g, uint32_t cylinders,
                                                   Compression compression, int level) {
  CckdHeader h;
  h.options = kCckdOpenedReadWrite | 0x01;  // as dasdinit: read-write, "nofudge"
  h.cylinders = cylinders;
  h.num_l1 = (cylinders * g.heads + kCckdTracksPerL2 - 1) / kCckdTracksPerL2;
  h.nullfmt = 1;
  h.compression = static_cast<uint8_t>(compression);
  h.compression_parm = static_cast<int16_t>(level >= 0 && level <= 9 ? level : -1);
  const uint64_t l1end = L1End(h);
  h.size = h.used = static_cast<uint32_t>(l1end);
  const std::string who = "compressed image " + path;
  auto hdr = EncodeCckdHeader(h);
  PAS_RETURN_IF_ERROR(PwriteFull(fd, hdr.data(), hdr.size(), kCckdHeaderOffset, who + ": header"));
  std::vector<uint8_t> l1(L1Size(h), 0);
  PAS_RETURN_IF_ERROR(PwriteFull(fd, l1.data(), l1.size(), kCckdL1Offset, who + ": L1 table"));
  if (::ftruncate(fd, static_cast<off_t>(l1end)) != 0) return Status::FromErrno(who + ": sizing");
  return std::unique_ptr<CckdFile>(new CckdFile(fd, path, g, h, true));
}

Result<uint32_t> CckdFile::ReadL1Entry(uint32_t l1x) const {
  uint8_t b[4];
  PAS_RETURN_IF_ERROR(PreadFull(fd_, b, 4, kCckdL1Offset + uint64_t{l1x} * 4,
                                 "compressed image " + path_ + ": L1 entry " +
                                     std::to_string(l1x), /*eof_is_corruption=*/true));
  return Get32(b, big_endian_);
}

Status CckdFile::ReadL2Entries(uint32_t l2pos, uint32_t first, uint32_t count,
                               L2Entry* out) const {
  std::vector<uint8_t> b(size_t{count} * kCckdL2EntrySize);
  PAS_RETURN_IF_ERROR(PreadFull(fd_, b.data(), b.size(),
                                 uint64_t{l2pos} + uint64_t{first} * kCckdL2EntrySize,
                                 "compressed image " + path_ + ": L2 table at " + Hex(l2pos), /*eof_is_corruption=*/true));
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* p = &b[size_t{i} * kCckdL2EntrySize];
    out[i] = L2Entry{Get32(p, big_endian_), Get16(p + 4, big_endian_), Get16(p + 6, big_endian_)};
  }
  return Status::Ok();
}

Status CckdFile::DecodeImage(uint32_t track, std::span<const uint8_t> image,
                             std::span<uint8_t> slot) const {
  const std::string who = "compressed image " + path_ + ": " + TrackText(geometry_, track);
  if (image.size() < kCckdImageHeaderSize) {
    return Status::Corruption(who + ": image of " + std::to_string(image.size()) +
                              " bytes is shorter than its header");
  }
  const uint32_t cyl = uint32_t{image[1]} << 8 | image[2];
  const uint32_t head = uint32_t{image[3]} << 8 | image[4];
  if (cyl * geometry_.heads + head != track || head >= geometry_.heads) {
    return Status::Corruption(who + ": image header names cyl " + std::to_string(cyl) + " head " +
                              std::to_string(head));
  }
  std::memset(slot.data(), 0, slot.size());
  std::memcpy(slot.data(), image.data(), kCckdImageHeaderSize);
  slot[0] = 0;
  const std::span<const uint8_t> body = image.subspan(kCckdImageHeaderSize);
  uint8_t* dst = slot.data() + kCckdImageHeaderSize;
  const size_t room = slot.size() - kCckdImageHeaderSize;
  size_t out_len = 0;
  switch (image[0]) {
    case 0:
      if (body.size() > room) {
        return Status::Corruption(who + ": image of " + std::to_string(image.size()) +
                                  " bytes is larger than a track slot");
      }
      std::memcpy(dst, body.data(), body.size());
      out_len = body.size();
      break;
    case 1: {
      uLongf n = room;
      const int rc = uncompress(dst, &n, body.data(), static_cast<uLong>(body.size()));
      if (rc != Z_OK) {
        return Status::Corruption(who + ": zlib image of " + std::to_string(image.size()) +
                                  " bytes does not inflate (zlib error " + std::to_string(rc) +
                                  ")");
      }
      out_len = n;
      break;
    }
    case 2: {
      unsigned int n = static_cast<unsigned int>(room);
      const int rc = BZ2_bzBuffToBuffDecompress(
          reinterpret_cast<char*>(dst), &n,
          const_cast<char*>(reinterpret_cast<const char*>(body.data())),
          static_cast<unsigned int>(body.size()), 0, 0);
      if (rc != BZ_OK) {
        return Status::Corruption(who + ": bzip2 image of " + std::to_string(image.size()) +
                                  " bytes does not decompress (bzip2 error " +
                                  std::to_string(rc) + ")");
      }
      out_len = n;
      break;
    }
    default:
      return Status::Corruption(who + ": image compression byte " + Hex(image[0]) +
                                " is not none, zlib or bzip2");
  }
  const uint32_t used = TrackUsedLength(slot);
  if (used != kCckdImageHeaderSize + out_len) {
    return Status::Corruption(who + ": image holds " +
                              std::to_string(kCckdImageHeaderSize + out_len) +
                              " bytes that are not one track (no end-of-track marker where "
                              "the records end)");
  }
  // The records themselves: a reader hands back tracks, never bytes that
  // merely end in an end-of-track marker.
  if (Status s = ValidateTrack(slot, geometry_, track); !s.ok()) {
    return Status::Corruption(who + ": image is not a valid track: " + s.message());
  }
  return Status::Ok();
}

Status CckdFile::ReadTracks(uint32_t first, uint32_t count, std::span<uint8_t> out) const {
  const uint32_t ss = geometry_.slot_size;
  if (out.size() != uint64_t{count} * ss) {
    return Status::InvalidArgument("ReadTracks: buffer is not count slots");
  }
  if (uint64_t{first} + count > tracks()) {
    return Status::InvalidArgument("compressed image " + path_ + ": tracks " +
                                   std::to_string(first) + "+" + std::to_string(count) +
                                   " beyond the volume");
  }
  const uint64_t l1end = L1End(header_);
  std::vector<L2Entry> l2(kCckdTracksPerL2);
  std::vector<uint8_t> buf;
  uint32_t done = 0;
  while (done < count) {
    const uint32_t t = first + done;
    const uint32_t l1x = t / kCckdTracksPerL2;
    const uint32_t l2x = t % kCckdTracksPerL2;
    const uint32_t n = std::min(count - done, kCckdTracksPerL2 - l2x);
    PAS_ASSIGN_OR_RETURN(uint32_t l2pos, ReadL1Entry(l1x));
    if (l2pos == 0) {
      for (uint32_t k = 0; k < n; ++k) {
        PAS_RETURN_IF_ERROR(BuildNullTrack(geometry_, t + k, header_.nullfmt,
                                           out.subspan(uint64_t{done + k} * ss, ss)));
      }
      done += n;
      continue;
    }
    if (l2pos < l1end || l2pos == 0xFFFFFFFFu) {
      return Status::Corruption("compressed image " + path_ + ": L1 entry " +
                                std::to_string(l1x) + " points to " + Hex(l2pos) +
                                ", inside the headers or a shadow file's 'not here'");
    }
    PAS_RETURN_IF_ERROR(ReadL2Entries(l2pos, l2x, n, l2.data()));
    for (uint32_t k = 0; k < n;) {
      const L2Entry& e = l2[k];
      std::span<uint8_t> slot = out.subspan(uint64_t{done + k} * ss, ss);
      if (e.pos == 0) {
        if (e.len > 2) {
          return Status::Corruption("compressed image " + path_ + ": " +
                                    TrackText(geometry_, t + k) + ": null L2 entry of format " +
                                    std::to_string(e.len));
        }
        PAS_RETURN_IF_ERROR(BuildNullTrack(geometry_, t + k, static_cast<uint8_t>(e.len), slot));
        ++k;
        continue;
      }
      // One read for a stretch of images stored back to back.
      uint32_t m = k + 1;
      uint64_t len = e.len;
      while (m < n && l2[m].pos != 0 && l2[m].pos == l2[m - 1].pos + uint64_t{l2[m - 1].len}) {
        len += l2[m].len;
        ++m;
      }
      if (e.pos < l1end) {
        return Status::Corruption("compressed image " + path_ + ": " + TrackText(geometry_, t + k) +
                                  ": L2 entry points to " + Hex(e.pos) + ", inside the headers");
      }
      buf.resize(len);
      PAS_RETURN_IF_ERROR(PreadFull(fd_, buf.data(), len, e.pos,
                                     "compressed image " + path_ + ": image of " +
                                         TrackText(geometry_, t + k) + " at " + Hex(e.pos) +
                                         " length " + std::to_string(len), /*eof_is_corruption=*/true));
      uint64_t off = 0;
      for (uint32_t j = k; j < m; ++j) {
        PAS_RETURN_IF_ERROR(DecodeImage(t + j, std::span<const uint8_t>(buf).subspan(off, l2[j].len),
                                        out.subspan(uint64_t{done + j} * ss, ss)));
        off += l2[j].len;
      }
      k = m;
    }
    done += n;
  }
  return Status::Ok();
}

Status CckdFile::MarkOpenedLocked() {
  uint8_t opts;
  PAS_RETURN_IF_ERROR(PreadFull(fd_, &opts, 1, kCckdHeaderOffset + 3,
                                 "compressed image " + path_ + ": header options", /*eof_is_corruption=*/true));
  if (opts & kCckdOpened) return Status::Ok();
  opts |= kCckdOpened | kCckdOpenedReadWrite;
  PAS_RETURN_IF_ERROR(PwriteFull(fd_, &opts, 1, kCckdHeaderOffset + 3,
                                  "compressed image " + path_ + ": header options"));
  // The OPENED bit must be on the disk before anything it protects.
  if (::fdatasync(fd_) != 0) return Status::FromErrno("compressed image " + path_ + ": fdatasync");
  return Status::Ok();
}

Status CckdFile::WriteTracks(uint32_t first, std::span<const uint8_t> slots) {
  const uint32_t ss = geometry_.slot_size;
  const std::string who = "compressed image " + path_;
  if (!writable_) return Status::InvalidArgument(who + ": opened read-only");
  if (slots.size() % ss != 0) return Status::InvalidArgument("WriteTracks: buffer is not whole slots");
  const uint32_t count = static_cast<uint32_t>(slots.size() / ss);
  if (uint64_t{first} + count > tracks()) {
    return Status::InvalidArgument(who + ": tracks " + std::to_string(first) + "+" +
                                   std::to_string(count) + " beyond the volume");
  }
  // Encode outside the lock: this is where the CPU goes.
  std::vector<uint8_t> images;
  std::vector<L2Entry> entries(count);
  std::vector<uint8_t> null_slot(ss);
  const Compression comp = compression();
  for (uint32_t k = 0; k < count; ++k) {
    const uint32_t t = first + k;
    std::span<const uint8_t> slot = slots.subspan(uint64_t{k} * ss, ss);
    if (Status s = ValidateTrack(slot, geometry_, t); !s.ok()) {
      return Status::InvalidArgument(who + ": not written: " + s.message());
    }
    const uint32_t used = TrackUsedLength(slot);
    bool is_null = false;
    for (uint8_t fmt = 0; fmt <= 2 && !is_null; ++fmt) {
      if (fmt == 2 && (geometry_.device_type != 0x3390 || used < 1000)) break;
      if (!BuildNullTrack(geometry_, t, fmt, null_slot).ok()) continue;
      if (TrackUsedLength(null_slot) == used &&
          std::memcmp(null_slot.data(), slot.data(), used) == 0) {
        entries[k] = L2Entry{0, fmt, fmt};
        is_null = true;
      }
    }
    if (is_null) continue;
    const size_t at = images.size();
    std::vector<uint8_t> packed;
    if (comp != Compression::kNone && used >= kCompressMin) {
      packed = Compress(comp, header_.compression_parm,
                        slot.subspan(kCckdImageHeaderSize, used - kCckdImageHeaderSize));
    }
    if (packed.empty()) {
      images.insert(images.end(), slot.begin(), slot.begin() + used);
      images[at] = 0;
    } else {
      images.insert(images.end(), slot.begin(), slot.begin() + kCckdImageHeaderSize);
      images[at] = static_cast<uint8_t>(comp);
      images.insert(images.end(), packed.begin(), packed.end());
    }
    const uint16_t len = static_cast<uint16_t>(images.size() - at);
    entries[k] = L2Entry{static_cast<uint32_t>(at), len, len};  // pos relative for now
  }

  std::lock_guard<std::mutex> lock(write_mu_);
  FileLock flock(fd_);
  PAS_RETURN_IF_ERROR(MarkOpenedLocked());
  FaultPoint("cckd.after_opened");
  dirty_ = true;
  PAS_ASSIGN_OR_RETURN(uint64_t end, FileSize(fd_, who));
  end = std::max(end, L1End(header_));
  // 1. The new images, appended: nothing live is overwritten.
  if (!images.empty()) {
    if (end + images.size() > kMaxFileSize) {
      return Status::IoError(who + ": a compressed image cannot grow past 4 GiB", EFBIG);
    }
    PAS_RETURN_IF_ERROR(PwriteFull(fd_, images.data(), images.size(), end,
                                    who + ": writing track images of tracks " +
                                        std::to_string(first) + "+" + std::to_string(count)));
    for (L2Entry& e : entries) {
      if (e.len > 2) e.pos += static_cast<uint32_t>(end);
    }
    end += images.size();
    FaultPoint("cckd.after_image");
  }
  // 2. The L2 entries (3. a new L2 table, then its L1 entry).
  uint32_t done = 0;
  while (done < count) {
    const uint32_t t = first + done;
    const uint32_t l1x = t / kCckdTracksPerL2;
    const uint32_t l2x = t % kCckdTracksPerL2;
    const uint32_t n = std::min(count - done, kCckdTracksPerL2 - l2x);
    PAS_ASSIGN_OR_RETURN(uint32_t l2pos, ReadL1Entry(l1x));
    auto encode = [&](uint8_t* p, const L2Entry& e) {
      Put32(p, e.pos);
      Put16(p + 4, e.len);
      Put16(p + 6, e.size);
    };
    if (l2pos == 0) {
      bool all_default_null = true;
      for (uint32_t k = 0; k < n; ++k) {
        const L2Entry& e = entries[done + k];
        if (e.pos != 0 || e.len != header_.nullfmt) all_default_null = false;
      }
      if (!all_default_null) {
        std::vector<uint8_t> table(kCckdL2TableSize);
        const L2Entry empty{0, header_.nullfmt, header_.nullfmt};
        for (uint32_t i = 0; i < kCckdTracksPerL2; ++i) encode(&table[i * 8], empty);
        for (uint32_t k = 0; k < n; ++k) encode(&table[(l2x + k) * 8], entries[done + k]);
        if (end + kCckdL2TableSize > kMaxFileSize) {
          return Status::IoError(who + ": a compressed image cannot grow past 4 GiB", EFBIG);
        }
        PAS_RETURN_IF_ERROR(PwriteFull(fd_, table.data(), table.size(), end,
                                        who + ": writing L2 table " + std::to_string(l1x)));
        FaultPoint("cckd.after_l2table");
        uint8_t l1e[4];
        Put32(l1e, static_cast<uint32_t>(end));
        PAS_RETURN_IF_ERROR(PwriteFull(fd_, l1e, 4, kCckdL1Offset + uint64_t{l1x} * 4,
                                        who + ": writing L1 entry " + std::to_string(l1x)));
        end += kCckdL2TableSize;
      }
    } else {
      if (l2pos < L1End(header_) || l2pos == 0xFFFFFFFFu) {
        return Status::Corruption(who + ": L1 entry " + std::to_string(l1x) + " points to " +
                                  Hex(l2pos));
      }
      std::vector<uint8_t> b(size_t{n} * 8);
      for (uint32_t k = 0; k < n; ++k) encode(&b[k * 8], entries[done + k]);
      PAS_RETURN_IF_ERROR(PwriteFull(fd_, b.data(), b.size(), uint64_t{l2pos} + uint64_t{l2x} * 8,
                                      who + ": writing L2 entries of tracks " + std::to_string(t) +
                                          "+" + std::to_string(n)));
      FaultPoint("cckd.after_l2");
    }
    done += n;
  }
  return Status::Ok();
}

Result<std::vector<CckdFile::Extent>> CckdFile::ScanExtents(CckdSpace* space) const {
  const std::string who = "compressed image " + path_;
  PAS_ASSIGN_OR_RETURN(uint64_t file_size, FileSize(fd_, who));
  // A file that a program writes while it is scanned grows: an image
  // appended after the size was taken is not outside the file. Measure
  // again before calling a table entry corrupt.
  auto beyond = [&](uint64_t end) -> bool {
    if (end <= file_size) return false;
    auto now = FileSize(fd_, who);
    if (now.ok()) file_size = std::max(file_size, *now);
    return end > file_size;
  };
  uint8_t opts = 0;
  PAS_RETURN_IF_ERROR(PreadFull(fd_, &opts, 1, kCckdHeaderOffset + 3, who + ": header", /*eof_is_corruption=*/true));
  const uint64_t l1end = L1End(header_);
  std::vector<uint8_t> l1(L1Size(header_));
  PAS_RETURN_IF_ERROR(PreadFull(fd_, l1.data(), l1.size(), kCckdL1Offset, who + ": L1 table", /*eof_is_corruption=*/true));
  std::vector<Extent> ext;
  ext.push_back({0, kCckdHeaderOffset});
  ext.push_back({kCckdHeaderOffset, kCckdHeaderSize});
  ext.push_back({kCckdL1Offset, L1Size(header_)});
  CckdSpace sp;
  sp.file_size = file_size;
  sp.opened = (opts & kCckdOpened) != 0;
  sp.used_bytes = l1end;
  const uint64_t tracks = this->tracks();
  std::vector<L2Entry> l2(kCckdTracksPerL2);
  for (uint32_t i = 0; i < header_.num_l1; ++i) {
    const uint32_t pos = Get32(&l1[size_t{i} * 4], big_endian_);
    const uint64_t first = uint64_t{i} * kCckdTracksPerL2;
    const uint32_t in_volume =
        first >= tracks ? 0 : static_cast<uint32_t>(std::min<uint64_t>(kCckdTracksPerL2, tracks - first));
    if (pos == 0) {
      sp.null_tracks += in_volume;
      continue;
    }
    if (pos == 0xFFFFFFFFu) {
      return Status::Corruption(who + ": L1 entry " + std::to_string(i) +
                                " is FFFFFFFF (a shadow file's 'not here') in a base image");
    }
    if (pos < l1end || beyond(uint64_t{pos} + kCckdL2TableSize)) {
      return Status::Corruption(who + ": L1 entry " + std::to_string(i) + ": L2 table at " +
                                Hex(pos) + " is outside the file's space (" + Hex(l1end) + "-" +
                                Hex(file_size) + ")");
    }
    ext.push_back({pos, kCckdL2TableSize});
    ++sp.l2_tables;
    sp.used_bytes += kCckdL2TableSize;
    PAS_RETURN_IF_ERROR(ReadL2Entries(pos, 0, kCckdTracksPerL2, l2.data()));
    for (uint32_t j = 0; j < kCckdTracksPerL2; ++j) {
      const L2Entry& e = l2[j];
      const uint64_t t = first + j;
      if (e.pos == 0) {
        if (e.len > 2) {
          return Status::Corruption(who + ": L2 table " + std::to_string(i) + " entry " +
                                    std::to_string(j) + ": null track of format " +
                                    std::to_string(e.len));
        }
        if (j < in_volume) ++sp.null_tracks;
        continue;
      }
      const std::string where = who + ": L2 table " + std::to_string(i) + " entry " +
                                std::to_string(j) + " (track " + std::to_string(t) + ")";
      if (j >= in_volume) {
        return Status::Corruption(where + ": an image beyond the volume's last track");
      }
      if (e.pos == 0xFFFFFFFFu) {
        return Status::Corruption(where + ": FFFFFFFF (a shadow file's 'not here') in a base image");
      }
      if (e.len < kCckdImageHeaderSize || e.size < e.len || e.len > geometry_.slot_size) {
        return Status::Corruption(where + ": inconsistent length " + std::to_string(e.len) +
                                  " size " + std::to_string(e.size));
      }
      if (e.pos < l1end || beyond(uint64_t{e.pos} + e.len)) {
        return Status::Corruption(where + ": image at " + Hex(e.pos) + " length " +
                                  std::to_string(e.len) + " is outside the file's space (" +
                                  Hex(l1end) + "-" + Hex(file_size) + ")");
      }
      ext.push_back({e.pos, e.size});
      ++sp.stored_tracks;
      sp.image_bytes += e.len;
      sp.used_bytes += e.len;
    }
  }
  std::sort(ext.begin(), ext.end(), [](const Extent& a, const Extent& b) { return a.pos < b.pos; });
  for (size_t i = 0; i + 1 < ext.size(); ++i) {
    const uint64_t end = ext[i].pos + ext[i].size;
    if (end > ext[i + 1].pos) {
      return Status::Corruption(who + ": space at " + Hex(ext[i].pos) + " length " +
                                std::to_string(ext[i].size) + " overlaps the space at " +
                                Hex(ext[i + 1].pos) + " (two tables or images share bytes)");
    }
    const uint64_t gap = ext[i + 1].pos - end;
    if (gap > 0) {
      ++sp.free_blocks;
      sp.free_bytes += gap;
      sp.largest_free = std::max<uint32_t>(sp.largest_free, static_cast<uint32_t>(gap));
    }
  }
  sp.file_size = file_size;
  if (space != nullptr) *space = sp;
  return ext;
}

Result<CckdSpace> CckdFile::Space() const {
  CckdSpace sp;
  PAS_RETURN_IF_ERROR(ScanExtents(&sp).status());
  return sp;
}

Status CckdFile::Harden() {
  const std::string who = "compressed image " + path_;
  if (!writable_) return Status::Ok();
  std::lock_guard<std::mutex> lock(write_mu_);
  FileLock flock(fd_);
  uint8_t opts;
  PAS_RETURN_IF_ERROR(PreadFull(fd_, &opts, 1, kCckdHeaderOffset + 3, who + ": header", /*eof_is_corruption=*/true));
  // Images, L2 and L1 entries on the disk before the header says "closed".
  if (::fdatasync(fd_) != 0) return Status::FromErrno(who + ": fdatasync");
  if (!dirty_ && (opts & kCckdOpened) == 0) return Status::Ok();
  PAS_ASSIGN_OR_RETURN(std::vector<Extent> ext, ScanExtents(nullptr));
  CckdHeader h = header_;
  h.options = static_cast<uint8_t>((opts & ~(kCckdOpened | kCckdSpaceErrors)) | kCckdOpenedReadWrite);
  // Extents span each image's reserved size; `used` counts its length.
  // The difference is the space imbedded in images (pas writes size ==
  // len, Hercules may not).
  uint64_t reserved = 0;
  std::vector<std::pair<uint32_t, uint32_t>> gaps;
  for (size_t i = 0; i < ext.size(); ++i) {
    reserved += ext[i].size;
    if (i + 1 < ext.size()) {
      const uint64_t end = ext[i].pos + ext[i].size;
      if (ext[i + 1].pos > end) {
        gaps.emplace_back(static_cast<uint32_t>(end), static_cast<uint32_t>(ext[i + 1].pos - end));
      }
    }
  }
  CckdSpace sp;
  PAS_RETURN_IF_ERROR(ScanExtents(&sp).status());
  const uint64_t last_end = ext.back().pos + ext.back().size;
  const uint64_t imbed = reserved - sp.used_bytes;
  h.size = static_cast<uint32_t>(last_end);
  h.used = static_cast<uint32_t>(sp.used_bytes);
  h.free_number = static_cast<uint32_t>(gaps.size());
  h.free_imbed = static_cast<uint32_t>(imbed);
  uint64_t total = 0;
  uint32_t largest = 0;
  for (const auto& [pos, len] : gaps) {
    total += len;
    largest = std::max(largest, len);
  }
  h.free_total = static_cast<uint32_t>(total + imbed);
  h.free_largest = largest;
  uint64_t new_size = last_end;
  if (!gaps.empty()) {
    // The free-space table ("FREE_BLK", then position and length of each
    // free block) just past the last used byte, where Hercules puts it.
    std::vector<uint8_t> table(8 + gaps.size() * 8);
    std::memcpy(table.data(), kFreeTableMagic, 8);
    for (size_t i = 0; i < gaps.size(); ++i) {
      Put32(&table[8 + i * 8], gaps[i].first);
      Put32(&table[12 + i * 8], gaps[i].second);
    }
    PAS_RETURN_IF_ERROR(PwriteFull(fd_, table.data(), table.size(), last_end,
                                    who + ": writing the free-space table"));
    h.free_off = static_cast<uint32_t>(last_end);
    new_size += table.size();
  } else {
    h.free_off = 0;
  }
  if (::ftruncate(fd_, static_cast<off_t>(new_size)) != 0) {
    return Status::FromErrno(who + ": truncating to " + std::to_string(new_size));
  }
  if (::fdatasync(fd_) != 0) return Status::FromErrno(who + ": fdatasync");
  FaultPoint("cckd.harden_after_table");
  auto hb = EncodeCckdHeader(h);
  PAS_RETURN_IF_ERROR(PwriteFull(fd_, hb.data(), hb.size(), kCckdHeaderOffset, who + ": header"));
  FaultPoint("cckd.harden_after_header");
  if (::fdatasync(fd_) != 0) return Status::FromErrno(who + ": fdatasync");
  dirty_ = false;
  return Status::Ok();
}

Result<CckdWriteMap> CckdWriteMap::Load(int fd, const DeviceGeometry& g) {
  uint8_t hb[kCckdHeaderSize];
  PAS_RETURN_IF_ERROR(PreadFull(fd, hb, sizeof hb, kCckdHeaderOffset, "CCKD header", /*eof_is_corruption=*/true));
  PAS_ASSIGN_OR_RETURN(CckdHeader h, DecodeCckdHeader(hb));
  if (h.options & kCckdBigEndian) return Status::NotSupported("big-endian compressed image");
  std::vector<uint8_t> l1(L1Size(h));
  PAS_RETURN_IF_ERROR(PreadFull(fd, l1.data(), l1.size(), kCckdL1Offset, "L1 table", /*eof_is_corruption=*/true));
  CckdWriteMap m;
  m.tracks_ = h.cylinders * g.heads;
  m.l1_.resize(h.num_l1);
  for (uint32_t i = 0; i < h.num_l1; ++i) m.l1_[i] = Get32(&l1[size_t{i} * 4], false);
  return m;
}

std::vector<uint32_t> CckdWriteMap::TracksWritten(uint64_t offset, std::span<const uint8_t> data) {
  std::vector<uint32_t> out;
  if (data.empty()) return out;
  const uint64_t end = offset + data.size();
  auto add_range = [&](uint64_t first, uint64_t count) {
    for (uint64_t t = first; t < first + count && t < tracks_; ++t) out.push_back(static_cast<uint32_t>(t));
  };
  // Entries of L2 tables the write covers (as the tables are now).
  for (uint32_t i = 0; i < l1_.size(); ++i) {
    const uint64_t p = l1_[i];
    if (p == 0 || p == 0xFFFFFFFFu || end <= p || offset >= p + kCckdL2TableSize) continue;
    const uint64_t lo = std::max(offset, p) - p, hi = std::min(end, p + kCckdL2TableSize) - p;
    add_range(uint64_t{i} * kCckdTracksPerL2 + lo / kCckdL2EntrySize,
              (hi + kCckdL2EntrySize - 1) / kCckdL2EntrySize - lo / kCckdL2EntrySize);
  }
  // L1 entries: every track of the table, and the cache follows the write.
  const uint64_t l1end = kCckdL1Offset + uint64_t{l1_.size()} * 4;
  if (offset < l1end && end > kCckdL1Offset) {
    const uint64_t lo = std::max<uint64_t>(offset, kCckdL1Offset) - kCckdL1Offset;
    const uint64_t hi = std::min(end, l1end) - kCckdL1Offset;
    for (uint64_t e = lo / 4; e < (hi + 3) / 4; ++e) {
      add_range(e * kCckdTracksPerL2, kCckdTracksPerL2);
      uint8_t b[4];
      for (int k = 0; k < 4; ++k) {
        const uint64_t at = kCckdL1Offset + e * 4 + k;
        b[k] = at >= offset && at < end ? data[at - offset]
                                        : static_cast<uint8_t>(l1_[e] >> (8 * k));
      }
      l1_[e] = Get32(b, false);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool CckdWriteMap::TouchesTables(uint64_t offset, uint64_t length) const {
  if (length == 0) return false;
  const uint64_t end = offset + length;
  const uint64_t l1end = kCckdL1Offset + uint64_t{l1_.size()} * 4;
  if (offset < l1end && end > kCckdL1Offset) return true;
  for (uint32_t p : l1_) {
    if (p == 0 || p == 0xFFFFFFFFu) continue;
    if (end > p && offset < uint64_t{p} + kCckdL2TableSize) return true;
  }
  return false;
}

std::vector<uint32_t> CckdWriteMap::TracksWritten(uint64_t offset, std::span<const uint8_t> data,
                                                  std::span<const uint8_t> old) {
  if (old.size() != data.size()) return TracksWritten(offset, data);
  std::vector<uint32_t> out;
  if (data.empty()) return out;
  const uint64_t end = offset + data.size();
  auto differs = [&](uint64_t from, uint64_t to) {  // file offsets, clipped to the write
    from = std::max(from, offset);
    to = std::min(to, end);
    return from < to && std::memcmp(&data[from - offset], &old[from - offset], to - from) != 0;
  };
  for (uint32_t i = 0; i < l1_.size(); ++i) {
    const uint64_t p = l1_[i];
    if (p == 0 || p == 0xFFFFFFFFu || end <= p || offset >= p + kCckdL2TableSize) continue;
    for (uint32_t e = 0; e < kCckdTracksPerL2; ++e) {
      const uint64_t at = p + uint64_t{e} * kCckdL2EntrySize;
      const uint64_t t = uint64_t{i} * kCckdTracksPerL2 + e;
      if (t < tracks_ && differs(at, at + kCckdL2EntrySize)) out.push_back(static_cast<uint32_t>(t));
    }
  }
  const uint64_t l1end = kCckdL1Offset + uint64_t{l1_.size()} * 4;
  if (offset < l1end && end > kCckdL1Offset) {
    const uint64_t lo = std::max<uint64_t>(offset, kCckdL1Offset) - kCckdL1Offset;
    const uint64_t hi = std::min(end, l1end) - kCckdL1Offset;
    for (uint64_t e = lo / 4; e < (hi + 3) / 4; ++e) {
      uint8_t b[4];
      for (int k = 0; k < 4; ++k) {
        const uint64_t at = kCckdL1Offset + e * 4 + k;
        b[k] = at >= offset && at < end ? data[at - offset] : static_cast<uint8_t>(l1_[e] >> (8 * k));
      }
      const uint32_t now = Get32(b, false);
      if (now != l1_[e]) {
        for (uint64_t t = e * kCckdTracksPerL2; t < (e + 1) * kCckdTracksPerL2 && t < tracks_; ++t)
          out.push_back(static_cast<uint32_t>(t));
      }
      l1_[e] = now;
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace pas::ckd
