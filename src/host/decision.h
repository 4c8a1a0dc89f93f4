// The decision record of one swap job: a file beside the target image
// (TARGET.pas-decision-JOBID) holding SWAP (every system moves to the
// target) or SOURCE (every system stays on / returns to the source).
// Write-once, first writer wins: it is created by link(2) of a fully
// written and fsynced temporary file, which fails with EEXIST for every
// later writer, so a decision can never change. Format: doc/host-io.md,
// "The decision record". Safe from any thread or process.
#pragma once

#include <string>

#include "base/status.h"

namespace pas::host {

enum class Decision { kNone, kSwap, kSource };
const char* DecisionName(Decision d);  // "NONE", "SWAP", "SOURCE"

// The decision in force: kNone when the file does not exist. Corruption
// when it exists with unknown contents; IoError when it cannot be read.
// Does not block.
Result<Decision> ReadDecision(const std::string& path);

// Records `want` (kSwap or kSource) unless a decision already exists, and
// returns the decision in force afterwards (want, or the existing one).
// Durable on return: the file and its directory are fsynced. Blocks for
// the file I/O. InvalidArgument for want == kNone; IoError on failure.
Result<Decision> Decide(const std::string& path, Decision want);

}  // namespace pas::host
