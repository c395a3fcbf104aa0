// Interim utility loss (mcrev/interim.hpp): closed forms for first price with two U[0,1] bidders,
// the cross-fitting behaviour at an exact equilibrium, exact zeros for second price, determinism,
// and the CUDA per-thread body over an emulated grid against the CPU backend.
//
// Notation: own types v_k = (k + 1/2)/K (the quantile grid of U[0,1]), grid reports g_j = j/(J − 1).
// Against one opponent with value V ~ U[0,1]:
//   opponent truthful:     P(win | d) = d,             U(d; v) = (v − d) d,          best d = v/2, v²/4;
//   opponent at BNE (V/2): P(win | d) = min(1, 2d),    U(d; v) = (v − d) min(1, 2d), best d = v/2, v²/2.
// Every expectation below is computed exactly on the estimator's own grid ("grid truth"), and its
// distance to the continuum value (1/12, 1/6, ...) is bounded by the midpoint rule and the grid step.
#include "mcrev/engine.hpp"
#include "mcrev/incentives/interim.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>

namespace mcrev {
namespace {

IncentiveOptions interim_options(int values, int deviations, std::uint64_t samples, std::vector<double> shading = {}) {
  IncentiveOptions o;
  o.enabled = true;
  o.interim_loss = true;
  o.values = values;
  o.deviations = deviations;
  o.opponent_samples = samples;
  o.batches = 64;
  o.shading = std::move(shading);
  return o;
}

/// First price, n bidders U[0,1] in one group (or n groups of one when `split`), strategy st.
Scenario first_price(int n, StrategySpec::Kind st, const IncentiveOptions& opt, bool split = false,
                     MechKind kind = MechKind::FirstPrice) {
  Scenario sc;
  sc.seed = 77;
  for (int g = 0; g < (split ? n : 1); ++g) {
    GroupSpec gs;
    gs.name = "g" + std::to_string(g);
    gs.count = split ? 1 : n;
    gs.value.dist.kind = DistKind::Uniform;
    gs.value.dist.low = 0.0;
    gs.value.dist.high = 1.0;
    sc.groups.push_back(gs);
  }
  MechanismSpec m;
  m.name = "m";
  m.kind = kind;
  m.strategy.kind = st;
  m.incentives = opt;
  sc.mechanisms.push_back(m);
  return sc;
}

InterimGroupResult interim(const ModelData& md, const IncentiveOptions& opt, int group = 0, int threads = 2) {
  return estimate_interim(md, 0, group, opt, Backend::Cpu, threads, 0.95);
}

/// (1/K) Σ_k max(0, max over the type's candidate reports of U(d; v_k) − U(β(v_k); v_k)).
double grid_loss(const InterimGrid& grid, const std::function<double(double, double)>& U) {
  double total = 0.0;
  const int K = static_cast<int>(grid.values.size());
  for (int k = 0; k < K; ++k) {
    const double v = grid.values[k], base = U(grid.bids[grid.prescribed(k)], v);
    double best = 0.0;
    for (int j = 0; j < grid.grid; ++j) best = std::max(best, U(grid.bids[j], v) - base);
    for (size_t s = 0; s < grid.shading.size(); ++s) best = std::max(best, U(grid.bids[grid.shaded(s, k)], v) - base);
    total += best;
  }
  return total / K;
}

double u_vs_truthful(double d, double v) { return (v - d) * std::min(1.0, std::max(0.0, d)); }
double u_vs_bne(double d, double v) { return (v - d) * std::min(1.0, std::max(0.0, 2 * d)); }

TEST(InterimLoss, FirstPriceAgainstTruthfulOpponent) {
  // Everybody truthful: the prescribed report v wins at price v (U = 0); the best response v/2 gains
  // v²/4, 1/12 ex ante. On the grid: 0 <= 1/12 − truth <= 1/(48K²) (midpoint rule for v²/4) +
  // max_k (grid step/2)² (best grid report within half a step of v/2; U is −(d − v/2)² + v²/4).
  const int K = 32, J = 64;
  const IncentiveOptions opt = interim_options(K, J, 1 << 16);
  const ModelData md = build_model(first_price(2, StrategySpec::Truthful, opt));
  const InterimGrid grid = make_interim_grid(md, 0, 0, opt);
  const double truth = grid_loss(grid, u_vs_truthful);
  EXPECT_GE(1.0 / 12 - truth, 0.0);
  EXPECT_LE(1.0 / 12 - truth, 1.0 / (48.0 * K * K) + 0.25 / ((J - 1.0) * (J - 1.0)));
  const InterimGroupResult r = interim(md, opt);
  EXPECT_NEAR(r.exante.mean, truth, 5 * r.exante.stderr_);
  EXPECT_NEAR(r.exante_crossfit.mean, truth, 5 * r.exante_crossfit.stderr_);
  EXPECT_EQ(r.prescribed_utility.mean, 0.0);  // truthful first price: u = 0 at every draw
  EXPECT_NEAR(r.relative.mean, 1.0, 1e-12);
  // Per type: v²/4 less the grid's distance, within 5 SE; the best report is near v/2.
  for (int k : {0, K / 2, K - 1}) {
    const InterimTypePoint& p = r.curve[k];
    double best = 0.0;
    for (int j = 0; j < J; ++j) best = std::max(best, u_vs_truthful(grid.bids[j], p.value));
    EXPECT_NEAR(p.loss.mean, best, 5 * p.loss.stderr_ + 1e-12) << "type " << p.value;
    EXPECT_NEAR(p.loss_crossfit.mean, best, 5 * p.loss_crossfit.stderr_ + 1e-12) << "type " << p.value;
  }
  EXPECT_NEAR(r.worst_type_value, grid.values[K - 1], 1e-12);  // the loss v²/4 grows with v
}

TEST(InterimLoss, TruthfulAgainstBneOpponentLosesOneSixth) {
  // Bidder 0 truthful (U = 0), the opponent at the BNE β(v) = v/2. Best response v/2 gives
  // (v/2)·2(v/2) = v²/2, so the loss is v²/2 per type and 1/6 ex ante (the 1/12 is the
  // truthful-opponent case above). Grid: 0 <= 1/6 − truth <= 1/(24K²) + 2 (step/2)².
  const int K = 32, J = 64;
  const IncentiveOptions opt = interim_options(K, J, 1 << 16);
  ModelData md = build_model(first_price(2, StrategySpec::Bne, opt, /*split=*/true));
  md.strategies[md.mechanisms[0].strategies + 0] = Strategy{};  // group 0 bids truthfully
  const InterimGrid grid = make_interim_grid(md, 0, 0, opt);
  EXPECT_EQ(grid.bids[grid.prescribed(3)], grid.values[3]);
  const double truth = grid_loss(grid, u_vs_bne);
  EXPECT_GE(1.0 / 6 - truth, 0.0);
  EXPECT_LE(1.0 / 6 - truth, 1.0 / (24.0 * K * K) + 0.5 / ((J - 1.0) * (J - 1.0)));
  const InterimGroupResult r = interim(md, opt, 0);
  EXPECT_NEAR(r.exante.mean, truth, 5 * r.exante.stderr_);
  EXPECT_NEAR(r.exante_crossfit.mean, truth, 5 * r.exante_crossfit.stderr_);
  // Group 1 bids v/2, which is also its best response to a truthful opponent (U = (v − d) d is
  // largest at d = v/2): no gain, the cross-fitted interval contains 0.
  const InterimGroupResult r1 = interim(md, opt, 1);
  EXPECT_LE(r1.exante_crossfit.ci_low, 0.0);
  EXPECT_GE(r1.exante_crossfit.ci_high, 0.0);
}

TEST(InterimLoss, ShadingCurveAgainstBneOpponent) {
  // Symmetric BNE (opponent bids V/2); own report α·v:
  //   U_α(v) = (1 − α) v · min(1, 2αv).
  // Ex ante over v ~ U[0,1]:
  //   α <= 1/2:  ∫ 2α(1 − α) v² dv = 2α(1 − α)/3;
  //   α > 1/2:   ∫_0^{1/(2α)} 2α(1 − α) v² dv + ∫_{1/(2α)}^1 (1 − α) v dv
  //            = (1 − α)/(12α²) + (1 − α)(1 − 1/(4α²))/2 = (1 − α)/2 − (1 − α)/(24α²).
  // Both branches give 1/6 at α = 1/2 (the equilibrium) and 0 at α = 1 (truthful: −1/6 against the
  // equilibrium). The estimator averages U_α over the quantile grid: compared with the grid average
  // within 5 SE, and the grid average with the closed form within the midpoint rule's error
  // (<= max|U''|/(24K²) + (jump of U' at the kink)/(8K²) <= 1/K²).
  const int K = 64;
  const std::vector<double> alphas = {0.25, 0.5, 0.75, 1.0};
  const IncentiveOptions opt = interim_options(K, 16, 1 << 16, alphas);
  const ModelData md = build_model(first_price(2, StrategySpec::Bne, opt));
  const InterimGrid grid = make_interim_grid(md, 0, 0, opt);
  const InterimGroupResult r = interim(md, opt);
  ASSERT_EQ(r.shading.size(), alphas.size());
  double prescribed = 0.0;
  for (double v : grid.values) prescribed += v * v / 2 / K;
  EXPECT_NEAR(r.prescribed_utility.mean, prescribed, 5 * r.prescribed_utility.stderr_);
  for (size_t s = 0; s < alphas.size(); ++s) {
    const double a = alphas[s];
    double on_grid = 0.0;
    for (double v : grid.values) on_grid += (1 - a) * v * std::min(1.0, 2 * a * v) / K;
    const double closed = a <= 0.5 ? 2 * a * (1 - a) / 3 : (1 - a) / 2 - (1 - a) / (24 * a * a);
    EXPECT_LE(std::fabs(on_grid - closed), 1.0 / (K * K)) << "alpha " << a;
    const ShadingPoint& p = r.shading[s];
    EXPECT_EQ(p.alpha, a);
    EXPECT_NEAR(p.utility.mean, on_grid, 5 * p.utility.stderr_ + 1e-15) << "alpha " << a;
    EXPECT_NEAR(p.gain.mean, on_grid - prescribed, 5 * p.gain.stderr_ + 1e-12) << "alpha " << a;
  }
  EXPECT_EQ(r.shading[3].utility.mean, 0.0);                                         // truthful: u = 0
  EXPECT_NEAR(r.shading[3].gain.mean, -1.0 / 6, 5 * r.shading[3].gain.stderr_ + 1.0 / (24.0 * K * K));
}

TEST(InterimLoss, CrossFittingAtTheEquilibrium) {
  // At the BNE no report beats β(v) in expectation. The plain estimate maximizes noise, so it is
  // positive and its bias shrinks as the opponent sample grows; the cross-fitted estimate evaluates
  // the selected report on independent draws and its interval contains 0.
  const int K = 32, J = 128;
  double previous = HUGE_VAL;
  for (std::uint64_t samples : {std::uint64_t{1} << 12, std::uint64_t{1} << 15, std::uint64_t{1} << 18}) {
    const IncentiveOptions opt = interim_options(K, J, samples);
    const ModelData md = build_model(first_price(2, StrategySpec::Bne, opt));
    const InterimGroupResult r = interim(md, opt);
    EXPECT_GT(r.exante.mean, 0.0) << samples;
    EXPECT_LT(r.exante.mean, previous) << samples;
    previous = r.exante.mean;
    EXPECT_LE(r.exante_crossfit.ci_low, 0.0) << samples;
    EXPECT_GE(r.exante_crossfit.ci_high, 0.0) << samples;
    EXPECT_LE(r.exante_crossfit.mean, r.exante.mean) << samples;
  }
}

TEST(InterimLoss, SecondPriceIsExactlyZero) {
  // Truthful second price: for every opponent draw, a report d != v changes the outcome only when
  // the opponent's bid lies between d and v, and then it costs v − opp (or forgoes it) — every
  // per-draw gain is <= 0, so no sample ever shows a better report and every loss is exactly 0.
  const IncentiveOptions opt = interim_options(16, 64, 1 << 14, {0.5, 1.5});
  const ModelData md = build_model(first_price(3, StrategySpec::Truthful, opt, false, MechKind::SecondPrice));
  const InterimGroupResult r = interim(md, opt);
  EXPECT_EQ(r.exante.mean, 0.0);
  EXPECT_EQ(r.exante_crossfit.mean, 0.0);
  EXPECT_EQ(r.exante.stderr_, 0.0);
  for (const InterimTypePoint& p : r.curve) EXPECT_EQ(p.loss.mean, 0.0);
}

TEST(InterimLoss, DeterministicAcrossThreads) {
  const IncentiveOptions opt = interim_options(8, 16, 3000, {0.8});
  const ModelData md = build_model(first_price(3, StrategySpec::Bne, opt));
  const InterimGrid grid = make_interim_grid(md, 0, 0, opt);
  const InterimLayout layout = interim_layout(opt.opponent_samples, opt.batches);
  const InterimSums a = interim_sums_cpu(md, grid, layout, 1), b = interim_sums_cpu(md, grid, layout, 2);
  EXPECT_EQ(a.win, b.win);
  EXPECT_EQ(a.pay, b.pay);
}

TEST(InterimLayoutTest, UnitsPartitionTheBatches) {
  const InterimLayout l = interim_layout(1000003, 64);
  EXPECT_EQ(l.per_batch, 15626u);  // ceil(1000003 / 64)
  EXPECT_EQ(l.draws(), 15626u * 64);
  EXPECT_EQ(l.units_per_batch, 4);  // ceil(15626 / 4096)
  std::uint64_t next = 0;
  for (std::uint64_t u = 0; u < l.units(); ++u) {
    EXPECT_EQ(l.unit_begin(u), next);
    EXPECT_LE(l.unit_end(u) - l.unit_begin(u), kInterimUnitDraws);
    EXPECT_GT(l.unit_end(u), l.unit_begin(u));
    next = l.unit_end(u);
  }
  EXPECT_EQ(next, l.draws());
}

TEST(InterimKernelBody, EmulatedGridMatchesCpuBitwise) {
  // The CUDA kernel's structure on the CPU: blocks of `block` threads own consecutive reports of one
  // work unit; per tile of `tile_draws` draws the threads fill the tile's reports (one draw per
  // thread, strided), then each thread runs its report over the tile; sums carry across tiles; the
  // units are folded into batches in unit order. Odd sizes so that tiles and report blocks are ragged.
  const IncentiveOptions opt = interim_options(4, 8, 20000, {0.9});
  IncentiveOptions o = opt;
  o.batches = 4;
  const ModelData md = build_model(first_price(3, StrategySpec::Bne, o));
  const Model view = md.view();
  const InterimGrid grid = make_interim_grid(md, 0, 0, o);
  const InterimLayout layout = interim_layout(o.opponent_samples, o.batches);
  ASSERT_EQ(layout.units_per_batch, 2);
  const InterimSums cpu = interim_sums_cpu(md, grid, layout, 2);

  const int block = 5, tile_draws = 7, n = view.n_bidders, nb = static_cast<int>(grid.bids.size());
  std::vector<double> unit_win(layout.units() * nb), unit_pay(layout.units() * nb);
  std::vector<double> tile(tile_draws * n), v(n), b(view.scratch_doubles()), w(block), p(block);
  for (std::uint64_t u = 0; u < layout.units(); ++u) {
    const std::uint64_t d0 = layout.unit_begin(u), d1 = layout.unit_end(u);
    for (int bt = 0; bt * block < nb; ++bt) {
      std::fill(w.begin(), w.end(), 0.0);
      std::fill(p.begin(), p.end(), 0.0);
      for (std::uint64_t t0 = d0; t0 < d1; t0 += tile_draws) {
        const int count = static_cast<int>(std::min<std::uint64_t>(tile_draws, d1 - t0));
        for (int thread = 0; thread < block; ++thread)
          for (int t = thread; t < count; t += block) interim_draw_reports(view, 0, t0 + t, v.data(), &tile[t * n]);
        for (int thread = 0; thread < block; ++thread) {
          const int j = bt * block + thread;
          if (j < nb)
            interim_accumulate(view, 0, grid.bidder, grid.bids[j], tile.data(), count, t0, b.data(), &w[thread], &p[thread]);
        }
      }
      for (int thread = 0; thread < block; ++thread) {
        const int j = bt * block + thread;
        if (j < nb) {
          unit_win[u * nb + j] = w[thread];
          unit_pay[u * nb + j] = p[thread];
        }
      }
    }
  }
  InterimSums emulated;
  emulated.layout = layout;
  emulated.win.assign(cpu.win.size(), 0.0);
  emulated.pay.assign(cpu.pay.size(), 0.0);
  interim_fold_units(layout, 0, layout.units(), nb, unit_win.data(), unit_pay.data(), emulated);
  EXPECT_EQ(cpu.win, emulated.win);
  EXPECT_EQ(cpu.pay, emulated.pay);
  // and the sums are what they claim: every draw counted once per report
  double draws = 0.0;
  for (int c = 0; c < layout.batches; ++c) draws += cpu.win[c * nb + 0];
  EXPECT_LE(draws, static_cast<double>(layout.draws()));
}

TEST(InterimLoss, RunAttachesIrWorstType) {
  // Through run(): the IR worst type of first price at the BNE is the lowest type, U = v²/2.
  Scenario sc = first_price(2, StrategySpec::Bne, interim_options(16, 32, 1 << 14));
  sc.samples = 1000;
  RunOptions ro;
  ro.backend = Backend::Cpu;
  const RunResult r = run(sc, ro);
  const IrGroupResult& ir = r.mechanisms[0].incentives.ir[0];
  ASSERT_TRUE(ir.has_worst_type);
  EXPECT_EQ(ir.worst_type_value, 0.5 / 16);
  EXPECT_NEAR(ir.worst_type_utility.mean, 0.5 * ir.worst_type_value * ir.worst_type_value,
              5 * ir.worst_type_utility.stderr_ + 1e-12);
  ASSERT_EQ(r.mechanisms[0].incentives.interim.size(), 1u);
}

}  // namespace
}  // namespace mcrev
