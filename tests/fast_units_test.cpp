// The multi-unit fast path (mcrev/pipeline/fast_multi_unit.hpp, host/backends/cpu_fast_units.cpp):
// profile by profile bitwise the generic evaluate_values for vcg, uniform_price (both price rules) and
// pay_as_bid with several k, n, demands, groups, reserves and seller values, fewer values than units,
// and discrete values whose contested units go to the generic path; the CPU batch = the generic batch
// (draw_values_batch + evaluate_batch) on every instruction set; the whole backend = fast_path = false
// for several chunk sizes and thread counts; eligibility refusals with their reasons.
#include "mcrev/pipeline/fast_multi_unit.hpp"

#include "backends/cpu_fast_units.hpp"
#include "test_util.hpp"

#include <cstring>

using namespace mcrev;
using namespace mcrev::test;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

ModelData model_of(const std::string& text) { return build_model(parse_scenario(text)); }

// A units market: k units, one group of n bidders with demand d and values `value`, then `mechanisms`.
std::string units_text(int k, int n, int d, const std::string& value, const std::string& mechanisms, int seed = 5) {
  return "samples = 1000\nseed = " + std::to_string(seed) + "\n[market]\nkind = \"units\"\nunits = " +
         std::to_string(k) + "\n[[bidders]]\ncount = " + std::to_string(n) + "\ndemand = " + std::to_string(d) +
         "\nvalue = " + value + "\n" + mechanisms;
}

const char* kUniform = R"({ dist = "uniform", low = 0.0, high = 1.0 })";

// Every rule, reserves that bind, a seller value.
const char* const kAllRules = test::kUnitsAllRules;

struct Counts {
  std::uint64_t fast = 0, contested = 0;
};

// Profiles [0, profiles): units_profile<kK, kD, double> against evaluate_values, every metric bit
// for bit (kK, kD: the plan's k and max demand as constants, or 0).
template <int kK = 0, int kD = 0>
Counts compare_profiles(const ModelData& md, std::uint64_t profiles) {
  const Model m = md.view();
  std::string why;
  const fast::UnitsPlan plan = fast::make_units_plan(m, &why);
  EXPECT_TRUE(plan.eligible) << why;
  const int M = m.n_mechanisms, B = m.metrics_per_mechanism();
  EXPECT_EQ(B, plan.block());
  std::vector<double> v(m.n_values), b(m.scratch_doubles()), generic(M * B), quick(M * B);
  Counts c;
  int mismatches = 0;
  for (std::uint64_t p = 0; p < profiles && mismatches < 5; ++p) {
    draw_values(m, p, v.data());
    evaluate_values(m, p, 0, M, v.data(), b.data(), generic.data());
    double contested = -1.0;
    fast::units_profile<kK, kD, double>(plan, v.data(), quick.data(), &contested);
    EXPECT_TRUE(contested == 0.0 || contested == 1.0);
    if (contested != 0.0) {
      ++c.contested;
      continue;
    }
    ++c.fast;
    for (int k = 0; k < M * B; ++k)
      if (!same_bits(generic[k], quick[k])) {
        ADD_FAILURE() << "profile " << p << " mechanism " << k / B << " metric " << k % B << ": fast " << quick[k]
                      << " vs generic " << generic[k];
        ++mismatches;
      }
  }
  return c;
}

