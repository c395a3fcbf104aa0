// mcrev CPU backend: the batched clearing of one-group step-curve divisible markets
// (docs/divisible.md, "Performance"; docs/cpu_backend.md).
//
// With one group of step curves whose steps all have the same quantity q (steps of width w and no
// cap below m·w), truthful reports and no incentive block, the merge of DivisibleMarket::clear_steps
// (mcrev/mechanisms/divisible.hpp) adds q per consumed step, so its sum A depends only on the number
// k of steps consumed: A > S first at a fixed k = K* (computed once per model). The clearing price
// is then the K*-th largest reported value when that value is above the reserve r, else r. This path
// finds that order statistic for a whole batch with a sorting network vectorized over the batch's
// profiles (sorted agent lists merged by bitonic top-L merges), counts each agent's steps above λ,
// and builds the outcome with run()'s arithmetic (allocations from the same sequential sums of q,
// uniform-price and pay-as-bid payments as run() computes them, vcg payments by run()'s own
// vcg_fill from the merge's state, which the counts determine). Metrics: write_metrics.
//
// Exactness: the result is bitwise what evaluate_values gives. A profile where a value equals λ
// other than the one step priced λ (ties, which the merge breaks by agent order, or ±0) is handed
// to evaluate_values itself. Tests: CpuDivisible.* in tests/divisible_test.cpp.
#pragma once

#include "mcrev/model/model.hpp"

#include <cstdint>

namespace mcrev::cpu {

/// Evaluates count (<= kMaxBatch) consecutive profiles from `first` with values v (evaluate_batch's
/// layout and scratch) and returns true when the model is of the shape above; returns false and
/// writes nothing otherwise (the caller then takes the general path).
bool evaluate_divisible_steps(const Model& md, std::uint64_t first, int count, const double* v, double* b,
                              double* xs, int row);

}  // namespace mcrev::cpu
