// Death at every phase (rule 5), with real processes: the job killed by
// SIGKILL at a fault point during the copy pass, a recopy pass, while
// every system is quiesced before the commit, and right after the commit;
// a monitor killed while quiesced. Each ends with every system on one
// device and the workload verify passing on that device. Plus four
// systems under workload.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "swap_fixture.h"

namespace pas::swaptest {
namespace {

const char* kDeck = "  SWAP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=VM1887,SWAPUNIT=B887\n";

class SwapFaultTest : public SwapFixture {
 protected:
  void SetUp() override {
    src_ = MakeSourceVolume("vm1887.ckd", "VM1887");
    tgt_ = MakeEmptyVolume("b887.ckd", "NEW887");
    cfg_a_ = Config("SYSA", "0A0001", {{"1887", src_}, {"B887", tgt_, true}});
    cfg_b_ = Config("SYSB", "0B0002", {{"2887", src_}, {"C887", tgt_, true}});
  }

  // Runs the SWAP with the job (or the monitor) dying at `point`; returns
  // the job's result. Workloads run on both systems throughout.
  ProcessResult RunWithFault(const std::string& job_point, const std::string& monitor_point = "") {
    mon_ = Start({"monitor", "--unit", "C887", "--config", cfg_b_}, "monitor",
                 {"PAS_FAULT_POINT=" + monitor_point});
    wa_ = Workload(cfg_a_, "1887", "ja", 0, 2, 4);
    wb_ = Workload(cfg_b_, "2887", "jb", 1, 2, 4);
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    ProcessResult r = RunDeck(cfg_a_, kDeck, {"PAS_JOIN_TIMEOUT=10", "PAS_FAULT_POINT=" + job_point});
    EXPECT_EQ(wa_->Wait(60), 0) << wa_->Stdout() << wa_->Stderr();
    EXPECT_EQ(wb_->Wait(60), 0) << wb_->Stdout() << wb_->Stderr();
    return r;
  }

  // Every system on `image`, and no acknowledged write lost there.
  void ExpectAllOn(const std::string& image) {
    EXPECT_TRUE(Contains(DisplayLine(cfg_a_, "1887"), image)) << DisplayLine(cfg_a_, "1887");
    EXPECT_TRUE(Contains(DisplayLine(cfg_b_, "2887"), image)) << DisplayLine(cfg_b_, "2887");
    ProcessResult v = Verify(image, {"ja", "jb"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  }

  std::string src_, tgt_, cfg_a_, cfg_b_;
  std::unique_ptr<Child> mon_, wa_, wb_;
};

TEST_F(SwapFaultTest, JobKilledDuringCopyPass) {
  ProcessResult r = RunWithFault("job.copy");
  EXPECT_EQ(r.exit_code, 128 + 9) << r.out << r.err;
  EXPECT_TRUE(Contains(mon_->Stdout(), "PAS272W")) << mon_->Stdout();
  ExpectAllOn(src_);
  EXPECT_EQ(Volser(src_), "VM1887");
}

TEST_F(SwapFaultTest, JobKilledDuringRecopyPass) {
  ProcessResult r = RunWithFault("job.recopy");
  EXPECT_EQ(r.exit_code, 128 + 9) << r.out << r.err;
  ExpectAllOn(src_);
}

TEST_F(SwapFaultTest, JobKilledWhileQuiescedBeforeCommit) {
  ProcessResult r = RunWithFault("job.before_commit");
  EXPECT_EQ(r.exit_code, 128 + 9) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS235I")) << r.out;  // it did quiesce
  ExpectAllOn(src_);
}

TEST_F(SwapFaultTest, JobKilledRightAfterCommit) {
  ProcessResult r = RunWithFault("job.after_commit");
  EXPECT_EQ(r.exit_code, 128 + 9) << r.out << r.err;
  EXPECT_EQ(mon_->Wait(30), 0) << mon_->Stdout();
  EXPECT_TRUE(Contains(mon_->Stdout(), "PAS237I SYSB SWAPPED UNIT=2887 TO C887")) << mon_->Stdout();
  ExpectAllOn(tgt_);
}

TEST_F(SwapFaultTest, MonitorKilledWhileQuiesced) {
  ProcessResult r = RunWithFault("", "monitor.quiesce");
  EXPECT_EQ(r.exit_code, 8) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS245E SYSTEM SYSB STOPPED RESPONDING")) << r.out;
  EXPECT_TRUE(Contains(r.out, "PAS243E")) << r.out;
  ExpectAllOn(src_);
  EXPECT_EQ(Volser(src_), "VM1887");
  // SYSB died quiesced: its unit table still names the decision, which
  // its recovery reads, so the record stays.
  EXPECT_EQ(DecisionRecords(tgt_), 1);
}

TEST_F(SwapFaultTest, MonitorKilledAfterJoining) {
  ProcessResult r = RunWithFault("", "monitor.join");
  EXPECT_EQ(r.exit_code, 8) << r.out << r.err;
  ExpectAllOn(src_);
}

TEST_F(SwapFaultTest, SwapUnderWorkloadOnFourSystems) {
  std::vector<std::string> cfgs = {cfg_a_, cfg_b_,
                                   Config("SYSC", "0C0003", {{"3887", src_}, {"D887", tgt_, true}}),
                                   Config("SYSD", "0D0004", {{"4887", src_}, {"E887", tgt_, true}})};
  const std::vector<std::string> src_units = {"1887", "2887", "3887", "4887"};
  const std::vector<std::string> tgt_units = {"B887", "C887", "D887", "E887"};
  std::vector<std::unique_ptr<Child>> mons, loads;
  for (int i = 1; i < 4; ++i) mons.push_back(Monitor(cfgs[i], tgt_units[i]));
  for (int i = 0; i < 4; ++i) loads.push_back(Workload(cfgs[i], src_units[i], "j" + std::to_string(i), i, 4, 4, 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  ProcessResult r = RunDeck(cfg_a_, kDeck, {"PAS_JOIN_TIMEOUT=10"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "PAS241I")) << r.out;
  EXPECT_TRUE(Contains(r.out, "QUIESCED ON 4 SYSTEM(S)")) << r.out;
  for (auto& l : loads) EXPECT_EQ(l->Wait(60), 0) << l->Stderr();
  for (auto& m : mons) EXPECT_EQ(m->Wait(30), 0) << m->Stdout();
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(Contains(DisplayLine(cfgs[i], src_units[i]), tgt_)) << DisplayLine(cfgs[i], src_units[i]);
  }
  ProcessResult v = Verify(tgt_, {"j0", "j1", "j2", "j3"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_TRUE(Contains(Dasdls(tgt_), "PAS.TEST.TEXT"));
}

}  // namespace
}  // namespace pas::swaptest
