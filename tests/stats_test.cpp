// Mergeable moments: leaf sums and Chan merges against a two-pass computation.
#include "mcrev/engine.hpp"
#include "mcrev/core/stats.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace mcrev;

namespace {
struct OnePair {
  MCREV_HD void operator()(int, int* i, int* j) const {
    *i = 0;
    *j = 1;
  }
};

std::vector<double> data(int n, double offset, double scale, std::uint64_t seed) {
  std::vector<double> x(n);
  for (int i = 0; i < n; ++i) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    x[i] = offset + scale * ((seed >> 11) * 0x1.0p-53 - 0.5);
  }
  return x;
}

std::vector<double> partial_of(const std::vector<double>& x, const std::vector<double>& y, size_t b, size_t e) {
  const PartialShape sh{2, 1};
  std::vector<double> st(3 * 2 + 1), out(sh.size());
  LeafSums s = leaf_view(st.data(), sh);
  for (size_t i = b; i < e; ++i) {
    const double v[2] = {x[i], y[i]};
    leaf_add(s, sh, v, OnePair{});
  }
  leaf_finish(s, sh, OnePair{}, out.data());
  return out;
}
}  // namespace

TEST(Moments, LeafAndMergeMatchTwoPass) {
  const int n = 10000;
  // A large offset relative to the spread stresses cancellation.
  auto x = data(n, 1e6, 2.0, 1), y = data(n, -3.0, 5.0, 2);
  for (int i = 0; i < n; ++i) y[i] += 0.7 * (x[i] - 1e6);
  double mx = 0, my = 0;
  for (int i = 0; i < n; ++i) mx += x[i], my += y[i];
  mx /= n;
  my /= n;
  double vx = 0, vy = 0, cxy = 0;
  for (int i = 0; i < n; ++i) {
    vx += (x[i] - mx) * (x[i] - mx);
    vy += (y[i] - my) * (y[i] - my);
    cxy += (x[i] - mx) * (y[i] - my);
  }
  const PartialShape sh{2, 1};
  // Uneven pieces merged left to right.
  std::vector<double> acc = partial_of(x, y, 0, 1);
  for (size_t b : {1u, 257u, 300u, 4096u}) {
    const size_t e = b == 4096u ? n : (b == 1u ? 257u : (b == 257u ? 300u : 4096u));
    const auto p = partial_of(x, y, b, e);
    partial_merge(acc.data(), p.data(), sh, OnePair{}, acc.data());
  }
  EXPECT_EQ(acc[0], n);
  EXPECT_NEAR(acc[1], mx, 1e-14 * mx);
  EXPECT_NEAR(acc[2], my, 1e-12);
  EXPECT_NEAR(acc[3], vx, 1e-9 * vx);
  EXPECT_NEAR(acc[4], vy, 1e-9 * vy);
  EXPECT_NEAR(acc[5], cxy, 1e-9 * std::fabs(cxy));
}

TEST(Moments, EmptyPartialsAreNeutral) {
  const PartialShape sh{2, 1};
  auto x = data(100, 0, 1, 3), y = data(100, 0, 1, 4);
  const auto p = partial_of(x, y, 0, 100);
  std::vector<double> zero(sh.size(), 0.0), out(sh.size());
  partial_merge(zero.data(), p.data(), sh, OnePair{}, out.data());
  EXPECT_EQ(out, p);
  partial_merge(p.data(), zero.data(), sh, OnePair{}, out.data());
  EXPECT_EQ(out, p);
}

TEST(TreeReducer, ChunkedPushesEqualLeafByLeaf) {
  // One mechanism block with no groups: 7 metrics, pair 0 = (kSurplus, kOptSurplus).
  const PartialShape sh{metric::per_mechanism(0), 1};
  const MechanismPairs pairs{metric::per_mechanism(0)};
  const size_t leaves = 37, per_leaf = 8;
  std::vector<std::vector<double>> cols;
  for (int k = 0; k < sh.metrics; ++k) cols.push_back(data(leaves * per_leaf, k * 10.0, 1.0 + k, 20 + k));
  auto leaf = [&](size_t l) {
    std::vector<double> st(3 * sh.metrics + sh.pairs), out(sh.size()), x(sh.metrics);
    LeafSums s = leaf_view(st.data(), sh);
    for (size_t i = l * per_leaf; i < (l + 1) * per_leaf; ++i) {
      for (int k = 0; k < sh.metrics; ++k) x[k] = cols[k][i];
      leaf_add(s, sh, x.data(), pairs);
    }
    leaf_finish(s, sh, pairs, out.data());
    return out;
  };
  auto reduce = [&](size_t chunk_leaves) {
    TreeReducer total(sh, pairs);
    for (size_t c = 0; c < leaves; c += chunk_leaves) {
      TreeReducer local(sh, pairs, c);
      for (size_t l = c; l < std::min(leaves, c + chunk_leaves); ++l) local.push(0, leaf(l));
      for (auto& e : local.take()) total.push(std::move(e));
    }
    return total.finish();
  };
  const auto ref = reduce(1);
  EXPECT_EQ(ref[0], double(leaves * per_leaf));
  for (size_t ch : {2u, 4u, 16u, 64u}) EXPECT_EQ(reduce(ch), ref) << "chunk of " << ch << " leaves";
}
