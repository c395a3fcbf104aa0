#include "solvers/distribution_ext.hpp"

#include "mcrev/core/error.hpp"
#include "mcrev/core/special.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <sstream>

namespace mcrev {

namespace {

std::string num(double x) {
  std::ostringstream s;
  s << x;
  return s.str();
}

/// Smallest x with F(x) >= t (0 < t < 1) for a placed mixture, by bisection on F inside the bracket
/// [min_k Q_k(t), max_k Q_k(t)] (F_k(x) < t for every k below the first end, so F(x) < t there).
double mixture_quantile_exact(const Distribution& d, double t, const double* arena) {
  double lo = HUGE_VAL, hi = -HUGE_VAL;
  for (int k = 0; k < d.table_n; ++k) {
    const double q = d.mixture_component(k, arena).quantile(t, arena);
    lo = std::min(lo, q);
    hi = std::max(hi, q);
  }
  lo = std::nextafter(lo, -HUGE_VAL);
  double step = std::max(1e-300, 1e-12 * (std::fabs(hi) + 1.0));
  while (d.cdf(hi, arena) < t) {  // component quantiles may round a hair low
    hi += step;
    step *= 2.0;
  }
  while (d.cdf(lo, arena) >= t) {
    lo -= step;
    step *= 2.0;
  }
  for (int it = 0; it < 2200; ++it) {  // F(lo) < t <= F(hi)
    const double mid = lo + 0.5 * (hi - lo);
    if (!(mid > lo && mid < hi)) break;
    (d.cdf(mid, arena) >= t ? hi : lo) = mid;
  }
  return hi;
}

void sort_unique(std::vector<double>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

DistributionSpec make_discrete(std::vector<double> values, std::vector<double> probs, const std::string& path) {
  MCREV_EXPECTS(!values.empty(), path + ".values", "a discrete distribution needs at least one value");
  MCREV_EXPECTS(values.size() == probs.size(), path + ".probs",
                "needs one probability per value (" + std::to_string(values.size()) + " values, " +
                    std::to_string(probs.size()) + " probabilities)");
  double sum = 0.0;
  for (size_t k = 0; k < values.size(); ++k) {
    MCREV_EXPECTS(std::isfinite(values[k]), path + ".values[" + std::to_string(k) + "]", "must be finite");
    MCREV_EXPECTS(std::isfinite(probs[k]) && probs[k] >= 0, path + ".probs[" + std::to_string(k) + "]",
                  "must be a probability >= 0, got " + num(probs[k]));
    sum += probs[k];
  }
  MCREV_EXPECTS(std::fabs(sum - 1.0) <= 1e-9, path + ".probs", "must sum to 1, got " + num(sum));
  std::vector<std::pair<double, double>> atoms;
  for (size_t k = 0; k < values.size(); ++k) atoms.emplace_back(values[k], probs[k]);
  std::sort(atoms.begin(), atoms.end());
  std::vector<std::pair<double, double>> merged;
  for (const auto& a : atoms) {
    if (!merged.empty() && merged.back().first == a.first) merged.back().second += a.second;
    else merged.push_back(a);
  }
  merged.erase(std::remove_if(merged.begin(), merged.end(), [](const auto& a) { return a.second <= 0; }), merged.end());
  DistributionSpec spec;
  Distribution& d = spec.dist;
  d.kind = DistKind::Discrete;
  double cum = 0.0;
  for (size_t k = 0; k < merged.size(); ++k) {
    cum += merged[k].second / sum;
    spec.table_x.push_back(merged[k].first);
    spec.table_f.push_back(k + 1 == merged.size() ? 1.0 : std::min(cum, 1.0));
  }
  d.low = spec.table_x.front();
  d.high = spec.table_x.back();
  std::ostringstream s;
  if (merged.size() <= 6) {
    s << "discrete{";
    for (size_t k = 0; k < merged.size(); ++k) s << (k ? ", " : "") << merged[k].first << ": " << merged[k].second / sum;
    s << "}";
  } else {
    s << "discrete(" << merged.size() << " atoms on [" << d.low << ", " << d.high << "])";
  }
  spec.describe = s.str();
  return spec;
}

DistributionSpec make_mixture(std::vector<double> weights, std::vector<DistributionSpec> components,
                              const std::string& path) {
  MCREV_EXPECTS(!components.empty(), path + ".components", "a mixture needs at least one component");
  MCREV_EXPECTS(weights.size() == components.size(), path + ".weights",
                "needs one weight per component (" + std::to_string(weights.size()) + " weights, " +
                    std::to_string(components.size()) + " components)");
  double sum = 0.0;
  for (size_t k = 0; k < weights.size(); ++k) {
    MCREV_EXPECTS(std::isfinite(weights[k]) && weights[k] > 0, path + ".weights[" + std::to_string(k) + "]",
                  "must be positive, got " + num(weights[k]));
    sum += weights[k];
  }
  MCREV_EXPECTS(std::fabs(sum - 1.0) <= 1e-9, path + ".weights", "must sum to 1, got " + num(sum));
  DistributionSpec spec;
  for (size_t k = 0; k < components.size(); ++k) {
    DistributionSpec& c = components[k];
    if (c.dist.kind == DistKind::Mixture) {  // flatten
      for (size_t j = 0; j < c.components.size(); ++j) {
        spec.weights.push_back(weights[k] / sum * c.weights[j]);
        spec.components.push_back(c.components[j]);
      }
    } else {
      spec.weights.push_back(weights[k] / sum);
      spec.components.push_back(std::move(c));
    }
  }
  MCREV_EXPECTS(spec.components.size() <= 256, path + ".components", "at most 256 (flattened) components are supported");
  Distribution& d = spec.dist;
  d.kind = DistKind::Mixture;
  d.low = HUGE_VAL;
  d.high = -HUGE_VAL;
  std::ostringstream s;
  s << "mixture(";
  for (size_t k = 0; k < spec.components.size(); ++k) {
    d.low = std::min(d.low, spec.components[k].dist.low);
    d.high = std::max(d.high, spec.components[k].dist.high);
    s << (k ? " + " : "") << spec.weights[k] << " x " << spec.components[k].describe;
  }
  s << ")";
  spec.describe = s.str();
  return spec;
}

Distribution place_distribution(const DistributionSpec& spec, std::vector<double>& arena) {
  Distribution d = spec.dist;
  if (d.kind == DistKind::Empirical || d.kind == DistKind::Discrete) {
    d.table = static_cast<int>(arena.size());
    d.table_n = static_cast<int>(spec.table_x.size());
    arena.insert(arena.end(), spec.table_x.begin(), spec.table_x.end());
    arena.insert(arena.end(), spec.table_f.begin(), spec.table_f.end());
    return d;
  }
  if (d.kind != DistKind::Mixture) return d;
  std::vector<Distribution> comps;
  for (const DistributionSpec& c : spec.components) comps.push_back(place_distribution(c, arena));
  std::vector<double> all_atoms;
  for (const Distribution& c : comps) {
    const std::vector<double> a = atoms(c, arena.data());
    all_atoms.insert(all_atoms.end(), a.begin(), a.end());
  }
  sort_unique(all_atoms);
  const int n = static_cast<int>(comps.size());
  const int K = kMixtureGuide;
  d.table = static_cast<int>(arena.size());
  d.table_n = n;
  d.p[0] = K;
  d.p[1] = static_cast<double>(all_atoms.size());
  arena.insert(arena.end(), spec.weights.begin(), spec.weights.end());
  for (const Distribution& c : comps) {
    std::vector<double> rec(kDistributionRecord, 0.0);
    std::memcpy(static_cast<void*>(rec.data()), &c, sizeof(Distribution));
    // zero the padding after `kind` so equal mixtures give bitwise equal arenas
    unsigned char* bytes = reinterpret_cast<unsigned char*>(rec.data());
    std::memset(bytes + sizeof(DistKind), 0, offsetof(Distribution, low) - sizeof(DistKind));
    arena.insert(arena.end(), rec.begin(), rec.end());
  }
  const size_t guide = arena.size();
  arena.resize(guide + K + 1, 0.0);
  arena.insert(arena.end(), all_atoms.begin(), all_atoms.end());
  arena[guide] = d.low;
  arena[guide + K] = d.high;
  for (int j = 1; j < K; ++j) arena[guide + j] = mixture_quantile_exact(d, static_cast<double>(j) / K, arena.data());
  return d;
}

bool has_discrete_part(const DistributionSpec& s) {
  if (s.dist.kind == DistKind::Discrete) return true;
  for (const DistributionSpec& c : s.components)
    if (has_discrete_part(c)) return true;
  return false;
}

bool same_distribution_spec(const DistributionSpec& a, const DistributionSpec& b) {
  if (a.dist.kind != b.dist.kind || a.dist.low != b.dist.low || a.dist.high != b.dist.high) return false;
  for (int k = 0; k < 4; ++k)
    if (a.dist.p[k] != b.dist.p[k]) return false;
  if (a.table_x != b.table_x || a.table_f != b.table_f || a.weights != b.weights) return false;
  if (a.components.size() != b.components.size()) return false;
  for (size_t k = 0; k < a.components.size(); ++k)
    if (!same_distribution_spec(a.components[k], b.components[k])) return false;
  return true;
}

double survival(const Distribution& d, double x, const double* arena) {
  if (x < d.low) return 1.0;
  if (x >= d.high) return 0.0;
  switch (d.kind) {
    case DistKind::Uniform: return (d.high - x) / (d.high - d.low);
    case DistKind::Exponential: return std::exp(-d.p[0] * (x - d.low));
    case DistKind::Power: {
      const double z = (x - d.low) / (d.high - d.low);
      return z > 0 ? -std::expm1(d.p[0] * std::log(z)) : 1.0;
    }
    case DistKind::TruncNormal: {
      const double z = (x - d.p[0]) / d.p[1];
      const double s = (normal_sf(z) - d.p[3]) / (1.0 - d.p[2] - d.p[3]);
      return std::min(1.0, std::max(0.0, s));
    }
    case DistKind::Mixture: {
      double s = 0.0;
      for (int k = 0; k < d.table_n; ++k) s += arena[d.table + k] * survival(d.mixture_component(k, arena), x, arena);
      return std::min(1.0, s);
    }
    default: return 1.0 - d.cdf(x, arena);
  }
}

double survival_left(const Distribution& d, double x, const double* arena) {
  return survival(d, std::nextafter(x, -HUGE_VAL), arena);
}

std::vector<double> breakpoints(const Distribution& d, const double* arena) {
  std::vector<double> out;
  if (d.kind == DistKind::Empirical || d.kind == DistKind::Discrete) {
    out.assign(arena + d.table, arena + d.table + d.table_n);
  } else if (d.kind == DistKind::Mixture) {
    for (int k = 0; k < d.table_n; ++k) {
      const std::vector<double> b = breakpoints(d.mixture_component(k, arena), arena);
      out.insert(out.end(), b.begin(), b.end());
    }
  }
  if (std::isfinite(d.low)) out.push_back(d.low);
  if (std::isfinite(d.high)) out.push_back(d.high);
  sort_unique(out);
  return out;
}

std::vector<double> atoms(const Distribution& d, const double* arena) {
  std::vector<double> out;
  if (d.kind == DistKind::Discrete) {
    out.assign(arena + d.table, arena + d.table + d.table_n);
  } else if (d.kind == DistKind::Empirical) {
    const double* xs = arena + d.table;
    const double* fs = xs + d.table_n;
    for (int k = 0; k + 1 < d.table_n; ++k)
      if (xs[k] == xs[k + 1] && fs[k + 1] > fs[k]) out.push_back(xs[k]);
  } else if (d.kind == DistKind::Mixture) {
    for (int k = 0; k < d.table_n; ++k) {
      const std::vector<double> a = atoms(d.mixture_component(k, arena), arena);
      out.insert(out.end(), a.begin(), a.end());
    }
  }
  sort_unique(out);
  return out;
}

}  // namespace mcrev
