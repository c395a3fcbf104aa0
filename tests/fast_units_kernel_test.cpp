// The CUDA multi-unit kernel (kernels/fast_units.cu, units_kernel<kV, kT>) emulated on the CPU.
// - Its per-profile body (fast::units_pass_profile<kV, kT>: values, lists and sums in fixed-size
//   arrays indexed by compile-time positions; mcrev/pipeline/fast_units_kernel_body.hpp) against
//   evaluate_values (the generic pipeline), every metric bit for bit, profile by profile, every pass m
//   (mechanism 0 run for the baseline when m > 0), both buckets (16, 8) and (32, 16): vcg,
//   uniform_price (both rules), pay_as_bid; reserves per group; mixed demands; discrete values with
//   contested units (drawn in the thread as the generic rule draws them: counted independently, and
//   required to occur); negative values.
// - Its per-thread leaves (fast::units_kernel_leaf, units_leaf_finish) over the kernel's geometry
//   (blocks of 128 threads, one leaf of 256 profiles per thread, one mechanism per pass), its block
//   tree (tree_step_comoment, then tree_step_moment per metric), chunk partials merged by a
//   TreeReducer: bitwise each chunk of the generic kernel's emulation and the CPU backend's result.
// With a device, Gpu.FastUnitsKernelEqualsCpuBitForBit (tests/gpu_test.cpp) runs the real kernel.
#include "mcrev/pipeline/fast_units_kernel_body.hpp"

#include "emulated_grid.hpp"
#include "test_util.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <tuple>

using namespace mcrev;
using namespace mcrev::test;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

ModelData model_of(const std::string& text) { return build_model(parse_scenario(text)); }

fast::UnitsKernelPlan kernel_plan(const ModelData& md) {
  const Model m = md.view();
  std::string why;
  const fast::UnitsPlan plan = fast::make_units_plan(m, &why);
  EXPECT_TRUE(plan.eligible) << why;
  fast::UnitsKernelPlan kp;
  EXPECT_TRUE(fast::make_units_kernel_plan(m, plan, m.arena, &kp, &why)) << why;
  return kp;
}

// The kernel's instantiation for a plan (as kernels/fast_units.cu picks it).
using Leaf = void (*)(const fast::UnitsKernelPlan&, int, std::uint64_t, std::uint64_t, double*, int);
Leaf leaf_for(const fast::UnitsKernelPlan& kp) {
  return fast::units_kernel_bucket(kp.plan) == 0 ? fast::units_kernel_leaf<16, 8> : fast::units_kernel_leaf<32, 16>;
}

// Receives a profile's block (units_pass_profile's emit) and checks that every metric comes once.
struct BlockWriter {
  double* x;
  std::vector<int>* seen;
  void operator()(int k, double value) {
    x[k] = value;
    ++(*seen)[static_cast<size_t>(k)];
  }
  void pair(double surplus, double opt) {
    (*this)(metric::kSurplus, surplus);
    (*this)(metric::kOptSurplus, opt);
  }
};

template <int kV, int kT>
void block_of(const fast::UnitsKernelPlan& kp, int m, std::uint64_t p, BlockWriter& w) {
  fast::units_pass_profile<kV, kT>(kp, m, p, w);
}

// Whether mechanism mech's units at the threshold are contested on sorted values v (more eligible
// bids equal to the k-th highest than units left for them), counted without the kernel's code.
bool contested(const Model& m, const Mechanism& mech, const std::vector<double>& v) {
  std::vector<double> bids;
  for (int g = 0; g < m.n_groups; ++g) {
    const Group& gr = m.groups[g];
    for (int s = gr.first_value; s < gr.first_value + gr.count * gr.demand; ++s)
      if (v[s] >= m.reserve_of(mech, g)) bids.push_back(v[s]);
  }
  const size_t k = static_cast<size_t>(m.market.units);
  std::sort(bids.rbegin(), bids.rend());
  return bids.size() > k && bids[k] == bids[k - 1];
}

