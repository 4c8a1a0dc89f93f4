// `pas monitor --unit LIST [--dynmon] [--duration MINUTES] [--config FILE]`:
// the per-system agent that takes part in swaps announced on its offline
// target units (src/monitor/monitor.h). LIST is units or patterns separated
// by commas: `B887,B888` or `B8**`. SIGINT/SIGTERM end it (a swap in
// progress is finished first). Exit status: the monitor's condition code.
#include <boost/program_options.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "host/config.h"
#include "monitor/monitor.h"
#include "pas/command.h"
#include "report/messages.h"
#include "report/report.h"
#include "statements/plan.h"

namespace pas::cli {
namespace {

namespace po = boost::program_options;

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

int MonitorCommand(int argc, char** argv) {
  std::string units, config_path;
  int duration = 0;
  po::options_description opts("pas monitor options");
  opts.add_options()("help", "this text")("unit", po::value(&units)->required(),
                                          "target units to watch: B887,B888 or B8**")(
      "dynmon", "keep running after every unit is swapped")(
      "duration", po::value(&duration), "end after MINUTES (default: no limit)")(
      "config", po::value(&config_path), "system configuration (default $PAS_CONFIG)");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: pas monitor --unit LIST [--dynmon] [--duration MINUTES] [--config FILE]\n" << opts;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "%s\n",
                 report::Format("PAS003E", {{"command", "monitor"}, {"reason", e.what()}}).c_str());
    return report::kCcJobFailed;
  }
  std::vector<std::string> patterns;
  std::stringstream ss(units);
  for (std::string p; std::getline(ss, p, ',');) {
    for (char& c : p) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (!statements::IsValidUnitPattern(p)) {
      std::fprintf(stderr, "%s\n", report::Format("PAS003E", {{"command", "monitor"},
                                                              {"reason", "'" + p + "' is not a unit or pattern"}})
                                       .c_str());
      return report::kCcJobFailed;
    }
    patterns.push_back(p);
  }
  if (patterns.empty() || duration < 0) {
    std::fprintf(stderr, "%s\n",
                 report::Format("PAS003E", {{"command", "monitor"}, {"reason", "no unit or bad duration"}}).c_str());
    return report::kCcJobFailed;
  }
  auto path = host::ResolveConfigPath(config_path);
  auto config = path.ok() ? host::LoadSystemConfig(*path) : Result<host::SystemConfig>(path.status());
  report::Reporter rep(stdout);
  if (!config.ok()) {
    rep.Message("PAS150E", {{"reason", config.status().message()}});
    return report::kCcJobFailed;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  monitor::MonitorOptions mo;
  mo.unit_patterns = patterns;
  mo.dynmon = vm.count("dynmon") > 0;
  mo.duration_minutes = duration;
  mo.reporter = &rep;
  mo.stop = &g_stop;
  return monitor::RunMonitor(*config, mo);
}

}  // namespace

PAS_COMMAND("monitor", "take part in swaps of this system's units (the FDRPAS MONITOR task)", MonitorCommand);

}  // namespace pas::cli
