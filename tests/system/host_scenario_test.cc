// The host "done means" scenario with real processes: two systems on one
// machine share a volume, each runs `pas workload run`, `pas display`
// shows the unit online on each, a separate `pas intercept` process
// installs/removes the intercept and quiesces/resumes the units while they
// run, and `pas workload verify` then passes. Plus: verify catches a
// tampered image and a lost write, and bad input exits 12.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace {

using pas::testing::Child;
using pas::testing::ProcessResult;
using pas::testing::ScratchDir;
using pas::testing::WriteFile;

constexpr uint32_t kSlot = 56832;

class HostScenarioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = {"PAS_RUNTIME_DIR=" + (dir_ / "runtime"), "PAS_CONFIG="};
    image_ = dir_ / "vm1887.ckd";
    ProcessResult r = Pas({"volume", "init", image_, "--volser", "VM1887", "--cylinders", "20",
                           "--vtoc"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    cfg_a_ = dir_ / "sysa.cnf";
    cfg_b_ = dir_ / "sysb.cnf";
    WriteFile(cfg_a_, "LPARNAME SYSA\nCPUSERIAL 0A0001\n1887 3390 " + image_ + "\n");
    WriteFile(cfg_b_, "LPARNAME SYSB\nCPUSERIAL 0B0002\n2887 3390 " + image_ +
                          "\nOFFLINE 2887\n");
  }
  ProcessResult Pas(std::vector<std::string> args, int timeout_s = 60) {
    args.insert(args.begin(), PAS_BINARY);
    return pas::testing::Run(args, "", env_, timeout_s);
  }
  std::vector<std::string> PasArgv(std::vector<std::string> args) {
    args.insert(args.begin(), PAS_BINARY);
    return args;
  }
  // The display line of `unit`, "" if absent.
  static std::string UnitLine(const std::string& out, const std::string& unit) {
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(unit + " ", 0) == 0) return line;
    }
    return "";
  }

  ScratchDir dir_;
  std::vector<std::string> env_;
  std::string image_, cfg_a_, cfg_b_;
};

