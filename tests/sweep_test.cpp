// Parameter sweeps and precision targets (include/mcrev/sweep.hpp, docs/sweeps.md).
#include "mcrev/sweep.hpp"
#include "mcrev/core/error.hpp"
#include "scenario/scenario.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace mcrev {
namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

SweepInput input(const std::string& text) {
  SweepInput in;
  in.text = text;
  in.source_name = "test.toml";
  return in;
}

RunOptions cpu(int threads, std::uint64_t chunk = 1u << 16) {
  RunOptions o;
  o.backend = Backend::Cpu;
  o.threads = threads;
  o.chunk_profiles = chunk;
  return o;
}

/// n iid U[0,1] bidders; second price (reserve 0) and second price with reserve `reserve`.
std::string second_price_text(int n, double reserve, std::uint64_t samples, std::uint64_t seed = 5) {
  char r[64];
  std::snprintf(r, sizeof r, "%.17g", reserve);
  return "samples = " + std::to_string(samples) + "\nseed = " + std::to_string(seed) +
         "\nbackend = \"cpu\"\n[[bidders]]\ncount = " + std::to_string(n) +
         "\nvalue = { dist = \"uniform\", low = 0.0, high = 1.0 }\n"
         "[[mechanisms]]\nkind = \"second_price\"\nname = \"spa\"\n"
         "[[mechanisms]]\nkind = \"second_price\"\nname = \"spa_reserve\"\nreserve = " +
         std::string(r) + "\n";
}

/// Second price with reserve r, n iid U[0,1]: R(r) = E[ψ(V(1)) 1{V(1) ≥ r}] with ψ(v) = 2v − 1 and
/// V(1) of density n v^{n−1}: ∫_r^1 (2v − 1) n v^{n−1} dv = (n−1)/(n+1) + r^n − 2n/(n+1) r^{n+1}.
double second_price_revenue(int n, double r) {
  return (n - 1.0) / (n + 1.0) + std::pow(r, n) - 2.0 * n / (n + 1.0) * std::pow(r, n + 1);
}

const Estimate& revenue_row(const SweepResult& r, std::size_t point, const std::string& mech, Estimate* out) {
  for (const SweepRow& row : r.rows)
    if (row.point == point && row.mechanism == mech && row.metric == "revenue") {
      *out = {row.mean, row.stderr_, row.ci_low, row.ci_high};
      return *out;
    }
  ADD_FAILURE() << "no revenue row for point " << point << " " << mech;
  return *out;
}

TEST(SweepParse, RangeIncludesBothEndsExactly) {
  const SweepSet s = parse_set("mechanisms[1].reserve=0:1:41");
  EXPECT_EQ(s.key, "mechanisms[1].reserve");
  ASSERT_EQ(s.values.size(), 41u);
  for (int i = 0; i < 41; ++i) {
    EXPECT_EQ(s.values[i].kind, SweepValue::Float);
    EXPECT_EQ(s.values[i].number, i / 40.0) << i;  // one correctly rounded division
  }
  EXPECT_EQ(s.values.front().number, 0.0);
  EXPECT_EQ(s.values.back().number, 1.0);
  const SweepSet t = parse_set("x=0.1:0.7:4");
  EXPECT_EQ(t.values.front().number, 0.1);
  EXPECT_EQ(t.values.back().number, 0.7);
  EXPECT_EQ(t.values[1].number, (0.1 * 2 + 0.7) / 3);
  const SweepSet d = parse_set("x=1:0:3");  // descending
  EXPECT_EQ(d.values[0].number, 1.0);
  EXPECT_EQ(d.values[1].number, 0.5);
  EXPECT_EQ(d.values[2].number, 0.0);
}

TEST(SweepParse, IntegerRangesAndSinglePoint) {
  const SweepSet s = parse_set("bidders[0].count=2:10:5");
  ASSERT_EQ(s.values.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(s.values[i].kind, SweepValue::Integer);
    EXPECT_EQ(s.values[i].integer, 2 + 2 * i);
  }
  const SweepSet h = parse_set("bidders[0].count=2:5:3");  // 3.5 is not whole: floats, the parser refuses them
  EXPECT_EQ(h.values[1].kind, SweepValue::Float);
  EXPECT_EQ(h.values[1].number, 3.5);
  const SweepSet one = parse_set("x=0.25:0.25:1");
  ASSERT_EQ(one.values.size(), 1u);
  EXPECT_EQ(one.values[0].number, 0.25);
}

