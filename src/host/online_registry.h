// The online registry of one image (IMAGE.pas-online beside the image):
// which systems have the unit online now, and the freeze / moved marker a
// swap job sets. Format: doc/host-io.md, "The online registry".
//
// Each system has one slot (name, serial, devnum). Every process of that
// system that has the unit open for I/O holds a shared OFD lock on the
// slot's lock byte through its own RegistryEntry, so the slot is "live"
// exactly while at least one such process lives: the kernel drops the
// lock when the process dies. Slots are claimed under an exclusive OFD
// lock on the claim byte.
//
// Thread/process safety: all functions are safe from any thread or
// process. A RegistryEntry is owned by one UnitIo; it releases its lock
// when destroyed (or when its process dies).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "host/runtime.h"

namespace pas::host {

inline constexpr int kRegistrySlots = 64;

// The registry file of `image_path`: image_path + ".pas-online".
std::string RegistryPath(const std::string& image_path);

struct OnlineSystem {
  std::string name;    // LPARNAME
  std::string serial;  // CPUSERIAL
  uint16_t devnum = 0; // the unit number that system uses for the image
};

// The systems whose slot lock is held by a live process right now. An
// image without a registry file has none (empty list). IoError/Corruption
// when the file exists but cannot be read. Does not block.
Result<std::vector<OnlineSystem>> ListOnlineSystems(const std::string& image_path);

// The freeze / moved marker of a registry.
struct RegistryMarker {
  bool frozen = false;        // a swap is in progress
  std::string decision_path;  // its decision record (when frozen)
  std::string target_image;   // its target image (when frozen), or the moved-to image
  bool moved = false;         // a committed swap moved the volume to target_image
};

// Reads the marker (all false/empty when the registry does not exist).
Result<RegistryMarker> ReadMarker(const std::string& image_path);
// Sets the freeze marker (the job, at announce). Creates the registry file
// if missing. Blocks briefly on the claim lock. IoError on failure.
Status FreezeRegistry(const std::string& image_path, const std::string& decision_path,
                      const std::string& target_image);
// Marks the volume moved to `target_image` (the job, after a committed
// swap); later opens of the image follow to the target. Clears the freeze.
Status MarkMoved(const std::string& image_path, const std::string& target_image);
// Clears the freeze marker (the job, after a SOURCE decision).
Status ClearFreeze(const std::string& image_path);
// Clears a moved marker left from an earlier swap away from this image
// (the job, at the commit of a swap onto it: the image is the volume's
// device again). No-op when the image has no registry or no marker.
Status ClearMoved(const std::string& image_path);
// Follows of moved / committed markers that UnitIo::Open and
// System::FollowMovedVolumes take at most before calling the markers a loop.
inline constexpr int kMaxFollows = 16;

// One process's registration of its system in an image's registry: holds
// the shared lock on the system's slot while it lives.
class RegistryEntry {
 public:
  // Claims (or finds) the slot of system `name` and takes the shared lock.
  // Busy when all kRegistrySlots slots are live for other systems; IoError
  // on failure. Blocks briefly on the claim lock; never waits for a freeze
  // (callers check ReadMarker / SystemRegistered first).
  static Result<RegistryEntry> Register(const std::string& image_path, const std::string& name,
                                        const std::string& serial, uint16_t devnum);
  RegistryEntry(RegistryEntry&&) noexcept = default;
  RegistryEntry& operator=(RegistryEntry&&) noexcept = default;
  const std::string& image_path() const { return image_path_; }
  int slot() const { return slot_; }

 private:
  RegistryEntry() = default;
  std::string image_path_;
  int slot_ = -1;
  Fd fd_;
};

// True when some live process of system `name` holds its slot in the
// registry of `image_path` (the system already has the unit online).
Result<bool> SystemRegistered(const std::string& image_path, const std::string& name);

}  // namespace pas::host
