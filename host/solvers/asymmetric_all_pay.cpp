#include "solvers/asymmetric_all_pay.hpp"
#include "solvers/asymmetric_bne.hpp"

#include "mcrev/core/error.hpp"
#include "solvers/distribution_ext.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace mcrev {

namespace {

constexpr double kBottomQuantile = 1e-12;  // the trajectory ends where group 0's quantile reaches this

struct AllPayProblem {
  const std::vector<Distribution>* dists;
  const double* arena;
  std::vector<double> n;
  double N;
  int G;
  /// ds_g/dσ (ds_0/dσ = 1) and db/dσ at the state s (s_0 = σ); false where a group's inverse bid
  /// would not rise with the bid (s_g' <= 0: it would stay out of these bids) or a value is not > 0.
  bool rhs(const std::vector<double>& s, std::vector<double>& ds, double* db, int* bad) const {
    double L = 0.0;
    for (int g = 0; g < G; ++g) L += n[g] * s[g];
    std::vector<double> log_y(G);
    double M = -HUGE_VAL;
    for (int g = 0; g < G; ++g) {
      const double phi = (*dists)[g].quantile(std::exp(std::min(s[g], 0.0)), arena);
      if (!(phi > 0.0)) {
        *bad = g;
        return false;
      }
      log_y[g] = -std::log(phi) - (L - s[g]);  // y_g = 1/(φ_g P_g), P_g = exp(L − s_g)
      M = std::max(M, log_y[g]);
    }
    double S = 0.0;
    std::vector<double> y(G);
    for (int g = 0; g < G; ++g) {
      y[g] = std::exp(log_y[g] - M);
      S += n[g] * y[g];
    }
    S /= (N - 1.0);
    const double d0 = S - y[0];
    for (int g = 0; g < G; ++g) {
      const double d = S - y[g];
      if (!(d > 0.0)) {
        *bad = g;
        return false;
      }
      ds[g] = d / d0;
    }
    *db = std::exp(-M) / d0;
    return true;
  }
};

}  // namespace

void validate_asymmetric_all_pay(const Scenario& sc, size_t m) {
  const std::string path = "mechanisms[" + std::to_string(m) + "].strategy";
  MCREV_EXPECTS(sc.mechanisms[m].reserve == 0.0, path,
                "the asymmetric all-pay equilibrium is implemented without a minimum bid (reserve = 0) only");
  double N = 0.0, S = 0.0;
  for (size_t g = 0; g < sc.groups.size(); ++g) {
    const DistributionSpec& v = sc.groups[g].value;
    MCREV_EXPECTS(v.dist.low == 0.0 && std::isfinite(v.dist.high), path,
                  "the asymmetric all-pay equilibrium is implemented for bounded values with lowest value 0 (bidders[" +
                      std::to_string(g) + "] has support [" + std::to_string(v.dist.low) + ", " +
                      std::to_string(v.dist.high) + "])");
    MCREV_EXPECTS(!has_discrete_part(v), path,
                  "the asymmetric all-pay equilibrium needs continuous values (bidders[" + std::to_string(g) + "] has atoms)");
    N += sc.groups[g].count;
    S += sc.groups[g].count / v.dist.high;
  }
  for (size_t g = 0; g < sc.groups.size(); ++g)
    MCREV_EXPECTS(S > (N - 1.0) / sc.groups[g].value.dist.high, path,
                  "the asymmetric all-pay equilibrium with every group bidding over the whole bid range does not exist "
                  "here (bidders[" + std::to_string(g) + "] would stay out of the highest bids: Σ n_h/hi_h <= (N − 1)/hi_g): "
                  "not implemented for these groups");
}