TEST(SweepParse, CommaListsTypedAsGiven) {
  const SweepSet a = parse_set("bidders[0].count=2,3,5,10");
  ASSERT_EQ(a.values.size(), 4u);
  EXPECT_EQ(a.values[3].kind, SweepValue::Integer);
  EXPECT_EQ(a.values[3].integer, 10);
  const SweepSet b = parse_set("market.supply = 0.5, 1e-3 ,2");
  EXPECT_EQ(b.key, "market.supply");
  EXPECT_EQ(b.values[0].kind, SweepValue::Float);
  EXPECT_EQ(b.values[1].number, 1e-3);
  EXPECT_EQ(b.values[2].kind, SweepValue::Integer);
  const SweepSet c = parse_set("mechanisms[0].kind=first_price,\"all_pay\",true");
  EXPECT_EQ(c.values[0].kind, SweepValue::String);
  EXPECT_EQ(c.values[0].string, "first_price");
  EXPECT_EQ(c.values[1].string, "all_pay");
  EXPECT_EQ(c.values[2].kind, SweepValue::Boolean);
  EXPECT_EQ(parse_set("x=0.1").values[0].text(), "0.1");
  EXPECT_EQ(parse_set("x=1:2:3").values[1].text(), "1.5");
}

TEST(SweepParse, ErrorsNameTheSetAndTheProblem) {
  auto err = [](const std::string& spec) { return message_of([&] { parse_set(spec); }); };
  EXPECT_NE(err("x=0:1:1").find("COUNT = 1 needs LOW == HIGH"), std::string::npos);
  EXPECT_NE(err("x=0:1:0").find("COUNT '0' must be a whole number >= 1"), std::string::npos);
  EXPECT_NE(err("x=0:1:2.5").find("COUNT '2.5'"), std::string::npos);
  EXPECT_NE(err("x=a:1:3").find("LOW 'a' is not a finite number"), std::string::npos);
  EXPECT_NE(err("x=0:inf:3").find("HIGH 'inf'"), std::string::npos);
  EXPECT_NE(err("x=nan").find("not a finite number"), std::string::npos);
  EXPECT_NE(err("reserve").find("expected KEY=VALUES"), std::string::npos);
  EXPECT_NE(err("x=").find("no values"), std::string::npos);
  EXPECT_NE(err("x=1,,2").find("item 2 of the list is empty"), std::string::npos);
  EXPECT_NE(err("x=1,0:1:3").find("a range cannot be part of a list"), std::string::npos);
  EXPECT_NE(err("=1,2").find("malformed key path"), std::string::npos);
  EXPECT_NE(err("a..b=1").find("malformed key path"), std::string::npos);
  EXPECT_NE(err("a[x]=1").find("expected an index"), std::string::npos);
  EXPECT_NE(err("a[1=1").find("'[' without ']'"), std::string::npos);
  EXPECT_EQ(err("a[1=1").rfind("--set a[1=1", 0), 0u);  // the message starts with the --set
}

