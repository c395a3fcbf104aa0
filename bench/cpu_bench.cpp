// CPU backend throughput (profiles/s): second price and first price at the BNE, n = 2, 5, 10, 100;
// the built-in default scenario (five mechanisms); multi-unit VCG and uniform price; water-filling
// (divisible market, 10 bidders x 4 steps) alone and side by side with second price n = 10.
#include "bench_common.hpp"
#include "backends/cpu_batch.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

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

void run_model(benchmark::State& state, const mcrev::ModelData& md, std::uint64_t samples) {
  mcrev::RunOptions opt;
  opt.backend = mcrev::Backend::Cpu;
  double sink = 0;
  for (auto _ : state) sink += mcrev::run_cpu(md, samples, opt)[1];
  mcrev::bench::report_profiles(state, samples, sink);
}

void BM_DefaultScenario(benchmark::State& s) { run_model(s, mcrev::build_model(mcrev::default_scenario()), 1u << 20); }

/// k = 3 units, n bidders of demand 2, U[0,1] marginal values: VCG and uniform price.
void BM_MultiUnit(benchmark::State& s) {
  mcrev::Scenario sc;
  sc.market.kind = mcrev::MarketKind::Units;
  sc.market.units = 3;
  mcrev::GroupSpec g;
  g.count = static_cast<int>(s.range(0));
  g.demand = 2;
  g.value.dist.kind = mcrev::DistKind::Uniform;
  sc.groups.push_back(g);
  for (mcrev::MechKind k : {mcrev::MechKind::UnitsVcg, mcrev::MechKind::UniformPrice}) {
    mcrev::MechanismSpec m;
    m.kind = k;
    m.name = mcrev::kind_name(k);
    sc.mechanisms.push_back(m);
  }
  run_model(s, mcrev::build_model(sc), 1u << 20);
}

/// Divisible market: n = 10 bidders with 4 steps of width 1 each (U[0,1] marginal values), supply 10,
/// one payment rule (state.range(0): 0 uniform_price, 1 pay_as_bid, 2 vcg). Compare with
/// BM_SecondPrice/n:10 (docs/divisible.md, "Performance").
mcrev::ModelData water_filling_model(int rule) {
  mcrev::Scenario sc;
  sc.market.kind = mcrev::MarketKind::Divisible;
  sc.market.supply = 10.0;
  mcrev::GroupSpec g;
  g.count = 10;
  g.demand = 4;
  g.utility = mcrev::Utility::Steps;
  g.size = 1.0;
  g.value.dist.kind = mcrev::DistKind::Uniform;
  sc.groups.push_back(g);
  const mcrev::MechKind kinds[] = {mcrev::MechKind::DivUniformPrice, mcrev::MechKind::DivPayAsBid,
                                   mcrev::MechKind::DivVcg};
  mcrev::MechanismSpec m;
  m.kind = kinds[rule];
  m.name = mcrev::kind_name(m.kind);
  sc.mechanisms.push_back(m);
  return mcrev::build_model(sc);
}

void BM_WaterFilling(benchmark::State& s) { run_model(s, water_filling_model(static_cast<int>(s.range(0))), 1u << 20); }

/// Side by side: each iteration runs BM_WaterFilling/rule:R's model and BM_SecondPrice/n:10's model
/// on 2^20 profiles each, back to back, so all see the same machine load; second price runs twice,
/// on the generic per-profile pipeline (RunOptions::fast_path = false: the CPU backend's second price
/// when issue 11 set its target) and on the single-item fast path (docs/cpu_backend.md). Counters:
/// the throughputs, `ratio` = water-filling time / generic second-price time (issue 11's target:
/// <= 3) and `ratio_fast` = water-filling time / fast-path second-price time.
void BM_WaterFillingVsSecondPrice(benchmark::State& s) {
  const mcrev::ModelData wf = water_filling_model(static_cast<int>(s.range(0)));
  const mcrev::ModelData sp = mcrev::bench::one_mechanism(10, mcrev::MechKind::SecondPrice);
  const std::uint64_t samples = 1u << 20;
  mcrev::RunOptions opt;
  opt.backend = mcrev::Backend::Cpu;
  mcrev::RunOptions generic = opt;
  generic.fast_path = false;
  double sink = 0, t_wf = 0, t_sp = 0, t_fast = 0;
  for (auto _ : s) {
    const auto t0 = std::chrono::steady_clock::now();
    sink += mcrev::run_cpu(wf, samples, opt)[1];
    const auto t1 = std::chrono::steady_clock::now();
    sink += mcrev::run_cpu(sp, samples, generic)[1];
    const auto t2 = std::chrono::steady_clock::now();
    sink += mcrev::run_cpu(sp, samples, opt)[1];
    const auto t3 = std::chrono::steady_clock::now();
    t_wf += std::chrono::duration<double>(t1 - t0).count();
    t_sp += std::chrono::duration<double>(t2 - t1).count();
    t_fast += std::chrono::duration<double>(t3 - t2).count();
  }
  benchmark::DoNotOptimize(sink);
  const double profiles = static_cast<double>(s.iterations()) * static_cast<double>(samples);
  s.counters["wf_profiles/s"] = profiles / t_wf;
  s.counters["sp10_profiles/s"] = profiles / t_sp;
  s.counters["sp10_fast_profiles/s"] = profiles / t_fast;
  s.counters["ratio"] = t_wf / t_sp;
  s.counters["ratio_fast"] = t_wf / t_fast;
}

