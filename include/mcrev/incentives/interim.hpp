// mcrev: the interim utility loss estimator (ε of an ε-Bayes–Nash equilibrium; THEORY.md,
// "Incentive statistics (deviation gains)"; docs/incentives.md).
//
// For bidder i (the first of group g) of mechanism m, own types v_k = Q_g((k + 1/2)/K) and a set of
// reports b_j (a grid over [lo, hi], the prescribed reports β(v_k), the shading reports α_s v_k):
//   U(b; v) = E_{V−i}[u_i(b, β−i(V−i); v)] = v · P(win | b) − E[pay | b]          (quasi-linearity)
// so one pass over S opponent draws gives, for every report b_j, the sums W_j = Σ_s 1{win} and
// P_j = Σ_s pay, which serve every own value. Draws are cut into `batches` equal batches; the sums
// are kept per batch, so every estimate below is an average of batch means and its standard error
// is the batch-means one (docs/incentives.md derives them):
//   plain        j*(k) = argmax_j Û(b_j; v_k) on all draws, loss_k = Û(b_j*) − Û(β(v_k));
//   cross-fitted j_A(k) chosen on the first half of the batches is evaluated on the second half and
//                j_B(k) chosen on the second half on the first; loss_k = mean of the two. The
//                selection ("lcb", default) maximizes the lower confidence bound
//                Ĝ_A(j) − c·se_A(j), c = Φ^{-1}(1 − α/C_k) over the C_k candidate reports of the
//                type (Bonferroni), with the prescribed report as incumbent (bound 0): a deviation is
//                taken only if half A shows it better with familywise confidence 1 − α. "argmax"
//                takes the largest Ĝ_A(j) instead.
// Nothing of size values × reports × draws is formed: memory is batches × reports × 2 doubles.
//
// Determinism: draw s of the opponents uses Stream(seed, s, kInterimLane) for values and
// allocate's auxiliary stream of "profile" s for tie-breaks; the sums of a work unit (at most
// kInterimUnitDraws consecutive draws) are accumulated sequentially in draw order by the CPU
// backend and by each CUDA thread alike (interim_accumulate), and unit sums are added into their
// batch in unit order on the host. Results are bitwise identical for any thread count, and the CPU
// and CUDA backends agree bitwise up to differences of the device's math library.
#pragma once

#include "mcrev/engine.hpp"
#include "mcrev/pipeline/evaluate.hpp"

#include <cstdint>
#include <vector>

