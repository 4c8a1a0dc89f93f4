// The workload respects the VTOC, with real processes: it allocates its own
// data set PAS.WORKLOAD through the VTOC (the Hercules tools list it) and
// writes nothing else; a SWAP under the workload, as the README's example
// runs it, then copies every write (the copy pass copies what the VTOC
// allocates); systems that are not told --system-index claim disjoint
// shares.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "ckd/vtoc.h"
#include "swap_fixture.h"
#include "workload/journal.h"

namespace pas::swaptest {
namespace {

using pas::testing::ReadFile;

class WorkloadVtocTest : public SwapFixture {
 protected:
  // The tracks of data set `name` on `image` (empty when it has none).
  static std::set<uint32_t> DataSetTracks(const std::string& image, const std::string& name) {
    std::set<uint32_t> out;
    auto img = ckd::CkdImage::Open(image, false);
    EXPECT_TRUE(img.ok());
    if (!img.ok()) return out;
    auto vtoc = ckd::ReadVtoc(*img);
    EXPECT_TRUE(vtoc.ok()) << vtoc.status().ToString();
    if (!vtoc.ok()) return out;
    for (const auto& ds : vtoc->datasets) {
      if (ds.name != name) continue;
      for (const auto& e : ds.extents) {
        for (uint32_t t = ckd::RelativeTrack(img->geometry(), e.begin);
             t <= ckd::RelativeTrack(img->geometry(), e.end); ++t) {
          out.insert(t);
        }
      }
    }
    return out;
  }
  // The slot bytes of `track` of the image file `bytes`.
  static std::string Slot(const std::string& bytes, uint32_t track) {
    return bytes.substr(ckd::kDeviceHeaderSize + uint64_t{track} * ckd::k3390Geometry.slot_size,
                        ckd::k3390Geometry.slot_size);
  }
  // The tracks journaled in every file of journal base `base`.
  std::set<uint32_t> JournaledTracks(const std::string& base) {
    std::set<uint32_t> out;
    auto files = workload::ExpandJournalNames({dir_ / base});
    EXPECT_TRUE(files.ok()) << files.status().ToString();
    if (!files.ok()) return out;
    for (const auto& f : *files) {
      auto c = workload::ReadJournal(f);
      EXPECT_TRUE(c.ok());
      if (c.ok())
        for (const auto& e : c->entries) out.insert(e.track);
    }
    return out;
  }
};

// The README's example: a new volume with an empty VTOC, a workload, a
// SWAP under it, then `pas workload verify` on the target. The workload
// used to write cylinder 1 to the end while the copy copies what the VTOC
// allocates: the target missed most writes (reported LOST).
TEST_F(WorkloadVtocTest, ReadmeSwapUnderWorkloadVerifiesClean) {
  const std::string vol = dir_ / "vol.ckd", tgt = dir_ / "new.ckd";
  ASSERT_EQ(Pas({"volume", "init", vol, "--cylinders", "60", "--volser", "VM1887", "--vtoc"}).exit_code, 0);
  ASSERT_EQ(Pas({"volume", "init", tgt, "--cylinders", "60", "--volser", "NEW887"}).exit_code, 0);
  const std::string cfg = Config("SYSA", "0A0001", {{"1887", vol}, {"B887", tgt, true}});
  auto w = Start({"workload", "run", "--unit", "1887", "--writers", "2", "--duration", "4", "--journal",
                  dir_ / "j", "--config", cfg},
                 "workload-j");
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  ProcessResult r = RunDeck(cfg, "  SWAP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=VM1887,SWAPUNIT=B887\n");
  EXPECT_TRUE(Contains(r.out, "PAS241I PAS SUCCESSFULLY COMPLETED SWAP OF VOL=VM1887 TO UNIT=B887")) << r.out << r.err;
  ASSERT_EQ(w->Wait(60), 0) << w->Stdout() << w->Stderr();
  EXPECT_TRUE(Contains(w->Stdout(), "PAS760I DATA SET PAS.WORKLOAD ALLOCATED ON VOL=VM1887")) << w->Stdout();
  EXPECT_TRUE(Contains(w->Stdout(), "AREA data set PAS.WORKLOAD")) << w->Stdout();
  ProcessResult v = Verify(tgt, {"j"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_TRUE(Contains(v.out, "PAS175I")) << v.out;
  EXPECT_FALSE(Contains(v.out, "LOST")) << v.out;
  // The data set is a real one: the Hercules tools list it on the target.
  EXPECT_TRUE(Contains(Dasdls(tgt), "PAS.WORKLOAD")) << Dasdls(tgt);
}

// A volume with other data sets: the workload allocates PAS.WORKLOAD in free
// space, writes only there, and every other track (the data sets, free
// space) is byte-identical afterwards.
TEST_F(WorkloadVtocTest, OtherDataSetsAreByteIdenticalAfterAWorkloadRun) {
  const std::string vol = dir_ / "vol.ckd";
  {
    auto img = ckd::CkdImage::Create(vol, ckd::k3390Geometry, 20, false);
    ASSERT_TRUE(img.ok());
    ASSERT_TRUE(ckd::FormatVolume(*img, "VM1887", true).ok());
    ckd::DataSetSpec a{.name = "PAS.TEST.TEXT", .tracks = 5, .lrecl = 80, .blksize = 3120, .records = 600, .fill = {}};
    ckd::DataSetSpec b{.name = "PAS.TEST.DATA", .tracks = 20, .lrecl = 200, .blksize = 27800, .records = 2000,
                       .fill = {}};
    ASSERT_TRUE(ckd::AddDataSet(*img, a).ok());
    ASSERT_TRUE(ckd::AddDataSet(*img, b).ok());
  }
  const std::set<uint32_t> vtoc_tracks = {1, 2, 3, 4};
  const std::string before = ReadFile(vol);
  const std::string cfg = Config("SYSA", "0A0001", {{"1887", vol}});
  ProcessResult w = Pas({"workload", "run", "--unit", "1887", "--writers", "2", "--writes", "300", "--allocate", "40",
                         "--journal", dir_ / "j", "--config", cfg});
  ASSERT_EQ(w.exit_code, 0) << w.out << w.err;
  EXPECT_TRUE(Contains(w.out, "PAS760I DATA SET PAS.WORKLOAD ALLOCATED ON VOL=VM1887: TRACKS 30-69 (40 TRACKS)"))
      << w.out;
  const std::set<uint32_t> own = DataSetTracks(vol, "PAS.WORKLOAD");
  ASSERT_EQ(own.size(), 40u);
  const std::set<uint32_t> written = JournaledTracks("j");
  ASSERT_FALSE(written.empty());
  for (uint32_t t : written) EXPECT_TRUE(own.count(t)) << "track " << t << " is not in PAS.WORKLOAD";
  const std::string after = ReadFile(vol);
  ASSERT_EQ(after.size(), before.size());
  uint32_t unchanged = 0;
  for (uint32_t t = 0; t < 20 * 15; ++t) {
    if (own.count(t) || vtoc_tracks.count(t)) continue;
    EXPECT_TRUE(Slot(before, t) == Slot(after, t)) << "track " << t << " changed";
    ++unchanged;
  }
  EXPECT_EQ(unchanged, 300u - 40u - 4u);
  ProcessResult v = Verify(vol, {"j"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  const std::string ls = Dasdls(vol);
  for (const char* name : {"PAS.TEST.TEXT", "PAS.TEST.DATA", "PAS.WORKLOAD"}) EXPECT_TRUE(Contains(ls, name)) << ls;
}

// Two systems that have the volume online start workloads at once without
// --system-index or --systems: one allocates, each claims its own share,
// and no track is written by both (each journal verifies alone). A third
// run that would overlap them is refused and writes nothing.
TEST_F(WorkloadVtocTest, TwoSystemsClaimDisjointSharesWithoutBeingTold) {
  const std::string vol = dir_ / "vol.ckd";
  ASSERT_EQ(Pas({"volume", "init", vol, "--cylinders", "20", "--volser", "VM1887", "--vtoc"}).exit_code, 0);
  const std::string cfg_a = Config("SYSA", "0A0001", {{"1887", vol}});
  const std::string cfg_b = Config("SYSB", "0B0002", {{"2887", vol}});
  // Both systems have the unit online (configuration load publishes it).
  ASSERT_EQ(Pas({"display", "--config", cfg_a}).exit_code, 0);
  ASSERT_EQ(Pas({"display", "--config", cfg_b}).exit_code, 0);
  auto wa = Start({"workload", "run", "--unit", "1887", "--writers", "2", "--duration", "3", "--journal", dir_ / "ja",
                   "--config", cfg_a},
                  "workload-ja");
  auto wb = Start({"workload", "run", "--unit", "2887", "--writers", "2", "--duration", "3", "--journal", dir_ / "jb",
                   "--config", cfg_b},
                  "workload-jb");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ProcessResult third = Pas({"workload", "run", "--unit", "1887", "--writers", "2", "--writes", "5", "--journal",
                             dir_ / "jc", "--config", cfg_a});
  EXPECT_EQ(third.exit_code, 12) << third.out << third.err;
  EXPECT_TRUE(Contains(third.err, "PAS762E UNIT=1887: WORKLOAD SHARE OVERLAPS A RUNNING WORKLOAD")) << third.err;
  ASSERT_EQ(wa->Wait(60), 0) << wa->Stdout() << wa->Stderr();
  ASSERT_EQ(wb->Wait(60), 0) << wb->Stdout() << wb->Stderr();
  EXPECT_FALSE(workload::ExpandJournalNames({dir_ / "jc"}).ok()) << "the refused run journaled writes";
  const std::string out = wa->Stdout() + wb->Stdout();
  // Exactly one of them allocated PAS.WORKLOAD (under the claim lock).
  size_t allocations = 0;
  for (size_t p = 0; (p = out.find("PAS760I", p)) != std::string::npos; ++p) ++allocations;
  EXPECT_EQ(allocations, 1u) << out;
  EXPECT_TRUE(Contains(out, "SHARE 0 OF 2")) << out;
  EXPECT_TRUE(Contains(out, "SHARE 1 OF 2")) << out;
  EXPECT_FALSE(DataSetTracks(vol, "PAS.WORKLOAD").empty());
  const std::set<uint32_t> a = JournaledTracks("ja"), b = JournaledTracks("jb");
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  for (uint32_t t : a) EXPECT_EQ(b.count(t), 0u) << "track " << t << " written by both systems";
  // Disjoint: each journal verifies alone (no track overwritten by the other).
  ProcessResult va = Verify(vol, {"ja"});
  EXPECT_EQ(va.exit_code, 0) << va.out;
  ProcessResult vb = Verify(vol, {"jb"});
  EXPECT_EQ(vb.exit_code, 0) << vb.out;
}

// Two runs on one volume told the same share by hand (the overlap the shares
// prevent): verify names the tracks the other run wrote over as
// "overwritten by another writer", not as lost.
TEST_F(WorkloadVtocTest, VerifyTellsOverwrittenByAnotherWriterFromLost) {
  const std::string vol = dir_ / "vol.ckd";
  ASSERT_EQ(Pas({"volume", "init", vol, "--cylinders", "5", "--volser", "VM1887"}).exit_code, 0);
  const std::string cfg_a = Config("SYSA", "0A0001", {{"1887", vol}});
  const std::string cfg_b = Config("SYSB", "0B0002", {{"2887", vol}});
  // One after the other (not overlapping in time, so not refused), both
  // writing every track of 15-24.
  for (const auto& [cfg, unit, j] : {std::tuple{cfg_a, "1887", "ja"}, std::tuple{cfg_b, "2887", "jb"}}) {
    ProcessResult w = Pas({"workload", "run", "--unit", unit, "--writers", "1", "--writes", "200", "--systems", "1",
                           "--tracks", "15-24", "--journal", dir_ / j, "--config", cfg});
    ASSERT_EQ(w.exit_code, 0) << w.out << w.err;
  }
  ProcessResult v = Verify(vol, {"ja"});
  EXPECT_EQ(v.exit_code, 1) << v.out;
  EXPECT_TRUE(Contains(v.out, "PAS763E TRACK 15 (CC 1 HH 0): OVERWRITTEN BY ANOTHER WRITER")) << v.out;
  EXPECT_TRUE(Contains(v.out, "PAS178E")) << v.out;
  EXPECT_TRUE(Contains(v.out, "0 LOST, 0 TORN, 10 OVERWRITTEN BY ANOTHER WRITER")) << v.out;
  ProcessResult both = Verify(vol, {"ja", "jb"});
  EXPECT_EQ(both.exit_code, 0) << both.out;
}

}  // namespace
}  // namespace pas::swaptest
