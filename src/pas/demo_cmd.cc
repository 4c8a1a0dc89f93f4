// `pas demo [--dir DIR]`: builds a demonstration 3390 volume (a VTOC and a
// few data sets holding data) and prints what `pas volume info` shows.
#include <boost/program_options.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <sys/stat.h>

#include "ckd/volume.h"
#include "pas/command.h"

namespace po = boost::program_options;

namespace pas::cli {
namespace {

int DemoCommand(int argc, char** argv) {
  std::string dir;
  uint32_t cylinders = 30;
  po::options_description opts("pas demo options");
  opts.add_options()("help,h", "this help")(
      "dir", po::value(&dir), "directory for the demo volume (default: a new /tmp/pas-demo-*)")(
      "cylinders", po::value(&cylinders), "cylinders of the demo volume (default 30)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "PAS109E pas demo: %s (see pas demo --help)\n", e.what());
    return 12;
  }
  if (vm.count("help")) {
    std::cout << "usage: pas demo [--dir DIR] [--cylinders N]\n\n"
                 "Creates a 3390 demo volume DEMO01 with a VTOC and data sets holding data,\n"
                 "then prints `pas volume info` of it.\n\n"
              << opts;
    return 0;
  }
  if (dir.empty()) {
    char tmpl[] = "/tmp/pas-demo-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      std::perror("PAS102E mkdtemp /tmp/pas-demo-XXXXXX");
      return 12;
    }
    dir = tmpl;
  } else {
    ::mkdir(dir.c_str(), 0755);
  }
  const std::string path = dir + "/demo01.ckd";
  Status s = ckd::BuildDemoVolume(path, "DEMO01", cylinders);
  if (!s.ok()) {
    std::fprintf(stderr, "PAS102E IMAGE %s CANNOT BE CREATED: %s\n", path.c_str(),
                 s.ToString().c_str());
    return 12;
  }
  auto info = ckd::DescribeVolume(path);
  if (!info.ok()) {
    std::fprintf(stderr, "PAS101E IMAGE %s IS CORRUPT: %s\n", path.c_str(),
                 info.status().message().c_str());
    return 12;
  }
  std::printf("PAS110I DEMO VOLUME DEMO01 CREATED IN %s\n\n", dir.c_str());
  std::fputs(ckd::VolumeInfoText(*info).c_str(), stdout);
  std::printf("\nTry: dasdls %s    pas volume info %s --json\n", path.c_str(), path.c_str());
  return 0;
}

}  // namespace

PAS_COMMAND("demo", "build a demo volume and describe it", DemoCommand);

}  // namespace pas::cli
