// The copy engine against real image files, with each backend and with
// injected faults: every scenario ends with a track-by-track comparison.
#include "engine/copy_engine.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <vector>

#include "ckd/image.h"
#include "ckd/track.h"
#include "ckd/vtoc.h"
#include "engine/copy_test_volume.h"
#include "engine/io_backend.h"
#include "test_util.h"

namespace pas::engine {
namespace {

using pas::testing::ScratchDir;
using testing::FillTracks;
using testing::FirstDifference;
using testing::MakeSourceVolume;
using testing::Slot;

constexpr uint32_t kCyls = 20;
constexpr uint32_t kTracks = kCyls * 15;

std::unique_ptr<IoBackend> Backend(const std::string& kind, unsigned depth = 8) {
  if (kind == "uring") {
    auto b = MakeUringBackend(depth);
    EXPECT_OK(b);  // io_uring must work on the test machine
    return b.ok() ? std::move(b).value() : MakePreadBackend(depth);
  }
  return MakePreadBackend(depth);
}

std::unique_ptr<IoBackend> Faulty(const std::string& spec, const std::string& kind = "uring") {
  auto parsed = ParseFaultSpec(spec);
  EXPECT_OK(parsed);
  return std::make_unique<FaultInjectingBackend>(Backend(kind),
                                                 parsed.ok() ? *parsed : FaultSpec{});
}

CopyOptions Options(unsigned queue_depth = 8, uint32_t tracks_per_request = 15,
                    std::string label = "") {
  CopyOptions o;
  o.queue_depth = queue_depth;
  o.tracks_per_request = tracks_per_request;
  o.label = std::move(label);
  return o;
}

ckd::TrackSet All(uint32_t tracks) {
  ckd::TrackSet s(tracks);
  s.SetAll();
  return s;
}

ckd::CkdImage EmptyTarget(const std::string& path, uint32_t cylinders = kCyls, bool split = false) {
  auto image = ckd::CkdImage::Create(path, ckd::k3390Geometry, cylinders, split);
  EXPECT_OK(image);
  return std::move(image).value();
}

class CopyEngineBackendTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CopyEngineBackendTest, FullCopyMakesTargetEqualTrackForTrack) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 1);
  auto dst = EmptyTarget(dir / "dst.ckd");
  auto backend = Backend(GetParam());
  CopyEngine engine(src, dst, *backend, Options(8, 15, "0A80"));
  auto stats = engine.CopyTracks(All(kTracks));
  ASSERT_OK(stats);
  ASSERT_OK(engine.SyncTarget());
  EXPECT_EQ(FirstDifference(src, dst, 0, kTracks), -1);
  EXPECT_EQ(stats->tracks_copied, kTracks);
  EXPECT_EQ(stats->bytes_read, uint64_t{kTracks} * src.slot_size());
  EXPECT_EQ(stats->bytes_written, uint64_t{kTracks} * src.slot_size());
  EXPECT_EQ(stats->source_excps, kCyls);  // one request per cylinder
  EXPECT_EQ(stats->target_excps, kCyls);
  EXPECT_EQ(stats->read_retries, 0u);
  EXPECT_EQ(engine.not_copied().Count(), 0u);
}

TEST_P(CopyEngineBackendTest, SubsetCopyLeavesOtherTracksUntouched) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 1);
  auto dst = MakeSourceVolume(dir / "dst.ckd", kCyls, 2);  // different data
  ASSERT_NE(FirstDifference(src, dst, 15, 1), -1);
  std::vector<std::vector<uint8_t>> before;
  for (uint32_t t = 0; t < kTracks; ++t) before.push_back(Slot(dst, t));

  ckd::TrackSet subset(kTracks);
  subset.SetRange(7, 40);  // crosses cylinder boundaries, starts unaligned
  subset.Set(100);
  subset.Set(299);
  auto backend = Backend(GetParam(), 4);
  CopyEngine engine(src, dst, *backend, Options(4));
  auto stats = engine.CopyTracks(subset);
  ASSERT_OK(stats);
  EXPECT_EQ(stats->tracks_copied, subset.Count());
  // 7-14, 15-29, 30-40, 100, 299: runs stay inside one cylinder.
  EXPECT_EQ(stats->source_excps, 5u);
  for (uint32_t t = 0; t < kTracks; ++t) {
    if (subset.Test(t)) {
      EXPECT_EQ(Slot(dst, t), Slot(src, t)) << "track " << t;
    } else {
      EXPECT_EQ(Slot(dst, t), before[t]) << "track " << t;
    }
  }
}

