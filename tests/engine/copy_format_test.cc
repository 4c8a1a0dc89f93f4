// FormatTracks by zero ranges (punched holes) and slot heads: the target
// ends byte for byte as if every full empty slot had been written, over
// old data, across the files of a multi-file set, on the fallback path
// (no hole punching) and after failures.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "ckd/image.h"
#include "ckd/track.h"
#include "engine/copy_engine.h"
#include "engine/copy_test_volume.h"
#include "engine/io_backend.h"
#include "test_util.h"

namespace pas::engine {
namespace {

using pas::testing::ScratchDir;
using testing::FillTracks;
using testing::MakeSourceVolume;
using testing::Slot;

constexpr uint32_t kCyls = 20;
constexpr uint32_t kTracks = kCyls * 15;

std::unique_ptr<IoBackend> Inner(const std::string& kind) {
  if (kind == "uring") {
    auto b = MakeUringBackend(8);
    EXPECT_OK(b);  // io_uring must work on the test machine
    if (b.ok()) return std::move(b).value();
  }
  return MakePreadBackend(8);
}

std::unique_ptr<FaultInjectingBackend> Faulty(const std::string& spec, const std::string& kind) {
  auto parsed = ParseFaultSpec(spec);
  EXPECT_OK(parsed);
  return std::make_unique<FaultInjectingBackend>(Inner(kind), parsed.ok() ? *parsed : FaultSpec{});
}

CopyOptions Options(uint32_t tracks_per_request = 15) {
  CopyOptions o;
  o.tracks_per_request = tracks_per_request;
  return o;
}

std::vector<uint8_t> FullEmptySlot(const ckd::CkdImage& image, uint32_t track) {
  std::vector<uint8_t> slot(image.slot_size());
  ckd::BuildEmptyTrack(image.geometry(), track, slot);
  return slot;
}

// Tracks 5-6, 20-139 and 200-299: three runs with copied data between.
ckd::TrackSet Gappy() {
  ckd::TrackSet s(kTracks);
  s.SetRange(5, 6);
  s.SetRange(20, 139);
  s.SetRange(200, kTracks - 1);
  return s;
}

// Every track of `set` is the full empty slot; every other track is still
// `before`.
void ExpectFormatted(const ckd::CkdImage& dst, const ckd::TrackSet& set,
                     const std::vector<std::vector<uint8_t>>& before, uint32_t first = 0) {
  for (uint32_t i = 0; i < before.size(); ++i) {
    const uint32_t t = first + i;
    if (set.Test(t)) {
      ASSERT_EQ(Slot(dst, t), FullEmptySlot(dst, t)) << "track " << t;
    } else {
      ASSERT_EQ(Slot(dst, t), before[i]) << "track " << t;
    }
  }
}

std::vector<std::vector<uint8_t>> Snapshot(const ckd::CkdImage& image, uint32_t first, uint32_t count) {
  std::vector<std::vector<uint8_t>> slots;
  for (uint32_t t = first; t < first + count; ++t) slots.push_back(Slot(image, t));
  return slots;
}

uint64_t FileSize(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<uint64_t>(st.st_size);
}

uint64_t AllocatedBytes(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

class CopyFormatTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CopyFormatTest, FormatOverOldDataEqualsFullEmptySlots) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 1);
  auto dst = MakeSourceVolume(dir / "dst.ckd", kCyls, 2);  // every track holds data
  const auto before = Snapshot(dst, 0, kTracks);
  const uint64_t size = FileSize(dst.path()), allocated = AllocatedBytes(dst.path());
  auto backend = Faulty("", GetParam());
  CopyEngine engine(src, dst, *backend, Options());
  std::vector<uint64_t> progress;
  const ckd::TrackSet set = Gappy();
  auto stats = engine.FormatTracks(set);
  ASSERT_OK(stats);
  ExpectFormatted(dst, set, before);
  EXPECT_EQ(stats->tracks_formatted, set.Count());
  EXPECT_EQ(stats->tracks_copied, 0u);
  EXPECT_EQ(stats->bytes_read, 0u);
  // Only the heads were written: the rest of each slot is a punched hole.
  EXPECT_EQ(stats->bytes_written, uint64_t{set.Count()} * ckd::kEmptyTrackLength);
  EXPECT_EQ(backend->zero_ranges(), 3u);
  // One EXCP per zero range and per cylinder-aligned group of heads:
  // 5-6 | 20-29, 30-44, ..., 135-139 (9) | 200-209, 210-224, ..., 285-299 (7).
  EXPECT_EQ(stats->target_excps, 3u + 1u + 9u + 7u);
  EXPECT_EQ(engine.not_copied().Count(), 0u);
  EXPECT_EQ(FileSize(dst.path()), size);
  EXPECT_LT(AllocatedBytes(dst.path()), allocated - uint64_t{set.Count()} * 32 * 1024);
  ASSERT_OK(engine.SyncTarget());
}

