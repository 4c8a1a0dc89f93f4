#include "host/image_identity.h"

#include <sys/stat.h>

#include <cerrno>

#include "ckd/image.h"
#include "host/online_registry.h"

namespace pas::host {
namespace {

Result<FileKey> KeyOf(const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound("image file " + file + " does not exist");
    return Status::FromErrno("image file " + file);
  }
  return FileKey{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

bool Exists(const std::string& file) {
  struct stat st {};
  return ::stat(file.c_str(), &st) == 0;
}

}  // namespace

Result<ImageIdentity> IdentifyImage(const std::string& path) {
  ImageIdentity id;
  id.path = path;
  // The files of a readable set come from its headers; CkdImage::Open
  // refuses FIFOs and devices without blocking.
  if (auto img = ckd::CkdImage::Open(path, /*writable=*/false); img.ok()) {
    for (const auto& f : img->files()) id.files.push_back(f.path);
  } else if (Exists(path)) {
    id.files.push_back(path);
  } else if (Exists(ckd::MultiFileName(path, 1))) {
    id.files.push_back(ckd::MultiFileName(path, 1));
  } else {
    return Status::NotFound("image " + path + " does not exist");
  }
  for (const auto& f : id.files) {
    PAS_ASSIGN_OR_RETURN(FileKey k, KeyOf(f));
    id.keys.push_back(k);
  }
  return id;
}

std::optional<SharedFile> Overlap(const ImageIdentity& a, const ImageIdentity& b) {
  for (size_t i = 0; i < a.keys.size(); ++i) {
    for (size_t j = 0; j < b.keys.size(); ++j) {
      if (a.keys[i] == b.keys[j]) return SharedFile{a.files[i], b.files[j]};
    }
  }
  return std::nullopt;
}

std::optional<SharedFile> ImagesOverlap(const std::string& a, const std::string& b) {
  auto ia = IdentifyImage(a);
  auto ib = IdentifyImage(b);
  if (!ia.ok() || !ib.ok()) return std::nullopt;
  return Overlap(*ia, *ib);
}

Result<std::string> ReadImageId(const std::string& image_path) {
  return RegistryImageId(image_path, /*assign=*/false);
}

Result<std::string> EnsureImageId(const std::string& image_path) {
  return RegistryImageId(image_path, /*assign=*/true);
}

}  // namespace pas::host
