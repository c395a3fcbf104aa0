// Quantized-bid mechanisms on the host: cells, exact seller utility, threshold search, arena data.
#include "mcrev/mechanisms/quantized_design.hpp"

#include "mcrev/engine.hpp"
#include "mcrev/core/error.hpp"
#include "mcrev/mechanisms/quantized.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

namespace mcrev {

QuantizedBidder quantize_bidder(const Distribution& d, const double* arena, const std::vector<double>& thresholds) {
  const int k = static_cast<int>(thresholds.size());
  if (k > kMaxQuantizedLevels)
    throw std::invalid_argument("at most " + std::to_string(kMaxQuantizedLevels) + " thresholds per bidder");
  QuantizedBidder b;
  b.low = d.low;
  b.thresholds = thresholds;
  b.prob.resize(k + 1);
  b.value.resize(k + 1);
  quantized_cell_values(d, arena, thresholds.data(), k, b.value.data(), b.prob.data());
  return b;
}

namespace {

/// Cell of a value (the truthful report) for a bidder's thresholds.
int cell_of(const QuantizedBidder& b, double v) {
  return quantized_cell(v, b.thresholds.data(), static_cast<int>(b.thresholds.size()));
}

/// G(x) = Π_j P(c̄_j(U_j) <= x) over a set of bidders as a right-continuous step function on
/// [v0, ∞): breakpoints x_0 = v0 < x_1 < ... < x_m, G_t on [x_t, x_{t+1}), with the running
/// integrals IG_t = ∫_{v0}^{x_t} G and A = ∫_{v0}^{∞} (1 − G).
class MaxCdf {
 public:
  MaxCdf(const std::vector<QuantizedBidder>& bidders, int skip, double v0) {
    struct Event {
      double x;
      int bidder;
      double p;
    };
    std::vector<Event> events;
    std::vector<double> cdf(bidders.size(), 0.0);
    for (size_t i = 0; i < bidders.size(); ++i) {
      if (static_cast<int>(i) == skip) {
        cdf[i] = 1.0;
        continue;
      }
      const QuantizedBidder& b = bidders[i];
      for (size_t j = 0; j < b.value.size(); ++j) {
        if (!(b.prob[j] > 0.0)) continue;
        if (b.value[j] <= v0)
          cdf[i] += b.prob[j];
        else
          events.push_back({b.value[j], static_cast<int>(i), b.prob[j]});
      }
    }
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.x < b.x; });
    int zeros = 0;
    double prod = 1.0;
    for (double c : cdf) {
      if (c > 0.0)
        prod *= c;
      else
        ++zeros;
    }
    x_.push_back(v0);
    g_.push_back(zeros ? 0.0 : prod);
    ig_.push_back(0.0);
    area_ = 0.0;
    for (size_t e = 0; e < events.size();) {
      const double x = events[e].x;
      const size_t t = x_.size() - 1;
      area_ += (x - x_[t]) * (1.0 - g_[t]);
      ig_.push_back(ig_[t] + (x - x_[t]) * g_[t]);
      for (; e < events.size() && events[e].x == x; ++e) {
        double& c = cdf[events[e].bidder];
        if (c > 0.0)
          prod /= c;
        else
          --zeros;
        c += events[e].p;
        prod *= c;
      }
      x_.push_back(x);
      g_.push_back(zeros ? 0.0 : prod);
    }
    // Past the last breakpoint G = 1 (up to rounding of the cell probabilities).
  }
  /// ∫_{v0}^{∞} (1 − G).
  double area_above() const { return area_; }
  /// ∫_{v0}^{y} G (0 for y <= v0).
  double integral_to(double y) const {
    if (!(y > x_[0])) return 0.0;
    const size_t t = static_cast<size_t>(std::upper_bound(x_.begin(), x_.end(), y) - x_.begin()) - 1;
    return ig_[t] + (y - x_[t]) * g_[t];
  }
  double seller_value() const { return x_[0]; }

 private:
  std::vector<double> x_, g_, ig_;
  double area_ = 0.0;
};

/// J with bidder `i` replaced by `b`, given the others' MaxCdf (which skipped i):
/// J = v0 + A_{−i} + Σ_j π_ij ∫_{v0}^{c̄_ij} G_{−i}.
double utility_with(const MaxCdf& others, const QuantizedBidder& b) {
  double j = others.seller_value() + others.area_above();
  for (size_t c = 0; c < b.value.size(); ++c)
    if (b.prob[c] > 0.0) j += b.prob[c] * others.integral_to(b.value[c]);
  return j;
}

}  // namespace