TEST_P(CopyEngineBackendTest, FormatTracksWritesValidEmptyTracks) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 1);
  auto dst = EmptyTarget(dir / "dst.ckd");
  ckd::TrackSet rest(kTracks);
  rest.SetRange(15, kTracks - 1);
  auto backend = Backend(GetParam());
  CopyEngine engine(src, dst, *backend, CopyOptions{});
  auto stats = engine.FormatTracks(rest);
  ASSERT_OK(stats);
  EXPECT_EQ(stats->tracks_formatted, kTracks - 15);
  EXPECT_EQ(stats->bytes_read, 0u);
  EXPECT_EQ(stats->source_excps, 0u);
  for (uint32_t t = 0; t < kTracks; ++t) {
    auto slot = Slot(dst, t);
    if (t < 15) {
      EXPECT_TRUE(ckd::IsZeroSlot(slot)) << "track " << t;
    } else {
      EXPECT_OK(ckd::ValidateTrack(slot, dst.geometry(), t));
      EXPECT_TRUE(ckd::IsEmptyTrack(slot)) << "track " << t;
    }
  }
}

TEST_P(CopyEngineBackendTest, LargerTargetCopiedAndFormattedBeyondSourceEnd) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 3);
  auto dst = EmptyTarget(dir / "dst.ckd", kCyls + 10);
  auto backend = Backend(GetParam());
  CopyEngine engine(src, dst, *backend, CopyOptions{});
  ASSERT_OK(engine.CopyTracks(All(kTracks)));
  ckd::TrackSet beyond(dst.tracks());
  beyond.SetRange(kTracks, dst.tracks() - 1);
  ASSERT_OK(engine.FormatTracks(beyond));
  EXPECT_EQ(FirstDifference(src, dst, 0, kTracks), -1);
  for (uint32_t t = kTracks; t < dst.tracks(); ++t) {
    EXPECT_TRUE(ckd::IsEmptyTrack(Slot(dst, t))) << "track " << t;
  }
  // A copy of tracks the source does not have is refused before any I/O.
  auto bad = engine.CopyTracks(beyond);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsInvalidArgument()) << bad.status().ToString();
  EXPECT_EQ(engine.not_copied().Count(), beyond.Count());
}

TEST_P(CopyEngineBackendTest, MultiFileSetCopiesAcrossFileBoundary) {
  ScratchDir dir;
  const uint32_t cyls = ckd::k3390Geometry.max_cyls_per_file + 2;  // two files, sparse
  auto src = EmptyTarget(dir / "src.ckd", cyls, /*split=*/true);
  auto dst = EmptyTarget(dir / "dst.ckd", cyls, /*split=*/true);
  ASSERT_EQ(src.files().size(), 2u);
  const uint32_t boundary = src.files()[1].first_track;
  FillTracks(src, boundary - 13, 26, 4);
  ckd::TrackSet set(src.tracks());
  set.SetRange(boundary - 13, boundary + 12);
  auto backend = Backend(GetParam());
  // 10 tracks per request: the aligned request around the boundary must
  // be split at the file end.
  CopyEngine engine(src, dst, *backend, Options(8, 10));
  auto stats = engine.CopyTracks(set);
  ASSERT_OK(stats);
  EXPECT_EQ(FirstDifference(src, dst, boundary - 20, 40), -1);
  EXPECT_EQ(stats->tracks_copied, 26u);
  // boundary = 37785: runs 37772-37779, 37780-37784 | 37785-37789, 37790-37797.
  EXPECT_EQ(stats->source_excps, 4u);
  EXPECT_TRUE(ckd::IsZeroSlot(Slot(dst, boundary - 14)));
  EXPECT_TRUE(ckd::IsZeroSlot(Slot(dst, boundary + 13)));
  ASSERT_OK(engine.SyncTarget());
}

