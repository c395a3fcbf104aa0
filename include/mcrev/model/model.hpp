// mcrev: the scenario model shared by the CPU backend and the CUDA kernels: the market, the agent
// groups, the mechanisms' parameters, and the draw of one profile's values (docs/architecture.md).
//
// A Model is a trivially copyable view (pointers + sizes) onto data owned by the host (ModelData in
// mcrev/engine.hpp) or copied to the device; kernels take it by value. The rules that run on it are
// in mcrev/mechanisms/ (one header per family) and the per-profile pipeline in mcrev/pipeline/.
#pragma once

#include "mcrev/core/config.hpp"
#include "mcrev/core/rng.hpp"
#include "mcrev/core/sobol.hpp"
#include "mcrev/distributions/correlation.hpp"
#include "mcrev/distributions/distribution.hpp"
#include "mcrev/model/incentive_spec.hpp"
#include "mcrev/model/outcome.hpp"
#include "mcrev/model/variance_reduction.hpp"
#include "mcrev/model/values.hpp"
#include "mcrev/strategies/strategy.hpp"

#include <cmath>
#include <type_traits>

namespace mcrev {

/// The environment a scenario's mechanisms run in (`[market] kind = ...`).
///  single_item: one indivisible item; allocations are 0/1 (or a probability), one value per agent.
///  units:       `units` identical units; an agent of demand d has d marginal values (sorted iid
///               draws, decreasing) and receives a whole number of units.
///  double_auction: unit buyers (role 0, value = what a unit is worth) and unit sellers (role 1,
///               value = the cost of the unit each owns); a trading buyer gets x = +1, a trading
///               seller x = −1 (holding_value = −cost), so Σ value_i(x_i) is the gains from trade
///               (docs/two_sided.md).
///  public_project: n agents (values of any sign) and a project of cost `cost`; when it is built
///               every agent gets x = 1 and the outcome's cost is `cost` (docs/two_sided.md).
///  divisible:   `supply` S > 0 of one divisible good; agents report utility functions (Group::utility)
///               and receive quantities x_i >= 0, Σ x_i <= S, x_i <= `cap` (mcrev/mechanisms/divisible.hpp).
///  combinatorial: `items` distinct items (<= kMaxItems); single-minded agents value one bundle
///               (Group::bundle); x_i = 1 when agent i receives its bundle (mcrev/mechanisms/combinatorial.hpp).
enum class MarketKind : int { SingleItem, Units, Divisible, Combinatorial, DoubleAuction, PublicProject };

/// Most items of a combinatorial market (winner determination is a DP over 2^items item sets).
inline constexpr int kMaxItems = 12;
/// Most identities one agent of a divisible market may split into (incentives.sybil.aliases;
/// mcrev/mechanisms/divisible.hpp).
inline constexpr int kMaxIdentities = 8;
/// Most agents of a combinatorial market.
inline constexpr int kMaxCombinatorialBidders = 32;

struct Market {
  MarketKind kind = MarketKind::SingleItem;
  int units = 1;  ///< units: number of identical units for sale (>= 1); single_item: 1
  double supply = 1.0;    ///< divisible: S, the quantity for sale (> 0)
  double cap = HUGE_VAL;  ///< divisible: most any one identity may receive (> 0; +inf: no cap)
  int items = 0;          ///< combinatorial: number of items (1..kMaxItems)
  double cost = 0.0;      ///< public_project: the project's cost C (finite, any sign); else 0
};

/// Role of a group's agents in a double auction (Group::role).
enum class Role : int { Buyer = 0, Seller = 1 };

/// Utility family of a divisible-market group (Group::utility; THEORY.md "Divisible good"):
///  Steps:     m = demand marginal values mv_0 >= ... >= mv_{m−1} (sorted iid draws), each for `size`
///             units: u(x) = Σ_k mv_k · clamp(x − k·size, 0, size).
///  Linear:    u(x) = v · min(x, size) (size = the demand d).
///  Quadratic: u(x) = v·x − x²/(2·size) (size = the slope s; demand at price p: s·(v − p)^+).
enum class Utility : int { Steps = 0, Linear = 1, Quadratic = 2 };

/// `count` iid agents with one value distribution; agents [first, first + count) of every profile.
/// Agent i = first + j holds `demand` values at v[first_value + j·demand, + demand): its marginal
/// values for a first, second, ... unit, in decreasing order (demand 1: its value).
struct Group {
  int first = 0;
  int count = 1;
  Distribution dist;
  int demand = 1;       ///< values (marginal values) per agent, 1 <= demand <= kMaxDemand
  int first_value = 0;  ///< index of the group's first value in a profile's value array
  int utility = 0;      ///< divisible: Utility (Steps with size 1 is the units market's valuation)
  double size = 1.0;    ///< divisible: step width (steps), demand d (linear) or slope s (quadratic)
  int bundle = 0;       ///< combinatorial: the item set the agents want (bit k = item k)
  int role = 0;         ///< double_auction: Role::Buyer (0) or Role::Seller (1); 0 elsewhere
  double risk = 1.0;    ///< single_item: CRRA coefficient ρ in (0, 1] (risk_utility); 1: risk neutral
};

/// A bidder's utility of its net gain w = value_i(x_i) − t_i under constant relative risk aversion
/// ρ in (0, 1] (`risk = { kind = "crra", rho = ρ }`): w^ρ for w >= 0 and −(−w)^ρ for a loss (the odd
/// extension, e.g. an all-pay loser's −b^ρ); ρ = 1 returns w itself, bit for bit (docs/single_item.md).
MCREV_HD MCREV_INLINE double risk_utility(double rho, double w) {
  if (rho == 1.0) return w;
  return w < 0.0 ? -pow(-w, rho) : pow(w, rho);
}

/// Registered mechanism kinds (the list is mcrev/mechanisms/kinds.hpp); the model only stores them.
enum class MechKind : int;

/// One mechanism's parameters as the per-profile rules read them (kind-specific use documented by
/// each family header in mcrev/mechanisms/). Reserves apply to bids: a bid below its group's reserve
/// does not take part. For all_pay the reserve is the minimum bid.
struct Mechanism {
  MechKind kind{};
  double reserve = 0.0;        ///< anonymous reserve (default 0: the seller never pays to sell)
  int group_reserves = -1;     ///< arena offset of one reserve per group, or -1 for `reserve`
  double price = 0.0;          ///< posted_price / random_offer price
  double weight = 0.0;         ///< a kind's continuous parameter (k_double_auction: k in [0, 1])
  double seller_value = 0.0;   ///< v0: the seller's value of an unsold item (per unit)
  int rule = 0;                ///< a kind's discrete option (uniform_price: its price rule)
  int reports_values = 0;      ///< 1: reports are the values (the family's kReportsAreValues; set by build_model)
  int strategies = 0;          ///< index of this mechanism's first group strategy in Model::strategies
  int data = -1;               ///< arena offset of kind-specific data (tables, thresholds), or -1
                               ///< myerson: one VirtualValue header per group (mcrev/virtual_value.hpp)
};

static_assert(std::is_trivially_copyable_v<Mechanism>);

/// Per-mechanism metric block: per-profile quantities whose means the estimator reports. All are
/// derived from the generic Outcome (mcrev/model/outcome.hpp) in mcrev/pipeline/evaluate.hpp.
namespace metric {
inline constexpr int kRevenue = 0;        ///< Σ_i t_i (transfers to the mechanism: its budget surplus)
inline constexpr int kWelfare = 1;        ///< Σ_i value_i(x_i) (agents' values of what they hold)
inline constexpr int kSellerUtility = 2;  ///< revenue + v0 · unsold
inline constexpr int kNoSale = 3;         ///< unsold = supply − Σ_i x_i (single item: 1{no sale})
inline constexpr int kRevenueDiff = 4;    ///< revenue − revenue of mechanism 0 (same profile)
inline constexpr int kSurplus = 5;        ///< welfare + v0 · unsold
inline constexpr int kOptSurplus = 6;     ///< first-best surplus (single item: max(v0, max_i v_i))
inline constexpr int kPerGroupBase = 7;   ///< then per group g: allocation, payment, utility (per agent)
MCREV_HD MCREV_INLINE constexpr int per_mechanism(int groups) { return kPerGroupBase + 3 * groups; }
MCREV_HD MCREV_INLINE constexpr int win(int g) { return kPerGroupBase + 3 * g; }
MCREV_HD MCREV_INLINE constexpr int payment(int g) { return kPerGroupBase + 3 * g + 1; }
MCREV_HD MCREV_INLINE constexpr int utility(int g) { return kPerGroupBase + 3 * g + 2; }
/// Markets other than single_item append the budget block after the per-group metrics:
inline constexpr int kBudget = 0;   ///< Σ_i t_i − cost (the mechanism's budget surplus; < 0: deficit)
inline constexpr int kDeficit = 1;  ///< 1{budget < 0}
inline constexpr int kActive = 2;   ///< 1{some agent's allocation is non-zero} (a sale, a trade, a build)
/// then per group g: 1{u_i < 0} averaged over the group's agents (ex-post IR violation)
MCREV_HD MCREV_INLINE constexpr int ir_violation(int g) { return 3 + g; }
MCREV_HD MCREV_INLINE constexpr int budget_block(int groups) { return 3 + groups; }
/// Metrics of the outcome block (before any incentive block) in a market.
MCREV_HD MCREV_INLINE constexpr int outcome_metrics(int groups, bool single_item) {
  return per_mechanism(groups) + (single_item ? 0 : budget_block(groups));
}
/// Market statistic appended after the budget block in some markets (one metric, Outcome::market_stat):
///  divisible: the clearing price λ (the supply constraint's multiplier); combinatorial: 1{the
///  payments lie outside the core with respect to the values}. Its output name: market_stat_name.
MCREV_HD MCREV_INLINE constexpr int market_metrics(MarketKind k) {
  return k == MarketKind::Divisible || k == MarketKind::Combinatorial ? 1 : 0;
}
MCREV_HD MCREV_INLINE constexpr int outcome_metrics(int groups, MarketKind k) {
  return outcome_metrics(groups, k == MarketKind::SingleItem) + market_metrics(k);
}
}  // namespace metric

/// Pairs whose co-moment the estimator tracks: mechanism m's (surplus, optimal surplus).
struct MechanismPairs {
  int block;
  MCREV_HD void operator()(int p, int* i, int* j) const {
    *i = p * block + metric::kSurplus;
    *j = p * block + metric::kOptSurplus;
  }
};

struct Model {
  std::uint64_t seed = 0;
  int n_bidders = 0;  ///< agents per profile
  int n_values = 0;   ///< values per profile: Σ_g count_g · demand_g (= n_bidders with unit demand)
  int n_groups = 0;
  int n_mechanisms = 0;
  Market market;
  const Group* groups = nullptr;          ///< n_groups
  const Mechanism* mechanisms = nullptr;  ///< n_mechanisms
  const Strategy* strategies = nullptr;   ///< n_mechanisms × n_groups
  const double* arena = nullptr;          ///< tables (empirical CDFs, equilibrium bids, reserves)
  const IncentiveSpec* incentives = nullptr;  ///< n_mechanisms entries, or null (mcrev/model/incentive_spec.hpp)
  int extra_metrics = 0;  ///< incentive metrics appended to every mechanism's block (0: none)
  int n_sketches = 0;     ///< quantile sketches filled next to the moments (mcrev/sketch.hpp)
  int risk_averse = 0;    ///< 1 when some group has Group::risk != 1 (utilities through risk_utility)
  Correlation correlation;                ///< joint law of the values (default: independent)
  VarianceReduction vr;                   ///< variance_reduction (mcrev/model/variance_reduction.hpp)
  ValuesModel values;  ///< `[values]`: the draws are signals, values linear in them (mcrev/model/values.hpp)