double quantized_expected_utility(const std::vector<QuantizedBidder>& bidders, double seller_value) {
  const MaxCdf all(bidders, -1, seller_value);
  return seller_value + all.area_above();
}

std::uint64_t quantized_patterns(const std::vector<QuantizedBidder>& bidders) {
  std::uint64_t p = 1;
  for (const QuantizedBidder& b : bidders) {
    const std::uint64_t c = b.value.size();
    if (p > std::numeric_limits<std::uint64_t>::max() / c) return std::numeric_limits<std::uint64_t>::max();
    p *= c;
  }
  return p;
}

double quantized_expected_utility_enumerated(const std::vector<QuantizedBidder>& bidders, double seller_value,
                                             std::uint64_t max_patterns) {
  const std::uint64_t patterns = quantized_patterns(bidders);
  if (patterns > max_patterns)
    throw std::invalid_argument(std::to_string(patterns) + " report patterns exceed the enumeration limit " +
                                std::to_string(max_patterns));
  // Depth-first over bidders with the running probability and the running max(v0, c̄).
  const size_t n = bidders.size();
  std::vector<size_t> cell(n + 1, 0);
  std::vector<double> prob(n + 1, 1.0), best(n + 1, seller_value);
  double total = 0.0;
  size_t depth = 0;
  if (n == 0) return seller_value;
  while (true) {
    if (depth == n) {
      total += prob[n] * best[n];
      --depth;
      ++cell[depth];
    } else if (cell[depth] < bidders[depth].value.size()) {
      const QuantizedBidder& b = bidders[depth];
      const size_t c = cell[depth];
      prob[depth + 1] = prob[depth] * b.prob[c];
      best[depth + 1] = std::max(best[depth], b.value[c]);
      ++depth;
      cell[depth] = 0;
    } else {
      if (depth == 0) break;
      --depth;
      ++cell[depth];
    }
  }
  return total;
}

namespace {

/// The search objective: full evaluation of J, and J as a function of one bidder's thresholds
/// with the others fixed (after focus()).
class Objective {
 public:
  virtual ~Objective() = default;
  virtual double full(const std::vector<QuantizedBidder>& bidders) = 0;
  virtual void focus(const std::vector<QuantizedBidder>& bidders, int i) = 0;
  virtual double partial(const QuantizedBidder& b) = 0;
  std::uint64_t evaluations = 0;
};

class ExactObjective final : public Objective {
 public:
  explicit ExactObjective(double v0) : v0_(v0) {}
  double full(const std::vector<QuantizedBidder>& bidders) override {
    ++evaluations;
    return quantized_expected_utility(bidders, v0_);
  }
  void focus(const std::vector<QuantizedBidder>& bidders, int i) override {
    others_ = std::make_unique<MaxCdf>(bidders, i, v0_);
  }
  double partial(const QuantizedBidder& b) override {
    ++evaluations;
    return utility_with(*others_, b);
  }

 private:
  double v0_;
  std::unique_ptr<MaxCdf> others_;
};

/// Monte Carlo J on S common random profiles (lane kQuantizedSearchLane of the scenario seed):
/// mean over s of max(v0, max_i c̄_i(cell_i(V_si))).
class MonteCarloObjective final : public Objective {
 public:
  MonteCarloObjective(const std::vector<Distribution>& dists, const double* arena, double v0, std::uint64_t seed,
                      std::uint64_t samples)
      : n_(dists.size()), s_(samples), v0_(v0), values_(n_ * s_), others_(s_) {
    for (std::uint64_t s = 0; s < s_; ++s)
      for (size_t i = 0; i < n_; ++i)
        values_[i * s_ + s] =
            dists[i].quantile(stream_uniform_at(seed, s, kQuantizedSearchLane, static_cast<std::uint32_t>(i)), arena);
  }
  double full(const std::vector<QuantizedBidder>& bidders) override {
    ++evaluations;
    std::fill(others_.begin(), others_.end(), v0_);
    for (size_t i = 0; i < n_; ++i) raise(bidders[i], i, others_.data());
    double sum = 0.0;
    for (double x : others_) sum += x;
    return sum / static_cast<double>(s_);
  }
  void focus(const std::vector<QuantizedBidder>& bidders, int skip) override {
    skip_ = static_cast<size_t>(skip);
    std::fill(others_.begin(), others_.end(), v0_);
    for (size_t i = 0; i < n_; ++i)
      if (i != skip_) raise(bidders[i], i, others_.data());
  }
  double partial(const QuantizedBidder& b) override {
    ++evaluations;
    const double* v = values_.data() + skip_ * s_;
    double sum = 0.0;
    for (std::uint64_t s = 0; s < s_; ++s) sum += std::max(others_[s], b.value[cell_of(b, v[s])]);
    return sum / static_cast<double>(s_);
  }

