// The CUDA fast kernel (kernels/fast_paths.cu) emulated on the CPU.
// - Its per-profile body (fast::kernel_row<N, R>: the values streamed once, no per-profile arrays;
//   mcrev/pipeline/fast_kernel_body.hpp) against evaluate_values (the generic pipeline), every metric
//   bit for bit, profile by profile: every rule as the pass's mechanism and as mechanism 0 (the
//   baseline), n = 2..8, with ties at the top (shading by 0, power values with k = 1e16), reserves
//   nobody meets, bidders below a first-price entry, posted prices with several buyers and none.
// - Its keyed Philox (the key schedule as a kernel parameter) against philox_block.
// - Its per-thread leaves (fast::kernel_leaf, kernel_leaf_finish) over the kernel's geometry (blocks
//   of 128 threads, one leaf of 256 profiles per thread, one mechanism per pass), its block tree
//   (tree_step_comoment, then tree_step_moment per metric), chunk partials merged by a TreeReducer:
//   bitwise the CPU backend (fast path) and the generic kernel's emulation.
// With a device, Gpu.FastKernelEqualsCpuBitForBit (tests/gpu_test.cpp) runs the real kernel.
#include "mcrev/pipeline/fast_kernel_body.hpp"

#include "emulated_grid.hpp"
#include "test_util.hpp"

#include <algorithm>
#include <cstring>
#include <random>

using namespace mcrev;
using namespace mcrev::test;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

constexpr int K = fast::kKernelMetrics;

// Chunk c of pass m as fast_kernel<N, R> computes it ([n, mean[K], m2[K], cross]).
template <int N>
std::vector<double> fast_chunk(const fast::FastPass& pass, std::uint64_t samples, std::uint64_t c) {
  constexpr int kRows = 3 * K + 1;
  std::vector<double> acc(static_cast<size_t>(kRows) * kBlock), n(kBlock), sn(kBlock), sa(kBlock), sb(kBlock);
  for (int t = 0; t < kBlock; ++t) {  // the kernel's [row][thread] layout: thread t at acc + t, stride kBlock
    const ThreadRange r = thread_range(c, t, kBlock, kLeafProfiles, samples);
    n[t] = static_cast<double>(r.end - r.begin);
    fast::kernel_leaf_any<N>(pass, r.begin, r.end, acc.data() + t, kBlock);
    fast::kernel_leaf_finish(n[t], acc.data() + t, kBlock);
  }
  std::vector<double> out(1 + 2 * K + 1);
  sn = n;
  for (int t = 0; t < kBlock; ++t) {
    sa[t] = acc[metric::kSurplus * kBlock + t];
    sb[t] = acc[metric::kOptSurplus * kBlock + t];
  }
  for (int s = 1; s < kBlock; s *= 2)
    for (int t = 0; t < kBlock; t += 2 * s) tree_step_comoment(sn.data(), sa.data(), sb.data(), acc.data() + 3 * K * kBlock, t, s);
  out[1 + 2 * K] = acc[3 * K * kBlock];
  for (int k = 0; k < K; ++k) {
    sn = n;
    for (int s = 1; s < kBlock; s *= 2)
      for (int t = 0; t < kBlock; t += 2 * s)
        tree_step_moment(sn.data(), acc.data() + k * kBlock, acc.data() + (2 * K + k) * kBlock, t, s);
    out[0] = sn[0];
    out[1 + k] = acc[k * kBlock];
    out[1 + K + k] = acc[(2 * K + k) * kBlock];
  }
  return out;
}

// Every pass of the emulated fast kernel, merged over chunks, against the CPU backend's partial and
// against the generic kernel's emulation (emulate_chunk), entry by entry.
template <int N>
void expect_fast_kernel_equals_cpu(const Scenario& sc) {
  const ModelData md = build_model(sc);
  const fast::FastPlan plan = fast::make_fast_plan(md.view());
  ASSERT_TRUE(plan.device_eligible);
  ASSERT_EQ(plan.n, N);
  RunOptions o;
  o.backend = Backend::Cpu;
  o.threads = 2;
  const std::vector<double> cpu = run(sc, o).partial;
  const PartialShape full = md.shape(), sh = pass_shape(md.view(), 0, 1);
  const MechanismPairs pairs{K};
  for (int m = 0; m < plan.n_mechanisms; ++m) {
    TreeReducer fast_chunks(sh, pairs), generic_chunks(sh, pairs);
    const fast::FastPass pass = fast::make_fast_pass(plan, m);
    for (std::uint64_t c = 0; c * kBlock * kLeafProfiles < sc.samples; ++c) {
      const std::vector<double> f = fast_chunk<N>(pass, sc.samples, c);
      const std::vector<double> g = emulate_chunk(md, sc.samples, c, m, m + 1);
      for (size_t k = 0; k < f.size(); ++k) ASSERT_TRUE(same_bits(f[k], g[k])) << "mechanism " << m << " chunk " << c << " entry " << k;
      fast_chunks.push(0, f);
      generic_chunks.push(0, g);
    }
    const std::vector<double> f = fast_chunks.finish();
    EXPECT_TRUE(same_bits(f[0], cpu[0]));
    for (int k = 0; k < K; ++k) {
      EXPECT_TRUE(same_bits(f[1 + k], cpu[1 + m * K + k])) << "mechanism " << m << " mean " << k;
      EXPECT_TRUE(same_bits(f[1 + K + k], cpu[1 + full.metrics + m * K + k])) << "mechanism " << m << " m2 " << k;
    }
    EXPECT_TRUE(same_bits(f[1 + 2 * K], cpu[1 + 2 * full.metrics + m])) << "mechanism " << m << " cross";
  }
}

