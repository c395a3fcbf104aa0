// mcrev: the host-side library API — scenarios, runs and results.
//
//   mcrev::Scenario sc = mcrev::load_scenario_file("auction.toml");   // or build one in code
//   mcrev::RunOptions opt;  opt.backend = mcrev::Backend::Cpu;
//   mcrev::RunResult r = mcrev::run(sc, opt);
//   double rev = r.mechanisms[0].revenue.mean;
//
// Determinism: for a fixed seed the result is bitwise identical for any thread count and chunk size
// on the CPU backend, and for any grid size on the CUDA backend; CPU and CUDA agree to ~1e-12 relative.
#pragma once

#include "mcrev/incentives/incentives.hpp"
#include "mcrev/pipeline/evaluate.hpp"
#include "mcrev/mechanisms/quantized_design.hpp"
#include "mcrev/core/stats.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mcrev {

enum class Backend { Auto, Cpu, Cuda };

/// A bid function choice of a mechanism (applies to every group).
struct StrategySpec {
  enum Kind { Truthful, Shade, Bne, Table } kind = Truthful;
  double factor = 1.0;  ///< Shade: bid = factor × value
  /// Table (`strategy = "table", file = …`, docs/distributions-and-strategies.md): bid functions
  /// linear in value through (table_values[k], table_bids[c][k]); one column for every group, or one
  /// per group (table_bids.size() == number of groups).
  std::string file;
  std::vector<double> table_values;
  std::vector<std::vector<double>> table_bids;
};

/// Value distribution as written in the scenario; `dist` is ready to sample once `table` is placed.
struct DistributionSpec {
  Distribution dist;
  std::vector<double> table_x, table_f;  ///< Empirical CDF points; Discrete atoms and cumulative probabilities
  std::string describe;                  ///< e.g. "uniform[0, 1]"
  std::vector<double> weights;                ///< Mixture: component weights (sum 1)
  std::vector<DistributionSpec> components;   ///< Mixture: components (never mixtures themselves)
};

struct GroupSpec {
  std::string name;
  int count = 1;
  int demand = 1;  ///< units market: marginal values per agent (sorted iid draws of `value`);
                   ///< divisible steps: the number of steps
  int role = 0;    ///< double_auction: Role::Buyer (0, `role = "buyer"`) or Role::Seller (1)
  DistributionSpec value;
  Utility utility = Utility::Steps;  ///< divisible: `utility = { kind = ... }` (model.hpp Utility)
  double size = 1.0;                 ///< divisible: width (steps), demand (linear), slope (quadratic)
  std::vector<std::string> bundle;   ///< combinatorial: the items the agents want (names of market.items)
  double risk = 1.0;  ///< single_item: `risk = { kind = "crra", rho = ρ }`, ρ in (0, 1] (1: risk neutral)
};

/// The `[market]` table (mcrev/model/model.hpp): single_item (default), units with `units` = k,
/// double_auction (groups with `role`), public_project with `cost` = C.
struct MarketSpec {
  MarketKind kind = MarketKind::SingleItem;
  int units = 1;
  double supply = 1.0;             ///< divisible: S > 0
  double cap = HUGE_VAL;           ///< divisible: most one identity may receive (> 0; +inf: none)
  std::vector<std::string> items;  ///< combinatorial: item names (1..kMaxItems, distinct)
  double cost = 0.0;               ///< public_project: the project cost C
};

/// How a second-price reserve is chosen (docs/myerson.md): the numbers given, the monopoly reserve
/// ψ̄^{-1}(v0) of iid bidders (`reserve = "optimal"`) or one ψ̄_g^{-1}(v0) per group
/// (`reserve = "optimal_personalized"`), resolved by build_model.
enum class ReserveRule { Fixed, Optimal, OptimalPersonalized };

