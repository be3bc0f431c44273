// A log-linear latency histogram in microseconds: values below 64 us are
// exact, above that each power of two has 64 buckets (a bucket is at most
// 1/64 of its value wide). Fixed memory (about 20 KiB once used), mergeable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace seglake::bench {

class Histogram {
 public:
  void Record(uint64_t micros);
  void Merge(const Histogram& other);

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const {
    return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0;
  }
  // The value at quantile q (0..1): the middle of the bucket holding it,
  // clamped to [min, max]. 0 when empty.
  uint64_t Quantile(double q) const;

  static size_t BucketOf(uint64_t micros);
  static uint64_t BucketLow(size_t bucket);
  static uint64_t BucketHigh(size_t bucket);  // inclusive

 private:
  std::vector<uint64_t> buckets_;  // allocated on first Record
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace seglake::bench
