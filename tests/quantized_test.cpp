// Quantized-bid mechanisms (include/mcrev/quantized.hpp, include/mcrev/quantized_design.hpp):
// cell virtual values, per-profile allocation and payments, exact seller utility (enumeration and
// order statistics) against Monte Carlo, threshold search against closed forms, and incentives.
#include "mcrev/engine.hpp"
#include "mcrev/core/error.hpp"
#include "mcrev/mechanisms/quantized.hpp"
#include "mcrev/mechanisms/quantized_design.hpp"

#include "output/output.hpp"
#include "scenario/scenario.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <vector>

namespace mcrev {
namespace {

Distribution uniform(double a, double b) {
  Distribution d;
  d.kind = DistKind::Uniform;
  d.low = a;
  d.high = b;
  return d;
}

Distribution exponential(double rate) {
  Distribution d;
  d.kind = DistKind::Exponential;
  d.p[0] = rate;
  d.low = 0.0;
  d.high = HUGE_VAL;
  return d;
}

Distribution power(double k) {
  Distribution d;
  d.kind = DistKind::Power;
  d.p[0] = k;
  d.low = 0.0;
  d.high = 1.0;
  return d;
}

GroupSpec group(const std::string& name, int count, const Distribution& d) {
  GroupSpec g;
  g.name = name;
  g.count = count;
  g.value.dist = d;
  g.value.describe = name;
  return g;
}

MechanismSpec quantized(const std::string& name, QuantizedSpec spec, double v0 = 0.0) {
  MechanismSpec m;
  m.kind = MechKind::Quantized;
  m.name = name;
  m.seller_value = v0;
  m.quantized = std::move(spec);
  return m;
}

QuantizedSpec fixed(std::vector<std::vector<double>> thr) {
  QuantizedSpec s;
  s.mode = QuantizedSpec::Mode::Fixed;
  s.thresholds = std::move(thr);
  return s;
}

QuantizedSpec optimal(QuantizedSpec::Search search, int levels = 1) {
  QuantizedSpec s;
  s.mode = QuantizedSpec::Mode::Optimal;
  s.search = search;
  s.levels = levels;
  return s;
}

RunResult run_cpu_backend(const Scenario& sc) {
  RunOptions o;
  o.backend = Backend::Cpu;
  o.threads = 2;
  return run(sc, o);
}

/// E[ψ(V) 1{V in [x, y)}] by composite Simpson on [x, y] (y finite).
double integral_psi(const Distribution& d, double x, double y, int n = 200000) {
  auto g = [&](double v) { return v * d.pdf(v, nullptr) - (1.0 - d.cdf(v, nullptr)); };
  const double h = (y - x) / n;
  double s = g(x) + g(y);
  for (int i = 1; i < n; ++i) s += g(x + i * h) * (i % 2 ? 4.0 : 2.0);
  return s * h / 3.0;
}

/// Analog optimum E[max(v0, max_i ψ_i(V_i))] for regular bidders by Simpson quadrature of
/// v0 + ∫_{v0}^{top} (1 − Π_i F_i(ψ_i^{-1}(x))) dx, with ψ_i^{-1} by bisection.
double analog_optimum(const std::vector<Distribution>& ds, double v0, int n = 20000) {
  auto psi = [](const Distribution& d, double v) { return v - (1.0 - d.cdf(v, nullptr)) / d.pdf(v, nullptr); };
  double top = v0;
  for (const Distribution& d : ds) top = std::max(top, d.high);
  auto below = [&](double x) {  // Π_i P(ψ_i(V_i) <= x)
    double prod = 1.0;
    for (const Distribution& d : ds) {
      if (psi(d, d.low) > x) return 0.0;
      if (psi(d, d.high) <= x) continue;
      double lo = d.low, hi = d.high;
      for (int it = 0; it < 60; ++it) {
        const double mid = 0.5 * (lo + hi);
        (psi(d, mid) <= x ? lo : hi) = mid;
      }
      prod *= d.cdf(lo, nullptr);
    }
    return prod;
  };
  if (!(top > v0)) return v0;
  const double h = (top - v0) / n;
  double s = (1 - below(v0)) + (1 - below(top));
  for (int i = 1; i < n; ++i) s += (1 - below(v0 + i * h)) * (i % 2 ? 4.0 : 2.0);
  return v0 + s * h / 3.0;
}

// ---------------------------------------------------------------------------------------------
// Cell virtual values

TEST(QuantizedCells, BinaryUniformMatchesClosedForm) {
  // THEORY: c(1) = θ, c(0) = (a − p1 θ)/p0 = θ − (b − a) for U[a, b].
  for (auto [a, b, t] : std::vector<std::array<double, 3>>{{0, 1, 0.5}, {0, 1, 0.3}, {2, 5, 4.1}, {-1, 1, 0.25}}) {
    const QuantizedBidder q = quantize_bidder(uniform(a, b), nullptr, {t});
    const double p0 = (t - a) / (b - a), p1 = 1 - p0;
    EXPECT_NEAR(q.prob[0], p0, 1e-15);
    EXPECT_NEAR(q.prob[1], p1, 1e-15);
    EXPECT_DOUBLE_EQ(q.value[1], t);
    EXPECT_NEAR(q.value[0], (a - p1 * t) / p0, 1e-13);
    EXPECT_NEAR(q.value[0], t - (b - a), 1e-13);
  }
}

TEST(QuantizedCells, CellValueIsConditionalExpectedVirtualValue) {
  // c_j = E[ψ(V) | cell j], checked against quadrature of ψ f over the cell (independent formula).
  struct Case {
    Distribution d;
    std::vector<double> thr;
  };
  std::vector<Case> cases = {{power(2.0), {0.3, 0.6, 0.8}}, {exponential(1.5), {0.2, 1.0}}, {uniform(1, 4), {1.5, 2, 3.9}}};
  for (const Case& c : cases) {
    const QuantizedBidder q = quantize_bidder(c.d, nullptr, c.thr);
    for (size_t j = 0; j < q.value.size(); ++j) {
      const double x = j == 0 ? c.d.low : c.thr[j - 1];
      const double y = j == c.thr.size() ? (std::isfinite(c.d.high) ? c.d.high : 60.0) : c.thr[j];
      const double prob = c.d.cdf(y, nullptr) - c.d.cdf(x, nullptr);
      EXPECT_NEAR(q.prob[j], prob, 1e-12);
      EXPECT_NEAR(q.value[j], integral_psi(c.d, x, y) / prob, 1e-8) << "cell " << j;
    }
  }
}

TEST(QuantizedCells, IronsNonMonotoneCellValues) {
  // Empirical CDF through (0,0), (1,0.5), (2,0.5), (3,1): half the mass on [0,1], half on [2,3].
  // Thresholds 0.9 and 1.9: π = (0.45, 0.05, 0.5), S = (1, 0.55, 0.5). Raw values
  // c0 = 0 − 0.9·0.55/0.45 = −1.1, c1 = 0.9 − 1.0·0.5/0.05 = −9.1, c2 = 1.9 (not monotone); pooling
  // cells 0 and 1: (0.45·(−1.1) + 0.05·(−9.1)) / 0.5 = −1.9 = E[ψ | V < 1.9] = (0 − 0.5·1.9)/0.5.
  std::vector<double> arena = {0, 1, 2, 3, 0, 0.5, 0.5, 1};
  Distribution d;
  d.kind = DistKind::Empirical;
  d.low = 0;
  d.high = 3;
  d.table = 0;
  d.table_n = 4;
  const QuantizedBidder q = quantize_bidder(d, arena.data(), {0.9, 1.9});
  EXPECT_NEAR(q.prob[0], 0.45, 1e-15);
  EXPECT_NEAR(q.prob[1], 0.05, 1e-15);
  EXPECT_NEAR(q.prob[2], 0.5, 1e-15);
  EXPECT_NEAR(q.value[0], -1.9, 1e-12);
  EXPECT_NEAR(q.value[1], -1.9, 1e-12);
  EXPECT_NEAR(q.value[2], 1.9, 1e-12);
}

TEST(QuantizedCells, EmptyCellTakesNeighbourValue) {
  // θ = a: cell 0 is empty and pools with cell 1 (value θ = a); repeated thresholds likewise.
  const QuantizedBidder q = quantize_bidder(uniform(0, 1), nullptr, {0.0});
  EXPECT_EQ(q.prob[0], 0.0);
  EXPECT_EQ(q.value[0], q.value[1]);
  EXPECT_EQ(q.value[1], 0.0);
  const QuantizedBidder r = quantize_bidder(uniform(0, 1), nullptr, {0.5, 0.5});
  EXPECT_EQ(r.prob[1], 0.0);
  EXPECT_EQ(r.value[1], r.value[0]);
  EXPECT_NEAR(r.value[0], -0.5, 1e-15);
  EXPECT_EQ(r.value[2], 0.5);
}

// ---------------------------------------------------------------------------------------------
// Per-profile allocation and payment through the model

struct Built {
  Scenario sc;
  ModelData md;
};

Built build(std::vector<GroupSpec> groups, std::vector<MechanismSpec> mechs, std::uint64_t seed = 11) {
  Built b;
  b.sc.seed = seed;
  b.sc.groups = std::move(groups);
  b.sc.mechanisms = std::move(mechs);
  b.md = build_model(b.sc);
  return b;
}

Outcome outcome(const Built& b, int m, std::uint64_t profile, std::vector<double> v) {
  const Model md = b.md.view();
  std::vector<double> reports(md.scratch_doubles());
  compute_reports(md, m, v.data(), reports.data());
  EXPECT_EQ(std::vector<double>(reports.begin(), reports.begin() + v.size()), v);  // truthful value reports
  return allocate(md, m, profile, reports.data());
}

double prio(const Built& b, int m, std::uint64_t profile, int i) {
  return stream_uniform_at(b.sc.seed, profile, aux_lane(m), static_cast<std::uint32_t>(i));
}

TEST(QuantizedProfile, TwoUniformBiddersHalfThresholds) {
  // c(1) = 0.5, c(0) = −0.5, v0 = 0.
  const Built b = build({group("u", 2, uniform(0, 1))}, {quantized("q", fixed({{0.5}}))});
  Outcome o = outcome(b, 0, 0, {0.7, 0.2});  // bits (1, 0): bidder 0; with bit 0 it would lose → θ
  EXPECT_EQ(o.winner, 0);
  EXPECT_EQ(o.price, 0.5);
  o = outcome(b, 0, 0, {0.3, 0.2});  // (0, 0): c = −0.5 <= v0: unsold
  EXPECT_EQ(o.winner, -1);
  o = outcome(b, 0, 0, {0.1, 0.5});  // threshold reached exactly: bit 1
  EXPECT_EQ(o.winner, 1);
  EXPECT_EQ(o.price, 0.5);
  for (std::uint64_t p = 0; p < 40; ++p) {  // (1, 1): tie, the higher priority wins, pays θ
    o = outcome(b, 0, p, {0.8, 0.9});
    EXPECT_EQ(o.winner, prio(b, 0, p, 0) > prio(b, 0, p, 1) ? 0 : 1);
    EXPECT_EQ(o.price, 0.5);
  }
}

TEST(QuantizedProfile, WinnerWhoWouldAlsoWinWithBitZeroPaysLowEnd) {
  // Bidder 0 ~ U[2,3], θ = 2.5: c = (1.5, 2.5); bidder 1 ~ U[0,1], θ = 0.5: c = (−0.5, 0.5).
  const Built b = build({group("high", 1, uniform(2, 3)), group("low", 1, uniform(0, 1))},
                        {quantized("v0", fixed({{2.5}, {0.5}})), quantized("v16", fixed({{2.5}, {0.5}}), 1.6)});
  Outcome o = outcome(b, 0, 3, {2.7, 0.8});  // wins with bit 1 and would win with bit 0 → pays a = 2
  EXPECT_EQ(o.winner, 0);
  EXPECT_EQ(o.price, 2.0);
  o = outcome(b, 0, 3, {2.2, 0.8});  // bit 0 → pays a
  EXPECT_EQ(o.winner, 0);
  EXPECT_EQ(o.price, 2.0);
  // v0 = 1.6 > c(0) = 1.5: bit 0 is not sold; bit 1 wins and pays θ = 2.5.
  o = outcome(b, 1, 3, {2.2, 0.8});
  EXPECT_EQ(o.winner, -1);
  o = outcome(b, 1, 3, {2.7, 0.8});
  EXPECT_EQ(o.winner, 0);
  EXPECT_EQ(o.price, 2.5);
}

TEST(QuantizedProfile, MultiLevelPaysLowestWinningCell) {
  // U[0,1], thresholds (0.25, 0.5, 0.75): c̄ = (−0.75, −0.25, 0.25, 0.75) = E[2V − 1 | cell].
  const Built b = build({group("u", 2, uniform(0, 1))}, {quantized("q", fixed({{0.25, 0.5, 0.75}}))});
  const QuantizedDesign& d = *b.md.quantized[0];
  const std::vector<double> expect = {-0.75, -0.25, 0.25, 0.75};
  for (int j = 0; j < 4; ++j) EXPECT_NEAR(d.bidders[0].value[j], expect[j], 1e-15);
  Outcome o = outcome(b, 0, 5, {0.6, 0.1});  // cells (2, 0): cells 0, 1 lose to v0 = 0 → pays θ_2 = 0.5
  EXPECT_EQ(o.winner, 0);
  EXPECT_EQ(o.price, 0.5);
  for (std::uint64_t p = 0; p < 40; ++p) {
    // cells (3, 2): with cell 2 bidder 0 ties bidder 1 at 0.25 and wins iff its priority is higher
    o = outcome(b, 0, p, {0.9, 0.6});
    EXPECT_EQ(o.winner, 0);
    EXPECT_EQ(o.price, prio(b, 0, p, 0) > prio(b, 0, p, 1) ? 0.5 : 0.75);
  }
  o = outcome(b, 0, 5, {0.3, 0.2});  // cells (1, 0): −0.25 <= 0: unsold
  EXPECT_EQ(o.winner, -1);
}

TEST(QuantizedProfile, RandomThresholdsComeFromTheirOwnLane) {
  const Built b = build({group("u", 3, uniform(0, 2))},
                        {quantized("r", [] {
                           QuantizedSpec s;
                           s.mode = QuantizedSpec::Mode::Random;
                           return s;
                         }())});
  const Model md = b.md.view();
  for (std::uint64_t p = 0; p < 200; ++p) {
    std::vector<double> v(3);
    draw_values(md, p, v.data());
    // The seller's mechanism for this profile's thresholds, rebuilt by hand.
    std::vector<QuantizedBidder> q;
    for (int i = 0; i < 3; ++i) {
      const double t = 2.0 * stream_uniform_at(b.sc.seed, p, quantized_threshold_lane(0), i);
      q.push_back(quantize_bidder(uniform(0, 2), nullptr, {t}));
    }
    std::vector<double> reports(md.scratch_doubles());
    compute_reports(md, 0, v.data(), reports.data());
    const Outcome o = allocate(md, 0, p, reports.data());
    int best = -1;
    double kb = 0;
    for (int i = 0; i < 3; ++i) {
      const double c = q[i].value[v[i] >= q[i].thresholds[0]];
      if (best < 0 || c > kb || (c == kb && prio(b, 0, p, i) > prio(b, 0, p, best))) {
        best = i;
        kb = c;
      }
    }
    if (!(kb > 0.0)) {
      EXPECT_EQ(o.winner, -1);
      continue;
    }
    ASSERT_EQ(o.winner, best);
    const bool bit = v[best] >= q[best].thresholds[0];
    // Would it still win with bit 0?
    bool wins_with_zero = q[best].value[0] > 0.0;
    for (int j = 0; j < 3; ++j)
      if (j != best) {
        const double c = q[j].value[v[j] >= q[j].thresholds[0]];
        if (c > q[best].value[0] || (c == q[best].value[0] && prio(b, 0, p, j) > prio(b, 0, p, best)))
          wins_with_zero = false;
      }
    EXPECT_EQ(o.price, (!bit || wins_with_zero) ? 0.0 : q[best].thresholds[0]);
  }
}

// ---------------------------------------------------------------------------------------------
// Exact seller utility: enumeration, order statistics and Monte Carlo

TEST(QuantizedExact, TwoUniformHalfThresholdsIs0375) {
  // P(some bit is 1) · 0.5 = 0.75 · 0.5 = 0.375 (THEORY.md).
  const std::vector<QuantizedBidder> q = {quantize_bidder(uniform(0, 1), nullptr, {0.5}),
                                          quantize_bidder(uniform(0, 1), nullptr, {0.5})};
  EXPECT_EQ(quantized_expected_utility_enumerated(q, 0.0), 0.375);
  EXPECT_EQ(quantized_expected_utility(q, 0.0), 0.375);
  Scenario sc;
  sc.samples = 400000;
  sc.seed = 5;
  sc.groups = {group("u", 2, uniform(0, 1))};
  sc.mechanisms = {quantized("q", fixed({{0.5, 0.5}}))};
  const RunResult r = run_cpu_backend(sc);
  const MechanismResult& m = r.mechanisms[0];
  ASSERT_TRUE(m.quantized);
  EXPECT_EQ(m.quantized->exact_seller_utility, 0.375);
  EXPECT_EQ(m.quantized->exact_method, "enumeration");
  EXPECT_LT(std::fabs(m.seller_utility.mean - 0.375), 5 * m.seller_utility.stderr_);
  EXPECT_LT(std::fabs(m.revenue.mean - 0.375), 5 * m.revenue.stderr_);
  // Welfare: sold iff some bit is 1; the winner's value is E[V | V >= 0.5] = 0.75 → 0.5625.
  EXPECT_LT(std::fabs(m.welfare.mean - 0.5625), 5 * m.welfare.stderr_);
}

TEST(QuantizedExact, EnumerationAgreesWithOrderStatistics) {
  std::vector<std::vector<QuantizedBidder>> designs = {
      {quantize_bidder(uniform(0, 1), nullptr, {0.3}), quantize_bidder(uniform(0.5, 2), nullptr, {1.2}),
       quantize_bidder(exponential(1.0), nullptr, {0.7})},
      {quantize_bidder(uniform(0, 1), nullptr, {0.2, 0.5, 0.9}), quantize_bidder(power(3.0), nullptr, {0.6, 0.7}),
       quantize_bidder(uniform(0, 1), nullptr, {0.5, 0.5}), quantize_bidder(exponential(2.0), nullptr, {0.1, 0.4, 1.0})},
  };
  for (int n = 2; n <= 9; ++n) {
    std::vector<QuantizedBidder> d;
    for (int i = 0; i < n; ++i) d.push_back(quantize_bidder(uniform(0, 1 + 0.1 * i), nullptr, {0.3 + 0.05 * i}));
    designs.push_back(d);
  }
  for (const auto& d : designs)
    for (double v0 : {0.0, 0.2, -0.5, 0.8}) {
      const double e = quantized_expected_utility_enumerated(d, v0);
      EXPECT_NEAR(quantized_expected_utility(d, v0), e, 1e-13 * (1 + std::fabs(e)));
    }
  EXPECT_THROW(quantized_expected_utility_enumerated(designs.back(), 0.0, 100), std::invalid_argument);
}

TEST(QuantizedExact, MonteCarloAgreesWithEnumeration) {
  // Asymmetric multi-level design with a seller value; fixed thresholds per bidder.
  Scenario sc;
  sc.samples = 300000;
  sc.seed = 9;
  sc.groups = {group("a", 1, uniform(0, 1)), group("b", 1, uniform(0.5, 2)), group("c", 1, power(2.0))};
  sc.mechanisms = {quantized("q2", fixed({{0.3, 0.6}, {1.0, 1.5}, {0.5, 0.8}}), 0.25),
                   quantized("q1", fixed({{0.4}, {1.25}, {0.6}}), 0.1)};
  const RunResult r = run_cpu_backend(sc);
  for (const MechanismResult& m : r.mechanisms) {
    const double exact = m.quantized->exact_seller_utility;
    EXPECT_EQ(m.quantized->exact_method, "enumeration");
    EXPECT_NEAR(exact, quantized_expected_utility(m.quantized->bidders, m.quantized->seller_value), 1e-13);
    EXPECT_LT(std::fabs(m.seller_utility.mean - exact), 5 * m.seller_utility.stderr_) << m.name;
  }
}

TEST(QuantizedExact, RandomThresholdsMatchClosedForm) {
  // θ_i ~ U[0,1], V_i ~ U[0,1], v0 = 0: c_i = θ_i if V_i >= θ_i else θ_i − 1 <= 0, so utility is
  // E[max_i θ_i 1{V_i >= θ_i}] with P(θ 1{V >= θ} > x) = (1 − x)²/2:
  // J_n = ∫_0^1 (1 − (1 − y²/2)^n) dy (Simpson below).
  for (int n : {2, 3, 5}) {
    const int N = 20000;
    double s = 0;
    for (int i = 0; i <= N; ++i) {
      const double y = static_cast<double>(i) / N;
      s += (1 - std::pow(1 - y * y / 2, n)) * (i == 0 || i == N ? 1 : (i % 2 ? 4 : 2));
    }
    const double exact = s / (3.0 * N);
    Scenario sc;
    sc.samples = 300000;
    sc.seed = 21;
    sc.groups = {group("u", n, uniform(0, 1))};
    QuantizedSpec spec;
    spec.mode = QuantizedSpec::Mode::Random;
    sc.mechanisms = {quantized("r", spec)};
    const RunResult r = run_cpu_backend(sc);
    const Estimate& e = r.mechanisms[0].seller_utility;
    EXPECT_LT(std::fabs(e.mean - exact), 5 * e.stderr_) << "n = " << n << " exact " << exact;
  }
}

// ---------------------------------------------------------------------------------------------
// Threshold design

TEST(QuantizedDesignSearch, OneBuyerMonopolyPriceLosesNothing) {
  // One U[a,b] buyer: optimal threshold = clip((b + v0)/2, a, b), utility = analog optimum
  // E[max(v0, ψ(V))] (closed form: p (b − p)/(b − a) + v0 (p − a)/(b − a) at p = that price).
  struct Case {
    double a, b, v0;
  };
  for (const Case& c : std::vector<Case>{{0, 1, 0}, {0, 1, 0.2}, {0, 2, 0.5}, {1, 3, 0}, {2, 3, 0}, {0.5, 4, 1.5}}) {
    const double p = std::min(std::max((c.b + c.v0) / 2, c.a), c.b);
    const double analog = p * (c.b - p) / (c.b - c.a) + c.v0 * (p - c.a) / (c.b - c.a);
    for (auto search : {QuantizedSpec::Search::Symmetric, QuantizedSpec::Search::PerBidder}) {
      const QuantizedDesign d = optimize_quantized_thresholds(optimal(search), {uniform(c.a, c.b)}, nullptr, c.v0, 1);
      const double j = quantized_expected_utility(d.bidders, c.v0);
      EXPECT_NEAR(j, analog, 1e-12) << c.a << " " << c.b << " " << c.v0;
      EXPECT_NEAR(j, analog_optimum({uniform(c.a, c.b)}, c.v0), 1e-7);
      // With ψ(a) >= v0 every threshold is optimal (always sold at a); otherwise the monopoly price.
      if (2 * c.a - c.b < c.v0) {
        EXPECT_NEAR(d.bidders[0].thresholds[0], p, 1e-7);
      }
    }
  }
  // Non-uniform buyers: power k=2 (ψ = (3v² − 1)/(2v), price 1/√3, revenue (2/3)/√3) and
  // exponential rate 1 (ψ = v − 1, price 1, revenue e^{-1}).
  const QuantizedDesign pw = optimize_quantized_thresholds(optimal(QuantizedSpec::Search::PerBidder), {power(2)}, nullptr, 0, 1);
  EXPECT_NEAR(pw.bidders[0].thresholds[0], 1 / std::sqrt(3.0), 1e-7);
  EXPECT_NEAR(quantized_expected_utility(pw.bidders, 0), 2 / (3 * std::sqrt(3.0)), 1e-12);
  const QuantizedDesign ex =
      optimize_quantized_thresholds(optimal(QuantizedSpec::Search::PerBidder), {exponential(1)}, nullptr, 0, 1);
  EXPECT_NEAR(ex.bidders[0].thresholds[0], 1.0, 1e-6);
  EXPECT_NEAR(quantized_expected_utility(ex.bidders, 0), std::exp(-1.0), 1e-12);
}

TEST(QuantizedDesignSearch, IidUniformMatchesClosedFormsAndStaysBelowMyerson) {
  // n iid U[0,1], v0 = 0: c(0) = θ − 1 <= 0, so J = E[max_i θ_i 1{V_i >= θ_i}].
  //  symmetric: J = θ(1 − θ^n), maximized at θ = (n + 1)^{−1/n};
  //  per bidder: sequential posted prices, R_1 = 1/4, R_n = ((1 + R_{n−1})/2)²;
  //  analog (Myerson): 1 − 2 (1 − 2^{−(n+1)}) / (n + 1).
  double r = 0.25;
  for (int n = 2; n <= 10; ++n) {
    r = (1 + r) * (1 + r) / 4;
    const std::vector<Distribution> ds(n, uniform(0, 1));
    const QuantizedDesign sym = optimize_quantized_thresholds(optimal(QuantizedSpec::Search::Symmetric), ds, nullptr, 0, 1);
    const QuantizedDesign per = optimize_quantized_thresholds(optimal(QuantizedSpec::Search::PerBidder), ds, nullptr, 0, 1);
    const double theta = std::pow(n + 1.0, -1.0 / n);
    const double js = quantized_expected_utility(sym.bidders, 0), jp = quantized_expected_utility(per.bidders, 0);
    EXPECT_NEAR(sym.bidders[0].thresholds[0], theta, 1e-7) << n;
    EXPECT_NEAR(js, theta * (1 - std::pow(theta, n)), 1e-13) << n;
    EXPECT_NEAR(jp, r, 1e-10) << n;
    EXPECT_GE(jp, js - 1e-15);
    const double myerson = 1 - 2 * (1 - std::pow(2.0, -(n + 1))) / (n + 1);
    EXPECT_NEAR(analog_optimum(ds, 0), myerson, 1e-7);
    EXPECT_LT(jp, myerson);
    if (n <= 6) {  // two levels: better than one, still below the analog optimum
      const QuantizedDesign two = optimize_quantized_thresholds(optimal(QuantizedSpec::Search::PerBidder, 2), ds, nullptr, 0, 1);
      const double j2 = quantized_expected_utility(two.bidders, 0);
      EXPECT_GT(j2, jp);
      EXPECT_LT(j2, myerson);
    }
  }
}

TEST(QuantizedDesignSearch, AsymmetricBiddersPerBidderNeverWorseThanSymmetric) {
  const std::vector<std::vector<Distribution>> cases = {
      {uniform(0, 1), uniform(1, 2)},
      {uniform(0, 2), uniform(1, 3)},
      {uniform(0, 1), uniform(0.5, 2), power(2)},
      {uniform(0, 1), uniform(0, 1), uniform(0, 3), uniform(0.2, 0.6)},
  };
  for (double v0 : {0.0, 0.4, 1.0})
    for (const auto& ds : cases)
      for (int levels : {1, 2}) {
        const QuantizedDesign sym =
            optimize_quantized_thresholds(optimal(QuantizedSpec::Search::Symmetric, levels), ds, nullptr, v0, 1);
        const QuantizedDesign per =
            optimize_quantized_thresholds(optimal(QuantizedSpec::Search::PerBidder, levels), ds, nullptr, v0, 1);
        const double js = quantized_expected_utility(sym.bidders, v0), jp = quantized_expected_utility(per.bidders, v0);
        EXPECT_GE(jp, js - 1e-13);
        EXPECT_LE(jp, analog_optimum(ds, v0) + 1e-7);
        EXPECT_NEAR(per.search_objective, jp, 1e-12);
      }
}

TEST(QuantizedDesignSearch, MonteCarloSearchWithCommonRandomNumbers) {
  // The CRN search's objective at its thresholds is within 5 SE of the exact J there, where
  // SE = sd(max(v0, max c̄)) / √S with the variance computed exactly by enumeration.
  QuantizedSpec spec = optimal(QuantizedSpec::Search::PerBidder);
  spec.eval = QuantizedSpec::Eval::MonteCarlo;
  spec.eval_samples = 1 << 15;
  const std::vector<Distribution> ds = {uniform(0, 1), uniform(0, 1), uniform(0.2, 1.5)};
  const QuantizedDesign d = optimize_quantized_thresholds(spec, ds, nullptr, 0.1, 17);
  const double j = quantized_expected_utility_enumerated(d.bidders, 0.1);
  double second = 0.0;  // E[X²] over the 8 patterns
  for (int p = 0; p < 8; ++p) {
    double prob = 1, x = 0.1;
    for (int i = 0; i < 3; ++i) {
      const int c = (p >> i) & 1;
      prob *= d.bidders[i].prob[c];
      x = std::max(x, d.bidders[i].value[c]);
    }
    second += prob * x * x;
  }
  const double se = std::sqrt((second - j * j) / spec.eval_samples);
  EXPECT_LT(std::fabs(d.search_objective - j), 5 * se);
  const QuantizedDesign exact = optimize_quantized_thresholds(optimal(QuantizedSpec::Search::PerBidder), ds, nullptr, 0.1, 17);
  EXPECT_LE(j, exact.search_objective + 1e-13);
}

// ---------------------------------------------------------------------------------------------
// Incentives: exact enumeration over the others' cells and every priority order, through the same
// quantized_sale the model runs.

struct TestView {
  const std::vector<QuantizedBidder>* bidders;
  std::vector<int> cells;
  std::vector<double> prio;
  int n() const { return static_cast<int>(cells.size()); }
  int report(int i) const { return cells[i]; }
  double value(int i, int c) const { return (*bidders)[i].value[c]; }
  double lower(int i, int c) const { return c == 0 ? (*bidders)[i].low : (*bidders)[i].thresholds[c - 1]; }
  double priority(int i) const { return prio[i]; }
};

/// Interim Q_i(r) and M_i(r) for every report r of bidder i (others truthful, uniform priorities).
void interim(const std::vector<QuantizedBidder>& q, double v0, int i, std::vector<double>& Q, std::vector<double>& M) {
  const int n = static_cast<int>(q.size());
  const int cells_i = static_cast<int>(q[i].value.size());
  Q.assign(cells_i, 0.0);
  M.assign(cells_i, 0.0);
  std::vector<int> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  std::vector<std::vector<int>> perms;
  do perms.push_back(perm);
  while (std::next_permutation(perm.begin(), perm.end()));
  TestView view{&q, std::vector<int>(n, 0), std::vector<double>(n, 0.0)};
  std::function<void(int, double)> rec = [&](int j, double prob) {
    if (j == n) {
      for (int r = 0; r < cells_i; ++r) {
        view.cells[i] = r;
        for (const auto& pm : perms) {
          for (int t = 0; t < n; ++t) view.prio[t] = pm[t];
          const QuantizedSale s = quantized_sale(view, v0);
          if (s.winner == i) {
            Q[r] += prob / perms.size();
            M[r] += prob * s.price / perms.size();
          }
        }
      }
      return;
    }
    if (j == i) return rec(j + 1, prob);
    for (size_t c = 0; c < q[j].value.size(); ++c) {
      if (!(q[j].prob[c] > 0)) continue;
      view.cells[j] = static_cast<int>(c);
      rec(j + 1, prob * q[j].prob[c]);
    }
  };
  rec(0, 1.0);
}

void check_incentives(const std::vector<QuantizedBidder>& q, double v0, double top_value) {
  double revenue = 0.0, sold = 0.0;
  for (size_t i = 0; i < q.size(); ++i) {
    std::vector<double> Q, M;
    interim(q, v0, static_cast<int>(i), Q, M);
    const QuantizedBidder& b = q[i];
    const int cells = static_cast<int>(b.value.size());
    double chain = b.low * Q[0];  // IC chain with IR binding at a_i
    for (int r = 0; r < cells; ++r) {
      if (r > 0) chain += b.thresholds[r - 1] * (Q[r] - Q[r - 1]);
      EXPECT_NEAR(M[r], chain, 1e-13) << "bidder " << i << " cell " << r;
      if (r > 0) {
        EXPECT_GE(Q[r], Q[r - 1] - 1e-15);
      }
      revenue += b.prob[r] * M[r];
      sold += b.prob[r] * Q[r];
    }
    // Utility is linear in v within a cell: IC at both ends of every cell, IR at its lower end.
    for (int j = 0; j < cells; ++j) {
      const double lo = j == 0 ? b.low : b.thresholds[j - 1];
      const double hi = j == cells - 1 ? top_value : b.thresholds[j];
      for (double v : {lo, hi}) {
        const double truthful = v * Q[j] - M[j];
        for (int r = 0; r < cells; ++r) {
          EXPECT_GE(truthful, v * Q[r] - M[r] - 1e-13) << i << " " << j << " " << r;
        }
      }
      EXPECT_GE(lo * Q[j] - M[j], -1e-13) << "IR bidder " << i << " cell " << j;
    }
  }
  // Revenue + v0 · P(unsold) = J.
  EXPECT_NEAR(revenue + v0 * (1 - sold), quantized_expected_utility_enumerated(q, v0), 1e-13);
}

TEST(QuantizedIncentives, TruthfulCellsAreICAndIR) {
  check_incentives({quantize_bidder(uniform(0, 1), nullptr, {0.5}), quantize_bidder(uniform(0, 1), nullptr, {0.5})}, 0.0, 1);
  check_incentives({quantize_bidder(uniform(2, 3), nullptr, {2.5}), quantize_bidder(uniform(0, 1), nullptr, {0.5})}, 1.6, 3);
  check_incentives({quantize_bidder(uniform(0, 1), nullptr, {0.3}), quantize_bidder(uniform(0.5, 2), nullptr, {1.0}),
                    quantize_bidder(power(2), nullptr, {0.5})},
                   0.2, 2);
  check_incentives({quantize_bidder(uniform(0, 1), nullptr, {0.25, 0.5, 0.75}),
                    quantize_bidder(uniform(0, 1), nullptr, {0.25, 0.5, 0.75}),
                    quantize_bidder(uniform(0, 2), nullptr, {0.5, 1.5})},
                   0.0, 2);
  // Ironed cells (the empirical example above) competing with a uniform bidder.
  static const std::vector<double> arena = {0, 1, 2, 3, 0, 0.5, 0.5, 1};
  Distribution e;
  e.kind = DistKind::Empirical;
  e.low = 0;
  e.high = 3;
  e.table = 0;
  e.table_n = 4;
  check_incentives({quantize_bidder(e, arena.data(), {0.9, 1.9}), quantize_bidder(uniform(0, 3), nullptr, {1.0, 2.0})},
                   -2.0, 3);
}

TEST(QuantizedIncentives, ExPostNoGainFromAnyReport) {
  // For every profile and priority order, no report beats the truthful cell and utility is >= 0.
  const Built b = build({group("a", 2, uniform(0, 1)), group("b", 1, uniform(0.5, 2))},
                        {quantized("q", fixed({{0.3, 0.7}, {0.4, 0.8}, {1.0, 1.5}}), 0.1)});
  const Model md = b.md.view();
  const std::vector<double> alternatives = {kNoBid, 0.0, 0.35, 0.5, 0.75, 0.9, 1.2, 1.7};
  for (std::uint64_t p = 0; p < 3000; ++p) {
    std::vector<double> v(3), rep(md.scratch_doubles());
    draw_values(md, p, v.data());
    compute_reports(md, 0, v.data(), rep.data());
    const Outcome truth = allocate(md, 0, p, rep.data());
    for (int i = 0; i < 3; ++i) {
      const double u = truth.winner == i ? v[i] - truth.price : 0.0;
      EXPECT_GE(u, 0.0);
      for (double alt : alternatives) {
        std::vector<double> dev = rep;
        dev[i] = alt;
        const Outcome o = allocate(md, 0, p, dev.data());
        const double ud = o.winner == i ? v[i] - o.price : 0.0;
        EXPECT_LE(ud, u + 1e-15) << "profile " << p << " bidder " << i << " report " << alt;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Scenario keys, output, determinism

TEST(QuantizedScenario, ParsesListsAndRules) {
  const Scenario sc = parse_scenario(R"(
[[bidders]]
name = "a"
count = 2
value = { dist = "uniform", low = 0, high = 1 }
[[bidders]]
name = "b"
value = { dist = "uniform", low = 1, high = 2 }
[[mechanisms]]
kind = "quantized"
thresholds = [0.5, 1.5]
seller_value = 0.25
[[mechanisms]]
kind = "quantized"
name = "per_bidder"
thresholds = [[0.2, 0.6], 0.4, [1.1, 1.2, 1.9]]
[[mechanisms]]
kind = "quantized"
name = "opt"
thresholds = "optimal"
threshold_search = "symmetric"
levels = 2
threshold_grid = 51
[[mechanisms]]
kind = "quantized"
name = "mc"
thresholds = "optimal"
threshold_eval = "monte_carlo"
threshold_samples = 4096
[[mechanisms]]
kind = "quantized"
name = "rnd"
thresholds = "random"
levels = 3
)");
  ASSERT_EQ(sc.mechanisms.size(), 5u);
  EXPECT_EQ(sc.mechanisms[0].quantized.mode, QuantizedSpec::Mode::Fixed);
  EXPECT_EQ(sc.mechanisms[0].quantized.thresholds, (std::vector<std::vector<double>>{{0.5}, {1.5}}));
  EXPECT_EQ(sc.mechanisms[0].seller_value, 0.25);
  EXPECT_EQ(sc.mechanisms[1].quantized.thresholds, (std::vector<std::vector<double>>{{0.2, 0.6}, {0.4}, {1.1, 1.2, 1.9}}));
  EXPECT_EQ(sc.mechanisms[2].quantized.mode, QuantizedSpec::Mode::Optimal);
  EXPECT_EQ(sc.mechanisms[2].quantized.search, QuantizedSpec::Search::Symmetric);
  EXPECT_EQ(sc.mechanisms[2].quantized.levels, 2);
  EXPECT_EQ(sc.mechanisms[2].quantized.grid, 51);
  EXPECT_EQ(sc.mechanisms[3].quantized.eval, QuantizedSpec::Eval::MonteCarlo);
  EXPECT_EQ(sc.mechanisms[3].quantized.eval_samples, 4096u);
  EXPECT_EQ(sc.mechanisms[4].quantized.mode, QuantizedSpec::Mode::Random);
  EXPECT_EQ(sc.mechanisms[4].quantized.levels, 3);
  // Per-group list expands to bidders: group a's two bidders share 0.5.
  const ModelData md = build_model(sc);
  ASSERT_EQ(md.quantized[0]->bidders.size(), 3u);
  EXPECT_EQ(md.quantized[0]->bidders[1].thresholds[0], 0.5);
  EXPECT_EQ(md.quantized[0]->bidders[2].thresholds[0], 1.5);
}

void expect_error(const std::string& mech_lines, const std::string& path, const std::string& fragment) {
  const std::string text = R"(
[[bidders]]
count = 2
value = { dist = "uniform", low = 0, high = 1 }
[[bidders]]
value = { dist = "exponential", rate = 1 }
[[mechanisms]]
kind = "quantized"
)" + mech_lines;
  try {
    parse_scenario(text);
    ADD_FAILURE() << "no error for " << mech_lines;
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.path(), path) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(QuantizedScenario, RejectsBadInputWithKeyPath) {
  expect_error("", "mechanisms[0].thresholds", "is required");
  expect_error("thresholds = [0.5, 0.5, 0.5, 0.5]", "mechanisms[0].thresholds",
               "has 4 entries; expected one per bidder (3) or one per bidder group (2)");
  expect_error("thresholds = [0.5, 1.5, 1.0]", "mechanisms[0].thresholds[1]", "outside the support");
  expect_error("thresholds = [[0.6, 0.4], 1.0]", "mechanisms[0].thresholds[0][1]", "ascending");
  expect_error("thresholds = [[], 1.0]", "mechanisms[0].thresholds[0]", "needs 1..15 thresholds");
  expect_error("thresholds = [\"x\", 1.0]", "mechanisms[0].thresholds[0]", "expected a threshold");
  expect_error("thresholds = \"best\"", "mechanisms[0].thresholds", "unknown threshold rule");
  expect_error("thresholds = \"random\"", "mechanisms[0].thresholds", "bounded");
  expect_error("thresholds = [0.5, 1.0]\nlevels = 2", "mechanisms[0].levels", "a list gives");
  expect_error("thresholds = \"optimal\"\nlevels = 16", "mechanisms[0].levels", "1..15");
  expect_error("thresholds = \"random\"\nthreshold_search = \"symmetric\"", "mechanisms[0].threshold_search",
               "\"optimal\" only");
  expect_error("thresholds = \"optimal\"\nthreshold_search = \"greedy\"", "mechanisms[0].threshold_search", "unknown search");
  expect_error("thresholds = \"optimal\"\nthreshold_samples = 100", "mechanisms[0].threshold_samples", "monte_carlo");
  expect_error("thresholds = \"optimal\"\nthreshold_grid = 2", "mechanisms[0].threshold_grid", "3..100000");
  expect_error("thresholds = [0.5, 1.0]\nreserve = 0.3", "mechanisms[0].reserve", "does not apply to quantized");
  expect_error("thresholds = [0.5, 1.0]\nthreshold = 0.3", "mechanisms[0].threshold", "unknown key");
}

TEST(QuantizedOutput, JsonReportsThresholdsAndExactUtility) {
  Scenario sc;
  sc.samples = 20000;
  sc.groups = {group("u", 2, uniform(0, 1))};
  sc.mechanisms = {quantized("opt", optimal(QuantizedSpec::Search::PerBidder)), quantized("half", fixed({{0.5}})),
                   quantized("rnd", [] {
                     QuantizedSpec s;
                     s.mode = QuantizedSpec::Mode::Random;
                     return s;
                   }())};
  const RunResult r = run_cpu_backend(sc);
  const auto j = nlohmann::json::parse(format_json(sc, r));
  const auto& opt = j["mechanisms"][0];
  EXPECT_EQ(opt["kind"], "quantized");
  ASSERT_EQ(opt["thresholds"].size(), 2u);
  std::vector<double> thr = {opt["thresholds"][0].get<double>(), opt["thresholds"][1].get<double>()};
  std::sort(thr.begin(), thr.end());
  EXPECT_NEAR(thr[0], 0.5, 1e-7);  // sequential posted prices 5/8 then 1/2
  EXPECT_NEAR(thr[1], 0.625, 1e-7);
  EXPECT_NEAR(opt["exact_seller_utility"].get<double>(), 25.0 / 64.0, 1e-12);
  EXPECT_EQ(opt["threshold_mode"], "optimal");
  EXPECT_EQ(opt["threshold_search"], "per_bidder");
  EXPECT_EQ(j["mechanisms"][1]["thresholds"], nlohmann::json::parse("[0.5, 0.5]"));
  EXPECT_EQ(j["mechanisms"][1]["exact_seller_utility"].get<double>(), 0.375);
  EXPECT_EQ(j["mechanisms"][1]["cell_values"], nlohmann::json::parse("[[-0.5, 0.5], [-0.5, 0.5]]"));
  EXPECT_EQ(j["mechanisms"][2]["thresholds"], "random");
  EXPECT_TRUE(j["mechanisms"][2]["exact_seller_utility"].is_null());
  const std::string table = format_table(sc, r);
  EXPECT_NE(table.find("quantized bids: seller utility"), std::string::npos);
  const std::string csv = format_csv(sc, r);
  EXPECT_NE(csv.find("half,quantized,exact_seller_utility,,0.375,0,0.375,0.375"), std::string::npos);
  EXPECT_NE(csv.find("half,quantized,threshold,bidder1,0.5,0,0.5,0.5"), std::string::npos);
}

TEST(QuantizedDeterminism, SameResultForAnyThreadCount) {
  Scenario sc;
  sc.samples = 70000;
  sc.seed = 4;
  sc.groups = {group("u", 3, uniform(0, 1)), group("w", 1, uniform(0, 2))};
  QuantizedSpec rnd;
  rnd.mode = QuantizedSpec::Mode::Random;
  rnd.levels = 2;
  sc.mechanisms = {quantized("rnd", rnd, 0.1), quantized("fix", fixed({{0.5}, {0.3, 1.2}}))};
  RunOptions o1, o2;
  o1.backend = o2.backend = Backend::Cpu;
  o1.threads = 1;
  o2.threads = 2;
  o2.chunk_profiles = 1u << 10;
  EXPECT_EQ(run(sc, o1).partial, run(sc, o2).partial);
}

}  // namespace
}  // namespace mcrev
