// Track-image codec and slot-read throughput, in bytes processed per
// second. Run: build/bench/ckd_bench (the image benchmark creates a
// scratch volume under $TMPDIR or /tmp and removes it).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "ckd/image.h"
#include "ckd/track.h"
#include "ckd/volume.h"

namespace pas::ckd {
namespace {

// A full 3390 track of `dl`-byte records, as many as the capacity formula allows.
std::vector<uint8_t> FullTrack(uint32_t dl) {
  const auto& g = k3390Geometry;
  TrackBuilder tb(g, 42);
  std::vector<uint8_t> data(dl, 0x5A);
  const uint32_t n = RecordsPerTrack(g, 0, dl);
  for (uint32_t r = 1; r <= n; ++r) {
    if (!tb.AddRecord(static_cast<uint8_t>(r), {}, data).ok()) break;
  }
  std::vector<uint8_t> slot(g.slot_size);
  (void)tb.Finish(slot);
  return slot;
}

void BM_ParseTrack(benchmark::State& state) {
  auto slot = FullTrack(static_cast<uint32_t>(state.range(0)));
  for (auto _ : state) {
    auto t = ParseTrack(slot, k3390Geometry, 42);
    benchmark::DoNotOptimize(t);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * slot.size());
}
BENCHMARK(BM_ParseTrack)->Arg(80)->Arg(4096)->Arg(27998)->Arg(56664);

void BM_ValidateTrack(benchmark::State& state) {
  auto slot = FullTrack(static_cast<uint32_t>(state.range(0)));
  for (auto _ : state) {
    Status s = ValidateTrack(slot, k3390Geometry, 42);
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * slot.size());
}
BENCHMARK(BM_ValidateTrack)->Arg(80)->Arg(4096)->Arg(27998)->Arg(56664);

// Reading slots of a formatted 100-cylinder volume, `range(0)` tracks per
// call (1 = a track, 15 = a cylinder), from the page cache.
void BM_ReadTrackSlots(benchmark::State& state) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string path =
      std::string(tmp ? tmp : "/tmp") + "/pas_ckd_bench_" + std::to_string(::getpid()) + ".ckd";
  const uint32_t cyls = 100;
  {
    auto img = CkdImage::Create(path, k3390Geometry, cyls, false);
    if (!img.ok() || !FormatVolume(*img, "BENCH1", true).ok()) {
      state.SkipWithError("cannot create the scratch volume");
      return;
    }
  }
  auto img = CkdImage::Open(path, false);
  if (!img.ok()) {
    state.SkipWithError("cannot open the scratch volume");
    return;
  }
  const uint32_t per_call = static_cast<uint32_t>(state.range(0));
  std::vector<uint8_t> buf(size_t{per_call} * img->slot_size());
  uint32_t track = 0;
  for (auto _ : state) {
    if (track + per_call > img->tracks()) track = 0;
    Status s = img->ReadTracks(track, per_call, buf);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    track += per_call;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * buf.size());
  ::unlink(path.c_str());
}
BENCHMARK(BM_ReadTrackSlots)->Arg(1)->Arg(15);

}  // namespace
}  // namespace pas::ckd
