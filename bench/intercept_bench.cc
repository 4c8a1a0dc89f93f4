// The cost of the preload intercept (libpas-intercept.so) on the real write
// path, side by side in one process: the library is dlopen'ed and its
// `open` / `pwrite` / `lseek` / `write` entry points are called directly,
// next to libc's, on the same image in the page cache.
//
//   BM_Pwrite/libc            4 KiB pwrite into a track (libc, no intercept)
//   BM_Pwrite/preload         the same through the intercept (no swap, no
//                             intercept installed: gate, in-flight word, stripe)
//   BM_Pwrite/preload_marking the same with the change-tracking intercept
//                             installed (two marks per write)
//   BM_LseekWrite/libc|preload  Hercules's pair: lseek + write of 4,112 bytes
//   BM_PassThrough/libc|preload pwrite of 8 bytes to a non-image file: what
//                             every other descriptor of the program pays
//
// The image is a sparse scratch 3390 on /dev/shm (or $TMPDIR, /tmp).
//   intercept_bench --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
//                   --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ckd/image.h"
#include "ckd/volume.h"
#include "host/config.h"
#include "host/unit_table.h"

namespace {

constexpr uint16_t kUnit = 0x0A80;
constexpr uint32_t kTracks = 256;
constexpr uint64_t kSlot = 56832;

using OpenFn = int (*)(const char*, int, ...);
using PwriteFn = ssize_t (*)(int, const void*, size_t, off_t);
using LseekFn = off_t (*)(int, off_t, int);
using WriteFn = ssize_t (*)(int, const void*, size_t);

struct Rig {
  std::string dir, image, error;
  void* lib = nullptr;
  OpenFn p_open = nullptr;
  PwriteFn p_pwrite = nullptr;
  LseekFn p_lseek = nullptr;
  WriteFn p_write = nullptr;
  int plain_fd = -1, tracked_fd = -1, other_fd = -1, other_tracked_fd = -1;
  std::unique_ptr<pas::host::System> system;  // to install the intercept

  Rig() {
    namespace fs = std::filesystem;
    std::string base = fs::is_directory("/dev/shm") ? "/dev/shm"
                       : std::getenv("TMPDIR")      ? std::getenv("TMPDIR")
                                                    : "/tmp";
    dir = base + "/pas-intercept-bench-" + std::to_string(::getpid());
    fs::create_directories(dir);
    image = dir + "/bench.ckd";
    {
      auto img = pas::ckd::CkdImage::Create(image, pas::ckd::k3390Geometry, 20, false);
      if (!img.ok() || !pas::ckd::FormatVolume(*img, "BENCH1", false).ok()) {
        error = "cannot create the image";
        return;
      }
    }
    const std::string config = dir + "/sys.cnf";
    FILE* f = std::fopen(config.c_str(), "w");
    std::fprintf(f, "LPARNAME BENCH\n0A80 3390 %s\n", image.c_str());
    std::fclose(f);
    ::setenv("PAS_RUNTIME_DIR", (dir + "/runtime").c_str(), 1);
    ::setenv("PAS_EXEC_CONFIG", config.c_str(), 1);
    lib = ::dlopen(PAS_INTERCEPT_LIB_PATH, RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      error = std::string("dlopen: ") + ::dlerror();
      return;
    }
    p_open = reinterpret_cast<OpenFn>(::dlsym(lib, "open"));
    p_pwrite = reinterpret_cast<PwriteFn>(::dlsym(lib, "pwrite"));
    p_lseek = reinterpret_cast<LseekFn>(::dlsym(lib, "lseek"));
    p_write = reinterpret_cast<WriteFn>(::dlsym(lib, "write"));
    plain_fd = ::open(image.c_str(), O_RDWR);
    tracked_fd = p_open(image.c_str(), O_RDWR);
    other_fd = ::open((dir + "/other").c_str(), O_RDWR | O_CREAT, 0600);
    other_tracked_fd = p_open((dir + "/other").c_str(), O_RDWR);
    auto cfg = pas::host::LoadSystemConfig(config);
    auto sys = cfg.ok() ? pas::host::System::Attach(*cfg) : pas::Result<std::unique_ptr<pas::host::System>>(cfg.status());
    if (!sys.ok() || plain_fd < 0 || tracked_fd < 0 || other_fd < 0 || other_tracked_fd < 0) {
      error = "setup failed";
      return;
    }
    system = std::move(sys).value();
  }
  ~Rig() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Rig& TheRig() {
  static Rig* rig = new Rig;
  return *rig;
}

// Offset of a 4 KiB update inside track t (past R0, as Hercules's writes).
off_t At(uint32_t t) { return static_cast<off_t>(512 + t * kSlot + 21); }

void BM_Pwrite(benchmark::State& state) {
  Rig& r = TheRig();
  if (!r.error.empty()) {
    state.SkipWithError(r.error.c_str());
    return;
  }
  const int mode = static_cast<int>(state.range(0));
  if (mode == 2) (void)r.system->InstallIntercept(kUnit);
  std::vector<char> buf(4096, 'x');
  uint32_t t = 1;
  for (auto _ : state) {
    ssize_t n = mode == 0 ? ::pwrite(r.plain_fd, buf.data(), buf.size(), At(t))
                          : r.p_pwrite(r.tracked_fd, buf.data(), buf.size(), At(t));
    benchmark::DoNotOptimize(n);
    if (++t == kTracks) t = 1;
  }
  if (mode == 2) {
    (void)r.system->RemoveIntercept(kUnit);
    (void)r.system->HarvestDirty(kUnit);
  }
  state.SetLabel(mode == 0 ? "libc" : mode == 1 ? "preload" : "preload_marking");
}
BENCHMARK(BM_Pwrite)->Arg(0)->Arg(1)->Arg(2);

void BM_LseekWrite(benchmark::State& state) {
  Rig& r = TheRig();
  if (!r.error.empty()) {
    state.SkipWithError(r.error.c_str());
    return;
  }
  const bool pre = state.range(0) == 1;
  std::vector<char> buf(4112, 'y');
  uint32_t t = 1;
  for (auto _ : state) {
    ssize_t n;
    if (pre) {
      r.p_lseek(r.tracked_fd, At(t), SEEK_SET);
      n = r.p_write(r.tracked_fd, buf.data(), buf.size());
    } else {
      ::lseek(r.plain_fd, At(t), SEEK_SET);
      n = ::write(r.plain_fd, buf.data(), buf.size());
    }
    benchmark::DoNotOptimize(n);
    if (++t == kTracks) t = 1;
  }
  state.SetLabel(pre ? "preload" : "libc");
}
BENCHMARK(BM_LseekWrite)->Arg(0)->Arg(1);

void BM_PassThrough(benchmark::State& state) {
  Rig& r = TheRig();
  if (!r.error.empty()) {
    state.SkipWithError(r.error.c_str());
    return;
  }
  const bool pre = state.range(0) == 1;
  char buf[8] = {};
  for (auto _ : state) {
    ssize_t n = pre ? r.p_pwrite(r.other_tracked_fd, buf, 8, 0) : ::pwrite(r.other_fd, buf, 8, 0);
    benchmark::DoNotOptimize(n);
  }
  state.SetLabel(pre ? "preload" : "libc");
}
BENCHMARK(BM_PassThrough)->Arg(0)->Arg(1);

}  // namespace
