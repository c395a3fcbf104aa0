// CPU benchmarks of the incentive statistics (docs/incentives.md, "Performance").
//   BM_InterimCpu/K/J/log2S: interim sums for n = 3 first-price bidders at the BNE, K own types,
//     J grid reports (+ K prescribed reports), S opponent draws; counter `evals/s` = reports × draws / s.
//   BM_InterimAnalysis/K/J: the host analysis (selection, cross-fitting, SEs) on 64 batches.
//   BM_ExpostCpu/n: the fused per-profile pipeline with ex-post regret (grid 128, 6 × 8 refinement).
#include "mcrev/engine.hpp"
#include "mcrev/incentives/interim.hpp"

#include <benchmark/benchmark.h>

#include <thread>

namespace {

using namespace mcrev;

Scenario first_price_bne(int n) {
  Scenario sc;
  sc.seed = 3;
  GroupSpec g;
  g.name = "bidders";
  g.count = n;
  g.value.dist.kind = DistKind::Uniform;
  g.value.dist.low = 0.0;
  g.value.dist.high = 1.0;
  sc.groups.push_back(g);
  MechanismSpec m;
  m.name = "first_price";
  m.kind = MechKind::FirstPrice;
  m.strategy.kind = StrategySpec::Bne;
  m.incentives.enabled = true;
  sc.mechanisms.push_back(m);
  return sc;
}

void BM_InterimCpu(benchmark::State& state) {
  IncentiveOptions opt;
  opt.enabled = opt.interim_loss = true;
  opt.values = static_cast<int>(state.range(0));
  opt.deviations = static_cast<int>(state.range(1));
  opt.opponent_samples = std::uint64_t{1} << state.range(2);
  Scenario sc = first_price_bne(3);
  sc.mechanisms[0].incentives = opt;
  const ModelData md = build_model(sc);
  const InterimGrid grid = make_interim_grid(md, 0, 0, opt);
  const InterimLayout layout = interim_layout(opt.opponent_samples, opt.batches);
  for (auto _ : state) {
    InterimSums s = interim_sums_cpu(md, grid, layout, 0);
    benchmark::DoNotOptimize(s.win.data());
  }
  const double evals = static_cast<double>(grid.bids.size()) * layout.draws();
  state.counters["evals/s"] = benchmark::Counter(evals, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = std::thread::hardware_concurrency();
}
BENCHMARK(BM_InterimCpu)
    ->Args({64, 128, 16})
    ->Args({256, 256, 18})
    ->Args({1024, 1024, 16})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_InterimAnalysis(benchmark::State& state) {
  IncentiveOptions opt;
  opt.enabled = opt.interim_loss = true;
  opt.values = static_cast<int>(state.range(0));
  opt.deviations = static_cast<int>(state.range(1));
  opt.opponent_samples = 64 * 64;
  Scenario sc = first_price_bne(3);
  sc.mechanisms[0].incentives = opt;
  const ModelData md = build_model(sc);
  const InterimGrid grid = make_interim_grid(md, 0, 0, opt);
  const InterimSums sums = interim_sums_cpu(md, grid, interim_layout(opt.opponent_samples, opt.batches), 0);
  for (auto _ : state) benchmark::DoNotOptimize(analyze_interim(grid, sums, 0.95).exante.mean);
}
BENCHMARK(BM_InterimAnalysis)->Args({1024, 1024})->Unit(benchmark::kMillisecond);

void BM_ExpostCpu(benchmark::State& state) {
  Scenario sc = first_price_bne(static_cast<int>(state.range(0)));
  sc.mechanisms[0].incentives.expost_regret = true;
  sc.samples = 1 << 16;
  RunOptions o;
  o.backend = Backend::Cpu;
  for (auto _ : state) benchmark::DoNotOptimize(run(sc, o).mechanisms[0].incentives.expost.regret.mean);
  state.counters["profiles/s"] =
      benchmark::Counter(static_cast<double>(sc.samples), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_ExpostCpu)->Arg(3)->Arg(10)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