INSTANTIATE_TEST_SUITE_P(Backends, CopyEngineBackendTest, ::testing::Values("uring", "pread"));

TEST(CopyEngineTest, UringAndPreadProduceIdenticalTargets) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 5);
  auto a = EmptyTarget(dir / "a.ckd");
  auto b = EmptyTarget(dir / "b.ckd");
  auto uring = Backend("uring", 3);
  auto pread = Backend("pread", 2);
  ASSERT_OK(CopyEngine(src, a, *uring, Options(3, 7)).CopyTracks(All(kTracks)));
  ASSERT_OK(CopyEngine(src, b, *pread, Options(2, 30)).CopyTracks(All(kTracks)));
  EXPECT_EQ(pas::testing::ReadFile(dir / "a.ckd"), pas::testing::ReadFile(dir / "b.ckd"));
  EXPECT_EQ(pas::testing::ReadFile(dir / "a.ckd"), pas::testing::ReadFile(dir / "src.ckd"));
}

TEST(CopyEngineTest, TransientReadErrorIsRetried) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 6);
  auto dst = EmptyTarget(dir / "dst.ckd");
  auto backend = Faulty("read_error@3:EIO");
  CopyEngine engine(src, dst, *backend, CopyOptions{});
  auto stats = engine.CopyTracks(All(kTracks));
  ASSERT_OK(stats);
  EXPECT_EQ(stats->read_retries, 1u);
  EXPECT_EQ(stats->source_excps, kCyls + 1);
  EXPECT_EQ(FirstDifference(src, dst, 0, kTracks), -1);
}

TEST(CopyEngineTest, PersistentReadErrorFailsNamingTrackAfterRetries) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 6);
  auto dst = EmptyTarget(dir / "dst.ckd");
  auto backend = Faulty("read_error@5:EIO:sticky", "pread");
  auto* faults = static_cast<FaultInjectingBackend*>(backend.get());
  CopyEngine engine(src, dst, *backend, Options(1, 15, "0A80"));
  auto stats = engine.CopyTracks(All(kTracks));
  ASSERT_FALSE(stats.ok());
  const Status& s = stats.status();
  EXPECT_TRUE(s.IsIoError()) << s.ToString();
  EXPECT_EQ(s.err(), EIO);
  // With one request in flight the fifth read is cylinder 4: tracks 60-74.
  EXPECT_NE(s.message().find("0A80"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("tracks 60-74"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("after 4 attempts"), std::string::npos) << s.message();
  EXPECT_EQ(faults->faults_injected(), 1u + kReadRetries);
  // Everything before was written, nothing from the failed run on.
  EXPECT_EQ(FirstDifference(src, dst, 0, 60), -1);
  EXPECT_TRUE(ckd::IsZeroSlot(Slot(dst, 60)));
  EXPECT_EQ(engine.not_copied().Count(), kTracks - 60);
  for (uint32_t t = 0; t < kTracks; ++t) EXPECT_EQ(engine.not_copied().Test(t), t >= 60) << t;
}

TEST(CopyEngineTest, TargetEnospcFailsWithErrnoAndReportsUncopiedTracks) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 7);
  auto dst = EmptyTarget(dir / "dst.ckd");
  // The space ends in the middle of cylinder 10.
  const uint64_t limit = ckd::kDeviceHeaderSize + uint64_t{157} * dst.slot_size() + 1000;
  auto backend = Faulty("write_enospc@" + std::to_string(limit));
  CopyEngine engine(src, dst, *backend, CopyOptions{});
  auto stats = engine.CopyTracks(All(kTracks));
  ASSERT_FALSE(stats.ok());
  EXPECT_TRUE(stats.status().IsIoError());
  EXPECT_EQ(stats.status().err(), ENOSPC) << stats.status().ToString();
  EXPECT_NE(stats.status().message().find("write of target"), std::string::npos);
  // Runs still being read when the write failed are not written either
  // (which ones depends on completion order): every track outside
  // not_copied() is on the target, the failed run is not.
  for (uint32_t t = 0; t < kTracks; ++t) {
    if (!engine.not_copied().Test(t)) {
      EXPECT_EQ(FirstDifference(src, dst, t, 1), -1) << t;
    }
  }
  for (uint32_t t = 150; t < 165; ++t) EXPECT_TRUE(engine.not_copied().Test(t)) << t;
  EXPECT_LT(engine.not_copied().Count(), kTracks);  // runs before the failure were written
}

