// The operator views with real processes: `pas status` run from another
// process shows a swap job that is held in a phase by a fault point
// (PAS_FAULT_POINT=...:stop), stops showing it when it ends or is killed,
// and `pas display --json` describes the units.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <regex>

#include "host/job_status.h"
#include "system/kill_scenario.h"

namespace pas::swaptest {
namespace {

class StatusTest : public SwapFixture {
 protected:
  void SetUp() override {
    src_ = MakeSourceVolume("vm1887.ckd", "VM1887");
    tgt_ = MakeEmptyVolume("b887.ckd", "NEW887");
    cfg_ = Config("SYSA", "0A0001", {{"1887", src_}, {"B887", tgt_, true}});
    deck_ = dir_ / "swap.deck";
    WriteFile(deck_, "  SWAP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=VM1887,SWAPUNIT=B887\n");
  }
  // The job's entries on the board of SYSA (files in the runtime directory).
  size_t BoardFiles() {
    std::error_code ec;
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_ / "runtime/SYSA.jobs", ec)) {
      (void)e;
      ++n;
    }
    return n;
  }
  std::string src_, tgt_, cfg_, deck_;
};

TEST_F(StatusTest, ShowsAJobHeldAfterItsCopyPassThenNothingWhenItEnds) {
  ProcessResult none = Pas({"status", "--config", cfg_});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_TRUE(Contains(none.out, "PAS521I")) << none.out;
  EXPECT_TRUE(Contains(none.out, "SYSTEM SYSA: NO SWAP JOB IS RUNNING")) << none.out;

  auto job = Start({"run", deck_, "--config", cfg_}, "job", {"PAS_FAULT_POINT=job.copy:1:stop"});
  ASSERT_TRUE(KillScenario::WaitStopped(job->pid())) << job->Stdout() << job->Stderr();

  ProcessResult st = Pas({"status", "--config", cfg_});
  EXPECT_EQ(st.exit_code, 0) << st.err;
  EXPECT_TRUE(Contains(st.out, "SYSTEM SYSA: 1 SWAP JOB(S) RUNNING")) << st.out;
  // JOB FUNCTION STARTED VOLSER SOURCE TARGET PHASE PASS PERCENT DIRTY MB/S ETA
  std::regex line(std::to_string(job->pid()) +
                  R"( +SWAP +\d\d\.\d\d\.\d\d +VM1887 +1887 +B887 +COPY +1 +100\.0% +0 +(\d+\.\d) +0:00)");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(st.out, m, line)) << st.out;
  EXPECT_GT(std::stod(m[1]), 0.0) << "MB/s of a finished copy pass: " << st.out;

  ProcessResult js = Pas({"status", "--json", "--config", cfg_});
  EXPECT_EQ(js.exit_code, 0) << js.err;
  EXPECT_TRUE(Contains(js.out, "\"system\":\"SYSA\"")) << js.out;
  EXPECT_TRUE(Contains(js.out, "\"pid\":" + std::to_string(job->pid()))) << js.out;
  EXPECT_TRUE(Contains(js.out, "\"function\":\"SWAP\"")) << js.out;
  EXPECT_TRUE(Contains(js.out, "\"deck\":\"" + deck_ + "\"")) << js.out;
  EXPECT_TRUE(Contains(js.out, "\"volser\":\"VM1887\",\"source_unit\":\"1887\",\"target_unit\":\"B887\","
                                "\"phase\":\"COPY\",\"pass\":1"))
      << js.out;
  std::smatch t;
  ASSERT_TRUE(std::regex_search(js.out, t, std::regex(R"("tracks_done":(\d+),"tracks_total":(\d+))"))) << js.out;
  EXPECT_EQ(t[1], t[2]) << js.out;
  EXPECT_GT(std::stoul(t[2]), 0u) << js.out;
  EXPECT_TRUE(Contains(js.out, "\"percent\":100.0")) << js.out;

  ASSERT_EQ(::kill(job->pid(), SIGCONT), 0);
  EXPECT_EQ(job->Wait(90), 0) << job->Stdout() << job->Stderr();
  EXPECT_TRUE(Contains(job->Stdout(), "PAS241I")) << job->Stdout();
  ProcessResult after = Pas({"status", "--config", cfg_});
  EXPECT_TRUE(Contains(after.out, "NO SWAP JOB IS RUNNING")) << after.out;
  EXPECT_EQ(BoardFiles(), 0u) << "the ended job left its status files";
}

