// The CUDA kernel's per-thread body and block reduction run over an emulated grid on the CPU: the
// kernel's geometry (blocks of 128 threads, one leaf of kLeafProfiles profiles per thread), its
// canonical block tree (tree_step_moment / tree_step_comoment, one metric or pair at a time, in the
// order the device runs the steps), chunk partials merged by a TreeReducer. The result must equal
// the CPU backend bit for bit; only CUB-free launch mechanics stay unproven without a device.
#include "mcrev/pipeline/kernel_body.hpp"

#include "emulated_grid.hpp"
#include "test_util.hpp"
#include "vr/variance_reduction.hpp"

#include <cmath>
#include <cstring>
#include <string>

using namespace mcrev;
using namespace mcrev::test;

namespace {

// Emulates estimate_kernel for mechanisms [m0, m1): chunk partials merged by a TreeReducer.
std::vector<double> emulate(const ModelData& md, std::uint64_t samples, int m0, int m1, int block = kBlock,
                            std::uint64_t per_thread = kLeafProfiles) {
  const PartialShape sh = pass_shape(md.view(), m0, m1);
  TreeReducer chunks(sh, MechanismPairs{md.view().metrics_per_mechanism()});
  for (std::uint64_t c = 0; c * block * per_thread < samples; ++c)
    chunks.push(0, emulate_chunk(md, samples, c, m0, m1, block, per_thread));
  return chunks.finish();
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Emulated pass [m0, m1) against the full CPU partial: every entry bit for bit.
void expect_pass_equals_cpu(const std::vector<double>& g, const std::vector<double>& cpu, const ModelData& md, int m0,
                            int m1) {
  const PartialShape full = md.shape();
  const PartialShape sh = pass_shape(md.view(), m0, m1);
  const int B = md.view().metrics_per_mechanism();
  EXPECT_TRUE(same_bits(g[0], cpu[0]));
  for (int k = 0; k < sh.metrics; ++k) {
    EXPECT_TRUE(same_bits(g[1 + k], cpu[1 + m0 * B + k])) << "mean " << k << ": " << g[1 + k] << " vs " << cpu[1 + m0 * B + k];
    EXPECT_TRUE(same_bits(g[1 + sh.metrics + k], cpu[1 + full.metrics + m0 * B + k])) << "m2 " << k;
  }
  for (int p = 0; p < sh.pairs; ++p)
    EXPECT_TRUE(same_bits(g[1 + 2 * sh.metrics + p], cpu[1 + 2 * full.metrics + m0 + p])) << "cross " << p;
}

}  // namespace

TEST(KernelBody, ThreadRangesTileTheProfilesExactly) {
  const std::uint64_t samples = 10007;
  std::uint64_t covered = 0, next = 0;
  for (std::uint64_t c = 0; c < 5; ++c)
    for (int t = 0; t < 8; ++t) {
      const ThreadRange r = thread_range(c, t, 8, 256, samples);
      if (r.begin < r.end) {
        EXPECT_EQ(r.begin, next);
        next = r.end;
        covered += r.end - r.begin;
      }
    }
  EXPECT_EQ(covered, samples);
}

TEST(KernelBody, EmulatedGridEqualsCpuBackendBitForBit) {
  // 3 full chunks of 32768 profiles and a partial one (the reported divergence began at 24,577
  // profiles, when a block's fourth warp first held data).
  Scenario sc = default_scenario();
  sc.samples = 3 * 32768 + 25000;
  sc.seed = 99;
  const ModelData md = build_model(sc);
  for (std::uint64_t chunk : {std::uint64_t{1} << 15, std::uint64_t{1} << 16, std::uint64_t{1} << 8}) {
    RunOptions o;
    o.backend = Backend::Cpu;
    o.chunk_profiles = chunk;
    o.threads = 2;
    const std::vector<double> cpu = run(sc, o).partial;
    // All mechanisms in one pass, and in passes of two (as the kernel does when metrics exceed MaxK).
    for (int per_pass : {5, 2})
      for (int m0 = 0; m0 < 5; m0 += per_pass) {
        const int m1 = std::min(5, m0 + per_pass);
        expect_pass_equals_cpu(emulate(md, sc.samples, m0, m1), cpu, md, m0, m1);
      }
  }
}

TEST(KernelBody, EmulatedGridEqualsCpuBackendWithIncentivesAndUnits) {
  // An incentives scenario and a multi-unit one: the extra metrics and dense outcomes reduce alike.
  const char* scenarios[] = {R"(
samples = 40000
seed = 7
[[bidders]]
count = 4
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[mechanisms]]
kind = "second_price"
[[mechanisms]]
kind = "first_price"
strategy = "shade"
factor = 0.7
incentives = { expost_regret = true, deviations = 8, refine_levels = 1 }
)",
                             R"(
samples = 40000
seed = 8
[market]
kind = "units"
units = 2
[[bidders]]
count = 6
demand = 2
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[mechanisms]]
kind = "vcg"
[[mechanisms]]
kind = "uniform_price"
incentives = { expost_regret = true, deviations = 8, refine_levels = 0 }
)"};
  for (const char* text : scenarios) {
    const Scenario sc = parse_scenario(text);
    const ModelData md = build_model(sc);
    RunOptions o;
    o.backend = Backend::Cpu;
    const std::vector<double> cpu = run(sc, o).partial;
    expect_pass_equals_cpu(emulate(md, sc.samples, 0, 2), cpu, md, 0, 2);
  }
}

