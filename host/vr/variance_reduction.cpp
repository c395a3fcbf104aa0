// Variance reduction on the host (see variance_reduction.hpp and docs/variance_reduction.md).
#include "vr/variance_reduction.hpp"

#include "mcrev/core/error.hpp"
#include "mcrev/core/special.hpp"
#include "incentives/incentives.hpp"

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/random/sobol.hpp>

#include <chrono>
#include <cmath>
#include <limits>

namespace mcrev {

namespace {

// Lanes of the host-side keys of rqmc replicates (Philox keyed by (seed, replicate)); no profile uses them.
constexpr std::uint32_t kRqmcScrambleLane = 0xFFFFFF00u, kRqmcSeedLane = 0xFFFFFF01u;

bool known_mean(const DistributionSpec& s, double* mean) {
  const Distribution& d = s.dist;
  switch (d.kind) {
    case DistKind::Uniform: *mean = 0.5 * (d.low + d.high); return true;
    case DistKind::Exponential: *mean = d.low + 1.0 / d.p[0]; return true;
    case DistKind::Power: *mean = d.low + (d.high - d.low) * d.p[0] / (d.p[0] + 1.0); return true;
    case DistKind::Beta: *mean = d.low + (d.high - d.low) * d.p[0] / (d.p[0] + d.p[1]); return true;
    case DistKind::TruncNormal: {  // μ + σ (φ(α) − φ(β)) / (Φ(β) − Φ(α))
      const double mu = d.p[0], sd = d.p[1], a = (d.low - mu) / sd, b = (d.high - mu) / sd;
      const double phi_a = std::exp(-0.5 * a * a) / std::sqrt(2 * M_PI), phi_b = std::exp(-0.5 * b * b) / std::sqrt(2 * M_PI);
      *mean = mu + sd * (phi_a - phi_b) / (1.0 - d.p[2] - d.p[3]);
      return true;
    }
    case DistKind::Discrete: {  // Σ x_k (C_k − C_{k−1})
      double m = 0, prev = 0;
      for (size_t k = 0; k < s.table_x.size(); ++k) {
        m += s.table_x[k] * (s.table_f[k] - prev);
        prev = s.table_f[k];
      }
      *mean = m;
      return true;
    }
    case DistKind::Empirical: {  // piecewise-linear CDF: each segment's mass at its midpoint (atoms: x_{k−1} = x_k)
      double m = 0;
      for (size_t k = 1; k < s.table_x.size(); ++k)
        m += (s.table_f[k] - s.table_f[k - 1]) * 0.5 * (s.table_x[k - 1] + s.table_x[k]);
      *mean = m;
      return true;
    }
    case DistKind::Mixture: {
      double m = 0;
      for (size_t k = 0; k < s.components.size(); ++k) {
        double c = 0;
        if (!known_mean(s.components[k], &c)) return false;
        m += s.weights[k] * c;
      }
      *mean = m;
      return true;
    }
    default: return false;  // lognormal, pareto, gamma (truncated): no closed form used here
  }
}

// E[max of K iid draws] where closed: uniform a + (b − a) K/(K + 1); power F = ((v − a)/(b − a))^k: the
// maximum is power with exponent kK; exponential (shift a, rate λ): a + H_K / λ.
bool known_max_mean(const Distribution& d, int K, double* mean) {
  switch (d.kind) {
    case DistKind::Uniform: *mean = d.low + (d.high - d.low) * K / (K + 1.0); return true;
    case DistKind::Power: *mean = d.low + (d.high - d.low) * (d.p[0] * K) / (d.p[0] * K + 1.0); return true;
    case DistKind::Exponential: {
      double h = 0;
      for (int k = K; k >= 1; --k) h += 1.0 / k;
      *mean = d.low + h / d.p[0];
      return true;
    }
    default: return false;
  }
}

double t_quantile(double p, double df) { return boost::math::quantile(boost::math::students_t(df), p); }

}  // namespace

VrMethod parse_variance_reduction(const std::string& name, const std::string& path) {
  if (name == "none") return VrMethod::None;
  if (name == "antithetic") return VrMethod::Antithetic;
  if (name == "control_variate") return VrMethod::ControlVariate;
  if (name == "rqmc") return VrMethod::Rqmc;
  throw ScenarioError(path, "unknown method '" + name + "' (expected none, antithetic, control_variate or rqmc)");
}

const char* variance_reduction_name(VrMethod m) {
  switch (m) {
    case VrMethod::None: return "none";
    case VrMethod::Antithetic: return "antithetic";
    case VrMethod::ControlVariate: return "control_variate";
    case VrMethod::Rqmc: return "rqmc";
  }
  return "?";
}

std::vector<VrControlSpec> vr_controls(const Scenario& sc) {
  std::vector<VrControlSpec> out;
  if (sc.groups.size() == 1) {
    double m = 0;
    const GroupSpec& g = sc.groups[0];
    if (known_max_mean(g.value.dist, g.count * g.demand, &m)) out.push_back({VrControl::MaxOfValues, m, "max_of_values"});
  }
  double total = 0;
  bool all = true;
  for (const GroupSpec& g : sc.groups) {
    double m = 0;
    all = all && known_mean(g.value, &m);
    total += m * g.count * g.demand;
  }
  if (all) out.push_back({VrControl::SumOfValues, total, "sum_of_values"});
  return out;
}

int vr_block_metrics(const Scenario& sc) {
  VarianceReduction vr;
  vr.method = static_cast<int>(sc.variance_reduction);
  if (sc.variance_reduction == VrMethod::ControlVariate) vr.n_controls = static_cast<int>(vr_controls(sc).size());
  return vr.block_metrics();
}

void check_variance_reduction(const Scenario& sc) {
  const VrMethod m = sc.variance_reduction;
  if (m == VrMethod::None) return;
  const std::string name = std::string("\"") + variance_reduction_name(m) + "\"";
  for (size_t i = 0; i < sc.mechanisms.size(); ++i)
    MCREV_EXPECTS(!sc.mechanisms[i].incentives.enabled, "mechanisms[" + std::to_string(i) + "].incentives",
                  "is not supported with variance_reduction = " + name + " (run the incentive statistics without it)");
  if (m == VrMethod::Antithetic)
    MCREV_EXPECTS(sc.samples % 2 == 0 && sc.samples >= 4, "samples",
                  "variance_reduction = \"antithetic\" draws profiles in pairs: samples must be even and at least 4, got " +
                      std::to_string(sc.samples));
  if (m == VrMethod::ControlVariate) {
    MCREV_EXPECTS(sc.correlation.kind == CorrelationKind::Independent, "correlation",
                  "variance_reduction = \"control_variate\" needs independent values (its controls' means assume them)");
    MCREV_EXPECTS(!vr_controls(sc).empty(), "variance_reduction",
                  "\"control_variate\": no control with a known mean for these bidders (the sum of the values needs every "
                  "group's mean in closed form: uniform, exponential, power, beta, truncated_normal, empirical, discrete "
                  "or mixtures of these)");
    MCREV_EXPECTS(sc.samples >= 8, "samples", "variance_reduction = \"control_variate\" needs at least 8 samples");
  }
  if (m == VrMethod::Rqmc) {
    const std::uint64_t R = static_cast<std::uint64_t>(sc.rqmc_replicates);
    MCREV_EXPECTS(sc.rqmc_replicates >= 2, "rqmc_replicates", "must be at least 2 (the interval comes from the replicates)");
    MCREV_EXPECTS(sc.correlation.kind == CorrelationKind::Independent, "correlation",
                  "variance_reduction = \"rqmc\" needs independent values (its Sobol dimensions are the value slots)");
    MCREV_EXPECTS(sc.samples % R == 0 && sc.samples / R >= 2, "samples",
                  "variance_reduction = \"rqmc\": samples (" + std::to_string(sc.samples) +
                      ") must be a multiple of rqmc_replicates (" + std::to_string(R) +
                      ") with at least 2 points per replicate (powers of two per replicate work best)");
    MCREV_EXPECTS(sc.samples / R <= (std::uint64_t{1} << 32), "samples",
                  "variance_reduction = \"rqmc\": at most 2^32 points per replicate (raise rqmc_replicates)");
    int dims = 0;
    for (const GroupSpec& g : sc.groups) dims += g.count * g.demand;
    MCREV_EXPECTS(dims <= static_cast<int>(boost::random::default_sobol_table::max_dimension), "variance_reduction",
                  "\"rqmc\": " + std::to_string(dims) + " uniforms per profile exceed the Sobol table's " +
                      std::to_string(boost::random::default_sobol_table::max_dimension) + " dimensions");
  }
}

void prepare_variance_reduction(const Scenario& sc, ModelData& md) {
  md.vr = VarianceReduction{};
  md.vr.method = static_cast<int>(sc.variance_reduction);
  if (sc.variance_reduction == VrMethod::ControlVariate) {
    const std::vector<VrControlSpec> cs = vr_controls(sc);
    md.vr.n_controls = static_cast<int>(cs.size());
    for (size_t q = 0; q < cs.size(); ++q) md.vr.controls[q] = static_cast<int>(cs[q].kind);
  }
  if (sc.variance_reduction == VrMethod::Rqmc) {
    // Joe–Kuo direction numbers from Boost.Random: bit k of dimension d is lattice entry dims·k + d.
    const int dims = md.n_values;
    boost::random::qrng_detail::sobol_lattice<std::uint32_t, kSobolBits, boost::random::default_sobol_table> lattice(dims);
    md.vr.sobol_dims = dims;
    md.vr.sobol_directions = static_cast<int>(md.arena.size());
    for (int d = 0; d < dims; ++d)
      for (int k = 0; k < kSobolBits; ++k)
        md.arena.push_back(static_cast<double>(*lattice.iter_at(static_cast<size_t>(dims) * k + d)));
    md.vr.sobol_seeds = static_cast<int>(md.arena.size());
    md.arena.resize(md.arena.size() + dims, 0.0);
  }
}

ModelData rqmc_replicate_model(const ModelData& md, std::uint64_t seed, int r) {
  ModelData out = md;
  for (int d = 0; d < md.vr.sobol_dims; ++d) {
    const uint4 w = philox_block(seed, static_cast<std::uint64_t>(r), kRqmcScrambleLane, static_cast<std::uint32_t>(d / 4));
    out.arena[md.vr.sobol_seeds + d] = static_cast<double>(block_word(w, d % 4));
  }
  const uint4 s = philox_block(seed, static_cast<std::uint64_t>(r), kRqmcSeedLane, 0);
  out.seed = (static_cast<std::uint64_t>(s.x) << 32) | s.y;  // the replicate's auxiliary streams
  return out;
}

std::vector<double> rqmc_replicate_partial(const std::vector<std::vector<double>>& reps, const PartialShape& sh,
                                           const MechanismPairs& pairs) {
  const int K = sh.metrics;
  const double R = static_cast<double>(reps.size());
  std::vector<double> out(sh.size(), 0.0);
  out[0] = R;
  for (int k = 0; k < K; ++k) {
    double s = 0;
    for (const auto& p : reps) s += p[1 + k];
    out[1 + k] = s / R;
  }
  for (int k = 0; k < K; ++k) {
    double m2 = 0;
    for (const auto& p : reps) m2 += (p[1 + k] - out[1 + k]) * (p[1 + k] - out[1 + k]);
    out[1 + K + k] = m2;
  }
  for (int q = 0; q < sh.pairs; ++q) {
    int i, j;
    pairs(q, &i, &j);
    double c = 0;
    for (const auto& p : reps) c += (p[1 + i] - out[1 + i]) * (p[1 + j] - out[1 + j]);
    out[1 + 2 * K + q] = c;
  }
  return out;
}

namespace {

Estimate& tracked_estimate(MechanismResult& r, int t) { return t == 0 ? r.revenue : r.welfare; }
const char* tracked_name(int t) { return t == 0 ? "revenue" : "welfare"; }

// Regression (control-variate) estimator of one tracked metric from the run's moments (Glasserman 2004,
// "Monte Carlo Methods in Financial Engineering", §4.1; Nelson 1990): with S the controls' centered sums
// of squares and s their co-moments with Y, β = S⁻¹ s, estimate Ȳ − β'(C̄ − μ), residual variance
// σ²_e = (M2_Y − s'β)/(n − 1 − q), Var = σ²_e (1/n + (C̄ − μ)' S⁻¹ (C̄ − μ)) (the OLS intercept at C = μ).
void control_variate_estimate(const std::vector<VrControlSpec>& cs, double n, double ybar, double m2y, const double* cbar,
                              const double* m2c, double m2c01, const double* m2yc, double z, Estimate* est,
                              VrMetricResult* vr) {
  const int q = static_cast<int>(cs.size());
  double S[2][2] = {{m2c[0], 0}, {0, q == 2 ? m2c[1] : 1}}, s[2] = {m2yc[0], q == 2 ? m2yc[1] : 0};
  if (q == 2) S[0][1] = S[1][0] = m2c01;
  double inv[2][2];
  const double det = S[0][0] * S[1][1] - S[0][1] * S[1][0];
  inv[0][0] = S[1][1] / det;
  inv[1][1] = S[0][0] / det;
  inv[0][1] = inv[1][0] = -S[0][1] / det;
  double beta[2] = {0, 0}, d[2] = {0, 0};
  for (int a = 0; a < q; ++a) {
    for (int b = 0; b < q; ++b) beta[a] += inv[a][b] * s[b];
    d[a] = cbar[a] - cs[a].mean;
  }
  double explained = 0, dsd = 0, adj = 0;
  for (int a = 0; a < q; ++a) {
    explained += s[a] * beta[a];
    adj += beta[a] * d[a];
    for (int b = 0; b < q; ++b) dsd += d[a] * inv[a][b] * d[b];
  }
  const bool ok = std::isfinite(det) && det > 0;
  const double resid = ok ? std::max(0.0, m2y - explained) / (n - 1 - q) : m2y / (n - 1);
  const double var = ok ? resid * (1.0 / n + dsd) : resid / n;
  *est = normal_interval(ok ? ybar - adj : ybar, std::sqrt(var), z);
  vr->plain_variance = m2y / (n - 1);
  vr->method_variance = n * var;
  vr->beta[0] = ok ? beta[0] : 0;
  vr->beta[1] = ok ? beta[1] : 0;
}

double ratio_of(double plain, double method) {
  return method > 0 ? plain / method : (plain > 0 ? std::numeric_limits<double>::infinity() : std::nan(""));
}

}  // namespace

RunResult run_variance_reduced(const Scenario& sc, const RunOptions& options) {
  check_variance_reduction(sc);
  ModelData md = build_model(sc);
  prepare_variance_reduction(sc, md);
  std::string note, gpu;
  const Backend b = resolve_backend(sc, options, &note, &gpu);
  auto backend_run = [&](const ModelData& m, std::uint64_t units, const RunOptions& o) {
    return b == Backend::Cuda ? run_cuda(m, units, o) : run_cpu(m, units, o);
  };
  const Model view = md.view();
  const int B = view.metrics_per_mechanism();
  const int outcome = view.outcome_metrics() + view.extra_metrics;
  const int M = view.n_mechanisms;
  const PartialShape shape = md.shape();
  const double confidence = sc.confidence;
  const double z = normal_quantile(0.5 + 0.5 * confidence);
  const auto t0 = std::chrono::steady_clock::now();
  RunResult res;
  if (sc.variance_reduction == VrMethod::Rqmc) {
    const int R = sc.rqmc_replicates;
    const std::uint64_t per = sc.samples / static_cast<std::uint64_t>(R);
    std::vector<std::vector<double>> reps;
    for (int r = 0; r < R; ++r) {
      RunOptions o = options;
      if (options.progress)
        o.progress = [&, r](std::uint64_t done, std::uint64_t) { options.progress(r * per + done, sc.samples); };
      reps.push_back(backend_run(rqmc_replicate_model(md, sc.seed, r), per, o));
    }
    // Intervals from the R replicate means: Student t with R − 1 degrees of freedom. summarize uses a
    // normal quantile, so it is given the level whose normal quantile is that t quantile.
    const double t = t_quantile(0.5 + 0.5 * confidence, R - 1.0);
    Scenario at_t = sc;
    at_t.confidence = 2.0 * normal_cdf(t) - 1.0;
    res = finish_run(at_t, md, rqmc_replicate_partial(reps, shape, MechanismPairs{B}), b, options);
    res.confidence = confidence;
    const boost::math::chi_squared chi(R - 1.0);
    const double lo_q = boost::math::quantile(chi, 0.5 - 0.5 * confidence), hi_q = boost::math::quantile(chi, 0.5 + 0.5 * confidence);
    for (int m = 0; m < M; ++m)
      for (int t_ = 0; t_ < kVrTracked; ++t_) {
        const int k = m * B + vr_tracked_metric(t_);
        double within = 0;  // pooled within-replicate variance: plain Monte Carlo's σ² (each point is uniform)
        for (const auto& p : reps) within += p[1 + shape.metrics + k];
        VrMetricResult v;
        v.metric = tracked_name(t_);
        v.plain_variance = within / (static_cast<double>(sc.samples) - R);
        const double s2 = res.partial[1 + shape.metrics + k] / (R - 1.0);  // variance of a replicate mean
        v.method_variance = static_cast<double>(per) * s2;
        v.ratio = ratio_of(v.plain_variance, v.method_variance);
        // (R − 1) s² / σ²_rep ~ χ²_{R−1} (replicate means close to normal): the interval of the ratio
        v.ratio_low = v.ratio * lo_q / (R - 1.0);
        v.ratio_high = v.ratio * hi_q / (R - 1.0);
        res.mechanisms[m].variance_reduction.push_back(v);
      }
  } else {
    const std::uint64_t units = sc.variance_reduction == VrMethod::Antithetic ? sc.samples / 2 : sc.samples;
    std::vector<double> partial = backend_run(md, units, options);
    res = finish_run(sc, md, std::move(partial), b, options);
    const double n = res.partial[0];
    const double* mean = res.partial.data() + 1;
    const double* m2 = mean + shape.metrics;
    const std::vector<VrControlSpec> cs = vr_controls(sc);
    for (int m = 0; m < M; ++m)
      for (int t_ = 0; t_ < kVrTracked; ++t_) {
        const int o = m * B, y = o + vr_tracked_metric(t_), x = o + outcome;
        VrMetricResult v;
        v.metric = tracked_name(t_);
        v.ratio_low = v.ratio_high = std::nan("");
        if (sc.variance_reduction == VrMethod::Antithetic) {
          v.plain_variance = m2[x + t_] / (n - 1);                        // the pairs' first profiles
          v.method_variance = 2.0 * m2[y] / (n - 1);                      // N · Var(mean of n pairs), N = 2n
        } else {
          const int q = static_cast<int>(cs.size());
          const double m2c01 = q == 2 ? 0.5 * (m2[x + 2] - m2[x] - m2[x + 1]) : 0.0;
          const int ys = x + q + (q == 2 ? 1 : 0) + t_ * q;
          double m2yc[2] = {0, 0}, cbar[2] = {0, 0}, m2c[2] = {0, 0};
          for (int a = 0; a < q; ++a) {
            m2yc[a] = 0.5 * (m2[ys + a] - m2[y] - m2[x + a]);
            cbar[a] = mean[x + a];
            m2c[a] = m2[x + a];
          }
          control_variate_estimate(cs, n, mean[y], m2[y], cbar, m2c, m2c01, m2yc, z, &tracked_estimate(res.mechanisms[m], t_), &v);
        }
        v.ratio = ratio_of(v.plain_variance, v.method_variance);
        res.mechanisms[m].variance_reduction.push_back(v);
      }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  res.note = note;
  res.device = b == Backend::Cuda ? gpu : cpu_device_name(options.threads);
  res.seconds = seconds;
  res.profiles_per_second = seconds > 0 ? sc.samples / seconds : 0.0;
  return res;
}

}  // namespace mcrev
