// Hercules CKD image files, single and multi-file. See image.h and
// doc/ckd-format.md ("Image files").
#include "ckd/image.h"
#include "ckd/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>

#include "base/log.h"

namespace pas::ckd {

namespace {

constexpr char kDevidPlain[] = "CKD_P370";
constexpr char kDevidCompressed[] = "CKD_C370";
constexpr int kMaxFiles = 27;

uint32_t Le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }
void PutLe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

char SeqChar(int seq) {
  return seq <= 9 ? static_cast<char>('0' + seq) : static_cast<char>('A' + seq - 10);
}

}  // namespace

Result<DeviceHeader> DecodeDeviceHeader(std::span<const uint8_t> bytes) {
  if (bytes.size() < kDeviceHeaderSize) {
    return Status::Corruption("device header truncated: " + std::to_string(bytes.size()) +
                              " of 512 bytes");
  }
  DeviceHeader h;
  h.devid.assign(reinterpret_cast<const char*>(bytes.data()), 8);
  if (h.devid != kDevidPlain && h.devid != kDevidCompressed) {
    std::string shown;
    for (char c : h.devid) shown += (c >= 0x20 && c < 0x7f) ? c : '.';
    if (h.devid == "CKD_S370") {
      return Status::NotSupported("devid '" + shown +
                                  "': a compressed shadow file (sf=) is not a volume; merge the "
                                  "shadows into the base image (sf+ / sfc) and name the base");
    }
    if (h.devid == "CKD_C064" || h.devid == "CKD_S064") {
      return Status::NotSupported("devid '" + shown +
                                  "': 64-bit compressed images (CCKD64, Hercules 4) are not "
                                  "supported; only CKD_C370 compressed images are");
    }
    return Status::Corruption("devid '" + shown + "' is not CKD_P370 or CKD_C370 (wrong magic)");
  }
  h.heads = Le32(bytes.data() + 8);
  h.trksize = Le32(bytes.data() + 12);
  h.devtyp = bytes[16];
  h.fileseq = bytes[17];
  h.highcyl = Le16(bytes.data() + 18);
  auto g = GeometryForHeaderByte(h.devtyp);
  if (!g) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", h.devtyp);
    return Status::Corruption(std::string("devtyp ") + buf + " is not a known CKD device");
  }
  if (h.heads != g->heads) {
    return Status::Corruption("heads " + std::to_string(h.heads) + " inconsistent with device " +
                              std::to_string(g->heads) + " tracks per cylinder");
  }
  if (h.trksize != g->slot_size) {
    return Status::Corruption("trksize " + std::to_string(h.trksize) +
                              " inconsistent with the device's track slot of " +
                              std::to_string(g->slot_size) + " bytes");
  }
  if (h.fileseq > kMaxFiles) {
    return Status::Corruption("fileseq " + std::to_string(h.fileseq) + " out of range");
  }
  if (h.devid == kDevidCompressed && (h.fileseq != 0 || h.highcyl != 0)) {
    return Status::Corruption("fileseq " + std::to_string(h.fileseq) + " highcyl " +
                              std::to_string(h.highcyl) +
                              " in a compressed image (always a single file)");
  }
  return h;
}

std::vector<uint8_t> EncodeDeviceHeader(const DeviceHeader& h) {
  std::vector<uint8_t> out(kDeviceHeaderSize, 0);
  std::memcpy(out.data(), h.devid.data(), std::min<size_t>(8, h.devid.size()));
  PutLe32(out.data() + 8, h.heads);
  PutLe32(out.data() + 12, h.trksize);
  out[16] = h.devtyp;
  out[17] = h.fileseq;
  out[18] = static_cast<uint8_t>(h.highcyl);
  out[19] = static_cast<uint8_t>(h.highcyl >> 8);
  return out;
}

