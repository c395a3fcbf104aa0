// CUDA backend against the CPU backend; skipped with a reason without a device.
// Scenarios whose per-profile arithmetic is IEEE +, −, ×, ÷ and comparisons only (uniform values,
// truthful auctions, multi-unit VCG) must match bit for bit (the determinism contract,
// docs/determinism.md); scenarios that call log, exp or pow (exponential values, equilibrium tables)
// differ where CUDA's and glibc's transcendental functions round differently, so they are checked to
// 1e-12 relative.
#include "mcrev/pipeline/fast_single_item.hpp"
#include "backends/fast_cuda.hpp"
#include "test_util.hpp"

#include <cmath>
#include <cstring>

using namespace mcrev;
using namespace mcrev::test;

class Gpu : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name, why;
    if (!cuda_available(&name, &why)) GTEST_SKIP() << "no CUDA device: " << why;
  }
  // Runs sc on both backends and compares every partial entry: bit for bit (bitwise = true) or to
  // 1e-12 relative (the profile count always exactly).
  static void compare_backends(const Scenario& sc, bool bitwise) {
    RunOptions cpu, gpu;
    cpu.backend = Backend::Cpu;
    gpu.backend = Backend::Cuda;
    const RunResult a = run(sc, cpu), b = run(sc, gpu);
    ASSERT_EQ(b.backend, "cuda");
    ASSERT_EQ(a.partial.size(), b.partial.size());
    EXPECT_EQ(a.partial[0], b.partial[0]);
    for (size_t k = 1; k < a.partial.size(); ++k) {
      if (bitwise)
        EXPECT_EQ(std::memcmp(&a.partial[k], &b.partial[k], sizeof(double)), 0)
            << "entry " << k << ": cpu " << a.partial[k] << " gpu " << b.partial[k];
      else
        EXPECT_NEAR(b.partial[k], a.partial[k], 1e-12 * std::max(1.0, std::fabs(a.partial[k]))) << "entry " << k;
    }
  }
  static void expect_bitwise(const Scenario& sc) { compare_backends(sc, true); }
  static void expect_match(const Scenario& sc) { compare_backends(sc, false); }
};

TEST_F(Gpu, DefaultScenarioMatchesCpu) {
  // Uniform values; first price and all-pay bid their closed-form equilibria (integer powers only):
  // bitwise.
  Scenario sc = default_scenario();
  sc.samples = 3000017;
  expect_bitwise(sc);
}

TEST_F(Gpu, AsymmetricExponentialAndReservesMatchCpu) {
  Scenario sc = iid(3, exponential(2.0, 0.1), 1000003, 17);
  GroupSpec g;
  g.name = "b";
  g.count = 2;
  g.value = uniform(0, 2);
  sc.groups.push_back(g);
  MechanismSpec sp = mech(MechKind::SecondPrice);
  sp.group_reserves = {0.3, 0.6};
  sc.mechanisms = {sp, mech(MechKind::AllPay, "ap"), mech(MechKind::PostedPrice, "pp", 0, StrategySpec::Truthful, 0.7),
                   mech(MechKind::RandomOffer, "ro", 0, StrategySpec::Truthful, 0.5)};
  expect_match(sc);
}

TEST_F(Gpu, ManyBiddersAndManyMechanismsUseSeveralPasses) {
  Scenario sc = iid(200, uniform(0, 1), 200003, 3);
  for (int m = 0; m < 12; ++m) sc.mechanisms.push_back(mech(MechKind::SecondPrice, "sp" + std::to_string(m), m * 0.08));
  for (int g = 1; g < 9; ++g) {
    GroupSpec gs;
    gs.name = "g" + std::to_string(g);
    gs.count = 3;
    gs.value = uniform(0, 1);
    sc.groups.push_back(gs);
  }
  expect_match(sc);
}

TEST_F(Gpu, MechanismBlockOverTheOldPassBoundMatchesCpuBitwise) {
  // A units market of 30 groups of one bidder with incentive statistics: 286 metrics in
  // one mechanism's block, more than a pass's 256 (one mechanism per pass; the CUDA backend refused
  // it before its workspace was sized by the model). Uniform values, VCG and uniform price, a grid
  // of deviations: bitwise.
  std::string text = "samples = 100003\nseed = 3\n[market]\nkind = \"units\"\nunits = 2\n";
  for (int g = 0; g < 30; ++g)
    text += "[[bidders]]\nname = \"g" + std::to_string(g) + "\"\ncount = 1\nvalue = { dist = \"uniform\", low = 0.0, high = " +
            std::to_string(1.0 + 0.01 * g) + " }\n";
  text += "[[mechanisms]]\nkind = \"vcg\"\n"
          "incentives = { expost_regret = true, deviations = 4, refine_levels = 0 }\n"
          "[[mechanisms]]\nkind = \"uniform_price\"\n";
  expect_bitwise(parse_scenario(text));
}