struct MechanismSpec {
  std::string name;
  MechKind kind = MechKind::SecondPrice;
  double reserve = 0.0;
  std::vector<double> group_reserves;  ///< empty, or one per group
  ReserveRule reserve_rule = ReserveRule::Fixed;
  bool virtual_value_table = false;    ///< myerson: tabulate ψ̄ even where a closed form exists
  double price = 0.0;
  double seller_value = 0.0;
  int rule = 0;  ///< a kind's discrete option (uniform_price: UniformPriceRule)
  double weight = 0.0;  ///< a kind's continuous parameter (k_double_auction: k)
  std::vector<double> group_params;  ///< groves: h, one number for every group or one per group
  StrategySpec strategy;
  QuantizedSpec quantized;  ///< kind = quantized: thresholds (docs/quantized.md)
  IncentiveOptions incentives;  ///< the `incentives` table (docs/incentives.md)
};

/// Joint law of the values (top-level [correlation] table; mcrev/correlation.hpp). Default: independent.
struct CorrelationSpec {
  CorrelationKind kind = CorrelationKind::Independent;
  double rho = 0.0;           ///< gaussian_copula: equicorrelation of the normal scores
  double weight = 1.0;        ///< affiliated: v_i = weight · C + private_i
  DistributionSpec common;    ///< affiliated: law of the common component C
};

struct Scenario {
  std::uint64_t samples = 1000000;
  std::uint64_t seed = 1;
  Backend backend = Backend::Auto;
  double confidence = 0.95;
  MarketSpec market;
  std::vector<GroupSpec> groups;
  std::vector<MechanismSpec> mechanisms;
  CorrelationSpec correlation;
};

/// The built-in default: 5 iid U[0,1] bidders; second price, second price with reserve 0.5, first
/// price and all-pay at their Bayes–Nash equilibria, posted price 0.5.
Scenario default_scenario();

/// Checks every field; throws ScenarioError naming the key path on the first problem.
void validate(const Scenario& sc);

/// True when mechanism ms's prescribed play or rule is derived under independent private values:
/// equilibrium strategies (strategy = "bne" in first_price / all_pay) and the kinds listed in
/// host/correlation.cpp (kind "myerson"). Used to warn about correlated values.
bool assumes_independent_values(const MechanismSpec& ms);

/// Warnings about a valid scenario (e.g. correlated values combined with equilibrium bidding or an
/// optimal mechanism, whose derivations assume independence); empty when there is nothing to say.
std::vector<std::string> scenario_warnings(const Scenario& sc);

/// A tabulated equilibrium bid function of one bidder group (strategy = "bne" in first_price /
/// all_pay): its node count and the measured interpolation error bound, in bid units (host/bne.hpp,
/// host/asymmetric_bne.hpp).
struct BidTableInfo {
  std::string group;
  std::string method;  ///< "symmetric" (Hermite in F, log F, log(1 − F)) or "asymmetric" (value knots)
  int nodes = 0;
  double max_error = 0.0;  ///< max |interpolated − exact| bid at the interval midpoints
};

/// Owns the arrays a Model views: groups, mechanisms, strategies (tabulated equilibria) and arena.
struct ModelData {
  std::uint64_t seed = 0;
  int n_bidders = 0;
  int n_values = 0;
  Market market;
  std::vector<Group> groups;
  std::vector<Mechanism> mechanisms;
  std::vector<Strategy> strategies;
  std::vector<double> arena;
  std::vector<std::optional<QuantizedDesign>> quantized;  ///< per mechanism; set for kind = quantized
  std::vector<std::vector<std::pair<std::string, double>>> solved;  ///< per mechanism (MechanismResult::solved)
  std::vector<IncentiveSpec> incentives;  ///< one per mechanism when any has incentives, else empty
  int extra_metrics = 0;                  ///< incentive_metric::per_mechanism(G) or 0
  int n_sketches = 0;                     ///< quantile sketches appended to the partial
  int risk_averse = 0;                    ///< Model::risk_averse
  Correlation correlation;
  std::vector<std::vector<BidTableInfo>> bid_tables;  ///< per mechanism: tabulated equilibria (else empty)
  Model view() const;
  PartialShape shape() const;
};

/// Builds the model (tabulates equilibrium bid functions). Throws ScenarioError if impossible.
ModelData build_model(const Scenario& sc);

struct RunOptions {
  Backend backend = Backend::Auto;
  int threads = 0;                          ///< CPU threads; 0 = all cores
  std::uint64_t chunk_profiles = 1u << 16;  ///< CPU work unit; a power-of-two multiple of kLeafProfiles
  /// Called from the driving thread with (profiles done, total); may be empty.
  std::function<void(std::uint64_t, std::uint64_t)> progress;
};

