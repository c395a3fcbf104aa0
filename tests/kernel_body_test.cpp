// The CUDA kernel's per-thread body run over an emulated grid on the CPU: merged block partials must
// match the CPU backend (only the CUB block reduction and the launch stay unproven without a device).
#include "mcrev/pipeline/kernel_body.hpp"

#include "test_util.hpp"

#include <cmath>

using namespace mcrev;
using namespace mcrev::test;

namespace {

// Emulates estimate_kernel: blocks of `block` threads, `per_thread` profiles each; block partials
// merged in thread order (CUB's order differs only in rounding), chunks merged with a TreeReducer.
std::vector<double> emulate(const ModelData& md, std::uint64_t samples, int m0, int m1, int block,
                            std::uint64_t per_thread) {
  const Model m = md.view();
  const PartialShape sh = pass_shape(m, m0, m1);
  const MechanismPairs pairs{m.metrics_per_mechanism()};
  std::vector<double> v(m.n_values), b(m.scratch_doubles()), x(sh.metrics), sums(3 * sh.metrics + sh.pairs),
      part(sh.size());
  const std::uint64_t chunk_profiles = block * per_thread;
  TreeReducer chunks(sh, pairs);
  for (std::uint64_t c = 0; c * chunk_profiles < samples; ++c) {
    std::vector<double> acc(sh.size(), 0.0);
    for (int t = 0; t < block; ++t) {
      thread_partial(m, thread_range(c, t, block, per_thread, samples), m0, m1, v.data(), b.data(), x.data(),
                     sums.data(), part.data());
      partial_merge(acc.data(), part.data(), sh, pairs, acc.data());
    }
    chunks.push(0, acc);
  }
  return chunks.finish();
}

void expect_close(double a, double b, const char* what, int k) {
  EXPECT_NEAR(a, b, 1e-12 * std::max(1.0, std::fabs(b))) << what << " " << k;
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

TEST(KernelBody, EmulatedGridMatchesCpuBackend) {
  Scenario sc = default_scenario();
  sc.samples = 50003;
  sc.seed = 99;
  const ModelData md = build_model(sc);
  RunOptions o;
  o.backend = Backend::Cpu;
  const std::vector<double> cpu = run(sc, o).partial;
  const PartialShape full = md.shape();
  const int B = md.view().metrics_per_mechanism();
  // All mechanisms in one pass, and in passes of two (as the kernel does when metrics exceed MaxK).
  for (int per_pass : {5, 2}) {
    for (int m0 = 0; m0 < 5; m0 += per_pass) {
      const int m1 = std::min(5, m0 + per_pass);
      const std::vector<double> g = emulate(md, sc.samples, m0, m1, 16, 64);
      const PartialShape sh = pass_shape(md.view(), m0, m1);
      EXPECT_EQ(g[0], cpu[0]);
      for (int k = 0; k < sh.metrics; ++k) {
        expect_close(g[1 + k], cpu[1 + m0 * B + k], "mean", k);
        expect_close(g[1 + sh.metrics + k], cpu[1 + full.metrics + m0 * B + k], "m2", k);
      }
      for (int p = 0; p < sh.pairs; ++p) expect_close(g[1 + 2 * sh.metrics + p], cpu[1 + 2 * full.metrics + m0 + p], "cross", p);
    }
  }
}

TEST(KernelBody, GridShapeDoesNotMatterBeyondRounding) {
  Scenario sc = iid(10, exponential(1.0), 20000, 4);
  sc.mechanisms = {mech(MechKind::SecondPrice), mech(MechKind::FirstPrice, "fp", 0.2, StrategySpec::Bne)};
  const ModelData md = build_model(sc);
  const auto a = emulate(md, sc.samples, 0, 2, 8, 32);
  const auto b = emulate(md, sc.samples, 0, 2, 32, 256);
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) expect_close(a[k], b[k], "entry", static_cast<int>(k));
}
