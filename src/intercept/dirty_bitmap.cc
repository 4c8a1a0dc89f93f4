#include "intercept/dirty_bitmap.h"

#include <bit>

namespace pas::intercept {

uint32_t DirtyTrackBitmap::Count() const {
  uint32_t n = 0;
  const size_t words = WordsFor(tracks_);
  for (size_t i = 0; i < words; ++i) n += std::popcount(words_[i].load(std::memory_order_relaxed));
  return n;
}

// exchange(0) with acq_rel: the harvester takes exactly the bits set before
// the exchange in the word's modification order; a concurrent fetch_or that
// comes later in that order leaves its bit for the next harvest. Acquire
// makes the data a writer wrote before its (release) mark visible to the
// harvester's later reads of the image.
std::vector<uint64_t> DirtyTrackBitmap::Harvest() {
  const size_t words = WordsFor(tracks_);
  std::vector<uint64_t> out(words, 0);
  for (size_t i = 0; i < words; ++i) {
    // A plain load first avoids dirtying cache lines of clean words.
    if (words_[i].load(std::memory_order_relaxed) == 0) continue;
    out[i] = words_[i].exchange(0, std::memory_order_acq_rel);
  }
  return out;
}

void DirtyTrackBitmap::Clear() {
  const size_t words = WordsFor(tracks_);
  for (size_t i = 0; i < words; ++i) words_[i].store(0, std::memory_order_release);
}

std::vector<uint32_t> TracksInWords(const std::vector<uint64_t>& words) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < words.size(); ++i) {
    uint64_t w = words[i];
    while (w != 0) {
      int b = std::countr_zero(w);
      out.push_back(static_cast<uint32_t>(i * 64 + b));
      w &= w - 1;
    }
  }
  return out;
}

}  // namespace pas::intercept