namespace mcrev {

/// Random-number lane of the interim estimator's opponent values.
inline constexpr std::uint32_t kInterimLane = 1000;
/// Most draws in one work unit (one CUDA thread's sequential loop per report).
inline constexpr std::uint64_t kInterimUnitDraws = 4096;

/// Opponent draws: `batches` batches of `per_batch` draws; batch c holds draws
/// [c·per_batch, (c+1)·per_batch), cut into `units_per_batch` work units of near-equal size.
struct InterimLayout {
  std::uint64_t per_batch = 0;
  int batches = 0;
  int units_per_batch = 0;
  MCREV_HD std::uint64_t draws() const { return per_batch * static_cast<std::uint64_t>(batches); }
  MCREV_HD std::uint64_t units() const { return static_cast<std::uint64_t>(batches) * units_per_batch; }
  MCREV_HD std::uint64_t unit_begin(std::uint64_t u) const {
    const std::uint64_t c = u / units_per_batch, k = u % units_per_batch;
    return c * per_batch + k * per_batch / units_per_batch;
  }
  MCREV_HD std::uint64_t unit_end(std::uint64_t u) const {
    const std::uint64_t c = u / units_per_batch, k = u % units_per_batch;
    return c * per_batch + (k + 1) * per_batch / units_per_batch;
  }
};

/// samples rounded up to a multiple of batches; units of at most kInterimUnitDraws draws.
InterimLayout interim_layout(std::uint64_t samples, int batches);

/// Draw `draw` of the interim estimator: values of all agents (lane kInterimLane, value slot k uses
/// the k-th uniform; unit demand) and their prescribed reports under mechanism m, written to
/// reports[0..n_values). Scratch v: n_values.
MCREV_HD inline void interim_draw_reports(const Model& md, int m, std::uint64_t draw, double* v, double* reports) {
  Stream s(md.seed, draw, kInterimLane);
  for (int g = 0; g < md.n_groups; ++g) {
    const Group& gr = md.groups[g];
    const int end = gr.first_value + gr.count * gr.demand;
    for (int k = gr.first_value; k < end; ++k) v[k] = gr.dist.quantile(s.uniform(), md.arena);
  }
  compute_reports(md, m, v, reports, draw);  // mixed strategies: draw's auxiliary stream
}

/// The per-thread body: adds to *win and *pay agent `bidder`'s allocation and transfer when it
/// reports `bid` against `count` draws (first, first + 1, ...) whose prescribed reports are the rows
/// of `tile` (n_values doubles each), sequentially in draw order. Scratch b: md.scratch_doubles().
MCREV_HD inline void interim_accumulate(const Model& md, int m, int bidder, double bid, const double* tile, int count,
                                        std::uint64_t first, double* b, double* win, double* pay) {
  const int n = md.n_values, k = md.value_index(bidder);
  for (int t = 0; t < count; ++t) {
    const double* row = tile + static_cast<std::uint64_t>(t) * n;
    for (int q = 0; q < n; ++q) b[q] = row[q];
    b[k] = bid;
    const Outcome o = allocate(md, m, first + t, b);
    *win += o.x(bidder);
    *pay += o.t(bidder);
  }
}

/// Risk-averse bidders (Group::risk = ρ < 1): adds to out[k] the sum over the draws of
/// risk_utility(ρ, v_k x − t), x and t agent `bidder`'s allocation and transfer when it reports
/// `bid`, for each of the K own types values[k]; sequentially in draw order (deterministic). Draws
/// where it neither holds nor pays add exactly 0 and are skipped.
MCREV_HD inline void interim_accumulate_risk(const Model& md, int m, int bidder, double bid, const double* tile,
                                             int count, std::uint64_t first, double* b, double rho,
                                             const double* values, int K, double* out) {
  const int n = md.n_values, k = md.value_index(bidder);
  for (int t = 0; t < count; ++t) {
    const double* row = tile + static_cast<std::uint64_t>(t) * n;
    for (int q = 0; q < n; ++q) b[q] = row[q];
    b[k] = bid;
    const Outcome o = allocate(md, m, first + t, b);
    const double x = o.x(bidder), pay = o.t(bidder);
    if (x == 0.0 && pay == 0.0) continue;
    for (int a = 0; a < K; ++a) out[a] += risk_utility(rho, values[a] * x - pay);
  }
}

/// Types and reports of one (mechanism, group) interim estimate.
struct InterimGrid {
  int mechanism = 0, group = 0, bidder = 0;
  int grid = 0;                 ///< J grid reports over [bid_low, bid_high]
  double bid_low = 0, bid_high = 0;
  std::vector<double> values;   ///< K own types v_k = Q_g((k + 1/2)/K)
  std::vector<double> shading;  ///< S factors
  /// All reports: [0, J) grid; [J, J + K) prescribed β(v_k); J + K + s·K + k: clip(α_s v_k).
  std::vector<double> bids;
  int prescribed(int k) const { return grid + k; }
  int shaded(int s, int k) const { return grid + static_cast<int>(values.size()) * (1 + s) + k; }
};

/// Builds the grid of group g for mechanism m (options: values, deviations, shading, bid range).
InterimGrid make_interim_grid(const ModelData& md, int m, int g, const IncentiveOptions& opt);

/// Per-batch sums: win[c·NB + j] = Σ_{draws s of batch c} 1{bidder wins with bids[j]}, pay likewise.
/// Risk-averse groups (ρ < 1) keep utility sums per type instead, since E[u] is not linear in the
/// type: util[(c·NB + j)·K + k] = Σ_{draws of batch c} risk_utility(ρ, v_k x − t) with report j.
struct InterimSums {
  InterimLayout layout;
  std::vector<double> win, pay;
  double rho = 1.0;          ///< the group's ρ; util is used when ρ != 1
  std::vector<double> util;  ///< ρ != 1: batches × NB × K utility sums (else empty)
};

/// Largest batches × reports × types of a risk-averse interim estimate (its utility sums; 256 MiB).
inline constexpr std::uint64_t kInterimRiskCells = std::uint64_t{1} << 25;

/// CPU backend: batches in parallel (threads; 0 = all cores), deterministic.
InterimSums interim_sums_cpu(const ModelData& md, const InterimGrid& grid, const InterimLayout& layout, int threads);
/// CUDA backend (kernels/incentives.cu): one thread per (work unit, report). Throws BackendError
/// without a device or CUDA build.
InterimSums interim_sums_cuda(const ModelData& md, const InterimGrid& grid, const InterimLayout& layout);

/// Adds unit sums (units [unit_first, unit_first + count), NB reports each, unit-major) into the
/// batch sums in unit order — the one fixed merge order of both backends.
void interim_fold_units(const InterimLayout& layout, std::uint64_t unit_first, std::uint64_t count, int nb,
                        const double* unit_win, const double* unit_pay, InterimSums& sums);

/// Selection rule of the cross-fitted estimate.
struct CrossfitRule {
  bool lcb = true;      ///< lower-confidence-bound selection (false: argmax)
  double alpha = 0.05;  ///< familywise level of the lcb selection
};

/// Plain and cross-fitted interim losses, prescribed utilities, shading curve, with batch-means
/// standard errors and intervals at the given confidence.
InterimGroupResult analyze_interim(const InterimGrid& grid, const InterimSums& sums, double confidence,
                                   CrossfitRule rule = {});

/// Grid + sums + analysis on the chosen backend (Cpu or Cuda).
InterimGroupResult estimate_interim(const ModelData& md, int m, int g, const IncentiveOptions& opt, Backend backend,
                                    int threads, double confidence);

}  // namespace mcrev
