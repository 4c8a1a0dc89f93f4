// Image identity: when two image names are the same image, and the
// identity stored with an image. Format and rules: doc/host-io.md, "Image
// identity".
//
// Two names are the same image on this machine when any file of one set
// and any file of the other resolve to the same file: the same device and
// inode, found by stat(2), which follows symbolic links; hard links share
// the inode. Every file of a multi-file set counts (vol_1.ckd, vol_2.ckd,
// ...), so sets that share one member overlap.
//
// Systems on different machines see one image through different mount
// paths, where neither the path string nor the device number agrees. For
// them the image carries a stored identity: a random 128-bit image id kept
// in the image's online registry (IMAGE.pas-online beside the image, the
// file every system already shares), assigned once by the first pas
// process that creates or meets a registry without one, never changed
// afterwards, and never copied to a target by a swap (the id names the
// image file, not the volume on it). Two registries with one id name one
// image wherever they are mounted.
//
// Plain functions; thread- and process-safe. None blocks except
// EnsureImageId, which waits briefly for the registry's claim lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace pas::host {

// One file on this machine: st_dev and st_ino after following symlinks.
struct FileKey {
  uint64_t device = 0;
  uint64_t inode = 0;
  bool operator==(const FileKey&) const = default;
};

// The files of one image as this machine sees them.
struct ImageIdentity {
  std::string path;                // the name it was identified by
  std::vector<std::string> files;  // every file of the set, as named (one for a single file)
  std::vector<FileKey> keys;       // keys[i] is files[i]
};

// Identifies the image named `path`: a single file, the first file of a
// set (vol_1.ckd) or the set's base name (vol.ckd for vol_1.ckd, ...). The
// members of a set are found from the device headers as CkdImage::Open
// does; when the headers cannot be read only the first file counts.
// NotFound when no file exists; IoError when one cannot be stat'ed.
// Does not block (never opens anything but regular files, non-blocking).
Result<ImageIdentity> IdentifyImage(const std::string& path);

// Where two identities share a file: the file as `a` names it and as `b`
// names it.
struct SharedFile {
  std::string a_file;
  std::string b_file;
};
// The first file `a` and `b` share, or nullopt when they are distinct.
std::optional<SharedFile> Overlap(const ImageIdentity& a, const ImageIdentity& b);

// For two image names: the shared file, or nullopt when they are distinct
// or when either cannot be identified (a missing or unreadable image is
// reported by whoever opens it).
std::optional<SharedFile> ImagesOverlap(const std::string& a, const std::string& b);

// The stored identity of the image: 32 lower-case hex digits, "" when its
// registry has none yet (or there is no registry). Corruption/IoError when
// the registry exists but cannot be read. Does not block.
Result<std::string> ReadImageId(const std::string& image_path);
// The stored identity, assigning a fresh random one (and creating the
// registry) when there is none. IoError when the registry cannot be
// created or written. Blocks briefly on the registry's claim lock.
Result<std::string> EnsureImageId(const std::string& image_path);

}  // namespace pas::host
