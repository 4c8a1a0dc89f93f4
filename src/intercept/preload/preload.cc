// libpas-intercept.so: the C entry points the dynamic linker binds in
// front of libc when `pas exec` preloads the library. Each wrapper looks
// the descriptor up (one atomic load) and passes every call on a
// descriptor that is not open on a unit's image straight to libc; image
// descriptors go through image_fds.cc. No signals are used, no exception
// leaves a wrapper, errno is kept on success. doc/host-io.md, "The preload
// intercept".
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>

#include "intercept/preload/image_fds.h"

namespace pas::preload {
namespace {

RealFns g_real;
std::atomic<bool> g_resolved{false};
thread_local int t_resolving __attribute__((tls_model("initial-exec"))) = 0;

// Before the real functions are known (a wrapper called from inside dlsym
// or before this library's constructor): the system calls themselves.
int RawOpenat(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = va_arg(ap, mode_t);
  va_end(ap);
  return static_cast<int>(::syscall(SYS_openat, dirfd, path, flags, mode));
}
int RawOpen(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = va_arg(ap, mode_t);
  va_end(ap);
  return static_cast<int>(::syscall(SYS_openat, AT_FDCWD, path, flags, mode));
}
int RawClose(int fd) { return static_cast<int>(::syscall(SYS_close, fd)); }
int RawDup(int fd) { return static_cast<int>(::syscall(SYS_dup, fd)); }
int RawDup2(int a, int b) { return a == b ? a : static_cast<int>(::syscall(SYS_dup3, a, b, 0)); }
int RawDup3(int a, int b, int f) { return static_cast<int>(::syscall(SYS_dup3, a, b, f)); }
int RawFcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  return static_cast<int>(::syscall(SYS_fcntl, fd, cmd, arg));
}
off_t RawLseek(int fd, off_t off, int whence) { return ::syscall(SYS_lseek, fd, off, whence); }
ssize_t RawRead(int fd, void* b, size_t n) { return ::syscall(SYS_read, fd, b, n); }
ssize_t RawWrite(int fd, const void* b, size_t n) { return ::syscall(SYS_write, fd, b, n); }
ssize_t RawPread(int fd, void* b, size_t n, off_t o) { return ::syscall(SYS_pread64, fd, b, n, o); }
ssize_t RawPwrite(int fd, const void* b, size_t n, off_t o) { return ::syscall(SYS_pwrite64, fd, b, n, o); }
ssize_t RawPreadv(int fd, const struct iovec* v, int c, off_t o) { return ::syscall(SYS_preadv, fd, v, c, o, 0); }
ssize_t RawPwritev(int fd, const struct iovec* v, int c, off_t o) { return ::syscall(SYS_pwritev, fd, v, c, o, 0); }
void* RawMmap(void* a, size_t l, int p, int f, int fd, off_t o) {
  return reinterpret_cast<void*>(::syscall(SYS_mmap, a, l, p, f, fd, o));
}

const RealFns kRaw = {RawOpen,  RawOpenat, RawClose, RawDup,    RawDup2,    RawDup3,   RawFcntl, RawLseek,
                      RawRead, RawWrite,  RawPread, RawPwrite, RawPreadv, RawPwritev, RawMmap};

template <typename F>
void Bind(F* slot, const char* name, F raw) {
  void* p = ::dlsym(RTLD_NEXT, name);
  *slot = p != nullptr ? reinterpret_cast<F>(p) : raw;
}

}  // namespace

void ResolveReal() {
  if (g_resolved.load(std::memory_order_acquire) || t_resolving) return;
  t_resolving = 1;
  RealFns r;
  Bind(&r.open, "open", kRaw.open);
  Bind(&r.openat, "openat", kRaw.openat);
  Bind(&r.close, "close", kRaw.close);
  Bind(&r.dup, "dup", kRaw.dup);
  Bind(&r.dup2, "dup2", kRaw.dup2);
  Bind(&r.dup3, "dup3", kRaw.dup3);
  Bind(&r.fcntl, "fcntl", kRaw.fcntl);
  Bind(&r.lseek, "lseek", kRaw.lseek);
  Bind(&r.read, "read", kRaw.read);
  Bind(&r.write, "write", kRaw.write);
  Bind(&r.pread, "pread", kRaw.pread);
  Bind(&r.pwrite, "pwrite", kRaw.pwrite);
  Bind(&r.preadv, "preadv", kRaw.preadv);
  Bind(&r.pwritev, "pwritev", kRaw.pwritev);
  Bind(&r.mmap, "mmap", kRaw.mmap);
  g_real = r;
  g_resolved.store(true, std::memory_order_release);
  t_resolving = 0;
}

