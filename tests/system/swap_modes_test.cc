// SWAPDUMP, SIMSWAP, SIMSWAPMON, NONRESPONDING=FAIL, bad targets (no
// write anywhere), MAXTASKS with 8 volumes and LARGERSIZE, with real
// processes.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "ckd/track.h"
#include "ckd/vtoc.h"
#include "swap_fixture.h"
#include "workload/record.h"

namespace pas::swaptest {
namespace {

using pas::testing::ReadFile;

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

class SwapModesTest : public SwapFixture {
 protected:
  void SetUp() override {
    src_ = MakeSourceVolume("vm1887.ckd", "VM1887");
    tgt_ = MakeEmptyVolume("b887.ckd", "NEW887");
    cfg_a_ = Config("SYSA", "0A0001", {{"1887", src_}, {"B887", tgt_, true}});
    cfg_b_ = Config("SYSB", "0B0002", {{"2887", src_}, {"C887", tgt_, true}});
  }
  std::string Deck(const std::string& function, const std::string& extra = "") {
    return "  " + function + " TYPE=FULL" + extra + "\n  MOUNT VOL=VM1887,SWAPUNIT=B887\n";
  }
  std::string src_, tgt_, cfg_a_, cfg_b_;
};

TEST_F(SwapModesTest, SwapDumpWithoutWorkloadGivesAnEqualCopy) {
  ProcessResult r = RunDeck(cfg_a_, Deck("SWAPDUMP"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS242I PAS SUCCESSFULLY COMPLETED SWAPDUMP OF VOL=VM1887 TO UNIT=B887")) << r.out;
  ProcessResult c = Pas({"volume", "compare", src_, tgt_});
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_EQ(Volser(src_), "VM1887");  // no relabel after a dump
  EXPECT_TRUE(Contains(DisplayLine(cfg_a_, "1887"), src_));
  EXPECT_TRUE(Contains(Dasdls(tgt_), "PAS.TEST.DATA"));
}

// A target made by `pas volume init` and not written since: its empty
// tracks are not formatted again (PAS249I counts them), and the copy is
// the same volume.
TEST_F(SwapModesTest, SwapDumpToAFreshTargetFormatsNoEmptyTrack) {
  ASSERT_EQ(InitVolume("b887.ckd", "NEW887"), tgt_);
  ProcessResult r = RunDeck(cfg_a_, Deck("SWAPDUMP"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // 20 cylinders of 15 tracks = 300: track 0, the VTOC (4) and the data
  // sets (PAS.TEST.TEXT 5, PAS.TEST.DATA 20, PAS.WORKLOAD 60) from track 5
  // on are copied (tracks 0-89); the other 210, all past cylinder 0, are
  // empty on the fresh target.
  EXPECT_TRUE(Contains(r.out, "PAS249I TARGET OF VOL=VM1887: 0 EMPTY TRACKS FORMATTED")) << r.out;
  EXPECT_TRUE(Contains(r.out, ", 210 ALREADY EMPTY")) << r.out;
  ProcessResult c = Pas({"volume", "compare", src_, tgt_});
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_TRUE(Contains(Dasdls(tgt_), "PAS.TEST.DATA"));
  // The marker went with the first write: a second dump formats again.
  ProcessResult again = RunDeck(cfg_a_, Deck("SWAPDUMP"));
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_TRUE(Contains(again.out, ", 0 ALREADY EMPTY")) << again.out;
}

// The same target written by another program after `pas volume init`: the
// marker no longer matches the file, so every empty track is formatted,
// and what the other program wrote is gone from the copy.
TEST_F(SwapModesTest, ATargetWrittenAfterItsInitIsFormattedWhole) {
  ASSERT_EQ(InitVolume("b887.ckd", "NEW887"), tgt_);
  // A later write (not in the same clock tick as the format's last one).
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  {
    auto src = ckd::CkdImage::Open(src_, false);
    ASSERT_TRUE(src.ok()) << src.status().ToString();
    std::vector<uint8_t> slot(ckd::k3390Geometry.slot_size);
    // A data track of the source (PAS.TEST.DATA) written where the source
    // has no data set: cylinder 19, head 14.
    bool found = false;
    for (uint32_t t = 15; t < src->tracks() && !found; ++t) {
      ASSERT_TRUE(src->ReadTrack(t, slot).ok());
      auto parsed = ckd::ParseTrack(slot, ckd::k3390Geometry, t);
      found = parsed.ok() && parsed->records.size() > 1;
    }
    ASSERT_TRUE(found);
    const uint32_t stray = src->tracks() - 1;
    ckd::Cchh where = ckd::TrackAddress(ckd::k3390Geometry, stray);
    slot[1] = static_cast<uint8_t>(where.cyl >> 8);  // home address: cylinder, head
    slot[2] = static_cast<uint8_t>(where.cyl);
    slot[3] = static_cast<uint8_t>(where.head >> 8);
    slot[4] = static_cast<uint8_t>(where.head);
    int fd = ::open(tgt_.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    const off_t off = 512 + static_cast<off_t>(stray) * ckd::k3390Geometry.slot_size;
    ASSERT_EQ(::pwrite(fd, slot.data(), slot.size(), off), static_cast<ssize_t>(slot.size()));
    ::close(fd);
  }
  ProcessResult r = RunDeck(cfg_a_, Deck("SWAPDUMP"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS249I TARGET OF VOL=VM1887: 210 EMPTY TRACKS FORMATTED")) << r.out;
  EXPECT_TRUE(Contains(r.out, ", 0 ALREADY EMPTY")) << r.out;
  ProcessResult c = Pas({"volume", "compare", src_, tgt_});
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
}

TEST_F(SwapModesTest, SwapDumpUnderWorkloadLeavesSystemsOnSourceAndAConsistentTarget) {
  auto mon = Monitor(cfg_b_, "C887");
  auto wa = Workload(cfg_a_, "1887", "ja", 0, 2, 3);
  auto wb = Workload(cfg_b_, "2887", "jb", 1, 2, 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ProcessResult r = RunDeck(cfg_a_, Deck("SWAPDUMP"), {"PAS_JOIN_TIMEOUT=10"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS242I")) << r.out;
  EXPECT_EQ(wa->Wait(60), 0) << wa->Stderr();
  EXPECT_EQ(wb->Wait(60), 0) << wb->Stderr();
  // Every system still on the source, and nothing lost there.
  EXPECT_TRUE(Contains(DisplayLine(cfg_a_, "1887"), src_)) << DisplayLine(cfg_a_, "1887");
  EXPECT_TRUE(Contains(DisplayLine(cfg_b_, "2887"), src_)) << DisplayLine(cfg_b_, "2887");
  ProcessResult v = Verify(src_, {"ja", "jb"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  // The target is a point-in-time copy: every workload track is whole.
  auto img = ckd::CkdImage::Open(tgt_, false);
  ASSERT_OK(img);
  auto vtoc = ckd::ReadVtoc(*img);
  ASSERT_OK(vtoc);
  int intact = 0;
  std::vector<uint8_t> slot(img->slot_size());
  for (const auto& ds : vtoc->datasets) {
    if (ds.name != "PAS.WORKLOAD") continue;
    for (const auto& e : ds.extents) {
      for (uint32_t t = ckd::RelativeTrack(img->geometry(), e.begin); t <= ckd::RelativeTrack(img->geometry(), e.end);
           ++t) {
        ASSERT_OK(img->ReadTrack(t, slot));
        auto verdict = workload::InspectTrack(img->geometry(), t, slot);
        EXPECT_NE(verdict.kind, workload::TrackVerdict::Kind::kTorn) << "track " << t << ": " << verdict.detail;
        intact += verdict.kind == workload::TrackVerdict::Kind::kIntact;
      }
    }
  }
  EXPECT_GT(intact, 0);
  mon->Kill();
}

TEST_F(SwapModesTest, SimSwapWritesNothing) {
  const std::string before_src = ReadFile(src_), before_tgt = ReadFile(tgt_);
  ProcessResult r = RunDeck(cfg_a_, Deck("SIMSWAP"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS260I SIMSWAP VOL=VM1887")) << r.out;
  EXPECT_TRUE(Contains(r.out, "PAS265I SIMSWAP OF VOL=VM1887 COMPLETED")) << r.out;
  EXPECT_TRUE(ReadFile(src_) == before_src);
  EXPECT_TRUE(ReadFile(tgt_) == before_tgt);
  EXPECT_FALSE(Exists(tgt_ + ".pas-ctl"));
}

TEST_F(SwapModesTest, SimSwapReportsSystemsAndTheirMonitors) {
  // SYSB has the source online (a workload) but no monitor yet: warning.
  auto wb = Workload(cfg_b_, "2887", "jb", 0, 1, 4);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const std::string before_tgt = ReadFile(tgt_);
  ProcessResult r = RunDeck(cfg_a_, Deck("SIMSWAP"));
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS262W SIMSWAP VOL=VM1887: SYSTEM SYSB HAS UNIT=2887 ONLINE BUT NO MONITOR")) << r.out;
  auto mon = Monitor(cfg_b_, "C887");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  r = RunDeck(cfg_a_, Deck("SIMSWAP"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS261I SIMSWAP VOL=VM1887: SYSTEM SYSB HAS UNIT=2887 ONLINE; MONITOR UP")) << r.out;
  EXPECT_TRUE(ReadFile(tgt_) == before_tgt);
  EXPECT_EQ(wb->Wait(30), 0);
  mon->Kill();
}

TEST_F(SwapModesTest, SimSwapMonJoinsAndLeaves) {
  auto mon = Monitor(cfg_b_, "C887");
  auto wb = Workload(cfg_b_, "2887", "jb", 0, 1, 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const std::string before_tgt = ReadFile(tgt_);
  ProcessResult r = RunDeck(cfg_a_, Deck("SIMSWAPMON"), {"PAS_JOIN_TIMEOUT=10"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS263I SIMSWAPMON VOL=VM1887: SYSB JOINED AND LEFT")) << r.out;
  EXPECT_EQ(wb->Wait(30), 0);
  EXPECT_TRUE(ReadFile(tgt_) == before_tgt);
  EXPECT_TRUE(Contains(DisplayLine(cfg_b_, "2887"), src_));
  ProcessResult v = Verify(src_, {"jb"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  mon->Kill();
  EXPECT_TRUE(Contains(mon->Stdout(), "PAS244I SYSB REMOVED ITS INTERCEPT FROM UNIT=2887")) << mon->Stdout();
}

TEST_F(SwapModesTest, NonRespondingFailWithoutMonitor) {
  auto wb = Workload(cfg_b_, "2887", "jb", 0, 1, 4);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const std::string before_tgt = ReadFile(tgt_);
  ProcessResult r = RunDeck(cfg_a_, Deck("SWAP", ",NONRESPONDING=FAIL"), {"PAS_JOIN_TIMEOUT=1"});
  EXPECT_EQ(r.exit_code, 8) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS222E SYSTEM(S) SYSB DID NOT JOIN SWAP OF VOL=VM1887")) << r.out;
  EXPECT_TRUE(ReadFile(tgt_) == before_tgt);
  EXPECT_EQ(wb->Wait(30), 0);
  EXPECT_EQ(Volser(src_), "VM1887");
  ProcessResult v = Verify(src_, {"jb"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

TEST_F(SwapModesTest, SmallerTargetIsRefusedWithoutWrites) {
  std::string small = MakeEmptyVolume("small.ckd", "SMALL1", 10);
  std::string cfg = Config("SYSS", "0C0003", {{"1887", src_}, {"B887", small, true}});
  const std::string before = ReadFile(small), before_src = ReadFile(src_);
  ProcessResult r = RunDeck(cfg, Deck("SWAP"));
  EXPECT_EQ(r.exit_code, 8) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS202E TARGET UNIT=B887 IS SMALLER THAN SOURCE UNIT=1887")) << r.out;
  EXPECT_TRUE(ReadFile(small) == before);
  EXPECT_TRUE(ReadFile(src_) == before_src);
  EXPECT_FALSE(Exists(small + ".pas-ctl"));
}

TEST_F(SwapModesTest, OnlineTargetIsRefusedWithoutWrites) {
  std::string cfg = Config("SYSO", "0C0004", {{"1887", src_}, {"B887", tgt_}});
  const std::string before = ReadFile(tgt_);
  ProcessResult r = RunDeck(cfg, Deck("SWAP"));
  EXPECT_EQ(r.exit_code, 8) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS204E TARGET UNIT=B887 IS ONLINE ON SYSTEM SYSO")) << r.out;
  EXPECT_TRUE(ReadFile(tgt_) == before);
  EXPECT_FALSE(Exists(tgt_ + ".pas-ctl"));
}

TEST_F(SwapModesTest, NonEmptyTargetUnderCheckTargetIsRefused) {
  std::string full = MakeSourceVolume("full.ckd", "FULL01");
  std::string cfg = Config("SYSC", "0C0005", {{"1887", src_}, {"B887", full, true}});
  const std::string before = ReadFile(full);
  ProcessResult r = RunDeck(cfg, Deck("SWAP", ",CHECKTARGET=YES"));
  EXPECT_EQ(r.exit_code, 8) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS206E TARGET UNIT=B887 IS NOT EMPTY (VOL=FULL01) AND CHECKTARGET=YES")) << r.out;
  EXPECT_TRUE(ReadFile(full) == before);
  // An empty target passes the same check. SYSC still has the source
  // online (a fact on the storage without a process): vary it offline there.
  ProcessResult v = Pas({"vary", "1887", "offline", "--config", cfg});
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  r = RunDeck(cfg_a_, Deck("SWAP", ",CHECKTARGET=YES"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(SwapModesTest, LargerSizeNeedsOkAndGivesAVtocOfTheRealSize) {
  std::string big = MakeEmptyVolume("big.ckd", "BIG001", 30);
  std::string cfg = Config("SYSL", "0C0006", {{"1887", src_}, {"B887", big, true}});
  const std::string before = ReadFile(big);
  ProcessResult r = RunDeck(cfg, Deck("SWAP"));
  EXPECT_EQ(r.exit_code, 8) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS203E")) << r.out;
  EXPECT_TRUE(ReadFile(big) == before);
  r = RunDeck(cfg, Deck("SWAP", ",LARGERSIZE=OK"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS241I")) << r.out;
  std::string ls = Dasdls(big);
  EXPECT_TRUE(Contains(ls, "PAS.TEST.TEXT")) << ls;
  auto img = ckd::CkdImage::Open(big, false);
  ASSERT_OK(img);
  auto vtoc = ckd::ReadVtoc(*img);
  ASSERT_OK(vtoc);
  EXPECT_EQ(vtoc->f4_cylinders, 30u);
  EXPECT_EQ(Volser(big), "VM1887");
}

TEST_F(SwapModesTest, MaxTasksFourWithEightVolumes) {
  std::vector<Unit> units;
  std::string deck = "  SWAP TYPE=FULL,MAXTASKS=4\n";
  for (int i = 0; i < 8; ++i) {
    std::string vol = "VOL00" + std::to_string(i);
    std::string s = MakeSourceVolume("s" + std::to_string(i) + ".ckd", vol, 10, 15);
    std::string t = MakeEmptyVolume("t" + std::to_string(i) + ".ckd", "NEW00" + std::to_string(i), 10);
    units.push_back({"180" + std::to_string(i), s});
    units.push_back({"B80" + std::to_string(i), t, true});
    deck += "  MOUNT VOL=" + vol + ",SWAPUNIT=B8**\n";
  }
  std::string cfg = Config("SYSM", "0C0007", units);
  ProcessResult r = RunDeck(cfg, deck, {}, 120);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (int i = 0; i < 8; ++i) {
    std::string vol = "VOL00" + std::to_string(i);
    EXPECT_TRUE(Contains(r.out, "PAS241I PAS SUCCESSFULLY COMPLETED SWAP OF VOL=" + vol + " TO UNIT=B80" +
                                    std::to_string(i)))
        << r.out;
    EXPECT_TRUE(Contains(DisplayLine(cfg, "180" + std::to_string(i)), dir_ / ("t" + std::to_string(i) + ".ckd")));
    EXPECT_TRUE(Contains(Dasdls(dir_ / ("t" + std::to_string(i) + ".ckd")), "PAS.TEST.DATA"));
  }
  ProcessResult h = Pas({"history"});
  EXPECT_EQ(h.exit_code, 0) << h.out << h.err;
  EXPECT_TRUE(Contains(h.out, "VOL007")) << h.out;
}

}  // namespace
}  // namespace pas::swaptest
