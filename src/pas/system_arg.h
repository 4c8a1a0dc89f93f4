// The --config handling the unit commands (display, vary, intercept)
// share: resolve the configuration (--config or $PAS_CONFIG), load it and
// attach the system's unit table, printing PAS171E with the reason on
// failure (the caller then exits 12).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "host/config.h"
#include "host/unit_table.h"

namespace pas::cli {

std::optional<host::SystemConfig> LoadConfigOrReport(const std::string& config_path);
std::unique_ptr<host::System> AttachOrReport(const host::SystemConfig& config);

}  // namespace pas::cli
