// mcrev: scenario parsing for the beta, lognormal, Pareto and gamma distributions, [correlation] and
// strategy tables (docs/distributions-and-strategies.md). Included by host/scenario.cpp inside its
// anonymous namespace, after Reader and fmt_num; not a standalone header.

DistributionSpec parse_distribution(Reader& r, const std::string& base_dir);

/// Parses `dist = kind` for the kinds of mcrev/distribution_more.hpp into spec; false if kind is not one.
bool parse_distribution_more(const std::string& kind, Reader& r, DistributionSpec& spec) {
  Distribution& d = spec.dist;
  auto positive = [&](const char* key, double max_value) {
    const double x = r.number(key);
    MCREV_EXPECTS(std::isfinite(x) && x > 0 && x <= max_value, r.key_path(key),
                  "must lie in (0, " + fmt_num(max_value) + "], got " + fmt_num(x));
    return x;
  };
  auto truncation = [&](double default_low) {
    d.low = r.number("low", default_low);
    d.high = r.has("high") ? r.number_or_inf("high") : HUGE_VAL;
    MCREV_EXPECTS(std::isfinite(d.low) && d.low >= default_low, r.key_path("low"),
                  "must be a finite number >= " + fmt_num(default_low) + ", got " + fmt_num(d.low));
    MCREV_EXPECTS(!std::isnan(d.high) && d.high > d.low, r.key_path("high"),
                  "must be above low (low = " + fmt_num(d.low) + ", high = " + fmt_num(d.high) + ")");
  };
  auto range = [&]() -> std::string {
    std::string s;
    if (d.low > 0 || std::isfinite(d.high))
      s = " truncated to [" + fmt_num(d.low) + ", " + (std::isfinite(d.high) ? fmt_num(d.high) : "inf") + "]";
    return s;
  };
  if (kind == "beta") {
    d.kind = DistKind::Beta;
    d.p[0] = positive("alpha", 1e4);
    d.p[1] = positive("beta", 1e4);
    d.low = r.number("low", 0.0);
    d.high = r.number("high", 1.0);
    MCREV_EXPECTS(std::isfinite(d.low) && std::isfinite(d.high) && d.low < d.high, r.key_path("low"),
                  "low must be below high (low = " + fmt_num(d.low) + ", high = " + fmt_num(d.high) + ")");
    spec.describe = "beta(" + fmt_num(d.p[0]) + ", " + fmt_num(d.p[1]) + ") on [" + fmt_num(d.low) + ", " +
                    fmt_num(d.high) + "]";
    return true;
  }
  if (kind == "lognormal") {
    d.kind = DistKind::LogNormal;
    d.p[0] = r.number("mu");
    MCREV_EXPECTS(std::isfinite(d.p[0]), r.key_path("mu"), "must be finite");
    d.p[1] = positive("sigma", 1e3);
    truncation(0.0);
    d.p[2] = d.low > 0 ? normal_cdf((std::log(d.low) - d.p[0]) / d.p[1]) : 0.0;
    d.p[3] = std::isfinite(d.high) ? normal_sf((std::log(d.high) - d.p[0]) / d.p[1]) : 0.0;
    MCREV_EXPECTS(1.0 - d.p[2] - d.p[3] > 1e-12, r.key_path("low"),
                  "[low, high] holds (almost) no mass of this lognormal; move the interval");
    spec.describe = "lognormal(mu " + fmt_num(d.p[0]) + ", sigma " + fmt_num(d.p[1]) + ")" + range();
    return true;
  }
  if (kind == "pareto") {
    d.kind = DistKind::Pareto;
    d.low = positive("scale", 1e300);
    d.p[0] = positive("shape", 1e4);
    d.high = r.has("high") ? r.number_or_inf("high") : HUGE_VAL;
    MCREV_EXPECTS(!std::isnan(d.high) && d.high > d.low, r.key_path("high"),
                  "must be above scale (scale = " + fmt_num(d.low) + ", high = " + fmt_num(d.high) + ")");
    d.p[1] = std::isfinite(d.high) ? -std::expm1(d.p[0] * std::log(d.low / d.high)) : 1.0;
    MCREV_EXPECTS(d.p[1] > 1e-12, r.key_path("high"), "[scale, high] holds (almost) no mass; raise high");
    spec.describe = "pareto(scale " + fmt_num(d.low) + ", shape " + fmt_num(d.p[0]) + ")" +
                    (std::isfinite(d.high) ? " truncated at " + fmt_num(d.high) : "");
    return true;
  }
  if (kind == "gamma") {
    d.kind = DistKind::Gamma;
    d.p[0] = positive("shape", 1e4);
    MCREV_EXPECTS(r.has("scale") != r.has("rate"), r.key_path("scale"), "give exactly one of scale and rate");
    d.p[1] = r.has("scale") ? positive("scale", 1e300) : 1.0 / positive("rate", 1e300);
    truncation(0.0);
    double lower, upper;
    gamma_pq(d.p[0], d.low / d.p[1], &lower, &upper);
    d.p[2] = lower;
    gamma_pq(d.p[0], d.high / d.p[1], &lower, &upper);
    d.p[3] = upper;
    MCREV_EXPECTS(1.0 - d.p[2] - d.p[3] > 1e-12, r.key_path("low"),
                  "[low, high] holds (almost) no mass of this gamma distribution; move the interval");
    spec.describe = "gamma(shape " + fmt_num(d.p[0]) + ", scale " + fmt_num(d.p[1]) + ")" + range();
    return true;
  }
  return false;
}

/// The top-level [correlation] table.
CorrelationSpec parse_correlation(Reader& r, const std::string& base_dir) {
  CorrelationSpec c;
  const std::string kind = r.string("kind", "");
  if (kind == "gaussian_copula") {
    c.kind = CorrelationKind::GaussianCopula;
    c.rho = r.number("rho");
    MCREV_EXPECTS(std::isfinite(c.rho) && c.rho > -1.0 && c.rho < 1.0, r.key_path("rho"),
                  "must lie strictly between -1 and 1, got " + fmt_num(c.rho));
  } else if (kind == "affiliated") {
    c.kind = CorrelationKind::Affiliated;
    c.weight = r.number("weight", 1.0);
    MCREV_EXPECTS(std::isfinite(c.weight), r.key_path("weight"), "must be finite");
    Reader cr(r.table("common"), r.key_path("common"));
    c.common = parse_distribution(cr, base_dir);
  } else if (kind == "independent") {
  } else {
    throw ScenarioError(r.key_path("kind"), kind.empty() ? "is required (gaussian_copula, affiliated or independent)"
                                                        : "unknown correlation '" + kind +
                                                              "' (expected gaussian_copula, affiliated or independent)");
  }
  r.finish();
  return c;
}