  /// Metrics of a mechanism's outcome block (metric:: layout), then its incentive block.
  MCREV_HD int outcome_metrics() const {
    return metric::outcome_metrics(n_groups, market.kind);
  }
  /// The outcome block, the incentive block, then the variance-reduction block (vr.block_metrics()).
  MCREV_HD int metrics_per_mechanism() const { return outcome_metrics() + extra_metrics + vr.block_metrics(); }
  MCREV_HD int group_of(int agent) const {
    int g = 0;
    while (g + 1 < n_groups && agent >= groups[g + 1].first) ++g;
    return g;
  }
  MCREV_HD double reserve_of(const Mechanism& mech, int g) const {
    return mech.group_reserves >= 0 ? arena[mech.group_reserves + g] : mech.reserve;
  }
  /// Index of agent i's first value (and report) in a profile's value (report) array.
  MCREV_HD int value_index(int i) const {
    if (n_values == n_bidders) return i;
    const Group& gr = groups[group_of(i)];
    return gr.first_value + (i - gr.first) * gr.demand;
  }
  /// Units (or items) for sale: what Σ_i x_i is measured against. double_auction: 0 (units change
  /// hands, Σ_i x_i = 0, so no_sale is 0; trade_prob is the activity metric); public_project: 1
  /// (write_metrics counts the project as one item: no_sale = 1 − built).
  MCREV_HD double supply() const {
    switch (market.kind) {
      case MarketKind::Units: return market.units;
      case MarketKind::Divisible: return market.supply;
      case MarketKind::Combinatorial: return market.items;
      case MarketKind::DoubleAuction: return 0.0;
      default: return 1.0;
    }
  }