TEST(SweepPoints, UnknownPathsAndIndicesOutOfRange) {
  const SweepInput in = input(second_price_text(2, 0.5, 1000));
  auto err = [&](const std::string& spec) { return message_of([&] { point_text(in, {parse_set(spec)}, {0}); }); };
  EXPECT_NE(err("mechanisms[7].reserve=1").find("index out of range: 'mechanisms' has 2 entries (indices 0 to 1)"),
            std::string::npos);
  EXPECT_NE(err("mechanisms[7].reserve=1").find("--set mechanisms[7].reserve=1"), std::string::npos);
  EXPECT_NE(err("market.supply=1").find("unknown key path: 'market' is not in the scenario"), std::string::npos);
  EXPECT_NE(err("samples.x=1").find("'samples' is an integer, not a table"), std::string::npos);
  EXPECT_NE(err("seed[0]=1").find("not an array"), std::string::npos);
  EXPECT_NE(err("sweep.set=1").find("cannot be swept"), std::string::npos);
  // A new last key is handed to the scenario parser, whose message names the key path.
  SweepOptions opt;
  opt.run = cpu(1);
  const std::string bad = message_of([&] { run_sweep(in, {parse_set("mechanisms[1].reserv=0,1")}, opt); });
  EXPECT_NE(bad.find("sweep point 0 (mechanisms[1].reserv = 0): mechanisms[1].reserv: unknown key"), std::string::npos) << bad;
  const std::string half = message_of([&] { run_sweep(in, {parse_set("bidders[0].count=2,2.5")}, opt); });
  EXPECT_NE(half.find("sweep point 1 (bidders[0].count = 2.5): bidders[0].count: must be a whole number, got 2.5"),
            std::string::npos)
      << half;
}

TEST(SweepPoints, TextRoundTripsEveryValue) {
  const SweepInput in = input(second_price_text(3, 0.5, 1000));
  const SweepSet s = parse_set("mechanisms[1].reserve=0:1:7");  // sevenths: no short decimal
  for (std::size_t i = 0; i < s.values.size(); ++i) {
    const Scenario sc = parse_scenario(point_text(in, {s}, {i}));
    EXPECT_EQ(sc.mechanisms[1].reserve, s.values[i].number);
    EXPECT_EQ(sc.mechanisms[0].reserve, 0.0);
    EXPECT_EQ(sc.samples, 1000u);
  }
  // No set: the scenario reads back unchanged (and a [sweep] table is dropped).
  const SweepInput with_table = input(second_price_text(3, 0.5, 1000) + "[sweep]\nset = [\"mechanisms[1].reserve=0,1\"]\n");
  const std::vector<SweepSet> file_sets = scenario_sweep_sets(with_table);
  ASSERT_EQ(file_sets.size(), 1u);
  EXPECT_EQ(file_sets[0].values.size(), 2u);
  const Scenario back = parse_scenario(point_text(with_table, {}, {}));
  EXPECT_EQ(back.mechanisms[1].reserve, 0.5);
  // The command line overrides the file's set of the same key and adds others after it.
  const auto both = combine_sets(file_sets, {parse_set("bidders[0].count=2,3"), parse_set("mechanisms[1].reserve=0.25")});
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].key, "mechanisms[1].reserve");
  EXPECT_EQ(both[0].values.size(), 1u);
  EXPECT_EQ(both[1].key, "bidders[0].count");
  EXPECT_NE(message_of([&] { combine_sets({}, {parse_set("x=1"), parse_set("x=2")}); }).find("already swept"),
            std::string::npos);
  // Several key paths before '=' take the same value (one dimension of the sweep).
  const SweepSet linked = parse_set("mechanisms[0].reserve, mechanisms[1].reserve=0.125,0.375");
  EXPECT_EQ(linked.paths, (std::vector<std::string>{"mechanisms[0].reserve", "mechanisms[1].reserve"}));
  const Scenario l1 = parse_scenario(point_text(in, {linked}, {1}));
  EXPECT_EQ(l1.mechanisms[0].reserve, 0.375);
  EXPECT_EQ(l1.mechanisms[1].reserve, 0.375);
  EXPECT_NE(message_of([&] { combine_sets({}, {linked, parse_set("mechanisms[1].reserve=0")}); }).find("already swept"),
            std::string::npos);
  EXPECT_NE(message_of([&] { parse_set("a,a=1"); }).find("listed twice"), std::string::npos);
  EXPECT_NE(message_of([&] { scenario_sweep_sets(input("[sweep]\nsets = []\n")); }).find("sweep.sets: unknown key"),
            std::string::npos);
  EXPECT_NE(message_of([&] { scenario_sweep_sets(input("[sweep]\nset = [\"x=0:1:1\"]\n")); }).find("sweep.set[0] x=0:1:1"),
            std::string::npos);
}