// Every pass m, profiles [0, profiles): the kernel body against evaluate_values(m, m + 1), every
// metric bit for bit, in the plan's bucket and (when it fits) in the larger one. Returns the number
// of (profile, mechanism) pairs whose units were contested.
std::uint64_t compare_profiles(const ModelData& md, std::uint64_t profiles) {
  const Model m = md.view();
  const fast::UnitsKernelPlan kp = kernel_plan(md);
  const int B = kp.plan.block();
  EXPECT_EQ(B, m.metrics_per_mechanism());
  std::vector<double> v(m.n_values), b(m.scratch_doubles()), generic(B), x(B);
  std::vector<int> seen(B);
  std::uint64_t tied = 0;
  int mismatches = 0;
  for (int bucket = fast::units_kernel_bucket(kp.plan); bucket < 2; ++bucket) {
    for (int mm = 0; mm < kp.plan.n_mechanisms; ++mm) {
      for (std::uint64_t p = 0; p < profiles && mismatches < 5; ++p) {
        draw_values(m, p, v.data());
        evaluate_values(m, p, mm, mm + 1, v.data(), b.data(), generic.data());
        std::fill(seen.begin(), seen.end(), 0);
        std::fill(x.begin(), x.end(), std::numeric_limits<double>::quiet_NaN());
        BlockWriter w{x.data(), &seen};
        if (bucket == 0)
          block_of<16, 8>(kp, mm, p, w);
        else
          block_of<32, 16>(kp, mm, p, w);
        for (int k = 0; k < B; ++k) {
          EXPECT_EQ(seen[k], 1) << "metric " << k << " emitted " << seen[k] << " times";
          if (!same_bits(generic[k], x[k])) {
            ADD_FAILURE() << "bucket " << bucket << " mechanism " << mm << " profile " << p << " metric " << k
                          << ": kernel " << x[k] << " vs generic " << generic[k];
            ++mismatches;
          }
        }
        if (bucket == 1) tied += contested(m, m.mechanisms[mm], v);
      }
    }
  }
  return tied;
}

// Chunk c of pass m as units_kernel computes it ([n, mean[B], m2[B], cross]).
std::vector<double> units_chunk(const fast::UnitsKernelPlan& kp, int m, std::uint64_t samples, std::uint64_t c) {
  const int B = kp.plan.block(), rows = 3 * B + 1;
  std::vector<double> acc(static_cast<size_t>(rows) * kBlock), n(kBlock), sn(kBlock), sa(kBlock), sb(kBlock);
  const Leaf leaf = leaf_for(kp);
  for (int t = 0; t < kBlock; ++t) {  // the kernel's [row][thread] layout: thread t at acc + t, stride kBlock
    const ThreadRange r = thread_range(c, t, kBlock, kLeafProfiles, samples);
    n[t] = static_cast<double>(r.end - r.begin);
    leaf(kp, m, r.begin, r.end, acc.data() + t, kBlock);
    fast::units_leaf_finish(n[t], acc.data() + t, kBlock, B);
  }
  std::vector<double> out(1 + 2 * B + 1);
  sn = n;
  for (int t = 0; t < kBlock; ++t) {
    sa[t] = acc[metric::kSurplus * kBlock + t];
    sb[t] = acc[metric::kOptSurplus * kBlock + t];
  }
  for (int s = 1; s < kBlock; s *= 2)
    for (int t = 0; t < kBlock; t += 2 * s) tree_step_comoment(sn.data(), sa.data(), sb.data(), acc.data() + 3 * B * kBlock, t, s);
  out[1 + 2 * B] = acc[3 * B * kBlock];
  for (int k = 0; k < B; ++k) {
    sn = n;
    for (int s = 1; s < kBlock; s *= 2)
      for (int t = 0; t < kBlock; t += 2 * s)
        tree_step_moment(sn.data(), acc.data() + k * kBlock, acc.data() + (2 * B + k) * kBlock, t, s);
    out[0] = sn[0];
    out[1 + k] = acc[k * kBlock];
    out[1 + B + k] = acc[(2 * B + k) * kBlock];
  }
  return out;
}

