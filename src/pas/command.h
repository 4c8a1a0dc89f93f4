// The `pas` executable's subcommands. Each src/pas/*_cmd.cc registers its
// subcommand with PAS_COMMAND; main() dispatches on argv[1]. A subcommand's
// function gets argv with the subcommand name first, returns the exit
// status (the condition code where there is one) and may throw: main()
// catches everything, prints it with an ID and returns 12.
#pragma once

#include <functional>
#include <map>
#include <string>

namespace pas::cli {

using CommandFn = std::function<int(int argc, char** argv)>;

struct CommandInfo {
  std::string summary;
  CommandFn fn;
};

std::map<std::string, CommandInfo>& Commands();

struct CommandRegistrar {
  CommandRegistrar(const std::string& name, const std::string& summary, CommandFn fn) {
    Commands()[name] = CommandInfo{summary, std::move(fn)};
  }
};

}  // namespace pas::cli

#define PAS_COMMAND(name, summary, fn) \
  static ::pas::cli::CommandRegistrar pas_command_registrar_##fn(name, summary, fn)