std::string MultiFileName(const std::string& path, int seq) {
  size_t base = path.rfind('/');
  base = base == std::string::npos ? 0 : base + 1;
  size_t dot = path.find('.', base);
  std::string out = path;
  const char c = SeqChar(seq);
  if (dot == std::string::npos) {
    if (out.size() >= base + 2 && out[out.size() - 2] == '_') {
      out[out.size() - 1] = c;
    } else {
      out += '_';
      out += c;
    }
    return out;
  }
  if (dot >= base + 2 && out[dot - 2] == '_') {
    out[dot - 1] = c;
    return out;
  }
  out.insert(dot, std::string("_") + c);
  return out;
}

CkdImage::CkdImage(CkdImage&& o) noexcept { *this = std::move(o); }

CkdImage& CkdImage::operator=(CkdImage&& o) noexcept {
  if (this != &o) {
    cckd_.reset();
    for (int fd : fds_) ::close(fd);
    path_ = std::move(o.path_);
    geometry_ = o.geometry_;
    cylinders_ = o.cylinders_;
    files_ = std::move(o.files_);
    fds_ = std::move(o.fds_);
    cckd_ = std::move(o.cckd_);
    o.fds_.clear();
    o.files_.clear();
    o.cylinders_ = 0;
  }
  return *this;
}

CkdImage::~CkdImage() {
  cckd_.reset();  // hardens a written compressed image while its fd is open
  for (int fd : fds_) ::close(fd);
}

