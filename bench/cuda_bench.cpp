// CUDA backend throughput (profiles/s), same cases as the CPU benchmark; skips without a device.
// Timed as wall clock around run_cuda, which returns after the device results are copied back.
#include "mcrev/engine.hpp"

#include <benchmark/benchmark.h>

#include <string>

namespace {

void run_bench(benchmark::State& state, mcrev::MechKind kind) {
  std::string name, why;
  if (!mcrev::cuda_available(&name, &why)) {
    state.SkipWithError(("no CUDA device: " + why).c_str());
    return;
  }
  const int n = static_cast<int>(state.range(0));
  mcrev::Scenario sc;
  mcrev::GroupSpec g;
  g.name = "bidders";
  g.count = n;
  g.value.dist.kind = mcrev::DistKind::Uniform;
  sc.groups.push_back(g);
  mcrev::MechanismSpec m;
  m.name = mcrev::kind_name(kind);
  m.kind = kind;
  m.strategy.kind = kind == mcrev::MechKind::FirstPrice ? mcrev::StrategySpec::Bne : mcrev::StrategySpec::Truthful;
  sc.mechanisms.push_back(m);
  const mcrev::ModelData md = mcrev::build_model(sc);
  const std::uint64_t samples = n >= 100 ? (1ull << 26) : (1ull << 30);
  double sink = 0;
  for (auto _ : state) sink += mcrev::run_cuda(md, samples, {})[1];
  benchmark::DoNotOptimize(sink);
  state.SetLabel(name);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * samples));
  state.counters["profiles/s"] = benchmark::Counter(static_cast<double>(state.iterations() * samples),
                                                    benchmark::Counter::kIsRate);
}

void BM_CudaSecondPrice(benchmark::State& s) { run_bench(s, mcrev::MechKind::SecondPrice); }
void BM_CudaFirstPriceBne(benchmark::State& s) { run_bench(s, mcrev::MechKind::FirstPrice); }

}  // namespace

BENCHMARK(BM_CudaSecondPrice)->ArgName("n")->Arg(2)->Arg(5)->Arg(10)->Arg(100)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CudaFirstPriceBne)->ArgName("n")->Arg(2)->Arg(5)->Arg(10)->Arg(100)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