TEST_F(Gpu, EstimatesMatchClosedForm) {
  Scenario sc = iid(5, uniform(0, 1), 50000000, 1);
  sc.mechanisms = {mech(MechKind::SecondPrice), mech(MechKind::FirstPrice, "fp", 0.0, StrategySpec::Bne)};
  RunOptions o;
  o.backend = Backend::Cuda;
  const RunResult r = run(sc, o);
  EXPECT_TRUE(WithinSE(r.mechanisms[0].revenue, 4.0 / 6));
  EXPECT_TRUE(WithinSE(r.mechanisms[1].revenue_diff, 0.0));
}

TEST(GpuUnavailable, CudaBackendWithoutDeviceIsAClearError) {
  std::string name, why;
  if (cuda_available(&name, &why)) GTEST_SKIP() << "a CUDA device is present (" << name << ")";
  Scenario sc = default_scenario();
  sc.samples = 1000;
  RunOptions o;
  o.backend = Backend::Cuda;
  EXPECT_THROW(run(sc, o), BackendError);
  o.backend = Backend::Auto;
  const RunResult r = run(sc, o);
  EXPECT_EQ(r.backend, "cpu");
  EXPECT_NE(r.note.find("CPU"), std::string::npos);
}

TEST_F(Gpu, BasicArithmeticScenariosEqualCpuBitForBit) {
  // Several chunks of 32,768 profiles and a partial one; uniform values of two groups.
  Scenario sc = iid(4, uniform(0, 1), 5 * 32768 + 12345, 21);
  GroupSpec g;
  g.name = "strong";
  g.count = 2;
  g.value = uniform(0.5, 2);
  sc.groups.push_back(g);
  sc.mechanisms = {mech(MechKind::SecondPrice), mech(MechKind::SecondPrice, "sp_r", 0.4),
                   mech(MechKind::PostedPrice, "pp", 0, StrategySpec::Truthful, 0.8)};
  expect_bitwise(sc);
  const Scenario units = parse_scenario(R"(
samples = 200003
seed = 5
[market]
kind = "units"
units = 3
[[bidders]]
count = 6
demand = 2
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[mechanisms]]
kind = "vcg"
[[mechanisms]]
kind = "uniform_price"
[[mechanisms]]
kind = "pay_as_bid"
)");
  expect_bitwise(units);
}

TEST_F(Gpu, RangesCheckpointsAndSeveralDevicesMatchCpuBitwise) {
  // run_cuda_range (docs/gpu.md): a whole run on "two devices" (device 0 twice: two host threads,
  // two model copies), ranges that start and end off the 32,768-profile grid, and a resume from
  // a checkpoint: every state bitwise the CPU's.
  Scenario sc = default_scenario();
  sc.samples = 9 * 32768 + 4321;
  const ModelData md = build_model(sc);
  RunOptions cpu, gpu;
  cpu.backend = Backend::Cpu;
  gpu.backend = Backend::Cuda;
  auto same = [](const RangeState& a, const RangeState& b) {
    ASSERT_EQ(a.entries.size(), b.entries.size());
    EXPECT_EQ(a.end, b.end);
    for (size_t i = 0; i < a.entries.size(); ++i) {
      EXPECT_EQ(a.entries[i].first_leaf, b.entries[i].first_leaf);
      ASSERT_EQ(a.entries[i].partial.size(), b.entries[i].partial.size());
      EXPECT_EQ(std::memcmp(a.entries[i].partial.data(), b.entries[i].partial.data(),
                            a.entries[i].partial.size() * sizeof(double)), 0) << "entry " << i;
    }
  };
  const RangeState whole = run_cpu_range(md, sc.samples, 0, sc.samples, cpu);
  for (std::vector<int> devices : {std::vector<int>{0}, std::vector<int>{0, 0}}) {
    RunOptions o = gpu;
    o.devices = devices;
    same(run_cuda_range(md, sc.samples, 0, sc.samples, o), whole);
    same(run_cuda_range(md, sc.samples, 768, 5 * 32768 + 512, o), run_cpu_range(md, sc.samples, 768, 5 * 32768 + 512, cpu));
  }
  const RangeState part = run_cpu_range(md, sc.samples, 0, 3 * 32768 + 1024, cpu);
  same(run_cuda_range(md, sc.samples, 0, sc.samples, gpu, &part), whole);
}

TEST_F(Gpu, VarianceReductionMatchesCpuBitForBit) {
  // docs/variance_reduction.md: each method on the default scenario (IEEE-basic arithmetic; the Sobol
  // points and their scramble are integer operations): the partial is the CPU backend's bits.
  Scenario sc = default_scenario();
  sc.samples = 16 * 65536 + 16 * 300;
  for (VrMethod m : {VrMethod::Antithetic, VrMethod::ControlVariate, VrMethod::Rqmc}) {
    sc.variance_reduction = m;
    expect_bitwise(sc);
  }
}