// UnitsBatch against draw_values_batch + evaluate_batch on every instruction set (batches of 64 and a
// short last one). Returns the generic (contested) profiles counted by the last instruction set.
int compare_batches(const ModelData& md, std::uint64_t first, std::uint64_t profiles) {
  const Model m = md.view();
  const fast::UnitsPlan plan = fast::make_units_plan(m);
  EXPECT_TRUE(plan.eligible);
  const int row = cpu::padded_metrics(m.n_mechanisms * m.metrics_per_mechanism());
  std::vector<double> u(static_cast<size_t>(m.n_values) * cpu::kMaxBatch),
      v(static_cast<size_t>(m.n_values) * cpu::kMaxBatch), b(m.scratch_doubles()),
      want(static_cast<size_t>(row) * cpu::kMaxBatch), got(want.size());
  int generic = -1, isas = 0;
  for (cpu::Isa isa : {cpu::Isa::Portable, cpu::Isa::Avx2, cpu::Isa::Avx512}) {
    if (!cpu::isa_supported(isa)) continue;
    ++isas;
    cpu::UnitsBatch ub(m, plan, isa);
    int g = 0;
    for (std::uint64_t p = first; p < first + profiles; p += cpu::kMaxBatch) {
      const int count = static_cast<int>(std::min<std::uint64_t>(cpu::kMaxBatch, first + profiles - p));
      std::fill(want.begin(), want.end(), 0.0);
      std::fill(got.begin(), got.end(), 0.0);
      cpu::draw_values_batch(m, isa, p, count, u.data(), v.data());
      cpu::evaluate_batch(m, p, count, v.data(), b.data(), want.data(), row);
      g += ub.run(p, count, b.data(), got.data(), row);
      for (int j = 0; j < count; ++j)
        for (int k = 0; k < row; ++k)
          if (!same_bits(want[j * row + k], got[j * row + k])) {
            ADD_FAILURE() << cpu::isa_name(isa) << " profile " << p + j << " entry " << k << ": fast "
                          << got[j * row + k] << " vs generic " << want[j * row + k];
            return -1;
          }
    }
    if (generic >= 0) {
      EXPECT_EQ(g, generic) << cpu::isa_name(isa);
    }
    generic = g;
  }
  EXPECT_GE(isas, 1);
  return generic;
}

}  // namespace

TEST(FastUnits, EveryRuleEqualsGenericForSeveralKnd) {
  struct Case {
    int k, n, d;
  };
  for (const Case cs : {Case{3, 5, 2}, Case{1, 4, 1}, Case{2, 6, 1}, Case{5, 10, 3}, Case{6, 3, 2}, Case{16, 8, 8},
                        Case{4, 32, 2}}) {
    SCOPED_TRACE("k = " + std::to_string(cs.k) + ", n = " + std::to_string(cs.n) + ", d = " + std::to_string(cs.d));
    const ModelData md = model_of(units_text(cs.k, cs.n, cs.d, kUniform, kAllRules));
    const Counts c = compare_profiles(md, cs.n * cs.d > 20 ? 40000 : 100000);
    EXPECT_EQ(c.contested, 0u);  // continuous values: no contested units
    if (cs.k == 3 && cs.d == 2) compare_profiles<3, 2>(md, 50000);  // the unrolled instantiation
    compare_batches(md, 0, 3000);
  }
}

TEST(FastUnits, FewerEligibleBidsThanUnitsAndNoEligibleBid) {
  // k = n · d = 4: every eligible bid wins (fewer than k once a reserve binds); reserve 2 on U[0,1]:
  // nobody is eligible.
  const ModelData md = model_of(units_text(4, 2, 2, kUniform, std::string(kAllRules) + R"(
[[mechanisms]]
kind = "vcg"
name = "vcg_none"
reserve = 2.0
seller_value = 0.5
)"));
  const Counts c = compare_profiles(md, 100000);
  EXPECT_EQ(c.fast, 100000u);
  compare_batches(md, 0, 2000);
}

TEST(FastUnits, SeveralGroupsWithPersonalReservesEqualGeneric) {
  const ModelData md = model_of(R"(
samples = 1000
seed = 9
[market]
kind = "units"
units = 4
[[bidders]]
name = "small"
count = 4
demand = 1
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[bidders]]
name = "large"
count = 3
demand = 3
value = { dist = "power", low = 0.0, high = 1.0, k = 2.0 }
[[bidders]]
name = "exp"
count = 2
demand = 2
value = { dist = "exponential", rate = 2.0 }
[[mechanisms]]
kind = "vcg"
reserve = [0.3, 0.5, 0.2]
[[mechanisms]]
kind = "vcg"
name = "vcg0"
[[mechanisms]]
kind = "uniform_price"
reserve = [0.3, 0.5, 0.2]
seller_value = 0.1
[[mechanisms]]
kind = "pay_as_bid"
reserve = [0.6, 0.1, 0.4]
[[mechanisms]]
kind = "uniform_price"
name = "la"
price_rule = "last_accepted"
reserve = [0.6, 0.1, 0.4]
)");
  const fast::UnitsPlan plan = fast::make_units_plan(md.view());
  ASSERT_TRUE(plan.eligible);
  EXPECT_EQ(plan.n_groups, 3);
  EXPECT_EQ(plan.top(), 4 + 3);
  EXPECT_FALSE(plan.mech[1].same_list);  // reserves differ from mechanism 0's
  EXPECT_FALSE(plan.mech[2].same_list);
  EXPECT_TRUE(plan.mech[4].same_list);
  const Counts c = compare_profiles(md, 100000);
  EXPECT_EQ(c.contested, 0u);
  compare_batches(md, 0, 3000);
}

