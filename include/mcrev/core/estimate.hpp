// mcrev: a point estimate with its standard error and confidence interval.
#pragma once

namespace mcrev {

/// mean ± z · stderr_: the normal-approximation interval of the Monte Carlo mean (z from the
/// scenario's `confidence`, e.g. 1.959964 for 95 %). Units: those of the metric.
struct Estimate {
  double mean = 0, stderr_ = 0, ci_low = 0, ci_high = 0;
};

/// The Estimate of a mean with standard error se and interval mean ± z · se.
inline Estimate normal_interval(double mean, double se, double z) {
  Estimate e;
  e.mean = mean;
  e.stderr_ = se;
  e.ci_low = mean - z * se;
  e.ci_high = mean + z * se;
  return e;
}

}  // namespace mcrev
