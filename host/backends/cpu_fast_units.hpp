// mcrev CPU backend: the multi-unit fast path over a batch of profiles (docs/cpu_backend.md, "Fast
// path: multi-unit VCG"). The per-profile arithmetic is mcrev/pipeline/fast_multi_unit.hpp's
// units_profile, run on W profiles at once (W doubles per GCC vector: 8 AVX-512, 4 AVX2, 2 portable;
// values laid out structure-of-arrays); a profile whose units at the threshold are contested is
// evaluated by the generic evaluate_values. The rows are bitwise what draw_values_batch +
// evaluate_batch write.
#pragma once

#include "backends/cpu_batch.hpp"
#include "mcrev/pipeline/fast_multi_unit.hpp"

#include <string>
#include <vector>

namespace mcrev::cpu {

/// The multi-unit plan of md when the CPU backend uses it (eligible, MCREV_FAST_PATH not off,
/// allow_fast), else a plan with eligible = false.
fast::UnitsPlan units_plan_for_run(const Model& md, bool allow_fast);

/// Replaces *path (RunResult::path) for a units market run: "fast path: vcg, uniform_price (units
/// k = 3, n = 5, n_values = 10)" on the CPU, "fast path (CUDA units kernel): ..." on CUDA when
/// fast::make_units_kernel_plan takes the model (kernels/fast_units.cu), or "generic path (<reason>)".
/// Other markets: unchanged.
void units_evaluation_path(const Model& md, bool cuda, bool allow_fast, std::string* path);

/// Draws and evaluates batches of an eligible units model: one per worker thread.
class UnitsBatch {
 public:
  UnitsBatch(const Model& md, const fast::UnitsPlan& plan, Isa isa);
  /// Profiles [first, first + count) (count <= kMaxBatch): the j-th profile's metrics go to
  /// xs + j * row (metric k of mechanism m at m * plan.block() + k), exactly what
  /// draw_values_batch + evaluate_batch write. b: Model::scratch_doubles() doubles (the generic
  /// fallback's scratch). Returns the number of profiles that took the generic path (contested units).
  int run(std::uint64_t first, int count, double* b, double* xs, int row);

  /// The batch's loops for one instruction set and (k, max demand) (cpu_fast_units.cpp).
  using Body = void (*)(const fast::UnitsPlan&, const double* vs, int count, double* xs, int row, double* flag);

 private:
  const Model md_;
  const fast::UnitsPlan plan_;
  const Isa isa_;
  const Body body_;
  std::vector<double> vs_, v_, flag_;  // values [slot][profile]; one profile's values; contested flags
};

}  // namespace mcrev::cpu
