// The core of the preloaded intercept (libpas-intercept.so, doc/host-io.md,
// "The preload intercept"): the process's view of its system (the unit
// table of the configuration `pas exec` names), the table of the program's
// descriptors that are open on an image of one of the system's units, and
// the I/O those descriptors do through the unit control block exactly like
// UnitIo: registered in the image's online registry, gated by the quiesce,
// marked in the dirty bitmap while an intercept is installed, paced, and
// moved in place to the unit's new image after a swap.
//
// The wrappers (preload.cc) call into this file only for descriptors the
// table knows (one lock-free load per call for every other descriptor) and
// for the open family. Every function is safe from any thread; none throws;
// each returns the libc convention (result, or -1 with errno set) and keeps
// errno unchanged on success.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace pas::preload {

struct Desc;  // one open file description of the program on an image

// The libc functions the wrappers stand in front of (dlsym RTLD_NEXT).
struct RealFns {
  int (*open)(const char*, int, ...);
  int (*openat)(int, const char*, int, ...);
  int (*close)(int);
  int (*dup)(int);
  int (*dup2)(int, int);
  int (*dup3)(int, int, int);
  int (*fcntl)(int, int, ...);
  off_t (*lseek)(int, off_t, int);
  ssize_t (*read)(int, void*, size_t);
  ssize_t (*write)(int, const void*, size_t);
  ssize_t (*pread)(int, void*, size_t, off_t);
  ssize_t (*pwrite)(int, const void*, size_t, off_t);
  ssize_t (*preadv)(int, const struct iovec*, int, off_t);
  ssize_t (*pwritev)(int, const struct iovec*, int, off_t);
  void* (*mmap)(void*, size_t, int, int, int, off_t);
};
// Resolved once (preload.cc); entries are never null after ResolveReal().
RealFns& Real();
void ResolveReal();

// True while this thread runs pas code: the wrappers then pass every call
// straight through (the intercept's own opens of images, config, tables).
bool InsideIntercept();

// Descriptor table lookup: the Desc of `fd`, or null (one atomic load).
Desc* Lookup(int fd);

// After a successful open-family call returned `fd` for `path` with
// `flags`: decides whether it is an image of a unit and, if so, takes it
// over (registers, follows, tables it). Returns `fd`, or -1 with errno set
// after closing `fd` when the open must be refused (a write open of an
// offline unit's image, an image the intercept could not attach to).
int AfterOpen(int fd, int flags);

// Before the program closes `fd`: untables it (and drops the unit's
// registration when it was the last descriptor of the unit). Then the
// wrapper closes it.
void BeforeClose(int fd);

// The dup family: performs the duplication with the real call and tables
// the new descriptor on the old one's description. `how` 0 dup, 1 dup2,
// 2 dup3 (flags), 3 F_DUPFD (newfd = lowest), 4 F_DUPFD_CLOEXEC.
int Duplicate(int how, int oldfd, int newfd, int flags);

// I/O on a tabled descriptor. `use_position`: read/write/readv/writev (the
// description's position, advanced); otherwise at `offset`.
ssize_t DescIo(Desc* d, int fd, const struct iovec* iov, int iovcnt, bool write, bool use_position,
               off_t offset);
off_t DescSeek(Desc* d, int fd, off_t offset, int whence);
// mmap of an image: refused with a message (ENODEV).
void* RefuseMmap(Desc* d, int fd);

// Fork handlers (pthread_atfork).
void ForkPrepare();
void ForkParent();
void ForkChild();

}  // namespace pas::preload