 private:
  void raise(const QuantizedBidder& b, size_t i, double* best) const {
    const double* v = values_.data() + i * s_;
    for (std::uint64_t s = 0; s < s_; ++s) best[s] = std::max(best[s], b.value[cell_of(b, v[s])]);
  }
  size_t n_;
  std::uint64_t s_;
  double v0_;
  std::vector<double> values_;  // bidder-major
  std::vector<double> others_;
  size_t skip_ = 0;
};

/// Maximizes f on [a, b]: `grid` evenly spaced points, then golden-section search within one grid
/// step of the best point. Keeps (x, fx) unless a point is strictly better.
template <class F>
void maximize_1d(F&& f, double a, double b, int grid, double& x, double& fx) {
  if (!(b > a)) return;
  const double step = (b - a) / (grid - 1);
  for (int t = 0; t < grid; ++t) {
    const double xt = t == grid - 1 ? b : a + step * t;
    const double ft = f(xt);
    if (ft > fx) {
      fx = ft;
      x = xt;
    }
  }
  double lo = std::max(a, x - step), hi = std::min(b, x + step);
  const double r = 0.61803398874989484820;
  double x1 = hi - r * (hi - lo), x2 = lo + r * (hi - lo);
  double f1 = f(x1), f2 = f(x2);
  const double tol = 1e-12 * (b - a);
  for (int it = 0; it < 200 && hi - lo > tol; ++it) {
    if (f1 >= f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - r * (hi - lo);
      f1 = f(x1);
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + r * (hi - lo);
      f2 = f(x2);
    }
  }
  if (f1 > fx) {
    fx = f1;
    x = x1;
  }
  if (f2 > fx) {
    fx = f2;
    x = x2;
  }
}

double search_high(const Distribution& d, const double* arena) {
  return std::isfinite(d.high) ? d.high : d.quantile(1.0 - 1e-9, arena);
}

}  // namespace

