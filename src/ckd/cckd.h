// CckdFile: one compressed Hercules CKD image (CCKD, devid `CKD_C370`):
// the CCKD header, the L1 and L2 lookup tables, null tracks and track
// images stored uncompressed, zlib- or bzip2-compressed, and the free-space
// table. CkdImage (image.h) opens one of these behind its ordinary track
// API; nothing else needs to know the format. Format and the reasons for
// each write step: doc/ckd-format.md ("Compressed images").
//
// Reading never trusts cached lookup tables: every read takes the L1 and
// L2 entries from the file, so a reader in one process sees the tracks that
// writers in other processes have written (the copy engine reads a source
// that hosts are writing).
//
// Writing is crash-safe by order, as Hercules does it: the OPENED bit goes
// into the header (and is synced) before the first change; a new track
// image is appended at the end of the file, so no live byte is ever
// overwritten; only then does its L2 entry (and, for a new L2 table, the L1
// entry) point to it. A writer killed at any point leaves every track
// reading as its old or its new content; the space it was writing is a gap
// that `cckdcdsk -f` or Hercules' open rebuilds into free space. Harden()
// writes the free-space table and the header statistics and clears OPENED:
// the file then passes `cckdcdsk -3` with no message.
//
// Ownership: the file descriptor belongs to the caller (CkdImage) and must
// outlive the object. Thread- and process-safety: reads are lock-free
// (pread); writes and Harden serialize on an in-process mutex and an
// exclusive flock of the file, so several threads and several processes may
// write one image. Space freed by a rewrite is not reused while the file is
// open for writing (it is a gap until Harden describes it as free space).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ckd/device.h"

namespace pas::ckd {

enum class Compression : uint8_t { kNone = 0, kZlib = 1, kBzip2 = 2 };

// "none", "zlib", "bzip2".
std::string_view CompressionName(Compression c);
// Parses the names above; InvalidArgument otherwise.
Result<Compression> ParseCompression(std::string_view name);

inline constexpr uint32_t kCckdHeaderOffset = 512;
inline constexpr uint32_t kCckdHeaderSize = 512;
inline constexpr uint32_t kCckdL1Offset = 1024;
inline constexpr uint32_t kCckdTracksPerL2 = 256;
inline constexpr uint32_t kCckdL2EntrySize = 8;
inline constexpr uint32_t kCckdL2TableSize = kCckdTracksPerL2 * kCckdL2EntrySize;
// Track image header: compression byte, then the track's CC HH.
inline constexpr uint32_t kCckdImageHeaderSize = 5;

// Header option bits.
inline constexpr uint8_t kCckdBigEndian = 0x02;
inline constexpr uint8_t kCckdSpaceErrors = 0x20;
inline constexpr uint8_t kCckdOpenedReadWrite = 0x40;
inline constexpr uint8_t kCckdOpened = 0x80;

// The 512-byte CCKD header at file offset 512, decoded.
struct CckdHeader {
  uint8_t vrm[3] = {0, 3, 1};
  uint8_t options = 0;
  uint32_t num_l1 = 0;
  uint32_t num_l2 = kCckdTracksPerL2;
  uint32_t size = 0;          // file size the statistics describe
  uint32_t used = 0;          // bytes of headers, tables and track images
  uint32_t free_off = 0;      // the free-space table / first free block, 0: none
  uint32_t free_total = 0;    // gaps plus space imbedded in track images
  uint32_t free_largest = 0;  // largest gap
  uint32_t free_number = 0;   // gaps
  uint32_t free_imbed = 0;    // size - len summed over track images
  uint32_t cylinders = 0;     // always little-endian in the file
  uint8_t nullfmt = 0;        // 0, 1 or 2: the format of tracks not stored
  uint8_t compression = 0;    // Compression of new track images
  int16_t compression_parm = -1;
};

// Decodes 512 bytes (byte order from the options bit). Corruption naming a
// field that cannot be right (num_l2 not 256, nullfmt above 2, an unknown
// compression).
Result<CckdHeader> DecodeCckdHeader(std::span<const uint8_t> bytes);
// Encodes little-endian (the options bit is cleared).
std::vector<uint8_t> EncodeCckdHeader(const CckdHeader& h);

struct L2Entry {
  uint32_t pos = 0;   // file offset of the image; 0: a null track
  uint16_t len = 0;   // image length; for a null track its format 0-2
  uint16_t size = 0;  // space reserved, >= len
};

// The space a compressed image occupies, from a scan of its tables.
struct CckdSpace {
  uint64_t file_size = 0;
  uint64_t used_bytes = 0;     // headers, tables, track images
  uint64_t free_bytes = 0;     // everything else up to the last used byte
  uint32_t free_blocks = 0;    // gaps
  uint32_t largest_free = 0;
  uint32_t stored_tracks = 0;  // tracks with an image
  uint32_t null_tracks = 0;
  uint32_t l2_tables = 0;
  uint64_t image_bytes = 0;    // sum of the stored images' lengths
  bool opened = false;         // OPENED bit: last writer did not close it
};

// Builds the null track of format `nullfmt` (0: R0 and an EOF R1, 1: R0
// only, 2: R0 and twelve 4096-byte zero records; 3390 only) for `track`
// into `slot` (slot_size bytes; the rest zero). InvalidArgument when the
// format does not fit the device.
Status BuildNullTrack(const DeviceGeometry& g, uint32_t track, uint8_t nullfmt,
                      std::span<uint8_t> slot);

class CckdFile {
 public:
  // Reads and checks the header, the L1 table, every L2 table (each
  // image's offset and length within the file, no overlaps) and, unless the
  // OPENED bit says the last writer did not close the file, the free-space
  // chain (in bounds, no loop). `fd` is open on `path`, positioned nowhere;
  // `geometry` comes from the device header. Corruption naming the table,
  // entry and offset; NotSupported for a big-endian file opened writable;
  // IoError on a read failure. Blocks on file reads.
  static Result<std::unique_ptr<CckdFile>> Open(int fd, const std::string& path,
                                                const DeviceGeometry& geometry, bool writable);
  // Writes the headers and an all-null L1 table of a new image into the
  // empty file `fd` (as `dasdinit -z` / `-bz2` do, every track a null track
  // of format 1 until written). IoError on failure.
  static Result<std::unique_ptr<CckdFile>> Create(int fd, const std::string& path,
                                                  const DeviceGeometry& geometry,
                                                  uint32_t cylinders, Compression compression,
                                                  int level = -1);
  ~CckdFile();
  CckdFile(const CckdFile&) = delete;
  CckdFile& operator=(const CckdFile&) = delete;

