// A plain C++ program (no pas code) that the intercept tests run under
// `pas exec`: it does to a CKD image what Hercules and its tools do, with
// the calls a program may use, and reports what it saw.
//
//   image_writer write IMAGE SPEC SECONDS THREADS OUT
//     SPEC: lines "track offset" (a byte offset inside the track's R1 data).
//     THREADS threads each own the tracks i, i+THREADS, ...; every write is
//     Hercules's pair lseek(offset) + write(16 bytes) on ONE shared
//     descriptor, the pair serialized by a program mutex (Hercules's device
//     lock). OUT gets "track value" for the last write acknowledged on each
//     track, and a line "stats fd_start fd_end ino_end writes errors
//     max_gap_us".
//   image_writer features IMAGE_VIA_SYMLINK IMAGE_RELATIVE SPEC
//     pwrite / pwritev spanning tracks, dup, F_DUPFD_CLOEXEC, fork, mmap,
//     header I/O, lseek SEEK_END; prints "FAIL ..." lines, exit 1 on any.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace {

constexpr uint64_t kSlot = 56832;
constexpr uint64_t kHeader = 512;

std::vector<std::pair<uint32_t, uint64_t>> ReadSpec(const char* path) {
  std::vector<std::pair<uint32_t, uint64_t>> spec;
  std::ifstream in(path);
  uint32_t t;
  uint64_t off;
  while (in >> t >> off) spec.push_back({t, off});
  return spec;
}

