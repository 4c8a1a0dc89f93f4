#include "base/control_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace pas {
namespace {

Status Refused(const std::string& path, const std::string& reason) {
  return Status::IoError("PAS285E CONTROL FILE " + path + " REFUSED: " + reason, EPERM);
}

}  // namespace

Status CheckControlFile(int fd, const std::string& path, const std::string& owner_of) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::FromErrno("PAS285E CONTROL FILE " + path);
  if (!S_ISREG(st.st_mode)) return Refused(path, "not a regular file");
  const uid_t me = ::geteuid();
  bool owner_ok = st.st_uid == me || st.st_uid == 0;
  if (!owner_ok && !owner_of.empty()) {
    struct stat img {};
    owner_ok = ::stat(owner_of.c_str(), &img) == 0 && img.st_uid == st.st_uid;
  }
  if (!owner_ok)
    return Refused(path, "owned by uid " + std::to_string(st.st_uid) +
                             ", neither this user, root nor the owner of " +
                             (owner_of.empty() ? std::string("its image") : owner_of));
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) return Refused(path, "writable by group or others");
  return Status::Ok();
}

Result<int> OpenControlFile(const std::string& path, const ControlFileOptions& o) {
  const int access = (o.writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
  int fd = -1;
  if (o.create) {
    do {
      fd = ::open(path.c_str(), access | O_CREAT | O_EXCL, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd >= 0) {
      (void)::fchmod(fd, 0644);  // whatever the umask
      // The descriptor callers lock through never comes from the creating
      // open (base/lock_file.h): reopened by name below.
      ::close(fd);
      fd = -1;
    } else if (errno != EEXIST) {
      return Status::FromErrno("PAS285E CONTROL FILE " + path);
    }
  }
  if (fd < 0) {
    do {
      fd = ::open(path.c_str(), access);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
      const int err = errno;
      if (err == ENOENT) return Status::NotFound(path + " does not exist");
      if (err == ELOOP) return Refused(path, "it is a symbolic link");
      return Status::FromErrno("PAS285E CONTROL FILE " + path, err);
    }
  }
  Status s = CheckControlFile(fd, path, o.owner_of);
  if (!s.ok()) {
    ::close(fd);
    return s;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

Status CheckControlDirectory(const std::string& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return Status::FromErrno("PAS285E CONTROL DIRECTORY " + dir);
  if (S_ISLNK(st.st_mode)) {
    // A symlink is accepted only when it and its target are ours (or root's).
    if (st.st_uid != ::geteuid() && st.st_uid != 0)
      return Refused(dir, "a symbolic link owned by uid " + std::to_string(st.st_uid));
    if (::stat(dir.c_str(), &st) != 0) return Status::FromErrno("PAS285E CONTROL DIRECTORY " + dir);
  }
  if (!S_ISDIR(st.st_mode)) return Refused(dir, "not a directory");
  if (st.st_uid != ::geteuid() && st.st_uid != 0)
    return Refused(dir, "owned by uid " + std::to_string(st.st_uid));
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0)
    return Refused(dir, "writable by group or others");
  return Status::Ok();
}

}  // namespace pas
