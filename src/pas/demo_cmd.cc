// `pas demo [--dir DIR] [--cylinders N] [--seconds S]`: the live demo of a
// swap on one machine. It creates a source volume VM1887 (a VTOC, data sets
// holding data, and the PAS.WORKLOAD data set) and an empty target, defines
// two systems SYSA and SYSB sharing both (source units 1887 / 2887, target
// units B887 / C887 offline), starts a workload on each system and a monitor
// on SYSB, runs the SWAP from SYSA with `pas run`, then verifies that every
// write the workloads were told was done is on the target, shows where each
// system's unit now points, and ends with the closing line. Every step is a
// separate `pas` process, exactly as a user would run them.
//
// Then, when `hercules` is installed, the same under a real Hercules: the
// project's ESA/390 test guest (doc/hercules-guest.md) writes volume
// VM0A80 on unit 0A80 of a Hercules started through `pas exec`, the SWAP
// moves it to unit 0B80 while the guest writes, and the demo ends with the
// check that every write the guest saw complete is on the target.
#include <boost/program_options.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ckd/image.h"
#include "ckd/volume.h"
#include "ckd/vtoc.h"
#include "hercules/console.h"
#include "hercules/guest.h"
#include "pas/command.h"
#include "report/report.h"

extern char** environ;

namespace po = boost::program_options;

namespace pas::cli {
namespace {

std::string SelfPath() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "pas";
  buf[n] = '\0';
  return buf;
}

// Starts `pas ARGS` with stdout/stderr to `log` ("" inherits). Returns the pid or -1.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> argv = {SelfPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (!log.empty()) {
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
  }
  std::fflush(stdout);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0].c_str(), &fa, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

