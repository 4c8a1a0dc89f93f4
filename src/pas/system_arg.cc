#include "pas/system_arg.h"

#include <cstdio>

namespace pas::cli {

std::optional<host::SystemConfig> LoadConfigOrReport(const std::string& config_path) {
  auto path = host::ResolveConfigPath(config_path);
  auto config = path.ok() ? host::LoadSystemConfig(*path) : Result<host::SystemConfig>(path.status());
  if (!config.ok()) {
    std::fprintf(stderr, "PAS171E %s\n", config.status().message().c_str());
    return std::nullopt;
  }
  return std::move(config).value();
}

std::unique_ptr<host::System> AttachOrReport(const host::SystemConfig& config) {
  auto system = host::System::Attach(config);
  if (!system.ok()) {
    std::fprintf(stderr, "PAS171E SYSTEM %s: %s\n", config.name.c_str(), system.status().message().c_str());
    return nullptr;
  }
  return std::move(system).value();
}

}  // namespace pas::cli
