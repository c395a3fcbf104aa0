// variance_reduction (docs/variance_reduction.md): the Sobol points against Boost.Random, the nested
// property of the Owen scramble, determinism over threads and chunks, closed forms within 5 SE, measured
// variance ratios, the coverage of 95 % intervals over seeds 1..200 on three closed-form cases, and the
// refusals.
#include "mcrev/engine.hpp"
#include "mcrev/core/error.hpp"
#include "vr/variance_reduction.hpp"
#include "scenario/scenario.hpp"

#include "test_util.hpp"

#include <boost/random/sobol.hpp>

#include <cmath>
#include <cstring>
#include <functional>

using namespace mcrev;
using namespace mcrev::test;

namespace {

constexpr VrMethod kMethods[] = {VrMethod::None, VrMethod::Antithetic, VrMethod::ControlVariate, VrMethod::Rqmc};

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

RunResult run_with(Scenario sc, VrMethod m, int threads = 1, std::uint64_t chunk = 1u << 16) {
  sc.variance_reduction = m;
  RunOptions o;
  o.backend = Backend::Cpu;
  o.threads = threads;
  o.chunk_profiles = chunk;
  return run(sc, o);
}

// The three closed-form cases of the coverage test (truths derived in docs/variance_reduction.md):
//  A: second price, 5 iid U[0,1]: revenue = E[V(2:5)] = (n − 1)/(n + 1) = 2/3;
//  B: second price with reserve 1/2, 2 iid U[0,1]: revenue = 2n/(n+1) − 1 − 2n r^{n+1}/(n+1) + r^n = 5/12;
//  C: second price, 3 iid exponential(1): revenue = E[V(2:3)] = 1/3 + 1/2 = 5/6.
struct Case {
  const char* name;
  Scenario sc;
  double truth;
};

std::vector<Case> coverage_cases(std::uint64_t samples) {
  std::vector<Case> cs;
  Scenario a = iid(5, uniform(0, 1), samples);
  a.mechanisms.push_back(mech(MechKind::SecondPrice));
  cs.push_back({"second price n=5 U[0,1]", a, 2.0 / 3.0});
  Scenario b = iid(2, uniform(0, 1), samples);
  b.mechanisms.push_back(mech(MechKind::SecondPrice, "", 0.5));
  cs.push_back({"second price n=2 U[0,1] reserve 1/2", b, 5.0 / 12.0});
  Scenario c = iid(3, exponential(1.0), samples);
  c.mechanisms.push_back(mech(MechKind::SecondPrice));
  cs.push_back({"second price n=3 exponential(1)", c, 5.0 / 6.0});
  return cs;
}

// Covered seeds among [first, last] for one case and method: 95 % interval of revenue contains the truth.
int covered(const Case& c, VrMethod m, std::uint64_t first, std::uint64_t last) {
  int hits = 0;
  for (std::uint64_t seed = first; seed <= last; ++seed) {
    Scenario sc = c.sc;
    sc.seed = seed;
    const Estimate e = run_with(sc, m).mechanisms[0].revenue;
    hits += (e.ci_low <= c.truth && c.truth <= e.ci_high) ? 1 : 0;
  }
  return hits;
}

}  // namespace

TEST(Sobol, BinaryOrderPointsEqualBoostSobolEngineInGrayCodeOrder) {
  // Boost's sobol_engine emits, as its i-th point (i = 0, 1, ...), the Gray-code point i + 1: the XOR
  // of the direction numbers of the bits of gray(i + 1) = (i + 1) ^ ((i + 1) >> 1) (it skips point 0).
  const int dims = 7;
  ModelData md;
  md.n_values = dims;
  Scenario sc = iid(dims, uniform(0, 1), 64);
  sc.variance_reduction = VrMethod::Rqmc;
  prepare_variance_reduction(sc, md);
  boost::random::sobol_engine<std::uint32_t, 32> engine(dims);
  for (std::uint32_t i = 0; i < 4096; ++i) {
    const std::uint32_t gray = (i + 1) ^ ((i + 1) >> 1);
    for (int d = 0; d < dims; ++d)
      ASSERT_EQ(sobol_coordinate(md.arena.data() + md.vr.sobol_directions + d * kSobolBits, gray), engine())
          << "point " << i << " dimension " << d;
  }
}