// Every pass of the emulated kernel, merged over chunks, against the CPU backend's partial and each
// chunk against the generic kernel's emulation (emulate_chunk), entry by entry.
void expect_units_kernel_equals_cpu(const Scenario& sc, int bucket) {
  const ModelData md = build_model(sc);
  const fast::UnitsKernelPlan kp = kernel_plan(md);
  ASSERT_EQ(fast::units_kernel_bucket(kp.plan), bucket);
  RunOptions o;
  o.backend = Backend::Cpu;
  o.threads = 2;
  const std::vector<double> cpu = run(sc, o).partial;
  const int B = kp.plan.block();
  const PartialShape full = md.shape(), sh = pass_shape(md.view(), 0, 1);
  const MechanismPairs pairs{B};
  for (int m = 0; m < kp.plan.n_mechanisms; ++m) {
    TreeReducer chunks(sh, pairs);
    for (std::uint64_t c = 0; c * kBlock * kLeafProfiles < sc.samples; ++c) {
      const std::vector<double> f = units_chunk(kp, m, sc.samples, c);
      const std::vector<double> g = emulate_chunk(md, sc.samples, c, m, m + 1);
      for (size_t k = 0; k < f.size(); ++k) ASSERT_TRUE(same_bits(f[k], g[k])) << "mechanism " << m << " chunk " << c << " entry " << k;
      chunks.push(0, f);
    }
    const std::vector<double> f = chunks.finish();
    EXPECT_TRUE(same_bits(f[0], cpu[0]));
    for (int k = 0; k < B; ++k) {
      EXPECT_TRUE(same_bits(f[1 + k], cpu[1 + m * B + k])) << "mechanism " << m << " mean " << k;
      EXPECT_TRUE(same_bits(f[1 + B + k], cpu[1 + full.metrics + m * B + k])) << "mechanism " << m << " m2 " << k;
    }
    EXPECT_TRUE(same_bits(f[1 + 2 * B], cpu[1 + 2 * full.metrics + m])) << "mechanism " << m << " cross";
  }
}

// Every rule, reserves that bind, seller values.
const char* const kAllRules = test::kUnitsAllRules;

// k units; groups given as (count, demand, value) triples; then the mechanisms.
std::string units_text(int k, const std::vector<std::tuple<int, int, std::string>>& groups, const std::string& mechanisms,
                       std::uint64_t samples = 1000, int seed = 5) {
  std::string s = "samples = " + std::to_string(samples) + "\nseed = " + std::to_string(seed) +
                  "\n[market]\nkind = \"units\"\nunits = " + std::to_string(k) + "\n";
  for (const auto& [count, demand, value] : groups)
    s += "[[bidders]]\ncount = " + std::to_string(count) + "\ndemand = " + std::to_string(demand) + "\nvalue = " + value + "\n";
  return s + mechanisms;
}

const std::string kUniform = R"({ dist = "uniform", low = 0.0, high = 1.0 })";
const std::string kAtoms = R"({ dist = "discrete", values = [0.0, 0.5, 1.0], probs = [0.3, 0.4, 0.3] })";

// Two groups with personal reserves (vcg k = 3, demands 2) and every rule.
const std::string kTwoGroupMechanisms = std::string(test::kUnitsTwoGroupRules) + R"(
[[mechanisms]]
kind = "vcg"
name = "vcg_plain"
)";

}  // namespace