TEST(CopyEngineTest, TargetWriteErrorFailsWithItsErrno) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 7);
  auto dst = EmptyTarget(dir / "dst.ckd");
  auto backend = Faulty("write_error@4:EROFS");
  CopyEngine engine(src, dst, *backend, CopyOptions{});
  auto stats = engine.CopyTracks(All(kTracks));
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().err(), EROFS) << stats.status().ToString();
  EXPECT_GE(engine.not_copied().Count(), 15u);
  EXPECT_LT(engine.not_copied().Count(), kTracks);
  // Whatever is not in not_copied() is on the target.
  for (uint32_t t = 0; t < kTracks; ++t) {
    if (!engine.not_copied().Test(t)) {
      EXPECT_EQ(Slot(dst, t), Slot(src, t)) << t;
    }
  }
}

TEST(CopyEngineTest, ShortTransfersAndEagainStillCopyEverything) {
  for (const char* kind : {"uring", "pread"}) {
    SCOPED_TRACE(kind);
    ScratchDir dir;
    auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 8);
    auto dst = EmptyTarget(dir / "dst.ckd");
    auto backend = Faulty("short_reads,short_writes,eagain@3", kind);
    auto* faults = static_cast<FaultInjectingBackend*>(backend.get());
    CopyEngine engine(src, dst, *backend, Options(4));
    auto stats = engine.CopyTracks(All(kTracks));
    ASSERT_OK(stats);
    EXPECT_GT(faults->faults_injected(), 2u * kCyls);
    EXPECT_GT(stats->source_excps, kCyls);  // resumed transfers are extra requests
    EXPECT_GT(stats->target_excps, kCyls);
    EXPECT_EQ(stats->bytes_written, uint64_t{kTracks} * dst.slot_size());
    EXPECT_EQ(FirstDifference(src, dst, 0, kTracks), -1);
  }
}

TEST(CopyEngineTest, EndlessEagainFailsInsteadOfLooping) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", 2, 8);
  auto dst = EmptyTarget(dir / "dst.ckd", 2);
  auto backend = Faulty("eagain@1");
  CopyEngine engine(src, dst, *backend, CopyOptions{});
  auto stats = engine.CopyTracks(All(30));
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().err(), EAGAIN) << stats.status().ToString();
  EXPECT_EQ(engine.not_copied().Count(), 30u);
}

TEST(CopyEngineTest, CorruptSourceTrackFailsAndIsNeverWritten) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 9);
  auto dst = EmptyTarget(dir / "dst.ckd");
  auto slot = Slot(src, 50);
  const uint32_t used = ckd::TrackUsedLength(slot);
  ASSERT_GT(used, ckd::kEndOfTrackSize);
  slot[used - 1] = 0x00;  // the end-of-track marker is gone
  ASSERT_OK(src.WriteTrack(50, slot));
  auto backend = Backend("uring");
  CopyEngine engine(src, dst, *backend, Options(8, 15, "0A80"));
  auto stats = engine.CopyTracks(All(kTracks));
  ASSERT_FALSE(stats.ok());
  EXPECT_TRUE(stats.status().IsCorruption()) << stats.status().ToString();
  EXPECT_NE(stats.status().message().find("0A80"), std::string::npos);
  EXPECT_NE(stats.status().message().find("50"), std::string::npos) << stats.status().message();
  EXPECT_TRUE(ckd::IsZeroSlot(Slot(dst, 50)));
  EXPECT_TRUE(engine.not_copied().Test(50));
  for (uint32_t t = 0; t < kTracks; ++t) {
    if (!engine.not_copied().Test(t)) {
      EXPECT_EQ(Slot(dst, t), Slot(src, t)) << t;
    }
  }
}

