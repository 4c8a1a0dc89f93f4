// Convergence that cannot fail: writers on two systems write faster than
// the copy (slow storage injected with PAS_IO_FAULTS=slow@US, many unpaced
// writers on a small area). The job paces the writers (PAS238I) and still
// ends in a completed SWAP whose target passes the workload verification.
// Functional only: nothing here is timed.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <thread>

#include "swap_fixture.h"

namespace pas::swaptest {
namespace {

class ConvergeTest : public SwapFixture {
 protected:
  void SetUp() override {
    src_ = MakeSourceVolume("vm1887.ckd", "VM1887", 20, 120);
    tgt_ = MakeEmptyVolume("b887.ckd", "NEW887");
    cfg_a_ = Config("SYSA", "0A0001", {{"1887", src_}, {"B887", tgt_, true}});
    cfg_b_ = Config("SYSB", "0B0002", {{"2887", src_}, {"C887", tgt_, true}});
  }
  std::string src_, tgt_, cfg_a_, cfg_b_;
};

TEST_F(ConvergeTest, WritersFasterThanTheCopyArePacedAndTheSwapCompletes) {
  auto mon = Monitor(cfg_b_, "C887");
  auto wa = Workload(cfg_a_, "1887", "ja", 0, 2, 8, 4);
  auto wb = Workload(cfg_b_, "2887", "jb", 1, 2, 8, 4);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  ProcessResult r = RunDeck(cfg_a_, "  SWAP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=VM1887,SWAPUNIT=B887\n",
                            {"PAS_JOIN_TIMEOUT=10", "PAS_IO_FAULTS=slow@3000"}, 120);
  // Completed with condition code 0: pacing is flow control, reported
  // (PAS238I, PAS247I, the statistics), not a warning.
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS241I PAS SUCCESSFULLY COMPLETED SWAP OF VOL=VM1887 TO UNIT=B887")) << r.out;
  EXPECT_FALSE(Contains(r.out, "PAS240E")) << r.out;
  // The decision and its reason are in the report.
  EXPECT_TRUE(Contains(r.out, "PAS238I WRITES OUTPACE THE COPY OF VOL=VM1887: PACING WRITERS")) << r.out;
  EXPECT_TRUE(Contains(r.out, "PAS247I RECOPY OF VOL=VM1887 ENDED AFTER")) << r.out;
  EXPECT_TRUE(Contains(r.out, "; WRITERS PACED ")) << r.out;
  EXPECT_TRUE(Contains(r.out, "WRITES PACED (MS PER WRITE).....")) << r.out;
  // Paced writers are paced at the largest step for the last pass before
  // the quiesce (doc/swap-protocol.md §6), whatever step the loop reached.
  EXPECT_TRUE(Contains(r.out, "; WRITERS PACED 5.00 MS PER WRITE")) << r.out;
  EXPECT_TRUE(Contains(r.out, "WRITES PACED (MS PER WRITE).....5.00")) << r.out;
  // One numbering of the passes: PAS247I counts every pass before the
  // quiesce, no PAS232I, PAS238I or PAS250I names a later one, and the
  // final copy is the one pass more that the PASSES statistic counts.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("PAS247I RECOPY OF VOL=VM1887 ENDED AFTER ([0-9]+) PASS")))
      << r.out;
  const int before_quiesce = std::stoi(m[1]);
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("PASSES\\.\\.\\.\\.\\.([0-9]+)"))) << r.out;
  EXPECT_EQ(std::stoi(m[1]), before_quiesce + 1) << r.out;
  // A PAS232I that finds no updated track announces a pass that does not
  // run (PAS247I then counts one fewer); every other names a pass that ran.
  const std::regex named("(RECOPY PASS|\\(PASS) ([0-9]+)( FOR VOL=VM1887: 0 UPDATED)?");
  int highest = 0;
  for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), named); it != std::sregex_iterator(); ++it) {
    if ((*it)[3].matched) continue;
    highest = std::max(highest, std::stoi((*it)[2]));
  }
  EXPECT_GE(highest, 2) << r.out;
  EXPECT_LE(highest, before_quiesce) << r.out;
  EXPECT_EQ(wa->Wait(60), 0) << wa->Stdout() << wa->Stderr();
  EXPECT_EQ(wb->Wait(60), 0) << wb->Stdout() << wb->Stderr();
  EXPECT_EQ(mon->Wait(30), 0) << mon->Stdout() << mon->Stderr();
  ProcessResult v = Verify(tgt_, {"ja", "jb"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_EQ(Volser(tgt_), "VM1887");
  // The pacing ended with the swap: nothing is paced on either system.
  EXPECT_TRUE(Contains(DisplayLine(cfg_a_, "1887"), tgt_)) << DisplayLine(cfg_a_, "1887");
  EXPECT_TRUE(Contains(DisplayLine(cfg_b_, "2887"), tgt_)) << DisplayLine(cfg_b_, "2887");
}

// Writers that the copy outruns are never paced.
TEST_F(ConvergeTest, SlowWritersAreNotPaced) {
  auto wa = Start({"workload", "run", "--unit", "1887", "--writers", "1", "--rate", "20", "--duration", "4",
                   "--journal", dir_ / "ja", "--config", cfg_a_},
                  "workload-ja");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ProcessResult s = RunDeck(cfg_a_, "  SWAP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=VM1887,SWAPUNIT=B887\n",
                            {"PAS_JOIN_TIMEOUT=10"}, 120);
  EXPECT_EQ(s.exit_code, 0) << s.out << s.err;
  EXPECT_FALSE(Contains(s.out, "PAS238I")) << s.out;
  EXPECT_TRUE(Contains(s.out, "; WRITERS NOT PACED")) << s.out;
  EXPECT_FALSE(Contains(s.out, "WRITES PACED (MS PER WRITE)")) << s.out;
  EXPECT_EQ(wa->Wait(60), 0) << wa->Stdout() << wa->Stderr();
  ProcessResult v = Verify(tgt_, {"ja"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

}  // namespace
}  // namespace pas::swaptest
