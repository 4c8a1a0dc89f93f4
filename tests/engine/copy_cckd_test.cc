// The copy engine with compressed (CCKD) images: plain to compressed,
// compressed to plain and compressed to compressed give the same volume;
// the worker pool copies with several threads; FormatTracks and skip_equal
// work on a compressed target; a corrupt source track fails the copy and
// leaves it in not_copied().
#include <gtest/gtest.h>

#include <cstring>

#include "ckd/cckd.h"
#include "copy_test_volume.h"
#include "engine/copy_engine.h"
#include "engine/io_backend.h"

namespace pas::engine {
namespace {

using pas::testing::ScratchDir;
using testing::MakeSourceVolume;

ckd::TrackSet All(uint32_t tracks) {
  ckd::TrackSet s(tracks);
  s.SetRange(0, tracks - 1);
  return s;
}

void ExpectEqual(const ckd::CkdImage& a, const ckd::CkdImage& b) {
  auto cmp = ckd::CompareVolumes(a, b, 3);
  ASSERT_OK(cmp);
  EXPECT_TRUE(cmp->equal) << cmp->differing_tracks << " differ; first "
                          << (cmp->diffs.empty() ? "" : cmp->diffs[0].reason);
}

TEST(CopyCckdTest, PlainToCompressedToPlainWithTwoWorkers) {
  ScratchDir d;
  ckd::CkdImage src = MakeSourceVolume(d / "src.ckd", 6, 1);
  auto mid = ckd::CkdImage::CreateCompressed(d / "mid.cckd", ckd::k3390Geometry, 6,
                                             ckd::Compression::kZlib);
  ASSERT_OK(mid);
  auto backend = MakePreadBackend(8);
  CopyOptions co;
  co.compress_threads = 2;
  CopyEngine e1(src, *mid, *backend, co);
  auto s1 = e1.CopyTracks(All(src.tracks()));
  ASSERT_OK(s1);
  EXPECT_EQ(s1->tracks_copied, src.tracks());
  ASSERT_OK(e1.SyncTarget());
  ExpectEqual(src, *mid);

  auto back = ckd::CkdImage::Create(d / "back.ckd", ckd::k3390Geometry, 6, false);
  ASSERT_OK(back);
  CopyEngine e2(*mid, *back, *backend, co);
  ASSERT_OK(e2.CopyTracks(All(src.tracks())));
  ExpectEqual(src, *back);

  auto again = ckd::CkdImage::CreateCompressed(d / "again.cckd", ckd::k3390Geometry, 6,
                                               ckd::Compression::kBzip2);
  ASSERT_OK(again);
  CopyEngine e3(*mid, *again, *backend, co);
  ASSERT_OK(e3.CopyTracks(All(src.tracks())));
  ASSERT_OK(e3.SyncTarget());
  ExpectEqual(src, *again);
  auto r = pas::testing::Run({"cckdcdsk", "-3", "-ro", d / "again.cckd"});
  EXPECT_EQ(r.out + r.err, "");
}

TEST(CopyCckdTest, FormatAndSkipEqualOnACompressedTarget) {
  ScratchDir d;
  ckd::CkdImage src = MakeSourceVolume(d / "src.ckd", 4, 2);
  auto tgt = ckd::CkdImage::CreateCompressed(d / "t.cckd", ckd::k3390Geometry, 4,
                                             ckd::Compression::kZlib);
  ASSERT_OK(tgt);
  auto backend = MakePreadBackend(8);
  CopyOptions co;
  CopyEngine e(src, *tgt, *backend, co);
  ASSERT_OK(e.CopyTracks(All(src.tracks())));
  // Copy again with skip_equal: nothing written.
  e.set_skip_equal(true);
  auto again = e.CopyTracks(All(src.tracks()));
  ASSERT_OK(again);
  EXPECT_EQ(again->tracks_copied, 0u);
  EXPECT_EQ(again->tracks_skipped, src.tracks());
  // Format a cylinder: empty tracks (null entries) read back.
  e.set_skip_equal(false);
  ckd::TrackSet cyl2(src.tracks());
  cyl2.SetRange(30, 44);
  auto f = e.FormatTracks(cyl2);
  ASSERT_OK(f);
  EXPECT_EQ(f->tracks_formatted, 15u);
  std::vector<uint8_t> slot(tgt->slot_size());
  for (uint32_t t = 30; t < 45; ++t) {
    ASSERT_OK(tgt->ReadTrack(t, slot));
    EXPECT_TRUE(ckd::IsEmptyTrack(slot)) << t;
  }
  ASSERT_OK(e.SyncTarget());
  auto space = tgt->cckd()->Space();
  ASSERT_OK(space);
  EXPECT_GE(space->null_tracks, 15u);
}

TEST(CopyCckdTest, CorruptCompressedSourceFailsAndKeepsTheTrackNotCopied) {
  ScratchDir d;
  {
    ckd::CkdImage plain = MakeSourceVolume(d / "p.ckd", 3, 3);
    auto c = ckd::CkdImage::CreateCompressed(d / "s.cckd", ckd::k3390Geometry, 3,
                                             ckd::Compression::kNone);
    ASSERT_OK(c);
    auto backend = MakePreadBackend(8);
    CopyEngine e(plain, *c, *backend, CopyOptions{});
    ASSERT_OK(e.CopyTracks(All(plain.tracks())));
  }
  // Break the image of track 20 (stored uncompressed: its HA names the track).
  {
    auto c = ckd::CkdImage::Open(d / "s.cckd", false);
    ASSERT_OK(c);
  }
  std::string bytes = pas::testing::ReadFile(d / "s.cckd");
  uint32_t l2;
  std::memcpy(&l2, bytes.data() + ckd::kCckdL1Offset, 4);
  uint32_t pos;
  std::memcpy(&pos, bytes.data() + l2 + 20 * 8, 4);
  bytes[pos + 4] = static_cast<char>(bytes[pos + 4] + 1);  // HA head: another track
  pas::testing::WriteFile(d / "s.cckd", bytes);
  auto src = ckd::CkdImage::Open(d / "s.cckd", false);
  ASSERT_OK(src);
  auto tgt = ckd::CkdImage::Create(d / "t.ckd", ckd::k3390Geometry, 3, false);
  ASSERT_OK(tgt);
  auto backend = MakePreadBackend(8);
  CopyEngine e(*src, *tgt, *backend, CopyOptions{});
  auto r = e.CopyTracks(All(src->tracks()));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  EXPECT_TRUE(e.not_copied().Test(20));
}

}  // namespace
}  // namespace pas::engine