Result<CkdImage> CkdImage::Open(const std::string& path, bool writable) {
  CkdImage img;
  img.path_ = path;
  std::string first = path;
  // A set named by its base name ("vol.ckd" for vol_1.ckd, vol_2.ckd, ...).
  if (!FileExists(first) && FileExists(MultiFileName(path, 1))) first = MultiFileName(path, 1);

  uint32_t next_cyl = 0;
  for (int seq = 1;; ++seq) {
    const std::string file = seq == 1 ? first : MultiFileName(first, seq);
    // O_NONBLOCK: a FIFO or a device named as an image must be refused,
    // not waited on (opening a FIFO blocks until a writer comes).
    int fd = ::open(file.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
      Status s = Status::FromErrno("image file " + file);
      if (seq > 1) {
        return Status::Corruption("image file " + file + ": missing member " + std::to_string(seq) +
                                  " of a multi-file set (" + s.message() + ")");
      }
      return s;
    }
    img.fds_.push_back(fd);
    if (struct stat kind; ::fstat(fd, &kind) != 0 || !S_ISREG(kind.st_mode)) {
      return Status::IoError("image file " + file + ": not a regular file (" +
                                 (S_ISFIFO(kind.st_mode)   ? "a FIFO"
                                  : S_ISSOCK(kind.st_mode) ? "a socket"
                                  : S_ISCHR(kind.st_mode)  ? "a character device"
                                  : S_ISBLK(kind.st_mode)  ? "a block device"
                                  : S_ISDIR(kind.st_mode)  ? "a directory"
                                                           : "not a file") +
                                 ")",
                             EINVAL);
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    uint8_t hdr[kDeviceHeaderSize];
    ssize_t n = ::pread(fd, hdr, sizeof hdr, 0);
    if (n < 0) return Status::FromErrno("image file " + file + ": reading the device header");
    auto h = DecodeDeviceHeader(std::span<const uint8_t>(hdr, static_cast<size_t>(n)));
    if (!h.ok()) return h.status().WithContext("image file " + file);
    auto g = *GeometryForHeaderByte(h->devtyp);
    if (seq == 1 && h->devid == kDevidCompressed) {
      img.geometry_ = g;
      auto c = CckdFile::Open(fd, file, g, writable);
      if (!c.ok()) return c.status();
      img.cckd_ = std::move(*c);
      img.cylinders_ = img.cckd_->cylinders();
      img.files_.push_back(ImageFile{file, 0, img.cylinders_ * g.heads});
      return img;
    }
    if (h->devid == kDevidCompressed) {
      return Status::Corruption("image file " + file + ": a compressed file in a multi-file set");
    }
    if (seq == 1) {
      img.geometry_ = g;
    } else if (g.device_type != img.geometry_.device_type) {
      return Status::Corruption("image file " + file + ": devtyp differs from the first file's");
    }
    struct stat st;
    if (::fstat(fd, &st) != 0) return Status::FromErrno("image file " + file + ": fstat");
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    const uint64_t slot = g.slot_size;
    if (size < kDeviceHeaderSize || (size - kDeviceHeaderSize) % slot != 0 ||
        ((size - kDeviceHeaderSize) / slot) % g.heads != 0) {
      return Status::Corruption("image file " + file + ": size " + std::to_string(size) +
                                " is not 512 + whole cylinders of " + std::to_string(g.heads) +
                                " x " + std::to_string(slot) + "-byte tracks (truncated?)");
    }
    const uint32_t cyls = static_cast<uint32_t>((size - kDeviceHeaderSize) / slot / g.heads);
    if (cyls == 0) return Status::Corruption("image file " + file + ": holds no cylinders");
    if (seq == 1 && h->fileseq == 0) {
      if (h->highcyl != 0) {
        return Status::Corruption("image file " + file + ": highcyl " + std::to_string(h->highcyl) +
                                  " in a single-file image");
      }
      img.files_.push_back(ImageFile{file, 0, cyls * g.heads});
      next_cyl = cyls;
      break;
    }
    if (h->fileseq != seq) {
      return Status::Corruption("image file " + file + ": fileseq " + std::to_string(h->fileseq) +
                                ", expected " + std::to_string(seq));
    }
    img.files_.push_back(ImageFile{file, next_cyl * g.heads, cyls * g.heads});
    next_cyl += cyls;
    if (h->highcyl == 0) break;
    if (h->highcyl + 1u != next_cyl) {
      return Status::Corruption("image file " + file + ": highcyl " + std::to_string(h->highcyl) +
                                " but the file ends at cylinder " + std::to_string(next_cyl - 1) +
                                " (truncated?)");
    }
    if (seq >= kMaxFiles) return Status::Corruption("image file " + file + ": too many files");
  }
  if (next_cyl > kMaxCylinders) {
    return Status::Corruption("image " + path + ": " + std::to_string(next_cyl) +
                              " cylinders exceed the 65535 a CKD image can address");
  }
  img.cylinders_ = next_cyl;
  return img;
}

Result<CkdImage> CkdImage::Create(const std::string& path, const DeviceGeometry& geometry,
                                  uint32_t cylinders, bool split) {
  if (cylinders == 0 || cylinders > kMaxCylinders) {
    return Status::InvalidArgument("cylinders " + std::to_string(cylinders) +
                                   " out of range 1-65535");
  }
  const bool multi = split && cylinders > geometry.max_cyls_per_file;
  const uint32_t nfiles =
      multi ? (cylinders + geometry.max_cyls_per_file - 1) / geometry.max_cyls_per_file : 1;
  if (nfiles > kMaxFiles) return Status::InvalidArgument("too many files for a multi-file set");
  std::vector<std::string> names;
  for (uint32_t i = 1; i <= nfiles; ++i) names.push_back(multi ? MultiFileName(path, i) : path);
  for (const auto& n : names) {
    if (FileExists(n)) return Status::Busy("image file " + n + " already exists");
  }
  CkdImage img;
  img.path_ = names[0];
  img.geometry_ = geometry;
  img.cylinders_ = cylinders;
  auto cleanup = [&]() {
    for (int fd : img.fds_) ::close(fd);
    img.fds_.clear();
    for (const auto& n : names) ::unlink(n.c_str());
  };
  uint32_t cyl = 0;
  for (uint32_t i = 0; i < nfiles; ++i) {
    const uint32_t cyls = multi ? std::min(geometry.max_cyls_per_file, cylinders - cyl) : cylinders;
    int fd = ::open(names[i].c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) {
      Status s = Status::FromErrno("creating image file " + names[i]);
      // Remove only what this call created.
      names.resize(i);
      cleanup();
      return s;
    }
    img.fds_.push_back(fd);
    DeviceHeader h;
    h.devid = kDevidPlain;
    h.heads = geometry.heads;
    h.trksize = geometry.slot_size;
    h.devtyp = geometry.header_devtype;
    h.fileseq = multi ? static_cast<uint8_t>(i + 1) : 0;
    h.highcyl = (multi && i + 1 < nfiles) ? static_cast<uint16_t>(cyl + cyls - 1) : 0;
    auto bytes = EncodeDeviceHeader(h);
    Status s = PwriteFull(fd, bytes.data(), bytes.size(), 0, "writing header of " + names[i]);
    const uint64_t size = kDeviceHeaderSize + uint64_t{cyls} * geometry.heads * geometry.slot_size;
    if (s.ok() && ::ftruncate(fd, static_cast<off_t>(size)) != 0) {
      s = Status::FromErrno("sizing image file " + names[i]);
    }
    if (!s.ok()) {
      names.resize(i + 1);
      cleanup();
      return s;
    }
    img.files_.push_back(ImageFile{names[i], cyl * geometry.heads, cyls * geometry.heads});
    cyl += cyls;
  }
  return img;
}

Result<CkdImage> CkdImage::CreateCompressed(const std::string& path, const DeviceGeometry& geometry,
                                            uint32_t cylinders, Compression compression,
                                            int level) {
  if (cylinders == 0 || cylinders > kMaxCylinders) {
    return Status::InvalidArgument("cylinders " + std::to_string(cylinders) +
                                   " out of range 1-65535");
  }
  if (FileExists(path)) return Status::Busy("image file " + path + " already exists");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return Status::FromErrno("creating image file " + path);
  CkdImage img;
  img.path_ = path;
  img.geometry_ = geometry;
  img.cylinders_ = cylinders;
  img.fds_.push_back(fd);
  DeviceHeader h;
  h.devid = kDevidCompressed;
  h.heads = geometry.heads;
  h.trksize = geometry.slot_size;
  h.devtyp = geometry.header_devtype;
  auto bytes = EncodeDeviceHeader(h);
  Status s = PwriteFull(fd, bytes.data(), bytes.size(), 0, "writing header of " + path);
  if (s.ok()) {
    auto c = CckdFile::Create(fd, path, geometry, cylinders, compression, level);
    if (c.ok()) {
      img.cckd_ = std::move(*c);
    } else {
      s = c.status();
    }
  }
  if (!s.ok()) {
    ::unlink(path.c_str());
    return s;
  }
  img.files_.push_back(ImageFile{path, 0, cylinders * geometry.heads});
  return img;
}

Result<CkdImage::Location> CkdImage::Locate(uint32_t track) const {
  if (cckd_) {
    return Status::NotSupported("image " + path_ +
                                " is compressed: its tracks have no fixed file offset");
  }
  if (track >= tracks()) {
    return Status::InvalidArgument("image " + path_ + ": track " + std::to_string(track) +
                                   " beyond the last track " + std::to_string(tracks() - 1));
  }
  // Sets have at most 27 files: a linear scan is fine.
  for (size_t i = 0; i < files_.size(); ++i) {
    const ImageFile& f = files_[i];
    if (track < f.first_track + f.tracks) {
      const uint32_t rel = track - f.first_track;
      return Location{fds_[i], kDeviceHeaderSize + uint64_t{rel} * geometry_.slot_size,
                      f.tracks - rel};
    }
  }
  return Status::InvalidArgument("image " + path_ + ": track " + std::to_string(track) +
                                 " not in any file");
}

Status CkdImage::ReadTrack(uint32_t track, std::span<uint8_t> slot) const {
  if (slot.size() != geometry_.slot_size) {
    return Status::InvalidArgument("ReadTrack: buffer is not one slot");
  }
  return ReadTracks(track, 1, slot);
}

Status CkdImage::WriteTrack(uint32_t track, std::span<const uint8_t> slot) {
  if (slot.size() != geometry_.slot_size) {
    return Status::InvalidArgument("WriteTrack: buffer is not one slot");
  }
  return WriteTracks(track, slot);
}

Status CkdImage::ReadTracks(uint32_t first, uint32_t count, std::span<uint8_t> out) const {
  if (out.size() != uint64_t{count} * geometry_.slot_size) {
    return Status::InvalidArgument("ReadTracks: buffer is not count slots");
  }
  if (count == 0) return Status::Ok();
  if (uint64_t{first} + count > tracks()) {
    return Status::InvalidArgument("image " + path_ + ": tracks " + std::to_string(first) + "+" +
                                   std::to_string(count) + " beyond the volume");
  }
  if (cckd_) return cckd_->ReadTracks(first, count, out);
  uint32_t done = 0;
  while (done < count) {
    PAS_ASSIGN_OR_RETURN(Location loc, Locate(first + done));
    const uint32_t n = std::min(count - done, loc.tracks_left_in_file);
    PAS_RETURN_IF_ERROR(
        PreadFull(loc.fd, out.data() + uint64_t{done} * geometry_.slot_size,
                  uint64_t{n} * geometry_.slot_size, loc.offset,
                  "image " + path_ + ": reading track " + std::to_string(first + done)));
    done += n;
  }
  return Status::Ok();
}

Status CkdImage::WriteTracks(uint32_t first, std::span<const uint8_t> slots) {
  if (slots.size() % geometry_.slot_size != 0) {
    return Status::InvalidArgument("WriteTracks: buffer is not whole slots");
  }
  const uint32_t count = static_cast<uint32_t>(slots.size() / geometry_.slot_size);
  if (uint64_t{first} + count > tracks()) {
    return Status::InvalidArgument("image " + path_ + ": tracks " + std::to_string(first) + "+" +
                                   std::to_string(count) + " beyond the volume");
  }
  if (cckd_) return cckd_->WriteTracks(first, slots);
  uint32_t done = 0;
  while (done < count) {
    PAS_ASSIGN_OR_RETURN(Location loc, Locate(first + done));
    const uint32_t n = std::min(count - done, loc.tracks_left_in_file);
    PAS_RETURN_IF_ERROR(
        PwriteFull(loc.fd, slots.data() + uint64_t{done} * geometry_.slot_size,
                   uint64_t{n} * geometry_.slot_size, loc.offset,
                   "image " + path_ + ": writing track " + std::to_string(first + done)));
    done += n;
  }
  return Status::Ok();
}

Status CkdImage::Sync() {
  if (cckd_) return cckd_->Harden();
  for (size_t i = 0; i < fds_.size(); ++i) {
    if (::fdatasync(fds_[i]) != 0)
      return Status::FromErrno("image file " + files_[i].path + ": fdatasync");
  }
  return Status::Ok();
}

Status PreadFull(int fd, uint8_t* buf, size_t len, uint64_t off, const std::string& what,
                 bool eof_is_corruption) {
  while (len > 0) {
    ssize_t n = ::pread(fd, buf, len, static_cast<off_t>(off));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(what);
    }
    if (n == 0) {
      return eof_is_corruption ? Status::Corruption(what + ": extends past the end of the file")
                               : Status::IoError(what + ": short read (end of file)");
    }
    buf += n;
    len -= static_cast<size_t>(n);
    off += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status PwriteFull(int fd, const uint8_t* buf, size_t len, uint64_t off, const std::string& what) {
  while (len > 0) {
    ssize_t n = ::pwrite(fd, buf, len, static_cast<off_t>(off));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(what);
    }
    buf += n;
    len -= static_cast<size_t>(n);
    off += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

}  // namespace pas::ckd