// Each point is bitwise the stand-alone run of the modified scenario, for 1 and 2 threads and two
// chunk sizes; the first --set varies slowest.
TEST(Sweep, PointEqualsStandaloneRunBitwise) {
  const SweepInput in = input(second_price_text(2, 0.5, 20000));
  const std::vector<SweepSet> sets = {parse_set("bidders[0].count=2,3"), parse_set("mechanisms[1].reserve=0:0.5:3")};
  SweepOptions opt;
  opt.run = cpu(2, 1024);
  const SweepResult a = run_sweep(in, sets, opt);
  ASSERT_EQ(a.points.size(), 6u);
  EXPECT_EQ(a.rows.size(), 6u * 2u * tidy_metrics(Scenario(), MechanismResult()).size() + 6u * 2u * 3u);
  opt.run = cpu(1, 4096);
  const SweepResult b = run_sweep(in, sets, opt);
  for (std::size_t p = 0; p < 6; ++p) {
    const int n = p < 3 ? 2 : 3;
    const double r = (p % 3) * 0.25;
    EXPECT_EQ(a.points[p].index[0], p / 3);
    const RunResult alone = run(parse_scenario(second_price_text(n, r, 20000)), cpu(1));
    EXPECT_EQ(a.points[p].result.partial, alone.partial) << "point " << p;
    EXPECT_EQ(b.points[p].result.partial, alone.partial) << "point " << p;
  }
  EXPECT_EQ(a.rows[0].values, (std::vector<std::string>{"2", "0"}));
}

// Common random numbers: adjacent reserves see the same profiles, so the difference of their
// estimates is far more precise than either estimate. Under CRN the per-profile revenue difference D
// of reserves 0.300 and 0.301 (n = 2) is nonzero only when V(2) < 0.301 ≤ … and has
// E[D²] ≈ 2·0.3·0.001·0.3² ≈ 5.4e-5 (sd ≈ 0.0073) against the revenue's sd ≈ 0.2: the difference's
// standard error is ≈ 0.04 of either point's. Assert the estimated difference is within 0.2 SE_point
// (≈ 5 of its own SE) of the exact R(0.301) − R(0.300); independent streams would miss this by ~1.4 SE_point.
TEST(Sweep, CommonRandomNumbersMakeAdjacentPointsPrecise) {
  const SweepInput in = input(second_price_text(2, 0.3, 200000));
  SweepOptions opt;
  opt.run = cpu(2);
  const SweepResult r = run_sweep(in, {parse_set("mechanisms[1].reserve=0.3,0.301")}, opt);
  Estimate e0, e1;
  revenue_row(r, 0, "spa_reserve", &e0);
  revenue_row(r, 1, "spa_reserve", &e1);
  const double exact = second_price_revenue(2, 0.301) - second_price_revenue(2, 0.3);
  const double se = std::min(e0.stderr_, e1.stderr_);
  EXPECT_GT(se, 1e-4);
  EXPECT_LE(std::fabs((e1.mean - e0.mean) - exact), 0.2 * se)
      << "diff " << e1.mean - e0.mean << " exact " << exact << " se " << se;
  // The unreserved mechanism is the same at both points: identical bits.
  Estimate u0, u1;
  revenue_row(r, 0, "spa", &u0);
  revenue_row(r, 1, "spa", &u1);
  EXPECT_EQ(u0.mean, u1.mean);
}

// Closed form along a sweep: every point within 5 SE of R(r) = (n−1)/(n+1) + r^n − 2n/(n+1) r^{n+1}.
TEST(Sweep, SecondPriceReserveCurveMatchesClosedForm) {
  for (int n : {2, 5}) {
    const SweepInput in = input(second_price_text(n, 0.0, 100000, 17));
    SweepOptions opt;
    opt.run = cpu(2);
    const SweepSet s = parse_set("mechanisms[1].reserve=0:1:11");
    const SweepResult r = run_sweep(in, {s}, opt);
    for (std::size_t p = 0; p < s.values.size(); ++p) {
      Estimate e;
      revenue_row(r, p, "spa_reserve", &e);
      const double truth = second_price_revenue(n, s.values[p].number);
      EXPECT_LE(std::fabs(e.mean - truth), 5 * e.stderr_ + 1e-15) << "n " << n << " r " << s.values[p].number;
    }
  }
}

