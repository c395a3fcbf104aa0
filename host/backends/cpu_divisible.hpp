// mcrev CPU backend: the batched clearing of one-group step-curve divisible markets
// (docs/divisible.md, "Performance"; docs/cpu_backend.md).
//
// With one group of step curves whose steps all have the same quantity q (steps of width w and no
// cap below m·w), truthful reports and no incentive block, the merge of DivisibleMarket::clear_steps
// (mcrev/mechanisms/divisible.hpp) adds q per consumed step, so its sum A depends only on the number
// k of steps consumed: A > S first at a fixed k = K* (computed once per model). The clearing price
// is then the K*-th largest reported value when that value is above the reserve r, else r. This path
// finds that order statistic for four profiles at a time with a sorting network vectorized over
// the profiles (sorted agent lists merged by bitonic top-L merges), counts each agent's steps above
// λ, and builds the outcome with run()'s arithmetic (allocations from the same sequential sums of q;
// uniform-price and pay-as-bid payments as run() computes them; vcg payments as vcg_fill's fill, a
// walk over the sorted rejected steps, or vcg_fill itself where the walk cannot decide) and the
// metric block with write_metrics' arithmetic, lane by lane.
//
// Exactness: the result is bitwise what evaluate_values gives. A profile where a value equals λ
// other than the one step priced λ (ties, which the merge breaks by agent order, or ±0) is handed
// to evaluate_values itself. Tests: Divisible.BatchedStepClearing* in tests/divisible_test.cpp.
#pragma once

#include "backends/cpu_batch.hpp"
#include "mcrev/model/model.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace mcrev::cpu {

/// Evaluates count (<= kMaxBatch) consecutive profiles from `first` with values v (evaluate_batch's
/// layout and scratch) and returns true when the model is of the shape above; returns false and
/// writes nothing otherwise (the caller then takes the general path): more than one group, curves
/// other than steps, steps of unequal quantity (a cap that cuts one), a strategy other than
/// truthful, incentive or variance-reduction blocks, `[values]`, risk aversion, more than 64
/// agents, or more than 64 values to keep (K*, plus m + 1 with a vcg mechanism).
bool evaluate_divisible_steps(const Model& md, std::uint64_t first, int count, const double* v, double* b,
                              double* xs, int row);
/// The same with the vector code chosen by the caller: Isa::Portable runs the portable copy (GCC's
/// generic vector extension), any other the AVX2 copy where the processor has it (tests run both).
bool evaluate_divisible_steps(const Model& md, Isa isa, std::uint64_t first, int count, const double* v, double* b,
                              double* xs, int row);

/// The values' draw (draw_values_batch's, bit for bit) and evaluate_divisible_steps in one pass, for
/// count (<= kMaxBatch) profiles from `first`; returns false and writes nothing when the model is not
/// of the shape above (or uses variance reduction or correlated values). With Isa::Avx512 (where the
/// processor has it), at most 8 steps per agent and the group's values the whole profile, the
/// uniforms stay in the rows u[k * kMaxBatch + j] (scratch u: n_values * kMaxBatch doubles), the
/// inverse CDFs, the agents' sorts and the clearing run eight profiles per vector, and v receives the
/// values only of the profiles the per-profile model evaluates (ties, reserves other than the seller
/// value, vcg_fill); otherwise draw_values_batch into v, then evaluate_divisible_steps. The metric
/// rows are bitwise those of draw_values_batch + evaluate_values.
bool draw_evaluate_divisible_steps(const Model& md, Isa isa, std::uint64_t first, int count, double* u, double* v,
                                   double* b, double* xs, int row);

/// draw_evaluate_divisible_steps with the model's analysis (the step plan) done once: one per worker
/// thread of the CPU backend (cpu_backend.cpp), for a model draw_evaluate_divisible_steps takes.
class DivisibleBatch {
 public:
  /// The batch for md, or null when draw_evaluate_divisible_steps returns false for it.
  static std::unique_ptr<DivisibleBatch> make(const Model& md, Isa isa);
  ~DivisibleBatch();
  /// draw_evaluate_divisible_steps(md, isa, first, count, ...) bit for bit: profiles [first, first +
  /// count) (count <= kMaxBatch), the j-th profile's metrics to xs + j * row. b: Model::scratch_doubles().
  void run(std::uint64_t first, int count, double* b, double* xs, int row);

  /// Leaves drawn side by side (run_leaves).
  static constexpr int kLeaves = 8;
  /// Whether run_leaves applies: the whole-step clearing (values U[0, 2^k], power-of-two steps, the
  /// supply K* − 1 steps, reserve = seller value = 0) on AVX-512.
  bool leaves() const;
  /// The kLeaves leaves [first + l · kLeafProfiles, first + (l + 1) · kLeafProfiles) for l < kLeaves
  /// (the CPU backend passes first a multiple of kLeafProfiles: whole leaves), leaves() only: leaf l's partial (leaf_finish layout, PartialShape{metrics,
  /// n_mechanisms}.size() doubles) goes to partials + l · size. The words are drawn with the leaves
  /// as lanes, and each profile's metric vectors (lane l: leaf l) are added to the leaves' sums as
  /// they are computed, without metric rows; bitwise what run + LeafAccumulator + leaf_finish give
  /// leaf after leaf. Returns the number of profiles the per-profile model evaluated (ties).
  int run_leaves(std::uint64_t first, double* b, double* partials);

  struct State;  ///< the model, its step plan and the scratch (cpu_divisible.cpp)

 private:
  explicit DivisibleBatch(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

/// For a divisible market, sets *path to the line RunResult::path reports (the batched step clearing
/// above, or the generic path and why); leaves it unchanged for other markets.
void divisible_evaluation_path(const Model& md, bool cuda, std::string* path);

}  // namespace mcrev::cpu
