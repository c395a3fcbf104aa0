// The single-item fast path (mcrev/pipeline/fast_single_item.hpp, host/backends/cpu_fast.cpp): profile
// by profile bitwise the generic evaluate_values for every eligible mechanism kind, reserves, no-sales
// and ties (which go to the generic path), n = 2, 5, 16, 32 and several groups; the CPU batch = the
// generic batch (draw_values_batch + evaluate_batch) on every instruction set; eligibility refusals.
#include "mcrev/pipeline/fast_single_item.hpp"

#include "backends/cpu_fast.hpp"
#include "test_util.hpp"
#include "vr/variance_reduction.hpp"

#include <cstring>

using namespace mcrev;
using namespace mcrev::test;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Every eligible kind, with reserves that bind and strategies of each closed form.
const char* kAllKinds = R"(
[[mechanisms]]
kind = "second_price"
[[mechanisms]]
kind = "second_price"
name = "sp_r"
reserve = 0.45
[[mechanisms]]
kind = "first_price"
strategy = "shade"
factor = 0.8
reserve = 0.3
[[mechanisms]]
kind = "all_pay"
strategy = "shade"
factor = 0.5
reserve = 0.2
[[mechanisms]]
kind = "posted_price"
price = 0.5
seller_value = 0.1
[[mechanisms]]
kind = "first_price"
name = "fp_truthful"
strategy = "truthful"
)";

// Every kind with per-group reserves, for three bidder groups.
const char* kThreeGroupMechanisms = R"(
[[mechanisms]]
kind = "second_price"
reserve = [0.3, 0.6, 0.5]
[[mechanisms]]
kind = "first_price"
strategy = "shade"
factor = 0.7
reserve = [0.1, 0.2, 0.0]
[[mechanisms]]
kind = "all_pay"
strategy = "shade"
factor = 0.4
reserve = [0.05, 0.0, 0.1]
[[mechanisms]]
kind = "posted_price"
price = 0.6
seller_value = 0.2
)";

// Five equally likely values: ties at the top in most profiles, bids equal to reserves and to the
// posted price (with kTieMechanisms).
const char* kFiveDiscrete = R"({ dist = "discrete", values = [0.0, 0.25, 0.5, 0.75, 1.0], probs = [0.2, 0.2, 0.2, 0.2, 0.2] })";
const char* kTieMechanisms = R"(
[[mechanisms]]
kind = "second_price"
reserve = 0.5
[[mechanisms]]
kind = "first_price"
strategy = "shade"
factor = 0.9
reserve = 0.25
[[mechanisms]]
kind = "all_pay"
strategy = "truthful"
reserve = 0.5
[[mechanisms]]
kind = "posted_price"
price = 0.75
)";

std::string scenario_text(int n, const std::string& value, const std::string& mechanisms, int seed = 11) {
  return "samples = 1000\nseed = " + std::to_string(seed) + "\n[[bidders]]\ncount = " + std::to_string(n) +
         "\nvalue = " + value + "\n" + mechanisms;
}

struct Counts {
  std::uint64_t fast = 0, ties = 0;
};

// Profiles [0, profiles): evaluate_fast<N, G> against evaluate_values, every metric bit for bit, for
// the whole pass and for the pass [1, M) (mechanism 0 run for the baseline).
template <int N = 0, int G = 0, bool kTies = false>
Counts compare_profiles(const ModelData& md, std::uint64_t profiles) {
  const Model m = md.view();
  std::string why;
  const fast::FastPlan plan = fast::make_fast_plan(m, &why);
  EXPECT_TRUE(plan.eligible) << why;
  const int M = m.n_mechanisms, B = m.metrics_per_mechanism();
  std::vector<double> v(m.n_values), b(m.scratch_doubles()), generic(M * B), quick(M * B);
  Counts c;
  int mismatches = 0;
  for (std::uint64_t p = 0; p < profiles && mismatches < 5; ++p) {
    draw_values(m, p, v.data());
    for (int m0 : {0, 1}) {
      if (m0 >= M) continue;
      evaluate_values(m, p, m0, M, v.data(), b.data(), generic.data());
      if (!fast::evaluate_fast<N, G, kTies>(plan, p, m0, M, v.data(), quick.data())) {
        EXPECT_FALSE(kTies) << "kTies: every profile is evaluated";
        if (m0 == 0) ++c.ties;
        continue;
      }
      if (m0 == 0) ++c.fast;
      for (int k = 0; k < (M - m0) * B; ++k)
        if (!same_bits(generic[k], quick[k])) {
          ADD_FAILURE() << "profile " << p << " pass [" << m0 << ", " << M << ") mechanism " << m0 + k / B
                        << " metric " << k % B << ": fast " << quick[k] << " vs generic " << generic[k];
          ++mismatches;
        }
    }
  }
  return c;
}

