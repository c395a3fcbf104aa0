// CUDA benchmark of the interim loss kernel (kernels/incentives.cu); skips without a device.
//   BM_InterimCuda/K/J/log2S: n = 3 first-price bidders at the BNE; the scale target is
//   1024 own values × 1024 deviations × 2^20 opponent draws. Wall time includes copies and the
//   host's fixed-order fold of unit sums (the estimator as the CLI runs it).
#include "mcrev/engine.hpp"
#include "mcrev/incentives/interim.hpp"

#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

namespace {

using namespace mcrev;

void BM_InterimCuda(benchmark::State& state) {
  std::string name, why;
  if (!cuda_available(&name, &why)) {
    state.SkipWithError(("no CUDA device: " + why).c_str());
    return;
  }
  IncentiveOptions opt;
  opt.enabled = opt.interim_loss = true;
  opt.values = static_cast<int>(state.range(0));
  opt.deviations = static_cast<int>(state.range(1));
  opt.opponent_samples = std::uint64_t{1} << state.range(2);
  Scenario sc;
  sc.seed = 3;
  GroupSpec g;
  g.name = "bidders";
  g.count = 3;
  g.value.dist.kind = DistKind::Uniform;
  g.value.dist.low = 0.0;
  g.value.dist.high = 1.0;
  sc.groups.push_back(g);
  MechanismSpec m;
  m.name = "first_price";
  m.kind = MechKind::FirstPrice;
  m.strategy.kind = StrategySpec::Bne;
  m.incentives = opt;
  sc.mechanisms.push_back(m);
  const ModelData md = build_model(sc);
  const InterimGrid grid = make_interim_grid(md, 0, 0, opt);
  const InterimLayout layout = interim_layout(opt.opponent_samples, opt.batches);
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    InterimSums s = interim_sums_cuda(md, grid, layout);
    benchmark::DoNotOptimize(s.win.data());
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  state.counters["evals/s"] = benchmark::Counter(static_cast<double>(grid.bids.size()) * layout.draws(),
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(name);
}
BENCHMARK(BM_InterimCuda)
    ->Args({256, 256, 18})
    ->Args({1024, 1024, 20})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