RealFns& Real() {
  if (!g_resolved.load(std::memory_order_acquire)) {
    ResolveReal();
    if (!g_resolved.load(std::memory_order_acquire)) return const_cast<RealFns&>(kRaw);
  }
  return g_real;
}

namespace {

__attribute__((constructor(101))) void Startup() {
  ResolveReal();
  pthread_atfork(&ForkPrepare, &ForkParent, &ForkChild);
}

bool Passthrough() { return InsideIntercept() || t_resolving; }

mode_t ModeArg(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

// An O_TRUNC open of an image would destroy the volume before the
// intercept sees the descriptor: checked on the path first.
bool TruncatesImage(int dirfd, const char* path, int flags) {
  if (!(flags & O_TRUNC) || (flags & O_ACCMODE) == O_RDONLY || Passthrough()) return false;
  int fd = Real().openat(dirfd, path, O_RDONLY | O_CLOEXEC | (flags & O_NOFOLLOW));
  if (fd < 0) return false;
  fd = AfterOpen(fd, O_RDONLY);
  const bool image = fd >= 0 && Lookup(fd) != nullptr;
  if (fd >= 0) {
    BeforeClose(fd);
    Real().close(fd);
  }
  if (image) errno = EACCES;
  return image;
}

int DoOpenat(int dirfd, const char* path, int flags, mode_t mode) {
  if (Passthrough()) return Real().openat(dirfd, path, flags, mode);
  if (TruncatesImage(dirfd, path, flags)) return -1;
  int fd = Real().openat(dirfd, path, flags, mode);
  return AfterOpen(fd, flags);
}

ssize_t Io1(int fd, void* buf, size_t n, bool write, bool pos, off_t off) {
  Desc* d = Lookup(fd);
  struct iovec v = {buf, n};
  return DescIo(d, fd, &v, 1, write, pos, off);
}

}  // namespace
}  // namespace pas::preload

using namespace pas::preload;

extern "C" {

__attribute__((visibility("default"))) int open(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  return DoOpenat(AT_FDCWD, path, flags, mode);
}
__attribute__((visibility("default"))) int open64(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  return DoOpenat(AT_FDCWD, path, flags | O_LARGEFILE, mode);
}
__attribute__((visibility("default"))) int openat(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  return DoOpenat(dirfd, path, flags, mode);
}
__attribute__((visibility("default"))) int openat64(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  return DoOpenat(dirfd, path, flags | O_LARGEFILE, mode);
}
__attribute__((visibility("default"))) int __open_2(const char* path, int flags) {
  return DoOpenat(AT_FDCWD, path, flags, 0);
}
__attribute__((visibility("default"))) int __open64_2(const char* path, int flags) {
  return DoOpenat(AT_FDCWD, path, flags | O_LARGEFILE, 0);
}
__attribute__((visibility("default"))) int __openat_2(int dirfd, const char* path, int flags) {
  return DoOpenat(dirfd, path, flags, 0);
}
__attribute__((visibility("default"))) int __openat64_2(int dirfd, const char* path, int flags) {
  return DoOpenat(dirfd, path, flags | O_LARGEFILE, 0);
}
__attribute__((visibility("default"))) int creat(const char* path, mode_t mode) {
  return DoOpenat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}
__attribute__((visibility("default"))) int creat64(const char* path, mode_t mode) {
  return DoOpenat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC | O_LARGEFILE, mode);
}

__attribute__((visibility("default"))) int close(int fd) {
  if (Lookup(fd) != nullptr && !Passthrough()) BeforeClose(fd);
  return Real().close(fd);
}
__attribute__((visibility("default"))) int close_range(unsigned first, unsigned last, int flags) {
  if (!(flags & CLOSE_RANGE_CLOEXEC) && !Passthrough()) {
    for (unsigned fd = first; fd <= last && fd < (1u << 20); ++fd)
      if (Lookup(static_cast<int>(fd)) != nullptr) BeforeClose(static_cast<int>(fd));
  }
  return static_cast<int>(::syscall(SYS_close_range, first, last, flags));
}