// The CPU batch (FastBatch) against draw_values_batch + evaluate_batch on every instruction set, rows of
// 64 profiles (and a short last batch), starting at `first`.
void compare_batches(const ModelData& md, std::uint64_t first, std::uint64_t profiles, int* generic_profiles = nullptr) {
  const Model m = md.view();
  const fast::FastPlan plan = fast::make_fast_plan(m);
  ASSERT_TRUE(plan.eligible);
  const int row = cpu::padded_metrics(m.n_mechanisms * m.metrics_per_mechanism());
  std::vector<double> u(static_cast<size_t>(m.n_values) * cpu::kMaxBatch), v(static_cast<size_t>(m.n_values) * cpu::kMaxBatch),
      b(m.scratch_doubles()), want(static_cast<size_t>(row) * cpu::kMaxBatch), got(want.size());
  for (cpu::Isa isa : {cpu::Isa::Portable, cpu::Isa::Avx2, cpu::Isa::Avx512}) {
    if (!cpu::isa_supported(isa)) continue;
    cpu::FastBatch fb(m, plan, isa);
    int generic = 0;
    for (std::uint64_t p = first; p < first + profiles; p += cpu::kMaxBatch) {
      const int count = static_cast<int>(std::min<std::uint64_t>(cpu::kMaxBatch, first + profiles - p));
      std::fill(want.begin(), want.end(), 0.0);
      std::fill(got.begin(), got.end(), 0.0);
      cpu::draw_values_batch(m, isa, p, count, u.data(), v.data());
      cpu::evaluate_batch(m, p, count, v.data(), b.data(), want.data(), row);
      generic += fb.run(p, count, b.data(), got.data(), row);
      for (int j = 0; j < count; ++j)
        for (int k = 0; k < row; ++k)
          if (!same_bits(want[j * row + k], got[j * row + k])) {
            FAIL() << cpu::isa_name(isa) << " profile " << p + j << " entry " << k << ": fast " << got[j * row + k]
                   << " vs generic " << want[j * row + k];
          }
    }
    if (generic_profiles) *generic_profiles = generic;
  }
}

