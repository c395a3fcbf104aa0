// mcrev: host tabulation of ironed virtual values (THEORY.md "Myerson's optimal auction";
// docs/myerson.md "Virtual values and ironing").
//
// For a distribution F with survival S(x) = P(V > x) and S⁻(x) = P(V >= x):
//  * the price-posting revenue curve in quantile space is the set of points (q, R) = (S⁻(x), x S⁻(x)),
//    i.e. R(q) = q F^{-1}(1 − q) closed upwards at jumps of F^{-1} (gaps in the support) and with the
//    atoms' quantile ranges (this is THEORY.md's R; for discrete F it gives Elkind's discrete virtual
//    values ψ(x_k) = x_k − (x_{k+1} − x_k) S(x_k) / P(V = x_k));
//  * R̄ is its concave hull, found on a fine point set (2048 quantiles, tail points down to 1e−12,
//    every support end, component end and atom); each hull edge that passes strictly above skipped
//    points (by more than 1e−11 of the curve's scale) is an ironed interval; its two ends are then
//    located to ~1 ulp by repeated zooming (two windows of 33 samples around the ends, hull bridge
//    recomputed, windows shrunk 16x per round);
//  * ψ̄(x) = the hull slope on ironed intervals [x_A, x_B); for an atom x the slope of R̄ over its
//    quantile range [S(x), S⁻(x)]; in a gap of the support the value at the gap's lower end; else
//    ψ(x) = x − S(x)/f(x) with the density just right of x.
// Ends of ironed intervals next to a support end, component end or atom (within 1e−7·scale) are
// snapped to it (a kink of R); others are solved from ψ(x) = s by bisection (ψ crosses the flat level
// upwards at both ends), and s is recomputed from the two end points.
// The node table (mcrev/virtual_value.hpp) is refined adaptively until linear interpolation matches
// ψ̄ at the 1/4, 1/2 and 3/4 points of every segment within tolerance·(scale + |ψ̄|)
// (scale = max(Q(0.99) − Q(0.01), |Q(0.5)|)); segments holding less than 1e−10 of probability are
// not split further (near a pole of ψ, e.g. ψ → −∞ where f(lo) = 0). The largest deviation seen at
// the checks of segments with at least that mass, divided by (scale + |ψ̄|), is reported as max_error
// (<= tolerance by construction). A final running maximum
// makes the tabulated ψ̄ non-decreasing (ends of flats are clamped first so flats stay exact).
#pragma once

#include "mcrev/distributions/distribution.hpp"
#include "mcrev/mechanisms/virtual_value.hpp"

#include <array>
#include <vector>

namespace mcrev {

/// Types in [low, high] share the ironed virtual value `level` (a flat piece of ψ̄ due to ironing).
struct IronedInterval {
  double low, high, level;
};

struct VirtualValueOptions {
  bool force_table = false;   ///< tabulate even where a closed form exists (uniform, exponential, power k >= 1)
  int grid = 2048;            ///< quantile points of the revenue-curve hull
  double tolerance = 1e-8;    ///< interpolation tolerance: tolerance·(scale + |ψ̄|)
};

struct VirtualValueTable {
  VirtualValueMode mode = VirtualValueMode::Table;
  double lo = 0.0, hi = 1.0, param = 0.0;
  std::vector<double> x, yl, yr;  ///< Table nodes
  std::vector<double> guide;      ///< buckets + 1 segment indices
  double x0 = 0.0, inv_h = 0.0;
  std::vector<double> yguide;     ///< level buckets + 1 node indices (empty: none)
  double y_a = 0.0, inv_hy = 0.0;
  bool capped_top = true;
  std::vector<IronedInterval> ironed;
  double max_error = 0.0;         ///< largest error / (scale + |ψ̄|) seen at the checks (0 for closed forms)

  bool regular() const { return ironed.empty(); }
  /// Appends the node arrays to `arena` and returns the header (mcrev/virtual_value.hpp layout).
  std::array<double, kVirtualValueHeader> place(std::vector<double>& arena) const;
};

/// Tabulates ψ̄ of d (whose tables live in `arena`).
VirtualValueTable tabulate_virtual_value(const Distribution& d, const double* arena, const VirtualValueOptions& options = {});

/// Host evaluator of a tabulated ψ̄ through the same code the device runs.
class VirtualValueFunction {
 public:
  explicit VirtualValueFunction(VirtualValueTable table);
  double operator()(double b) const { return view()(b); }
  double lowest_reaching(double c) const { return view().lowest_reaching(c); }
  double lowest_exceeding(double c) const { return view().lowest_exceeding(c); }
  /// ψ̄^{-1}(v0): the smallest report whose ironed virtual value reaches v0.
  double reserve(double v0) const { return lowest_reaching(v0); }
  const VirtualValueTable& table() const { return table_; }

 private:
  VirtualValue view() const { return VirtualValue::load(arena_.data(), header_); }
  VirtualValueTable table_;
  std::vector<double> arena_;
  int header_ = 0;
};

}  // namespace mcrev
