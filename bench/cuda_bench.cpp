// CUDA backend throughput (profiles/s), same cases as the CPU benchmark; skips without a device.
// Timed as wall clock around run_cuda, which returns after the device results are copied back.
#include "bench_common.hpp"

#include <string>

namespace {

void run_bench(benchmark::State& state, mcrev::MechKind kind) {
  std::string name, why;
  if (!mcrev::cuda_available(&name, &why)) {
    state.SkipWithError(("no CUDA device: " + why).c_str());
    return;
  }
  const int n = static_cast<int>(state.range(0));
  const mcrev::ModelData md = mcrev::bench::one_mechanism(n, kind);
  const std::uint64_t samples = n >= 100 ? (1ull << 26) : (1ull << 30);
  double sink = 0;
  for (auto _ : state) sink += mcrev::run_cuda(md, samples, {})[1];
  state.SetLabel(name);
  mcrev::bench::report_profiles(state, samples, sink);
}

void BM_CudaSecondPrice(benchmark::State& s) { run_bench(s, mcrev::MechKind::SecondPrice); }
void BM_CudaFirstPriceBne(benchmark::State& s) { run_bench(s, mcrev::MechKind::FirstPrice); }

/// The random-number roofline of BM_CudaSecondPrice/n: the same Philox words (n uniforms per profile,
/// lane 0) drawn and summed on the device, nothing else; timed with CUDA events around the kernel.
/// BM_CudaSecondPrice/n:N ÷ BM_CudaPhiloxOnly/n:N is the fraction of the roofline reached.
void BM_CudaPhiloxOnly(benchmark::State& state) {
  std::string name, why;
  if (!mcrev::cuda_available(&name, &why)) {
    state.SkipWithError(("no CUDA device: " + why).c_str());
    return;
  }
  const int n = static_cast<int>(state.range(0));
  const std::uint64_t samples = 1ull << 30;
  double sink = 0;
  for (auto _ : state) {
    double sec = 0;
    sink += mcrev::philox_roofline_cuda(samples, n, &sec);
    state.SetIterationTime(sec);
  }
  state.SetLabel(name);
  mcrev::bench::report_profiles(state, samples, sink);
}

}  // namespace

BENCHMARK(BM_CudaPhiloxOnly)->ArgName("n")->Arg(5)->Arg(10)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CudaSecondPrice)->ArgName("n")->Arg(2)->Arg(5)->Arg(10)->Arg(100)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CudaFirstPriceBne)->ArgName("n")->Arg(2)->Arg(5)->Arg(10)->Arg(100)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