TEST(Sweep, ConflictingOverridesAreRefused) {
  const SweepInput in = input(second_price_text(2, 0.5, 1000));
  SweepOptions opt;
  opt.overrides.samples = 5000;
  EXPECT_NE(message_of([&] { run_sweep(in, {parse_set("samples=1000,2000")}, opt); }).find("-n/--samples also sets"),
            std::string::npos);
}

// ---- precision targets ----

Scenario target_scenario() { return parse_scenario(second_price_text(3, 0.4, 1000, 23)); }

double halfwidth(const MechanismResult& m) { return 0.5 * (m.revenue.ci_high - m.revenue.ci_low); }

TEST(PrecisionTarget, StopsAtTheFirstBoundaryAndEqualsAPlainRunBitwise) {
  const Scenario sc = target_scenario();
  PrecisionTarget t;
  t.halfwidth = 0.004;
  t.first_batch = 2048;
  const RunResult a = run_to_target(sc, t, cpu(1, 256));
  ASSERT_TRUE(a.target.enabled);
  EXPECT_TRUE(a.target.met);
  const std::uint64_t n = a.samples;
  EXPECT_EQ(a.target.boundaries.back(), n);
  ASSERT_GE(a.target.boundaries.size(), 3u);  // 2048, 4096, ... : the test exercises extensions
  for (std::size_t k = 0; k < a.target.boundaries.size(); ++k) EXPECT_EQ(a.target.boundaries[k], 2048u << k);
  for (const MechanismResult& m : a.mechanisms) EXPECT_LE(halfwidth(m), t.halfwidth);
  // Any thread count and chunk size: the same stop and the same bits as `run -n N_final`.
  for (int threads : {1, 2})
    for (std::uint64_t chunk : {std::uint64_t{1024}, std::uint64_t{1} << 16}) {
      const RunResult b = run_to_target(sc, t, cpu(threads, chunk));
      EXPECT_EQ(b.samples, n);
      EXPECT_EQ(b.partial, a.partial) << threads << " threads, chunk " << chunk;
    }
  Scenario plain = sc;
  plain.samples = n;
  EXPECT_EQ(run(plain, cpu(2)).partial, a.partial);
  // At the previous boundary some targeted interval was still wider than EPS.
  plain.samples = n / 2;
  const RunResult before = run(plain, cpu(2));
  double widest = 0;
  for (const MechanismResult& m : before.mechanisms) widest = std::max(widest, halfwidth(m));
  EXPECT_GT(widest, t.halfwidth);
}

TEST(PrecisionTarget, VarianceReductionStopsAtABoundaryWithTheBitsOfItsPlainRun) {
  // Variance-reduced estimators are not range states: each boundary is a whole run (target.cpp).
  for (VrMethod method : {VrMethod::Antithetic, VrMethod::ControlVariate, VrMethod::Rqmc}) {
    Scenario sc = target_scenario();
    sc.variance_reduction = method;
    // A target half the widest half-width at the first boundary: about four times the profiles.
    Scenario first = sc;
    first.samples = 2048;
    double widest0 = 0;
    for (const MechanismResult& m : run(first, cpu(2)).mechanisms) widest0 = std::max(widest0, halfwidth(m));
    PrecisionTarget t;
    t.halfwidth = 0.5 * widest0;
    t.first_batch = 2048;
    const RunResult a = run_to_target(sc, t, cpu(1, 256));
    EXPECT_TRUE(a.target.met) << static_cast<int>(method);
    ASSERT_GE(a.target.boundaries.size(), 2u);
    for (std::size_t k = 0; k < a.target.boundaries.size(); ++k) EXPECT_EQ(a.target.boundaries[k], 2048u << k);
    for (const MechanismResult& m : a.mechanisms) EXPECT_LE(halfwidth(m), t.halfwidth);
    Scenario plain = sc;
    plain.samples = a.samples;
    const RunResult b = run(plain, cpu(2, 1024));
    ASSERT_EQ(a.mechanisms.size(), b.mechanisms.size());
    for (std::size_t m = 0; m < a.mechanisms.size(); ++m) {
      EXPECT_EQ(a.mechanisms[m].revenue.mean, b.mechanisms[m].revenue.mean) << static_cast<int>(method);
      EXPECT_EQ(a.mechanisms[m].revenue.stderr_, b.mechanisms[m].revenue.stderr_) << static_cast<int>(method);
    }
    // The previous boundary was still too wide.
    plain.samples = a.samples / 2;
    double widest = 0;
    for (const MechanismResult& m : run(plain, cpu(2)).mechanisms) widest = std::max(widest, halfwidth(m));
    EXPECT_GT(widest, t.halfwidth) << static_cast<int>(method);
  }
}

