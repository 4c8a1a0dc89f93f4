// Small CKD volumes for the copy engine tests: a formatted volume whose
// tracks hold pseudo-random records, and byte comparison of track slots.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ckd/image.h"
#include "ckd/track.h"
#include "ckd/volume.h"
#include "test_util.h"

namespace pas::engine::testing {

// Writes `count` tracks from `first` with 1-12 records of random data
// derived from `seed` and the track number (so two seeds give different
// contents for the same track).
inline void FillTracks(ckd::CkdImage& image, uint32_t first, uint32_t count, uint32_t seed) {
  const ckd::DeviceGeometry& g = image.geometry();
  std::vector<uint8_t> slot(g.slot_size);
  for (uint32_t t = first; t < first + count; ++t) {
    std::mt19937 rng(seed * 7919u + t);
    ckd::TrackBuilder b(g, t);
    const uint32_t records = 1 + rng() % 12;
    const uint32_t dl = std::min<uint32_t>(4096, (b.free_bytes() / records) - 64);
    for (uint32_t r = 1; r <= records; ++r) {
      std::vector<uint8_t> data(dl);
      for (auto& byte : data) byte = static_cast<uint8_t>(rng());
      ASSERT_OK(b.AddRecord(static_cast<uint8_t>(r), {}, data));
    }
    ASSERT_OK(b.Finish(slot));
    ASSERT_OK(image.WriteTrack(t, slot));
  }
}

// Creates a formatted 3390 volume of `cylinders` with data on every track
// from cylinder 1 on.
inline ckd::CkdImage MakeSourceVolume(const std::string& path, uint32_t cylinders, uint32_t seed,
                                      bool split = false) {
  auto image = ckd::CkdImage::Create(path, ckd::k3390Geometry, cylinders, split);
  EXPECT_OK(image);
  EXPECT_OK(ckd::FormatVolume(*image, "SRC001", /*with_vtoc=*/false));
  FillTracks(*image, 15, image->tracks() - 15, seed);
  return std::move(image).value();
}

inline std::vector<uint8_t> Slot(const ckd::CkdImage& image, uint32_t track) {
  std::vector<uint8_t> slot(image.slot_size());
  EXPECT_OK(image.ReadTrack(track, slot));
  return slot;
}

// The first track in [first, first+count) whose slots differ, or -1.
inline int64_t FirstDifference(const ckd::CkdImage& a, const ckd::CkdImage& b, uint32_t first,
                               uint32_t count) {
  for (uint32_t t = first; t < first + count; ++t) {
    if (Slot(a, t) != Slot(b, t)) return t;
  }
  return -1;
}

}  // namespace pas::engine::testing