TEST(KernelBody, GridShapeDoesNotChangeTheBits) {
  // The tree is canonical: any power-of-two block size gives the same chunk partials' merge.
  Scenario sc = iid(10, exponential(1.0), 20000, 4);
  sc.mechanisms = {mech(MechKind::SecondPrice), mech(MechKind::FirstPrice, "fp", 0.2, StrategySpec::Bne)};
  const ModelData md = build_model(sc);
  const auto a = emulate(md, sc.samples, 0, 2, 8);
  const auto b = emulate(md, sc.samples, 0, 2, 128);
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) EXPECT_TRUE(same_bits(a[k], b[k])) << "entry " << k;
}

// variance_reduction (docs/variance_reduction.md): the emulated kernel runs evaluate_unit through
// thread_partial like the CPU backend; each method's partial is bitwise the CPU backend's, in one pass
// and in passes of two mechanisms (antithetic pairs and rqmc replicates included).
TEST(KernelBody, VarianceReductionEmulatedGridEqualsCpuBackendBitForBit) {
  Scenario sc = default_scenario();
  sc.seed = 5;
  const std::uint64_t units = 32768 + 3000;
  for (VrMethod method : {VrMethod::Antithetic, VrMethod::ControlVariate, VrMethod::Rqmc}) {
    sc.variance_reduction = method;
    ModelData md = build_model(sc);
    prepare_variance_reduction(sc, md);
    if (method == VrMethod::Rqmc) md = rqmc_replicate_model(md, sc.seed, 3);
    RunOptions o;
    o.backend = Backend::Cpu;
    o.threads = 2;
    o.chunk_profiles = 1u << 12;
    const std::vector<double> cpu = run_cpu(md, units, o);
    for (int per_pass : {5, 2})
      for (int m0 = 0; m0 < 5; m0 += per_pass) {
        const int m1 = std::min(5, m0 + per_pass);
        expect_pass_equals_cpu(emulate(md, units, m0, m1), cpu, md, m0, m1);
      }
  }
}

namespace {
// A scenario whose one mechanism block exceeds the old 256-metric pass bound of the CUDA kernel: a
// units market of 30 groups of one bidder with incentive statistics, 286 metrics
// (tests/gpu_test.cpp too).
Scenario wide_block_scenario(std::uint64_t samples) {
  std::string text = "samples = " + std::to_string(samples) + "\nseed = 3\n[market]\nkind = \"units\"\nunits = 2\n";
  for (int g = 0; g < 30; ++g)
    text += "[[bidders]]\nname = \"g" + std::to_string(g) + "\"\ncount = 1\nvalue = { dist = \"uniform\", low = 0.0, high = " +
            std::to_string(1.0 + 0.01 * g) + " }\n";
  text += "[[mechanisms]]\nkind = \"vcg\"\n"
          "incentives = { expost_regret = true, deviations = 4, refine_levels = 0 }\n";
  return parse_scenario(text);
}
}  // namespace

// The kernel's per-thread workspace (ThreadWorkspace, mcrev/pipeline/kernel_body.hpp): the five arrays
// tile the slice in order, each as long as thread_partial needs, and the slice is whole 32-byte
// sectors; a model whose mechanism block exceeds the old 256-metric pass bound runs through the
// emulated kernel bitwise like the CPU backend.
TEST(KernelBody, ThreadWorkspaceTilesItsSliceInOrder) {
  const Scenario many = wide_block_scenario(2000);
  const Scenario units = parse_scenario(R"(
samples = 1000
[market]
kind = "units"
units = 2
[[bidders]]
count = 5
demand = 3
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[mechanisms]]
kind = "vcg"
[[mechanisms]]
kind = "uniform_price"
incentives = { expost_regret = true, deviations = 4, refine_levels = 0 }
)");
  for (const Scenario& sc : {default_scenario(), units, many}) {
    const ModelData md = build_model(sc);
    const Model m = md.view();
    for (int m1 = 1; m1 <= m.n_mechanisms; ++m1) {
      const PartialShape sh = pass_shape(m, 0, m1);
      const int W = thread_workspace_doubles(m, sh);
      std::vector<double> slice(W);
      const ThreadWorkspace w = thread_workspace(m, sh, slice.data());
      EXPECT_EQ(W % 4, 0);
      EXPECT_EQ(w.v, slice.data());
      EXPECT_EQ(w.b - w.v, m.n_values);
      EXPECT_EQ(w.x - w.b, m.scratch_doubles());
      EXPECT_EQ(w.sums - w.x, sh.metrics);
      EXPECT_EQ(w.part - w.sums, 3 * sh.metrics + sh.pairs);
      EXPECT_LE(w.part + sh.size(), slice.data() + W);
      EXPECT_GT(w.part + sh.size() + 4, slice.data() + W);
    }
  }
  const ModelData md = build_model(many);
  ASSERT_EQ(md.view().metrics_per_mechanism(), 286);  // more than a pass's 256
  RunOptions o;
  o.backend = Backend::Cpu;
  const std::vector<double> cpu = run(many, o).partial;
  expect_pass_equals_cpu(emulate(md, many.samples, 0, 1), cpu, md, 0, 1);
}
