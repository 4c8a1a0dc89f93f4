// Shared set-up of the system tests that run a real Hercules (Debian
// `hercules`, started with -d) with the project's ESA/390 test guest
// (src/hercules/guest.s, doc/hercules-guest.md): one configuration file
// that both Hercules and pas read, the guest's load files, a free HTTP
// port per Hercules (tests run in parallel), the console over HTTP, and a
// teardown that never leaves a Hercules running (quit, then SIGKILL of
// every process it started, by PID).
//
// A missing `hercules` or a guest that was not built (no s390x assembler)
// fails the test with a message; nothing is skipped.
#pragma once

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include "ckd/vtoc.h"
#include "hercules/console.h"
#include "hercules/guest.h"
#include "system/kill_scenario.h"

namespace pas::swaptest {

// One Hercules process (possibly under `pas exec`) and its console.
struct HerculesSystem {
  std::string name;            // LPARNAME
  std::string config;          // the configuration file (Hercules and pas)
  int port = 0;                // HTTPPORT
  std::string log;             // log prefix of the process (stdout/stderr)
  std::unique_ptr<Child> proc; // pas exec (or hercules itself)
  int hercules_pid = -1;       // Hercules's own pid, from its HHCCF065I line
  hercules::HerculesConsole console{0};
  hercules::GuestParams params;
};

class HerculesFixture : public KillScenario {
 protected:
  ~HerculesFixture() override {
    for (auto& h : systems_) Kill(*h);
  }

  // Fails the test unless hercules is installed and the guest was built.
  static std::string MissingTools() {
    if (pas::testing::Run({"sh", "-c", "command -v hercules"}, "", {}, 10).exit_code != 0)
      return "hercules is not installed (Debian package hercules; scripts/deps.sh installs it)";
    if (hercules::GuestImage().empty())
      return "the test guest was not built: s390x-linux-gnu-as was missing at build time "
             "(Debian package binutils-s390x-linux-gnu; scripts/deps.sh installs it)";
    return "";
  }

  // A configuration file that Hercules loads and that is the pas system
  // `name`: Hercules statements, the guest's device 0A80 on `source`, and
  // the target units (which Hercules must not open) on `#PAS ` lines.
  std::string HerculesConfig(const std::string& name, const std::string& serial, int port,
                             const std::string& source, const std::vector<Unit>& targets,
                             const std::string& unit = "0A80") {
    std::string path = dir_ / (name + ".cnf");
    std::string text = "# " + name + ": the test guest writes unit " + unit +
                       "\nCPUSERIAL " + serial +
                       "\nCPUMODEL  3090\nMAINSIZE  2\nNUMCPU    1\nARCHMODE  ESA/390\nLPARNAME  " + name +
                       "\nHTTPPORT  " + std::to_string(port) + " NOAUTH\n" + unit + " 3390 " + source + "\n";
    for (const Unit& t : targets) text += "#PAS " + t.devnum + " 3390 " + t.image + "\n#PAS OFFLINE " + t.devnum + "\n";
    WriteFile(path, text);
    return path;
  }

