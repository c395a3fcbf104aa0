// Virtual values and ironing (host/virtual_value.cpp, mcrev/virtual_value.hpp): closed forms, tables
// against closed forms, and ironed virtual values derived by hand.
#include "mcrev/core/special.hpp"

#include "solvers/distribution_ext.hpp"
#include "solvers/virtual_value.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

namespace mcrev {
namespace {

DistributionSpec spec(DistKind kind, double lo, double hi, double p0 = 0, double p1 = 0) {
  DistributionSpec s;
  s.describe = kind == DistKind::Uniform ? "uniform" : kind == DistKind::Exponential ? "exponential" : kind == DistKind::Power ? "power" : "normal";
  s.dist.kind = kind;
  s.dist.low = lo;
  s.dist.high = hi;
  s.dist.p[0] = p0;
  s.dist.p[1] = p1;
  return s;
}

DistributionSpec trunc_normal(double mean, double sd, double lo, double hi) {
  DistributionSpec s = spec(DistKind::TruncNormal, lo, hi, mean, sd);
  s.dist.p[2] = normal_cdf((lo - mean) / sd);
  s.dist.p[3] = normal_sf((hi - mean) / sd);
  return s;
}

struct Psi {
  std::vector<double> arena;
  Distribution d;
  VirtualValueFunction f;
  Psi(const DistributionSpec& s, bool force_table)
      : d(place_distribution(s, arena)), f(make(d, arena, force_table)) {}
  static VirtualValueTable make(const Distribution& d, const std::vector<double>& arena, bool force) {
    VirtualValueOptions o;
    o.force_table = force;
    return tabulate_virtual_value(d, arena.data(), o);
  }
};

TEST(VirtualValue, ClosedForms) {
  const Psi u(spec(DistKind::Uniform, 2, 5), false);
  EXPECT_EQ(u.f.table().mode, VirtualValueMode::Uniform);
  EXPECT_EQ(u.f(3.0), 1.0);  // 2·3 − 5
  EXPECT_EQ(u.f(1.99), -HUGE_VAL);
  EXPECT_EQ(u.f(6.0), 5.0);  // reports above the support count as its top
  EXPECT_EQ(u.f.lowest_reaching(1.0), 3.0);
  EXPECT_EQ(u.f.lowest_reaching(-10.0), 2.0);
  EXPECT_EQ(u.f.lowest_reaching(5.5), HUGE_VAL);
  EXPECT_EQ(u.f.reserve(0.0), 2.5);

  const Psi e(spec(DistKind::Exponential, 1.0, HUGE_VAL, 2.0), false);  // rate 2, shift 1
  EXPECT_EQ(e.f.table().mode, VirtualValueMode::Exponential);
  EXPECT_EQ(e.f(3.0), 2.5);
  EXPECT_EQ(e.f.reserve(0.0), 1.0);  // ψ(1) = 0.5 >= 0 already at the bottom
  EXPECT_EQ(e.f.reserve(1.0), 1.5);

  // power k = 2 on [0, 1]: ψ(x) = x − (1 − x²)/(2x)
  const Psi pw(spec(DistKind::Power, 0, 1, 2.0), false);
  EXPECT_EQ(pw.f.table().mode, VirtualValueMode::Power);
  for (double x : {0.05, 0.3, 0.577, 0.7, 0.99, 1.0}) {
    const double psi = x - (1 - x * x) / (2 * x);
    EXPECT_NEAR(pw.f(x), psi, 1e-14);
    EXPECT_NEAR(pw.f.lowest_reaching(psi), x, 1e-14);
  }
  EXPECT_NEAR(pw.f.reserve(0.0), 1.0 / std::sqrt(3.0), 1e-15);  // 3x² = 1
}

/// Tabulated ψ̄ of regular distributions against the exact ψ = x − S/f evaluated in the test: within the
/// documented tolerance 1e-8 (scale + |ψ|) (twice that, as the checks sample 3 points per segment).
void expect_table_matches(const DistributionSpec& s, double lo, double hi, double scale,
                          double (*exact)(double)) {
  const Psi t(s, true);
  ASSERT_EQ(t.f.table().mode, VirtualValueMode::Table);
  EXPECT_TRUE(t.f.table().regular());
  double worst = 0;
  for (int k = 0; k <= 20000; ++k) {
    const double x = lo + (hi - lo) * k / 20000.0;
    const double psi = exact(x);
    const double err = std::fabs(t.f(x) - psi) / (scale + std::fabs(psi));
    worst = std::max(worst, err);
    if (k % 97 == 0 && x > lo) { EXPECT_NEAR(t.f.lowest_reaching(psi), x, 1e-7 * scale) << x; }
  }
  EXPECT_LE(t.f.table().max_error, 1e-8);
  EXPECT_LE(worst, 2e-8) << s.describe;
  std::printf("  %-12s table: %zu nodes, reported max error %.3g, worst relative error %.3g\n", s.describe.c_str(),
              t.f.table().x.size(), t.f.table().max_error, worst);
}

TEST(VirtualValue, TablesMatchClosedForms) {
  expect_table_matches(spec(DistKind::Uniform, 0, 12), 0, 12, 12, [](double x) { return 2 * x - 12; });
  expect_table_matches(spec(DistKind::Exponential, 0, HUGE_VAL, 1.5), 0, 40, 3,
                       [](double x) { return x - 1 / 1.5; });  // beyond the table: linear extension
  expect_table_matches(spec(DistKind::Power, 1, 4, 3.0), 1.05, 4, 3, [](double x) {
    const double z = (x - 1) / 3;
    return 1 + 3 * (z * (1 + 1 / 3.0) - std::pow(z, -2.0) / 3);
  });
  expect_table_matches(trunc_normal(1.0, 0.5, 0.0, 3.0), 0, 3, 2, [](double x) {
    const double a = normal_cdf(-2.0), b = normal_sf(4.0);
    const double z = (x - 1.0) / 0.5;
    const double S = (normal_sf(z) - b) / (1 - a - b);
    const double f = normal_pdf(z) / (0.5 * (1 - a - b));
    return S > 0 ? x - S / f : x;
  });
}

// The mixture 0.75 U[0,1] + 0.25 U[1,2], derived by hand:
//   on [0,1): F = 3v/4, f = 3/4, ψ(v) = v − (1 − 3v/4)/(3/4) = 2v − 4/3   (2/3 at v → 1⁻)
//   on [1,2]: F = 3/4 + (v−1)/4, f = 1/4, ψ(v) = v − (1 − v)·... = 2v − 2  (0 at v = 1): ψ drops, irregular.
//   Quantile space, q = 1 − F: v in [1,2] ↔ q in [0, 1/4], v = 2 − 4q, R = 2q − 4q², R' = 2 − 8q;
//   v in [0,1] ↔ q in [1/4, 1], v = 4(1−q)/3, R = 4q(1−q)/3, R' = 4/3 − 8q/3.
//   R' jumps up from 0 to 2/3 at q = 1/4: the concave hull replaces R by the common tangent with slope s
//   touching at q1 = (2 − s)/8 and q2 = (4 − 3s)/8; the tangency condition R(q2) − R(q1) = s (q2 − q1)
//   gives (16 − 9s²)/48 − (2−s)/4 + (2−s)²/16 = s(1−s)/4  ⇔  3s² − 6s + 2 = 0  ⇒  s = 1 − 1/√3.
//   Values: v(q2) = (7 − √3)/6 ≈ 0.877992 (ψ = 2v − 4/3 = s ✓), v(q1) = 3/2 − √3/6 ≈ 1.211325 (2v − 2 = s ✓).
//   So ψ̄(v) = 2v − 4/3 below (7−√3)/6, 1 − 1/√3 on [(7−√3)/6, 3/2 − √3/6], 2v − 2 above;
//   the monopoly reserve ψ̄^{-1}(0) = 2/3.
TEST(VirtualValue, IrregularMixtureByHand) {
  const DistributionSpec mix = make_mixture({0.75, 0.25}, {spec(DistKind::Uniform, 0, 1), spec(DistKind::Uniform, 1, 2)}, "v");
  const Psi t(mix, false);
  const double s = 1 - 1 / std::sqrt(3.0), va = (7 - std::sqrt(3.0)) / 6, vb = 1.5 - std::sqrt(3.0) / 6;
  ASSERT_FALSE(t.f.table().regular());
  ASSERT_EQ(t.f.table().ironed.size(), 1u);
  const IronedInterval iv = t.f.table().ironed[0];
  EXPECT_NEAR(iv.low, va, 1e-13);
  EXPECT_NEAR(iv.high, vb, 1e-13);
  EXPECT_NEAR(iv.level, s, 1e-14);
  EXPECT_NEAR(t.f.reserve(0.0), 2.0 / 3.0, 1e-13);
  for (int k = 0; k <= 4000; ++k) {
    const double v = 2.0 * k / 4000;
    const double expect = v < va ? 2 * v - 4.0 / 3 : (v <= vb ? s : 2 * v - 2);
    EXPECT_NEAR(t.f(v), expect, 1e-12) << v;
  }
  // every type inside the ironed interval gets the very same double: such bidders tie
  EXPECT_EQ(t.f(va + 1e-9), t.f(1.0));
  EXPECT_EQ(t.f(1.2), t.f(0.9));
  EXPECT_NEAR(t.f.lowest_reaching(iv.level), va, 1e-13);
  EXPECT_NEAR(t.f.lowest_exceeding(iv.level), vb, 1e-13);
  EXPECT_LE(t.f.table().max_error, 1e-12);
}

// Discrete {1: 0.45, 2: 0.1, 3: 0.45}. Discrete virtual values ψ(x_k) = x_k − (x_{k+1} − x_k) S(x_k)/p_k:
//   ψ(1) = 1 − 0.55/0.45 = −2/9, ψ(2) = 2 − 0.45/0.1 = −5/2, ψ(3) = 3: irregular (ψ(2) < ψ(1)).
// Revenue points (P(V >= x), x P(V >= x)): (1, 1), (0.55, 1.1), (0.45, 1.35), origin (0, 0). (0.55, 1.1)
// lies below the chord from (0.45, 1.35) to (1, 1), slope −0.35/0.55 = −7/11: atoms 1 and 2 are pooled at
// ψ̄ = −7/11 (mass-weighted mean of their ψ: (0.45·(−2/9) + 0.1·(−5/2))/0.55 = −7/11 ✓); ψ̄(3) = 3.
TEST(VirtualValue, DiscreteIroningByHand) {
  const Psi t(make_discrete({1, 2, 3}, {0.45, 0.1, 0.45}, "v"), false);
  ASSERT_EQ(t.f.table().ironed.size(), 1u);
  EXPECT_EQ(t.f.table().ironed[0].low, 1.0);
  EXPECT_EQ(t.f.table().ironed[0].high, 2.0);
  EXPECT_NEAR(t.f.table().ironed[0].level, -7.0 / 11, 1e-15);
  EXPECT_NEAR(t.f(1.0), -7.0 / 11, 1e-15);
  EXPECT_NEAR(t.f(2.0), -7.0 / 11, 1e-15);
  EXPECT_NEAR(t.f(2.5), -7.0 / 11, 1e-15);  // reports between atoms: the step below
  EXPECT_NEAR(t.f(3.0), 3.0, 1e-15);
  EXPECT_EQ(t.f(0.99), -HUGE_VAL);
  EXPECT_EQ(t.f.reserve(0.0), 3.0);
  EXPECT_EQ(t.f.reserve(-1.0), 1.0);
  EXPECT_EQ(t.f.lowest_exceeding(t.f.table().ironed[0].level), 3.0);
  EXPECT_EQ(t.f.lowest_reaching(t.f.table().ironed[0].level), 1.0);

  // regular discrete {1: 0.5, 2: 0.25, 3: 0.25}: ψ = 1 − 0.5/0.5 = 0, 2 − 0.25/0.25 = 1, 3.
  const Psi r(make_discrete({1, 2, 3}, {0.5, 0.25, 0.25}, "v"), false);
  EXPECT_TRUE(r.f.table().regular());
  EXPECT_NEAR(r.f(1.0), 0.0, 1e-15);
  EXPECT_NEAR(r.f(2.0), 1.0, 1e-15);
  EXPECT_NEAR(r.f(3.0), 3.0, 1e-15);
  EXPECT_EQ(r.f.reserve(0.0), 1.0);
  EXPECT_EQ(r.f.reserve(0.5), 2.0);
}

// 0.5 U[0,1] + 0.5 U[10,11]: the gap makes the curve jump (posting 10 sells with probability 1/2, R = 5),
// so the hull runs from (q=1, R=0) straight to (1/2, 5): slope −10 for every type in [0, 1];
// above, ψ(v) = v − (11 − v)/1 = 2v − 11. Monopoly reserve 10 (revenue 5 = the best posted price).
TEST(VirtualValue, GapIsIroned) {
  const Psi t(make_mixture({0.5, 0.5}, {spec(DistKind::Uniform, 0, 1), spec(DistKind::Uniform, 10, 11)}, "v"), false);
  ASSERT_EQ(t.f.table().ironed.size(), 1u);
  EXPECT_NEAR(t.f.table().ironed[0].low, 0.0, 1e-15);
  EXPECT_NEAR(t.f.table().ironed[0].high, 1.0, 1e-12);
  EXPECT_NEAR(t.f.table().ironed[0].level, -10.0, 1e-12);
  for (double v : {0.0, 0.3, 0.99, 1.0, 5.0}) EXPECT_NEAR(t.f(v), -10.0, 1e-12) << v;
  for (double v : {10.0, 10.4, 11.0}) EXPECT_NEAR(t.f(v), 2 * v - 11, 1e-9) << v;
  EXPECT_NEAR(t.f.reserve(0.0), 10.0, 1e-12);
}

// Power k = 1/2 on [0, 1] (F = √v): R(q) = q (1 − q)², R' = 1 − 4q + 3q², convex for q > 2/3. The tangent
// from (1, 0) touches at q* with R(q*) = R'(q*)(q* − 1) ⇒ q* = 1/2, slope −1/4, type Q(1/2) = 1/4:
// ψ̄ = −1/4 on [0, 1/4], ψ(v) = 3v − 2√v above (= −1/4 at 1/4 ✓); reserve 3v = 2√v ⇒ 4/9.
TEST(VirtualValue, PowerBelowOneIsIronedAtTheBottom) {
  const Psi t(spec(DistKind::Power, 0, 1, 0.5), false);
  ASSERT_EQ(t.f.table().mode, VirtualValueMode::Table);
  ASSERT_EQ(t.f.table().ironed.size(), 1u);
  EXPECT_EQ(t.f.table().ironed[0].low, 0.0);
  EXPECT_NEAR(t.f.table().ironed[0].high, 0.25, 1e-12);
  EXPECT_NEAR(t.f.table().ironed[0].level, -0.25, 1e-12);
  for (double v : {0.0, 0.1, 0.2499}) EXPECT_NEAR(t.f(v), -0.25, 1e-12);
  for (double v : {0.26, 0.5, 0.9, 1.0}) EXPECT_NEAR(t.f(v), 3 * v - 2 * std::sqrt(v), 1e-8);
  EXPECT_NEAR(t.f.reserve(0.0), 4.0 / 9, 1e-8 / 1.5);  // tolerance 1e-8 (scale 1) over ψ'(4/9) = 1.5
}

// Atoms inside a continuous part: 0.5 discrete{1: 0.5, 3: 0.5} + 0.5 U[0, 4], F(x) = x/8 + [x >= 1]/4 + [x >= 3]/4.
// Price x sells with q = P(V >= x): x in [0,1]: 1 − x/8; (1,3]: 3/4 − x/8; (3,4]: 1/2 − x/8, so on (1,3]
// R(q) = q (6 − 8q) and on (3,4] R(q) = q (4 − 8q); the atoms give the points (7/8, 7/8) and (3/8, 9/8).
//  * tangent from (7/8, 7/8) to 6q − 8q²: 8q² − 14q + 35/8 = 0 ⇒ q = (14 − √56)/16, slope 6 − 16q = √56 − 8,
//    touching at x = 6 − 8q = √14 − 1: atom 1 and (1, √14 − 1] are pooled at ψ̄ = √56 − 8 ≈ −0.51669;
//  * tangent from (3/8, 9/8) to 4q − 8q²: 8q² − 6q + 3/8 = 0 ⇒ q = (6 − √24)/16, slope √24 − 2, x = 1 + √6:
//    atom 3 and (3, 1 + √6] are pooled at ψ̄ = √24 − 2 ≈ 2.89898;
//  * elsewhere ψ = x − S/f with f = 1/8: 2x − 8 on [0,1), 2x − 6 on (√14 − 1, 3), 2x − 4 above 1 + √6.
TEST(VirtualValue, AtomsInsideAContinuousPartByHand) {
  const Psi t(make_mixture({0.5, 0.5}, {make_discrete({1, 3}, {0.5, 0.5}, "c"), spec(DistKind::Uniform, 0, 4)}, "v"), false);
  const double s1 = std::sqrt(56.0) - 8, x1 = std::sqrt(14.0) - 1, s2 = std::sqrt(24.0) - 2, x2 = 1 + std::sqrt(6.0);
  ASSERT_EQ(t.f.table().ironed.size(), 2u);
  EXPECT_EQ(t.f.table().ironed[0].low, 1.0);
  EXPECT_NEAR(t.f.table().ironed[0].high, x1, 1e-13);
  EXPECT_NEAR(t.f.table().ironed[0].level, s1, 1e-14);
  EXPECT_EQ(t.f.table().ironed[1].low, 3.0);
  EXPECT_NEAR(t.f.table().ironed[1].high, x2, 1e-13);
  EXPECT_NEAR(t.f.table().ironed[1].level, s2, 1e-14);
  for (int k = 0; k <= 4000; ++k) {
    const double v = 4.0 * k / 4000;
    const double expect = v < 1 ? 2 * v - 8 : v <= x1 ? s1 : v < 3 ? 2 * v - 6 : v <= x2 ? s2 : 2 * v - 4;
    EXPECT_NEAR(t.f(v), expect, 1e-12) << v;
  }
  EXPECT_EQ(t.f.reserve(0.0), 3.0);
  EXPECT_EQ(t.f.reserve(-1.0), 1.0);
  EXPECT_NEAR(t.f.reserve(-0.4), 2.8, 1e-12);  // 2x − 6 = −0.4
}

TEST(VirtualValue, TablesAreNonDecreasing) {
  for (const DistributionSpec& s :
       {make_mixture({0.75, 0.25}, {spec(DistKind::Uniform, 0, 1), spec(DistKind::Uniform, 1, 2)}, "v"),
        make_mixture({0.5, 0.5}, {make_discrete({1, 3}, {0.5, 0.5}, "c"), spec(DistKind::Uniform, 0, 4)}, "v"),
        make_mixture({0.3, 0.7}, {spec(DistKind::Exponential, 0, HUGE_VAL, 1.0), spec(DistKind::Exponential, 0, HUGE_VAL, 5.0)}, "v"),
        spec(DistKind::Power, 0, 1, 0.3)}) {
    const Psi t(s, false);
    double prev = -HUGE_VAL;
    for (int k = 0; k <= 100000; ++k) {
      const double x = t.d.quantile(std::min(1.0 - 1e-12, std::max(1e-12, k / 100000.0)), t.arena.data());
      const double y = t.f(x);
      EXPECT_GE(y, prev);
      prev = std::max(prev, y);
    }
  }
}

}  // namespace
}  // namespace mcrev
