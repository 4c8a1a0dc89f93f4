// Copy less: with skip_equal the copy engine reads the target too and writes
// only the tracks that differ. Each case ends with a byte comparison of the
// two volumes and checks what was written through the statistics.
#include <gtest/gtest.h>

#include <string>

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
using testing::FirstDifference;
using testing::MakeSourceVolume;

constexpr uint32_t kCyls = 10;
constexpr uint32_t kTracks = kCyls * 15;

ckd::TrackSet All(uint32_t tracks) {
  ckd::TrackSet s(tracks);
  s.SetAll();
  return s;
}

CopyOptions Options(bool skip) {
  CopyOptions o;
  o.queue_depth = 4;
  o.tracks_per_request = 15;
  o.skip_equal = skip;
  return o;
}

class CopySkipTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<IoBackend> Backend() {
    if (GetParam() == "uring") {
      auto b = MakeUringBackend(4);
      EXPECT_OK(b);
      if (b.ok()) return std::move(b).value();
    }
    return MakePreadBackend(4);
  }
};

TEST_P(CopySkipTest, SecondCopyWritesOnlyTheChangedTracks) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 1);
  auto created = ckd::CkdImage::Create(dir / "dst.ckd", ckd::k3390Geometry, kCyls, false);
  ASSERT_OK(created);
  ckd::CkdImage& dst = *created;
  auto backend = Backend();
  {
    CopyEngine engine(src, dst, *backend, Options(false));
    auto first = engine.CopyTracks(All(kTracks));
    ASSERT_OK(first);
    EXPECT_EQ(kTracks, first->tracks_copied);
    EXPECT_EQ(0u, first->tracks_skipped);
  }
  ASSERT_EQ(-1, FirstDifference(src, dst, 0, kTracks));
  // Change 3 scattered tracks and a run of 2 in another cylinder.
  FillTracks(src, 20, 1, 7);
  FillTracks(src, 77, 2, 7);
  FillTracks(src, 140, 1, 7);
  ASSERT_NE(-1, FirstDifference(src, dst, 0, kTracks));

  CopyEngine engine(src, dst, *backend, Options(true));
  auto second = engine.CopyTracks(All(kTracks));
  ASSERT_OK(second);
  EXPECT_EQ(-1, FirstDifference(src, dst, 0, kTracks));
  EXPECT_EQ(4u, second->tracks_copied);
  EXPECT_EQ(kTracks - 4, second->tracks_skipped);
  EXPECT_EQ(3u, second->target_excps);  // one write per changed cylinder
  EXPECT_EQ(uint64_t{4} * src.slot_size(), second->bytes_written);
  EXPECT_EQ(uint64_t{kTracks} * src.slot_size(), second->bytes_read);
  EXPECT_GE(second->target_reads, kCyls);
  EXPECT_EQ(0u, engine.not_copied().Count());

  // Nothing changed since: nothing is written at all.
  auto third = engine.CopyTracks(All(kTracks));
  ASSERT_OK(third);
  EXPECT_EQ(0u, third->tracks_copied);
  EXPECT_EQ(0u, third->target_excps);
  EXPECT_EQ(kTracks, third->tracks_skipped);
}

TEST_P(CopySkipTest, WithoutSkipEveryTrackIsWritten) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 1);
  auto created = ckd::CkdImage::Create(dir / "dst.ckd", ckd::k3390Geometry, kCyls, false);
  ASSERT_OK(created);
  auto backend = Backend();
  CopyEngine engine(src, *created, *backend, Options(false));
  ASSERT_OK(engine.CopyTracks(All(kTracks)));
  auto again = engine.CopyTracks(All(kTracks));
  ASSERT_OK(again);
  EXPECT_EQ(kTracks, again->tracks_copied);
  EXPECT_EQ(0u, again->tracks_skipped);
  EXPECT_EQ(0u, again->target_reads);
}

// A target track that is damaged (not a valid track image, or different
// bytes) is always rewritten.
TEST_P(CopySkipTest, DamagedTargetTrackIsRewritten) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 1);
  auto created = ckd::CkdImage::Create(dir / "dst.ckd", ckd::k3390Geometry, kCyls, false);
  ASSERT_OK(created);
  ckd::CkdImage& dst = *created;
  auto backend = Backend();
  CopyEngine engine(src, dst, *backend, Options(false));
  ASSERT_OK(engine.CopyTracks(All(kTracks)));
  std::vector<uint8_t> junk(dst.slot_size(), 0xEE);
  ASSERT_OK(dst.WriteTrack(50, junk));
  std::vector<uint8_t> one = testing::Slot(src, 51);
  one[one.size() - 1] ^= 0xFF;  // a single byte past the records
  ASSERT_OK(dst.WriteTrack(51, one));
  engine.set_skip_equal(true);
  auto r = engine.CopyTracks(All(kTracks));
  ASSERT_OK(r);
  EXPECT_EQ(2u, r->tracks_copied);
  EXPECT_EQ(-1, FirstDifference(src, dst, 0, kTracks));
}

// FormatTracks with skip_equal leaves tracks that are already empty alone
// and formats only the others.
TEST_P(CopySkipTest, FormatSkipsTracksAlreadyEmpty) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 1);
  auto created = ckd::CkdImage::Create(dir / "dst.ckd", ckd::k3390Geometry, kCyls, false);
  ASSERT_OK(created);
  ckd::CkdImage& dst = *created;
  auto backend = Backend();
  CopyEngine engine(src, dst, *backend, Options(false));
  ASSERT_OK(engine.FormatTracks(All(kTracks)));
  FillTracks(dst, 30, 3, 9);  // three tracks now hold data
  engine.set_skip_equal(true);
  auto r = engine.FormatTracks(All(kTracks));
  ASSERT_OK(r);
  EXPECT_EQ(3u, r->tracks_formatted);
  EXPECT_EQ(kTracks - 3, r->tracks_skipped);
  std::vector<uint8_t> empty(dst.slot_size(), 0), got(dst.slot_size());
  for (uint32_t t = 0; t < kTracks; ++t) {
    ckd::BuildEmptyTrack(dst.geometry(), t, empty);
    ASSERT_OK(dst.ReadTrack(t, got));
    ASSERT_EQ(empty, got) << "track " << t;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, CopySkipTest, ::testing::Values("uring", "pread"));

}  // namespace
}  // namespace pas::engine
