// Fault points: named places in the code where a test can make this process
// die (SIGKILL itself) or fail, chosen deterministically from the
// environment, so every kill case of the reliability matrix is reproducible.
//
//   PAS_FAULT_POINT=engine.after_commit      kill at the first hit
//   PAS_FAULT_POINT=engine.recopy_pass:3     kill at the third hit
//   PAS_FAULT_POINT=engine.recopy_pass:1:stop  stop (SIGSTOP) at the first
//       hit instead; the process continues when sent SIGCONT (tests change
//       the storage under a stopped job this way)
//
// The variable is read once per process. FaultPoint() is thread-safe and
// costs one relaxed load when no fault is configured.
#pragma once

#include <string_view>

namespace pas {

// If PAS_FAULT_POINT names `name` (and this is the requested hit), the
// process sends itself SIGKILL and never returns.
void FaultPoint(std::string_view name);

}  // namespace pas