TEST(CopyEngineTest, TornAndLostWritesAreVisibleOnlyByComparison) {
  // The injected faults report success: the copy "succeeds" and only a
  // comparison finds the damage (what a verifying pass must catch).
  for (const char* spec : {"torn_write@2", "lost_write@2"}) {
    SCOPED_TRACE(spec);
    ScratchDir dir;
    auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 10);
    auto dst = EmptyTarget(dir / "dst.ckd");
    auto backend = Faulty(spec, "pread");
    CopyEngine engine(src, dst, *backend, Options(1));
    ASSERT_OK(engine.CopyTracks(All(kTracks)));
    // With one request in flight the second write is cylinder 1: tracks 15-29.
    EXPECT_EQ(FirstDifference(src, dst, 0, 15), -1);
    EXPECT_NE(FirstDifference(src, dst, 15, 15), -1);
    EXPECT_EQ(FirstDifference(src, dst, 30, kTracks - 30), -1);
  }
}

TEST(CopyEngineTest, VerifyWritesRewritesTornAndLostWrites) {
  // The same faults with read-back verification: the engine finds the run
  // that does not read back as written and writes it again, whether it
  // went through the page cache (read back after the copy) or was written
  // directly (read back at once).
  for (bool direct : {false, true}) {
    for (const char* spec : {"torn_write@2", "lost_write@2"}) {
      for (const char* kind : {"pread", "uring"}) {
        SCOPED_TRACE(std::string(spec) + " " + kind + (direct ? " direct_writes" : ""));
        ScratchDir dir;
        auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 10);
        auto dst = EmptyTarget(dir / "dst.ckd");
        auto backend = Faulty(spec, kind);
        CopyOptions options = Options(kind == std::string("pread") ? 1 : 4);
        options.verify_writes = true;
        options.direct_writes = direct;
        CopyEngine engine(src, dst, *backend, options);
        auto stats = engine.CopyTracks(All(kTracks));
        ASSERT_OK(stats);
        EXPECT_EQ(stats->verify_rewrites, 1u);
        EXPECT_EQ(stats->tracks_verified, kTracks);
        EXPECT_EQ(stats->tracks_copied, kTracks);
        EXPECT_EQ(FirstDifference(src, dst, 0, kTracks), -1);
      }
    }
  }
}

TEST(CopyEngineTest, VerifyWritesFailsATargetThatKeepsNothing) {
  for (bool direct : {false, true}) {
    SCOPED_TRACE(direct ? "direct_writes" : "through the page cache");
    ScratchDir dir;
    auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 12);
    auto dst = EmptyTarget(dir / "dst.ckd");
    auto backend = Faulty("lost_writes", "uring");
    CopyOptions options = Options(4, 15, "0A80");
    options.verify_writes = true;
    options.direct_writes = direct;
    CopyEngine engine(src, dst, *backend, options);
    auto stats = engine.CopyTracks(All(kTracks));
    ASSERT_FALSE(stats.ok());
    EXPECT_TRUE(stats.status().IsCorruption()) << stats.status().ToString();
    EXPECT_NE(stats.status().message().find("did not read back as written"), std::string::npos)
        << stats.status().message();
    EXPECT_EQ(engine.not_copied().Count(), kTracks);  // nothing counts as copied
  }
}