int Wait(pid_t pid) {
  int st = 0;
  if (pid < 0 || ::waitpid(pid, &st, 0) < 0) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int RunPas(const std::vector<std::string>& args) { return Wait(Spawn(args, "")); }

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Heading(const std::string& text) { std::printf("\n==== %s\n", text.c_str()); }

Status BuildVolumes(const std::string& src, const std::string& tgt, uint32_t cylinders) {
  PAS_RETURN_IF_ERROR(ckd::BuildDemoVolume(src, "VM1887", cylinders));
  {
    PAS_ASSIGN_OR_RETURN(ckd::CkdImage img, ckd::CkdImage::Open(src, true));
    ckd::DataSetSpec w{.name = "PAS.WORKLOAD", .tracks = 60, .lrecl = 80, .blksize = 3120};
    PAS_RETURN_IF_ERROR(ckd::AddDataSet(img, w));
    PAS_RETURN_IF_ERROR(img.Sync());
  }
  PAS_ASSIGN_OR_RETURN(ckd::CkdImage t, ckd::CkdImage::Create(tgt, ckd::k3390Geometry, cylinders, false));
  PAS_RETURN_IF_ERROR(ckd::FormatVolume(t, "NEW887", false));
  return t.Sync();
}

bool HerculesInstalled() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/hercules";
    if (::access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

// A Hercules the demo started: ended with `quit` (then SIGKILL) whatever
// happens, so the demo never leaves one running.
struct RunningHercules {
  pid_t pid = -1;
  hercules::HerculesConsole console{0};
  ~RunningHercules() { Stop(); }
  void Stop() {
    if (pid <= 0) return;
    (void)console.Command("quit", 2000);
    for (int i = 0; i < 100; ++i) {
      int st = 0;
      if (::waitpid(pid, &st, WNOHANG) == pid) {
        pid = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(pid, SIGKILL);
    Wait(pid);
    pid = -1;
  }
};

// Steps 9-12: a live SWAP under a real Hercules and the test guest.
// Returns the highest condition code (0 when every check passed).
int HerculesDemo(const std::string& dir) {
  Heading("9. A running Hercules: the test guest writes VM0A80 on unit 0A80 as fast as it can");
  const std::string src = dir + "/vm0a80.ckd", tgt = dir + "/new0b80.ckd", gdir = dir + "/guest";
  hercules::GuestParams params;
  // 30 tracks, rewritten round-robin as fast as the guest can: the dirty
  // set never exceeds what the final copy takes at once, so the swap ends
  // without pacing the guest (doc/swap-protocol.md, "Convergence").
  params.tracks = 30;
  {
    // A volume with a VTOC and the data set PAS.GUEST the guest writes in.
    auto img = ckd::CkdImage::Create(src, ckd::k3390Geometry, 15, false);
    Status s = img.status();
    if (s.ok()) s = ckd::FormatVolume(*img, "VM0A80", true);
    if (s.ok())
      s = ckd::AddDataSet(*img, ckd::DataSetSpec{.name = "PAS.GUEST", .tracks = params.tracks, .lrecl = 80,
                                                 .blksize = 3120, .records = 0, .fill = nullptr});
    if (s.ok()) {
      auto vtoc = ckd::ReadVtoc(*img);
      s = vtoc.status();
      if (s.ok())
        for (const auto& ds : vtoc->datasets)
          if (ds.name == "PAS.GUEST") params.first_track = ckd::RelativeTrack(img->geometry(), ds.extents.at(0).begin);
    }
    if (s.ok()) s = img->Sync();
    if (!s.ok()) {
      std::fprintf(stderr, "PAS102E DEMO VOLUMES CANNOT BE CREATED IN %s: %s\n", dir.c_str(), s.ToString().c_str());
      return report::kCcJobFailed;
    }
  }
  RunPas({"volume", "init", tgt, "--model", "3390-1", "--cylinders", "15", "--volser", "NEW0B8"});
  auto port = hercules::PickFreePort();
  if (!port.ok() || ::mkdir(gdir.c_str(), 0755) != 0) {
    std::fprintf(stderr, "PAS102E DEMO HERCULES CANNOT BE SET UP IN %s\n", dir.c_str());
    return report::kCcJobFailed;
  }
  const std::string cfg = dir + "/hercules.cnf";
  std::ofstream(cfg) << "# One file for Hercules and pas: Hercules reads #PAS lines as comments.\n"
                        "CPUSERIAL 0A0001\nCPUMODEL  3090\nMAINSIZE  2\nNUMCPU    1\nARCHMODE  ESA/390\n"
                        "LPARNAME  HERC1\nHTTPPORT  "
                     << *port << " NOAUTH\n0A80 3390 " << src << "\n#PAS 0B80 3390 " << tgt << "\n#PAS OFFLINE 0B80\n";
  std::printf("%s:\n%s", cfg.c_str(), ReadText(cfg).c_str());
  std::fflush(stdout);
  if (RunPas({"guest", "install", gdir, "--first-track", std::to_string(params.first_track), "--tracks",
              std::to_string(params.tracks)}) != 0)
    return report::kCcJobFailed;
  const std::string rc = dir + "/hercules.rc";
  std::ofstream(rc) << "ipl " << gdir << "/guest.ins\n";
  std::printf("HERCULES_RC=%s pas exec --config %s -- hercules -f %s -d\n", rc.c_str(), cfg.c_str(), cfg.c_str());
  ::setenv("HERCULES_RC", rc.c_str(), 1);
  RunningHercules herc;
  herc.console = hercules::HerculesConsole(*port);
  herc.pid = Spawn({"exec", "--config", cfg, "--", "hercules", "-f", cfg, "-d"}, dir + "/hercules.log");
  ::unsetenv("HERCULES_RC");
  bool writing = false;
  for (int i = 0; i < 600 && herc.pid > 0 && !writing; ++i) {
    // Hercules answers on HTTP before it has built its configuration, and
    // a console command then races the CPU and device set-up: ask only
    // once it runs its startup script.
    if (ReadText(dir + "/hercules.log").find("HHCPN008I") == std::string::npos) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    auto c = herc.console.ReadCounters();
    writing = c.ok() && c->state == 2 && c->writes > 0;
    if (!writing) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!writing) {
    std::fprintf(stderr, "PAS686E HERCULES CONSOLE ON PORT %d DOES NOT ANSWER: the guest did not start (see %s)\n",
                 *port, (dir + "/hercules.log").c_str());
    return report::kCcJobFailed;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const std::string show_port = std::to_string(*port);
  RunPas({"guest", "show", "--port", show_port});
  (void)herc.console.ResetLongest();

  Heading("10. The SWAP of VM0A80 from unit 0A80 to unit 0B80, while the guest writes");
  const std::string deck = dir + "/swap0a80.deck";
  std::ofstream(deck) << "  SWAP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=VM0A80,SWAPUNIT=0B80\n";
  int cc = RunPas({"run", deck, "--config", cfg});

  Heading("11. The guest kept running: its count rises; its longest write is the pause it saw");
  RunPas({"guest", "show", "--port", show_port});
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  RunPas({"guest", "show", "--port", show_port});
  RunPas({"display", "0A80", "--config", cfg});

  Heading("12. Every write the guest saw complete is on the target");
  int verify = RunPas({"guest", "verify", tgt, "--port", show_port});
  herc.Stop();
  std::printf("The configuration now names the target for 0A80 (Hercules restarted with it uses it):\n%s",
              ReadText(cfg).c_str());
  return std::max(cc, verify == 0 ? 0 : report::kCcVolumeFailed);
}

int DemoCommand(int argc, char** argv) {
  std::string dir;
  uint32_t cylinders = 30;
  int seconds = 4;
  bool no_hercules = false;
  po::options_description opts("pas demo options");
  opts.add_options()("help,h", "this help")(
      "dir", po::value(&dir), "directory for the demo (default: a new /tmp/pas-demo-*)")(
      "cylinders", po::value(&cylinders), "cylinders of the demo volumes (default 30)")(
      "seconds", po::value(&seconds), "how long the workloads write (default 4)")(
      "no-hercules", po::bool_switch(&no_hercules), "leave out the live migration under Hercules");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "PAS109E pas demo: %s (see pas demo --help)\n", e.what());
    return report::kCcJobFailed;
  }
  if (vm.count("help")) {
    std::cout << "usage: pas demo [--dir DIR] [--cylinders N] [--seconds S] [--no-hercules]\n\n"
                 "A live swap on this machine: two systems share volume VM1887 and write to it\n"
                 "while it moves from unit 1887 to unit B887; then every write is verified.\n"
                 "Then, with hercules installed, a running Hercules whose guest writes VM0A80\n"
                 "is migrated from unit 0A80 to 0B80 and every write the guest saw complete is\n"
                 "verified on the target.\n\n"
              << opts;
    return 0;
  }
  if (cylinders < 10 || cylinders > 3339 || seconds < 1 || seconds > 600) {
    std::fprintf(stderr, "PAS109E pas demo: --cylinders must be 10-3339 and --seconds 1-600\n");
    return report::kCcJobFailed;
  }
  if (dir.empty()) {
    char tmpl[] = "/tmp/pas-demo-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      std::perror("PAS102E mkdtemp /tmp/pas-demo-XXXXXX");
      return report::kCcJobFailed;
    }
    dir = tmpl;
  } else if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    std::perror(("PAS102E mkdir " + dir).c_str());
    return report::kCcJobFailed;
  }
  // The demo's systems live in the demo directory, never in the user's.
  ::setenv("PAS_RUNTIME_DIR", (dir + "/runtime").c_str(), 1);
  ::setenv("PAS_STATE_DIR", (dir + "/state").c_str(), 1);
  ::unsetenv("PAS_FAULT_POINT");

  const std::string src = dir + "/vm1887.ckd", tgt = dir + "/b887.ckd";
  Heading("1. Volumes: source VM1887 with data sets, empty target (" + std::to_string(cylinders) +
          " cylinders each)");
  Status s = BuildVolumes(src, tgt, cylinders);
  if (!s.ok()) {
    std::fprintf(stderr, "PAS102E DEMO VOLUMES CANNOT BE CREATED IN %s: %s\n", dir.c_str(), s.ToString().c_str());
    return report::kCcJobFailed;
  }
  std::fflush(stdout);
  RunPas({"volume", "info", src});

  Heading("2. Two systems share the volume: SYSA (1887, target B887) and SYSB (2887, target C887)");
  const std::string cfg_a = dir + "/sysa.cnf", cfg_b = dir + "/sysb.cnf";
  std::ofstream(cfg_a) << "LPARNAME SYSA\nCPUSERIAL 0A0001\n1887 3390 " << src << "\nB887 3390 " << tgt
                       << "\nOFFLINE B887\n";
  std::ofstream(cfg_b) << "LPARNAME SYSB\nCPUSERIAL 0B0002\n2887 3390 " << src << "\nC887 3390 " << tgt
                       << "\nOFFLINE C887\n";
  std::printf("%s:\n%s%s:\n%s", cfg_a.c_str(), ReadText(cfg_a).c_str(), cfg_b.c_str(), ReadText(cfg_b).c_str());

  Heading("3. A monitor on SYSB, a workload writing the volume on each system");
  pid_t mon = Spawn({"monitor", "--unit", "C887", "--config", cfg_b}, dir + "/monitor-sysb.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string secs = std::to_string(seconds);
  pid_t wa = Spawn({"workload", "run", "--unit", "1887", "--writers", "2", "--duration", secs, "--journal",
                    dir + "/journal-a", "--systems", "2", "--system-index", "0", "--config", cfg_a},
                   dir + "/workload-sysa.log");
  pid_t wb = Spawn({"workload", "run", "--unit", "2887", "--writers", "2", "--duration", secs, "--journal",
                    dir + "/journal-b", "--systems", "2", "--system-index", "1", "--config", cfg_b},
                   dir + "/workload-sysb.log");
  if (mon < 0 || wa < 0 || wb < 0) {
    std::fprintf(stderr, "PAS102E DEMO PROCESSES CANNOT BE STARTED\n");
    return report::kCcJobFailed;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));

  Heading("4. The SWAP, run on SYSA while both systems write");
  const std::string deck = dir + "/swap.deck";
  std::ofstream(deck) << "* Move VM1887 from unit 1887 to unit B887 while it is in use.\n"
                         "  SWAP TYPE=FULL,NONRESPONDING=FAIL\n"
                         "  MOUNT VOL=VM1887,SWAPUNIT=B887\n";
  int cc = RunPas({"run", deck, "--config", cfg_a, "--json", dir + "/report.json"});
  int rc_a = Wait(wa), rc_b = Wait(wb);
  int rc_mon = Wait(mon);

  Heading("5. What SYSB's monitor said");
  std::fputs(ReadText(dir + "/monitor-sysb.log").c_str(), stdout);
  Heading("6. The workloads");
  std::fputs(ReadText(dir + "/workload-sysa.log").c_str(), stdout);
  std::fputs(ReadText(dir + "/workload-sysb.log").c_str(), stdout);

  Heading("7. Every acknowledged write is on the target");
  int verify = RunPas({"workload", "verify", "--image", tgt, "--journal", dir + "/journal-a", "--journal",
                       dir + "/journal-b"});
  Heading("8. Where each system's unit points now");
  RunPas({"display", "1887", "--config", cfg_a});
  RunPas({"display", "2887", "--config", cfg_b});
  std::fflush(stdout);
  std::printf("\nFiles: %s (try: dasdls %s; PAS_STATE_DIR=%s/state pas history)\n", dir.c_str(), tgt.c_str(),
              dir.c_str());
  std::fflush(stdout);

  int highest = cc;
  if (rc_a != 0 || rc_b != 0 || rc_mon != 0 || verify != 0) highest = std::max(highest, report::kCcVolumeFailed);
  if (!no_hercules) {
    if (!HerculesInstalled()) {
      std::printf("\n(The live migration under Hercules is shown when hercules is installed: apt-get install hercules,\n"
                  " or bash scripts/deps.sh.)\n");
    } else if (hercules::GuestImage().empty()) {
      std::printf("\n(The live migration under Hercules needs the test guest: install binutils-s390x-linux-gnu and "
                  "rebuild.)\n");
    } else {
      highest = std::max(highest, HerculesDemo(dir));
    }
  }
  std::printf("%s\n", report::ClosingLine(highest).c_str());
  return highest;
}

}  // namespace

PAS_COMMAND("demo", "live demo: swap a volume two systems are writing, then verify every write", DemoCommand);

}  // namespace pas::cli
