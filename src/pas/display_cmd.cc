// `pas display [UNIT[-UNIT]] [--json] [--config FILE]`: the z/OS `D U` unit
// status display for this system, with pas columns at the right; --json
// prints the same facts as one JSON object. Columns and values:
// doc/workload.md, "pas display".
#include <boost/program_options.hpp>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>

#include "ckd/image.h"
#include "ckd/label.h"
#include "host/config.h"
#include "pas/system_arg.h"
#include "host/unit_table.h"
#include "pas/command.h"
#include "report/report.h"

namespace pas::cli {
namespace {

namespace po = boost::program_options;

std::string TypeName(uint16_t t) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04X", t);
  return buf;
}

int DisplayCommand(int argc, char** argv) {
  std::string range, config_path;
  po::options_description opts("pas display options");
  opts.add_options()("help", "this text")("units", po::value(&range), "UNIT or UNIT-UNIT")(
      "json", "print one JSON object")(
      "config", po::value(&config_path), "system configuration (default $PAS_CONFIG)");
  po::positional_options_description pos;
  pos.add("units", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).positional(pos).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: pas display [UNIT[-UNIT]] [--json] [--config FILE]\n" << opts;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "PAS170E display: %s\n", e.what());
    return 12;
  }
  std::pair<uint16_t, uint16_t> units{0x0000, 0xFFFF};
  if (!range.empty()) {
    auto r = host::ParseDevnumRange(range);
    if (!r) {
      std::fprintf(stderr, "PAS170E display: '%s' is not a unit or unit range\n", range.c_str());
      return 12;
    }
    units = *r;
  }
  auto config = LoadConfigOrReport(config_path);
  if (!config) return 12;
  auto system = AttachOrReport(*config);
  if (!system) return 12;
  const bool json = vm.count("json") > 0;
  std::time_t now = std::time(nullptr);
  char when[16];
  std::strftime(when, sizeof when, "%H.%M.%S", std::localtime(&now));
  std::string out;
  if (json) {
    out = "{\"system\":" + report::JsonString(config->name) + ",\"serial\":" +
          report::JsonString(config->cpu_serial) + ",\"units\":[";
  } else {
    std::printf("PAS185I %s SYSTEM %s UNIT STATUS\n", when, config->name.c_str());
    std::printf("%-4s %-4s %-7s %-6s %-10s %-9s %-8s %-3s %-5s %s\n", "UNIT", "TYPE", "STATUS",
                "VOLSER", "VOLSTATE", "INTERCEPT", "QUIESCED", "GEN", "DIRTY", "IMAGE");
  }
  int shown = 0;
  for (uint16_t devnum : system->Devnums()) {
    if (devnum < units.first || devnum > units.second) continue;
    auto st = system->Status(devnum);
    if (!st.ok()) continue;
    ++shown;
    std::string status = st->online ? "O" : "OFFLINE";
    std::string volser, volstate = st->online ? "PRIV/RSDNT" : "/RSDNT";
    auto image = ckd::CkdImage::Open(st->image_path, false);
    if (!image.ok()) {
      status = "F-NRD";  // not ready: the image cannot be opened
      volstate = "";
    } else if (st->online) {
      auto label = ckd::ReadVolumeLabel(*image);
      volser = label.ok() ? label->volser : (label.status().IsNotFound() ? "*NOLBL" : "*BADLBL");
    }
    if (json) {
      if (shown > 1) out += ",";
      out += "{\"unit\":" + report::JsonString(host::FormatDevnum(devnum)) +
             ",\"type\":" + report::JsonString(TypeName(st->device_type)) +
             ",\"status\":" + report::JsonString(status) + ",\"online\":" + (st->online ? "true" : "false") +
             ",\"volser\":" + report::JsonString(volser) + ",\"volstate\":" + report::JsonString(volstate) +
             ",\"intercept\":" + (st->intercept ? "true" : "false") +
             ",\"quiesced\":" + (st->quiesced ? "true" : "false") +
             ",\"generation\":" + std::to_string(st->generation) +
             ",\"dirty_tracks\":" + std::to_string(st->dirty_tracks) +
             ",\"image\":" + report::JsonString(st->image_path) + "}";
      continue;
    }
    std::printf("%-4s %-4s %-7s %-6s %-10s %-9s %-8s %-3u %-5u %s\n",
                host::FormatDevnum(devnum).c_str(), TypeName(st->device_type).c_str(),
                status.c_str(), volser.c_str(), volstate.c_str(), st->intercept ? "YES" : "NO",
                st->quiesced ? "YES" : "NO", st->generation, st->dirty_tracks,
                st->image_path.c_str());
  }
  if (shown == 0) {
    std::fprintf(stderr, "PAS172E NO UNIT %s IS DEFINED IN %s\n",
                 range.empty() ? "" : range.c_str(), config->path.c_str());
    return 12;
  }
  if (json) std::printf("%s]}\n", out.c_str());
  return 0;
}

}  // namespace

PAS_COMMAND("display", "display unit status of this system (z/OS D U)", DisplayCommand);

}  // namespace pas::cli