TEST(CopyEngineTest, VerifyWritesReadsBackEveryRunOfALargeCopy) {
  // A copy far larger than the slots (85 MB through 4 slots of 852 KB):
  // every written run is remembered by its CRC and read back after the
  // last one; a lost write early on is found and copied again from the
  // source, in both backends. Progress counts each run once.
  constexpr uint32_t kBigCyls = 100;
  for (const char* kind : {"pread", "uring"}) {
    SCOPED_TRACE(kind);
    ScratchDir dir;
    auto src = MakeSourceVolume(dir / "src.ckd", kBigCyls, 13);
    auto dst = EmptyTarget(dir / "dst.ckd", kBigCyls);
    auto backend = Faulty("lost_write@3", kind);
    CopyOptions options = Options(4);
    options.verify_writes = true;
    uint64_t last_progress = 0;
    options.progress = [&](uint64_t done) { last_progress = done; };
    CopyEngine engine(src, dst, *backend, options);
    auto stats = engine.CopyTracks(All(kBigCyls * 15));
    ASSERT_OK(stats);
    EXPECT_EQ(stats->verify_rewrites, 1u);
    EXPECT_EQ(stats->tracks_verified, kBigCyls * 15);
    EXPECT_EQ(stats->verify_reads,
              kBigCyls + 1);  // one per run, one more for the run written again
    EXPECT_EQ(last_progress, kBigCyls * 15);
    EXPECT_EQ(engine.not_copied().Count(), 0u);
    EXPECT_EQ(FirstDifference(src, dst, 0, kBigCyls * 15), -1);
  }
}

TEST(CopyEngineTest, VerifyWritesFormatsAgainARunThatWasLost) {
  // Formatting through full slots (skip_equal): a lost write of empty
  // tracks is built and written again, not read from the source.
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 14);
  auto dst = MakeSourceVolume(dir / "dst.ckd", kCyls, 15);  // data the format must replace
  auto backend = Faulty("lost_write@1");
  CopyOptions options = Options(2);
  options.verify_writes = true;
  options.skip_equal = true;
  CopyEngine engine(src, dst, *backend, options);
  auto stats = engine.FormatTracks(All(kTracks));
  ASSERT_OK(stats);
  EXPECT_EQ(stats->verify_rewrites, 1u);
  EXPECT_EQ(stats->bytes_read, 0u);  // the source is never read
  for (uint32_t t = 0; t < kTracks; ++t) {
    auto slot = Slot(dst, t);
    EXPECT_OK(ckd::ValidateTrack(slot, dst.geometry(), t));
    EXPECT_TRUE(ckd::IsEmptyTrack(slot)) << "track " << t;
  }
}

// Pages of `path` in [begin, end) held by the page cache (mincore).
size_t ResidentPages(const std::string& path, uint64_t begin, uint64_t end) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0) << path;
  if (fd < 0) return 0;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  begin = begin / page * page;
  const size_t length = static_cast<size_t>(end - begin);
  void* map = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(begin));
  ::close(fd);
  EXPECT_NE(map, MAP_FAILED);
  if (map == MAP_FAILED) return 0;
  std::vector<unsigned char> vec((length + page - 1) / page);
  EXPECT_EQ(::mincore(map, length, vec.data()), 0);
  ::munmap(map, length);
  size_t n = 0;
  for (unsigned char v : vec) n += v & 1;
  return n;
}

// Writes the file's dirty pages and drops its pages from the page cache.
void Evict(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0) << path;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

TEST(CopyEngineTest, DirectWritesPlanAlignedRunsAndBypassThePageCache) {
  // A 3390 slot starts on a 4 KiB boundary every 8 tracks (track 1, 9,
  // 17, ...). With direct_writes the runs are track 0 alone, then 16
  // tracks at a time from track 1: 1 + 18 runs of 16 + one of 11 for 300
  // tracks. Every aligned run is written with O_DIRECT and read back at
  // once, so none of its pages stays in the page cache; the same copy
  // without direct_writes leaves them there. The last run ends with the
  // file, not on a boundary, and goes through the page cache.
  for (bool direct : {true, false}) {
    SCOPED_TRACE(direct ? "direct_writes" : "buffered");
    ScratchDir dir;
    auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 16);
    auto dst = EmptyTarget(dir / "dst.ckd");
    Evict(dir / "dst.ckd");
    auto backend = Backend("uring", 8);
    CopyOptions options = Options(8);
    options.verify_writes = true;
    options.direct_writes = direct;
    CopyEngine engine(src, dst, *backend, options);
    auto stats = engine.CopyTracks(All(kTracks));
    ASSERT_OK(stats);
    EXPECT_EQ(stats->tracks_verified, kTracks);
    const uint64_t ss = ckd::k3390Geometry.slot_size;
    const uint64_t aligned_begin = 512 + ss, aligned_end = 512 + 289 * ss;
    ASSERT_EQ(aligned_begin % 4096, 0u);
    ASSERT_EQ(aligned_end % 4096, 0u);
    // Before the comparison, which reads the target through the page cache.
    const size_t resident = ResidentPages(dir / "dst.ckd", aligned_begin, aligned_end);
    EXPECT_EQ(FirstDifference(src, dst, 0, kTracks), -1);
    if (direct) {
      EXPECT_EQ(stats->source_excps, 20u);
      EXPECT_EQ(stats->verify_reads, 20u);
      EXPECT_EQ(resident, 0u);
    } else {
      EXPECT_EQ(stats->source_excps, kCyls);  // one request per cylinder
      EXPECT_GT(resident, (aligned_end - aligned_begin) / 4096 / 2);
    }
    ASSERT_OK(engine.SyncTarget());
  }
}