uint64_t Pos(uint32_t track, uint64_t within) { return kHeader + track * kSlot + within; }

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int Write(int argc, char** argv) {
  if (argc != 7) return 2;
  auto spec = ReadSpec(argv[3]);
  const double seconds = std::atof(argv[4]);
  const int threads = std::atoi(argv[5]);
  int fd = ::open(argv[2], O_RDWR);
  if (fd < 0 || spec.empty() || threads < 1) {
    std::fprintf(stderr, "open %s: %s\n", argv[2], std::strerror(errno));
    return 1;
  }
  const int fd_start = fd;
  std::mutex pair_mu;  // the program's own lock around lseek + write
  std::vector<uint64_t> last(spec.size(), 0);
  std::atomic<uint64_t> writes{0}, errors{0};
  std::atomic<int64_t> max_gap{0};
  const int64_t end = NowUs() + static_cast<int64_t>(seconds * 1e6);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      uint64_t value = static_cast<uint64_t>(t) << 48;
      int64_t prev = NowUs();
      while (NowUs() < end) {
        for (size_t i = static_cast<size_t>(t); i < spec.size() && NowUs() < end; i += threads) {
          ++value;
          uint64_t rec[2] = {value, spec[i].first};
          bool ok;
          {
            std::lock_guard<std::mutex> lock(pair_mu);
            ok = ::lseek(fd, static_cast<off_t>(Pos(spec[i].first, spec[i].second)), SEEK_SET) >= 0 &&
                 ::write(fd, rec, sizeof rec) == static_cast<ssize_t>(sizeof rec);
          }
          const int64_t now = NowUs();
          int64_t gap = now - prev, seen = max_gap.load();
          while (gap > seen && !max_gap.compare_exchange_weak(seen, gap)) {
          }
          prev = now;
          if (!ok) {
            ++errors;
            continue;
          }
          last[i] = value;
          ++writes;
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  struct stat st {};
  ::fstat(fd, &st);
  std::FILE* out = std::fopen(argv[6], "w");
  if (out == nullptr) return 1;
  for (size_t i = 0; i < spec.size(); ++i)
    std::fprintf(out, "%u %llu\n", spec[i].first, static_cast<unsigned long long>(last[i]));
  std::fprintf(out, "stats %d %d %llu %llu %llu %lld\n", fd_start, fd, static_cast<unsigned long long>(st.st_ino),
               static_cast<unsigned long long>(writes.load()), static_cast<unsigned long long>(errors.load()),
               static_cast<long long>(max_gap.load()));
  std::fclose(out);
  return ::close(fd) == 0 ? 0 : 1;
}

int failures = 0;
void Check(bool ok, const char* what) {
  if (!ok) {
    std::printf("FAIL %s (errno %s)\n", what, std::strerror(errno));
    ++failures;
  }
}

// Rewrites `n` bytes at `pos` with the bytes already there (the volume's
// structure stays intact, the tracks touched are marked).
bool Rewrite(int fd, uint64_t pos, size_t n) {
  std::vector<char> buf(n);
  if (::pread(fd, buf.data(), n, static_cast<off_t>(pos)) != static_cast<ssize_t>(n)) return false;
  return ::pwrite(fd, buf.data(), n, static_cast<off_t>(pos)) == static_cast<ssize_t>(n);
}

int Features(int argc, char** argv) {
  if (argc != 5) return 2;
  auto spec = ReadSpec(argv[4]);  // at least 6 tracks: a, a+1, b, b+1 consecutive pairs, c, d
  if (spec.size() < 6) return 2;
  int fd = ::open(argv[2], O_RDWR);  // through a symlink
  Check(fd >= 0, "open via symlink");
  int rel = ::open(argv[3], O_RDONLY);  // a relative path
  Check(rel >= 0, "open via relative path");
  // pwrite spanning tracks spec[0] and spec[1] (consecutive).
  const uint32_t a = spec[0].first, b = spec[2].first;
  Check(Rewrite(fd, Pos(a + 1, 0) - 64, 128), "pwrite spanning two tracks");
  // pwritev spanning b and b+1 with two buffers.
  {
    std::vector<char> x(100), y(100);
    const uint64_t pos = Pos(b + 1, 0) - 100;
    Check(::pread(fd, x.data(), 100, static_cast<off_t>(pos)) == 100, "pread before pwritev");
    Check(::pread(fd, y.data(), 100, static_cast<off_t>(pos + 100)) == 100, "pread before pwritev (2)");
    struct iovec v[2] = {{x.data(), 100}, {y.data(), 100}};
    Check(::pwritev(fd, v, 2, static_cast<off_t>(pos)) == 200, "pwritev spanning two tracks");
    std::vector<char> z(200);
    struct iovec r[2] = {{z.data(), 50}, {z.data() + 50, 150}};
    Check(::preadv(fd, r, 2, static_cast<off_t>(pos)) == 200 && std::memcmp(z.data(), x.data(), 100) == 0 &&
              std::memcmp(z.data() + 100, y.data(), 100) == 0,
          "preadv reads what pwritev wrote");
  }
  // dup: the position is shared; write at track c through the duplicate.
  const uint32_t c = spec[4].first;
  int d = ::dup(fd);
  Check(d >= 0, "dup");
  Check(::lseek(fd, static_cast<off_t>(Pos(c, spec[4].second)), SEEK_SET) ==
            static_cast<off_t>(Pos(c, spec[4].second)),
        "lseek");
  Check(::lseek(d, 0, SEEK_CUR) == static_cast<off_t>(Pos(c, spec[4].second)), "dup shares the position");
  {
    char buf[16];
    Check(::read(d, buf, 16) == 16, "read through the duplicate");
    Check(::lseek(fd, -16, SEEK_CUR) == static_cast<off_t>(Pos(c, spec[4].second)), "lseek SEEK_CUR back");
    Check(::write(d, buf, 16) == 16, "write through the duplicate");
    Check(::lseek(fd, 0, SEEK_CUR) == static_cast<off_t>(Pos(c, spec[4].second) + 16), "position advanced");
  }
  int e = ::fcntl(fd, F_DUPFD_CLOEXEC, 100);
  Check(e >= 100 && (::fcntl(e, F_GETFD) & FD_CLOEXEC), "F_DUPFD_CLOEXEC");
  Check(::close(d) == 0, "close duplicate");
  // fork: the child writes track d through the inherited descriptor.
  const uint32_t dt = spec[5].first;
  pid_t pid = ::fork();
  if (pid == 0) {
    bool ok = Rewrite(e, Pos(dt, spec[5].second), 16);
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  Check(pid > 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "fork child writes through the inherited descriptor");
  // mmap is refused.
  errno = 0;
  void* m = ::mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd, 0);
  Check(m == MAP_FAILED && errno == ENODEV, "mmap refused with ENODEV");
  m = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  Check(m != MAP_FAILED, "anonymous mmap passes");
  // The header: read and rewritten, marks nothing.
  Check(Rewrite(fd, 0, 512), "header rewritten");
  char hdr[8];
  Check(::pread(rel, hdr, 8, 0) == 8 && std::memcmp(hdr, "CKD_P370", 8) == 0, "header read (relative path)");
  struct stat st {};
  ::fstat(fd, &st);
  Check(::lseek(rel, 0, SEEK_END) == st.st_size, "lseek SEEK_END is the file size");
  Check(::write(rel, hdr, 8) < 0 && errno == EBADF, "write on a read-only descriptor fails EBADF");
  errno = 0;
  Check(::close(e) == 0 && ::close(rel) == 0 && ::close(fd) == 0, "close");
  Check(::write(fd, hdr, 1) < 0 && errno == EBADF, "a closed descriptor is no longer the image");
  std::printf("features done, %d failures\n", failures);
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "write") == 0) return Write(argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "features") == 0) return Features(argc, argv);
  std::fprintf(stderr, "usage: image_writer write|features ...\n");
  return 2;
}