  // Starts Hercules for `h.config` (through `pas exec` unless `plain`) with
  // the guest loaded by HERCULES_RC, and waits until the guest writes.
  // Returns "" or what went wrong (with the Hercules log).
  std::string StartHercules(HerculesSystem& h, bool plain = false, int timeout_s = 40) {
    std::string gdir = dir_ / ("guest-" + h.name);
    std::filesystem::create_directories(gdir);
    auto ins = hercules::InstallGuest(gdir, h.params);
    if (!ins.ok()) return "guest install: " + ins.status().ToString();
    std::string rc = gdir + "/hercules.rc";
    WriteFile(rc, "ipl " + *ins + "\n");
    std::vector<std::string> argv = {"hercules", "-f", h.config, "-d"};
    if (!plain) argv.insert(argv.begin(), {PAS_BINARY, "exec", "--config", h.config, "--"});
    std::vector<std::string> env = env_;
    env.push_back("HERCULES_RC=" + rc);
    h.log = dir_ / ("hercules-" + h.name);
    h.console = hercules::HerculesConsole(h.port);
    h.proc = std::make_unique<Child>(argv, env, h.log);
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    std::string why = "no answer on the console";
    bool configured = false;
    while (std::chrono::steady_clock::now() < until) {
      if (h.hercules_pid < 0) h.hercules_pid = HerculesPid(h);
      if (!h.proc->Running()) return "Hercules ended at start: " + Log(h);
      // Hercules listens on HTTP before it has built its configuration; a
      // console command then races the CPU and device set-up. Ask only once
      // it runs its startup script (the configuration is complete).
      if (!configured && pas::testing::ReadFile(h.log + ".out").find("HHCPN008I") == std::string::npos) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      configured = true;
      auto c = h.console.ReadCounters();
      if (c.ok()) {
        if (c->state >= 0xE0) return "the guest failed: " + hercules::GuestStateName(c->state) + "\n" + Log(h);
        if (c->state == 2 && c->writes > 0) return "";
        why = "the guest is " + hercules::GuestStateName(c->state);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return "Hercules did not start the guest in " + std::to_string(timeout_s) + " s (" + why + "): " + Log(h);
  }

  static int HerculesPid(const HerculesSystem& h) {
    std::string text = pas::testing::ReadFile(h.log + ".out") + pas::testing::ReadFile(h.log + ".err");
    size_t p = text.find("HHCCF065I");
    if (p == std::string::npos) return -1;
    p = text.find("pid=", p);
    return p == std::string::npos ? -1 : std::atoi(text.c_str() + p + 4);
  }

  static std::string Log(const HerculesSystem& h) {
    std::string text = pas::testing::ReadFile(h.log + ".out") + pas::testing::ReadFile(h.log + ".err");
    if (text.size() > 6000) text = "..." + text.substr(text.size() - 6000);
    return text;
  }

  // Ends Hercules with `quit` (falling back to SIGKILL) and reaps it.
  void Quit(HerculesSystem& h) {
    if (!h.proc) return;
    (void)h.console.Command("quit", 2000);
    if (h.proc->Wait(15) == -1) Kill(h);
    Kill(h);
  }

  // SIGKILL of Hercules and of the process that started it; never leaves
  // either running.
  static void Kill(HerculesSystem& h) {
    if (h.hercules_pid < 0 && h.proc) h.hercules_pid = HerculesPid(h);
    if (h.hercules_pid > 0 && (!h.proc || h.hercules_pid != h.proc->pid())) {
      // Only a process that still is a hercules (its pid is not reused yet).
      std::string comm = pas::testing::ReadFile("/proc/" + std::to_string(h.hercules_pid) + "/comm");
      if (comm.rfind("hercules", 0) == 0) ::kill(h.hercules_pid, SIGKILL);
    }
    if (h.proc && h.proc->Running()) {
      h.proc->Kill(SIGKILL);
      h.proc->Wait(10);
    }
  }

  // The counters, or a failure of the test.
  hercules::GuestCounters Counters(const HerculesSystem& h) {
    auto c = h.console.ReadCounters();
    EXPECT_TRUE(c.ok()) << c.status().ToString() << "\n" << Log(h);
    return c.ok() ? *c : hercules::GuestCounters{};
  }

  // Waits until the guest's write count passes `writes` + `more`; false on timeout.
  bool WaitForWrites(const HerculesSystem& h, uint32_t writes, uint32_t more, int timeout_s = 20) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    while (std::chrono::steady_clock::now() < until) {
      auto c = h.console.ReadCounters();
      if (c.ok() && c->writes >= writes + more) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // Stops the guest's CPU and returns its final counters (the one write that
  // may be in flight lands meanwhile).
  hercules::GuestCounters StopGuest(HerculesSystem& h) {
    auto r = h.console.Command("stop");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return Counters(h);
  }

  // "" when every write the stopped guest saw complete is on `image`.
  static std::string CheckAfterStop(const std::string& image, const hercules::GuestParams& p,
                                    const hercules::GuestCounters& c) {
    auto seqs = hercules::ReadGuestSequences(image, p, c.run_id);
    if (!seqs.ok()) return seqs.status().ToString();
    return hercules::CheckAfterStop(*seqs, c.writes);
  }

  // The bytes of `image` outside the guest's tracks (what nobody writes).
  static std::string TracksOutsideGuest(const std::string& image, const hercules::GuestParams& p) {
    auto img = ckd::CkdImage::Open(image, false);
    if (!img.ok()) return "?open";
    std::string out;
    std::vector<uint8_t> slot(img->slot_size());
    for (uint32_t tr = 0; tr < img->tracks(); ++tr) {
      if (tr >= p.first_track && tr < p.first_track + p.tracks) continue;
      if (!img->ReadTrack(tr, slot).ok()) return "?read";
      out.append(reinterpret_cast<const char*>(slot.data()), slot.size());
    }
    return out;
  }

  // A source volume for the guest: label, VTOC and the data set PAS.GUEST
  // of `tracks` tracks (the guest writes inside a data set, as programs
  // do: the copy reads allocated tracks only). Its first track in *first.
  std::string GuestVolume(const std::string& name, const std::string& volser, uint32_t tracks, uint32_t* first,
                          uint32_t cylinders = 15) {
    const std::string path = dir_ / name;
    auto img = ckd::CkdImage::Create(path, ckd::k3390Geometry, cylinders, false);
    EXPECT_TRUE(img.ok()) << img.status().ToString();
    if (!img.ok()) return path;
    EXPECT_OK(ckd::FormatVolume(*img, volser, true));
    EXPECT_OK(ckd::AddDataSet(*img, ckd::DataSetSpec{.name = "PAS.GUEST", .tracks = tracks, .lrecl = 80,
                                                     .blksize = 3120, .records = 0, .fill = nullptr}));
    auto vtoc = ckd::ReadVtoc(*img);
    EXPECT_TRUE(vtoc.ok());
    *first = 0;
    if (vtoc.ok())
      for (const auto& ds : vtoc->datasets)
        if (ds.name == "PAS.GUEST") *first = ckd::RelativeTrack(img->geometry(), ds.extents.at(0).begin);
    EXPECT_GT(*first, 0u);
    EXPECT_OK(img->Sync());
    return path;
  }

  // A HerculesSystem named `name` with a free port, owned by the fixture
  // (whose destructor kills its Hercules).
  HerculesSystem& NewSystem(const std::string& name) {
    systems_.push_back(std::make_unique<HerculesSystem>());
    HerculesSystem& h = *systems_.back();
    h.name = name;
    auto port = hercules::PickFreePort();
    EXPECT_TRUE(port.ok()) << port.status().ToString();
    h.port = port.ok() ? *port : 0;
    return h;
  }

  // The value after "NAME....." in a statistics line of a job's report.
  static std::string Stat(const std::string& report, const std::string& name) {
    size_t p = report.find(name + ".");
    if (p == std::string::npos) return "";
    p = report.find_first_not_of('.', p + name.size());
    size_t e = report.find('\n', p);
    return report.substr(p, e == std::string::npos ? std::string::npos : e - p);
  }

  std::vector<std::unique_ptr<HerculesSystem>> systems_;
};

}  // namespace pas::swaptest
