#include "base/lock_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace pas {
namespace {

int OpenRetrying(const std::string& path, int flags, int mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

}  // namespace

int OpenLockFile(const std::string& path, int flags, int mode) {
  if ((flags & (O_EXCL | O_TRUNC)) != 0) {
    errno = EINVAL;
    return -1;
  }
  const int plain = flags & ~O_CREAT;
  int fd = OpenRetrying(path, plain, mode);
  if (fd >= 0 || errno != ENOENT || (flags & O_CREAT) == 0) return fd;
  // Create it (or find it created by someone else meanwhile) through a
  // descriptor that is only closed, then open it again by name.
  int creator = OpenRetrying(path, (plain & ~O_ACCMODE) | O_WRONLY | O_CREAT, mode);
  if (creator < 0) return -1;
  ::close(creator);
  return OpenRetrying(path, plain, mode);
}

}  // namespace pas
