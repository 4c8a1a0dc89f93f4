// LatencyHistogram: I/O latencies in microseconds with about 1.5 %
// resolution (64 sub-buckets per power of two), fixed size so that writer
// processes can send theirs to the parent as plain bytes and the parent
// merges them. Plain value, not synchronised.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace pas::workload {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 6;
  static constexpr int kBuckets = (64 - kSubBits + 1) << kSubBits;

  void Record(uint64_t micros);
  void Merge(const LatencyHistogram& other);
  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  uint64_t sum() const { return sum_; }
  // The smallest recorded-bucket value v with at least p (0..1) of the
  // samples <= v (upper bound of the bucket, capped at max()). 0 if empty.
  uint64_t Percentile(double p) const;

  // Fixed-size wire form (little-endian words).
  std::vector<uint64_t> Serialize() const;
  static bool Deserialize(std::span<const uint64_t> words, LatencyHistogram* out);
  static constexpr size_t kWireWords = kBuckets + 3;

 private:
  static int BucketOf(uint64_t v);
  static uint64_t BucketUpper(int b);
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0, max_ = 0, sum_ = 0;
};

}  // namespace pas::workload