TEST(PrecisionTarget, CapIsRespectedAndReported) {
  const Scenario sc = target_scenario();
  PrecisionTarget t;
  t.halfwidth = 1e-5;
  t.first_batch = 2048;
  t.max_samples = 20000;  // not a multiple of 256: the last batch ends at the cap
  t.metrics = {"spa_reserve.revenue", "welfare"};
  const RunResult a = run_to_target(sc, t, cpu(2, 1024));
  EXPECT_FALSE(a.target.met);
  EXPECT_EQ(a.samples, 20000u);
  EXPECT_EQ(a.target.boundaries, (std::vector<std::uint64_t>{2048, 4096, 8192, 16384, 20000}));
  EXPECT_EQ(a.target.metrics, (std::vector<std::string>{"spa_reserve.revenue", "spa.welfare", "spa_reserve.welfare"}));
  Scenario plain = sc;
  plain.samples = 20000;
  EXPECT_EQ(run(plain, cpu(1)).partial, a.partial);
}

TEST(PrecisionTarget, BadTargetsAreRefused) {
  const Scenario sc = target_scenario();
  PrecisionTarget t;
  for (double eps : {0.0, -1.0, std::nan(""), HUGE_VAL}) {
    t.halfwidth = eps;
    EXPECT_NE(message_of([&] { check_target(sc, t); }).find("--target-halfwidth"), std::string::npos) << eps;
  }
  t.halfwidth = 0.01;
  t.metrics = {"revenu"};
  EXPECT_NE(message_of([&] { check_target(sc, t); }).find("--target-metric: unknown metric 'revenu'"), std::string::npos);
  t.metrics = {"spa.payment[bidders]"};
  EXPECT_EQ(message_of([&] { check_target(sc, t); }), "");
  t.metrics = {};
  t.max_samples = 0;
  EXPECT_NE(message_of([&] { check_target(sc, t); }).find("--max-samples"), std::string::npos);
}

}  // namespace
}  // namespace mcrev

namespace mcrev {
namespace {

// A sweep with a target runs each point to it: the point's rows carry its own N_final and target_met,
// and its result is bitwise run_to_target on the point's scenario.
TEST(PrecisionTarget, EachSweepPointRunsToTheTarget) {
  const SweepInput in = input(second_price_text(3, 0.4, 1000, 23));
  SweepOptions opt;
  opt.run = cpu(2, 1024);
  opt.target.halfwidth = 0.004;
  opt.target.first_batch = 2048;
  const SweepResult r = run_sweep(in, {parse_set("mechanisms[1].reserve=0,0.8")}, opt);
  ASSERT_TRUE(r.target);
  for (std::size_t p = 0; p < 2; ++p) {
    const RunResult alone = run_to_target(parse_scenario(r.points[p].text), opt.target, cpu(1));
    EXPECT_EQ(r.points[p].result.partial, alone.partial);
    EXPECT_EQ(r.points[p].result.samples, alone.samples);
    for (const SweepRow& row : r.rows)
      if (row.point == p) {
        EXPECT_EQ(row.profiles, alone.samples);
        EXPECT_EQ(row.target_met, alone.target.met);
      }
  }
  // A higher reserve makes revenue noisier here: the two points stop at different counts.
  EXPECT_NE(r.points[0].result.samples, r.points[1].result.samples);
}

}  // namespace
}  // namespace mcrev