TEST_F(HostScenarioTest, TwoSystemsWorkloadsSurviveInterceptAndQuiesce) {
  // System B starts with its unit offline; display says so, vary brings it online.
  ProcessResult d = Pas({"display", "2887", "--config", cfg_b_});
  ASSERT_EQ(d.exit_code, 0) << d.out << d.err;
  EXPECT_TRUE(std::regex_search(UnitLine(d.out, "2887"), std::regex("^2887 3390 OFFLINE ")))
      << d.out;
  ProcessResult v = Pas({"vary", "2887", "online", "--config", cfg_b_});
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("PAS183I UNIT 2887 NOW ONLINE"), std::string::npos) << v.out;

  Child wa(PasArgv({"workload", "run", "--unit", "1887", "--writers", "2", "--duration", "4",
                    "--journal", dir_ / "ja", "--systems", "2", "--system-index", "0",
                    "--config", cfg_a_}),
           env_, dir_ / "wa");
  Child wb(PasArgv({"workload", "run", "--unit", "2887", "--writers", "2", "--duration", "4",
                    "--rate", "500", "--journal", dir_ / "jb", "--systems", "2",
                    "--system-index", "1", "--config", cfg_b_}),
           env_, dir_ / "wb");
  std::this_thread::sleep_for(std::chrono::milliseconds(600));

  // Both systems show the unit online with the volume's serial.
  ProcessResult da = Pas({"display", "--config", cfg_a_});
  ProcessResult db = Pas({"display", "--config", cfg_b_});
  ASSERT_EQ(da.exit_code, 0) << da.err;
  ASSERT_EQ(db.exit_code, 0) << db.err;
  EXPECT_TRUE(std::regex_search(UnitLine(da.out, "1887"),
                                std::regex("^1887 3390 O +VM1887 PRIV/RSDNT NO ")))
      << da.out;
  EXPECT_TRUE(std::regex_search(UnitLine(db.out, "2887"),
                                std::regex("^2887 3390 O +VM1887 PRIV/RSDNT NO ")))
      << db.out;

  // A separate process installs the intercept on each system while they write.
  for (const auto& [unit, cfg] : {std::pair{"1887", cfg_a_}, std::pair{"2887", cfg_b_}}) {
    ProcessResult i = Pas({"intercept", "install", unit, "--config", cfg});
    ASSERT_EQ(i.exit_code, 0) << i.out << i.err;
    EXPECT_NE(i.out.find("PAS186I INTERCEPT INSTALLED"), std::string::npos);
  }
  da = Pas({"display", "1887", "--config", cfg_a_});
  EXPECT_TRUE(std::regex_search(UnitLine(da.out, "1887"), std::regex(" PRIV/RSDNT YES ")))
      << da.out;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // The writes since the install were recorded.
  ProcessResult h = Pas({"intercept", "harvest", "1887", "--config", cfg_a_});
  ASSERT_EQ(h.exit_code, 0) << h.out << h.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(h.out, m, std::regex("PAS188I UNIT 1887: ([0-9]+) DIRTY")))
      << h.out;
  EXPECT_GT(std::stoul(m[1]), 0u) << h.out;

  // Quiesce each unit for a while from another process; the writers wait.
  for (const auto& [unit, cfg] : {std::pair{"1887", cfg_a_}, std::pair{"2887", cfg_b_}}) {
    ProcessResult q = Pas({"intercept", "quiesce", unit, "--hold", "0.4", "--config", cfg});
    ASSERT_EQ(q.exit_code, 0) << q.out << q.err;
    EXPECT_NE(q.out.find("QUIESCED ON SYSTEM"), std::string::npos) << q.out;
    EXPECT_NE(q.out.find("RESUMED ON SYSTEM"), std::string::npos) << q.out;
  }
  for (const auto& [unit, cfg] : {std::pair{"1887", cfg_a_}, std::pair{"2887", cfg_b_}}) {
    ProcessResult r = Pas({"intercept", "remove", unit, "--config", cfg});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  da = Pas({"display", "1887", "--config", cfg_a_});
  EXPECT_TRUE(std::regex_search(UnitLine(da.out, "1887"), std::regex(" PRIV/RSDNT NO ")))
      << da.out;

  ASSERT_EQ(wa.Wait(30), 0) << wa.Stdout() << wa.Stderr();
  ASSERT_EQ(wb.Wait(30), 0) << wb.Stdout() << wb.Stderr();
  for (Child* c : {&wa, &wb}) {
    const std::string out = c->Stdout();
    ASSERT_TRUE(std::regex_search(out, m, std::regex("PAS180I .* WRITES=([0-9]+) "))) << out;
    EXPECT_GT(std::stoul(m[1]), 10u) << out;
    // The writers saw the quiesce: their longest stall covers most of the hold.
    ASSERT_TRUE(std::regex_search(out, m, std::regex("LONGEST STALL=([0-9.]+)ms"))) << out;
    EXPECT_GT(std::stod(m[1]), 100.0) << out;
  }

  ProcessResult ver = Pas({"workload", "verify", "--journal", dir_ / "ja", "--journal",
                           dir_ / "jb", "--image", image_});
  EXPECT_EQ(ver.exit_code, 0) << ver.out << ver.err;
  EXPECT_NE(ver.out.find("PAS175I"), std::string::npos) << ver.out;
  // Four writer journals were found from the two base names.
  EXPECT_NE(ver.out.find("IN 4 JOURNALS"), std::string::npos) << ver.out;
}

// The first journaled track of `journal_file`.
uint32_t FirstJournaledTrack(const std::string& journal_file) {
  std::ifstream in(journal_file);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') return static_cast<uint32_t>(std::stoul(line));
  }
  return 0;
}

