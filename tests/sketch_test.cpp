// The mergeable quantile sketch (mcrev/sketch.hpp): value-ordered buckets, exact ranges, ordered
// keys, exact merges, and quantiles within the stated relative accuracy of the exact sample quantile.
#include "mcrev/core/sketch.hpp"

#include "incentives/incentives.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace mcrev {
namespace {

std::vector<double> mixed_values() {
  std::mt19937_64 rng(5);
  std::vector<double> x = {0.0, -0.0, 1e-300, -1e-300, 1e-13, -1e-13, 1.0, -1.0, 3e12, -3e12, 0.5, 0.25, 1023.999};
  std::uniform_real_distribution<double> u(-10, 10);
  std::exponential_distribution<double> e(3.0);
  for (int i = 0; i < 2000; ++i) {
    x.push_back(u(rng));
    x.push_back(e(rng));
    x.push_back(-e(rng) * 1e-6);
  }
  return x;
}

TEST(Sketch, BucketsFollowValueOrderAndContainTheValue) {
  std::vector<double> x = mixed_values();
  std::sort(x.begin(), x.end());
  int previous = 0;
  for (double v : x) {
    const int k = sketch::bucket(v);
    EXPECT_GE(k, previous) << v;
    previous = k;
    const sketch::Range r = sketch::bucket_range(k);
    EXPECT_LE(r.lower, v) << v;
    EXPECT_LE(v, r.upper) << v;
    if (v > 0 && k != sketch::kPosOverflow) {
      EXPECT_LT(v, r.upper) << v;  // [lower, upper) for positives
    }
  }
  EXPECT_EQ(sketch::bucket(std::nan("")), sketch::kNan);
  EXPECT_EQ(sketch::bucket(0.0), sketch::kZero);
  // Bucket edges are exact powers-of-two fractions: 1 + 3/128 starts a bucket.
  const double edge = 1.0 + 3.0 / 128;
  EXPECT_EQ(sketch::bucket_range(sketch::bucket(edge)).lower, edge);
  EXPECT_EQ(sketch::bucket(std::nextafter(edge, 0.0)) + 1, sketch::bucket(edge));
}

TEST(Sketch, OrderedKeysPreserveOrder) {
  std::vector<double> x = mixed_values();
  x.push_back(HUGE_VAL);
  x.push_back(-HUGE_VAL);
  std::sort(x.begin(), x.end());
  for (size_t i = 1; i < x.size(); ++i) {
    if (x[i] == x[i - 1]) continue;
    EXPECT_LT(sketch::ordered_key(x[i - 1]), sketch::ordered_key(x[i])) << x[i - 1] << " " << x[i];
  }
  for (double v : x) EXPECT_EQ(sketch::from_ordered_key(sketch::ordered_key(v)), v);
}

TEST(Sketch, MergeIsExactAndOrderFree) {
  const std::vector<double> x = mixed_values();
  std::vector<double> all(sketch::kDoubles), a(sketch::kDoubles), b(sketch::kDoubles);
  sketch::init(all.data());
  sketch::init(a.data());
  sketch::init(b.data());
  for (size_t i = 0; i < x.size(); ++i) {
    sketch::add(all.data(), x[i]);
    sketch::add(i % 3 ? a.data() : b.data(), x[i]);
  }
  std::vector<double> ab = a, ba = b;
  sketch::merge(ab.data(), b.data());
  sketch::merge(ba.data(), a.data());
  EXPECT_EQ(ab, all);
  EXPECT_EQ(ba, all);
}

TEST(Sketch, QuantilesWithinRelativeAccuracy) {
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> d(0.0, 2.0);
  std::vector<double> x(50000);
  for (double& v : x) v = d(rng);
  std::vector<double> s(sketch::kDoubles);
  sketch::init(s.data());
  for (double v : x) sketch::add(s.data(), v);
  std::sort(x.begin(), x.end());
  const std::vector<double> qs = {0.001, 0.1, 0.5, 0.9, 0.999};
  const DistributionSummary sum = summarize_sketch(s.data(), qs, 1.96);
  EXPECT_EQ(sum.min, x.front());
  EXPECT_EQ(sum.max, x.back());
  for (const QuantileEstimate& q : sum.quantiles) {
    const double exact = x[static_cast<size_t>(std::ceil(q.q * x.size())) - 1];  // the rank-ceil(qn) value
    EXPECT_LE(std::fabs(q.value - exact), exact / 256) << q.q;
    EXPECT_LE(q.ci_low, q.value);
    EXPECT_GE(q.ci_high, q.value);
  }
}

TEST(Sketch, PointMassesAreExact) {
  std::vector<double> s(sketch::kDoubles);
  sketch::init(s.data());
  for (int i = 0; i < 100; ++i) sketch::add(s.data(), 0.0);
  DistributionSummary sum = summarize_sketch(s.data(), {0.5, 0.99}, 1.96);
  for (const QuantileEstimate& q : sum.quantiles) {
    EXPECT_EQ(q.value, 0.0);
    EXPECT_EQ(q.ci_low, 0.0);
    EXPECT_EQ(q.ci_high, 0.0);
  }
  for (int i = 0; i < 100; ++i) sketch::add(s.data(), 0.3);  // the bucket's upper part is clamped to max
  sum = summarize_sketch(s.data(), {0.75}, 1.96);
  EXPECT_LE(sum.quantiles[0].value, 0.3);
  EXPECT_LE(0.3 - sum.quantiles[0].value, 0.3 / 256);
  EXPECT_EQ(sum.quantiles[0].ci_high, 0.3);
  EXPECT_EQ(sum.max, 0.3);
}

}  // namespace
}  // namespace mcrev
