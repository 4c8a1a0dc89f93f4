// Copy throughput of the copy engine against `dd bs=1M` on the same image.
//
//   build/bench/copy_bench [--benchmark_filter=...]
//   PAS_BENCH_DIR=/tmp PAS_BENCH_CYLINDERS=200 build/bench/copy_bench
//
// A 3390 volume of PAS_BENCH_CYLINDERS cylinders (default 200, about 170 MB)
// whose every track is full (one 56664-byte record) is built once in
// PAS_BENCH_DIR (default /tmp). Each iteration copies every track to a
// pre-created target image and fdatasyncs it; BM_Dd does the same with
// `dd if=SRC of=DST bs=1M conv=notrunc,fdatasync`. Both run from a warm page
// cache (the source was just written or read); nothing is dropped.
// bytes_per_second is the figure; results: doc/copy-engine.md.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "ckd/image.h"
#include "ckd/track.h"
#include "ckd/vtoc.h"
#include "engine/copy_engine.h"
#include "engine/io_backend.h"

namespace pas::engine {
namespace {

struct BenchVolumes {
  std::string dir;
  std::string source_path, target_path, dd_target_path;
  std::unique_ptr<ckd::CkdImage> source, target;
  uint64_t bytes = 0;

  BenchVolumes() {
    const char* d = std::getenv("PAS_BENCH_DIR");
    const char* c = std::getenv("PAS_BENCH_CYLINDERS");
    const uint32_t cylinders = c ? static_cast<uint32_t>(std::atoi(c)) : 200;
    dir = std::string(d ? d : "/tmp") + "/pas-copy-bench-" + std::to_string(::getpid());
    std::system(("mkdir -p " + dir).c_str());
    source_path = dir + "/src.ckd";
    target_path = dir + "/dst.ckd";
    dd_target_path = dir + "/dd.ckd";
    const ckd::DeviceGeometry& g = ckd::k3390Geometry;
    auto src = ckd::CkdImage::Create(source_path, g, cylinders, false);
    auto dst = ckd::CkdImage::Create(target_path, g, cylinders, false);
    if (!src.ok() || !dst.ok()) {
      std::fprintf(stderr, "cannot create bench images in %s\n", dir.c_str());
      std::exit(1);
    }
    std::vector<uint8_t> data(g.track_capacity), slot(g.slot_size);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131 + 7);
    for (uint32_t t = 0; t < src->tracks(); ++t) {
      ckd::TrackBuilder b(g, t);
      data[0] = static_cast<uint8_t>(t);
      if (!b.AddRecord(1, {}, data).ok() || !b.Finish(slot).ok() || !src->WriteTrack(t, slot).ok()) {
        std::fprintf(stderr, "cannot build bench volume\n");
        std::exit(1);
      }
    }
    (void)src->Sync();
    bytes = uint64_t{src->tracks()} * g.slot_size;
    source = std::make_unique<ckd::CkdImage>(std::move(src).value());
    target = std::make_unique<ckd::CkdImage>(std::move(dst).value());
    std::system(("cp " + source_path + " " + dd_target_path).c_str());
  }
  ~BenchVolumes() { std::system(("rm -rf " + dir).c_str()); }
};

BenchVolumes& Volumes() {
  static BenchVolumes v;
  return v;
}

// state.range(0): 0 pread, 1 io_uring; (1): queue depth; (2): tracks per
// request; (3): 1 to start writeback of each run as it is written.
void BM_CopyVolume(benchmark::State& state) {
  BenchVolumes& v = Volumes();
  const bool uring = state.range(0) == 1;
  const auto depth = static_cast<unsigned>(state.range(1));
  std::unique_ptr<IoBackend> backend;
  if (uring) {
    auto b = MakeUringBackend(depth);
    if (!b.ok()) {
      state.SkipWithError(b.status().ToString().c_str());
      return;
    }
    backend = std::move(b).value();
  } else {
    backend = MakePreadBackend(depth);
  }
  CopyOptions options;
  options.queue_depth = depth;
  options.tracks_per_request = static_cast<uint32_t>(state.range(2));
  options.start_writeback = state.range(3) == 1;
  CopyEngine engine(*v.source, *v.target, *backend, options);
  ckd::TrackSet all(v.source->tracks());
  all.SetAll();
  double cpu = 0;
  for (auto _ : state) {
    auto stats = engine.CopyTracks(all);
    Status synced = engine.SyncTarget();
    if (!stats.ok() || !synced.ok()) {
      state.SkipWithError((stats.ok() ? synced : stats.status()).ToString().c_str());
      return;
    }
    cpu += stats->cpu_seconds;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * v.bytes));
  state.counters["cpu_s_per_GB"] = cpu / (static_cast<double>(state.iterations() * v.bytes) / 1e9);
  state.SetLabel(backend->name());
}
BENCHMARK(BM_CopyVolume)
    ->ArgNames({"uring", "qd", "tpr", "wb"})
    ->Args({0, 1, 15, 0})
    ->Args({0, 1, 15, 1})
    ->Args({1, 1, 15, 1})
    ->Args({1, 2, 15, 1})
    ->Args({1, 4, 15, 0})
    ->Args({1, 4, 15, 1})
    ->Args({1, 8, 15, 0})
    ->Args({1, 8, 15, 1})
    ->Args({1, 16, 15, 1})
    ->Args({1, 8, 1, 1})
    ->Args({1, 8, 5, 1})
    ->Args({1, 4, 30, 1})
    ->Args({1, 4, 60, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

// Copy less (doc/copy-engine.md): copies every track with skip_equal off or
// on (range 0) to a target that already equals the source (range 1 == 0:
// the case of a target holding an earlier copy) or that differs on every
// track (range 1 == 1: each iteration alternates two sources whose every
// track differs, the cost of the extra target read when nothing can be
// skipped). bytes_per_second counts the volume's bytes.
void BM_CopyAgain(benchmark::State& state) {
  BenchVolumes& v = Volumes();
  static std::unique_ptr<ckd::CkdImage> other = [&] {
    const ckd::DeviceGeometry& g = ckd::k3390Geometry;
    auto img = ckd::CkdImage::Create(v.dir + "/other.ckd", g, v.source->cylinders(), false);
    std::vector<uint8_t> slot(g.slot_size), data(g.track_capacity, 0x5A);
    for (uint32_t t = 0; img.ok() && t < img->tracks(); ++t) {
      ckd::TrackBuilder b(g, t);
      data[0] = static_cast<uint8_t>(t);
      if (b.AddRecord(1, {}, data).ok() && b.Finish(slot).ok()) (void)img->WriteTrack(t, slot);
    }
    return img.ok() ? std::make_unique<ckd::CkdImage>(std::move(img).value()) : nullptr;
  }();
  if (!other) {
    state.SkipWithError("cannot build the second source");
    return;
  }
  const bool differ = state.range(1) == 1;
  auto backend = MakeUringBackend(4);
  if (!backend.ok()) {
    state.SkipWithError(backend.status().ToString().c_str());
    return;
  }
  CopyOptions options;
  options.queue_depth = 4;
  options.tracks_per_request = 15;
  CopyEngine from_source(*v.source, *v.target, **backend, options);
  CopyEngine from_other(*other, *v.target, **backend, options);
  ckd::TrackSet all(v.source->tracks());
  all.SetAll();
  if (!from_source.CopyTracks(all).ok()) {  // the target now equals the source
    state.SkipWithError("setup copy failed");
    return;
  }
  from_source.set_skip_equal(state.range(0) == 1);
  from_other.set_skip_equal(state.range(0) == 1);
  uint64_t written = 0, skipped = 0;
  bool flip = false;
  for (auto _ : state) {
    CopyEngine& e = differ && (flip = !flip) ? from_other : from_source;
    auto stats = e.CopyTracks(all);
    Status synced = e.SyncTarget();
    if (!stats.ok() || !synced.ok()) {
      state.SkipWithError((stats.ok() ? synced : stats.status()).ToString().c_str());
      return;
    }
    written += stats->tracks_copied;
    skipped += stats->tracks_skipped;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * v.bytes));
  state.counters["tracks_written"] = static_cast<double>(written) / state.iterations();
  state.counters["tracks_skipped"] = static_cast<double>(skipped) / state.iterations();
}
BENCHMARK(BM_CopyAgain)
    ->ArgNames({"skip", "differ"})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

// The baseline: dd of the same image, synced at the end.
void BM_Dd(benchmark::State& state) {
  BenchVolumes& v = Volumes();
  const std::string cmd = "dd if=" + v.source_path + " of=" + v.dd_target_path +
                          " bs=1M conv=notrunc,fdatasync status=none";
  for (auto _ : state) {
    if (std::system(cmd.c_str()) != 0) {
      state.SkipWithError("dd failed");
      return;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * v.bytes));
  state.SetLabel(cmd);
}
BENCHMARK(BM_Dd)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace pas::engine
