// CPU backend throughput (profiles/s): second price and first price at the BNE, n = 2, 5, 10, 100.
#include "bench_common.hpp"

namespace {

void run_bench(benchmark::State& state, mcrev::MechKind kind) {
  const int n = static_cast<int>(state.range(0));
  const mcrev::ModelData md = mcrev::bench::one_mechanism(n, kind);
  const std::uint64_t samples = n >= 100 ? (1u << 18) : (1u << 21);
  mcrev::RunOptions opt;
  opt.backend = mcrev::Backend::Cpu;
  double sink = 0;
  for (auto _ : state) sink += mcrev::run_cpu(md, samples, opt)[1];
  mcrev::bench::report_profiles(state, samples, sink);
}

void BM_SecondPrice(benchmark::State& s) { run_bench(s, mcrev::MechKind::SecondPrice); }
void BM_FirstPriceBne(benchmark::State& s) { run_bench(s, mcrev::MechKind::FirstPrice); }

}  // namespace

BENCHMARK(BM_SecondPrice)->ArgName("n")->Arg(2)->Arg(5)->Arg(10)->Arg(100)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FirstPriceBne)->ArgName("n")->Arg(2)->Arg(5)->Arg(10)->Arg(100)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
