#include "host/runtime.h"

#include "base/control_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace pas::host {

std::string RuntimeDir() {
  const char* env = std::getenv("PAS_RUNTIME_DIR");
  if (env != nullptr && *env != '\0') return env;
  return "/tmp/pas-runtime-" + std::to_string(::getuid());
}

Result<std::string> EnsureRuntimeDir() {
  std::string dir = RuntimeDir();
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::FromErrno("PAS190E runtime directory " + dir);
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return Status::FromErrno("PAS190E runtime directory " + dir);
  if (!S_ISDIR(st.st_mode)) return Status::IoError("PAS190E runtime directory " + dir + " is not a directory");
  PAS_RETURN_IF_ERROR(CheckControlDirectory(dir).WithContext("PAS190E runtime directory " + dir));
  return dir;
}

namespace {

struct flock MakeLock(uint64_t offset, short type) {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = static_cast<off_t>(offset);
  fl.l_len = 1;
  fl.l_pid = 0;  // required by F_OFD_*
  return fl;
}

Status SetLock(int fd, uint64_t offset, LockKind kind, int cmd) {
  struct flock fl = MakeLock(offset, kind == LockKind::kShared ? F_RDLCK : F_WRLCK);
  for (;;) {
    if (::fcntl(fd, cmd, &fl) == 0) return Status::Ok();
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EACCES) return Status::Busy("lock held");
    return Status::FromErrno("fcntl lock");
  }
}

}  // namespace

Status TryLockByte(int fd, uint64_t offset, LockKind kind) {
  return SetLock(fd, offset, kind, F_OFD_SETLK);
}

Status WaitLockByte(int fd, uint64_t offset, LockKind kind) {
  return SetLock(fd, offset, kind, F_OFD_SETLKW);
}

Status UnlockByte(int fd, uint64_t offset) {
  struct flock fl = MakeLock(offset, F_UNLCK);
  if (::fcntl(fd, F_OFD_SETLK, &fl) != 0) return Status::FromErrno("fcntl unlock");
  return Status::Ok();
}

bool ByteLocked(int probe_fd, uint64_t offset) {
  struct flock fl = MakeLock(offset, F_WRLCK);
  if (::fcntl(probe_fd, F_OFD_GETLK, &fl) != 0) return true;
  return fl.l_type != F_UNLCK;
}

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace pas::host
