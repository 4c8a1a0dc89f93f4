// Participant: one system's part in one swap — the same code whether it
// runs in a monitor (`pas monitor`, the other systems) or inside the swap
// job for the job's own system. It joins (swap context, intercept, JOINED
// in its participant block), hands over its dirty tracks on every harvest
// request, quiesces when asked and hands over the last ones, and then
// follows the decision record: SWAP points its unit at the target image,
// SOURCE leaves it on the source; either way the intercept is removed and
// I/O resumes. If the job dies before a decision exists it records SOURCE
// itself and follows whatever decision is then in force (first writer
// wins). Protocol and the safety argument: doc/swap-protocol.md.
//
// Ownership: borrows the System (which must outlive the call); opens its
// own CoordinationArea so its participant lock is a separate open file
// description from the job's. Thread-safety: Run blocks its calling thread;
// several Participants (one per volume) may run on different threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "coord/format.h"
#include "host/unit_table.h"

namespace pas::engine {

// TARGET.pas-decision-<16 hex digits of job_id>.
std::string DecisionPath(const std::string& target_image, uint64_t job_id);
// The job id as 16 lower-case hex digits.
std::string JobIdHex(uint64_t job_id);

struct ParticipantOptions {
  host::System* system = nullptr;
  uint16_t source_devnum = 0;  // this system's unit for the source image
  uint16_t target_devnum = 0;  // this system's unit for the target image
  bool in_job = false;         // the job's own system (PAS234I instead of PAS233I)
  // Receives each operator message line (PAS233I, PAS237I, PAS241I, ...).
  std::function<void(const std::string&)> say;
  Clock* clock = Clock::Real();
  int64_t poll_us = 1000;             // how often the area is read while taking part
  int64_t quiesce_timeout_us = 10'000'000;
  // This system's configuration file: after a SWAP it is rewritten so the
  // source unit names the target image and the target unit the old source
  // (host::RewriteConfigAfterSwap); empty: not rewritten.
  std::string config_path;
  int64_t install_timeout_us = 10'000'000;
};

struct ParticipantOutcome {
  coord::ParticipantState final_state = coord::ParticipantState::kResumed;
  bool swapped = false;         // the unit now uses the target image
  bool job_died = false;        // the job's lock disappeared before the end
  bool declined = false;        // could not take part (note in the block)
  int64_t longest_pause_us = 0;
  int64_t joined_to_left_us = 0;
};

// Takes part as participant `index` of the job described by `header`
// (read from the area of the target image `header.target_path`). Blocks
// until the decision is followed. Errors: Busy when another process holds
// this participant's lock; IoError/Corruption when the area or the
// decision record cannot be used (the unit is then left as the host layer's
// recovery makes it: a quiesced unit follows the decision on its next I/O).
Result<ParticipantOutcome> RunParticipant(const coord::Header& header, uint32_t index,
                                          const ParticipantOptions& options);

// For a system that is not a participant but has `devnum` defined on the
// source image: after a SWAP decision, points the unit at the target image
// (quiesce, switch, resume) so its display and later I/O use the target.
// Ok without change when the unit is already elsewhere. Blocks briefly.
// Then, as a participant does, the units exchange images in the unit table
// (and in the configuration file when `config_path` is not empty).
Status FollowSwapWithoutParticipating(host::System& system, uint16_t devnum,
                                      const std::string& source_image, const std::string& target_image,
                                      uint16_t target_devnum = 0, const std::string& config_path = "",
                                      const std::function<void(const std::string&)>& say = nullptr);

// After a committed SWAP on this system (its source unit on the target
// image): the target unit names the old source in the unit table and, when
// `config_path` is not empty, in the configuration file (PAS216I; a failure
// is PAS217W through `say` and the log, never an error of the swap).
void AdoptSwap(host::System& system, uint16_t source_devnum, uint16_t target_devnum,
               const std::string& old_source_image, const std::string& config_path,
               const std::function<void(const std::string&)>& say);

}  // namespace pas::engine