__attribute__((visibility("default"))) void closefrom(int lowfd) {
  if (!Passthrough()) {
    for (int fd = lowfd < 0 ? 0 : lowfd; fd < (1 << 20); ++fd)
      if (Lookup(fd) != nullptr) BeforeClose(fd);
  }
  static auto real = reinterpret_cast<void (*)(int)>(::dlsym(RTLD_NEXT, "closefrom"));
  real(lowfd);
}

__attribute__((visibility("default"))) int dup(int fd) {
  if (Passthrough()) return Real().dup(fd);
  return Duplicate(0, fd, -1, 0);
}
__attribute__((visibility("default"))) int dup2(int fd, int fd2) {
  if (Passthrough() || fd == fd2) return Real().dup2(fd, fd2);
  return Duplicate(1, fd, fd2, 0);
}
__attribute__((visibility("default"))) int dup3(int fd, int fd2, int flags) {
  if (Passthrough()) return Real().dup3(fd, fd2, flags);
  return Duplicate(2, fd, fd2, flags);
}

static int FcntlImpl(int fd, int cmd, long arg) {
  if (!Passthrough() && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
    return Duplicate(cmd == F_DUPFD ? 3 : 4, fd, static_cast<int>(arg), 0);
  return Real().fcntl(fd, cmd, arg);
}
__attribute__((visibility("default"))) int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  return FcntlImpl(fd, cmd, arg);
}
__attribute__((visibility("default"))) int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  return FcntlImpl(fd, cmd, arg);
}

__attribute__((visibility("default"))) off_t lseek(int fd, off_t off, int whence) {
  Desc* d = Lookup(fd);
  if (d == nullptr || Passthrough()) return Real().lseek(fd, off, whence);
  return DescSeek(d, fd, off, whence);
}
__attribute__((visibility("default"))) off64_t lseek64(int fd, off64_t off, int whence) {
  return lseek(fd, off, whence);
}

__attribute__((visibility("default"))) ssize_t read(int fd, void* buf, size_t n) {
  if (Lookup(fd) == nullptr || Passthrough()) return Real().read(fd, buf, n);
  return Io1(fd, buf, n, false, true, 0);
}
__attribute__((visibility("default"))) ssize_t __read_chk(int fd, void* buf, size_t n, size_t buflen) {
  if (n > buflen) {
    using Chk = ssize_t (*)(int, void*, size_t, size_t);
    static Chk real = reinterpret_cast<Chk>(::dlsym(RTLD_NEXT, "__read_chk"));
    if (real != nullptr) return real(fd, buf, n, buflen);  // reports the overflow
    ::abort();
  }
  return read(fd, buf, n);
}
__attribute__((visibility("default"))) ssize_t write(int fd, const void* buf, size_t n) {
  if (Lookup(fd) == nullptr || Passthrough()) return Real().write(fd, buf, n);
  return Io1(fd, const_cast<void*>(buf), n, true, true, 0);
}
__attribute__((visibility("default"))) ssize_t pread(int fd, void* buf, size_t n, off_t off) {
  if (Lookup(fd) == nullptr || Passthrough()) return Real().pread(fd, buf, n, off);
  return Io1(fd, buf, n, false, false, off);
}
__attribute__((visibility("default"))) ssize_t pread64(int fd, void* buf, size_t n, off64_t off) {
  return pread(fd, buf, n, off);
}
__attribute__((visibility("default"))) ssize_t __pread_chk(int fd, void* buf, size_t n, off_t off, size_t buflen) {
  if (n > buflen) ::abort();
  return pread(fd, buf, n, off);
}
__attribute__((visibility("default"))) ssize_t __pread64_chk(int fd, void* buf, size_t n, off64_t off,
                                                             size_t buflen) {
  if (n > buflen) ::abort();
  return pread(fd, buf, n, off);
}
__attribute__((visibility("default"))) ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  if (Lookup(fd) == nullptr || Passthrough()) return Real().pwrite(fd, buf, n, off);
  return Io1(fd, const_cast<void*>(buf), n, true, false, off);
}
__attribute__((visibility("default"))) ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t off) {
  return pwrite(fd, buf, n, off);
}

