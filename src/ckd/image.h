// CkdImage: one Hercules CKD image, addressed by relative track: an
// uncompressed image (`CKD_P370`, a single file or a multi-file set
// `name_1.ckd`, `name_2.ckd`, ...) whose track slots sit at fixed file
// offsets, or a compressed one (CCKD, `CKD_C370`, see cckd.h) whose tracks
// are compressed images found through lookup tables. Both read and write
// whole track slots through the same calls; only Locate (the fixed offset
// of a slot, for io_uring) is limited to uncompressed images. Never
// interprets track contents beyond what the format needs (see track.h).
//
// Ownership: a CkdImage owns its file descriptors and closes them when
// destroyed; it is movable, not copyable. Thread-safety: ReadTrack and
// WriteTrack use pread/pwrite and may be called concurrently from several
// threads on one object (no shared file position; a compressed image's
// writes serialize inside it, see cckd.h); Create/Open are not concurrent
// with anything on the same object. Format: doc/ckd-format.md.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "ckd/cckd.h"
#include "ckd/device.h"

namespace pas::ckd {

inline constexpr uint32_t kDeviceHeaderSize = 512;

// The 512-byte Hercules device header, decoded (little-endian fields).
struct DeviceHeader {
  std::string devid;  // "CKD_P370" or (compressed) "CKD_C370"
  uint32_t heads = 0;
  uint32_t trksize = 0;
  uint8_t devtyp = 0;
  uint8_t fileseq = 0;
  uint16_t highcyl = 0;
};

// Decodes and checks a 512-byte header (CKD_P370 or CKD_C370); Corruption
// naming the bad field; NotSupported for shadow files (CKD_S370) and the
// 64-bit formats of Hercules 4 (CKD_C064, CKD_S064).
Result<DeviceHeader> DecodeDeviceHeader(std::span<const uint8_t> bytes);
// Encodes a header into 512 bytes (reserved bytes zero).
std::vector<uint8_t> EncodeDeviceHeader(const DeviceHeader& h);

// One file of a set: its path, first track and number of tracks.
struct ImageFile {
  std::string path;
  uint32_t first_track = 0;
  uint32_t tracks = 0;
};

struct CreateOptions {
  uint32_t cylinders = 0;  // 0: the model's primary cylinders
  bool split = false;      // the 2 GB multi-file form
  // Track contents are written by the caller (e.g. ckd::FormatVolume);
  // Create itself leaves every slot zero (sparse).
};

class CkdImage {
 public:
  // Opens an existing image (the first file of a set: `vol_1.ckd` or the
  // single file, or a compressed image). Validates every header and file
  // size, and for a compressed image its lookup tables (CckdFile::Open).
  // Errors: IoError (cannot open), Corruption (wrong magic, inconsistent
  // header, truncated, bad tables), NotSupported (shadow files).
  // `writable` opens O_RDWR, else O_RDONLY.
  static Result<CkdImage> Open(const std::string& path, bool writable);
  // Creates a new image (all files of a set when split) of `geometry` with
  // `cylinders` cylinders; fails with Busy if any file exists.
  // With split, `path` "vol.ckd" becomes vol_1.ckd, vol_2.ckd, ...
  static Result<CkdImage> Create(const std::string& path, const DeviceGeometry& geometry,
                                 uint32_t cylinders, bool split);
  // Creates a new compressed image (every track a null track until
  // written); Busy if the file exists. New track images are compressed
  // with `compression` at `level` (kept in the CCKD header's compression
  // parameter: zlib 0-9, bzip2 block size 1-9, -1 the default).
  static Result<CkdImage> CreateCompressed(const std::string& path, const DeviceGeometry& geometry,
                                           uint32_t cylinders, Compression compression,
                                           int level = -1);

  CkdImage(CkdImage&&) noexcept;
  CkdImage& operator=(CkdImage&&) noexcept;
  CkdImage(const CkdImage&) = delete;
  CkdImage& operator=(const CkdImage&) = delete;
  ~CkdImage();

  const DeviceGeometry& geometry() const { return geometry_; }
  uint32_t cylinders() const { return cylinders_; }
  uint32_t tracks() const { return cylinders_ * geometry_.heads; }
  uint32_t slot_size() const { return geometry_.slot_size; }
  const std::vector<ImageFile>& files() const { return files_; }
  // The path the image was opened or created with (first file of a set).
  const std::string& path() const { return path_; }
  // True for a compressed (CCKD) image.
  bool compressed() const { return cckd_ != nullptr; }
  // The compressed image behind this one (nullptr when uncompressed).
  const CckdFile* cckd() const { return cckd_.get(); }

  // Reads the slot of `track` into `slot` (exactly slot_size() bytes).
  // InvalidArgument for a track out of range; IoError on failure or short read.
  Status ReadTrack(uint32_t track, std::span<uint8_t> slot) const;
  // Writes `slot` (exactly slot_size() bytes) to `track`'s slot.
  Status WriteTrack(uint32_t track, std::span<const uint8_t> slot);
  // Reads `count` consecutive slots starting at `first` into `out`
  // (count * slot_size() bytes); may cross file boundaries of a set.
  Status ReadTracks(uint32_t first, uint32_t count, std::span<uint8_t> out) const;
  Status WriteTracks(uint32_t first, std::span<const uint8_t> slots);
  // fdatasync of every file; for a compressed image CckdFile::Harden (the
  // free-space table and header written, OPENED cleared).
  Status Sync();

  // The file descriptor and byte offset holding `track` (for io_uring).
  struct Location {
    int fd;
    uint64_t offset;
    uint32_t tracks_left_in_file;  // consecutive tracks from here in the same file
  };
  // NotSupported for a compressed image (its tracks have no fixed offset).
  Result<Location> Locate(uint32_t track) const;

 private:
  CkdImage() = default;
  std::string path_;
  DeviceGeometry geometry_{};
  uint32_t cylinders_ = 0;
  std::vector<ImageFile> files_;
  std::vector<int> fds_;
  std::unique_ptr<CckdFile> cckd_;  // set for a compressed image (uses fds_[0])
};

// The file names of a multi-file set for base `path` ("a/vol.ckd" ->
// "a/vol_1.ckd", ...); suffixes 1-9 then A, B, ... as Hercules does.
std::string MultiFileName(const std::string& path, int seq);

}  // namespace pas::ckd
