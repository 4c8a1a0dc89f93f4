// A multi-machine test bed for system tests: tests/multimachine/testbed.sh
// (a GlusterFS server and N machines, each with its own network and mount
// namespaces, FUSE mount, pas runtime and state directories) driven from a
// test, plus the volumes, configurations and pas processes of one swap
// scenario. Layout and mount options: doc/multi-machine.md.
//
// Every bed lives in the test's scratch directory and is torn down by
// process ID when the object dies (and by the bed's watchdog if the test
// process dies). A machine that cannot run it (no /dev/fuse, no
// namespaces, no GlusterFS) fails the test with the bed's message.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "ckd/device.h"
#include "ckd/image.h"
#include "ckd/label.h"
#include "ckd/volume.h"
#include "test_util.h"

namespace pas::multimachine {

using pas::testing::Child;
using pas::testing::ProcessResult;
using pas::testing::ScratchDir;

inline bool Contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

class Bed {
 public:
  Bed() = default;
  ~Bed() { Down(); }
  Bed(const Bed&) = delete;
  Bed& operator=(const Bed&) = delete;

  // Starts the bed: `machines` machines, each mounting the volume at the
  // same path, or (different_paths) machine 1 at DIR/dasd and machine I at
  // DIR/mI/dasd. Returns "" or the reason it could not start.
  std::string Up(int machines, bool different_paths) {
    machines_ = machines;
    ProcessResult r = pas::testing::Run({"bash", Script(), "up", dir_.path(), std::to_string(machines), "--paths",
                                         different_paths ? "different" : "same", "--owner",
                                         std::to_string(::getpid())},
                                        "", {}, 240);
    if (r.exit_code != 0) return "test bed did not start (exit " + std::to_string(r.exit_code) + "): " + r.out + r.err;
    up_ = true;
    return "";
  }
  void Down() {
    if (!up_) return;
    up_ = false;
    (void)pas::testing::Run({"bash", Script(), "down", dir_.path()}, "", {}, 120);
  }

  const std::string& dir() const { return dir_.path(); }
  std::string operator/(const std::string& name) const { return dir_ / name; }
  // Where machine i (1-based) mounts the volume.
  std::string Mount(int i) const {
    std::string s = pas::testing::ReadFile(dir_ / ("m" + std::to_string(i) + "/mountpoint"));
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  // argv run inside machine i with its environment.
  std::vector<std::string> In(int i, const std::vector<std::string>& args) const {
    std::vector<std::string> v = {"bash", Script(), "exec", dir_.path(), std::to_string(i), "--"};
    v.insert(v.end(), args.begin(), args.end());
    return v;
  }
  ProcessResult Run(int i, const std::vector<std::string>& args, const std::string& stdin_text = "",
                    int timeout_s = 180) const {
    return pas::testing::Run(In(i, args), stdin_text, Env(), timeout_s);
  }
  std::unique_ptr<Child> Start(int i, const std::vector<std::string>& args, const std::string& log) const {
    return std::make_unique<Child>(In(i, args), Env(), dir_ / log);
  }
  // SIGKILL to machine i's FUSE client: its mount answers ENOTCONN.
  ProcessResult KillClient(int i) const {
    return pas::testing::Run({"bash", Script(), "kill-client", dir_.path(), std::to_string(i)}, "", {}, 60);
  }
  // The network link of machine i down (cut) or up again.
  ProcessResult Link(int i, bool up) const {
    return pas::testing::Run({"bash", Script(), up ? "heal" : "cut", dir_.path(), std::to_string(i)}, "", {}, 60);
  }

 private:
  static std::string Script() { return std::string(PAS_SOURCE_DIR) + "/tests/multimachine/testbed.sh"; }
  static std::vector<std::string> Env() {
    const char* level = std::getenv("PAS_TEST_LOG_LEVEL");
    return {"PAS_LOG_LEVEL=" + std::string(level ? level : "warn"), "PAS_FAULT_POINT=", "PAS_CONFIG="};
  }
  ScratchDir dir_;
  int machines_ = 0;
  bool up_ = false;
};

// One swap scenario on a bed: a source volume (VTOC, data sets, the
// PAS.WORKLOAD data set) and empty targets on the shared volume, and one
// system per machine (SYSn, units 1887 source, B887 and B888 offline
// targets, each under that machine's own mount path).
class MultiMachineTest : public ::testing::Test {
 protected:
  // Starts the bed and puts the volumes on it. Fails the test on error.
  void Prepare(int machines, bool different_paths) {
    machines_ = machines;
    std::string err = bed_.Up(machines, different_paths);
    ASSERT_EQ(err, "") << err;
    const std::string local = bed_ / "local";
    ASSERT_EQ(::mkdir(local.c_str(), 0755), 0);
    {
      auto img = ckd::CkdImage::Create(local + "/src.ckd", ckd::k3390Geometry, 20, false);
      ASSERT_TRUE(img.ok()) << img.status().ToString();
      ASSERT_TRUE(ckd::FormatVolume(*img, "VOL001", true).ok());
      ckd::DataSetSpec a{.name = "PAS.TEST.TEXT", .tracks = 5, .lrecl = 80, .blksize = 3120, .records = 600};
      ckd::DataSetSpec w{.name = "PAS.WORKLOAD", .tracks = 60, .lrecl = 80, .blksize = 3120};
      ASSERT_TRUE(ckd::AddDataSet(*img, a).ok());
      ASSERT_TRUE(ckd::AddDataSet(*img, w).ok());
    }
    for (const char* t : {"tgt1.ckd", "tgt2.ckd"}) {
      auto img = ckd::CkdImage::Create(local + "/" + t, ckd::k3390Geometry, 20, false);
      ASSERT_TRUE(img.ok()) << img.status().ToString();
      ASSERT_TRUE(ckd::FormatVolume(*img, "NEWVOL", false).ok());
    }
    // Copied onto the volume from machine 1 before any system uses them.
    ProcessResult cp = bed_.Run(1, {"cp", local + "/src.ckd", local + "/tgt1.ckd", local + "/tgt2.ckd", bed_.Mount(1)});
    ASSERT_EQ(cp.exit_code, 0) << cp.out << cp.err;
    for (int i = 1; i <= machines; ++i) {
      const std::string m = bed_.Mount(i);
      std::string text = "LPARNAME SYS" + std::to_string(i) + "\nCPUSERIAL 00000" + std::to_string(i) +
                         "\n1887 3390 " + m + "/src.ckd\nB887 3390 " + m + "/tgt1.ckd\nB888 3390 " + m +
                         "/tgt2.ckd\nOFFLINE B887\nOFFLINE B888\n";
      pas::testing::WriteFile(Config(i), text);
    }
  }

