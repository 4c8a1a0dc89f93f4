// SWAP across two systems under workload, SWAPDUMP, SIMSWAP, SIMSWAPMON,
// with real processes: the job on system A, a monitor and a workload on
// system B, a workload on system A.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "swap_fixture.h"

namespace pas::swaptest {
namespace {

class SwapBasicTest : public SwapFixture {
 protected:
  void SetUp() override {
    src_ = MakeSourceVolume("vm1887.ckd", "VM1887");
    tgt_ = MakeEmptyVolume("b887.ckd", "NEW887");
    cfg_a_ = Config("SYSA", "0A0001", {{"1887", src_}, {"B887", tgt_, true}});
    cfg_b_ = Config("SYSB", "0B0002", {{"2887", src_}, {"C887", tgt_, true}});
  }
  std::string src_, tgt_, cfg_a_, cfg_b_;
};

const char* kSwapDeck = "  SWAP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=VM1887,SWAPUNIT=B887\n";

TEST_F(SwapBasicTest, SwapUnderWorkloadOnTwoSystems) {
  auto mon = Monitor(cfg_b_, "C887");
  auto wa = Workload(cfg_a_, "1887", "ja", 0, 2, 5);
  auto wb = Workload(cfg_b_, "2887", "jb", 1, 2, 5);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  ProcessResult r = RunDeck(cfg_a_, kSwapDeck, {"PAS_JOIN_TIMEOUT=10"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS241I PAS SUCCESSFULLY COMPLETED SWAP OF VOL=VM1887 TO UNIT=B887")) << r.out;
  EXPECT_TRUE(Contains(r.out, "PAS233I SYSB (SERIAL# 0B0002) ACKNOWLEDGES THE SWAP OF VOL=VM1887")) << r.out;
  EXPECT_TRUE(Contains(r.out, "OPERATION STATISTICS FOR 3390 VOLUME.....VM1887")) << r.out;
  EXPECT_TRUE(Contains(r.out, "PAS SUCCESSFULLY COMPLETED")) << r.out;
  EXPECT_EQ(wa->Wait(60), 0) << wa->Stdout() << wa->Stderr();
  EXPECT_EQ(wb->Wait(60), 0) << wb->Stdout() << wb->Stderr();
  EXPECT_EQ(mon->Wait(30), 0) << mon->Stdout() << mon->Stderr();
  EXPECT_TRUE(Contains(mon->Stdout(), "PAS241I")) << mon->Stdout();
  ProcessResult v = Verify(tgt_, {"ja", "jb"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_TRUE(Contains(DisplayLine(cfg_a_, "1887"), tgt_)) << DisplayLine(cfg_a_, "1887");
  EXPECT_TRUE(Contains(DisplayLine(cfg_b_, "2887"), tgt_)) << DisplayLine(cfg_b_, "2887");
  EXPECT_EQ(Volser(tgt_), "VM1887");
  EXPECT_EQ(Volser(src_), "PAS887");
  std::string ls = Dasdls(tgt_);
  EXPECT_TRUE(Contains(ls, "PAS.TEST.TEXT")) << ls;
  EXPECT_TRUE(Contains(ls, "PAS.TEST.DATA")) << ls;
  EXPECT_TRUE(Contains(ls, "PAS.WORKLOAD")) << ls;
  // Every system confirmed it followed: the decision record is gone.
  EXPECT_EQ(DecisionRecords(tgt_), 0);
}

}  // namespace
}  // namespace pas::swaptest
