// `pas demo [--dir DIR] [--cylinders N] [--seconds S]`: the live demo of a
// swap on one machine. It creates a source volume VM1887 (a VTOC, data sets
// holding data, and the PAS.WORKLOAD data set) and an empty target, defines
// two systems SYSA and SYSB sharing both (source units 1887 / 2887, target
// units B887 / C887 offline), starts a workload on each system and a monitor
// on SYSB, runs the SWAP from SYSA with `pas run`, then verifies that every
// write the workloads were told was done is on the target, shows where each
// system's unit now points, and ends with the closing line. Every step is a
// separate `pas` process, exactly as a user would run them.
#include <boost/program_options.hpp>

#include <fcntl.h>
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

int DemoCommand(int argc, char** argv) {
  std::string dir;
  uint32_t cylinders = 30;
  int seconds = 4;
  po::options_description opts("pas demo options");
  opts.add_options()("help,h", "this help")(
      "dir", po::value(&dir), "directory for the demo (default: a new /tmp/pas-demo-*)")(
      "cylinders", po::value(&cylinders), "cylinders of the demo volumes (default 30)")(
      "seconds", po::value(&seconds), "how long the workloads write (default 4)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "PAS109E pas demo: %s (see pas demo --help)\n", e.what());
    return report::kCcJobFailed;
  }
  if (vm.count("help")) {
    std::cout << "usage: pas demo [--dir DIR] [--cylinders N] [--seconds S]\n\n"
                 "A live swap on this machine: two systems share volume VM1887 and write to it\n"
                 "while it moves from unit 1887 to unit B887; then every write is verified.\n\n"
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

  int highest = cc;
  if (rc_a != 0 || rc_b != 0 || rc_mon != 0 || verify != 0) highest = std::max(highest, report::kCcVolumeFailed);
  std::printf("%s\n", report::ClosingLine(highest).c_str());
  return highest;
}

}  // namespace

PAS_COMMAND("demo", "live demo: swap a volume two systems are writing, then verify every write", DemoCommand);

}  // namespace pas::cli
