// mcrev: a point estimate with its standard error and confidence interval.
#pragma once

namespace mcrev {

struct Estimate {
  double mean = 0, stderr_ = 0, ci_low = 0, ci_high = 0;
};

}  // namespace mcrev
