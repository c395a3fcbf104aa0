// mcrev CPU backend: the single-item fast path over a batch of profiles (docs/cpu_backend.md,
// "Fast path"). The per-profile arithmetic is mcrev/pipeline/fast_single_item.hpp's, run as loops
// over the profiles of a batch (values, bids, the top two bids and the winner of every profile laid out
// structure-of-arrays), so the compiler vectorizes them; a profile with a tie at the top of an
// auction is evaluated by the generic evaluate_values. The rows are bitwise what draw_values_batch +
// evaluate_batch write.
#pragma once

#include "backends/cpu_batch.hpp"
#include "mcrev/pipeline/fast_single_item.hpp"

#include <memory>
#include <string>

namespace mcrev::cpu {

/// One line naming the fast path of a run, e.g. "fast path: second_price, first_price (n = 5)", or
/// "generic path (<reason>)".
std::string describe_fast_plan(const Model& md, const fast::FastPlan& plan, const std::string& why);

/// The line RunResult::path reports for a run of md on the CPU (cuda = false) or the CUDA backend.
std::string evaluation_path(const Model& md, bool cuda, bool allow_fast = true);

/// False when the environment variable MCREV_FAST_PATH is "0", "off", "false" or "no", in any case;
/// throws ScenarioError("MCREV_FAST_PATH") for a value other than those, "1", "on", "true", "yes" or ""
/// (every run then takes the generic path: a switch for comparisons and benchmarks; the results are
/// the same bits).
bool fast_path_enabled();

/// Draws and evaluates batches of an eligible model (plan.eligible): one per worker thread.
class FastBatch {
 public:
  FastBatch(const Model& md, const fast::FastPlan& plan, Isa isa);
  ~FastBatch();
  /// Profiles [first, first + count) (count <= kMaxBatch): the j-th profile's metrics go to
  /// xs + j * row (metric k of mechanism m at m * plan.block() + k), exactly what
  /// draw_values_batch + evaluate_batch write. b: Model::scratch_doubles() doubles (the generic
  /// fallback's scratch). Returns the number of profiles that took the generic path (ties).
  int run(std::uint64_t first, int count, double* b, double* xs, int row);

  /// Leaves drawn side by side (run_leaves).
  static constexpr int kLeaves = 8;
  /// The kLeaves whole leaves [first, first + kLeaves · kLeafProfiles) (first a multiple of
  /// kLeafProfiles): leaf l's partial (leaf_finish layout, PartialShape{metrics, n_mechanisms}.size()
  /// doubles) goes to partials + l · size. Batches of 8 profiles of each leaf, metrics as columns and
  /// the leaves' sums vectorized across the leaves; bitwise what run + LeafAccumulator + leaf_finish
  /// give leaf after leaf. Returns the number of profiles that took the generic path (ties).
  int run_leaves(std::uint64_t first, double* b, double* partials);

  struct Scratch;  ///< the batch's structure-of-arrays rows (cpu_fast.cpp)

 private:
  const Model md_;
  const fast::FastPlan plan_;
  const Isa isa_;
  std::unique_ptr<Scratch> s_;
};

}  // namespace mcrev::cpu