TEST(FastUnits, ContestedUnitsGoToTheGenericPathAndStillMatch) {
  // Discrete values: bids tied at the threshold (contested units drawn by the generic rule), bids
  // equal to the reserves, uncontested ties above the threshold.
  const std::string value = R"({ dist = "discrete", values = [0.0, 0.25, 0.5, 0.75, 1.0], probs = [0.2, 0.2, 0.2, 0.2, 0.2] })";
  const std::string mechs = R"(
[[mechanisms]]
kind = "vcg"
[[mechanisms]]
kind = "uniform_price"
reserve = 0.5
[[mechanisms]]
kind = "pay_as_bid"
reserve = 0.25
[[mechanisms]]
kind = "uniform_price"
name = "la"
price_rule = "last_accepted"
[[mechanisms]]
kind = "vcg"
name = "vcg_r"
reserve = 0.75
seller_value = 0.5
)";
  struct Case {
    int k, n, d;
  };
  for (const Case cs : {Case{3, 5, 2}, Case{1, 3, 1}, Case{6, 4, 3}}) {
    SCOPED_TRACE("k = " + std::to_string(cs.k) + ", n = " + std::to_string(cs.n) + ", d = " + std::to_string(cs.d));
    const ModelData md = model_of(units_text(cs.k, cs.n, cs.d, value, mechs));
    const Counts c = compare_profiles(md, 100000);
    EXPECT_GT(c.contested, 1000u);  // the fallback is exercised...
    EXPECT_GT(c.fast, 1000u);       // ...and so is the fast path
    EXPECT_GT(compare_batches(md, 0, 20000), 0);
  }
}

TEST(FastUnits, BackendEqualsGenericPathForChunksAndThreads) {
  Scenario sc = parse_scenario(units_text(3, 5, 2, kUniform, kAllRules, 21));
  sc.samples = 300000;  // a partial last chunk for every chunk size below
  RunOptions generic;
  generic.backend = Backend::Cpu;
  generic.threads = 1;
  generic.fast_path = false;
  const RunResult ref = run(sc, generic);
  EXPECT_EQ(ref.path, "generic path (RunOptions::fast_path = false)");
  for (std::uint64_t chunk : {std::uint64_t{1} << 12, std::uint64_t{1} << 16, std::uint64_t{1} << 18})
    for (int threads : {1, 2}) {
      SCOPED_TRACE("chunk " + std::to_string(chunk) + ", threads " + std::to_string(threads));
      RunOptions o;
      o.backend = Backend::Cpu;
      o.threads = threads;
      o.chunk_profiles = chunk;
      const RunResult r = run(sc, o);
      EXPECT_EQ(r.path, "fast path: vcg, uniform_price, pay_as_bid (units k = 3, n = 5, n_values = 10)");
      ASSERT_EQ(r.partial.size(), ref.partial.size());
      for (size_t k = 0; k < r.partial.size(); ++k)
        ASSERT_TRUE(same_bits(r.partial[k], ref.partial[k])) << "entry " << k << ": " << r.partial[k] << " vs "
                                                             << ref.partial[k];
    }
  // Contested units in the backend (discrete values): still the generic path's bits.
  Scenario ties = parse_scenario(units_text(
      2, 4, 2, R"({ dist = "discrete", values = [0.0, 0.5, 1.0], probs = [0.3, 0.4, 0.3] })", kAllRules, 4));
  ties.samples = 70000;
  const RunResult tref = run(ties, generic);
  RunOptions o;
  o.backend = Backend::Cpu;
  o.threads = 2;
  o.chunk_profiles = 1u << 13;
  const RunResult t = run(ties, o);
  ASSERT_EQ(t.partial.size(), tref.partial.size());
  for (size_t k = 0; k < t.partial.size(); ++k) ASSERT_TRUE(same_bits(t.partial[k], tref.partial[k])) << "entry " << k;
}

