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
#include "mcrev/core/target.hpp"

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
  enum Kind { Truthful, Shade, Bne, Table, Naive } kind = Truthful;  ///< Naive: [values] only (docs/single_item.md)
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
  /// Top-level `variance_reduction` (docs/variance_reduction.md): none, antithetic, control_variate, rqmc.
  VrMethod variance_reduction = VrMethod::None;
  int rqmc_replicates = 16;  ///< `rqmc_replicates`: independent randomizations R >= 2 (rqmc only)
  ValuesSpec values;  ///< `[values]`: interdependent or common values (mcrev/model/values.hpp)
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
  VarianceReduction vr;  ///< Model::vr: set by prepare_variance_reduction (host/vr/), else none
  ValuesModel values;                     ///< Model::values
  std::vector<std::vector<BidTableInfo>> bid_tables;  ///< per mechanism: tabulated equilibria (else empty)
  Model view() const;
  PartialShape shape() const;
};

/// Builds the model (tabulates equilibrium bid functions). Throws ScenarioError if impossible.
ModelData build_model(const Scenario& sc);

/// One complete subtree of the canonical reduction tree (TreeReducer): the merged partial of the
/// 2^level leaves starting at leaf first_leaf (profiles [first_leaf · kLeafProfiles, ...), the last
/// leaf of a run possibly short). first_leaf is a multiple of 2^level.
struct TreeEntry {
  std::uint64_t first_leaf = 0;
  int level = 0;
  std::vector<double> partial;
};

/// The reduction state of the profiles [first, end) of a run (docs/state_format.md): the canonical
/// tree's complete subtrees over them, in leaf order, and the quantile sketches. States of adjacent
/// ranges join (join_states) into exactly the state one process would have reached, so partial
/// files, checkpoints and MPI ranks all give the bits of a single run. first is a multiple of
/// kLeafProfiles; end is a multiple of kLeafProfiles or the run's sample count.
struct RangeState {
  std::uint64_t first = 0, end = 0;
  std::vector<TreeEntry> entries;
  std::vector<double> sketches;  ///< n_sketches × sketch::kDoubles (integer counts, min, max: exact merges)
};

struct RunOptions {
  Backend backend = Backend::Auto;
  int threads = 0;                          ///< CPU threads; 0 = all cores
  std::uint64_t chunk_profiles = 1u << 16;  ///< CPU work unit; a power-of-two multiple of kLeafProfiles
  /// Called from the driving thread with (profiles done, total); may be empty.
  std::function<void(std::uint64_t, std::uint64_t)> progress;
  /// run_cpu_range: called from the driving thread with the state of the completed prefix of chunks
  /// when checkpoint_every_s seconds have passed since the last call, and once at the end; may be empty.
  std::function<void(const RangeState&)> checkpoint;
  double checkpoint_every_s = 60.0;
  /// CUDA backend: the devices to spread the chunks over (CUDA device numbers); empty = the current
  /// device. The result does not depend on it (docs/gpu.md).
  std::vector<int> devices;
  /// false: the generic per-profile pipeline even where a fast path applies (docs/cpu_backend.md,
  /// "Fast path"); the bits are the same either way. For benchmarks and checks; the CLI's switch is
  /// the environment variable MCREV_FAST_PATH=off, which overrides true.
  bool fast_path = true;
};

/// The variance reduction measured on one metric of a run (docs/variance_reduction.md): plain_variance
/// is plain Monte Carlo's per-profile variance σ² estimated on the run, method_variance the method's
/// variance per profile (N · Var(estimate)), ratio = plain_variance / method_variance, the factor by
/// which the method cuts the profiles needed for a given half-width. ratio_low/ratio_high: an interval
/// for the ratio where one is computed (rqmc: χ² over the replicates), else NaN.
struct VrMetricResult {
  std::string metric;
  double plain_variance = 0, method_variance = 0, ratio = 0;
  double ratio_low = 0, ratio_high = 0;
  double beta[2] = {0, 0};  ///< control_variate: the estimated coefficients, one per control
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
  /// variance_reduction other than none: the measured variance ratio of the tracked metrics
  /// (revenue, welfare; docs/variance_reduction.md); empty otherwise.
  std::vector<VrMetricResult> variance_reduction;
  /// `[values]`: the winner's curse E[value − price | sale] (docs/single_item.md, "winners_curse").
  bool has_winners_curse = false;
  Estimate winners_curse;
};

