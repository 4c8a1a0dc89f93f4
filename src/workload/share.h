// Workload shares: which system writes which share of a volume's workload
// area, kept in a claim file beside the image (IMAGE.pas-workload, beside
// the file the name resolves to) so that systems that are not told their
// --system-index still get disjoint shares, and a run whose share would
// overlap a running one's is refused. Format and rules: doc/workload.md,
// "Shares".
//
// A ShareClaim is held by the `pas workload run` process for the whole run:
// it keeps an OFD lock on its slot's liveness byte, which the kernel drops
// when the process (and its writers, which inherit the descriptor) end.
// Claims are made under an exclusive OFD lock on the file's claim byte; the
// same lock serialises the allocation of PAS.WORKLOAD (ClaimLock below), so
// two systems starting at once never both allocate. Thread- and
// process-safe; the functions block only on the claim lock.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "host/runtime.h"
#include "workload/area.h"

namespace pas::workload {

inline constexpr int kShareSlots = 64;

// The claim file of `image_path`: realpath + ".pas-workload".
std::string ShareFilePath(const std::string& image_path);

// The exclusive claim lock on the claim file of an image, held while it
// lives. Open creates the file (a control file: base/control_file.h) and
// blocks until the lock is granted. IoError on failure.
class ClaimLock {
 public:
  static Result<ClaimLock> Acquire(const std::string& image_path);
  ClaimLock(ClaimLock&&) noexcept = default;
  ClaimLock& operator=(ClaimLock&&) noexcept = default;
  ~ClaimLock();
  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }

 private:
  ClaimLock() = default;
  host::Fd fd_;
  std::string path_;
};

// What a run asks for.
struct ShareRequest {
  std::string system;                  // LPARNAME (the identity the claim is keyed by)
  uint32_t systems = 1;                // M
  std::optional<uint32_t> index;       // I; absent: assigned here
  uint32_t writers = 1;                // N
  uint32_t first_track = 0, last_track = 0;  // the area's first and last track
};

// One claim as stored.
struct ShareSlot {
  std::string system;
  uint32_t systems = 0, index = 0, writers = 0;
  uint32_t first_track = 0, last_track = 0;
  bool live = false;  // a run holding it is running now
};

// A held claim.
class ShareClaim {
 public:
  uint32_t index() const { return index_; }
  uint32_t systems() const { return systems_; }

  // Claims a share under `lock` (which the caller holds). The index: the
  // requested one, else the index this system held before on this image
  // if it is free, else the lowest index no running claim of the same
  // scheme (M, N and area) holds. Busy, with a text beginning "PAS762E",
  // when the share would overlap a running claim (another scheme on an
  // intersecting area, the same index, or no index left); IoError on
  // failure.
  static Result<std::unique_ptr<ShareClaim>> Claim(const ClaimLock& lock,
                                                   const ShareRequest& request);
  ShareClaim(const ShareClaim&) = delete;
  ShareClaim& operator=(const ShareClaim&) = delete;

 private:
  ShareClaim() = default;
  host::Fd fd_;  // holds the slot's liveness lock
  uint32_t index_ = 0, systems_ = 1;
};

// Every used slot of the claim file of `image_path` (empty when there is
// none). IoError/Corruption when it cannot be read.
Result<std::vector<ShareSlot>> ListShares(const std::string& image_path);

}  // namespace pas::workload