/// The Philox4x32-10 words of `samples` profiles with n uniforms of lane 0 each (the CPU backend's
/// vectorized generator, batches of kMaxBatch profiles dealt round-robin to `threads` threads), and
/// nothing else: the random-number roofline of an estimate that draws n uniforms per profile.
double philox_only(int n, std::uint64_t samples, unsigned threads) {
  const mcrev::cpu::Isa isa = mcrev::cpu::best_isa();
  std::vector<double> sums(threads, 0.0);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      std::vector<double> u(static_cast<size_t>(n) * mcrev::cpu::kMaxBatch);
      double acc = 0;
      for (std::uint64_t first = t * mcrev::cpu::kMaxBatch; first < samples;
           first += static_cast<std::uint64_t>(threads) * mcrev::cpu::kMaxBatch) {
        mcrev::cpu::stream_uniforms(isa, 1, 0, first, mcrev::cpu::kMaxBatch, n, u.data(), mcrev::cpu::kMaxBatch);
        acc += u[0] + u.back();  // stream_uniforms is out of line: its work cannot be elided
      }
      sums[t] = acc;
    });
  for (auto& th : pool) th.join();
  double sink = 0;
  for (double x : sums) sink += x;
  return sink;
}

unsigned hardware_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

/// The random-number roofline of BM_SecondPrice/n: the same Philox4x32-10 words (n uniforms of lane
/// 0 per profile) on the same threads, and nothing else. BM_SecondPrice/n:N ÷ BM_PhiloxOnly/n:N is
/// the fraction of the roofline the estimator reaches (BM_RooflineFraction measures it side by side).
void BM_PhiloxOnly(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::uint64_t samples = n >= 100 ? (1u << 18) : (1u << 21);
  double sink = 0;
  for (auto _ : state) sink += philox_only(n, samples, hardware_threads());
  state.SetLabel(mcrev::cpu::isa_name(mcrev::cpu::best_isa()));
  mcrev::bench::report_profiles(state, samples, sink);
}

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// Side by side: each iteration draws the Philox-only words of 2^21 profiles (n uniforms each) and
/// runs the CPU backend's estimate of n iid U[0,1] bidders (range 1: 0 = second price, 1 = first
/// price at the Bayes–Nash equilibrium) on 2^21 profiles, back to back on the same threads, so both
/// see the same machine load. Counters: `roofline` = Philox-only time ÷ estimate time (the fraction
/// of the random-number roofline; issue 12's target for second price n = 5: >= 0.5), by wall clock,
/// and `roofline_cpu` by the process's CPU time (all threads), which another process's load on the
/// machine barely moves.
void BM_RooflineFraction(benchmark::State& s) {
  const int n = static_cast<int>(s.range(0));
  const mcrev::MechKind kind = s.range(1) == 0 ? mcrev::MechKind::SecondPrice : mcrev::MechKind::FirstPrice;
  const mcrev::ModelData md = mcrev::bench::one_mechanism(n, kind);
  const std::uint64_t samples = 1u << 21;
  mcrev::RunOptions opt;
  opt.backend = mcrev::Backend::Cpu;
  double sink = 0, t_philox = 0, t_run = 0, c_philox = 0, c_run = 0;
  for (auto _ : s) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = process_cpu_seconds();
    sink += philox_only(n, samples, hardware_threads());
    const auto t1 = std::chrono::steady_clock::now();
    const double c1 = process_cpu_seconds();
    sink += mcrev::run_cpu(md, samples, opt)[1];
    const auto t2 = std::chrono::steady_clock::now();
    const double c2 = process_cpu_seconds();
    t_philox += std::chrono::duration<double>(t1 - t0).count();
    t_run += std::chrono::duration<double>(t2 - t1).count();
    c_philox += c1 - c0;
    c_run += c2 - c1;
  }
  benchmark::DoNotOptimize(sink);
  const double profiles = static_cast<double>(s.iterations()) * static_cast<double>(samples);
  s.counters["philox_profiles/s"] = profiles / t_philox;
  s.counters["estimate_profiles/s"] = profiles / t_run;
  s.counters["roofline"] = t_philox / t_run;
  s.counters["roofline_cpu"] = c_philox / c_run;
  s.SetLabel(std::string(mcrev::kind_name(kind)) + ", " + mcrev::cpu::isa_name(mcrev::cpu::best_isa()));
}

}  // namespace

BENCHMARK(BM_PhiloxOnly)->ArgName("n")->Arg(5)->Arg(10)->Arg(40)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RooflineFraction)->ArgNames({"n", "first_price"})->Args({5, 0})->Args({5, 1})->Args({10, 0})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WaterFilling)->ArgName("rule")->Arg(0)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WaterFillingVsSecondPrice)->ArgName("rule")->Arg(0)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DefaultScenario)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MultiUnit)->ArgName("n")->Arg(5)->Arg(10)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SecondPrice)->ArgName("n")->Arg(2)->Arg(5)->Arg(10)->Arg(100)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FirstPriceBne)->ArgName("n")->Arg(2)->Arg(5)->Arg(10)->Arg(100)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
