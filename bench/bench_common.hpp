// Shared by the benchmark binaries: the benchmarked scenario and the throughput counters.
#pragma once

#include "mcrev/engine.hpp"

#include <benchmark/benchmark.h>

namespace mcrev::bench {

/// n iid U[0,1] bidders and one mechanism (first price at its Bayes–Nash equilibrium).
inline ModelData one_mechanism(int n, MechKind kind) {
  Scenario sc;
  GroupSpec g;
  g.name = "bidders";
  g.count = n;
  g.value.dist.kind = DistKind::Uniform;
  sc.groups.push_back(g);
  MechanismSpec m;
  m.name = kind_name(kind);
  m.kind = kind;
  m.strategy.kind = kind == MechKind::FirstPrice ? StrategySpec::Bne : StrategySpec::Truthful;
  sc.mechanisms.push_back(m);
  return build_model(sc);
}

inline void report_profiles(benchmark::State& state, std::uint64_t per_iteration, double sink) {
  benchmark::DoNotOptimize(sink);
  const double total = static_cast<double>(state.iterations()) * static_cast<double>(per_iteration);
  state.SetItemsProcessed(static_cast<int64_t>(total));
  state.counters["profiles/s"] = benchmark::Counter(total, benchmark::Counter::kIsRate);
}

}  // namespace mcrev::bench
