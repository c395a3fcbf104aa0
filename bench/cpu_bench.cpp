// CPU backend throughput (profiles/s): second price and first price at the BNE, n = 2, 5, 10, 100.
#include "mcrev/engine.hpp"

#include <benchmark/benchmark.h>

#include <string>

namespace {

mcrev::Scenario scenario(int n, mcrev::MechKind kind) {
  mcrev::Scenario sc;
  sc.seed = 1;
  mcrev::GroupSpec g;
  g.name = "bidders";
  g.count = n;
  g.value.dist.kind = mcrev::DistKind::Uniform;
  g.value.dist.low = 0.0;
  g.value.dist.high = 1.0;
  sc.groups.push_back(g);
  mcrev::MechanismSpec m;
  m.name = mcrev::kind_name(kind);
  m.kind = kind;
  m.strategy.kind = kind == mcrev::MechKind::FirstPrice ? mcrev::StrategySpec::Bne : mcrev::StrategySpec::Truthful;
  sc.mechanisms.push_back(m);
  return sc;
}

void run_bench(benchmark::State& state, mcrev::MechKind kind) {
  const int n = static_cast<int>(state.range(0));
  const mcrev::ModelData md = mcrev::build_model(scenario(n, kind));
  const std::uint64_t samples = n >= 100 ? (1u << 18) : (1u << 21);
  mcrev::RunOptions opt;
  opt.backend = mcrev::Backend::Cpu;
  double sink = 0;
  for (auto _ : state) sink += mcrev::run_cpu(md, samples, opt)[1];
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * samples));
  state.counters["profiles/s"] = benchmark::Counter(static_cast<double>(state.iterations() * samples),
                                                    benchmark::Counter::kIsRate);
}

void BM_SecondPrice(benchmark::State& s) { run_bench(s, mcrev::MechKind::SecondPrice); }
void BM_FirstPriceBne(benchmark::State& s) { run_bench(s, mcrev::MechKind::FirstPrice); }

}  // namespace

BENCHMARK(BM_SecondPrice)->ArgName("n")->Arg(2)->Arg(5)->Arg(10)->Arg(100)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FirstPriceBne)->ArgName("n")->Arg(2)->Arg(5)->Arg(10)->Arg(100)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
