// SWAP across two systems under workload, SWAPDUMP, SIMSWAP, SIMSWAPMON,
// with real processes: the job on system A, a monitor and a workload on
// system B, a workload on system A.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "system/kill_scenario.h"

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

// A monitor that writes that it followed the SWAP and exits at once, while
// the job is between its look at the monitor and its read of the block,
// still counts as followed: the decision record is removed. Both processes
// are held at fault points so the interleaving is the same every run.
TEST_F(SwapBasicTest, MonitorThatFollowsAndExitsDuringTheJobsCheckCountsAsFollowed) {
  auto mon = Start({"monitor", "--unit", "C887", "--config", cfg_b_}, "monitor-C887",
                   {"PAS_FAULT_POINT=monitor.after_commit:1:stop"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  WriteFile(dir_ / "swap.deck", kSwapDeck);
  auto job = Start({"run", dir_ / "swap.deck", "--config", cfg_a_}, "job",
                   {"PAS_JOIN_TIMEOUT=10", "PAS_FAULT_POINT=job.follow_check:1:stop"});
  ASSERT_TRUE(KillScenario::WaitStopped(mon->pid())) << mon->Stdout() << mon->Stderr();
  ASSERT_TRUE(KillScenario::WaitStopped(job->pid())) << job->Stdout() << job->Stderr();
  // The job saw the monitor alive; now the monitor follows and exits.
  ASSERT_EQ(::kill(mon->pid(), SIGCONT), 0);
  EXPECT_EQ(mon->Wait(30), 0) << mon->Stdout() << mon->Stderr();
  EXPECT_TRUE(Contains(mon->Stdout(), "PAS241I")) << mon->Stdout();
  ASSERT_EQ(::kill(job->pid(), SIGCONT), 0);
  EXPECT_EQ(job->Wait(60), 0) << job->Stdout() << job->Stderr();
  EXPECT_TRUE(Contains(job->Stdout(), "PAS241I")) << job->Stdout();
  EXPECT_EQ(DecisionRecords(tgt_), 0) << job->Stdout() << job->Stderr();
}

}  // namespace
}  // namespace pas::swaptest