TEST(Sobol, OwenScrambleIsANestedBijection) {
  // Nested: two words sharing their top k bits keep sharing exactly k top bits (bit k differs after
  // as before), so the scramble permutes every dyadic interval's children.
  std::uint64_t x = 12345;
  for (int t = 0; t < 20000; ++t) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const std::uint32_t a = static_cast<std::uint32_t>(x >> 32), seed = static_cast<std::uint32_t>(x);
    const int k = static_cast<int>((x >> 20) % 31);
    const std::uint32_t b = (a & ~((1u << (31 - k)) - 1u)) ^ (1u << (31 - k)) ^ (static_cast<std::uint32_t>(x >> 7) & ((1u << (31 - k)) - 1u));
    const std::uint32_t sa = owen_scramble(a, seed), sb = owen_scramble(b, seed);
    const std::uint32_t top = k == 0 ? 0u : ~((1u << (32 - k)) - 1u);
    ASSERT_EQ(sa & top, sb & top) << "k = " << k;
    ASSERT_NE((sa ^ sb) & (1u << (31 - k)), 0u) << "k = " << k;
  }
  // A bijection on 16-bit words' top bits: 2^16 inputs differing in their top 16 bits stay distinct.
  std::vector<bool> seen(1 << 16);
  for (std::uint32_t i = 0; i < (1u << 16); ++i) {
    const std::uint32_t s = owen_scramble(i << 16, 0xdeadbeefu) >> 16;
    ASSERT_FALSE(seen[s]);
    seen[s] = true;
  }
}

TEST(VarianceReduction, BitwiseIdenticalForAnyThreadCountAndChunkSize) {
  Scenario sc = default_scenario();
  sc.samples = 3 * 65536 + 4096;  // rqmc: 16 replicates of 12544 points; a partial last chunk
  sc.seed = 11;
  for (VrMethod m : kMethods) {
    const RunResult a = run_with(sc, m, 1, 1u << 16);
    const RunResult b = run_with(sc, m, 2, 256);
    const RunResult c = run_with(sc, m, 2, 1u << 12);
    EXPECT_TRUE(same_bits(a.partial, b.partial)) << variance_reduction_name(m);
    EXPECT_TRUE(same_bits(a.partial, c.partial)) << variance_reduction_name(m);
    for (size_t k = 0; k < a.mechanisms.size(); ++k) {
      EXPECT_EQ(std::memcmp(&a.mechanisms[k].revenue, &b.mechanisms[k].revenue, sizeof(Estimate)), 0);
      EXPECT_EQ(std::memcmp(&a.mechanisms[k].welfare, &c.mechanisms[k].welfare, sizeof(Estimate)), 0);
    }
  }
}

TEST(VarianceReduction, AntitheticFirstMembersAreThePlainRunsProfiles) {
  // Pair j's first profile is plain Monte Carlo's profile j: the antithetic run's tracked "first
  // member" moments equal a plain run over samples / 2 profiles.
  Scenario sc = iid(5, uniform(0, 1), 8192);
  sc.mechanisms.push_back(mech(MechKind::SecondPrice));
  const RunResult anti = run_with(sc, VrMethod::Antithetic);
  sc.samples = 4096;
  const RunResult plain = run_with(sc, VrMethod::None);
  const int B = metric::outcome_metrics(1, true), K = B + kVrTracked;
  EXPECT_EQ(anti.partial[0], 4096.0);
  EXPECT_DOUBLE_EQ(anti.partial[1 + B], plain.partial[1 + metric::kRevenue]);           // mean of Y_a
  EXPECT_DOUBLE_EQ(anti.partial[1 + K + B], plain.partial[1 + B + metric::kRevenue]);   // its M2
}

