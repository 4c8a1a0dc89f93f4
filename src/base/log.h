// Named loggers: one spdlog logger per component ("ckd", "host",
// "intercept", "engine", "monitor", "statements", "report", "calcdasd").
// Log lines go to stderr and start with the unit or volume they concern.
// The level comes from PAS_LOG_LEVEL (trace|debug|info|warn|error|off,
// default warn) so operator output on stdout stays clean. Thread-safe.
#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace pas {

// Returns the component's logger, creating it on first use.
std::shared_ptr<spdlog::logger> Logger(const std::string& component);

}  // namespace pas
