#include "host/pacing.h"

#include <algorithm>
#include <cstdio>

#include <unistd.h>

#include "base/log.h"
#include "host/ucb.h"

namespace pas::host {
namespace {

std::string Hex4(uint16_t v) {
  char b[8];
  std::snprintf(b, sizeof b, "%04X", v);
  return b;
}

}  // namespace

uint32_t EncodePace(int slot, int pid, uint32_t pace_us) {
  if (pace_us == 0) return 0;
  return (static_cast<uint32_t>(pid & 0xfff) << 20) | (static_cast<uint32_t>(slot & 0x7f) << 13) |
         std::min(pace_us, kMaxPaceUs);
}

uint32_t LivePace(const System& system, uint32_t word) {
  if (word == 0) return 0;
  const int slot = static_cast<int>((word >> 13) & 0x7f);
  const uint32_t pid12 = word >> 20;
  if (!system.SlotAlive(slot)) return 0;
  const int32_t owner = system.table()->slots[slot].pid.load(std::memory_order_relaxed);
  if ((static_cast<uint32_t>(owner) & 0xfff) != pid12) return 0;
  return std::min(word & 0x1fffu, kMaxPaceUs);
}

Status SetWritePacing(System& system, uint16_t devnum, uint32_t pace_us) {
  UnitControlBlock* u = system.FindUcb(devnum);
  if (u == nullptr)
    return Status::NotFound("PAS172E unit " + Hex4(devnum) + " is not defined in system " + system.name());
  pace_us = std::min(pace_us, kMaxPaceUs);
  const uint32_t word = EncodePace(system.slot(), static_cast<int>(::getpid()), pace_us);
  u->pace.store(word, std::memory_order_seq_cst);
  Logger("host")->info("{}: unit {} write pacing {} us", system.name(), Hex4(devnum), pace_us);
  return Status::Ok();
}

Result<uint32_t> WritePacing(const System& system, uint16_t devnum) {
  UnitControlBlock* u = system.FindUcb(devnum);
  if (u == nullptr)
    return Status::NotFound("PAS172E unit " + Hex4(devnum) + " is not defined in system " + system.name());
  return LivePace(system, u->pace.load(std::memory_order_seq_cst));
}

}  // namespace pas::host
