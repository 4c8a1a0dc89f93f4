// The pas test guest (src/hercules/guest.s, doc/hercules-guest.md): a
// stand-alone ESA/390 program that Hercules loads with `ipl guest.ins` and
// that writes sequence-numbered records round-robin over a range of tracks
// of one 3390, keeping its counters in low storage. This header is what a
// host program needs around it: the load files, the parameter block, the
// counters as the Hercules console shows them, and the check of its
// records on an image.
//
// Plain structs and pure functions (thread-safe); InstallGuest and
// ReadGuestSequences do file I/O and block on it. Errors are returned as
// Status values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace pas::hercules {

// Real storage addresses of the guest (mirrors the .equ of guest.s).
inline constexpr uint32_t kParamAddress = 0x200;
inline constexpr uint32_t kParamLength = 0x20;
inline constexpr uint32_t kCounterAddress = 0x300;
inline constexpr uint32_t kCounterLength = 0x30;
// C_LONGEST: the longest write in microseconds (the test resets it with
// `r 31C=00000000` to measure one interval).
inline constexpr uint32_t kLongestAddress = kCounterAddress + 28;

// The parameter block at 0x200, loaded from guest-params.bin.
struct GuestParams {
  uint16_t device = 0x0A80;     // device number of the 3390 to write
  uint32_t first_track = 15;    // first relative track of the range
  uint32_t tracks = 150;        // tracks in the range (round-robin)
  uint32_t data_length = 4096;  // data bytes of each record, 32-16384
  uint32_t delay_us = 0;        // pause between writes (0: as fast as it can)
};

// The binary assembled from guest.s; empty when the build found no
// s390x-linux-gnu-as (deps.sh installs binutils-s390x-linux-gnu).
std::span<const uint8_t> GuestImage();

// Writes DIR/guest.bin, DIR/guest-params.bin and DIR/guest.ins (load
// guest.bin at 0, then the parameter block at 0x200) and returns the path
// of guest.ins for the console command `ipl PATH`. InvalidArgument for
// parameters the guest would refuse, NotSupported when the guest was not
// built, IoError when a file cannot be written.
Result<std::string> InstallGuest(const std::string& dir, const GuestParams& params);

// The counters at 0x300.
struct GuestCounters {
  bool started = false;     // the guest has run (eye-catcher C'PASG' set)
  uint32_t state = 0;       // 1 scanning, 2 writing, 0xE0-0xE4 failed
  uint32_t writes = 0;      // writes completed (CE+DE, no error status)
  uint32_t errors = 0;      // writes ended with an error status (retried)
  uint64_t run_id = 0;      // TOD clock at start; in every record
  uint32_t seq = 0;         // sequence number of the write started last
  uint32_t longest_us = 0;  // longest write, start to completion
  uint32_t longest_at = 0;  // writes completed when it ended
  uint32_t last_error = 0;  // SCSW word 2 of the last error
  uint32_t subchannel = 0;  // subsystem ID of the device
  uint32_t retries = 0;     // writes restarted without an error status
};

// What a state value means ("WRITING", "DEVICE NOT FOUND", ...).
std::string GuestStateName(uint32_t state);

// The bytes shown by the console command `r ADDR.LEN`: lines such as
// "R:00000300:K:06=D7C1E2C7 00000002 ...". Returns `length` bytes from
// `address`; InvalidArgument when the display does not cover them.
Result<std::vector<uint8_t>> ParseStorageDisplay(std::string_view display, uint32_t address,
                                                 uint32_t length);
GuestCounters DecodeCounters(std::span<const uint8_t> bytes);  // kCounterLength bytes
GuestParams DecodeParams(std::span<const uint8_t> bytes);      // kParamLength bytes

// The sequence number the guest's record holds on each track of its range
// on `image` (index 0 = params.first_track), 0 where the track holds no
// record of run `run_id`. Corruption for a torn record (header and trailer
// disagree) or a record on the wrong track; IoError/Corruption from the
// image.
Result<std::vector<uint32_t>> ReadGuestSequences(const std::string& image, const GuestParams& params,
                                                 uint64_t run_id);

// The sequence number of the last write among the first `writes` that went
// to track index `index` of a range of `tracks` (0 if none did).
uint32_t LastSequenceFor(uint32_t index, uint32_t tracks, uint32_t writes);

// Checks the image after the guest stopped having seen `writes` writes
// complete: every track holds its last completed write, or the one write
// that was in flight. "" when so, else the problems (the first few tracks).
std::string CheckAfterStop(const std::vector<uint32_t>& seqs, uint32_t writes);

// Checks that the tracks are a point-in-time copy: the state after exactly
// K writes for one K (returned). Corruption naming the first track that
// does not fit.
Result<uint32_t> CheckPointInTime(const std::vector<uint32_t>& seqs);

}  // namespace pas::hercules
