// Shared set-up of the swap system tests: volumes built with the ckd
// library (a VTOC, data sets with data, and a PAS.WORKLOAD data set the
// workload writes into), system configurations, and `pas` processes run
// with a private runtime and state directory per test.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "ckd/device.h"
#include "ckd/image.h"
#include "ckd/label.h"
#include "ckd/volume.h"
#include "test_util.h"

namespace pas::swaptest {

using pas::testing::Child;
using pas::testing::ProcessResult;
using pas::testing::ScratchDir;
using pas::testing::WriteFile;

struct Unit {
  std::string devnum;  // "1887"
  std::string image;
  bool offline = false;
};

class SwapFixture : public ::testing::Test {
 protected:
  SwapFixture() {
    env_ = {"PAS_RUNTIME_DIR=" + (dir_ / "runtime"), "PAS_STATE_DIR=" + (dir_ / "state"), "PAS_CONFIG=",
            "PAS_LOG_LEVEL=" + std::string(std::getenv("PAS_TEST_LOG_LEVEL") ? std::getenv("PAS_TEST_LOG_LEVEL") : "warn"), "PAS_FAULT_POINT="};
  }

  // A volume with a VTOC, two data sets holding records and PAS.WORKLOAD.
  std::string MakeSourceVolume(const std::string& name, const std::string& volser, uint32_t cylinders = 20,
                               uint32_t workload_tracks = 60) {
    std::string path = dir_ / name;
    auto img = ckd::CkdImage::Create(path, ckd::k3390Geometry, cylinders, false);
    EXPECT_TRUE(img.ok()) << img.status().ToString();
    EXPECT_TRUE(ckd::FormatVolume(*img, volser, true).ok());
    ckd::DataSetSpec a{.name = "PAS.TEST.TEXT", .tracks = 5, .lrecl = 80, .blksize = 3120, .records = 600};
    ckd::DataSetSpec b{.name = "PAS.TEST.DATA", .tracks = 20, .lrecl = 200, .blksize = 27800, .records = 2000};
    ckd::DataSetSpec w{.name = "PAS.WORKLOAD", .tracks = workload_tracks, .lrecl = 80, .blksize = 3120};
    EXPECT_TRUE(ckd::AddDataSet(*img, a).ok());
    EXPECT_TRUE(ckd::AddDataSet(*img, b).ok());
    Status s = ckd::AddDataSet(*img, w);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return path;
  }

  // An empty target as dasdinit makes it (label, no VTOC).
  std::string MakeEmptyVolume(const std::string& name, const std::string& volser, uint32_t cylinders = 20) {
    std::string path = dir_ / name;
    auto img = ckd::CkdImage::Create(path, ckd::k3390Geometry, cylinders, false);
    EXPECT_TRUE(img.ok()) << img.status().ToString();
    EXPECT_TRUE(ckd::FormatVolume(*img, volser, false).ok());
    return path;
  }

  // An empty target made by `pas volume init` (label, no VTOC), so marked
  // freshly formatted (ckd/fresh.h): a job does not format its empty tracks.
  std::string InitVolume(const std::string& name, const std::string& volser, uint32_t cylinders = 20) {
    std::string path = dir_ / name;
    std::filesystem::remove(path);
    ProcessResult r = Pas({"volume", "init", path, "--model", "3390-3", "--cylinders",
                           std::to_string(cylinders), "--volser", volser});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return path;
  }

  std::string Config(const std::string& name, const std::string& serial, const std::vector<Unit>& units) {
    std::string path = dir_ / (name + ".cnf");
    std::string text = "LPARNAME " + name + "\nCPUSERIAL " + serial + "\n";
    std::string offline;
    for (const Unit& u : units) {
      text += u.devnum + " 3390 " + u.image + "\n";
      if (u.offline) text += "OFFLINE " + u.devnum + "\n";
    }
    WriteFile(path, text);
    return path;
  }

  std::vector<std::string> Argv(std::vector<std::string> args) const {
    args.insert(args.begin(), PAS_BINARY);
    return args;
  }
  ProcessResult Pas(const std::vector<std::string>& args, const std::string& stdin_text = "",
                    const std::vector<std::string>& extra_env = {}, int timeout_s = 90) {
    std::vector<std::string> env = env_;
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    return pas::testing::Run(Argv(args), stdin_text, env, timeout_s);
  }
  std::unique_ptr<Child> Start(const std::vector<std::string>& args, const std::string& log,
                               const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> env = env_;
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    return std::make_unique<Child>(Argv(args), env, dir_ / log);
  }
  std::unique_ptr<Child> Monitor(const std::string& config, const std::string& units) {
    return Start({"monitor", "--unit", units, "--config", config}, "monitor-" + units);
  }
  std::unique_ptr<Child> Workload(const std::string& config, const std::string& unit, const std::string& journal,
                                  int index, int systems, int seconds, int writers = 2) {
    return Start({"workload", "run", "--unit", unit, "--writers", std::to_string(writers), "--duration",
                  std::to_string(seconds), "--journal", dir_ / journal, "--system-index", std::to_string(index),
                  "--systems", std::to_string(systems), "--config", config},
                 "workload-" + journal);
  }
  ProcessResult RunDeck(const std::string& config, const std::string& deck,
                        const std::vector<std::string>& extra_env = {}, int timeout_s = 90) {
    return Pas({"run", "-", "--config", config}, deck, extra_env, timeout_s);
  }
  ProcessResult Verify(const std::string& image, const std::vector<std::string>& journals) {
    std::vector<std::string> args = {"workload", "verify", "--image", image};
    for (const auto& j : journals) {
      args.push_back("--journal");
      args.push_back(dir_ / j);
    }
    return Pas(args);
  }
  // The `pas display` line of `unit` on the system of `config`.
  std::string DisplayLine(const std::string& config, const std::string& unit) {
    ProcessResult d = Pas({"display", unit, "--config", config});
    std::istringstream in(d.out);
    std::string line;
    while (std::getline(in, line))
      if (line.rfind(unit + " ", 0) == 0) return line;
    return "";
  }
  static std::string Volser(const std::string& image) {
    auto img = ckd::CkdImage::Open(image, false);
    if (!img.ok()) return "?";
    auto l = ckd::ReadVolumeLabel(*img);
    return l.ok() ? l->volser : "?";
  }
  // The decision records beside `image` (TARGET.pas-decision-JOBID).
  static int DecisionRecords(const std::string& image) {
    namespace fs = std::filesystem;
    const fs::path p(image);
    const std::string prefix = p.filename().string() + ".pas-decision-";
    int n = 0;
    for (const auto& e : fs::directory_iterator(p.parent_path())) {
      const std::string name = e.path().filename().string();
      if (name.rfind(prefix, 0) == 0 && name.find(".tmp.") == std::string::npos) ++n;
    }
    return n;
  }
  static std::string Dasdls(const std::string& image) {
    ProcessResult r = pas::testing::Run({"dasdls", image}, "", {}, 30);
    return r.out + r.err;
  }
  static bool Contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
  }

  ScratchDir dir_;
  std::vector<std::string> env_;
};

}  // namespace pas::swaptest