TEST(CopyEngineTest, DirectWritesAcrossTheFilesOfAMultiFileSet) {
  // Each file of the set has its own header, so its 4 KiB boundaries fall
  // on other tracks than the first file's: runs are planned per file.
  ScratchDir dir;
  const uint32_t cyls = ckd::k3390Geometry.max_cyls_per_file + 4;  // two files, sparse
  auto src = EmptyTarget(dir / "src.ckd", cyls, /*split=*/true);
  auto dst = EmptyTarget(dir / "dst.ckd", cyls, /*split=*/true);
  ASSERT_EQ(src.files().size(), 2u);
  const uint32_t boundary = src.files()[1].first_track;
  FillTracks(src, boundary - 40, 80, 4);
  ckd::TrackSet set(src.tracks());
  set.SetRange(boundary - 40, boundary + 39);
  auto backend = Backend("uring");
  CopyOptions options = Options(8);
  options.verify_writes = true;
  options.direct_writes = true;
  CopyEngine engine(src, dst, *backend, options);
  auto stats = engine.CopyTracks(set);
  ASSERT_OK(stats);
  EXPECT_EQ(stats->tracks_copied, 80u);
  EXPECT_EQ(stats->tracks_verified, 80u);
  EXPECT_EQ(FirstDifference(src, dst, boundary - 50, 100), -1);
  EXPECT_TRUE(ckd::IsZeroSlot(Slot(dst, boundary - 41)));
  EXPECT_TRUE(ckd::IsZeroSlot(Slot(dst, boundary + 40)));
  ASSERT_OK(engine.SyncTarget());
}

// A pread backend that records the ranges asked for with Prefetch.
class PrefetchRecorder final : public IoBackend {
 public:
  PrefetchRecorder() : inner_(MakePreadBackend(8)) {}
  std::string name() const override { return "recorder(" + inner_->name() + ")"; }
  unsigned capacity() const override { return inner_->capacity(); }
  Status Submit(const IoRequest& req) override { return inner_->Submit(req); }
  Result<std::span<const IoCompletion>> Wait(unsigned n) override { return inner_->Wait(n); }
  Status Sync(int fd) override { return inner_->Sync(fd); }
  unsigned outstanding() const override { return inner_->outstanding(); }
  void Prefetch(int fd, uint64_t offset, uint64_t length) override {
    prefetched.emplace_back(offset, length);
    inner_->Prefetch(fd, offset, length);
  }
  std::vector<std::pair<uint64_t, uint64_t>> prefetched;

 private:
  std::unique_ptr<IoBackend> inner_;
};