TEST_P(CopyFormatTest, ReportsProgressAndFormatsTheLastTrack) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 1);
  auto dst = MakeSourceVolume(dir / "dst.ckd", kCyls, 3);
  const auto before = Snapshot(dst, 0, kTracks);
  auto backend = Inner(GetParam());
  CopyOptions o = Options();
  uint64_t last = 0;
  o.progress = [&](uint64_t done) {
    EXPECT_GT(done, last);
    last = done;
  };
  CopyEngine engine(src, dst, *backend, o);
  ckd::TrackSet set(kTracks);
  set.SetRange(kTracks - 7, kTracks - 1);
  set.Set(0);
  ASSERT_OK(engine.FormatTracks(set));
  EXPECT_EQ(last, 8u);
  ExpectFormatted(dst, set, before);
}

TEST_P(CopyFormatTest, MultiFileSetFormatsAcrossTheBoundary) {
  ScratchDir dir;
  const uint32_t cyls = ckd::k3390Geometry.max_cyls_per_file + 2;  // two files, sparse
  auto src = ckd::CkdImage::Create(dir / "src.ckd", ckd::k3390Geometry, cyls, true);
  auto dst = ckd::CkdImage::Create(dir / "dst.ckd", ckd::k3390Geometry, cyls, true);
  ASSERT_OK(src);
  ASSERT_OK(dst);
  ASSERT_EQ(dst->files().size(), 2u);
  const uint32_t boundary = dst->files()[1].first_track;
  FillTracks(*dst, boundary - 20, 40, 5);  // old data on both sides
  const auto before = Snapshot(*dst, boundary - 20, 40);
  const uint64_t size0 = FileSize(dst->files()[0].path), size1 = FileSize(dst->files()[1].path);
  ckd::TrackSet set(dst->tracks());
  set.SetRange(boundary - 13, boundary + 12);
  auto backend = Faulty("", GetParam());
  CopyEngine engine(*src, *dst, *backend, Options(10));
  auto stats = engine.FormatTracks(set);
  ASSERT_OK(stats);
  EXPECT_EQ(stats->tracks_formatted, 26u);
  EXPECT_EQ(backend->zero_ranges(), 2u);  // one per file
  ExpectFormatted(*dst, set, before, boundary - 20);
  EXPECT_EQ(FileSize(dst->files()[0].path), size0);
  EXPECT_EQ(FileSize(dst->files()[1].path), size1);
}

TEST_P(CopyFormatTest, WithoutHolePunchingFallsBackToFullSlotsWithTheSameBytes) {
  for (const char* spec : {"zero_error@1:EOPNOTSUPP", "zero_error@2:ENOSYS"}) {
    SCOPED_TRACE(spec);
    ScratchDir dir;
    auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 1);
    auto dst = MakeSourceVolume(dir / "dst.ckd", kCyls, 4);
    const auto before = Snapshot(dst, 0, kTracks);
    auto backend = Faulty(spec, GetParam());
    CopyEngine engine(src, dst, *backend, Options());
    const ckd::TrackSet set = Gappy();
    auto stats = engine.FormatTracks(set);
    ASSERT_OK(stats);
    EXPECT_EQ(stats->tracks_formatted, set.Count());
    EXPECT_EQ(engine.not_copied().Count(), 0u);
    ExpectFormatted(dst, set, before);
    const uint64_t zeroed = std::string(spec).find("@2") != std::string::npos ? 2 : 0;
    EXPECT_EQ(stats->bytes_written, zeroed * ckd::kEmptyTrackLength +
                                        (set.Count() - zeroed) * uint64_t{dst.slot_size()});
    // Later calls go straight to full slots: no second attempt at a hole.
    const uint64_t attempts = backend->zero_ranges();
    FillTracks(dst, 250, 3, 6);
    auto again = engine.FormatTracks(set);
    ASSERT_OK(again);
    EXPECT_EQ(backend->zero_ranges(), attempts);
    EXPECT_EQ(again->bytes_written, uint64_t{set.Count()} * dst.slot_size());
    ExpectFormatted(dst, set, before);
  }
}

