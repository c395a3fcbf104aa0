// The CUDA fast kernel (kernels/fast_paths.cu) emulated on the CPU: its per-thread body
// (fast::kernel_leaf, kernel_leaf_finish) over the kernel's geometry (blocks of 128 threads, one leaf
// of 256 profiles per thread, one mechanism per pass), its block tree (tree_step_comoment, then
// tree_step_moment per metric), chunk partials merged by a TreeReducer: bitwise the CPU backend (fast
// path) and the generic kernel's emulation, on the default scenario and a tie-heavy one. With a
// device, Gpu.FastKernelEqualsCpuBitForBit (tests/gpu_test.cpp) runs the real kernel.
#include "mcrev/pipeline/fast_single_item.hpp"

#include "emulated_grid.hpp"
#include "test_util.hpp"

#include <cstring>

using namespace mcrev;
using namespace mcrev::test;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

constexpr int K = fast::kKernelMetrics;

// Chunk c of pass m as fast_kernel<N> computes it ([n, mean[K], m2[K], cross]).
template <int N>
std::vector<double> fast_chunk(const fast::FastPass& pass, std::uint64_t samples, std::uint64_t c) {
  constexpr int kRows = 3 * K + 1;
  std::vector<double> acc(static_cast<size_t>(kRows) * kBlock), n(kBlock), sn(kBlock), sa(kBlock), sb(kBlock);
  for (int t = 0; t < kBlock; ++t) {  // the kernel's [row][thread] layout: thread t at acc + t, stride kBlock
    const ThreadRange r = thread_range(c, t, kBlock, kLeafProfiles, samples);
    double x[K];
    n[t] = fast::kernel_leaf<N>(pass, r.begin, r.end, acc.data() + t, kBlock, x);
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