TEST(CopyEngineTest, RunsThroughThePageCacheHaveTheirPartialBlocksPrefetched) {
  // Tracks 20 and 40-41 copied through the page cache (as the final copy
  // under the quiesce is): each run starts and ends inside a 4 KiB block,
  // and those blocks are asked for before the run is written, so the write
  // does not read them itself. A direct run asks for nothing.
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 19);
  auto dst = EmptyTarget(dir / "dst.ckd");
  const uint64_t ss = ckd::k3390Geometry.slot_size;
  {
    PrefetchRecorder backend;
    CopyOptions options = Options(4);
    options.verify_writes = true;
    options.direct_io = false;
    CopyEngine engine(src, dst, backend, options);
    ckd::TrackSet set(kTracks);
    set.Set(20);
    set.SetRange(40, 41);
    ASSERT_OK(engine.CopyTracks(set));
    auto block = [](uint64_t offset) {
      return std::make_pair(offset / 4096 * 4096, uint64_t{4096});
    };
    std::vector<std::pair<uint64_t, uint64_t>> want = {block(512 + 20 * ss), block(512 + 21 * ss),
                                                       block(512 + 40 * ss), block(512 + 42 * ss)};
    EXPECT_EQ(backend.prefetched, want);
    EXPECT_EQ(FirstDifference(src, dst, 20, 1), -1);
    EXPECT_EQ(FirstDifference(src, dst, 40, 2), -1);
  }
  {
    PrefetchRecorder backend;
    CopyOptions options = Options(4);
    options.verify_writes = true;
    options.direct_writes = true;
    CopyEngine engine(src, dst, backend, options);
    ckd::TrackSet set(kTracks);
    set.SetRange(17, 32);  // tracks 17-32: one aligned run of 16
    ASSERT_OK(engine.CopyTracks(set));
    EXPECT_TRUE(backend.prefetched.empty());
    EXPECT_EQ(FirstDifference(src, dst, 17, 16), -1);
  }
}

TEST(CopyEngineTest, CancelStopsAndReportsTheRest) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", kCyls, 11);
  auto dst = EmptyTarget(dir / "dst.ckd");
  auto backend = Backend("uring");
  std::atomic<bool> cancel{false};
  uint64_t progress_calls = 0;
  CopyOptions options = Options(2);
  options.progress = [&](uint64_t done) {
    ++progress_calls;
    if (done >= 45) cancel = true;
  };
  options.cancel = &cancel;
  CopyEngine engine(src, dst, *backend, options);
  auto stats = engine.CopyTracks(All(kTracks));
  ASSERT_FALSE(stats.ok());
  EXPECT_TRUE(stats.status().IsAborted()) << stats.status().ToString();
  EXPECT_GE(progress_calls, 3u);
  const uint32_t left = engine.not_copied().Count();
  EXPECT_GT(left, 0u);
  EXPECT_LE(left, kTracks - 45);
  for (uint32_t t = 0; t < kTracks; ++t) {
    if (!engine.not_copied().Test(t)) {
      EXPECT_EQ(Slot(dst, t), Slot(src, t)) << t;
    }
  }
}

TEST(CopyEngineTest, SyncErrorIsReported) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", 2, 12);
  auto dst = EmptyTarget(dir / "dst.ckd", 2);
  auto backend = Faulty("sync_error@1:EIO");
  CopyEngine engine(src, dst, *backend, CopyOptions{});
  ASSERT_OK(engine.CopyTracks(All(30)));
  Status s = engine.SyncTarget();
  EXPECT_TRUE(s.IsIoError());
  EXPECT_EQ(s.err(), EIO);
  EXPECT_OK(engine.SyncTarget());  // only the first sync was made to fail
}

TEST(CopyEngineTest, MismatchedDevicesAndBadOptionsAreRefused) {
  ScratchDir dir;
  auto src = MakeSourceVolume(dir / "src.ckd", 2, 13);
  auto other = ckd::CkdImage::Create(dir / "3380.ckd", ckd::k3380Geometry, 2, false);
  ASSERT_OK(other);
  auto backend = Backend("pread", 4);
  auto r = CopyEngine(src, *other, *backend, Options(4)).CopyTracks(All(30));
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  auto dst = EmptyTarget(dir / "dst.ckd", 2);
  r = CopyEngine(src, dst, *backend, Options(5)).CopyTracks(All(30));
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  r = CopyEngine(src, dst, *backend, Options(4, 0)).CopyTracks(All(30));
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  EXPECT_TRUE(ckd::IsZeroSlot(Slot(dst, 0)));
}

}  // namespace
}  // namespace pas::engine
