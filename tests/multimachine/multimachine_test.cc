// The swap across machines that share the volumes only through GlusterFS
// (tests/multimachine/testbed.sh): SIMSWAPMON, SWAPDUMP and SWAP with a
// writing system on every machine and a monitor on every machine but the
// job's, machines mounting the volume at the same path or at different
// paths, and a machine cut off the network in the middle of a swap.
#include <gtest/gtest.h>

#include <signal.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "bed.h"

namespace pas::multimachine {
namespace {

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

std::string Deck(const std::string& function, const std::string& unit) {
  return "  " + function + " TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=VOL001,SWAPUNIT=" + unit + "\n";
}

class Scenario : public MultiMachineTest {
 protected:
  // Checks a completed SWAP of VOL001 to B887 (tgt1.ckd): the job's report
  // (pause, duration), every monitor's, every system's unit on the target,
  // and every acknowledged write on the target.
  // Condition code 0, also when the writers had to be paced (PAS238I: the
  // shared storage copies slower than the systems write).

  void ExpectSwap(const ProcessResult& job, const std::vector<std::string>& monitors, const std::string& tag) {
    EXPECT_EQ(job.exit_code, 0) << job.exit_code << "\n" << job.out << job.err;
    EXPECT_TRUE(Contains(job.out, "PAS241I PAS SUCCESSFULLY COMPLETED SWAP OF VOL=VOL001 TO UNIT=B887")) << job.out;
    for (int i = 2; i <= machines_; ++i) {
      EXPECT_TRUE(Contains(job.out, "PAS233I SYS" + std::to_string(i) + " ")) << job.out;
    }
    const double pause = Figure(job.out, "LONGEST I/O PAUSE (MS).....");
    const double minutes = Figure(job.out, "ELAPSED TIME (MINUTES).....");
    EXPECT_GE(pause, 0) << job.out;
    EXPECT_GE(minutes, 0) << job.out;
    for (const auto& m : monitors) {
      EXPECT_TRUE(Contains(m, "PAS237I")) << m;  // swapped, with its pause
      EXPECT_TRUE(Contains(m, "PAS241I")) << m;
    }
    for (int i = 1; i <= machines_; ++i) {
      std::string line = Display(i);
      EXPECT_TRUE(Contains(line, bed_.Mount(i) + "/tgt1.ckd")) << "machine " << i << ": " << line;
    }
    ProcessResult v = Verify(1, bed_.Mount(1) + "/tgt1.ckd", tag);
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    EXPECT_TRUE(Contains(v.out, "PASSED")) << v.out;
    std::printf("[ figures  ] %d machines: SWAP pause %.1f ms, elapsed %.2f min\n", machines_, pause, minutes);
  }
};

TEST_F(Scenario, TwoMachinesSamePathSimSwapMonThenSwap) {
  ASSERT_NO_FATAL_FAILURE(Prepare(2, false));
  // SIMSWAPMON: the monitor of machine 2 really joins and leaves; no copy.
  StartMonitors("B887");
  StartWorkloads(5, "a");
  Sleep(1500);
  ProcessResult sim = Job(Deck("SIMSWAPMON", "B887"));
  EXPECT_EQ(sim.exit_code, 0) << sim.out << sim.err;
  EXPECT_TRUE(Contains(sim.out, "PAS263I")) << sim.out;
  EXPECT_TRUE(Contains(sim.out, "PAS265I")) << sim.out;
  WaitWorkloads();
  for (auto& m : monitors_) m->Kill();
  monitors_.clear();
  EXPECT_TRUE(Contains(Display(2), bed_.Mount(2) + "/src.ckd")) << Display(2);
  ProcessResult v = Verify(1, bed_.Mount(1) + "/src.ckd", "a");
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;

  // SWAP under writes on both machines.
  StartMonitors("B887");
  StartWorkloads(8, "b");
  Sleep(1500);
  ProcessResult job = Job(Deck("SWAP", "B887"));
  WaitWorkloads();
  std::vector<std::string> mons = WaitMonitors();
  ExpectSwap(job, mons, "b");
}

TEST_F(Scenario, ThreeMachinesDifferentPathsSwapDumpThenSwap) {
  ASSERT_NO_FATAL_FAILURE(Prepare(3, true));
  // Every machine names the images under its own mount path.
  ASSERT_NE(bed_.Mount(1), bed_.Mount(2));
  // B888 made again by `pas volume init` on machine 2, through its own
  // GlusterFS client: the job on machine 1 finds it freshly formatted (the
  // marker and the file's times as machine 1's client reports them) and
  // formats none of its empty tracks.
  const std::string tgt2 = bed_.Mount(2) + "/tgt2.ckd";
  ProcessResult rm = bed_.Run(2, {"rm", "-f", tgt2});
  ASSERT_EQ(rm.exit_code, 0) << rm.out << rm.err;
  ProcessResult init = bed_.Run(2, Pas({"volume", "init", tgt2, "--model", "3390-3", "--cylinders", "20",
                                        "--volser", "NEWVOL"}));
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  // SWAPDUMP to B888: a point-in-time copy; everyone stays on the source.
  StartMonitors("B888");
  StartWorkloads(6, "a");
  Sleep(1500);
  ProcessResult dump = Job(Deck("SWAPDUMP", "B888"));
  EXPECT_EQ(dump.exit_code, 0) << dump.exit_code << "\n" << dump.out << dump.err;
  EXPECT_TRUE(Contains(dump.out, "PAS242I")) << dump.out;
  EXPECT_TRUE(Contains(dump.out, "PAS249I TARGET OF VOL=VOL001: 0 EMPTY TRACKS FORMATTED")) << dump.out;
  EXPECT_TRUE(Contains(dump.out, "PAS233I SYS2 ")) << dump.out;
  EXPECT_TRUE(Contains(dump.out, "PAS233I SYS3 ")) << dump.out;
  EXPECT_GE(Figure(dump.out, "LONGEST I/O PAUSE (MS)....."), 0) << dump.out;
  WaitWorkloads();
  for (auto& m : monitors_) m->Kill();
  monitors_.clear();
  for (int i = 1; i <= 3; ++i) EXPECT_TRUE(Contains(Display(i), bed_.Mount(i) + "/src.ckd")) << Display(i);
  ProcessResult v = Verify(1, bed_.Mount(1) + "/src.ckd", "a");
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  ProcessResult info = bed_.Run(3, Pas({"volume", "info", bed_.Mount(3) + "/tgt2.ckd"}));
  EXPECT_TRUE(Contains(info.out, "VOL001")) << info.out << info.err;

  // SWAP to B887 with three writing systems.
  StartMonitors("B887");
  StartWorkloads(8, "b");
  Sleep(1500);
  ProcessResult job = Job(Deck("SWAP", "B887"));
  WaitWorkloads();
  std::vector<std::string> mons = WaitMonitors();
  ExpectSwap(job, mons, "b");
}

// Machine 2 loses its network link after it joined: the job cannot have its
// handover and fails the volume; every system stays on the source (no
// split brain), every acknowledged write is on the source, and the cut-off
// machine never moves to the target.
TEST_F(Scenario, MachineCutOffDuringTheCopy) {
  ASSERT_NO_FATAL_FAILURE(Prepare(2, false));
  StartMonitors("B887");
  StartWorkloads(10, "a");
  Sleep(1500);
  pas::testing::WriteFile(bed_ / "swap.deck", Deck("SWAP", "B887"));
  auto job = bed_.Start(1, Pas({"run", bed_ / "swap.deck", "--config", Config(1)}), "job");
  bool joined = false;
  for (int i = 0; i < 600 && !joined; ++i) {
    joined = Contains(job->Stdout(), "PAS233I SYS2 ");
    if (!joined) Sleep(50);
  }
  ASSERT_TRUE(joined) << job->Stdout() << job->Stderr();
  ProcessResult cut = bed_.Link(2, false);
  ASSERT_EQ(cut.exit_code, 0) << cut.out << cut.err;
  const int rc = job->Wait(180);
  const std::string out = job->Stdout();
  EXPECT_EQ(rc, 8) << out << job->Stderr();
  EXPECT_FALSE(Contains(out, "PAS236I")) << out;  // never committed
  EXPECT_TRUE(Contains(out, "PAS243E")) << out;   // aborted, everyone on the source
  ProcessResult heal = bed_.Link(2, true);
  EXPECT_EQ(heal.exit_code, 0) << heal.out << heal.err;
  // Machine 1 wrote on; machine 2's writes failed while it was cut off.
  EXPECT_EQ(workloads_[0]->Wait(120), 0) << workloads_[0]->Stdout() << workloads_[0]->Stderr();
  workloads_[1]->Wait(120);
  workloads_.clear();
  for (auto& m : monitors_) m->Kill();
  monitors_.clear();
  EXPECT_TRUE(Contains(Display(1), bed_.Mount(1) + "/src.ckd")) << Display(1);
  std::string d2;
  for (int i = 0; i < 40; ++i) {  // the mount reconnects within seconds
    d2 = Display(2);
    if (Contains(d2, "/src.ckd")) break;
    Sleep(500);
  }
  EXPECT_TRUE(Contains(d2, bed_.Mount(2) + "/src.ckd")) << d2;
  EXPECT_FALSE(Contains(d2, "tgt1.ckd")) << d2;
  ProcessResult v = Verify(1, bed_.Mount(1) + "/src.ckd", "a");
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

// The pid of a stopped process (state T) whose command line names `word`,
// or -1 after `timeout_s`. The machines share this host's process IDs.
int StoppedProcessWith(const std::string& word, int timeout_s) {
  for (int i = 0; i < timeout_s * 20; ++i) {
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
      const std::string name = e.path().filename().string();
      if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
      std::string cmd = pas::testing::ReadFile(e.path().string() + "/cmdline");
      for (char& c : cmd) if (c == '\0') c = ' ';
      if (cmd.find(word) == std::string::npos || cmd.rfind("env ", 0) == 0) continue;
      const std::string stat = pas::testing::ReadFile(e.path().string() + "/stat");
      const size_t paren = stat.rfind(')');
      if (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'T') return std::stoi(name);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return -1;
}

// Machine 2's FUSE client dies after it joined: its locks go with it, the
// job sees the participant gone and fails the volume; machine 1 stays on
// the source with every acknowledged write, machine 2 never moves.
TEST_F(Scenario, FuseClientKilledAfterTheJoin) {
  ASSERT_NO_FATAL_FAILURE(Prepare(2, false));
  StartMonitors("B887");
  StartWorkloads(10, "a");
  Sleep(1500);
  const std::string deck = bed_ / "fuse-kill-swap.deck";
  pas::testing::WriteFile(deck, Deck("SWAP", "B887"));
  // The job stops itself after its copy pass (SYS2 has joined by then), so
  // the client dies in the middle of the swap however fast the copy is.
  std::vector<std::string> argv = Pas({"run", deck, "--config", Config(1)});
  argv.insert(argv.begin(), {"env", "PAS_FAULT_POINT=job.copy:1:stop"});
  auto job = bed_.Start(1, argv, "job");
  const int pid = StoppedProcessWith(deck, 60);
  ASSERT_GT(pid, 0) << "the job did not stop after its copy pass\n" << job->Stdout() << job->Stderr();
  ASSERT_TRUE(Contains(job->Stdout(), "PAS233I SYS2 ")) << job->Stdout() << job->Stderr();
  ProcessResult kill = bed_.KillClient(2);
  ASSERT_EQ(kill.exit_code, 0) << kill.out << kill.err;
  ASSERT_EQ(::kill(pid, SIGCONT), 0);
  const int rc = job->Wait(180);
  const std::string out = job->Stdout();
  EXPECT_EQ(rc, 8) << out << job->Stderr();
  EXPECT_FALSE(Contains(out, "PAS236I")) << out;
  EXPECT_TRUE(Contains(out, "PAS243E")) << out;
  EXPECT_EQ(workloads_[0]->Wait(120), 0) << workloads_[0]->Stdout() << workloads_[0]->Stderr();
  workloads_[1]->Wait(120);  // its storage is gone: it fails
  workloads_.clear();
  for (auto& m : monitors_) m->Kill();
  monitors_.clear();
  EXPECT_TRUE(Contains(Display(1), bed_.Mount(1) + "/src.ckd")) << Display(1);
  EXPECT_FALSE(Contains(Display(2), "tgt1.ckd")) << Display(2);
  ProcessResult v = Verify(1, bed_.Mount(1) + "/src.ckd", "a");
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

}  // namespace
}  // namespace pas::multimachine
