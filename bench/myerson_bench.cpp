// Throughput of Myerson's auction against second price on the CPU backend's per-profile loop (one
// thread), n = 5 iid bidders: profiles/s (items) for closed-form and tabulated virtual values. The issue asks Myerson with
// numerical (tabulated) virtual values to stay within 2x of second price:
//   build/bin/mcrev_bench_myerson --benchmark_min_time=1
#include "mcrev/engine.hpp"

#include "scenario/scenario.hpp"

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace {

const char* kUniform = R"({ dist = "uniform", low = 0.0, high = 1.0 })";
const char* kNormal = R"({ dist = "normal", mean = 1.0, sd = 0.4, low = 0.0, high = 2.5 })";
const char* kMixture =
    R"({ dist = "mixture", weights = [0.75, 0.25], components = [ { dist = "uniform", low = 0.0, high = 1.0 }, { dist = "uniform", low = 1.0, high = 2.0 } ] })";

const char* kSecondPrice = "kind = \"second_price\"\nreserve = \"optimal\"";
const char* kMyerson = "kind = \"myerson\"";
const char* kMyersonTable = "kind = \"myerson\"\nvirtual_values = \"table\"";

void profiles(benchmark::State& state, const char* value, const char* mechanism) {
  const mcrev::Scenario sc = mcrev::parse_scenario(std::string("[[bidders]]\ncount = 5\nvalue = ") + value +
                                                   "\n[[mechanisms]]\n" + mechanism + "\n");
  const mcrev::ModelData md = mcrev::build_model(sc);
  const mcrev::Model model = md.view();
  // The CPU backend's inner loop (host/cpu_backend.cpp ChunkWorker) on this thread, so that the
  // CPU time of the benchmark is the work itself (the machine may be shared).
  const mcrev::PartialShape shape = md.shape();
  const mcrev::MechanismPairs pairs{model.metrics_per_mechanism()};
  std::vector<double> v(model.n_values), b(model.scratch_doubles()), x(shape.metrics), sums(3 * shape.metrics + shape.pairs),
      leaf(shape.size());
  std::uint64_t next = 0;
  for (auto _ : state) {
    for (std::uint64_t leaf_begin = 0; leaf_begin < (1u << 16); leaf_begin += mcrev::kLeafProfiles) {
      mcrev::LeafSums s = mcrev::leaf_view(sums.data(), shape);
      for (std::uint64_t p = 0; p < mcrev::kLeafProfiles; ++p) {
        mcrev::evaluate_profile(model, next++, 0, model.n_mechanisms, v.data(), b.data(), x.data());
        mcrev::leaf_add(s, shape, x.data(), pairs);
      }
      mcrev::leaf_finish(s, shape, pairs, leaf.data());
      benchmark::DoNotOptimize(leaf.data());
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * (1 << 16));
  state.SetLabel("items/s = profiles/s, n = 5, one thread");
}

}  // namespace

BENCHMARK_CAPTURE(profiles, uniform_second_price, kUniform, kSecondPrice)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(profiles, uniform_myerson_closed_form, kUniform, kMyerson)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(profiles, uniform_myerson_table, kUniform, kMyersonTable)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(profiles, normal_second_price, kNormal, kSecondPrice)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(profiles, normal_myerson_table, kNormal, kMyerson)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(profiles, mixture_second_price, kMixture, kSecondPrice)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(profiles, mixture_myerson_table, kMixture, kMyerson)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