QuantizedDesign optimize_quantized_thresholds(const QuantizedSpec& spec, const std::vector<Distribution>& dists,
                                              const double* arena, double seller_value, std::uint64_t seed) {
  const int n = static_cast<int>(dists.size());
  const int k = spec.levels;
  if (n < 1 || k < 1 || k > kMaxQuantizedLevels || spec.grid < 3)
    throw std::invalid_argument("optimize_quantized_thresholds: need >= 1 bidder, 1..15 levels, grid >= 3");
  std::unique_ptr<Objective> obj;
  if (spec.eval == QuantizedSpec::Eval::MonteCarlo)
    obj = std::make_unique<MonteCarloObjective>(dists, arena, seller_value, seed, spec.eval_samples);
  else
    obj = std::make_unique<ExactObjective>(seller_value);

  std::vector<double> lo(n), hi(n);
  double lo_all = HUGE_VAL, hi_all = -HUGE_VAL;
  for (int i = 0; i < n; ++i) {
    lo[i] = dists[i].low;
    hi[i] = search_high(dists[i], arena);
    lo_all = std::min(lo_all, lo[i]);
    hi_all = std::max(hi_all, hi[i]);
  }
  std::vector<QuantizedBidder> bidders(n);
  auto apply_common = [&](const std::vector<double>& t) {
    for (int i = 0; i < n; ++i) {
      std::vector<double> thr(k);
      for (int l = 0; l < k; ++l) thr[l] = std::min(std::max(t[l], lo[i]), dists[i].high);
      bidders[i] = quantize_bidder(dists[i], arena, thr);
    }
  };
  const double rel = 1e-13;

  // Symmetric: coordinate ascent over the shared vector t (evenly spaced start).
  std::vector<double> t(k);
  for (int l = 0; l < k; ++l) t[l] = lo_all + (hi_all - lo_all) * (l + 1) / (k + 1);
  apply_common(t);
  double best = obj->full(bidders);
  for (int sweep = 0; sweep < 200; ++sweep) {
    const double before = best;
    for (int l = 0; l < k; ++l) {
      const double a = l == 0 ? lo_all : t[l - 1], b = l == k - 1 ? hi_all : t[l + 1];
      maximize_1d(
          [&](double x) {
            std::vector<double> tt = t;
            tt[l] = x;
            apply_common(tt);
            return obj->full(bidders);
          },
          a, b, spec.grid, t[l], best);
    }
    if (k == 1 || best - before <= rel * (1.0 + std::fabs(best))) break;
  }
  apply_common(t);

  if (spec.search == QuantizedSpec::Search::PerBidder && n > 1) {
    // Coordinate ascent over every bidder's thresholds, from the symmetric optimum.
    for (int sweep = 0; sweep < 500; ++sweep) {
      const double before = best;
      for (int i = 0; i < n; ++i) {
        obj->focus(bidders, i);
        std::vector<double> thr = bidders[i].thresholds;
        for (int l = 0; l < k; ++l) {
          const double a = std::min(thr[l], l == 0 ? lo[i] : thr[l - 1]);
          const double b = std::max(thr[l], l == k - 1 ? hi[i] : thr[l + 1]);
          maximize_1d(
              [&](double x) {
                std::vector<double> tt = thr;
                tt[l] = x;
                return obj->partial(quantize_bidder(dists[i], arena, tt));
              },
              a, b, spec.grid, thr[l], best);
        }
        bidders[i] = quantize_bidder(dists[i], arena, thr);
      }
      if (best - before <= rel * (1.0 + std::fabs(best))) break;
    }
  }

  QuantizedDesign d;
  d.mode = QuantizedSpec::Mode::Optimal;
  d.search = spec.search;
  d.eval = spec.eval;
  d.levels = k;
  d.seller_value = seller_value;
  d.bidders = bidders;
  d.search_objective = best;
  d.search_evaluations = obj->evaluations;
  return d;
}

namespace {

std::vector<Distribution> bidder_distributions(const ModelData& md) {
  std::vector<Distribution> out;
  for (const Group& g : md.groups)
    for (int c = 0; c < g.count; ++c) out.push_back(g.dist);
  return out;
}

void set_exact(QuantizedDesign& d) {
  if (d.bidders.empty()) return;
  if (quantized_patterns(d.bidders) <= kQuantizedEnumerationLimit) {
    d.exact_seller_utility = quantized_expected_utility_enumerated(d.bidders, d.seller_value, kQuantizedEnumerationLimit);
    d.exact_method = "enumeration";
  } else {
    d.exact_seller_utility = quantized_expected_utility(d.bidders, d.seller_value);
    d.exact_method = "order_statistics";
  }
}

}  // namespace

QuantizedDesign design_quantized(const Scenario& sc, int m, const ModelData& md) {
  const MechanismSpec& ms = sc.mechanisms[m];
  const QuantizedSpec& spec = ms.quantized;
  const std::vector<Distribution> dists = bidder_distributions(md);
  const int n = static_cast<int>(dists.size());
  QuantizedDesign d;
  switch (spec.mode) {
    case QuantizedSpec::Mode::Fixed: {
      d.levels = 0;
      const bool per_bidder = static_cast<int>(spec.thresholds.size()) == n;
      int i = 0;
      for (size_t g = 0; g < md.groups.size(); ++g)
        for (int c = 0; c < md.groups[g].count; ++c, ++i) {
          const std::vector<double>& thr = spec.thresholds[per_bidder ? i : static_cast<int>(g)];
          d.bidders.push_back(quantize_bidder(dists[i], md.arena.data(), thr));
          d.levels = std::max(d.levels, static_cast<int>(thr.size()));
        }
      break;
    }
    case QuantizedSpec::Mode::Optimal:
      d = optimize_quantized_thresholds(spec, dists, md.arena.data(), ms.seller_value, sc.seed);
      break;
    case QuantizedSpec::Mode::Random: d.levels = spec.levels; break;
  }
  d.mode = spec.mode;
  d.search = spec.search;
  d.eval = spec.eval;
  d.seller_value = ms.seller_value;
  set_exact(d);
  return d;
}

