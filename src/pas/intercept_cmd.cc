// `pas intercept install|remove|quiesce|resume|harvest UNIT [--hold S]`:
// the operator's and the tests' handle on the change-tracking intercept and
// the quiesce of a unit of this system, from a process of its own while
// applications run (the monitor and the swap job do the same in-process).
// Messages: doc/workload.md, "Messages".
#include <boost/program_options.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include "host/config.h"
#include "pas/system_arg.h"
#include "host/unit_table.h"
#include "pas/command.h"

namespace pas::cli {
namespace {

namespace po = boost::program_options;

int InterceptCommand(int argc, char** argv) {
  std::string action, unit, config_path;
  double hold_s = 0, timeout_s = 10;
  po::options_description opts("pas intercept options");
  opts.add_options()("help", "this text")(
      "action", po::value(&action)->required(), "install, remove, quiesce, resume or harvest")(
      "unit", po::value(&unit)->required(), "unit (device number)")(
      "hold", po::value(&hold_s)->default_value(0),
      "quiesce: seconds to hold the unit quiesced before resuming")(
      "timeout", po::value(&timeout_s)->default_value(10),
      "install/quiesce: seconds to wait for in-flight I/O to drain")(
      "config", po::value(&config_path), "system configuration (default $PAS_CONFIG)");
  po::positional_options_description pos;
  pos.add("action", 1).add("unit", 1);
  po::variables_map vm;
  const char* usage =
      "usage: pas intercept install|remove|quiesce|resume|harvest UNIT [--hold S] "
      "[--config FILE]\n";
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).positional(pos).run(), vm);
    if (vm.count("help")) {
      std::cout << usage << opts;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "PAS170E intercept: %s\n%s", e.what(), usage);
    return 12;
  }
  if (action != "install" && action != "remove" && action != "quiesce" && action != "resume" &&
      action != "harvest") {
    std::fprintf(stderr, "PAS170E intercept: unknown action '%s'\n%s", action.c_str(), usage);
    return 12;
  }
  if (hold_s < 0 || hold_s > 3600 || timeout_s <= 0) {
    std::fprintf(stderr, "PAS170E intercept: --hold must be 0-3600 and --timeout positive\n");
    return 12;
  }
  auto devnum = host::ParseDevnum(unit);
  if (!devnum) {
    std::fprintf(stderr, "PAS170E intercept: '%s' is not a device number\n", unit.c_str());
    return 12;
  }
  auto config = LoadConfigOrReport(config_path);
  if (!config) return 12;
  const std::string name = host::FormatDevnum(*devnum);
  if (!config->FindUnit(*devnum)) {
    std::fprintf(stderr, "PAS172E UNIT %s IS NOT DEFINED IN %s\n", name.c_str(),
                 config->path.c_str());
    return 12;
  }
  auto system = AttachOrReport(*config);
  if (!system) return 12;
  host::System& sys = *system;
  const int64_t timeout_us = static_cast<int64_t>(timeout_s * 1e6);
  auto fail = [&](const Status& s) {
    std::printf("PAS184E UNIT %s %s FAILED ON SYSTEM %s: %s\n", name.c_str(), action.c_str(),
                config->name.c_str(), s.ToString().c_str());
    return 8;
  };
  if (action == "install") {
    Status s = sys.InstallIntercept(*devnum, timeout_us);
    if (!s.ok()) return fail(s);
    std::printf("PAS186I INTERCEPT INSTALLED ON UNIT %s OF SYSTEM %s\n", name.c_str(),
                config->name.c_str());
  } else if (action == "remove") {
    Status s = sys.RemoveIntercept(*devnum);
    if (!s.ok()) return fail(s);
    std::printf("PAS186I INTERCEPT REMOVED FROM UNIT %s OF SYSTEM %s\n", name.c_str(),
                config->name.c_str());
  } else if (action == "harvest") {
    auto set = sys.HarvestDirty(*devnum);
    if (!set.ok()) return fail(set.status());
    std::printf("PAS188I UNIT %s: %u DIRTY TRACKS HARVESTED", name.c_str(), set->Count());
    int listed = 0;
    set->ForEach([&](uint32_t t) {
      if (listed++ < 32) std::printf("%s%u", listed == 1 ? ": " : ",", t);
    });
    std::printf("%s\n", listed > 32 ? ",..." : "");
  } else if (action == "resume") {
    Status s = sys.Resume(*devnum);
    if (!s.ok()) return fail(s);
    std::printf("PAS187I UNIT %s RESUMED ON SYSTEM %s\n", name.c_str(), config->name.c_str());
  } else {  // quiesce
    // The quiesce belongs to this process: it is resumed before the
    // process ends (a quiesce whose holder died is undone by the waiters).
    const auto t0 = std::chrono::steady_clock::now();
    auto q = sys.Quiesce(*devnum, timeout_us);
    if (!q.ok()) return fail(q.status());
    std::printf("PAS187I UNIT %s QUIESCED ON SYSTEM %s: DRAINED IN %.3fms, %u DEAD WRITES MARKED\n",
                name.c_str(), config->name.c_str(), static_cast<double>(q->drain_us) / 1000.0,
                q->dead_writes_marked);
    std::fflush(stdout);
    if (hold_s > 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(hold_s * 1e6)));
    }
    Status s = sys.Resume(*devnum);
    if (!s.ok()) return fail(s);
    const double pause_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("PAS187I UNIT %s RESUMED ON SYSTEM %s: PAUSE %.3fms\n", name.c_str(),
                config->name.c_str(), pause_ms);
  }
  return 0;
}

}  // namespace

PAS_COMMAND("intercept", "install/remove the intercept, quiesce/resume or harvest a unit",
            InterceptCommand);

}  // namespace pas::cli
