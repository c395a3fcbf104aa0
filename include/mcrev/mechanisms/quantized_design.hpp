// mcrev: host-side design of quantized-bid mechanisms (THEORY.md "Quantized (binary) bids",
// docs/quantized.md): cell virtual values, the seller's exact expected utility for given thresholds,
// and the search for the thresholds that maximize it.
//
// For bidders with independent cells U_i (probabilities π_ij, ironed values c̄_ij) the optimal
// mechanism's expected seller utility is
//   J(θ) = E[ max(v0, max_i c̄_i(U_i)) ] = v0 + ∫_{v0}^∞ (1 − Π_i P(c̄_i(U_i) <= x)) dx,
// exact either by enumerating the Π_i (k_i + 1) report patterns or by the order-statistic integral
// on the right (a finite sum over the sorted cell values, O(N log N) for N = Σ_i (k_i + 1) cells).
#pragma once

#include "mcrev/distributions/distribution.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace mcrev {

struct Scenario;
struct ModelData;

/// How a `kind = "quantized"` mechanism gets its thresholds (scenario keys in docs/quantized.md).
struct QuantizedSpec {
  enum class Mode { Fixed, Optimal, Random };
  enum class Search { PerBidder, Symmetric };
  enum class Eval { Exact, MonteCarlo };
  Mode mode = Mode::Fixed;
  Search search = Search::PerBidder;  ///< Optimal: one threshold vector per bidder, or one shared
  Eval eval = Eval::Exact;            ///< Optimal: objective evaluated exactly, or by Monte Carlo (CRN)
  /// Fixed: one entry per bidder (bidders numbered group by group) or one per group; an entry holds
  /// the bidder's k >= 1 ascending thresholds.
  std::vector<std::vector<double>> thresholds;
  int levels = 1;                      ///< Optimal / Random: thresholds per bidder
  int grid = 101;                      ///< Optimal: grid points per coordinate before refinement
  std::uint64_t eval_samples = 65536;  ///< Optimal with Eval::MonteCarlo: common random profiles
};

/// One bidder's quantization: k ascending thresholds, k + 1 cell probabilities and ironed values.
struct QuantizedBidder {
  double low = 0.0;  ///< a_i, the payment of a winner whose lowest winning cell is 0
  std::vector<double> thresholds;
  std::vector<double> prob;
  std::vector<double> value;
};

/// Cells of a bidder with distribution d (arena: its tables) and the given ascending thresholds.
QuantizedBidder quantize_bidder(const Distribution& d, const double* arena, const std::vector<double>& thresholds);

/// Exact J by the order-statistic integral (any number of bidders).
double quantized_expected_utility(const std::vector<QuantizedBidder>& bidders, double seller_value);

/// Number of report patterns Π_i (k_i + 1), saturated at UINT64_MAX.
std::uint64_t quantized_patterns(const std::vector<QuantizedBidder>& bidders);

/// Exact J by enumerating every report pattern; throws std::invalid_argument above max_patterns.
double quantized_expected_utility_enumerated(const std::vector<QuantizedBidder>& bidders, double seller_value,
                                             std::uint64_t max_patterns = std::uint64_t{1} << 20);

/// Patterns up to which designs report the enumerated J (the order-statistic formula beyond).
inline constexpr std::uint64_t kQuantizedEnumerationLimit = std::uint64_t{1} << 20;

/// Lane of the common random profiles of the Monte Carlo threshold search.
inline constexpr std::uint32_t kQuantizedSearchLane = 3000;

/// The thresholds a quantized mechanism runs with, and what is known of its seller utility.
struct QuantizedDesign {
  QuantizedSpec::Mode mode = QuantizedSpec::Mode::Fixed;
  QuantizedSpec::Search search = QuantizedSpec::Search::PerBidder;
  QuantizedSpec::Eval eval = QuantizedSpec::Eval::Exact;
  int levels = 1;
  double seller_value = 0.0;
  std::vector<QuantizedBidder> bidders;  ///< per bidder; empty in Random mode (drawn per profile)
  /// J at these thresholds (NaN in Random mode); method "enumeration" (<= 2^20 patterns) or
  /// "order_statistics".
  double exact_seller_utility = std::numeric_limits<double>::quiet_NaN();
  std::string exact_method;
  double search_objective = std::numeric_limits<double>::quiet_NaN();  ///< Optimal: J as the search saw it
  std::uint64_t search_evaluations = 0;
};

/// Threshold search over bidders with the given distributions (one per bidder; arena: their tables).
/// Symmetric: one ascending vector t shared by all bidders, bidder i using clip(t_l, a_i, b_i).
/// PerBidder: coordinate ascent over every bidder's thresholds, started from the symmetric optimum,
/// so J(per_bidder) >= J(symmetric). Each coordinate: `grid` evenly spaced points over its feasible
/// interval (between its neighbours, inside the support; unbounded supports end at the
/// 1 − 1e−9 quantile), then golden-section refinement around the best point; sweeps until no
/// coordinate improves J by more than 1e−13 (relative). Deterministic.
QuantizedDesign optimize_quantized_thresholds(const QuantizedSpec& spec, const std::vector<Distribution>& dists,
                                              const double* arena, double seller_value, std::uint64_t seed);

/// Resolves mechanism m of the scenario on the built groups of md (fixed, optimal or random).
QuantizedDesign design_quantized(const Scenario& sc, int m, const ModelData& md);

/// Appends the mechanism's data to the arena (layout in mcrev/quantized.hpp); returns its offset.
int write_quantized_arena(const QuantizedDesign& design, std::vector<double>& arena);

/// Checks the quantized keys of mechanism m; throws ScenarioError naming the key path.
void validate_quantized(const Scenario& sc, int m);

}  // namespace mcrev
