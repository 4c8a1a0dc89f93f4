// pas: non-disruptive CKD volume migration. `pas help` lists subcommands.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "pas/command.h"
#include "pas/version.h"

namespace pas::cli {

std::map<std::string, CommandInfo>& Commands() {
  static std::map<std::string, CommandInfo> commands;
  return commands;
}

namespace {

void Usage(FILE* out) {
  std::fprintf(out, "usage: pas COMMAND [ARGS...]\n\ncommands:\n");
  for (const auto& [name, info] : Commands()) {
    std::fprintf(out, "  %-10s %s\n", name.c_str(), info.summary.c_str());
  }
  std::fprintf(out, "\n`pas COMMAND --help` describes one command; `pas --version` prints the version.\n");
}

}  // namespace
}  // namespace pas::cli

int main(int argc, char** argv) {
  using namespace pas::cli;
  if (argc < 2) {
    Usage(stderr);
    return 12;
  }
  std::string name = argv[1];
  if (name == "help" || name == "--help" || name == "-h") {
    Usage(stdout);
    return 0;
  }
  if (name == "--version") {
    std::printf("pas %s\n", pas::kVersion);
    return 0;
  }
  auto it = Commands().find(name);
  if (it == Commands().end()) {
    std::fprintf(stderr, "PAS001E UNKNOWN COMMAND '%s'\n", name.c_str());
    Usage(stderr);
    return 12;
  }
  try {
    return it->second.fn(argc - 1, argv + 1);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "PAS002E %s: %s\n", name.c_str(), e.what());
    return 12;
  } catch (...) {
    std::fprintf(stderr, "PAS002E %s: unexpected error\n", name.c_str());
    return 12;
  }
}
