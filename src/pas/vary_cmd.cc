// `pas vary UNIT[-UNIT] online|offline [--config FILE]`: brings units of
// this system online or offline in its unit table (z/OS VARY). Messages:
// doc/workload.md, "Messages".
#include <boost/program_options.hpp>

#include <cstdio>
#include <iostream>
#include <string>

#include "host/config.h"
#include "pas/system_arg.h"
#include "host/unit_table.h"
#include "pas/command.h"

namespace pas::cli {
namespace {

namespace po = boost::program_options;

int VaryCommand(int argc, char** argv) {
  std::string range, state, config_path;
  po::options_description opts("pas vary options");
  opts.add_options()("help", "this text")("units", po::value(&range)->required(),
                                           "UNIT or UNIT-UNIT")(
      "state", po::value(&state)->required(), "online or offline")(
      "config", po::value(&config_path), "system configuration (default $PAS_CONFIG)");
  po::positional_options_description pos;
  pos.add("units", 1).add("state", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).positional(pos).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: pas vary UNIT[-UNIT] online|offline [--config FILE]\n" << opts;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "PAS170E vary: %s\nusage: pas vary UNIT[-UNIT] online|offline\n",
                 e.what());
    return 12;
  }
  for (char& c : state) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (state != "online" && state != "offline") {
    std::fprintf(stderr, "PAS170E vary: '%s' is neither online nor offline\n", state.c_str());
    return 12;
  }
  auto units = host::ParseDevnumRange(range);
  if (!units) {
    std::fprintf(stderr, "PAS170E vary: '%s' is not a unit or unit range\n", range.c_str());
    return 12;
  }
  auto config = LoadConfigOrReport(config_path);
  if (!config) return 12;
  auto system = AttachOrReport(*config);
  if (!system) return 12;
  const bool online = state == "online";
  int done = 0, failed = 0;
  for (uint32_t d = units->first; d <= units->second; ++d) {
    const uint16_t devnum = static_cast<uint16_t>(d);
    const std::string name = host::FormatDevnum(devnum);
    if (!config->FindUnit(devnum)) {
      if (units->first == units->second) {
        std::fprintf(stderr, "PAS172E UNIT %s IS NOT DEFINED IN %s\n", name.c_str(),
                     config->path.c_str());
        return 12;
      }
      continue;  // ranges cover the configured units inside them
    }
    Status s = system->Vary(devnum, online);
    if (!s.ok()) {
      std::printf("PAS184E UNIT %s NOT VARIED %s: %s\n", name.c_str(), online ? "ONLINE" : "OFFLINE",
                  s.message().c_str());
      ++failed;
      continue;
    }
    std::printf("PAS183I UNIT %s NOW %s ON SYSTEM %s\n", name.c_str(),
                online ? "ONLINE" : "OFFLINE", config->name.c_str());
    ++done;
  }
  if (done == 0 && failed == 0) {
    std::fprintf(stderr, "PAS172E NO UNIT OF %s IS DEFINED IN %s\n", range.c_str(),
                 config->path.c_str());
    return 12;
  }
  return failed ? 8 : 0;
}

}  // namespace

PAS_COMMAND("vary", "vary units of this system online or offline", VaryCommand);

}  // namespace pas::cli