// What the profiles of a comparison exercised, per rule of the pass's mechanism.
struct Cases {
  int profiles[4] = {}, several[4] = {}, nobody[4] = {};  // several candidates (a tie at the top, buyers); none
  int base_several[4] = {};  // passes m > 0 whose mechanism 0 (of this rule) had several candidates
};

// The candidates of mechanism mk on values v (argmax_bid's, PriceOffer's), counted independently of
// the kernel's code: eligible bids equal to the highest eligible bid, or buyers at or above the price.
int candidates_of(const fast::FastMech& mk, const std::vector<double>& v) {
  std::vector<double> b(v.size());
  for (size_t k = 0; k < v.size(); ++k) b[k] = mk.rule == fast::Rule::PostedPrice ? v[k] : fast::bid(mk.strategy[0], v[k]);
  if (mk.rule == fast::Rule::PostedPrice) return static_cast<int>(std::count_if(b.begin(), b.end(), [&](double x) { return x >= mk.price; }));
  double best = kNoBid;
  for (double x : b)
    if (x >= mk.reserve[0] && x > best) best = x;
  if (!(best > kNoBid)) return 0;
  return static_cast<int>(std::count_if(b.begin(), b.end(), [&](double x) { return x == best && x >= mk.reserve[0]; }));
}

// Every pass m of the plan, profiles [0, profiles): kernel_row<N, form of m> (through kernel_block)
// against evaluate_values(m_begin = m, m_end = m + 1), every metric bit for bit.
template <int N>
void compare_rows(const ModelData& md, std::uint64_t profiles, Cases& cases) {
  const Model m = md.view();
  std::string why;
  const fast::FastPlan plan = fast::make_fast_plan(m, &why);
  ASSERT_TRUE(plan.device_eligible) << why;
  ASSERT_EQ(plan.n, N);
  ASSERT_EQ(m.metrics_per_mechanism(), K);
  std::vector<double> v(N), b(m.scratch_doubles()), generic(K), x(K);
  int mismatches = 0;
  for (int mm = 0; mm < plan.n_mechanisms; ++mm) {
    const fast::FastPass pass = fast::make_fast_pass(plan, mm);
    const int rule = static_cast<int>(pass.mech.rule);
    for (std::uint64_t p = 0; p < profiles && mismatches < 5; ++p) {
      draw_values(m, p, v.data());
      evaluate_values(m, p, mm, mm + 1, v.data(), b.data(), generic.data());
      fast::kernel_block(pass, fast::kernel_row_any<N>(pass, p), x.data());
      for (int k = 0; k < K; ++k)
        if (!same_bits(generic[k], x[k])) {
          ADD_FAILURE() << "n " << N << " mechanism " << mm << " profile " << p << " metric " << k << ": kernel "
                        << x[k] << " vs generic " << generic[k];
          ++mismatches;
        }
      const int c = candidates_of(pass.mech, v);
      ++cases.profiles[rule];
      cases.several[rule] += c > 1;
      cases.nobody[rule] += c == 0;
      if (mm > 0) cases.base_several[static_cast<int>(pass.base.rule)] += candidates_of(pass.base, v) > 1;
    }
  }
}

// The scenario text: n bidders with the given values, then the mechanisms in the order given,
// rotated by `first` (so that each rule is mechanism 0, the baseline of the other passes, in turn).
std::string rows_scenario(int n, const std::string& value, std::vector<std::string> mechanisms, int first) {
  std::rotate(mechanisms.begin(), mechanisms.begin() + first, mechanisms.end());
  std::string s = "samples = 1000\nseed = 23\n[[bidders]]\ncount = " + std::to_string(n) + "\nvalue = " + value + "\n";
  for (const std::string& mk : mechanisms) s += "[[mechanisms]]\n" + mk + "\n";
  return s;
}