struct RunResult {
  std::uint64_t samples = 0, seed = 0;
  std::string backend;  ///< "cpu" or "cuda"
  std::string device;   ///< CPU model / GPU name
  std::string note;     ///< e.g. why auto fell back to the CPU
  /// Which per-profile code ran: "fast path: <kinds> (n = N)" (the single-item fast path,
  /// mcrev/pipeline/fast_single_item.hpp) or "generic path (<why not>)"; JSON run.path.
  std::string path;
  double seconds = 0, profiles_per_second = 0, confidence = 0.95;
  std::vector<MechanismResult> mechanisms;
  std::vector<double> partial;  ///< the merged raw partial, for exact comparisons (then the quantile
                                ///< sketches, mcrev/sketch.hpp, when incentives are enabled)
  std::vector<std::string> warnings;  ///< scenario_warnings(sc): also printed by the CLI on stderr
  TargetReport target;  ///< precision-target runs (mcrev/sweep.hpp run_to_target); else enabled = false
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
/// run_cpu_range on the CUDA backend (options.devices, all at once): full chunks of 32,768 profiles
/// on the devices, a partial chunk at either end of the range on the CPU; the state is bitwise
/// run_cpu_range's (docs/gpu.md). Throws BackendError without a device or CUDA build,
/// ScenarioError("--devices") for a device number that does not exist.
RangeState run_cuda_range(const ModelData& md, std::uint64_t samples, std::uint64_t first, std::uint64_t end,
                          const RunOptions& options, const RangeState* resume = nullptr);
/// The names of the CUDA devices, by device number (empty without a device or CUDA build).
std::vector<std::string> cuda_device_names();
/// Benchmark only (bench/cuda_bench.cpp): draws n_uniforms Philox uniforms for each of `samples`
/// profiles on the device and nothing else (the random-number roofline); returns their sum and the
/// kernel time in *seconds. Throws BackendError without a device or CUDA build.
double philox_roofline_cuda(std::uint64_t samples, int n_uniforms, double* seconds);

/// Deterministic reduction tree over leaves (docs/determinism.md): entries are pushed in leaf order
/// with their level (a subtree of 2^level leaves); an entry merges with its left neighbour when the
/// two are equal in level and form an aligned block (the left one starts at a multiple of
/// 2^(level+1) leaves). From leaf 0 this is a binary counter; from any other leaf it keeps exactly the
/// subtrees the run from leaf 0 forms, so replaying the entries of adjacent ranges, in order, into one
/// reducer reproduces the single run's tree bit for bit.
class TreeReducer {
 public:
  explicit TreeReducer(PartialShape shape, MechanismPairs pairs, std::uint64_t first_leaf = 0)
      : shape_(shape), pairs_(pairs), first_leaf_(first_leaf) {}
  /// Pushes a subtree of 2^level leaves starting at next_leaf().
  void push(int level, std::vector<double> partial);
  /// Pushes an entry; throws std::logic_error unless e.first_leaf == next_leaf() and it is aligned.
  void push(TreeEntry e);
  /// The leaf the next entry starts at.
  std::uint64_t next_leaf() const;
  /// Merges what is left, right to left; returns an all-zero partial if nothing was pushed.
  std::vector<double> finish();
  bool empty() const { return stack_.empty(); }
  /// Doubles per partial (PartialShape::size()).
  size_t shape_size() const { return static_cast<size_t>(shape_.size()); }
  const std::vector<TreeEntry>& entries() const { return stack_; }
  /// Moves the entries out (to be pushed, in order, into another reducer).
  std::vector<TreeEntry> take() { return std::move(stack_); }

 private:
  PartialShape shape_;
  MechanismPairs pairs_;
  std::uint64_t first_leaf_;
  std::vector<TreeEntry> stack_;
};

/// Runs the profiles [first, end) of a run of `samples` profiles on the CPU backend (same seed, same
/// streams as the whole run) and returns their state; with `resume` (a state [first, resume.end)),
/// continues after it. first must be a multiple of kLeafProfiles, end one too or equal to samples.
/// options.checkpoint, when set, receives the state of the completed prefix (docs/state_format.md).
RangeState run_cpu_range(const ModelData& md, std::uint64_t samples, std::uint64_t first, std::uint64_t end,
                         const RunOptions& options, const RangeState* resume = nullptr);

/// Checks that `resume` (a saved state) starts the range [first, end) with sketches of
/// n_sketch_doubles and partials of the reducer's shape, and pushes its entries into `total` (which
/// starts at first). Throws ScenarioError("resume", ...) otherwise. Used by both backends' range runs.
void push_resumed(const RangeState& resume, std::uint64_t first, std::uint64_t end, size_t n_sketch_doubles,
                  TreeReducer& total);

/// Joins states of adjacent ranges, given in profile order (each starts where the previous ends),
/// into the state of their union: bitwise the state one run over the union would have. Throws
/// ScenarioError("states", ...) naming the ranges if they do not join.
RangeState join_states(const ModelData& md, std::vector<RangeState> parts);

/// The merged partial of a state covering [0, samples): the canonical tree's root, then the sketches
/// (as RunResult::partial).
std::vector<double> finish_state(const ModelData& md, RangeState state);

/// The checks of a range's bounds (`--profiles FIRST:END`): throws ScenarioError(what, ...) unless
/// first < end <= samples, first is a multiple of kLeafProfiles and end one too or samples.
void check_profile_range(std::uint64_t first, std::uint64_t end, std::uint64_t samples, const std::string& what);

/// Resolves options.backend / sc.backend (Auto: CUDA when a usable device exists). Sets *note to why
/// Auto fell back to the CPU and *device to the GPU's name; throws BackendError for Cuda without one.
Backend resolve_backend(const Scenario& sc, const RunOptions& options, std::string* note, std::string* device);

/// RunResult::device of the CUDA backend for RunOptions::devices: the device's name, or
/// "2 x <name> (devices 0,1)" for several.
std::string cuda_device_label(const std::vector<int>& devices);

/// "<CPU model> (<threads> threads)" as RunResult::device reports the CPU backend.
std::string cpu_device_name(int threads);

/// Completes a result from a merged partial over sc.samples profiles: estimates, host-solved tables,
/// interim estimates (on backend b) and warnings. Leaves the run fields (backend, device, timing) to
/// the caller except samples, seed and confidence.
RunResult finish_run(const Scenario& sc, const ModelData& md, std::vector<double> partial, Backend b,
                     const RunOptions& options);

}  // namespace mcrev
