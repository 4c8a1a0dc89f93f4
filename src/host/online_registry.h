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

// The registry file of `image_path`: the file the name resolves to
// (realpath, through symlinks) + ".pas-online"; image_path + ".pas-online"
// when it cannot be resolved.
std::string RegistryPath(const std::string& image_path);

// The image id stored in the registry header (image_identity.h): 32 hex
// digits, "" when none is assigned. With `assign`, creates the registry and
// assigns a random id when missing (blocks briefly on the claim lock);
// without, reads only and never creates. IoError/Corruption on failure.
Result<std::string> RegistryImageId(const std::string& image_path, bool assign);

struct OnlineSystem {
  std::string name;    // LPARNAME
  std::string serial;  // CPUSERIAL
  uint16_t devnum = 0; // the unit number that system uses for the image
  bool live = false;           // a live process of it has the unit open now
  bool varied_online = false;  // it has the unit varied online (persists without a process)
};

// The systems that have the image online: varied online (a fact kept in
// the registry from `pas vary online` or configuration load until `pas
// vary offline`, whether or not a process of that system runs) or held by
// a live process right now. An image without a registry file has none
// (empty list). IoError/Corruption when the file exists but cannot be
// read. Does not block.
Result<std::vector<OnlineSystem>> ListOnlineSystems(const std::string& image_path);

// Records that system `name` has the unit (`devnum`) varied online on
// this image: its slot (claimed if needed) gets the persistent online
// flag. Creates the registry. Blocks briefly on the claim lock; IoError /
// Busy (PAS195E, no free slot) on failure.
Status MarkSystemOnline(const std::string& image_path, const std::string& name,
                        const std::string& serial, uint16_t devnum);
// Clears system `name`'s persistent online flag (vary offline, an OFFLINE
// statement, EXCLUDE SYSTEM= of a stale registration). No-op when the
// image has no registry or the system no slot. Never creates a file.
Status MarkSystemOffline(const std::string& image_path, const std::string& name);
// The commit of a swap: every system varied online on `from_image` is
// varied online on `to_image` (same name, serial, unit) and its flag on
// `from_image` is cleared. IoError on failure.
Status TransferOnline(const std::string& from_image, const std::string& to_image);

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
// registry of `image_path` (a varied-online flag without a live process
// does not count).
Result<bool> SystemRegistered(const std::string& image_path, const std::string& name);

}  // namespace pas::host
