// Interim utility loss: grid, CPU backend, fixed-order merge and the batch-means analysis
// (mcrev/interim.hpp; docs/incentives.md, "Interim utility loss").
#include "mcrev/incentives/interim.hpp"

#include "mcrev/core/error.hpp"
#include "mcrev/core/special.hpp"

#include "incentives/incentives.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>

namespace mcrev {

InterimLayout interim_layout(std::uint64_t samples, int batches) {
  InterimLayout l;
  l.batches = batches;
  l.per_batch = (samples + batches - 1) / batches;
  l.units_per_batch = static_cast<int>((l.per_batch + kInterimUnitDraws - 1) / kInterimUnitDraws);
  return l;
}

InterimGrid make_interim_grid(const ModelData& md, int m, int g, const IncentiveOptions& opt) {
  InterimGrid grid;
  grid.mechanism = m;
  grid.group = g;
  grid.bidder = md.groups[g].first;
  grid.grid = opt.deviations;
  const auto [lo, hi] = incentive_bid_range(md, opt, g, m);
  grid.bid_low = lo;
  grid.bid_high = hi;
  grid.shading = opt.shading;
  const int K = opt.values, J = opt.deviations;
  const Distribution& d = md.groups[g].dist;
  for (int k = 0; k < K; ++k) grid.values.push_back(d.quantile((k + 0.5) / K, md.arena.data()));
  for (int j = 0; j < J; ++j) grid.bids.push_back(j == J - 1 ? hi : lo + (hi - lo) * (static_cast<double>(j) / (J - 1)));
  // Prescribed reports through the generic compute_reports (every bidder given the type v_k).
  const Model view = md.view();
  std::vector<double> v(md.view().n_values), b(md.view().scratch_doubles());
  for (int k = 0; k < K; ++k) {
    std::fill(v.begin(), v.end(), grid.values[k]);
    compute_reports(view, m, v.data(), b.data());
    grid.bids.push_back(b[view.value_index(grid.bidder)]);
  }
  for (double a : grid.shading)
    for (int k = 0; k < K; ++k) grid.bids.push_back(std::min(hi, std::max(lo, a * grid.values[k])));
  return grid;
}

void interim_fold_units(const InterimLayout& layout, std::uint64_t unit_first, std::uint64_t count, int nb,
                        const double* unit_win, const double* unit_pay, InterimSums& sums) {
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t c = (unit_first + i) / layout.units_per_batch;
    double* w = sums.win.data() + c * nb;
    double* p = sums.pay.data() + c * nb;
    for (int j = 0; j < nb; ++j) {
      w[j] += unit_win[i * nb + j];
      p[j] += unit_pay[i * nb + j];
    }
  }
}