struct GroupResult {
  std::string name;
  Estimate win, payment, utility;  ///< per bidder of the group
  Estimate ir_violation;           ///< markets other than single_item: P(ex-post utility < 0), per agent
};

struct MechanismResult {
  std::string name;
  std::string kind;
  Estimate revenue, welfare, seller_utility, efficiency, no_sale, revenue_diff;
  /// Markets other than single_item: budget surplus Σ t_i − cost, P(budget < 0), and the probability
  /// that anything is allocated (named by activity_name(market): a sale, a trade, a build).
  bool has_budget = false;
  Estimate budget_surplus, deficit_prob, activity;
  /// Markets with a market statistic (metric::market_metrics): divisible: the clearing price λ;
  /// combinatorial: P(the payments lie outside the core). Named by market_stat_name(market).
  bool has_market_stat = false;
  Estimate market_stat;
  std::vector<GroupResult> bidders;
  std::optional<QuantizedDesign> quantized;  ///< kind = quantized: thresholds and exact seller utility
  /// Host-side solutions of the mechanism (dagva: ξ tables, second_best: a, k_double_auction bne:
  /// the linear strategies), as (name, value) pairs; empty for the others. Reported as "solved".
  std::vector<std::pair<std::string, double>> solved;
  IncentiveResult incentives;  ///< filled when the mechanism has an `incentives` table
  std::vector<BidTableInfo> bid_tables;  ///< strategy = "bne" tables (first_price, all_pay): error bounds
};

struct RunResult {
  std::uint64_t samples = 0, seed = 0;
  std::string backend;  ///< "cpu" or "cuda"
  std::string device;   ///< CPU model / GPU name
  std::string note;     ///< e.g. why auto fell back to the CPU
  double seconds = 0, profiles_per_second = 0, confidence = 0.95;
  std::vector<MechanismResult> mechanisms;
  std::vector<double> partial;  ///< the merged raw partial, for exact comparisons (then the quantile
                                ///< sketches, mcrev/sketch.hpp, when incentives are enabled)
  std::vector<std::string> warnings;  ///< scenario_warnings(sc): also printed by the CLI on stderr
};

/// Runs the scenario; options.backend overrides sc.backend unless it is Auto.
RunResult run(const Scenario& sc, const RunOptions& options = {});

/// Turns a merged partial into estimates at the given confidence level.
std::vector<MechanismResult> summarize(const Scenario& sc, const std::vector<double>& partial, double confidence);

const char* kind_name(MechKind k);
const char* market_name(MarketKind k);
/// Output key of MechanismResult::activity in market k ("sale_prob" for units).
const char* activity_name(MarketKind k);
/// Output key of MechanismResult::market_stat ("clearing_price", "outside_core_prob"), or null.
const char* market_stat_name(MarketKind k);
const char* backend_name(Backend b);

// Backends (host/cpu_backend.cpp, kernels/cuda_backend.cu): the merged partial over samples profiles,
// followed by md.n_sketches quantile sketches (sketch::kDoubles each) when there are any.
std::vector<double> run_cpu(const ModelData& md, std::uint64_t samples, const RunOptions& options);
bool cuda_available(std::string* device_name, std::string* why_not);
std::vector<double> run_cuda(const ModelData& md, std::uint64_t samples, const RunOptions& options);

/// Deterministic reduction tree over leaves: entries are pushed in leaf order with their level
/// (a subtree of 2^level leaves); equal levels merge left-to-right like a binary counter.
class TreeReducer {
 public:
  explicit TreeReducer(PartialShape shape, MechanismPairs pairs) : shape_(shape), pairs_(pairs) {}
  void push(int level, std::vector<double> partial);
  /// Merges what is left, right to left; returns an all-zero partial if nothing was pushed.
  std::vector<double> finish();
  bool empty() const { return stack_.empty(); }
  /// Moves the entries out (to be pushed, in order, into another reducer).
  std::vector<std::pair<int, std::vector<double>>> take() { return std::move(stack_); }

 private:
  PartialShape shape_;
  MechanismPairs pairs_;
  std::vector<std::pair<int, std::vector<double>>> stack_;
};

}  // namespace mcrev