AllPayAsymmetricSolution all_pay_bne_asymmetric(const std::vector<Distribution>& dists, const std::vector<int>& counts,
                                                const double* arena, double min_bid, const std::string& path, int steps) {
  const int G = static_cast<int>(dists.size());
  AllPayProblem pr{&dists, arena, {}, 0.0, G};
  for (int g = 0; g < G; ++g) {
    pr.n.push_back(counts[g]);
    pr.N += counts[g];
    const Distribution& d = dists[g];
    MCREV_EXPECTS(d.low == 0.0 && std::isfinite(d.high), path,
                  "the asymmetric all-pay equilibrium is implemented for bounded values with lowest value 0 (bidders[" +
                      std::to_string(g) + "] has support [" + std::to_string(d.low) + ", " + std::to_string(d.high) + "])");
    MCREV_EXPECTS(atoms(d, arena).empty(), path,
                  "the asymmetric all-pay equilibrium needs continuous values (bidders[" + std::to_string(g) + "] has atoms)");
  }
  MCREV_EXPECTS(pr.N >= 2, path, "an all-pay equilibrium needs at least 2 bidders");
  MCREV_EXPECTS(min_bid == 0.0, path,
                "the asymmetric all-pay equilibrium is implemented without a minimum bid (reserve = 0) only");
  const double sigma_min = std::log(kBottomQuantile);
  const double h = -sigma_min / steps;
  // Trajectory s(σ_k), σ_k = −k h, k = 0..steps, integrated downward with RK4; B_k = ∫_{σ_k}^0 db/dσ.
  std::vector<std::vector<double>> traj(steps + 1, std::vector<double>(G, 0.0));
  std::vector<double> B(steps + 1, 0.0), rate(steps + 1, 0.0);
  std::vector<double> k1(G), k2(G), k3(G), k4(G), tmp(G);
  double b1, b2, b3, b4;
  auto eval = [&](const std::vector<double>& s, std::vector<double>& ds, double* db) {
    int bad = -1;
    if (!pr.rhs(s, ds, db, &bad))
      throw ScenarioError(path, "the asymmetric all-pay equilibrium with every group bidding over the whole bid range "
                                "does not exist here (bidders[" + std::to_string(bad) +
                                "] would stay out of some bids): not implemented for these groups");
  };
  eval(traj[0], k1, &rate[0]);
  for (int k = 0; k < steps; ++k) {
    const std::vector<double>& s = traj[k];
    eval(s, k1, &b1);
    for (int g = 0; g < G; ++g) tmp[g] = s[g] - 0.5 * h * k1[g];
    eval(tmp, k2, &b2);
    for (int g = 0; g < G; ++g) tmp[g] = s[g] - 0.5 * h * k2[g];
    eval(tmp, k3, &b3);
    for (int g = 0; g < G; ++g) tmp[g] = s[g] - h * k3[g];
    eval(tmp, k4, &b4);
    for (int g = 0; g < G; ++g) traj[k + 1][g] = s[g] - h / 6 * (k1[g] + 2 * k2[g] + 2 * k3[g] + k4[g]);
    traj[k + 1][0] = -(k + 1) * h;  // σ itself, without rounding drift
    B[k + 1] = B[k] + h / 6 * (b1 + 2 * b2 + 2 * b3 + b4);
    eval(traj[k + 1], k1, &rate[k + 1]);
  }
  // Tail below σ_min: db/dσ ≈ rate · e^{κ(σ − σ_min)}, so ∫_{−∞}^{σ_min} = rate/κ.
  const double kappa = (std::log(rate[steps - 1]) - std::log(rate[steps])) / h;
  const double tail = kappa > 0 && std::isfinite(kappa) ? rate[steps] / kappa : 0.0;
  AllPayAsymmetricSolution sol;
  sol.top_bid = B[steps] + tail;
  sol.value.assign(G, {});
  sol.bid.assign(G, {});
  sol.max_error.assign(G, 0.0);
  for (int g = 0; g < G; ++g) {
    std::vector<double>& xs = sol.value[g];
    std::vector<double>& ys = sol.bid[g];
    for (int k = steps - (steps % 2); k >= 0; k -= 2) {  // every other point, ascending values
      const double v = dists[g].quantile(std::exp(std::min(traj[k][g], 0.0)), arena);
      const double b = sol.top_bid - B[k];
      if (!xs.empty() && !(v > xs.back())) continue;
      xs.push_back(v);
      ys.push_back(std::max(b, 0.0));
    }
    xs.back() = dists[g].high;  // the top type bids b̄
    ys.back() = sol.top_bid;
    // Measured error of linear interpolation at the skipped points.
    for (int k = 1; k < steps; k += 2) {
      const double v = dists[g].quantile(std::exp(std::min(traj[k][g], 0.0)), arena);
      const double want = sol.top_bid - B[k];
      const auto it = std::upper_bound(xs.begin(), xs.end(), v);
      if (it == xs.begin() || it == xs.end()) continue;
      const size_t hi = static_cast<size_t>(it - xs.begin()), lo = hi - 1;
      const double got = ys[lo] + (ys[hi] - ys[lo]) * ((v - xs[lo]) / (xs[hi] - xs[lo]));
      sol.max_error[g] = std::max(sol.max_error[g], std::fabs(got - want));
    }
    for (size_t j = 1; j < ys.size(); ++j)
      MCREV_EXPECTS(ys[j] >= ys[j - 1], path, "the asymmetric all-pay solution is not monotone (numerical failure)");
  }
  return sol;
}

std::vector<Strategy> asymmetric_all_pay_strategies(ModelData& md, double min_bid, const std::string& path,
                                                    std::vector<BidTableInfo>* info) {
  std::vector<Distribution> dists;
  std::vector<int> counts;
  group_distributions(md, &dists, &counts);
  const AllPayAsymmetricSolution sol = all_pay_bne_asymmetric(dists, counts, md.arena.data(), min_bid, path);
  std::vector<Strategy> out;
  for (size_t g = 0; g < sol.value.size(); ++g) {
    Strategy st;
    st.kind = StrategyKind::ValueTable;
    st.entry = -HUGE_VAL;
    st.table = static_cast<int>(md.arena.size());
    st.table_n = static_cast<int>(sol.value[g].size());
    md.arena.insert(md.arena.end(), sol.value[g].begin(), sol.value[g].end());
    md.arena.insert(md.arena.end(), sol.bid[g].begin(), sol.bid[g].end());
    out.push_back(st);
    if (info) info->push_back({"", "asymmetric all-pay", st.table_n, sol.max_error[g]});
  }
  return out;
}

}  // namespace mcrev