TEST(VarianceReduction, ClosedFormsWithinFiveStandardErrors) {
  // Second price and first price at the BNE with 5 iid U[0,1]: revenue (n − 1)/(n + 1) = 2/3, welfare
  // n/(n + 1) = 5/6; posted price 1/2: revenue (1/2)(1 − 2^−5) = 31/64, welfare E[V·1{V ≥ 1/2}] of the
  // first bidder with a value ≥ 1/2 ... (checked for revenue only); exponential(1), n = 3: 5/6.
  for (VrMethod m : kMethods) {
    Scenario sc = iid(5, uniform(0, 1), 1u << 18, 3);
    sc.mechanisms.push_back(mech(MechKind::SecondPrice));
    sc.mechanisms.push_back(mech(MechKind::FirstPrice, "fp", 0.0, StrategySpec::Bne));
    sc.mechanisms.push_back(mech(MechKind::PostedPrice, "pp", 0.0, StrategySpec::Truthful, 0.5));
    const RunResult r = run_with(sc, m, 2);
    const char* name = variance_reduction_name(m);
    EXPECT_TRUE(WithinSE(r.mechanisms[0].revenue, 2.0 / 3.0)) << name;
    EXPECT_TRUE(WithinSE(r.mechanisms[0].welfare, 5.0 / 6.0) || m == VrMethod::ControlVariate) << name;
    if (m == VrMethod::ControlVariate) {
      // welfare = max and first-price revenue = (n − 1)/n · max are exact linear functions of the
      // max_of_values control: the regression estimator returns the truth up to rounding.
      EXPECT_NEAR(r.mechanisms[0].welfare.mean, 5.0 / 6.0, 1e-12);
      EXPECT_NEAR(r.mechanisms[1].revenue.mean, 2.0 / 3.0, 1e-12);
    } else {
      EXPECT_TRUE(WithinSE(r.mechanisms[1].revenue, 2.0 / 3.0)) << name;
    }
    if (m == VrMethod::Rqmc) {  // the box [0, 1/2)^5 is an elementary interval of the net: exact
      EXPECT_NEAR(r.mechanisms[2].revenue.mean, 31.0 / 64.0, 1e-12);
    } else {
      EXPECT_TRUE(WithinSE(r.mechanisms[2].revenue, 31.0 / 64.0)) << name;
    }
    Scenario e = iid(3, exponential(1.0), 1u << 18, 5);
    e.mechanisms.push_back(mech(MechKind::SecondPrice));
    EXPECT_TRUE(WithinSE(run_with(e, m, 2).mechanisms[0].revenue, 5.0 / 6.0)) << name;
  }
}

TEST(VarianceReduction, MeasuredVarianceRatiosOnSecondPriceRevenue) {
  // Second price revenue with 5 iid U[0,1] is a smooth monotone function of the uniforms: antithetic
  // pairs are negatively correlated, the controls correlate, and scrambled Sobol points integrate it
  // better than random points. The measured ratio must exceed 1 by more than its estimation error.
  Scenario sc = iid(5, uniform(0, 1), 1u << 20, 9);
  sc.mechanisms.push_back(mech(MechKind::SecondPrice));
  for (VrMethod m : {VrMethod::Antithetic, VrMethod::ControlVariate, VrMethod::Rqmc}) {
    const RunResult r = run_with(sc, m, 2);
    ASSERT_EQ(r.mechanisms[0].variance_reduction.size(), 2u);
    const VrMetricResult& v = r.mechanisms[0].variance_reduction[0];
    EXPECT_EQ(v.metric, "revenue");
    // plain variance of the second highest of 5 uniforms: Var = a b / ((a+b)^2 (a+b+1)) with a = 4, b = 2
    EXPECT_NEAR(v.plain_variance, 8.0 / (36.0 * 7.0), 0.01 * 8.0 / (36.0 * 7.0)) << variance_reduction_name(m);
    EXPECT_GT(v.ratio, 1.2) << variance_reduction_name(m);
    if (m == VrMethod::Rqmc) {
      EXPECT_GT(v.ratio_low, 1.0);
    }
  }
}

