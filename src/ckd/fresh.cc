// The freshly-formatted marker. See fresh.h and doc/ckd-format.md.
#include "ckd/fresh.h"

#include <sys/stat.h>
#include <sys/xattr.h>

#include <cerrno>
#include <cstdio>
#include <string>

namespace pas::ckd {

namespace {

// What the file system says about one file, as the marker records it.
// Not the device number: the attribute is on the file itself, and a
// shared file system's clients each give their mount another st_dev
// (GlusterFS: 39 on one machine, 40 on the next, for the same file),
// while the inode, size and modification time are the file's own.
Result<std::string> Describe(int fd, const std::string& path) {
  struct stat st{};
  if (::fstat(fd, &st) != 0) return Status::FromErrno("fstat of " + path);
  char buf[160];
  std::snprintf(buf, sizeof buf, "pas-formatted 2 ino=%llu size=%llu mtime=%lld.%09ld",
                static_cast<unsigned long long>(st.st_ino),
                static_cast<unsigned long long>(st.st_size),
                static_cast<long long>(st.st_mtim.tv_sec), static_cast<long>(st.st_mtim.tv_nsec));
  return std::string(buf);
}

bool NoAttributes(int e) { return e == ENOTSUP || e == EOPNOTSUPP || e == ENOSYS; }

}  // namespace

Status MarkFreshlyFormatted(const CkdImage& image) {
  if (image.compressed()) return Status::NotSupported("a compressed image is not marked");
  for (const ImageFile& file : image.files()) {
    PAS_ASSIGN_OR_RETURN(auto loc, image.Locate(file.first_track));
    PAS_ASSIGN_OR_RETURN(std::string value, Describe(loc.fd, file.path));
    if (::fsetxattr(loc.fd, kFreshAttribute, value.data(), value.size(), 0) != 0) {
      const int e = errno;
      if (NoAttributes(e)) {
        return Status::NotSupported("file system of " + file.path + " keeps no user attributes");
      }
      return Status::FromErrno("setting " + std::string(kFreshAttribute) + " on " + file.path, e);
    }
  }
  return Status::Ok();
}

bool IsFreshlyFormatted(const CkdImage& image) {
  if (image.compressed() || image.files().empty()) return false;
  for (const ImageFile& file : image.files()) {
    auto loc = image.Locate(file.first_track);
    if (!loc.ok()) return false;
    char value[200];
    const ssize_t n = ::fgetxattr(loc->fd, kFreshAttribute, value, sizeof value);
    if (n <= 0) return false;
    auto now = Describe(loc->fd, file.path);
    if (!now.ok() || *now != std::string(value, static_cast<size_t>(n))) return false;
  }
  return true;
}

Status ClearFreshlyFormatted(const CkdImage& image) {
  if (image.compressed()) return Status::Ok();
  for (const ImageFile& file : image.files()) {
    PAS_ASSIGN_OR_RETURN(auto loc, image.Locate(file.first_track));
    if (::fremovexattr(loc.fd, kFreshAttribute) != 0 && errno != ENODATA &&
        !NoAttributes(errno)) {
      return Status::FromErrno("removing " + std::string(kFreshAttribute) + " from " + file.path);
    }
  }
  return Status::Ok();
}

}  // namespace pas::ckd