// FastBatch::run_leaves (eight leaves side by side, metrics as columns, sums across the leaves) on
// every instruction set against thread_partial (the generic per-profile pipeline and leaf_add), leaf
// by leaf, for the leaves starting at `first` (a multiple of kLeafProfiles). Returns the number of
// profiles that took the generic path (ties).
int compare_leaves(const ModelData& md, std::uint64_t first) {
  const Model m = md.view();
  const fast::FastPlan plan = fast::make_fast_plan(m);
  EXPECT_TRUE(plan.eligible);
  const PartialShape sh = md.shape();
  constexpr int L = cpu::FastBatch::kLeaves;
  std::vector<double> v(m.n_values), b(m.scratch_doubles()), x(sh.metrics), sums(3 * sh.metrics + sh.pairs),
      want(static_cast<size_t>(L) * sh.size()), got(want.size());
  for (int l = 0; l < L; ++l) {
    const std::uint64_t p = first + static_cast<std::uint64_t>(l) * kLeafProfiles;
    thread_partial(m, ThreadRange{p, p + kLeafProfiles}, 0, m.n_mechanisms, v.data(), b.data(), x.data(), sums.data(),
                   want.data() + static_cast<size_t>(l) * sh.size());
  }
  int generic = -1;
  for (cpu::Isa isa : {cpu::Isa::Portable, cpu::Isa::Avx2, cpu::Isa::Avx512}) {
    if (!cpu::isa_supported(isa)) continue;
    cpu::FastBatch fb(m, plan, isa);
    std::fill(got.begin(), got.end(), -1.0);
    const int g = fb.run_leaves(first, b.data(), got.data());
    if (generic >= 0) {
      EXPECT_EQ(g, generic) << cpu::isa_name(isa);
    }
    generic = g;
    for (size_t k = 0; k < want.size(); ++k)
      if (!same_bits(want[k], got[k])) {
        ADD_FAILURE() << cpu::isa_name(isa) << " leaf " << k / sh.size() << " entry " << k % sh.size() << ": fast "
                      << got[k] << " vs reference " << want[k];
        break;
      }
  }
  return generic;
}

ModelData model_of(const std::string& text) { return build_model(parse_scenario(text)); }

}  // namespace

TEST(FastPath, DefaultScenarioIsEligibleAndDescribed) {
  const ModelData md = build_model(default_scenario());
  std::string why;
  const fast::FastPlan plan = fast::make_fast_plan(md.view(), &why);
  ASSERT_TRUE(plan.eligible) << why;
  EXPECT_TRUE(plan.device_eligible);
  EXPECT_EQ(cpu::describe_fast_plan(md.view(), plan, why),
            "fast path: second_price, first_price, all_pay, posted_price (n = 5)");
  // the run reports it (JSON run.path)
  Scenario sc = default_scenario();
  sc.samples = 3000;
  EXPECT_EQ(run_cpu_scenario(sc, 1).path, "fast path: second_price, first_price, all_pay, posted_price (n = 5)");
  // the equilibrium strategies are the closed forms
  EXPECT_EQ(plan.mech[2].strategy[0].kind, StrategyKind::UniformFirstPrice);
  EXPECT_EQ(plan.mech[3].strategy[0].kind, StrategyKind::UniformAllPay);
}

TEST(FastPath, DefaultScenarioProfilesEqualGenericBitForBit) {
  const Counts c = compare_profiles(build_model(default_scenario()), 200000);
  EXPECT_EQ(c.fast + c.ties, 200000u);
}

TEST(FastPath, EveryKindWithReservesEqualsGenericForSeveralN) {
  for (int n : {2, 5, 16, 32}) {
    SCOPED_TRACE("n = " + std::to_string(n));
    const ModelData md = model_of(scenario_text(n, R"({ dist = "uniform", low = 0.0, high = 1.0 })", kAllKinds));
    const Counts c = compare_profiles(md, n >= 16 ? 100000 : 150000);
    EXPECT_GT(c.fast, 0u);
  }
}

TEST(FastPath, ClosedFormEquilibriaWithBindingReservesEqualGeneric) {
  // first price and all-pay at the uniform BNE with reserves (t_entry > 0: int_pow of t_entry / t, the
  // all-pay floor), values on [0.2, 1.4]: no-sales and entry thresholds.
  const std::string mechs = R"(
[[mechanisms]]
kind = "second_price"
reserve = 0.7
[[mechanisms]]
kind = "first_price"
reserve = 0.6
[[mechanisms]]
kind = "all_pay"
reserve = 0.5
[[mechanisms]]
kind = "first_price"
name = "fp0"
)";
  for (int n : {2, 5, 16}) {
    SCOPED_TRACE("n = " + std::to_string(n));
    const ModelData md = model_of(scenario_text(n, R"({ dist = "uniform", low = 0.2, high = 1.4 })", mechs));
    const fast::FastPlan plan = fast::make_fast_plan(md.view());
    ASSERT_TRUE(plan.eligible);
    EXPECT_EQ(plan.mech[1].strategy[0].kind, StrategyKind::UniformFirstPrice);
    EXPECT_GT(plan.mech[1].strategy[0].t_entry, 0.0);
    EXPECT_EQ(plan.mech[2].strategy[0].kind, StrategyKind::UniformAllPay);
    compare_profiles(md, 120000);
  }
}