TEST(FastUnits, VcgOfUnitDemandIsTheUniformFirstRejectedPrice) {
  // A hand case through the fast code: k = 2, bidders' values (0.9, 0.3) / (0.8) / (0.5): the top two
  // bids 0.9 (agent 0) and 0.8 (agent 1) win; vcg: agent 0 pays c^{-0}_(2) = 0.5, agent 1 pays
  // c^{-1}_(2) = 0.5; uniform first_rejected: 0.5 each; pay_as_bid: 0.9 + 0.8.
  const ModelData md = model_of(R"(
samples = 10
[market]
kind = "units"
units = 2
[[bidders]]
count = 1
demand = 2
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[bidders]]
count = 2
demand = 1
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[mechanisms]]
kind = "vcg"
[[mechanisms]]
kind = "uniform_price"
[[mechanisms]]
kind = "pay_as_bid"
)");
  const fast::UnitsPlan plan = fast::make_units_plan(md.view());
  ASSERT_TRUE(plan.eligible);
  const double v[4] = {0.9, 0.3, 0.8, 0.5};
  std::vector<double> out(3 * plan.block());
  double contested = -1.0;
  fast::units_profile<0, 0, double>(plan, v, out.data(), &contested);
  EXPECT_EQ(contested, 0.0);
  const int B = plan.block();
  EXPECT_EQ(out[metric::kRevenue], 0.5 + 0.5);
  EXPECT_EQ(out[B + metric::kRevenue], 0.5 * 1.0 + 0.5 * 1.0);
  EXPECT_EQ(out[2 * B + metric::kRevenue], 0.9 + 0.8);
  EXPECT_EQ(out[metric::kWelfare], 0.9 + 0.8);
  EXPECT_EQ(out[metric::win(0)], 1.0);       // agent 0 wins one unit
  EXPECT_EQ(out[metric::win(1)], 1.0 / 2);  // agent 1 wins one, agent 2 none
  EXPECT_EQ(out[metric::kOptSurplus], 0.9 + 0.8);
  EXPECT_EQ(out[metric::kNoSale], 0.0);
  EXPECT_EQ(out[metric::kRevenueDiff], 0.0);
  EXPECT_EQ(out[2 * B + metric::kRevenueDiff], (0.9 + 0.8) - (0.5 + 0.5));
  // contested: 0.5 and 0.5 compete for the second unit
  const double t[4] = {0.9, 0.5, 0.5, 0.1};
  fast::units_profile<0, 0, double>(plan, t, out.data(), &contested);
  EXPECT_EQ(contested, 1.0);
}

