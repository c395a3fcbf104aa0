// Reproduces the numerical study of "Optimal Auction Design with Quantized Bids" (Cao, Brahma,
// Varshney; shared/seeds) with mcrev: writes CSV files that plot_quantized.py turns into figures.
//
//   quantized_study [OUTPUT_DIR] [SAMPLES]     (defaults: examples/quantized/output, 1000000)
//
// Fig. 1 and Fig. 2 — seller utility over the threshold plane (θ1, θ2) for two buyers, exact
// (enumeration of the 4 bit patterns), with the optimal thresholds found by the symmetric and
// per-bidder searches and a Monte Carlo check at the optimum. The letter's parameter values were
// lost from its text; the set-ups below follow its description (docs/quantized.md):
//   Fig. 1: V1 ~ U[0,1], V2 ~ U[1,2], v0 = 1 — buyer 2's support lies above buyer 1's and buyer 1
//           can never beat the seller's value (c1 <= θ1 <= 1 = v0), so only θ2 matters; θ2* = 1.5.
//   Fig. 2: V1 ~ U[0,2], V2 ~ U[1,3], v0 = 0 — overlapping supports, both thresholds matter.
// Fig. 3 — seller utility vs the number n = 2..10 of iid U[0,1] buyers (v0 = 0): analog bids
// (Myerson: second price with reserve ψ^{-1}(0) = 1/2; exact 1 − 2(1 − 2^{−(n+1)})/(n+1)), binary
// bids at optimal thresholds (symmetric and per-bidder searches), binary bids at thresholds drawn
// uniformly at random per profile (exact ∫_0^1 1 − (1 − y²/2)^n dy), and two-level quantization
// at optimal thresholds (beyond the letter). Every Monte Carlo column comes from one mcrev run per n
// (common random values across mechanisms).
#include "mcrev/engine.hpp"
#include "mcrev/mechanisms/quantized_design.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

using namespace mcrev;

Distribution uniform(double a, double b) {
  Distribution d;
  d.kind = DistKind::Uniform;
  d.low = a;
  d.high = b;
  return d;
}

GroupSpec group(const std::string& name, int count, const Distribution& d, const std::string& describe) {
  GroupSpec g;
  g.name = name;
  g.count = count;
  g.value.dist = d;
  g.value.describe = describe;
  return g;
}

MechanismSpec quantized(const std::string& name, QuantizedSpec::Mode mode, QuantizedSpec::Search search, int levels,
                        double v0) {
  MechanismSpec m;
  m.kind = MechKind::Quantized;
  m.name = name;
  m.seller_value = v0;
  m.quantized.mode = mode;
  m.quantized.search = search;
  m.quantized.levels = levels;
  return m;
}

/// Analog optimum E[max(v0, max_i ψ_i(V_i))] for uniform buyers, ψ_i(v) = 2v − b_i, by Simpson
/// quadrature of v0 + ∫ (1 − Π_i P(ψ_i(V_i) <= x)) dx.
double analog_optimum_uniform(const std::vector<Distribution>& ds, double v0) {
  double top = v0;
  for (const Distribution& d : ds) top = std::max(top, d.high);
  auto below = [&](double x) {
    double p = 1.0;
    for (const Distribution& d : ds) p *= std::min(1.0, std::max(0.0, ((x + d.high) / 2 - d.low) / (d.high - d.low)));
    return p;
  };
  const int n = 200000;
  const double h = (top - v0) / n;
  double s = (1 - below(v0)) + (1 - below(top));
  for (int i = 1; i < n; ++i) s += (1 - below(v0 + i * h)) * (i % 2 ? 4.0 : 2.0);
  return v0 + s * h / 3.0;
}

RunResult run_scenario(const Scenario& sc) {
  RunOptions o;
  o.backend = Backend::Auto;
  return run(sc, o);
}

void two_buyer_figure(const std::string& dir, const std::string& fig, const Distribution& d1, const Distribution& d2,
                      double v0, std::uint64_t samples, std::ofstream& optima) {
  const int grid = 101;
  std::ofstream out(dir + "/" + fig + "_surface.csv");
  out.precision(12);
  out << "theta1,theta2,seller_utility\n";
  double grid_best = -HUGE_VAL, g1 = 0, g2 = 0;
  for (int i = 0; i < grid; ++i)
    for (int j = 0; j < grid; ++j) {
      const double t1 = d1.low + (d1.high - d1.low) * i / (grid - 1);
      const double t2 = d2.low + (d2.high - d2.low) * j / (grid - 1);
      const std::vector<QuantizedBidder> q = {quantize_bidder(d1, nullptr, {t1}), quantize_bidder(d2, nullptr, {t2})};
      const double u = quantized_expected_utility_enumerated(q, v0);
      out << t1 << ',' << t2 << ',' << u << '\n';
      if (u > grid_best + 1e-12) {  // first grid point of a (numerically) flat maximum
        grid_best = u;
        g1 = t1;
        g2 = t2;
      }
    }
  const double analog = analog_optimum_uniform({d1, d2}, v0);
  // Optimal thresholds from the scenario API, checked by Monte Carlo on the same run.
  Scenario sc;
  sc.samples = samples;
  sc.seed = 2016;
  sc.groups = {group("buyer1", 1, d1, "buyer 1"), group("buyer2", 1, d2, "buyer 2")};
  sc.mechanisms = {quantized("symmetric", QuantizedSpec::Mode::Optimal, QuantizedSpec::Search::Symmetric, 1, v0),
                   quantized("per_bidder", QuantizedSpec::Mode::Optimal, QuantizedSpec::Search::PerBidder, 1, v0)};
  const RunResult r = run_scenario(sc);
  for (const MechanismResult& m : r.mechanisms) {
    const QuantizedDesign& d = *m.quantized;
    optima << fig << ',' << m.name << ',' << d.bidders[0].thresholds[0] << ',' << d.bidders[1].thresholds[0] << ','
           << d.exact_seller_utility << ',' << m.seller_utility.mean << ',' << m.seller_utility.stderr_ << ',' << analog
           << '\n';
    std::printf("%s %-10s θ* = (%.5f, %.5f)  exact %.6f  MC %.6f ± %.6f  (analog optimum %.6f)\n", fig.c_str(),
                m.name.c_str(), d.bidders[0].thresholds[0], d.bidders[1].thresholds[0], d.exact_seller_utility,
                m.seller_utility.mean, m.seller_utility.stderr_, analog);
  }
  optima << fig << ",grid_max," << g1 << ',' << g2 << ',' << grid_best << ",,," << analog << '\n';
  std::printf("%s grid max   θ  = (%.5f, %.5f)  exact %.6f\n", fig.c_str(), g1, g2, grid_best);
}

}  // namespace