TEST(FastPath, TiesGoToTheGenericPathAndStillMatch) {
  // Discrete values: ties at the top in most profiles, bids equal to reserves and to the posted price.
  for (int n : {2, 5, 16}) {
    SCOPED_TRACE("n = " + std::to_string(n));
    const ModelData md = model_of(scenario_text(n, kFiveDiscrete, kTieMechanisms));
    const Counts c = compare_profiles(md, 100000);
    EXPECT_GT(c.ties, 1000u);  // the fallback is exercised...
    EXPECT_GT(c.fast, 1000u);  // ...and so is the fast path (no-sales, unique winners)
    // the CUDA kernel's form draws the tied winner itself: every profile bitwise the generic one
    const Counts all = compare_profiles<0, 0, true>(md, 100000);
    EXPECT_EQ(all.fast, 100000u);
    if (n <= 8) {
      // n = 2 and 5: the kernel's instantiation (unrolled, one group)
      const Counts k = n == 2 ? compare_profiles<2, 1, true>(md, 50000) : compare_profiles<5, 1, true>(md, 50000);
      EXPECT_EQ(k.fast, 50000u);
    }
    int generic = 0;
    compare_batches(md, 0, 20000, &generic);
    EXPECT_GT(generic, 0);
  }
}

TEST(FastPath, SeveralGroupsWithPersonalReservesEqualGeneric) {
  const ModelData md = model_of(R"(
samples = 1000
seed = 3
[[bidders]]
name = "weak"
count = 3
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[bidders]]
name = "strong"
count = 2
value = { dist = "power", low = 0.0, high = 1.0, k = 3.0 }
[[bidders]]
name = "exp"
count = 2
value = { dist = "exponential", rate = 2.0 }
)" + std::string(kThreeGroupMechanisms));
  const fast::FastPlan plan = fast::make_fast_plan(md.view());
  ASSERT_TRUE(plan.eligible);
  EXPECT_FALSE(plan.device_eligible);  // the CUDA fast kernel takes one group
  compare_profiles(md, 150000);
  compare_batches(md, 5, 30000);
}

TEST(FastPath, TemplatedKernelBodyEqualsRuntimeLoops) {
  // evaluate_fast<N, 1> (the CUDA fast kernel's per-profile code, loops unrolled) on the default
  // scenario's kinds with n = 2, 5, 8.
  const std::string mechs = R"(
[[mechanisms]]
kind = "second_price"
[[mechanisms]]
kind = "second_price"
reserve = 0.5
[[mechanisms]]
kind = "first_price"
strategy = "bne"
[[mechanisms]]
kind = "all_pay"
strategy = "bne"
[[mechanisms]]
kind = "posted_price"
price = 0.5
)";
  compare_profiles<2, 1>(model_of(scenario_text(2, R"({ dist = "uniform", low = 0.0, high = 1.0 })", mechs)), 100000);
  compare_profiles<5, 1>(model_of(scenario_text(5, R"({ dist = "exponential", rate = 1.5 })", mechs.substr(0, mechs.find("[[mechanisms]]\nkind = \"first_price\"")) +
                                                    "[[mechanisms]]\nkind = \"posted_price\"\nprice = 0.5\n")),
                         100000);
  compare_profiles<8, 1>(model_of(scenario_text(8, R"({ dist = "uniform", low = 0.0, high = 2.0 })", mechs)), 100000);
}

TEST(FastPath, CpuBatchEqualsGenericBatchOnEveryInstructionSet) {
  compare_batches(build_model(default_scenario()), 0, 100000);
  compare_batches(model_of(scenario_text(16, R"({ dist = "uniform", low = 0.0, high = 1.0 })", kAllKinds)), 1000, 50000);
  compare_batches(model_of(scenario_text(2, R"({ dist = "power", low = 0.0, high = 1.0, k = 0.5 })", kAllKinds)), 77, 50000);
}