TEST_F(HostScenarioTest, VerifyDetectsTamperedImageAndLostWrite) {
  ProcessResult w = Pas({"workload", "run", "--unit", "1887", "--writers", "2", "--writes",
                         "40", "--journal", dir_ / "j", "--config", cfg_a_});
  ASSERT_EQ(w.exit_code, 0) << w.out << w.err;
  ProcessResult ok = Pas({"workload", "verify", "--journal", dir_ / "j", "--image", image_});
  ASSERT_EQ(ok.exit_code, 0) << ok.out << ok.err;

  // A lost write: the journal acknowledges a newer write than the image has.
  const uint32_t lost_track = FirstJournaledTrack(dir_ / "j.w1");
  ASSERT_GE(lost_track, 5u);  // in PAS.WORKLOAD, past the label and the VTOC
  {
    std::ofstream j(dir_ / "j.w1", std::ios::app);
    j << lost_track << " 1 99999999999999999 00000000\n";
  }
  ProcessResult lost = Pas({"workload", "verify", "--journal", dir_ / "j", "--image", image_});
  EXPECT_EQ(lost.exit_code, 1) << lost.out;
  EXPECT_NE(lost.out.find("PAS176E TRACK " + std::to_string(lost_track)), std::string::npos)
      << lost.out;
  EXPECT_NE(lost.out.find("PAS178E"), std::string::npos) << lost.out;

  // A tampered image: one byte of a journaled track of writer 0 changed.
  const uint32_t torn_track = FirstJournaledTrack(dir_ / "j.w0");
  ASSERT_GE(torn_track, 5u);
  int fd = ::open(image_.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  const off_t off = 512 + static_cast<off_t>(torn_track) * kSlot + 3000;
  uint8_t b = 0;
  ASSERT_EQ(::pread(fd, &b, 1, off), 1);
  b ^= 0x5A;
  ASSERT_EQ(::pwrite(fd, &b, 1, off), 1);
  ::close(fd);
  ProcessResult torn = Pas({"workload", "verify", "--journal", dir_ / "j.w0", "--image", image_});
  EXPECT_EQ(torn.exit_code, 1) << torn.out;
  EXPECT_NE(torn.out.find("PAS177E TRACK " + std::to_string(torn_track)), std::string::npos)
      << torn.out;
}

// The writer processes of a `pas workload run` (children of `pid`).
std::vector<int> ChildrenOf(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::vector<int> out;
  int c = 0;
  while (in >> c) out.push_back(c);
  return out;
}

TEST_F(HostScenarioTest, KilledWritersLoseNothingAndQuiesceStillCompletes) {
  Child w(PasArgv({"workload", "run", "--unit", "1887", "--writers", "3", "--duration", "20",
                   "--journal", dir_ / "k", "--config", cfg_a_}),
          env_, dir_ / "wk");
  std::vector<int> writers;
  for (int i = 0; i < 50 && writers.size() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    writers = ChildrenOf(w.pid());
  }
  ASSERT_EQ(writers.size(), 3u);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // SIGKILL one writer in the middle of its I/O loop.
  ASSERT_EQ(::kill(writers[0], SIGKILL), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // A quiesce does not wait for the dead writer.
  ProcessResult q = Pas({"intercept", "quiesce", "1887", "--hold", "0.1", "--config", cfg_a_},
                        20);
  EXPECT_EQ(q.exit_code, 0) << q.out << q.err;
  // Then the whole workload: its writers die with it.
  w.Kill(SIGKILL);
  EXPECT_EQ(w.Wait(10), 128 + SIGKILL);
  for (int i = 0; i < 50; ++i) {
    bool any = false;
    for (int pid : writers) any |= ::kill(pid, 0) == 0;
    if (!any) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ProcessResult ver = Pas({"workload", "verify", "--journal", dir_ / "k", "--image", image_});
  EXPECT_EQ(ver.exit_code, 0) << ver.out << ver.err;
  EXPECT_NE(ver.out.find("PAS175I"), std::string::npos) << ver.out;
}

TEST_F(HostScenarioTest, BadInputGetsMessageAndExit12) {
  ProcessResult r = Pas({"workload", "verify", "--journal", dir_ / "none", "--image", image_});
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_NE(r.err.find("PAS173E"), std::string::npos) << r.err;

  WriteFile(dir_ / "bad.w0", "15 0 1 0000000g\n");
  r = Pas({"workload", "verify", "--journal", dir_ / "bad", "--image", image_});
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_NE(r.err.find("bad.w0:1"), std::string::npos) << r.err;

  r = Pas({"workload", "verify", "--journal", dir_ / "bad.w0", "--image", dir_ / "missing.ckd"});
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_NE(r.err.find("PAS17"), std::string::npos) << r.err;

  r = Pas({"workload", "run", "--unit", "1999", "--journal", dir_ / "x", "--config", cfg_a_});
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_NE(r.err.find("PAS172E"), std::string::npos) << r.err;

  r = Pas({"workload", "run", "--unit", "1887", "--journal", dir_ / "x", "--tracks", "0-20",
           "--config", cfg_a_});
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_NE(r.err.find("track 0"), std::string::npos) << r.err;

  r = Pas({"vary", "1999", "online", "--config", cfg_a_});
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_NE(r.err.find("PAS172E"), std::string::npos) << r.err;

  r = Pas({"intercept", "explode", "1887", "--config", cfg_a_});
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_NE(r.err.find("PAS170E"), std::string::npos) << r.err;

  // Offline unit: the workload refuses to start and writes nothing.
  r = Pas({"workload", "run", "--unit", "2887", "--journal", dir_ / "x", "--config", cfg_b_});
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_NE(r.err.find("offline"), std::string::npos) << r.err;
}

}  // namespace