int main(int argc, char** argv) try {
  const std::string dir = argc > 1 ? argv[1] : "examples/quantized/output";
  const std::uint64_t samples = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000000;
  std::filesystem::create_directories(dir);

  std::ofstream optima(dir + "/two_buyer_optima.csv");
  optima.precision(12);
  optima << "figure,search,theta1,theta2,exact_seller_utility,mc_seller_utility,mc_stderr,analog_optimum\n";
  two_buyer_figure(dir, "fig1", uniform(0, 1), uniform(1, 2), 1.0, samples, optima);
  two_buyer_figure(dir, "fig2", uniform(0, 2), uniform(1, 3), 0.0, samples, optima);

  std::ofstream f3(dir + "/fig3_buyers.csv");
  f3.precision(12);
  f3 << "n,analog_exact,analog_mc,analog_se,binary_symmetric_exact,binary_symmetric_theta,binary_symmetric_mc,"
        "binary_symmetric_se,binary_per_bidder_exact,binary_per_bidder_thetas,binary_per_bidder_mc,binary_per_bidder_se,"
        "binary_random_exact,binary_random_mc,binary_random_se,two_level_per_bidder_exact,two_level_per_bidder_mc,"
        "two_level_per_bidder_se\n";
  for (int n = 2; n <= 10; ++n) {
    Scenario sc;
    sc.samples = samples;
    sc.seed = 2016 + n;
    sc.groups = {group("buyers", n, uniform(0, 1), "uniform[0, 1]")};
    MechanismSpec analog;
    analog.kind = MechKind::SecondPrice;
    analog.name = "analog_myerson";
    analog.reserve = 0.5;  // ψ^{-1}(v0) = (1 + 0)/2: Myerson's auction for iid regular buyers
    sc.mechanisms = {analog,
                     quantized("binary_symmetric", QuantizedSpec::Mode::Optimal, QuantizedSpec::Search::Symmetric, 1, 0),
                     quantized("binary_per_bidder", QuantizedSpec::Mode::Optimal, QuantizedSpec::Search::PerBidder, 1, 0),
                     quantized("binary_random", QuantizedSpec::Mode::Random, QuantizedSpec::Search::PerBidder, 1, 0),
                     quantized("two_level", QuantizedSpec::Mode::Optimal, QuantizedSpec::Search::PerBidder, 2, 0)};
    const RunResult r = run_scenario(sc);
    const double analog_exact = 1 - 2 * (1 - std::pow(2.0, -(n + 1))) / (n + 1);
    const int N = 100000;  // Simpson for the random-threshold integral
    double s = 0;
    for (int i = 0; i <= N; ++i) {
      const double y = static_cast<double>(i) / N;
      s += (1 - std::pow(1 - y * y / 2, n)) * (i == 0 || i == N ? 1 : (i % 2 ? 4 : 2));
    }
    const double random_exact = s / (3.0 * N);
    const auto& m = r.mechanisms;
    std::string thetas;
    for (const QuantizedBidder& b : m[2].quantized->bidders)
      thetas += (thetas.empty() ? "" : ";") + std::to_string(b.thresholds[0]);
    f3 << n << ',' << analog_exact << ',' << m[0].seller_utility.mean << ',' << m[0].seller_utility.stderr_ << ','
       << m[1].quantized->exact_seller_utility << ',' << m[1].quantized->bidders[0].thresholds[0] << ','
       << m[1].seller_utility.mean << ',' << m[1].seller_utility.stderr_ << ',' << m[2].quantized->exact_seller_utility
       << ',' << thetas << ',' << m[2].seller_utility.mean << ',' << m[2].seller_utility.stderr_ << ',' << random_exact
       << ',' << m[3].seller_utility.mean << ',' << m[3].seller_utility.stderr_ << ','
       << m[4].quantized->exact_seller_utility << ',' << m[4].seller_utility.mean << ',' << m[4].seller_utility.stderr_
       << '\n';
    std::printf("fig3 n=%2d analog %.5f (MC %.5f)  binary optimal sym %.5f / per-bidder %.5f  random %.5f (MC %.5f)  "
                "two-level %.5f\n",
                n, analog_exact, m[0].seller_utility.mean, m[1].quantized->exact_seller_utility,
                m[2].quantized->exact_seller_utility, random_exact, m[3].seller_utility.mean,
                m[4].quantized->exact_seller_utility);
  }
  std::printf("wrote %s/{fig1_surface,fig2_surface,two_buyer_optima,fig3_buyers}.csv\n", dir.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "quantized_study: %s\n", e.what());
  return 1;
}