// Every rule with binding reserves, a first-price entry (bne with a reserve: kNoBid below it), a
// reserve above the support (nobody eligible), posted prices that several buyers or nobody meet.
const std::vector<std::string> kKinds = {
    "kind = \"second_price\"\nreserve = 0.45",
    "kind = \"first_price\"\nstrategy = \"bne\"\nreserve = 0.3",
    "kind = \"all_pay\"\nstrategy = \"bne\"",
    "kind = \"posted_price\"\nprice = 0.25\nseller_value = 0.1",
    "kind = \"second_price\"\nreserve = 1.5",
    "kind = \"all_pay\"\nstrategy = \"shade\"\nfactor = 0.5\nreserve = 0.2",
    "kind = \"first_price\"\nstrategy = \"shade\"\nfactor = 0.8",
    "kind = \"posted_price\"\nprice = 1.5",
    "kind = \"first_price\"\nstrategy = \"shade\"\nfactor = 0.9\nreserve = 0.85",
};
// Ties at the top in most profiles: bids shaded by 1e-323 (twice the least subnormal) take one of
// three values 0, 4.9e-324 and 9.9e-324, so several bidders share the top bid (the winner drawn from
// the auxiliary stream); a posted price every value meets; reserves no such bid meets.
const std::vector<std::string> kTies = {
    "kind = \"first_price\"\nstrategy = \"shade\"\nfactor = 1e-323",
    "kind = \"all_pay\"\nstrategy = \"shade\"\nfactor = 1e-323",
    "kind = \"second_price\"\nstrategy = \"shade\"\nfactor = 1e-323\nseller_value = 0.3",
    "kind = \"posted_price\"\nprice = 0.0",
    "kind = \"all_pay\"\nstrategy = \"shade\"\nfactor = 1e-323\nreserve = 0.1",
    "kind = \"second_price\"\nstrategy = \"shade\"\nfactor = 1e-323\nreserve = 0.1",
};
// Power values with k = 1e16: pow(u, 1e-16) rounds to 1 or a double just below, so the top values
// (and truthful or shaded bids) tie in many profiles while the lower ones differ.
const std::vector<std::string> kPowerTies = {
    "kind = \"second_price\"\nreserve = 0.9999999999999999",
    "kind = \"first_price\"\nstrategy = \"shade\"\nfactor = 0.5",
    "kind = \"all_pay\"\nstrategy = \"truthful\"\nreserve = 0.5",
    "kind = \"posted_price\"\nprice = 1.0",
};

template <int N>
void compare_rows_all(std::uint64_t profiles, Cases& cases) {
  for (int first = 0; first < 4; ++first) {
    compare_rows<N>(build_model(parse_scenario(rows_scenario(N, R"({ dist = "uniform", low = 0.0, high = 1.0 })", kKinds, first))),
                    profiles, cases);
    compare_rows<N>(build_model(parse_scenario(rows_scenario(N, R"({ dist = "uniform", low = 0.0, high = 1.0 })", kTies, first))),
                    profiles / 4, cases);
    compare_rows<N>(build_model(parse_scenario(
                        rows_scenario(N, R"({ dist = "power", low = 0.0, high = 1.0, k = 1e16 })", kPowerTies, first))),
                    profiles / 4, cases);
  }
  compare_rows<N>(build_model(parse_scenario(rows_scenario(N, R"({ dist = "exponential", rate = 1.5 })",
                                                           {kKinds[0], kKinds[3], kKinds[5], kKinds[6]}, 0))),
                  profiles, cases);
}

}  // namespace

TEST(FastKernel, DefaultScenarioEmulatedEqualsCpuAndGenericKernelBitForBit) {
  // 2 full chunks and a partial one (threads with no profiles in the last chunk).
  Scenario sc = default_scenario();
  sc.samples = 2 * 32768 + 5000;
  sc.seed = 17;
  expect_fast_kernel_equals_cpu<5>(sc);
}