InterimSums interim_sums_cpu(const ModelData& md, const InterimGrid& grid, const InterimLayout& layout, int threads) {
  const Model model = md.view();
  const int n = model.n_values, nb = static_cast<int>(grid.bids.size());
  InterimSums out;
  out.layout = layout;
  out.win.assign(static_cast<size_t>(layout.batches) * nb, 0.0);
  out.pay.assign(out.win.size(), 0.0);
  const int K = static_cast<int>(grid.values.size());
  out.rho = model.groups[grid.group].risk;
  const bool risk = out.rho != 1.0;
  if (risk) {
    MCREV_EXPECTS(static_cast<std::uint64_t>(layout.batches) * nb * K <= kInterimRiskCells, "mechanisms[" + std::to_string(grid.mechanism) + "].incentives.values",
                  "risk-averse bidders keep batches x reports x values utility sums; " +
                      std::to_string(static_cast<std::uint64_t>(layout.batches) * nb * K) + " exceeds 2^25 (lower values, "
                      "deviations or batches)");
    out.util.assign(static_cast<size_t>(layout.batches) * nb * K, 0.0);
  }
  const unsigned hc = std::thread::hardware_concurrency();
  int t_count = threads > 0 ? threads : static_cast<int>(hc ? hc : 1);
  t_count = std::max(1, std::min(t_count, layout.batches));
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::exception_ptr error;
  auto work = [&] {
    try {
      std::vector<double> tile(kInterimUnitDraws * n), v(n), b(model.scratch_doubles()), uw(nb), up(nb), uk(K);
      for (;;) {
        const int c = next.fetch_add(1);
        if (c >= layout.batches || failed) break;
        for (int k = 0; k < layout.units_per_batch; ++k) {
          const std::uint64_t u = static_cast<std::uint64_t>(c) * layout.units_per_batch + k;
          const std::uint64_t d0 = layout.unit_begin(u), d1 = layout.unit_end(u);
          const int count = static_cast<int>(d1 - d0);
          for (int t = 0; t < count; ++t)
            interim_draw_reports(model, grid.mechanism, d0 + t, v.data(), tile.data() + static_cast<size_t>(t) * n);
          if (risk) {  // utility sums per type, added into batch c in unit order
            for (int j = 0; j < nb; ++j) {
              std::fill(uk.begin(), uk.end(), 0.0);
              interim_accumulate_risk(model, grid.mechanism, grid.bidder, grid.bids[j], tile.data(), count, d0, b.data(),
                                      out.rho, grid.values.data(), K, uk.data());
              double* dst = out.util.data() + (static_cast<size_t>(c) * nb + j) * K;
              for (int a = 0; a < K; ++a) dst[a] += uk[a];
            }
            continue;
          }
          for (int j = 0; j < nb; ++j) {
            double w = 0.0, p = 0.0;
            interim_accumulate(model, grid.mechanism, grid.bidder, grid.bids[j], tile.data(), count, d0, b.data(), &w,
                               &p);
            uw[j] = w;
            up[j] = p;
          }
          interim_fold_units(layout, u, 1, nb, uw.data(), up.data(), out);  // batch c is this thread's alone
        }
      }
    } catch (...) {
      std::lock_guard<std::mutex> lk(mu);
      if (!error) error = std::current_exception();
      failed = true;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < t_count; ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  return out;
}

namespace {

double sample_variance(const double* x, int count) {
  if (count < 2) return 0.0;
  double mean = 0.0;
  for (int i = 0; i < count; ++i) mean += x[i];
  mean /= count;
  double ss = 0.0;
  for (int i = 0; i < count; ++i) ss += (x[i] - mean) * (x[i] - mean);
  return ss / (count - 1);
}

/// SE of the mean of batch values treated as iid (plain estimates).
double se_pooled(const std::vector<double>& x) {
  const int n = static_cast<int>(x.size());
  return std::sqrt(sample_variance(x.data(), n) / n);
}

/// SE of the mean of two halves with separate selections (cross-fitted estimates):
/// Var((L_A + L_B)/2) = (s_A²/h + s_B²/h)/4, each half's batches iid given the other half.
double se_halves(const std::vector<double>& x) {
  const int h = static_cast<int>(x.size()) / 2;
  return 0.5 * std::sqrt(sample_variance(x.data(), h) / h + sample_variance(x.data() + h, h) / h);
}

double mean_of(const std::vector<double>& x) {
  double s = 0.0;
  for (double v : x) s += v;
  return s / x.size();
}

}  // namespace

InterimGroupResult analyze_interim(const InterimGrid& grid, const InterimSums& sums, double confidence,
                                   CrossfitRule rule) {
  const double z = normal_quantile(0.5 + 0.5 * confidence);
  const int K = static_cast<int>(grid.values.size()), J = grid.grid, NB = static_cast<int>(grid.bids.size());
  const int S = static_cast<int>(grid.shading.size());
  const int Bn = sums.layout.batches, H = Bn / 2;
  const double per_batch = static_cast<double>(sums.layout.per_batch);
  const double N = per_batch * Bn, NH = per_batch * H;

  // Sums over all batches and over each half, in batch order.
  std::vector<double> W(NB, 0.0), P(NB, 0.0), W1(NB, 0.0), P1(NB, 0.0), W2(NB, 0.0), P2(NB, 0.0);
  for (int c = 0; c < Bn; ++c)
    for (int j = 0; j < NB; ++j) {
      const double w = sums.win[static_cast<size_t>(c) * NB + j], p = sums.pay[static_cast<size_t>(c) * NB + j];
      W[j] += w;
      P[j] += p;
      (c < H ? W1 : W2)[j] += w;
      (c < H ? P1 : P2)[j] += p;
    }
  // Risk-averse bidders: utility sums per (report, type) over all batches and each half.
  const bool risk = !sums.util.empty();
  std::vector<double> U, U1, U2;
  if (risk) {
    U.assign(static_cast<size_t>(NB) * K, 0.0);
    U1 = U2 = U;
    for (int c = 0; c < Bn; ++c)
      for (size_t q = 0; q < U.size(); ++q) {
        const double u = sums.util[static_cast<size_t>(c) * NB * K + q];
        U[q] += u;
        (c < H ? U1 : U2)[q] += u;
      }
  }
  auto batch_util = [&](int c, int k, int j) { return sums.util[(static_cast<size_t>(c) * NB + j) * K + k]; };
  // Best report of type k on sums (Wx, Px): the prescribed report is the incumbent and a report
  // replaces it only if its estimated utility is strictly larger, so a selected gain is >= 0 and
  // exactly 0 when nothing beats the prescribed report.
  auto gain_of = [&](const std::vector<double>& Wx, const std::vector<double>& Px, int k, int j) {
    const int p = grid.prescribed(k);
    if (risk) {
      const std::vector<double>& Ux = &Wx == &W ? U : (&Wx == &W1 ? U1 : U2);
      return Ux[static_cast<size_t>(j) * K + k] - Ux[static_cast<size_t>(p) * K + k];
    }
    return grid.values[k] * (Wx[j] - Wx[p]) - (Px[j] - Px[p]);
  };
  auto select = [&](const std::vector<double>& Wx, const std::vector<double>& Px, int k) {
    int best = grid.prescribed(k);
    double best_gain = 0.0;
    auto consider = [&](int j) {
      const double d = gain_of(Wx, Px, k, j);
      if (d > best_gain) {
        best_gain = d;
        best = j;
      }
    };
    for (int j = 0; j < J; ++j) consider(j);
    for (int s = 0; s < S; ++s) consider(grid.shaded(s, k));
    return best;
  };
  // Lower-confidence-bound selection on the batches [c0, c1): maximize Ĝ(j) − c·se(Ĝ(j)), where Ĝ(j)
  // is the half's summed gain over the prescribed report and se² = h·var_b(per-batch gain).
  const double c_lcb = std::max(0.0, normal_quantile(1.0 - rule.alpha / (J + S)));
  std::vector<double> batch_d(Bn);
  auto select_lcb = [&](int c0, int c1, int k) {
    const int p = grid.prescribed(k), h = c1 - c0;
    int best = p;
    double best_bound = 0.0;
    auto consider = [&](int j) {
      double total = 0.0;
      for (int c = c0; c < c1; ++c) {
        const size_t o = static_cast<size_t>(c) * NB;
        batch_d[c] = risk ? batch_util(c, k, j) - batch_util(c, k, p)
                          : grid.values[k] * (sums.win[o + j] - sums.win[o + p]) - (sums.pay[o + j] - sums.pay[o + p]);
        total += batch_d[c];
      }
      if (!(total > best_bound)) return;  // the bound is below the total
      const double bound = total - c_lcb * std::sqrt(h * sample_variance(batch_d.data() + c0, h));
      if (bound > best_bound) {
        best_bound = bound;
        best = j;
      }
    };
    for (int j = 0; j < J; ++j) consider(j);
    for (int s = 0; s < S; ++s) consider(grid.shaded(s, k));
    return best;
  };
  std::vector<int> sel(K), sel1(K), sel2(K);
  for (int k = 0; k < K; ++k) {
    sel[k] = select(W, P, k);
    sel1[k] = rule.lcb ? select_lcb(0, H, k) : select(W1, P1, k);
    sel2[k] = rule.lcb ? select_lcb(H, Bn, k) : select(W2, P2, k);
  }
  // Per-batch gain of type k with report j over its prescribed report, and utility of report j.
  auto batch_gain = [&](int c, int k, int j) {
    const size_t o = static_cast<size_t>(c) * NB;
    const int p = grid.prescribed(k);
    if (risk) return (batch_util(c, k, j) - batch_util(c, k, p)) / per_batch;
    return (grid.values[k] * (sums.win[o + j] - sums.win[o + p]) - (sums.pay[o + j] - sums.pay[o + p])) / per_batch;
  };
  auto batch_utility = [&](int c, int k, int j) {
    const size_t o = static_cast<size_t>(c) * NB;
    if (risk) return batch_util(c, k, j) / per_batch;
    return (grid.values[k] * sums.win[o + j] - sums.pay[o + j]) / per_batch;
  };

  // Variance floor (no interval of a quantity that is not exactly deterministic may have zero width):
  // when every batch agrees, an event that no draw showed (e.g. an opponent bid inside the gap between
  // two reports) may still have probability up to p* = 1 − (1 − level)^{1/n} in n draws (the rule of
  // three at 95 %), moving the mean by up to range × p*. The standard error is at least range · p*/z,
  // so the interval's half-width is at least that shift. range bounds the per-draw quantity: a report
  // b wins at most once and pays between 0 and |b| per draw; reports that never bid (−inf) neither win
  // nor pay. The gain of the prescribed report over itself is exactly 0 (range 0).
  const double level = confidence;
  auto floor_se = [&](double range, double n) {
    if (!(range > 0) || !(n > 0)) return 0.0;
    const double p_star = -std::expm1(std::log1p(-level) / n);
    return range * p_star / z;
  };
  // Risk-averse: per-draw utilities lie in [−|b|^ρ, |v|^ρ], so ranges use |·|^ρ.
  auto scaled = [&](double x) { return risk ? std::pow(std::fabs(x), sums.rho) : std::fabs(x); };
  auto pay_range = [&](int j) { return std::isfinite(grid.bids[j]) ? scaled(grid.bids[j]) : 0.0; };
  auto wins = [&](int j) { return std::isfinite(grid.bids[j]) ? 1.0 : 0.0; };
  auto gain_range = [&](int k, int j) {
    const int p = grid.prescribed(k);
    if (j == p) return 0.0;
    return scaled(grid.values[k]) * std::max(wins(j), wins(p)) + pay_range(j) + pay_range(p);
  };
  auto utility_range = [&](int k, int j) { return scaled(grid.values[k]) * wins(j) + pay_range(j); };

  InterimGroupResult r;
  r.values = K;
  r.deviations = J;
  r.batches = Bn;
  r.opponent_samples = sums.layout.draws();
  r.bid_low = grid.bid_low;
  r.bid_high = grid.bid_high;

  std::vector<double> plain_b(Bn, 0.0), cross_b(Bn, 0.0), util_b(Bn, 0.0), tmp(Bn);
  double plain = 0.0, util = 0.0;
  double plain_floor = 0.0, cross_floor = 0.0, util_floor = 0.0;  // ex-ante floors: means of the types'
  r.curve.resize(K);
  for (int k = 0; k < K; ++k) {
    InterimTypePoint& pt = r.curve[k];
    const int p = grid.prescribed(k);
    pt.value = grid.values[k];
    pt.prescribed_bid = grid.bids[p];
    pt.best_bid = grid.bids[sel[k]];
    const double loss = gain_of(W, P, k, sel[k]) / N;
    const double u = risk ? U[static_cast<size_t>(p) * K + k] / N : (grid.values[k] * W[p] - P[p]) / N;
    plain += loss;
    util += u;
    for (int c = 0; c < Bn; ++c) tmp[c] = batch_gain(c, k, sel[k]);
    for (int c = 0; c < Bn; ++c) plain_b[c] += tmp[c];
    const double f_plain = floor_se(gain_range(k, sel[k]), N);
    pt.loss = normal_interval(loss, std::max(se_pooled(tmp), f_plain), z);
    for (int c = 0; c < Bn; ++c) tmp[c] = batch_gain(c, k, c < H ? sel2[k] : sel1[k]);
    for (int c = 0; c < Bn; ++c) cross_b[c] += tmp[c];
    const double fa = floor_se(gain_range(k, sel2[k]), NH), fb = floor_se(gain_range(k, sel1[k]), NH);
    const double f_cross = 0.5 * std::sqrt(fa * fa + fb * fb);
    pt.loss_crossfit = normal_interval(mean_of(tmp), std::max(se_halves(tmp), f_cross), z);
    for (int c = 0; c < Bn; ++c) tmp[c] = batch_utility(c, k, p);
    for (int c = 0; c < Bn; ++c) util_b[c] += tmp[c];
    const double f_util = floor_se(utility_range(k, p), N);
    pt.utility = normal_interval(u, std::max(se_pooled(tmp), f_util), z);
    plain_floor += f_plain / K;
    cross_floor += f_cross / K;
    util_floor += f_util / K;
  }
  for (int c = 0; c < Bn; ++c) {
    plain_b[c] /= K;
    cross_b[c] /= K;
    util_b[c] /= K;
  }
  plain /= K;
  util /= K;
  // Cross-fitted ex-ante loss: the mean of the halves' evaluations (equal halves).
  double cross1 = 0.0, cross2 = 0.0;
  for (int k = 0; k < K; ++k) {
    cross1 += gain_of(W1, P1, k, sel2[k]) / NH;
    cross2 += gain_of(W2, P2, k, sel1[k]) / NH;
  }
  const double cross = 0.5 * (cross1 + cross2) / K;
  r.exante = normal_interval(plain, std::max(se_pooled(plain_b), plain_floor), z);
  r.exante_crossfit = normal_interval(cross, std::max(se_halves(cross_b), cross_floor), z);
  r.prescribed_utility = normal_interval(util, std::max(se_pooled(util_b), util_floor), z);
  // Relative loss L/(U + L) by the delta method on the batch values.
  auto relative = [&](double L, const std::vector<double>& Lb, bool halves, double floor_L) {
    const double denom = util + L;
    if (!(denom > 0)) {
      const double nan = std::nan("");
      return Estimate{nan, nan, nan, nan};
    }
    for (int c = 0; c < Bn; ++c) tmp[c] = (util * (Lb[c] - L) - L * (util_b[c] - util)) / (denom * denom);
    const double floor_rel = (std::fabs(util) * floor_L + std::fabs(L) * util_floor) / (denom * denom);
    return normal_interval(L / denom, std::max(halves ? se_halves(tmp) : se_pooled(tmp), floor_rel), z);
  };
  r.relative = relative(plain, plain_b, false, plain_floor);
  r.relative_crossfit = relative(cross, cross_b, true, cross_floor);
  int worst = 0;
  for (int k = 1; k < K; ++k)
    if (r.curve[k].loss_crossfit.mean > r.curve[worst].loss_crossfit.mean) worst = k;
  r.worst_type_value = r.curve[worst].value;
  r.worst_type_best_bid = r.curve[worst].best_bid;
  r.worst_type_loss = r.curve[worst].loss;
  r.worst_type_loss_crossfit = r.curve[worst].loss_crossfit;
  for (int s = 0; s < S; ++s) {
    ShadingPoint sp;
    sp.alpha = grid.shading[s];
    std::vector<double> ub(Bn, 0.0), gb(Bn, 0.0);
    double us = 0.0, fu = 0.0, fg = 0.0;
    for (int k = 0; k < K; ++k) {
      const int j = grid.shaded(s, k);
      us += risk ? U[static_cast<size_t>(j) * K + k] / N : (grid.values[k] * W[j] - P[j]) / N;
      fu += floor_se(utility_range(k, j), N) / K;
      fg += floor_se(gain_range(k, j), N) / K;
      for (int c = 0; c < Bn; ++c) {
        ub[c] += batch_utility(c, k, j) / K;
        gb[c] += batch_gain(c, k, j) / K;
      }
    }
    us /= K;
    sp.utility = normal_interval(us, std::max(se_pooled(ub), fu), z);
    sp.gain = normal_interval(us - util, std::max(se_pooled(gb), fg), z);
    r.shading.push_back(sp);
  }
  return r;
}

InterimGroupResult estimate_interim(const ModelData& md, int m, int g, const IncentiveOptions& opt, Backend backend,
                                    int threads, double confidence) {
  const auto t0 = std::chrono::steady_clock::now();
  const InterimGrid grid = make_interim_grid(md, m, g, opt);
  const InterimLayout layout = interim_layout(opt.opponent_samples, opt.batches);
  // Risk-averse groups need per-type utility sums, which only the CPU backend accumulates.
  const bool risk = md.groups[g].risk != 1.0;
  const InterimSums sums = backend == Backend::Cuda && !risk ? interim_sums_cuda(md, grid, layout)
                                                             : interim_sums_cpu(md, grid, layout, threads);
  InterimGroupResult r = analyze_interim(grid, sums, confidence, CrossfitRule{opt.crossfit_lcb, opt.crossfit_alpha});
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace mcrev
