// Stopping a job is an operator's act: SIGINT or SIGTERM to `pas run`, or
// `pas cancel` from another process, fails the volume like any failed
// volume (PAS282E naming the cause, condition code 8, every system on the
// source, a history record) and writes nothing to the source.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "swap_fixture.h"

namespace pas::swaptest {
namespace {

using pas::testing::ReadFile;

class CancelTest : public SwapFixture {
 protected:
  void SetUp() override {
    src_ = MakeSourceVolume("src.ckd", "SRC001", 10, 15);
    tgt_ = MakeEmptyVolume("tgt.ckd", "TGT001", 10);
    sysa_ = Config("SYSA", "0A", {{"1887", src_}, {"B887", tgt_, true}});
    // SYSB has the source online and no monitor: the job waits for it to
    // join (NONRESPONDING=RETRY), which is where it is cancelled.
    sysb_ = Config("SYSB", "0B", {{"2887", src_}});
    ProcessResult d = Pas({"display", "2887", "--config", sysb_});
    ASSERT_EQ(d.exit_code, 0) << d.out << d.err;
    WriteFile(dir_ / "swap.deck", "SWAP TYPE=FULL,NONRESPONDING=RETRY\nMOUNT VOL=SRC001,SWAPUNIT=B887\n");
  }
  std::unique_ptr<pas::testing::Child> StartJob() {
    return Start({"run", dir_ / "swap.deck", "--config", sysa_}, "job", {"PAS_JOIN_TIMEOUT=1"});
  }
  // Waits until the job is waiting for SYSB (its output shows the retry).
  void WaitForJoinWait(pas::testing::Child& job) {
    for (int i = 0; i < 600 && job.Running(); ++i) {
      if (Contains(job.Stdout(), "PAS22")) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "the job never waited for SYSB\n" << job.Stdout() << job.Stderr();
  }
  void ExpectCancelled(pas::testing::Child& job, const std::string& by, const std::string& src_before) {
    const int rc = job.Wait(60);
    const std::string out = job.Stdout() + job.Stderr();
    EXPECT_EQ(rc, 8) << out;
    EXPECT_TRUE(Contains(out, "PAS282E VOL=SRC001 CANCELLED BY " + by)) << out;
    EXPECT_TRUE(Contains(out, "PAS243E")) << out;  // the volume failed, back on the source
    EXPECT_TRUE(ReadFile(src_) == src_before) << "the source was changed";
    EXPECT_TRUE(Contains(DisplayLine(sysa_, "1887"), src_)) << DisplayLine(sysa_, "1887");
    ProcessResult h = Pas({"history"});
    EXPECT_TRUE(Contains(h.out, "CANCELLED")) << h.out << h.err;
  }
  std::string src_, tgt_, sysa_, sysb_;
};

TEST_F(CancelTest, SigtermAbortsLikeAFailedVolume) {
  const std::string before = ReadFile(src_);
  auto job = StartJob();
  WaitForJoinWait(*job);
  job->Kill(SIGTERM);
  ExpectCancelled(*job, "SIGNAL SIGTERM", before);
}

TEST_F(CancelTest, SigintAbortsLikeAFailedVolume) {
  const std::string before = ReadFile(src_);
  auto job = StartJob();
  WaitForJoinWait(*job);
  job->Kill(SIGINT);
  ExpectCancelled(*job, "SIGNAL SIGINT", before);
}

TEST_F(CancelTest, PasCancelByVolumeFromAnotherProcess) {
  const std::string before = ReadFile(src_);
  auto job = StartJob();
  WaitForJoinWait(*job);
  ProcessResult c = Pas({"cancel", "src001"});
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_TRUE(Contains(c.out, "PAS283I CANCEL OF VOL=SRC001 REQUESTED")) << c.out;
  ExpectCancelled(*job, "PAS CANCEL (SRC001)", before);
}

TEST_F(CancelTest, PasCancelByJobFromAnotherProcess) {
  const std::string before = ReadFile(src_);
  auto job = StartJob();
  WaitForJoinWait(*job);
  ProcessResult c = Pas({"cancel", "--job", std::to_string(job->pid())});
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  ExpectCancelled(*job, "PAS CANCEL (JOB-" + std::to_string(job->pid()) + ")", before);
}

TEST_F(CancelTest, PasCancelNeedsOneVolumeOrJob) {
  ProcessResult c = Pas({"cancel"});
  EXPECT_EQ(c.exit_code, 12);
  EXPECT_TRUE(Contains(c.err, "PAS003E")) << c.err;
  c = Pas({"cancel", "TOOLONGVOL"});
  EXPECT_EQ(c.exit_code, 12);
  EXPECT_TRUE(Contains(c.err, "PAS003E")) << c.err;
}

}  // namespace
}  // namespace pas::swaptest
