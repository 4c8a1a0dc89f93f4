// DirtyTrackBitmap: the change-tracking intercept's record of which tracks
// of a unit were written. One bit per relative track, kept in 64-bit
// std::atomic words that the caller provides (normally the unit control
// block's bitmap region in the system's mmapped unit table), so the same
// bitmap is shared by every process of a system.
//
// Ownership: the bitmap is a view; it owns nothing. The words must outlive
// it and start zeroed (a fresh mmapped file region is).
//
// Thread- and process-safety: every operation is lock-free and may run
// concurrently from any thread of any process mapping the same words
// (std::atomic<uint64_t> is always lock-free on the supported targets and
// its lock-free operations are address-free, so they work across mappings
// at different addresses; checked by static_assert). Mark never blocks.
// Harvest takes and clears each word with one atomic exchange, so a bit set
// concurrently with a harvest is either in this harvest or in the next one,
// never lost. The ordering argument: doc/host-io.md, "The intercept".
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace pas::intercept {

static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "the dirty bitmap lives in shared memory and needs lock-free 64-bit atomics");
static_assert(sizeof(std::atomic<uint64_t>) == sizeof(uint64_t),
              "shared-memory atomics must have the plain layout");

class DirtyTrackBitmap {
 public:
  // Words needed for `tracks` bits.
  static constexpr size_t WordsFor(uint32_t tracks) { return (size_t{tracks} + 63) / 64; }

  // A view over `words` (WordsFor(tracks) of them) for `tracks` tracks.
  DirtyTrackBitmap(std::atomic<uint64_t>* words, uint32_t tracks) : words_(words), tracks_(tracks) {}

  uint32_t tracks() const { return tracks_; }

  // Sets the bit of `track` (ignored when out of range). acq_rel: the mark
  // is ordered after everything the caller did before it (the track's data
  // write) and a harvester that takes the bit sees that data.
  void Mark(uint32_t track) {
    if (track >= tracks_) return;
    words_[track / 64].fetch_or(uint64_t{1} << (track % 64), std::memory_order_acq_rel);
  }

  // True when `track`'s bit is set now.
  bool Test(uint32_t track) const {
    if (track >= tracks_) return false;
    return (words_[track / 64].load(std::memory_order_acquire) >> (track % 64)) & 1;
  }

  // Bits set now (a snapshot; concurrent marks may or may not be counted).
  uint32_t Count() const;

  // Takes and clears every word (atomic exchange with 0 per word) and
  // returns the taken words (WordsFor(tracks()) of them; bit t%64 of word
  // t/64 is track t). A Mark that races with the harvest lands either in
  // the returned words or in the bitmap for the next harvest.
  std::vector<uint64_t> Harvest();

  // Clears every bit (used when the intercept is installed afresh).
  void Clear();

 private:
  std::atomic<uint64_t>* words_;
  uint32_t tracks_;
};

// Tracks whose bits are set in `words` (as returned by Harvest), ascending.
std::vector<uint32_t> TracksInWords(const std::vector<uint64_t>& words);

}  // namespace pas::intercept
