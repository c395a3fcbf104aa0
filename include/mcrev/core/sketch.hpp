// mcrev: a mergeable quantile sketch — a log-bucket histogram with exact merges.
//
// A value x is counted in the bucket named by its sign, its binary exponent e (−40 <= e < 40) and the
// top 7 bits of its mantissa, i.e. |x| in [2^e (1 + k/128), 2^e (1 + (k + 1)/128)); plus one bucket
// for exact zeros, an underflow bucket per sign (0 < |x| < 2^−40), an overflow bucket per sign
// (|x| >= 2^40) and one for NaN. Bucket indices come from the bits of the double, so host and device
// bucket a value identically. Counts are integers (exact in a double up to 2^53) and the exact
// minimum and maximum are kept, so merging is addition / min / max: exact, order-independent and
// therefore deterministic for any thread count, chunking, grid or atomics.
//
// Accuracy: a quantile is reported as the midpoint of the bucket holding its rank, clamped to
// [min, max]; inside [2^−40, 2^40) its relative error is at most 2^−8 (0.39 %) (relative to the
// exact sample quantile of rank ceil(qn)); a quantile falling on the exact-zero bucket is exactly 0.
#pragma once

#include "mcrev/core/config.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>

namespace mcrev {

namespace sketch {
inline constexpr int kMinExp = -40;
inline constexpr int kMaxExp = 40;
inline constexpr int kMantissaBits = 7;
inline constexpr int kSub = 1 << kMantissaBits;
inline constexpr int kPerSide = (kMaxExp - kMinExp) * kSub;  ///< regular buckets per sign
// Bucket order is value order (after the NaN slot), so a quantile is a cumulative scan.
inline constexpr int kNan = 0;
inline constexpr int kNegOverflow = 1;
inline constexpr int kNegFirst = 2;  ///< negative buckets, largest magnitude first
inline constexpr int kNegUnderflow = kNegFirst + kPerSide;
inline constexpr int kZero = kNegUnderflow + 1;
inline constexpr int kPosUnderflow = kZero + 1;
inline constexpr int kPosFirst = kPosUnderflow + 1;  ///< positive buckets, smallest magnitude first
inline constexpr int kPosOverflow = kPosFirst + kPerSide;
inline constexpr int kBuckets = kPosOverflow + 1;
/// Doubles per sketch: [min, max, count[kBuckets]].
inline constexpr int kDoubles = 2 + kBuckets;

MCREV_HD MCREV_INLINE std::uint64_t bits_of(double x) {
#ifdef __CUDA_ARCH__
  return static_cast<std::uint64_t>(__double_as_longlong(x));
#else
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
#endif
}

MCREV_HD MCREV_INLINE double from_bits(std::uint64_t u) {
#ifdef __CUDA_ARCH__
  return __longlong_as_double(static_cast<long long>(u));
#else
  double x;
  std::memcpy(&x, &u, sizeof x);
  return x;
#endif
}

/// Bucket of x (value-ordered index in [0, kBuckets)).
MCREV_HD MCREV_INLINE int bucket(double x) {
  if (x != x) return kNan;
  if (x == 0.0) return kZero;
  const std::uint64_t u = bits_of(x);
  const bool negative = (u >> 63) != 0;
  const int e = static_cast<int>((u >> 52) & 0x7FF) - 1023;  // subnormals (e = −1023) underflow
  if (e < kMinExp) return negative ? kNegUnderflow : kPosUnderflow;
  if (e >= kMaxExp) return negative ? kNegOverflow : kPosOverflow;
  const int q = (e - kMinExp) * kSub + static_cast<int>((u >> (52 - kMantissaBits)) & (kSub - 1));
  return negative ? kNegFirst + (kPerSide - 1 - q) : kPosFirst + q;
}

/// Order-preserving map of doubles (no NaN) to unsigned integers, for atomicMin/atomicMax.
MCREV_HD MCREV_INLINE unsigned long long ordered_key(double x) {
  const std::uint64_t u = bits_of(x);
  return static_cast<unsigned long long>((u >> 63) ? ~u : (u | 0x8000000000000000ull));
}
MCREV_HD MCREV_INLINE double from_ordered_key(unsigned long long k) {
  const std::uint64_t u = static_cast<std::uint64_t>(k);
  return from_bits((u >> 63) ? (u & 0x7FFFFFFFFFFFFFFFull) : ~u);
}

/// Closed value range [lower, upper] of a bucket (NaN bucket: [NaN, NaN]; over/underflow: open ends
/// are ±inf / 0, to be clamped by the sketch's min and max).
struct Range {
  double lower, upper;
};
MCREV_HD inline Range bucket_range(int k) {
  const double inf = HUGE_VAL;
  const double tiny = 9.094947017729282379150390625e-13;  // 2^−40
  const double huge = 1099511627776.0;                  // 2^40
  if (k == kNan) return {inf - inf, inf - inf};
  if (k == kZero) return {0.0, 0.0};
  if (k == kPosUnderflow) return {0.0, tiny};
  if (k == kNegUnderflow) return {-tiny, 0.0};
  if (k == kPosOverflow) return {huge, inf};
  if (k == kNegOverflow) return {-inf, -huge};
  const bool negative = k < kZero;
  const int q = negative ? kPerSide - 1 - (k - kNegFirst) : k - kPosFirst;
  const int e = q / kSub + kMinExp, s = q % kSub;
  const double scale = ldexp(1.0, e);
  const double lo = scale * (1.0 + static_cast<double>(s) / kSub), hi = scale * (1.0 + static_cast<double>(s + 1) / kSub);
  return negative ? Range{-hi, -lo} : Range{lo, hi};
}

/// Host accumulation into a sketch stored as kDoubles doubles.
inline void init(double* s) {
  s[0] = HUGE_VAL;
  s[1] = -HUGE_VAL;
  for (int k = 0; k < kBuckets; ++k) s[2 + k] = 0.0;
}
inline void add(double* s, double x) {
  s[2 + bucket(x)] += 1.0;
  if (x == x) {
    if (x < s[0]) s[0] = x;
    if (x > s[1]) s[1] = x;
  }
}
/// a ← a ∪ b (exact).
inline void merge(double* a, const double* b) {
  if (b[0] < a[0]) a[0] = b[0];
  if (b[1] > a[1]) a[1] = b[1];
  for (int k = 0; k < kBuckets; ++k) a[2 + k] += b[2 + k];
}

}  // namespace sketch

}  // namespace mcrev
