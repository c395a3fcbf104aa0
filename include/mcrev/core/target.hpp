// mcrev: precision targets — run until chosen confidence intervals are narrow enough (docs/sweeps.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mcrev {

/// A precision target: stop once the half-width (ci_high − ci_low)/2 of every targeted interval is at
/// most `halfwidth`. Sample counts are decided only at fixed boundaries N0, 2 N0, 4 N0, …, capped at
/// max_samples, so the result is the one of a plain run of the final count (bitwise; docs/sweeps.md).
struct PrecisionTarget {
  double halfwidth = 0.0;  ///< EPS > 0 (finite); 0 = no target
  /// Targeted metrics: "METRIC" (that metric of every mechanism) or "MECHANISM.METRIC"; metric names
  /// as in the sweep rows (revenue, welfare, payment[GROUP], …). Empty: revenue of every mechanism.
  std::vector<std::string> metrics;
  std::uint64_t max_samples = std::uint64_t{1} << 30;  ///< cap on the profiles (>= 1)
  std::uint64_t first_batch = std::uint64_t{1} << 16;  ///< N0: a multiple of 256
  bool enabled() const { return halfwidth > 0; }
};

/// How a precision-target run ended (RunResult::target; printed by the table, JSON and CSV outputs).
struct TargetReport {
  bool enabled = false;
  double halfwidth = 0.0;                 ///< the target EPS
  std::uint64_t max_samples = 0;          ///< the cap
  bool met = false;                       ///< every targeted half-width <= EPS at the final count
  std::vector<std::uint64_t> boundaries;  ///< the sample counts examined, in order; the last is the result's
  std::string widest;                     ///< "MECHANISM.METRIC" of the widest targeted interval at the end
  double widest_halfwidth = 0.0;          ///< its half-width
  std::vector<std::string> metrics;       ///< the targeted intervals, "MECHANISM.METRIC"
};

}  // namespace mcrev