  uint32_t cylinders() const { return header_.cylinders; }
  uint32_t tracks() const { return header_.cylinders * geometry_.heads; }
  Compression compression() const { return static_cast<Compression>(header_.compression); }
  // The header's compression parameter: the level new track images are
  // compressed at (-1: the codec's default).
  int compression_level() const { return header_.compression_parm; }
  const CckdHeader& header_at_open() const { return header_; }

  // Reads `count` tracks from `first` into `out` (count slots; each slot is
  // the track, zero-filled after its end-of-track marker). Corruption when
  // a lookup entry points outside the file, an image's header names another
  // track, an image does not inflate or does not inflate to a track;
  // IoError on read failure. Thread-safe; blocks.
  Status ReadTracks(uint32_t first, uint32_t count, std::span<uint8_t> out) const;

  // Writes `slots` (whole slots) to the tracks from `first`: each is
  // compressed in the calling thread (so several threads compress in
  // parallel), then under the write lock appended at the end of the file,
  // then its L2 entry is pointed at it. Empty tracks equal to a null track
  // become null entries. InvalidArgument for a slot that is not a valid
  // track of its address; IoError on failure. Blocks.
  Status WriteTracks(uint32_t first, std::span<const uint8_t> slots);

  // Makes the file consistent for Hercules and cckdcdsk: writes the
  // free-space table and the statistics, clears OPENED, fdatasync. A no-op
  // (but fdatasync) when nothing was written since the last Harden. Blocks.
  Status Harden();

  // Scans the tables (from the file) for the space facts. Blocks.
  Result<CckdSpace> Space() const;

 private:
  CckdFile(int fd, std::string path, const DeviceGeometry& g, CckdHeader h, bool writable);
  Result<uint32_t> ReadL1Entry(uint32_t l1x) const;
  Status ReadL2Entries(uint32_t l2pos, uint32_t first, uint32_t count, L2Entry* out) const;
  Status DecodeImage(uint32_t track, std::span<const uint8_t> image, std::span<uint8_t> slot) const;
  Status MarkOpenedLocked();
  struct Extent {
    uint64_t pos;
    uint64_t size;
  };
  Result<std::vector<Extent>> ScanExtents(CckdSpace* space) const;

  int fd_;
  std::string path_;
  DeviceGeometry geometry_;
  CckdHeader header_;  // as read at open (cylinders, nullfmt, compression)
  bool writable_;
  bool big_endian_ = false;
  std::mutex write_mu_;        // serializes this process's writers
  bool dirty_ = false;         // GUARDED_BY(write_mu_): written since the last Harden
};

// Maps byte writes into a compressed image file to the tracks they change,
// for an intercept that sees a program's pwrite calls on the file (Hercules
// running a compressed volume; doc/cckd-live.md). A track's content changes
// only when its L2 entry is written (the new image is written first, where
// no entry points): so the tracks of a write are those whose L2 entries it
// covers, and for a write into the L1 table all 256 tracks of each L1
// entry it covers. Holds a copy of the L1 table, kept current from the
// L1 writes it is shown. Not thread-safe: the caller serializes.
class CckdWriteMap {
 public:
  // Reads the headers and L1 table of the compressed image open on `fd`.
  // Corruption / IoError as CckdFile::Open's header checks.
  static Result<CckdWriteMap> Load(int fd, const DeviceGeometry& g);

  // The tracks (ascending, each once) a write of `data` at `offset`
  // changes; call it before the write reaches the file (mark, then write).
  // Writes of track images, headers or free space return none.
  std::vector<uint32_t> TracksWritten(uint64_t offset, std::span<const uint8_t> data);
  // The same, given `old`: the bytes the file holds at [offset, offset +
  // data.size()) before the write. Only entries whose bytes change count:
  // an L2 entry rewritten unchanged marks nothing, and an L1 entry marks
  // its 256 tracks only when it points to another table (Hercules rewrites
  // the whole L1 table when it closes a file). `old` of another size: as
  // the overload above.
  std::vector<uint32_t> TracksWritten(uint64_t offset, std::span<const uint8_t> data,
                                      std::span<const uint8_t> old);
  // True when [offset, offset + length) overlaps the L1 table or an L2
  // table as the map knows them (the writes worth reading `old` for).
  bool TouchesTables(uint64_t offset, uint64_t length) const;

  uint32_t tracks() const { return tracks_; }

 private:
  std::vector<uint32_t> l1_;
  uint32_t tracks_ = 0;
};

}  // namespace pas::ckd