TEST(FastUnitsKernel, ProfilesEqualGenericPipelineBitForBit) {
  std::uint64_t tied = 0;
  // one group, several k and demands (bucket (16, 8) and, where it fits, (32, 16) too)
  for (int k : {1, 3, 5})
    for (int d : {1, 2, 3}) compare_profiles(model_of(units_text(k, {{6, d, kUniform}}, kAllRules)), 300);
  // two groups, vcg k = 3, demands 2, personal reserves
  compare_profiles(model_of(units_text(3, {{3, 2, kUniform}, {2, 2, R"({ dist = "uniform", low = 0.2, high = 1.2 })"}},
                                       kTwoGroupMechanisms)),
                   1500);
  // mixed demands, three groups, exponential and power values; the larger bucket (20 slots, top 12)
  compare_profiles(model_of(units_text(9,
                                       {{3, 1, kUniform},
                                        {2, 3, R"({ dist = "exponential", rate = 2.0 })"},
                                        {3, 3, R"({ dist = "power", low = 0.0, high = 1.0, k = 2.0 })"}},
                                       kAllRules)),
                   600);
  // fewer eligible bids than units (reserves 0.4–0.55, six values for five units)
  compare_profiles(model_of(units_text(5, {{3, 2, kUniform}}, kAllRules)), 400);
  // discrete values: contested units in many profiles (drawn in the thread), negative values and zeros
  tied += compare_profiles(model_of(units_text(2, {{4, 2, kAtoms}}, kAllRules)), 1500);
  tied += compare_profiles(model_of(units_text(3, {{3, 2, kAtoms}, {2, 1, kAtoms}}, kTwoGroupMechanisms)), 1500);
  tied += compare_profiles(
      model_of(units_text(4,
                          {{5, 3, R"({ dist = "discrete", values = [-0.5, 0.0, 0.25, 0.5, 0.8], probs = [0.3, 0.2, 0.2, 0.2, 0.1] })"}},
                          kAllRules)),
      1000);
  EXPECT_GT(tied, 2000u) << "contested (profile, mechanism) pairs";
}

TEST(FastUnitsKernel, VcgTwoGroupsEmulatedEqualsCpuAndGenericKernelBitForBit) {
  // vcg with k = 3, demands 2, two groups, every rule; 2 full chunks and a partial one
  expect_units_kernel_equals_cpu(
      parse_scenario(units_text(3, {{3, 2, kUniform}, {2, 2, R"({ dist = "uniform", low = 0.2, high = 1.2 })"}},
                                kTwoGroupMechanisms, 2 * 32768 + 5000, 17)),
      0);
}

TEST(FastUnitsKernel, ContestedUnitsEmulatedEqualCpuBitForBit) {
  // discrete values: contested units in a large share of the profiles; one full chunk and a partial one
  const Scenario sc = parse_scenario(units_text(2, {{4, 2, kAtoms}}, kAllRules, 32768 + 1234, 9));
  const ModelData md = build_model(sc);
  std::vector<double> v(md.view().n_values);
  int tied = 0;
  for (std::uint64_t p = 0; p < 2000; ++p) {
    draw_values(md.view(), p, v.data());
    tied += contested(md.view(), md.view().mechanisms[0], v);
  }
  EXPECT_GT(tied, 200);
  expect_units_kernel_equals_cpu(sc, 0);
}

TEST(FastUnitsKernel, LargerBucketEmulatedEqualsCpuBitForBit) {
  // 20 value slots, top list 12: units_kernel<32, 16>; mixed demands, three groups, atoms in one
  expect_units_kernel_equals_cpu(parse_scenario(units_text(9,
                                                           {{3, 1, kUniform},
                                                            {2, 3, kAtoms},
                                                            {3, 3, R"({ dist = "power", low = 0.0, high = 1.0, k = 2.0 })"}},
                                                           kAllRules, 32768 + 777, 3)),
                                 1);
}

TEST(FastUnitsKernel, KernelPlanRefusalsNameTheReason) {
  const auto why_of = [](const std::string& text) {
    const ModelData md = model_of(text);
    const Model m = md.view();
    fast::UnitsKernelPlan kp;
    std::string why;
    EXPECT_FALSE(fast::make_units_kernel_plan(m, fast::make_units_plan(m), m.arena, &kp, &why));
    return why;
  };
  EXPECT_EQ(why_of(units_text(3, {{17, 2, kUniform}}, kAllRules)), "n · demand above 32 (the CUDA multi-unit kernel)");
  EXPECT_EQ(why_of(units_text(12, {{4, 5, kUniform}}, kAllRules)), "units + max demand above 16 (the CUDA multi-unit kernel)");
  EXPECT_EQ(why_of(units_text(3, {{4, 2, R"({ dist = "beta", alpha = 2.0, beta = 3.0 })"}}, kAllRules)),
            "group 0: values neither uniform, exponential, power nor discrete");
}