// The single-item fast path (kernels/fast_paths.cu, fast_kernel<N, R>) against the CPU backend (its
// fast path, bitwise the generic pipeline: tests/fast_path_test.cpp), every partial entry bit for bit.
TEST_F(Gpu, FastKernelEqualsCpuBitForBit) {
  for (int n : {2, 5, 8}) {
    Scenario sc = default_scenario();
    sc.groups[0].count = n;
    sc.samples = 5 * 32768 + 1234;
    sc.seed = 40 + n;
    const ModelData md = build_model(sc);
    ASSERT_TRUE(fast::make_fast_plan(md.view()).device_eligible);
    RunOptions cpu, gpu;
    cpu.backend = Backend::Cpu;
    gpu.backend = Backend::Cuda;
    const std::vector<double> a = run(sc, cpu).partial, b = run(sc, gpu).partial;
    ASSERT_EQ(a.size(), b.size());
    for (size_t k = 0; k < a.size(); ++k) EXPECT_TRUE(std::memcmp(&a[k], &b[k], sizeof(double)) == 0) << "n = " << n << " entry " << k;
  }
}

// The multi-unit kernel (kernels/fast_units.cu, units_kernel<kV, kT>) against the CPU backend and
// against the generic kernel (RunOptions::fast_path = false), every partial entry bit for bit: vcg
// k = 3 with demands 2 and two groups with personal reserves, uniform_price (both rules), pay_as_bid
// (bucket (16, 8)); discrete values with contested units (drawn in the thread); mixed demands over
// three groups, 20 value slots (bucket (32, 16)). Uniform and discrete values only: IEEE-basic
// arithmetic, so bitwise is the contract.
TEST_F(Gpu, FastUnitsKernelEqualsCpuBitForBit) {
  const std::string mechanisms = test::kUnitsTwoGroupRules;
  const std::string atoms = R"({ dist = "discrete", values = [0.0, 0.5, 1.0], probs = [0.3, 0.4, 0.3] })";
  const std::string uniform = R"({ dist = "uniform", low = 0.0, high = 1.0 })";
  const auto text = [&](int k, const std::string& groups) {
    return "samples = 200003\nseed = 31\n[market]\nkind = \"units\"\nunits = " + std::to_string(k) + "\n" + groups +
           mechanisms;
  };
  const std::vector<std::string> scenarios = {
      text(3, "[[bidders]]\ncount = 3\ndemand = 2\nvalue = " + uniform + "\n[[bidders]]\ncount = 2\ndemand = 2\nvalue = " +
                  R"({ dist = "uniform", low = 0.2, high = 1.2 })" + "\n"),
      text(2, "[[bidders]]\ncount = 3\ndemand = 2\nvalue = " + atoms + "\n[[bidders]]\ncount = 2\ndemand = 1\nvalue = " +
                  atoms + "\n"),
      text(9, "[[bidders]]\ncount = 3\ndemand = 1\nvalue = " + uniform + "\n[[bidders]]\ncount = 2\ndemand = 3\nvalue = " +
                  atoms + "\n[[bidders]]\ncount = 3\ndemand = 3\nvalue = " + uniform + "\n"),
  };
  for (const std::string& s : scenarios) {
    const Scenario sc = parse_scenario(s);
    RunOptions cpu, gpu, generic;
    cpu.backend = Backend::Cpu;
    gpu.backend = generic.backend = Backend::Cuda;
    generic.fast_path = false;
    const RunResult a = run(sc, cpu), b = run(sc, gpu), c = run(sc, generic);
    // a device whose shared-memory opt-in is too small for the leaf sums (sm_75, three groups) runs
    // the generic kernel, and run.path says why
    if (units_shared_memory_shortfall(build_model(sc), {}).empty())
      EXPECT_EQ(b.path.rfind("fast path (CUDA units kernel)", 0), 0u) << b.path;
    else
      EXPECT_EQ(b.path.rfind("generic path (the units kernel's leaf sums need", 0), 0u) << b.path;
    ASSERT_EQ(a.partial.size(), b.partial.size());
    ASSERT_EQ(a.partial.size(), c.partial.size());
    for (size_t k = 0; k < a.partial.size(); ++k) {
      EXPECT_TRUE(std::memcmp(&a.partial[k], &b.partial[k], sizeof(double)) == 0) << "entry " << k << " of\n" << s;
      EXPECT_TRUE(std::memcmp(&c.partial[k], &b.partial[k], sizeof(double)) == 0) << "generic kernel, entry " << k;
    }
  }
}
