// No zero-width interval unless the quantity is exactly deterministic (issue 8, part 4): when every
// batch agrees, the interim-loss standard errors fall back to the rule-of-three floor
// range · p*/z, p* = 1 − (1 − level)^{1/n}.
#include "mcrev/engine.hpp"
#include "mcrev/incentives/interim.hpp"
#include "mcrev/core/special.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace mcrev {
namespace {

// One type v = 0.890625 of an all-pay bidder (pays its bid on every draw) whose prescribed bid b_p and
// a grid report b_p − δ win exactly the same draws in every batch: the per-batch gain is δ everywhere,
// so the batch variance is 0 — the case (δ = 3.78e-5, truth 0: no opponent bid fell in the gap).
TEST(InterimFloor, AgreeingBatchesDoNotGiveAZeroWidthInterval) {
  const double v = 0.890625, bp = 0.5216064453125, delta = 3.78e-5;
  InterimGrid grid;
  grid.grid = 2;
  grid.bid_low = 0.0;
  grid.bid_high = 1.0;
  grid.values = {v};
  grid.bids = {0.3, bp - delta, bp};  // two grid reports, then the prescribed one
  InterimSums sums;
  sums.layout.batches = 64;
  sums.layout.per_batch = 1024;
  sums.layout.units_per_batch = 1;
  const int NB = 3;
  for (int c = 0; c < sums.layout.batches; ++c) {
    const double wins_high = 800 + (c % 7), wins_low = 100 + (c % 5);  // varies by batch, same for both high reports
    const double pb = static_cast<double>(sums.layout.per_batch);
    const double w[NB] = {wins_low, wins_high, wins_high}, p[NB] = {0.3 * pb, (bp - delta) * pb, bp * pb};
    for (int j = 0; j < NB; ++j) {
      sums.win.push_back(w[j]);
      sums.pay.push_back(p[j]);
    }
  }
  for (double level : {0.9, 0.95, 0.99}) {
    const InterimGroupResult r = analyze_interim(grid, sums, level);
    const InterimTypePoint& pt = r.curve[0];
    // Both halves select the deviation (its gain δ is certain on the sample); the mean is δ.
    EXPECT_NEAR(pt.loss_crossfit.mean, delta, 1e-12);
    EXPECT_NEAR(pt.loss.mean, delta, 1e-12);
    const double z = normal_quantile(0.5 + 0.5 * level);
    const double range = v + (bp - delta) + bp;  // |v| · 1 win + both reports' payments
    const double n_half = 64.0 / 2 * 1024, n_all = 64.0 * 1024;
    const double floor_half = range * -std::expm1(std::log1p(-level) / n_half) / z;
    const double floor_all = range * -std::expm1(std::log1p(-level) / n_all) / z;
    EXPECT_GT(pt.loss_crossfit.stderr_, 0.0);
    EXPECT_NEAR(pt.loss_crossfit.stderr_, 0.5 * std::sqrt(2.0) * floor_half, 1e-15);
    EXPECT_NEAR(pt.loss.stderr_, floor_all, 1e-15);
    EXPECT_GT(r.exante_crossfit.stderr_, 0.0);
    // The interval covers the truth 0.
    EXPECT_LE(pt.loss_crossfit.ci_low, 0.0) << level;
    EXPECT_LE(pt.loss.ci_low, 0.0) << level;
  }
}

// The prescribed report against itself is exactly deterministic: zero width stays allowed there.
TEST(InterimFloor, ExactlyDeterministicZeroKeepsZeroWidth) {
  InterimGrid grid;
  grid.grid = 1;
  grid.values = {0.5};
  grid.bids = {0.1, 0.25};  // the grid report loses utility on every batch
  InterimSums sums;
  sums.layout.batches = 4;
  sums.layout.per_batch = 100;
  sums.layout.units_per_batch = 1;
  for (int c = 0; c < 4; ++c) {
    sums.win.insert(sums.win.end(), {10.0 + c, 60.0 + c});
    sums.pay.insert(sums.pay.end(), {10.0, 25.0});
  }
  const InterimGroupResult r = analyze_interim(grid, sums, 0.95);
  EXPECT_EQ(r.curve[0].loss.mean, 0.0);
  EXPECT_EQ(r.curve[0].loss.stderr_, 0.0);
  EXPECT_EQ(r.curve[0].loss_crossfit.stderr_, 0.0);
}

// Coverage at an exact equilibrium (truth 0 for every type): all-pay, minimum bid 0.25, two iid
// U[0,1] bidders at the BNE, over seeds. No type's cross-fitted interval has zero width with a
// nonzero mean, and at least 90 % of the types' 95 % intervals contain 0.
TEST(InterimFloor, CoverageAtTheAllPayEquilibrium) {
  int covered = 0, total = 0;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    Scenario sc;
    sc.seed = seed;
    GroupSpec g;
    g.name = "bidders";
    g.count = 2;
    g.value.dist.kind = DistKind::Uniform;
    g.value.dist.low = 0.0;
    g.value.dist.high = 1.0;
    sc.groups.push_back(g);
    MechanismSpec m;
    m.name = "all_pay";
    m.kind = MechKind::AllPay;
    m.reserve = 0.25;
    m.strategy.kind = StrategySpec::Bne;
    m.incentives.enabled = true;
    m.incentives.interim_loss = true;
    m.incentives.values = 32;
    sc.mechanisms.push_back(m);
    const ModelData md = build_model(sc);
    const InterimGroupResult r = estimate_interim(md, 0, 0, m.incentives, Backend::Cpu, 2, 0.95);
    for (const InterimTypePoint& p : r.curve) {
      if (p.loss_crossfit.mean != 0.0) {
        EXPECT_GT(p.loss_crossfit.stderr_, 0.0) << "seed " << seed << " v " << p.value;
      }
      if (p.loss.mean != 0.0) {
        EXPECT_GT(p.loss.stderr_, 0.0) << "seed " << seed << " v " << p.value;
      }
      covered += p.loss_crossfit.ci_low <= 0.0 && 0.0 <= p.loss_crossfit.ci_high;
      ++total;
    }
  }
  EXPECT_GE(covered, 0.9 * total) << covered << " / " << total;
}

}  // namespace
}  // namespace mcrev