TEST(VarianceReduction, CoverageOf95PercentIntervalsOver200Seeds) {
  // For each method and case: seeds 1..200, 4096 profiles each (rqmc: 16 replicates of 256 points).
  // The share of 95 % intervals holding the truth must lie in [93 %, 97 %]. A correct method falls
  // outside by chance about one time in five per (method, case) (binomial SE 1.5 pp), so when it
  // does the test pools seeds 1..1000 and requires [93.5 %, 96.5 %] there (±2.2 binomial SE), and
  // prints the 200-seed figure. Both figures are printed for the record.
  for (const Case& c : coverage_cases(4096))
    for (VrMethod m : kMethods) {
      const int hits = covered(c, m, 1, 200);
      const double share = hits / 200.0;
      std::printf("coverage %-16s %-40s seeds 1..200: %.1f %%\n", variance_reduction_name(m), c.name, 100 * share);
      if (share >= 0.93 && share <= 0.97) continue;
      const int more = hits + covered(c, m, 201, 1000);
      const double pooled = more / 1000.0;
      std::printf("coverage %-16s %-40s seeds 1..1000: %.1f %%\n", variance_reduction_name(m), c.name, 100 * pooled);
      EXPECT_TRUE(pooled >= 0.935 && pooled <= 0.965)
          << variance_reduction_name(m) << ", " << c.name << ": " << 100 * share << " % over seeds 1..200, "
          << 100 * pooled << " % over seeds 1..1000";
    }
}

TEST(VarianceReduction, RefusesWhatItCannotRun) {
  auto expect_refused = [](Scenario sc, const std::string& key) {
    try {
      run_with(sc, sc.variance_reduction);
      ADD_FAILURE() << "accepted, expected a ScenarioError on " << key;
    } catch (const ScenarioError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  };
  Scenario sc = iid(3, uniform(0, 1), 1001);
  sc.mechanisms.push_back(mech(MechKind::SecondPrice));
  sc.variance_reduction = VrMethod::Antithetic;
  expect_refused(sc, "samples");  // odd
  sc.variance_reduction = VrMethod::Rqmc;
  expect_refused(sc, "samples");  // not a multiple of 16
  sc.samples = 1024;
  sc.rqmc_replicates = 1;
  expect_refused(sc, "rqmc_replicates");
  sc.rqmc_replicates = 16;
  sc.correlation.kind = CorrelationKind::GaussianCopula;
  sc.correlation.rho = 0.3;
  expect_refused(sc, "correlation");
  sc.correlation = CorrelationSpec{};
  sc.mechanisms[0].incentives.enabled = true;
  expect_refused(sc, "mechanisms[0].incentives");
  Scenario g = iid(3, uniform(0, 1), 1024);
  g.groups[0].value.dist.kind = DistKind::Gamma;  // no closed-form mean used: no control
  g.mechanisms.push_back(mech(MechKind::SecondPrice));
  g.variance_reduction = VrMethod::ControlVariate;
  EXPECT_THROW(check_variance_reduction(g), ScenarioError);
  EXPECT_THROW(parse_variance_reduction("sobol", "variance_reduction"), ScenarioError);
  EXPECT_THROW(parse_scenario("variance_reduction = \"quasi\"\n[[bidders]]\ncount = 2\nvalue = { dist = \"uniform\", low = 0, high = 1 }\n[[mechanisms]]\nkind = \"second_price\"\n"),
               ScenarioError);
}

TEST(VarianceReduction, ScenarioKeys) {
  const Scenario sc = parse_scenario(
      "variance_reduction = \"rqmc\"\nrqmc_replicates = 8\n[[bidders]]\ncount = 2\nvalue = { dist = \"uniform\", low = 0, high = 1 }\n"
      "[[mechanisms]]\nkind = \"second_price\"\n");
  EXPECT_EQ(sc.variance_reduction, VrMethod::Rqmc);
  EXPECT_EQ(sc.rqmc_replicates, 8);
  const std::vector<VrControlSpec> cs = vr_controls(iid(4, uniform(1, 3), 8));
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_DOUBLE_EQ(cs[0].mean, 1 + 2 * 4.0 / 5.0);  // E[max of 4 U[1,3]]
  EXPECT_DOUBLE_EQ(cs[1].mean, 4 * 2.0);            // 4 E[U[1,3]]
  const std::vector<VrControlSpec> ce = vr_controls(iid(3, exponential(2.0, 1.0), 8));
  ASSERT_EQ(ce.size(), 2u);
  EXPECT_DOUBLE_EQ(ce[0].mean, 1 + (1 + 0.5 + 1.0 / 3.0) / 2.0);  // shift + H_3 / rate
  EXPECT_DOUBLE_EQ(ce[1].mean, 3 * 1.5);
}
