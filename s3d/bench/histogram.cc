#include "bench/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace seglake::bench {
namespace {

constexpr int kSubBits = 6;
constexpr uint64_t kSub = uint64_t{1} << kSubBits;          // 64
constexpr size_t kBuckets = kSub + (64 - kSubBits) * kSub;  // every uint64 value

}  // namespace

size_t Histogram::BucketOf(uint64_t v) {
  if (v < kSub) return static_cast<size_t>(v);
  const int msb = 63 - std::countl_zero(v);  // >= kSubBits
  const int shift = msb - kSubBits;
  const uint64_t sub = (v >> shift) - kSub;  // 0..63
  return static_cast<size_t>(kSub + static_cast<uint64_t>(shift) * kSub + sub);
}

uint64_t Histogram::BucketLow(size_t b) {
  if (b < kSub) return b;
  const uint64_t shift = (b - kSub) / kSub;
  const uint64_t sub = (b - kSub) % kSub;
  return (kSub + sub) << shift;
}

uint64_t Histogram::BucketHigh(size_t b) {
  if (b < kSub) return b;
  const uint64_t shift = (b - kSub) / kSub;
  return BucketLow(b) + ((uint64_t{1} << shift) - 1);
}

void Histogram::Record(uint64_t micros) {
  if (buckets_.empty()) buckets_.assign(kBuckets, 0);
  ++buckets_[BucketOf(micros)];
  ++count_;
  sum_ += micros;
  min_ = std::min(min_, micros);
  max_ = std::max(max_, micros);
}

void Histogram::Merge(const Histogram& other) {
  if (other.count_ == 0) return;
  if (buckets_.empty()) buckets_.assign(kBuckets, 0);
  for (size_t i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

uint64_t Histogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank (1-based) of the value asked for, "nearest rank" style.
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  if (rank == count_) return max_;
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      const uint64_t mid = BucketLow(i) + (BucketHigh(i) - BucketLow(i)) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace seglake::bench