TEST_F(StatusTest, AKilledJobIsNotShownAndItsFilesAreRemoved) {
  auto job = Start({"run", deck_, "--config", cfg_}, "job", {"PAS_FAULT_POINT=job.join:1:stop"});
  ASSERT_TRUE(KillScenario::WaitStopped(job->pid())) << job->Stdout() << job->Stderr();
  ProcessResult st = Pas({"status", "--config", cfg_});
  std::regex line(std::to_string(job->pid()) + R"( +SWAP +\S+ +VM1887 +1887 +B887 +JOIN +0 )");
  EXPECT_TRUE(std::regex_search(st.out, line)) << st.out;
  EXPECT_EQ(BoardFiles(), 2u) << "a running job has a lock and a status file";

  job->Kill(SIGKILL);
  EXPECT_EQ(job->Wait(30), 128 + SIGKILL);
  ProcessResult after = Pas({"status", "--config", cfg_});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  EXPECT_TRUE(Contains(after.out, "NO SWAP JOB IS RUNNING")) << after.out;
  EXPECT_EQ(BoardFiles(), 0u) << "pas status did not remove the dead job's files";
}

TEST_F(StatusTest, BadArgumentsAndConfigurationAreReported) {
  ProcessResult bad = Pas({"status", "--bogus", "--config", cfg_});
  EXPECT_EQ(bad.exit_code, 12);
  EXPECT_TRUE(Contains(bad.err, "PAS003E")) << bad.err;
  ProcessResult nocfg = Pas({"status", "--config", dir_ / "missing.cnf"});
  EXPECT_EQ(nocfg.exit_code, 12);
  EXPECT_TRUE(Contains(nocfg.err, "PAS171E")) << nocfg.err;
}

TEST_F(StatusTest, DisplayJsonDescribesEveryUnit) {
  ProcessResult d = Pas({"display", "--json", "--config", cfg_});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(d.out.rfind("{\"system\":\"SYSA\",\"serial\":\"0A0001\",\"units\":[", 0), 0u) << d.out;
  EXPECT_TRUE(Contains(d.out, "{\"unit\":\"1887\",\"type\":\"3390\",\"status\":\"O\",\"online\":true,"
                              "\"volser\":\"VM1887\""))
      << d.out;
  EXPECT_TRUE(Contains(d.out, "{\"unit\":\"B887\",\"type\":\"3390\",\"status\":\"OFFLINE\",\"online\":false,"))
      << d.out;
  EXPECT_TRUE(Contains(d.out, "\"intercept\":false,\"quiesced\":false")) << d.out;
  EXPECT_TRUE(Contains(d.out, "\"image\":\"" + tgt_ + "\"}")) << d.out;
  EXPECT_EQ(d.out.substr(d.out.size() - 3), "]}\n") << d.out;
  ProcessResult one = Pas({"display", "B887", "--json", "--config", cfg_});
  EXPECT_FALSE(Contains(one.out, "\"unit\":\"1887\"")) << one.out;
  EXPECT_TRUE(Contains(one.out, "\"unit\":\"B887\"")) << one.out;
}

TEST_F(StatusTest, VersionIsTheProjectVersion) {
  ProcessResult v = Pas({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_TRUE(std::regex_match(v.out, std::regex(R"(pas \d+\.\d+(\.\d+)?\n)"))) << v.out;
}

}  // namespace
}  // namespace pas::swaptest
