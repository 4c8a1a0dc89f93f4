#include "workload/latency.h"

#include <algorithm>
#include <bit>

namespace pas::workload {

int LatencyHistogram::BucketOf(uint64_t v) {
  if (v < (uint64_t{1} << kSubBits)) return static_cast<int>(v);
  const int msb = 63 - std::countl_zero(v);        // >= kSubBits
  const int shift = msb - kSubBits;                 // >= 0
  const uint64_t sub = (v >> shift) & ((uint64_t{1} << kSubBits) - 1);
  return ((shift + 1) << kSubBits) + static_cast<int>(sub);
}

uint64_t LatencyHistogram::BucketUpper(int b) {
  if (b < (1 << kSubBits)) return static_cast<uint64_t>(b);
  const int shift = (b >> kSubBits) - 1;
  const uint64_t sub = static_cast<uint64_t>(b & ((1 << kSubBits) - 1));
  const uint64_t lower = ((uint64_t{1} << kSubBits) | sub) << shift;
  return lower + ((uint64_t{1} << shift) - 1);
}

void LatencyHistogram::Record(uint64_t micros) {
  ++counts_[BucketOf(micros)];
  ++count_;
  sum_ += micros;
  max_ = std::max(max_, micros);
}

void LatencyHistogram::Merge(const LatencyHistogram& o) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  sum_ += o.sum_;
  max_ = std::max(max_, o.max_);
}

uint64_t LatencyHistogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  uint64_t need = static_cast<uint64_t>(p * static_cast<double>(count_) + 0.999999);
  need = std::clamp<uint64_t>(need, 1, count_);
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts_[b];
    if (seen >= need) return std::min(BucketUpper(b), max_);
  }
  return max_;
}

std::vector<uint64_t> LatencyHistogram::Serialize() const {
  std::vector<uint64_t> w(counts_.begin(), counts_.end());
  w.push_back(count_);
  w.push_back(max_);
  w.push_back(sum_);
  return w;
}

bool LatencyHistogram::Deserialize(std::span<const uint64_t> w, LatencyHistogram* out) {
  if (w.size() != kWireWords) return false;
  std::copy(w.begin(), w.begin() + kBuckets, out->counts_.begin());
  out->count_ = w[kBuckets];
  out->max_ = w[kBuckets + 1];
  out->sum_ = w[kBuckets + 2];
  return true;
}

}  // namespace pas::workload