int write_quantized_arena(const QuantizedDesign& design, std::vector<double>& arena) {
  const int offset = static_cast<int>(arena.size());
  const bool random = design.mode == QuantizedSpec::Mode::Random;
  arena.push_back(random ? 1.0 : 0.0);
  arena.push_back(static_cast<double>(design.levels));
  if (random) return offset;
  const size_t table = arena.size();
  arena.resize(table + design.bidders.size());
  for (size_t i = 0; i < design.bidders.size(); ++i) {
    const QuantizedBidder& b = design.bidders[i];
    arena[table + i] = static_cast<double>(arena.size());
    arena.push_back(static_cast<double>(b.thresholds.size()));
    arena.insert(arena.end(), b.thresholds.begin(), b.thresholds.end());
    arena.insert(arena.end(), b.value.begin(), b.value.end());
  }
  return offset;
}

void validate_quantized(const Scenario& sc, int m) {
  const MechanismSpec& ms = sc.mechanisms[m];
  const QuantizedSpec& spec = ms.quantized;
  const std::string path = "mechanisms[" + std::to_string(m) + "]";
  const int G = static_cast<int>(sc.groups.size());
  int n = 0;
  for (const GroupSpec& g : sc.groups) n += g.count;
  auto group_of_bidder = [&](int i) {
    int g = 0;
    while (i >= sc.groups[g].count) i -= sc.groups[g++].count;
    return g;
  };
  const std::string levels_text = "1.." + std::to_string(kMaxQuantizedLevels);
  switch (spec.mode) {
    case QuantizedSpec::Mode::Fixed: {
      const int entries = static_cast<int>(spec.thresholds.size());
      MCREV_EXPECTS(entries == n || entries == G, path + ".thresholds",
                    "has " + std::to_string(entries) + " entries; expected one per bidder (" + std::to_string(n) +
                        ") or one per bidder group (" + std::to_string(G) + ")");
      for (int e = 0; e < entries; ++e) {
        const std::string pe = path + ".thresholds[" + std::to_string(e) + "]";
        const std::vector<double>& thr = spec.thresholds[e];
        const int k = static_cast<int>(thr.size());
        MCREV_EXPECTS(k >= 1 && k <= kMaxQuantizedLevels, pe, "needs " + levels_text + " thresholds, got " + std::to_string(k));
        const int g = entries == n ? group_of_bidder(e) : e;
        const Distribution& d = sc.groups[g].value.dist;
        for (int l = 0; l < k; ++l) {
          const std::string pl = k == 1 ? pe : pe + "[" + std::to_string(l) + "]";
          MCREV_EXPECTS(std::isfinite(thr[l]), pl, "must be a finite number");
          MCREV_EXPECTS(thr[l] >= d.low && thr[l] <= d.high, pl,
                        "threshold " + std::to_string(thr[l]) + " lies outside the support [" + std::to_string(d.low) +
                            ", " + std::to_string(d.high) + "] of bidder group '" + sc.groups[g].name + "'");
          MCREV_EXPECTS(l == 0 || thr[l] >= thr[l - 1], pl, "thresholds must be in ascending order");
        }
      }
      break;
    }
    case QuantizedSpec::Mode::Optimal:
      MCREV_EXPECTS(spec.levels >= 1 && spec.levels <= kMaxQuantizedLevels, path + ".levels", "must be in " + levels_text);
      MCREV_EXPECTS(spec.grid >= 3 && spec.grid <= 100000, path + ".threshold_grid", "must be in 3..100000");
      if (spec.eval == QuantizedSpec::Eval::MonteCarlo) {
        MCREV_EXPECTS(spec.eval_samples >= 1, path + ".threshold_samples", "must be at least 1");
        MCREV_EXPECTS(spec.eval_samples <= (std::uint64_t{1} << 25) / static_cast<std::uint64_t>(std::max(n, 1)),
                      path + ".threshold_samples",
                      "threshold_samples × bidders must not exceed 2^25 (the common random values are kept in memory)");
      }
      break;
    case QuantizedSpec::Mode::Random:
      MCREV_EXPECTS(spec.levels >= 1 && spec.levels <= kMaxQuantizedLevels, path + ".levels", "must be in " + levels_text);
      for (int g = 0; g < G; ++g)
        MCREV_EXPECTS(std::isfinite(sc.groups[g].value.dist.high), path + ".thresholds",
                      "\"random\" draws thresholds uniformly on the support, which must be bounded; bidder group '" +
                          sc.groups[g].name + "' has an unbounded support");
      break;
  }
}

}  // namespace mcrev