__attribute__((visibility("default"))) ssize_t readv(int fd, const struct iovec* iov, int cnt) {
  Desc* d = Lookup(fd);
  if (d == nullptr || Passthrough()) {
    static auto real = reinterpret_cast<ssize_t (*)(int, const struct iovec*, int)>(::dlsym(RTLD_NEXT, "readv"));
    return real(fd, iov, cnt);
  }
  return DescIo(d, fd, iov, cnt, false, true, 0);
}
__attribute__((visibility("default"))) ssize_t writev(int fd, const struct iovec* iov, int cnt) {
  Desc* d = Lookup(fd);
  if (d == nullptr || Passthrough()) {
    static auto real = reinterpret_cast<ssize_t (*)(int, const struct iovec*, int)>(::dlsym(RTLD_NEXT, "writev"));
    return real(fd, iov, cnt);
  }
  return DescIo(d, fd, iov, cnt, true, true, 0);
}
__attribute__((visibility("default"))) ssize_t preadv(int fd, const struct iovec* iov, int cnt, off_t off) {
  Desc* d = Lookup(fd);
  if (d == nullptr || Passthrough()) return Real().preadv(fd, iov, cnt, off);
  return DescIo(d, fd, iov, cnt, false, false, off);
}
__attribute__((visibility("default"))) ssize_t preadv64(int fd, const struct iovec* iov, int cnt, off64_t off) {
  return preadv(fd, iov, cnt, off);
}
__attribute__((visibility("default"))) ssize_t pwritev(int fd, const struct iovec* iov, int cnt, off_t off) {
  Desc* d = Lookup(fd);
  if (d == nullptr || Passthrough()) return Real().pwritev(fd, iov, cnt, off);
  return DescIo(d, fd, iov, cnt, true, false, off);
}
__attribute__((visibility("default"))) ssize_t pwritev64(int fd, const struct iovec* iov, int cnt, off64_t off) {
  return pwritev(fd, iov, cnt, off);
}
// The *v2 calls: flags are kept by the kernel for other descriptors; on an
// image descriptor RWF_DSYNC / RWF_SYNC become an fdatasync after the
// write, the other flags are hints.
static ssize_t V2(int fd, const struct iovec* iov, int cnt, off_t off, int flags, bool write) {
  Desc* d = Lookup(fd);
  if (d == nullptr || Passthrough()) {
    using V2Fn = ssize_t (*)(int, const struct iovec*, int, off_t, int);
    static auto real_read = reinterpret_cast<V2Fn>(::dlsym(RTLD_NEXT, "preadv2"));
    static auto real_write = reinterpret_cast<V2Fn>(::dlsym(RTLD_NEXT, "pwritev2"));
    return (write ? real_write : real_read)(fd, iov, cnt, off, flags);
  }
  ssize_t r = DescIo(d, fd, iov, cnt, write, off == -1, off == -1 ? 0 : off);
  if (r > 0 && write && (flags & (RWF_DSYNC | RWF_SYNC))) {
    const int saved = errno;
    if (::fdatasync(fd) != 0) return -1;
    errno = saved;
  }
  return r;
}
__attribute__((visibility("default"))) ssize_t preadv2(int fd, const struct iovec* iov, int cnt, off_t off, int flags) {
  return V2(fd, iov, cnt, off, flags, false);
}
__attribute__((visibility("default"))) ssize_t preadv64v2(int fd, const struct iovec* iov, int cnt, off64_t off,
                                                          int flags) {
  return V2(fd, iov, cnt, off, flags, false);
}
__attribute__((visibility("default"))) ssize_t pwritev2(int fd, const struct iovec* iov, int cnt, off_t off, int flags) {
  return V2(fd, iov, cnt, off, flags, true);
}
__attribute__((visibility("default"))) ssize_t pwritev64v2(int fd, const struct iovec* iov, int cnt, off64_t off,
                                                           int flags) {
  return V2(fd, iov, cnt, off, flags, true);
}

__attribute__((visibility("default"))) void* mmap(void* addr, size_t len, int prot, int flags, int fd, off_t off) {
  if (!(flags & MAP_ANONYMOUS) && fd >= 0 && !Passthrough()) {
    if (Desc* d = Lookup(fd)) return RefuseMmap(d, fd);
  }
  return Real().mmap(addr, len, prot, flags, fd, off);
}
__attribute__((visibility("default"))) void* mmap64(void* addr, size_t len, int prot, int flags, int fd, off64_t off) {
  return mmap(addr, len, prot, flags, fd, off);
}

}  // extern "C"