  /// Per-profile scratch, in doubles: reports (n_values), the outcome's allocation and transfer
  /// (n_bidders each), a second outcome for deviations (2 n_bidders) and ranking work space
  /// (2 n_values + 2), then with `[values]` the profile's values (n_values; values_storage).
  /// Every caller of the pipeline provides this much (mcrev/pipeline/).
  /// The combinatorial market adds 2^items doubles to the work space (winner determination's table);
  /// the divisible market's work space is at least 3 (n_bidders + kMaxIdentities) doubles (three
  /// per-agent arrays of the clearing, mcrev/mechanisms/divisible.hpp). The CUDA kernels give each
  /// thread this much of a device workspace (ThreadWorkspace, mcrev/pipeline/kernel_body.hpp).
  MCREV_HD int scratch_doubles() const {
    int work = 2 * n_values + 2;
    if (market.kind == MarketKind::Combinatorial) work += 1 << market.items;
    if (market.kind == MarketKind::Divisible && work < 3 * (n_bidders + kMaxIdentities))
      work = 3 * (n_bidders + kMaxIdentities);
    return n_values + 4 * n_bidders + work + (values.kind != ValuesKind::Private ? n_values : 0);
  }
  /// `[values]`: the profile's values (n_values doubles, from its signals) behind the work space.
  MCREV_HD double* values_storage(double* scratch) const { return scratch + scratch_doubles() - n_values; }
  MCREV_HD Outcome outcome_storage(double* scratch) const {
    Outcome o;
    o.alloc = scratch + n_values;
    o.transfer = o.alloc + n_bidders;
    return o;
  }
  MCREV_HD Outcome deviation_storage(double* scratch) const {
    Outcome o;
    o.alloc = scratch + n_values + 2 * n_bidders;
    o.transfer = o.alloc + n_bidders;
    return o;
  }
  MCREV_HD double* work(double* scratch) const { return scratch + n_values + 4 * n_bidders; }
};

static_assert(std::is_trivially_copyable_v<Model>);

/// Sorts x[0..n) in decreasing order (insertion sort: n is an agent's demand, at most kMaxDemand).
MCREV_HD inline void sort_decreasing(double* x, int n) {
  for (int a = 1; a < n; ++a) {
    const double t = x[a];
    int p = a;
    while (p > 0 && x[p - 1] < t) {
      x[p] = x[p - 1];
      --p;
    }
    x[p] = t;
  }
}

/// Draws the profile's values: value slot k gets the k-th uniform of lane 0 (word k%4 of Philox
/// block k/4), mapped by its group's inverse CDF; slots run over groups, agents, then an agent's
/// demand. An agent's marginal values are then sorted in decreasing order. With unit demand slot k
/// is agent k. Correlated models (mcrev/correlation.hpp; unit demand only) transform these uniforms.
/// draw_values of a randomized quasi-Monte Carlo run (variance_reduction = "rqmc"): value slot k gets
/// coordinate k of scrambled Sobol point `profile` of this replicate (mcrev/core/sobol.hpp) instead of
/// the k-th uniform of lane 0; the rest as draw_values. Independent values only (host/vr/ checks).
MCREV_HD MCREV_DEVICE_NOINLINE void draw_values_rqmc(const Model& md, std::uint64_t profile, double* v) {
  const double* directions = md.arena + md.vr.sobol_directions;
  const double* seeds = md.arena + md.vr.sobol_seeds;
  const std::uint32_t index = static_cast<std::uint32_t>(profile);
  for (int g = 0; g < md.n_groups; ++g) {
    const Group& gr = md.groups[g];
    const int end = gr.first_value + gr.count * gr.demand;
    for (int k = gr.first_value; k < end; ++k)
      v[k] = gr.dist.quantile(scrambled_sobol_uniform(directions, seeds, k, index), md.arena);
    if (gr.demand > 1)
      for (int k = gr.first_value; k < end; k += gr.demand) sort_decreasing(v + k, gr.demand);
  }
}

MCREV_HD inline void draw_values(const Model& md, std::uint64_t profile, double* v) {
  if (md.vr.method == static_cast<int>(VrMethod::Rqmc)) return draw_values_rqmc(md, profile, v);
  if (md.correlation.kind != CorrelationKind::Independent)
    return draw_correlated_values(md.correlation, md.groups, md.n_groups, md.n_bidders, md.arena, md.seed, profile, v);
  Stream s(md.seed, profile, kValueLane);
  for (int g = 0; g < md.n_groups; ++g) {
    const Group& gr = md.groups[g];
    const int end = gr.first_value + gr.count * gr.demand;
    for (int k = gr.first_value; k < end; ++k) v[k] = gr.dist.quantile(s.uniform(), md.arena);
    if (gr.demand > 1)
      for (int k = gr.first_value; k < end; k += gr.demand) sort_decreasing(v + k, gr.demand);
  }
}

/// An agent's value of holding x units given its marginal values mv[0..demand) (decreasing):
/// Σ_{k < ⌊x⌋} mv_k + (x − ⌊x⌋) mv_⌊x⌋ for 0 <= x <= demand (a probability or a lottery share is
/// valued linearly); with demand 1 it is mv_0 · x, also for x < 0 (a seller giving up its unit).
MCREV_HD MCREV_INLINE double holding_value(const double* mv, int demand, double x) {
  if (demand == 1) return mv[0] * x;
  double total = 0.0;
  int k = 0;
  for (; k < demand && x >= k + 1; ++k) total += mv[k];
  if (k < demand && x > k) total += (x - k) * mv[k];
  return total;
}

/// Value of a divisible-market utility (Utility) at quantity x >= 0, with the values mv (m of them for
/// steps, mv[0] = v otherwise) scaled by vf and the size parameter `size` (see Utility). Steps of
/// width 1 add exactly what holding_value adds (same terms, same order).
MCREV_HD MCREV_INLINE double utility_value(int utility, const double* mv, int m, double size, double vf, double x) {
  if (utility == static_cast<int>(Utility::Linear)) return vf * mv[0] * (x < size ? x : size);
  if (utility == static_cast<int>(Utility::Quadratic)) return vf * mv[0] * x - x * x / (2.0 * size);
  double total = 0.0;
  for (int k = 0; k < m; ++k) {
    const double rest = x - k * size;
    if (!(rest > 0.0)) break;
    total += (rest < size ? rest : size) * (vf * mv[k]);
  }
  return total;
}

/// Value to an agent of group gr with values mv of holding x: the market's valuation. Units and
/// single item: holding_value; divisible: the group's utility; combinatorial: v · x (x = 1: the bundle).
MCREV_HD MCREV_INLINE double agent_value(const Model& md, const Group& gr, const double* mv, double x) {
  if (md.market.kind == MarketKind::Divisible) return utility_value(gr.utility, mv, gr.demand, gr.size, 1.0, x);
  return holding_value(mv, gr.demand, x);
}

}  // namespace mcrev