TEST(FastUnits, RefusalsNameTheReason) {
  auto why_of = [](const std::string& text) {
    std::string why;
    const ModelData md = model_of(text);
    EXPECT_FALSE(fast::make_units_plan(md.view(), &why).eligible);
    return why;
  };
  EXPECT_EQ(why_of(units_text(3, 5, 2, kUniform, R"(
[[mechanisms]]
kind = "pay_as_bid"
strategy = "shade"
factor = 0.8
)")),
            "mechanism 0: bids other than truthful");
  EXPECT_EQ(why_of(units_text(17, 10, 2, kUniform, "[[mechanisms]]\nkind = \"vcg\"\n")), "units outside 1..16");
  EXPECT_EQ(why_of(units_text(3, 33, 2, kUniform, "[[mechanisms]]\nkind = \"vcg\"\n")), "n · demand outside 1..64");
  EXPECT_EQ(why_of(units_text(3, 5, 2, kUniform, R"(
[[mechanisms]]
kind = "vcg"
incentives = { expost_regret = true, interim_loss = false, deviations = 8 }
)")),
            "incentive statistics");
  EXPECT_EQ(why_of("samples = 10\n[[bidders]]\ncount = 3\nvalue = " + std::string(kUniform) + "\n[[mechanisms]]\nkind = \"second_price\"\n"),
            "market is not units");
  // The run reports the refusal.
  Scenario sc = parse_scenario(units_text(17, 10, 2, kUniform, "[[mechanisms]]\nkind = \"vcg\"\n"));
  sc.samples = 1000;
  EXPECT_EQ(run_cpu_scenario(sc, 1).path, "generic path (units outside 1..16)");
}

TEST(FastUnits, UnrolledBodiesWithTwoGroupsEqualGeneric) {
  // Every (k, demand) the CPU batch unrolls (cpu_fast_units.cpp, pick_body), with two groups of the
  // same demand and personal reserves, so the unrolled loops also run over groups.
  for (int k : {1, 2, 3, 4})
    for (int d : {1, 2}) {
      SCOPED_TRACE("k = " + std::to_string(k) + ", d = " + std::to_string(d));
      const ModelData md = model_of("samples = 10\nseed = 2\n[market]\nkind = \"units\"\nunits = " + std::to_string(k) +
                                    "\n[[bidders]]\ncount = 3\ndemand = " + std::to_string(d) + "\nvalue = " + kUniform +
                                    "\n[[bidders]]\ncount = 2\ndemand = " + std::to_string(d) +
                                    "\nvalue = { dist = \"power\", low = 0.0, high = 1.0, k = 2.0 }\n" + R"(
[[mechanisms]]
kind = "vcg"
reserve = [0.2, 0.4]
[[mechanisms]]
kind = "uniform_price"
reserve = [0.2, 0.4]
[[mechanisms]]
kind = "pay_as_bid"
[[mechanisms]]
kind = "uniform_price"
name = "la"
price_rule = "last_accepted"
seller_value = 0.3
)");
      const Counts c = compare_profiles(md, 30000);
      EXPECT_EQ(c.contested, 0u);
      compare_batches(md, 0, 3000);
    }
}

TEST(FastUnits, NegativeValuesAndZerosEqualGeneric) {
  // Values below zero (ineligible at reserve 0: mv · 0 = −0.0 in the fast sums; in the first best),
  // values and reserves equal to 0.0: still the generic bits; contested profiles fall back.
  const std::string value = R"({ dist = "discrete", values = [-0.5, 0.0, 0.25, 0.5, 0.8], probs = [0.3, 0.2, 0.2, 0.2, 0.1] })";
  const std::string mechs = R"(
[[mechanisms]]
kind = "vcg"
reserve = 0.0
[[mechanisms]]
kind = "uniform_price"
reserve = 0.0
seller_value = 0.1
[[mechanisms]]
kind = "pay_as_bid"
reserve = 0.0
[[mechanisms]]
kind = "vcg"
name = "vcg0"
reserve = 0.0
[[mechanisms]]
kind = "uniform_price"
name = "la"
price_rule = "last_accepted"
reserve = 0.25
)";
  for (int d : {1, 2, 3}) {
    SCOPED_TRACE("d = " + std::to_string(d));
    const ModelData md = model_of(units_text(2, 4, d, value, mechs));
    const Counts c = compare_profiles(md, 60000);
    EXPECT_GT(c.fast, 1000u);
    EXPECT_GT(compare_batches(md, 0, 10000), 0);
  }
}
