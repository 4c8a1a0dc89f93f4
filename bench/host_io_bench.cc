// The cost of the change-tracking intercept on the host write path.
//
//   BM_HostTrackWrite/0   ns per host track write (UnitIo::WriteTrack of a
//                         prebuilt 12-record workload track) without the intercept
//   BM_HostTrackWrite/1   the same writes with the intercept installed
//   BM_InterceptMark      the intercept's own work per write: the flag
//                         check and the two bitmap marks (before and after
//                         the data write), on a bitmap in shared memory
//
// The image is a sparse scratch 3390 on /dev/shm (or $TMPDIR, /tmp) so the
// figures measure the path, not a disk. Compare /0 and /1 side by side:
//   host_io_bench --benchmark_repetitions=10 --benchmark_enable_random_interleaving=true
//                 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ckd/image.h"
#include "host/config.h"
#include "host/host_io.h"
#include "host/unit_table.h"
#include "intercept/dirty_bitmap.h"
#include "workload/record.h"

namespace {

constexpr uint16_t kUnit = 0x1887;
constexpr uint32_t kCylinders = 50;
constexpr uint32_t kTracksUsed = 256;

struct Rig {
  std::string dir;
  std::unique_ptr<pas::host::System> system;
  std::unique_ptr<pas::host::UnitIo> io;
  std::vector<std::vector<uint8_t>> slots;  // prebuilt track images
  std::vector<uint32_t> tracks;
  std::string error;

  Rig() {
    namespace fs = std::filesystem;
    std::string base = fs::is_directory("/dev/shm") ? "/dev/shm"
                       : std::getenv("TMPDIR")      ? std::getenv("TMPDIR")
                                                    : "/tmp";
    dir = base + "/pas-host-io-bench-" + std::to_string(::getpid());
    fs::create_directories(dir);
    ::setenv("PAS_RUNTIME_DIR", (dir + "/runtime").c_str(), 1);
    const std::string image = dir + "/bench.ckd";
    auto img = pas::ckd::CkdImage::Create(image, pas::ckd::k3390Geometry, kCylinders, false);
    if (!img.ok()) {
      error = img.status().ToString();
      return;
    }
    auto config = pas::host::ParseSystemConfig(
        "LPARNAME BENCH\nCPUSERIAL 000001\n1887 3390 " + image + "\n", dir + "/bench.cnf");
    if (!config.ok()) {
      error = config.status().ToString();
      return;
    }
    auto sys = pas::host::System::Attach(*config);
    if (!sys.ok()) {
      error = sys.status().ToString();
      return;
    }
    system = std::move(*sys);
    auto unit = pas::host::UnitIo::Open(*system, kUnit);
    if (!unit.ok()) {
      error = unit.status().ToString();
      return;
    }
    io = std::make_unique<pas::host::UnitIo>(std::move(*unit));
    const auto& g = pas::ckd::k3390Geometry;
    for (uint32_t i = 0; i < kTracksUsed; ++i) {
      const uint32_t track = 15 + (i * 37) % (kCylinders * 15 - 15);
      std::vector<uint8_t> slot(g.slot_size);
      auto sum = pas::workload::BuildWorkloadTrack(
          g, pas::workload::WriteId{.writer = 0, .system_hash = 1, .track = track, .seq = i + 1},
          slot);
      if (!sum.ok()) {
        error = sum.status().ToString();
        return;
      }
      tracks.push_back(track);
      slots.push_back(std::move(slot));
    }
  }
  ~Rig() {
    io.reset();
    system.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Rig& TheRig() {
  static Rig rig;
  return rig;
}

void BM_HostTrackWrite(benchmark::State& state) {
  Rig& rig = TheRig();
  if (!rig.error.empty()) {
    state.SkipWithError(rig.error.c_str());
    return;
  }
  const bool intercept = state.range(0) != 0;
  pas::Status s = intercept ? rig.system->InstallIntercept(kUnit)
                            : rig.system->RemoveIntercept(kUnit);
  if (!s.ok()) {
    state.SkipWithError(s.ToString().c_str());
    return;
  }
  size_t i = 0;
  for (auto _ : state) {
    pas::Status w = rig.io->WriteTrack(rig.tracks[i], rig.slots[i]);
    if (!w.ok()) {
      state.SkipWithError(w.ToString().c_str());
      break;
    }
    i = (i + 1) % rig.tracks.size();
  }
  if (intercept) {
    auto st = rig.system->Status(kUnit);
    if (st.ok()) state.counters["dirty_tracks"] = st->dirty_tracks;
    (void)rig.system->RemoveIntercept(kUnit);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(rig.slots[0].size()));
}
BENCHMARK(BM_HostTrackWrite)->Arg(0)->Arg(1)->MinTime(1.0);

// What the write path adds while the intercept is installed: two loads of
// the shared intercept flag and two marks (before and after the write) on a
// bitmap in a shared mapping, as src/host/host_io.cc does.
void BM_InterceptMark(benchmark::State& state) {
  const uint32_t tracks = 65520 * 15;
  const size_t words = pas::intercept::DirtyTrackBitmap::WordsFor(tracks);
  void* mem = ::mmap(nullptr, (words + 1) * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    state.SkipWithError("mmap");
    return;
  }
  auto* flag = static_cast<std::atomic<uint32_t>*>(mem);
  flag->store(1);
  auto* bits = reinterpret_cast<std::atomic<uint64_t>*>(static_cast<uint64_t*>(mem) + 1);
  pas::intercept::DirtyTrackBitmap bitmap(bits, tracks);
  uint32_t track = 0;
  for (auto _ : state) {
    if (flag->load(std::memory_order_seq_cst) != 0) bitmap.Mark(track);
    if (flag->load(std::memory_order_seq_cst) != 0) bitmap.Mark(track);
    track = (track + 7919) % tracks;
  }
  benchmark::DoNotOptimize(bitmap.Count());
  ::munmap(mem, (words + 1) * sizeof(uint64_t));
}
BENCHMARK(BM_InterceptMark);

}  // namespace