TEST(FastPath, BackendPartialEqualsProfileByProfileReference) {
  // The CPU backend (fast path) against thread_partial (the generic per-profile pipeline and
  // leaf_add), leaf by leaf through the canonical tree, for 1 and 2 threads.
  Scenario sc = default_scenario();
  sc.samples = 40000 + 77;
  sc.seed = 21;
  const ModelData md = build_model(sc);
  const Model m = md.view();
  const PartialShape sh = md.shape();
  const MechanismPairs pairs{m.metrics_per_mechanism()};
  TreeReducer ref(sh, pairs);
  std::vector<double> v(m.n_values), b(m.scratch_doubles()), x(sh.metrics), sums(3 * sh.metrics + sh.pairs), leaf(sh.size());
  for (std::uint64_t p = 0; p < sc.samples; p += kLeafProfiles) {
    thread_partial(m, ThreadRange{p, std::min<std::uint64_t>(sc.samples, p + kLeafProfiles)}, 0, m.n_mechanisms,
                   v.data(), b.data(), x.data(), sums.data(), leaf.data());
    ref.push(0, leaf);
  }
  const std::vector<double> want = ref.finish();
  for (int threads : {1, 2}) {
    RunOptions o;
    o.backend = Backend::Cpu;
    o.threads = threads;
    o.chunk_profiles = 1u << 12;
    const std::vector<double> got = run_cpu(md, sc.samples, o);
    ASSERT_EQ(got.size(), want.size());
    for (size_t k = 0; k < want.size(); ++k) EXPECT_TRUE(same_bits(got[k], want[k])) << "entry " << k;
    // RunOptions::fast_path = false: the generic batch loop, the same bits
    o.fast_path = false;
    const std::vector<double> generic = run_cpu(md, sc.samples, o);
    ASSERT_EQ(generic.size(), want.size());
    for (size_t k = 0; k < want.size(); ++k) EXPECT_TRUE(same_bits(generic[k], want[k])) << "generic, entry " << k;
  }
  EXPECT_EQ(cpu::evaluation_path(m, false, false), "generic path (RunOptions::fast_path = false)");
}