  std::string Config(int i) const { return bed_ / ("sys" + std::to_string(i) + ".cnf"); }
  std::vector<std::string> Pas(std::vector<std::string> args) const {
    args.insert(args.begin(), PAS_BINARY);
    return args;
  }

  // A writing workload on every machine, `seconds` long.
  void StartWorkloads(int seconds, const std::string& tag) {
    workloads_.clear();
    for (int i = 1; i <= machines_; ++i) {
      workloads_.push_back(bed_.Start(
          i,
          Pas({"workload", "run", "--unit", "1887", "--writers", "2", "--duration", std::to_string(seconds),
               "--journal", Journal(tag, i), "--system-index", std::to_string(i - 1), "--systems",
               std::to_string(machines_), "--config", Config(i)}),
          "workload-" + tag + std::to_string(i)));
    }
  }
  std::string Journal(const std::string& tag, int i) const { return bed_ / ("j" + tag + std::to_string(i)); }
  // Every workload ended well. Returns their output.
  std::string WaitWorkloads() {
    std::string all;
    for (auto& w : workloads_) {
      EXPECT_EQ(w->Wait(180), 0) << w->Stdout() << w->Stderr();
      all += w->Stdout();
    }
    workloads_.clear();
    return all;
  }
  // A monitor for `unit` on every machine but the first.
  void StartMonitors(const std::string& unit) {
    monitors_.clear();
    for (int i = 2; i <= machines_; ++i)
      monitors_.push_back(bed_.Start(i, Pas({"monitor", "--unit", unit, "--config", Config(i)}),
                                     "monitor-" + unit + std::to_string(i)));
  }
  std::vector<std::string> WaitMonitors(int timeout_s = 120) {
    std::vector<std::string> out;
    for (auto& m : monitors_) {
      EXPECT_EQ(m->Wait(timeout_s), 0) << m->Stdout() << m->Stderr();
      out.push_back(m->Stdout());
    }
    monitors_.clear();
    return out;
  }
  ProcessResult Job(const std::string& deck) {
    return bed_.Run(1, Pas({"run", "-", "--config", Config(1)}), deck, 240);
  }
  ProcessResult Verify(int machine, const std::string& image, const std::string& tag) {
    std::vector<std::string> args = {"workload", "verify", "--image", image};
    for (int i = 1; i <= machines_; ++i) {
      args.push_back("--journal");
      args.push_back(Journal(tag, i));
    }
    return bed_.Run(machine, Pas(args));
  }
  // The `pas display` line of unit 1887 on machine i.
  std::string Display(int i) {
    ProcessResult d = bed_.Run(i, Pas({"display", "1887", "--config", Config(i)}));
    std::istringstream in(d.out);
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("1887 ", 0) == 0) return line;
    return d.out + d.err;
  }
  // The number after `key` in `text` (-1 when absent).
  static double Figure(const std::string& text, const std::string& key) {
    auto p = text.find(key);
    if (p == std::string::npos) return -1;
    return std::atof(text.c_str() + p + key.size());
  }

  Bed bed_;
  int machines_ = 0;
  std::vector<std::unique_ptr<Child>> workloads_, monitors_;
};

}  // namespace pas::multimachine