TEST_P(CopyFormatTest, FailedZeroRangeFailsCleanlyAndCanBeRedone) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 1);
  auto dst = MakeSourceVolume(dir / "dst.ckd", kCyls, 7);
  const auto before = Snapshot(dst, 0, kTracks);
  const ckd::TrackSet set = Gappy();
  {
    auto backend = Faulty("zero_error@2:EIO", GetParam());
    CopyEngine engine(src, dst, *backend, Options(15));
    auto r = engine.FormatTracks(set);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().IsIoError()) << r.status().ToString();
    EXPECT_EQ(r.status().err(), EIO);
    EXPECT_NE(r.status().message().find("tracks 20-139"), std::string::npos) << r.status().message();
    // The first run is done, the failed one and the last are not.
    ckd::TrackSet rest(kTracks);
    rest.SetRange(20, 139);
    rest.SetRange(200, kTracks - 1);
    EXPECT_EQ(engine.not_copied().Count(), rest.Count());
    for (uint32_t t : {20u, 139u, 200u, 299u}) EXPECT_TRUE(engine.not_copied().Test(t)) << t;
    EXPECT_EQ(Slot(dst, 5), FullEmptySlot(dst, 5));
    EXPECT_EQ(Slot(dst, 20), before[20]);  // nothing written to the failed run
    EXPECT_EQ(Slot(dst, 200), before[200]);
    // Redoing what is left completes the format.
    const ckd::TrackSet left = engine.not_copied();
    ASSERT_OK(engine.FormatTracks(left));
  }
  ExpectFormatted(dst, set, before);
}

TEST_P(CopyFormatTest, FailedHeadWriteFailsCleanly) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 1);
  auto dst = MakeSourceVolume(dir / "dst.ckd", kCyls, 8);
  auto backend = Faulty("write_error@30:EROFS", GetParam());
  CopyEngine engine(src, dst, *backend, Options());
  auto r = engine.FormatTracks(Gappy());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsIoError()) << r.status().ToString();
  EXPECT_EQ(r.status().err(), EROFS);
  EXPECT_NE(r.status().message().find("write of target track"), std::string::npos)
      << r.status().message();
  EXPECT_GE(engine.not_copied().Count(), 1u);
  EXPECT_LT(engine.not_copied().Count(), Gappy().Count());
  EXPECT_EQ(backend->outstanding(), 0u);
}

TEST_P(CopyFormatTest, ShortAndDelayedHeadWritesAreResumed) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 1);
  auto dst = MakeSourceVolume(dir / "dst.ckd", kCyls, 9);
  const auto before = Snapshot(dst, 0, kTracks);
  auto backend = Faulty("short_writes,eagain@4", GetParam());
  CopyEngine engine(src, dst, *backend, Options());
  const ckd::TrackSet set = Gappy();
  auto stats = engine.FormatTracks(set);
  ASSERT_OK(stats);
  EXPECT_GT(backend->faults_injected(), set.Count());
  ExpectFormatted(dst, set, before);
}

// skip_equal keeps the compare path: tracks already empty are not written.
TEST_P(CopyFormatTest, SkipEqualStillComparesInsteadOfPunching) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 1);
  auto dst = MakeSourceVolume(dir / "dst.ckd", kCyls, 10);
  auto backend = Faulty("", GetParam());
  CopyEngine engine(src, dst, *backend, Options());
  const ckd::TrackSet set = Gappy();
  ASSERT_OK(engine.FormatTracks(set));
  engine.set_skip_equal(true);
  auto r = engine.FormatTracks(set);
  ASSERT_OK(r);
  EXPECT_EQ(r->tracks_skipped, set.Count());
  EXPECT_EQ(r->bytes_written, 0u);
  EXPECT_EQ(backend->zero_ranges(), 3u);  // only the first call punched
}

INSTANTIATE_TEST_SUITE_P(Backends, CopyFormatTest, ::testing::Values("uring", "pread"));

}  // namespace
}  // namespace pas::engine