TEST(FastPath, InterleavedLeavesEqualLeafByLeafReferenceOnEveryInstructionSet) {
  // Every kind with binding reserves, one and several groups, equilibria, ties (discrete values: the
  // generic path patches the tied columns), leaves far from 0 (the counter's high word).
  EXPECT_EQ(compare_leaves(build_model(default_scenario()), 0), 0);
  compare_leaves(build_model(default_scenario()), (std::uint64_t(1) << 32) - 3 * kLeafProfiles);
  compare_leaves(model_of(scenario_text(16, R"({ dist = "uniform", low = 0.0, high = 1.0 })", kAllKinds)), 256 * 17);
  compare_leaves(model_of(scenario_text(2, R"({ dist = "power", low = 0.0, high = 1.0, k = 0.5 })", kAllKinds)), 0);
  compare_leaves(model_of(scenario_text(5, R"({ dist = "uniform", low = 0.0, high = 2.0 })", R"(
[[mechanisms]]
kind = "first_price"
strategy = "bne"
reserve = 0.2
[[mechanisms]]
kind = "second_price"
reserve = 0.7
)")), 2048);
  for (int n : {2, 5, 16})
    EXPECT_GT(compare_leaves(model_of(scenario_text(n, kFiveDiscrete, kTieMechanisms)), 0), 100) << "n = " << n;  // ties: the patched columns are exercised
  compare_leaves(model_of(R"(
samples = 1000
seed = 3
[[bidders]]
count = 3
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[bidders]]
count = 2
value = { dist = "power", low = 0.0, high = 1.0, k = 3.0 }
[[bidders]]
count = 2
value = { dist = "discrete", values = [0.2, 0.6, 0.9], probs = [0.3, 0.3, 0.4] }
)" + std::string(kThreeGroupMechanisms)), 256 * 40);
}

TEST(FastPath, FusedSingleMechanismLeavesEqualLeafByLeafReference) {
  // One group and one second- or first-price mechanism: run_leaves' fused loop on AVX-512 (the top pass,
  // the metrics and the sums in registers; uniform values computed from the uniforms when bids are
  // truthful; the revenue-difference sums of mechanism 0 left at +0 unless a batch is refused). Every
  // n the loop unrolls for and one it does not, reserves, a seller value, non-uniform values,
  // equilibrium and shaded bids, ties (discrete values, and uniform values so narrow that most
  // profiles tie) and revenues whose squares overflow (every batch goes to the exact pass).
  const std::string u01 = R"({ dist = "uniform", low = 0.0, high = 1.0 })";
  const std::string sp = "[[mechanisms]]\nkind = \"second_price\"\nreserve = 0.3\n";
  for (int n : {2, 3, 4, 5, 6, 7, 8, 10, 12}) EXPECT_EQ(compare_leaves(model_of(scenario_text(n, u01, sp)), 0), 0) << n;
  compare_leaves(model_of(scenario_text(5, u01, "[[mechanisms]]\nkind = \"second_price\"\nseller_value = 0.4\n")),
                 (std::uint64_t(1) << 32) - 3 * kLeafProfiles);
  // a seller value, and values, prices and reserves of either sign (the seller-value-zero shortcut
  // must not apply to a reserve of -0.0 nor to a seller value of -0.0)
  for (int n : {3, 5, 7, 10})
    for (const char* mech : {"[[mechanisms]]\nkind = \"second_price\"\nseller_value = 0.4\nreserve = 0.1\n",
                             "[[mechanisms]]\nkind = \"second_price\"\nreserve = -0.0\n",
                             "[[mechanisms]]\nkind = \"second_price\"\nseller_value = -0.0\n",
                             "[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"truthful\"\nreserve = -0.0\n",
                             "[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"truthful\"\nseller_value = 0.25\n"})
      compare_leaves(model_of(scenario_text(n, R"({ dist = "uniform", low = -1.0, high = 0.5 })", mech)), 256 * 8 * n);
  compare_leaves(model_of(scenario_text(5, u01, "[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"truthful\"\n")),
                 256 * 8);
  for (int n : {5, 7, 10}) {
    compare_leaves(model_of(scenario_text(n, R"({ dist = "uniform", low = 0.0, high = 2.0 })",
                                          "[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"bne\"\nreserve = 0.4\n")),
                   0);
    compare_leaves(model_of(scenario_text(n, R"({ dist = "power", low = 0.0, high = 1.0, k = 0.5 })", sp)), 256 * 24);
  }
  compare_leaves(model_of(scenario_text(
                     6, u01, "[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"shade\"\nfactor = 0.8\nreserve = 0.2\n")),
                 0);
  for (int n : {2, 5, 9}) {
    EXPECT_GT(compare_leaves(model_of(scenario_text(n, kFiveDiscrete, "[[mechanisms]]\nkind = \"second_price\"\n")), 0),
              100)
        << n;
    EXPECT_GT(compare_leaves(model_of(scenario_text(n, kFiveDiscrete,
                                                    "[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"shade\"\nfactor = 0.9\n")),
                             0),
              100)
        << n;
    // 1 + 2^-50 · u takes few values: most profiles tie, in the loop that computes the values itself
    EXPECT_GT(compare_leaves(model_of(scenario_text(n, R"({ dist = "uniform", low = 1.0, high = 1.00000000000000088817841970012523 })",
                                                    "[[mechanisms]]\nkind = \"second_price\"\n")),
                             0),
              100)
        << n;
  }
  compare_leaves(model_of(scenario_text(5, R"({ dist = "uniform", low = 0.0, high = 1e300 })", sp)), 0);
  compare_leaves(model_of(scenario_text(5, R"({ dist = "uniform", low = 0.0, high = 1e300 })",
                                        "[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"bne\"\n")),
                 0);
}

TEST(FastPath, BackendEqualsGenericForEveryChunkingAndThreadCount) {
  // Chunks of 1, 4, 8 and 64 leaves (run_leaves takes groups of eight whole leaves, the rest goes leaf
  // by leaf), a partial last leaf, ties, 1 and 2 threads: the fast backend's bits are the generic one's.
  const std::string discrete = R"({ dist = "discrete", values = [0.0, 0.5, 1.0], probs = [0.3, 0.3, 0.4] })";
  for (const std::string& text : {scenario_text(5, R"({ dist = "uniform", low = 0.0, high = 1.0 })", kAllKinds),
                                  scenario_text(3, discrete, kAllKinds)}) {
    const ModelData md = model_of(text);
    const std::uint64_t samples = 3 * 8 * 256 * 8 + 5 * 256 + 77;
    RunOptions o;
    o.backend = Backend::Cpu;
    o.fast_path = false;
    o.threads = 1;
    const std::vector<double> want = run_cpu(md, samples, o);
    o.fast_path = true;
    for (std::uint64_t chunk : {256u, 1024u, 2048u, 16384u})
      for (int threads : {1, 2}) {
        o.chunk_profiles = chunk;
        o.threads = threads;
        const std::vector<double> got = run_cpu(md, samples, o);
        ASSERT_EQ(got.size(), want.size());
        for (size_t k = 0; k < want.size(); ++k)
          ASSERT_TRUE(same_bits(got[k], want[k])) << "chunk " << chunk << ", " << threads << " threads, entry " << k;
      }
  }
}

TEST(FastPath, IneligibleModelsAreRefusedWithTheReason) {
  auto why_of = [](const std::string& text) {
    std::string why;
    const ModelData md = model_of(text);
    EXPECT_FALSE(fast::make_fast_plan(md.view(), &why).eligible);
    return why;
  };
  const std::string uni = R"({ dist = "uniform", low = 0.0, high = 1.0 })";
  EXPECT_EQ(why_of(scenario_text(4, uni, R"(
[[mechanisms]]
kind = "second_price"
incentives = { expost_regret = true, deviations = 4 }
)")), "incentive statistics");
  EXPECT_EQ(run_cpu_scenario(parse_scenario(scenario_text(4, uni, R"(
[[mechanisms]]
kind = "second_price"
incentives = { expost_regret = true, deviations = 4 }
)")), 1).path, "generic path (incentive statistics)");
  EXPECT_EQ(why_of(scenario_text(4, uni, R"(
[[mechanisms]]
kind = "second_price"
reserve = 0.3
reserve_mode = "lazy"
)")), "second_price with reserve_mode = \"lazy\"");
  EXPECT_EQ(why_of(scenario_text(4, R"({ dist = "exponential", rate = 1.0 })", R"(
[[mechanisms]]
kind = "first_price"
strategy = "bne"
)")), "mechanism 0: a tabulated or mixed strategy");
  EXPECT_EQ(why_of(scenario_text(4, uni, R"(
[[mechanisms]]
kind = "third_price"
)")), "mechanism 0 is not second_price, first_price, all_pay or posted_price");
  {
    Scenario sc = parse_scenario(scenario_text(4, uni, "[[mechanisms]]\nkind = \"second_price\"\n"));
    sc.variance_reduction = VrMethod::Antithetic;
    ModelData md = build_model(sc);
    prepare_variance_reduction(sc, md);
    std::string why;
    EXPECT_FALSE(fast::make_fast_plan(md.view(), &why).eligible);
    EXPECT_EQ(why, "variance reduction");
  }
  // n above the bound
  EXPECT_FALSE(fast::make_fast_plan(model_of(scenario_text(fast::kMaxBidders + 1, uni, "[[mechanisms]]\nkind = \"second_price\"\n")).view()).eligible);
}