TEST(FastKernel, ReserveAndTieHeavyScenarioEmulatedEqualsCpuBitForBit) {
  // Power values with k = 1e16: pow(u, 1e-16) rounds to 1 or to the doubles just below, so the top values tie in
  // most profiles (the kernel draws the winner from the auxiliary stream as argmax_bid does); binding
  // reserves and a posted price at the top of the support.
  Scenario sc = parse_scenario(R"(
samples = 40000
seed = 5
[[bidders]]
count = 3
value = { dist = "power", low = 0.0, high = 1.0, k = 1e16 }
[[mechanisms]]
kind = "second_price"
reserve = 0.9999999999999999
[[mechanisms]]
kind = "first_price"
strategy = "shade"
factor = 0.5
[[mechanisms]]
kind = "all_pay"
strategy = "truthful"
reserve = 0.5
[[mechanisms]]
kind = "posted_price"
price = 1.0
)");
  // the scenario is tie-heavy indeed: count profiles whose top two values are equal
  const ModelData md = build_model(sc);
  std::vector<double> v(3);
  int ties = 0;
  for (std::uint64_t p = 0; p < 2000; ++p) {
    draw_values(md.view(), p, v.data());
    std::sort(v.begin(), v.end());
    ties += v[2] == v[1];
  }
  EXPECT_GT(ties, 500);
  expect_fast_kernel_equals_cpu<3>(sc);
}

TEST(FastKernel, TwoAndEightBiddersEmulatedEqualCpu) {
  Scenario a = default_scenario();
  a.groups[0].count = 2;
  a.samples = 32768 + 100;
  a.seed = 3;
  a.mechanisms.resize(3);  // second price, with reserve, first price BNE
  expect_fast_kernel_equals_cpu<2>(a);
  Scenario b = iid(8, exponential(2.0), 32768 + 999, 9);
  b.mechanisms = {mech(MechKind::SecondPrice), mech(MechKind::AllPay, "ap", 0.3, StrategySpec::Truthful),
                  mech(MechKind::PostedPrice, "pp", 0.0, StrategySpec::Truthful, 0.8)};
  expect_fast_kernel_equals_cpu<8>(b);
}

TEST(FastKernel, KeyedPhiloxEqualsPhiloxBlock) {
  std::mt19937_64 gen(12);
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t seed = gen(), profile = i % 7 == 0 ? gen() : gen() >> 20;  // the antithetic bit too
    const std::uint32_t lane = static_cast<std::uint32_t>(gen() % 5), block = static_cast<std::uint32_t>(gen() % 3);
    const uint4 a = philox_block(seed, profile, lane, block);
    const uint4 b = fast::philox_block_keyed(fast::philox_keys(seed), profile, lane, block);
    ASSERT_TRUE(a.x == b.x && a.y == b.y && a.z == b.z && a.w == b.w) << "seed " << seed << " profile " << profile;
  }
}

TEST(FastKernel, StreamedProfileEqualsGenericPipelineBitForBit) {
  // Every pass m (mechanism 0 run for the baseline when m > 0) of every scenario, each rule first in
  // turn, n = 2..8; then what the profiles exercised, counted without the kernel's code.
  Cases c;
  compare_rows_all<2>(1500, c);
  compare_rows_all<3>(1500, c);
  compare_rows_all<4>(1500, c);
  compare_rows_all<5>(1500, c);
  compare_rows_all<6>(1500, c);
  compare_rows_all<7>(1500, c);
  compare_rows_all<8>(1500, c);
  for (int r = 0; r < 4; ++r) {
    EXPECT_GT(c.several[r], 1000) << "rule " << r << ": several candidates (ties, buyers)";
    EXPECT_GT(c.nobody[r], 1000) << "rule " << r << ": no candidate (reserves, prices)";
    EXPECT_GT(c.base_several[r], 1000) << "rule " << r << " as mechanism 0 with several candidates";
    EXPECT_GT(c.profiles[r] - c.several[r] - c.nobody[r], 1000) << "rule " << r << ": one candidate";
  }
}

TEST(FastKernel, TiesAndEveryKindEmulatedEqualCpuBitForBit) {
  // Ties in every profile (first price with ties as mechanism 0: its baseline draws the winner too),
  // n = 4; every kind with entry, reserves nobody meets and posted prices, n = 6 and 7 (a second
  // Philox block per profile). One full chunk and a partial one each.
  Scenario ties = parse_scenario(rows_scenario(4, R"({ dist = "uniform", low = 0.0, high = 1.0 })", kTies, 0));
  ties.samples = 32768 + 3000;
  expect_fast_kernel_equals_cpu<4>(ties);
  Scenario kinds = parse_scenario(rows_scenario(6, R"({ dist = "uniform", low = 0.0, high = 1.0 })", kKinds, 2));
  kinds.samples = 32768 + 77;
  expect_fast_kernel_equals_cpu<6>(kinds);
  Scenario power = parse_scenario(rows_scenario(7, R"({ dist = "power", low = 0.0, high = 1.0, k = 1e16 })", kPowerTies, 3));
  power.samples = 32768 + 1234;
  expect_fast_kernel_equals_cpu<7>(power);
}
