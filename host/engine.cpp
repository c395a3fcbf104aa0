#include "mcrev/engine.hpp"
#include "mcrev/core/error.hpp"
#include "mcrev/core/special.hpp"
#include "mcrev/core/sketch.hpp"

#include "solvers/asymmetric_all_pay.hpp"
#include "solvers/asymmetric_bne.hpp"
#include "solvers/bne.hpp"
#include "incentives/incentives.hpp"
#include "scenario/correlation_spec.hpp"
#include "scenario/strategy_table.hpp"
#include "solvers/discrete_mixed.hpp"
#include "solvers/distribution_ext.hpp"
#include "solvers/interdependent.hpp"
#include "solvers/myerson.hpp"
#include "solvers/two_sided.hpp"
#include "vr/variance_reduction.hpp"
#include "backends/cpu_fast.hpp"
#include "backends/cpu_fast_units.hpp"
#include "backends/cpu_divisible.hpp"
#include "backends/fast_cuda.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace mcrev {

const char* kind_name(MechKind k) {
  switch (k) {
#define MCREV_KIND_NAME(name, market, toml, family) \
  case MechKind::name: return toml;
    MCREV_MECHANISMS(MCREV_KIND_NAME)
#undef MCREV_KIND_NAME
  }
  return "?";
}

const char* activity_name(MarketKind k) {
  switch (k) {
    case MarketKind::SingleItem: return "sale_prob";
    case MarketKind::Units: return "sale_prob";
    case MarketKind::Divisible: return "sale_prob";
    case MarketKind::Combinatorial: return "sale_prob";
    case MarketKind::DoubleAuction: return "trade_prob";
    case MarketKind::PublicProject: return "build_prob";
  }
  return "activity";
}

const char* market_stat_name(MarketKind k) {
  switch (k) {
    case MarketKind::Divisible: return "clearing_price";
    case MarketKind::Combinatorial: return "outside_core_prob";
    default: return nullptr;
  }
}

const char* market_name(MarketKind k) {
  switch (k) {
    case MarketKind::SingleItem: return "single_item";
    case MarketKind::Units: return "units";
    case MarketKind::Divisible: return "divisible";
    case MarketKind::Combinatorial: return "combinatorial";
    case MarketKind::DoubleAuction: return "double_auction";
    case MarketKind::PublicProject: return "public_project";
  }
  return "?";
}

const char* backend_name(Backend b) {
  switch (b) {
    case Backend::Auto: return "auto";
    case Backend::Cpu: return "cpu";
    case Backend::Cuda: return "cuda";
  }
  return "?";
}

Scenario default_scenario() {
  Scenario sc;
  sc.samples = 10000000;
  GroupSpec g;
  g.name = "bidders";
  g.count = 5;
  g.value.dist.kind = DistKind::Uniform;
  g.value.dist.low = 0.0;
  g.value.dist.high = 1.0;
  g.value.describe = "uniform[0, 1]";
  sc.groups.push_back(g);
  auto add = [&](const char* name, MechKind kind, double reserve, StrategySpec::Kind st, double price) {
    MechanismSpec m;
    m.name = name;
    m.kind = kind;
    m.reserve = reserve;
    m.strategy.kind = st;
    m.price = price;
    sc.mechanisms.push_back(m);
  };
  add("second_price", MechKind::SecondPrice, 0.0, StrategySpec::Truthful, 0.0);
  add("second_price_r0.5", MechKind::SecondPrice, 0.5, StrategySpec::Truthful, 0.0);
  add("first_price_bne", MechKind::FirstPrice, 0.0, StrategySpec::Bne, 0.0);
  add("all_pay_bne", MechKind::AllPay, 0.0, StrategySpec::Bne, 0.0);
  add("posted_price_0.5", MechKind::PostedPrice, 0.0, StrategySpec::Truthful, 0.5);
  return sc;
}

namespace {

std::string num_text(double x) {
  std::ostringstream o;
  o << x;
  return o.str();
}

bool same_distribution(const DistributionSpec& a, const DistributionSpec& b) {
  if (a.dist.kind != b.dist.kind || a.dist.low != b.dist.low || a.dist.high != b.dist.high) return false;
  for (int k = 0; k < 4; ++k)
    if (a.dist.p[k] != b.dist.p[k]) return false;
  return a.table_x == b.table_x && a.table_f == b.table_f && same_distribution_spec(a, b);
}

}  // namespace

namespace {

/// k of a k-th price mechanism (third_price: 3, whatever `rule` holds).
int kth_of(const MechanismSpec& ms) { return ms.kind == MechKind::ThirdPrice ? 3 : ms.rule; }

/// [market] kind = "divisible" / "combinatorial": market keys and group keys (docs/divisible.md).
void validate_market_clearing(const Scenario& sc) {
  const MarketKind k = sc.market.kind;
  if (k == MarketKind::Divisible) {
    MCREV_EXPECTS(std::isfinite(sc.market.supply) && sc.market.supply > 0, "market.supply",
                  "must be a finite number > 0");
    MCREV_EXPECTS(sc.market.cap > 0 && !std::isnan(sc.market.cap), "market.cap", "must be > 0 (omit it for no cap)");
    for (size_t g = 0; g < sc.groups.size(); ++g) {
      const std::string p = "bidders[" + std::to_string(g) + "].utility";
      const GroupSpec& gs = sc.groups[g];
      MCREV_EXPECTS(std::isfinite(gs.size) && gs.size > 0, p,
                    "the demand, slope or width must be a finite number > 0");
      MCREV_EXPECTS(gs.utility == Utility::Steps || gs.demand == 1, "bidders[" + std::to_string(g) + "].demand",
                    "applies to step utilities only (use utility = { kind = \"steps\", steps = m })");
    }
    MCREV_EXPECTS(sc.correlation.kind == CorrelationKind::Independent, "correlation",
                  "the divisible market draws independent values");
  } else if (k == MarketKind::Combinatorial) {
    const int I = static_cast<int>(sc.market.items.size());
    MCREV_EXPECTS(I >= 1 && I <= kMaxItems, "market.items",
                  "expected 1 to " + std::to_string(kMaxItems) + " item names, got " + std::to_string(I));
    long n = 0;
    for (size_t g = 0; g < sc.groups.size(); ++g) {
      MCREV_EXPECTS(!sc.groups[g].bundle.empty(), "bidders[" + std::to_string(g) + "].bundle",
                    "is required in a combinatorial market (the items the group's bidders want)");
      n += sc.groups[g].count;
    }
    MCREV_EXPECTS(n <= kMaxCombinatorialBidders, "bidders",
                  std::to_string(n) + " bidders; a combinatorial market supports at most " +
                      std::to_string(kMaxCombinatorialBidders));
  }
}

/// Bundle of group g as an item set (combinatorial market).
int bundle_mask(const Scenario& sc, size_t g) {
  int mask = 0;
  for (const std::string& item : sc.groups[g].bundle) {
    const auto it = std::find(sc.market.items.begin(), sc.market.items.end(), item);
    MCREV_EXPECTS(it != sc.market.items.end(), "bidders[" + std::to_string(g) + "].bundle",
                  "unknown item '" + item + "' (not in market.items)");
    mask |= 1 << static_cast<int>(it - sc.market.items.begin());
  }
  return mask;
}

void validate_market_clearing_mechanism(const Scenario& sc, size_t m) {
  const MechanismSpec& ms = sc.mechanisms[m];
  const std::string path = "mechanisms[" + std::to_string(m) + "]";
  if (sc.market.kind == MarketKind::Combinatorial) {
    MCREV_EXPECTS(ms.seller_value == 0.0, path + ".seller_value", "is not implemented for combinatorial auctions");
    const bool core = ms.kind == MechKind::NearestVcg || ms.kind == MechKind::NearestBid ||
                      ms.kind == MechKind::NearestZero || ms.kind == MechKind::Proxy;
    if (core) {
      int l1 = 0, l2 = 0, gl = 0, n = 0;
      for (size_t g = 0; g < sc.groups.size(); ++g) {
        const int b = bundle_mask(sc, g);
        n += sc.groups[g].count;
        l1 += b == 1 ? sc.groups[g].count : 0;
        l2 += b == 2 ? sc.groups[g].count : 0;
        gl += b == 3 ? sc.groups[g].count : 0;
      }
      MCREV_EXPECTS(sc.market.items.size() == 2 && n == 3 && l1 == 1 && l2 == 1 && gl == 1, path + ".kind",
                    std::string("'") + kind_name(ms.kind) +
                        "' is implemented for the LLG shape only: two items, one bidder wanting each item "
                        "alone and one wanting both");
    }
  }
  if (sc.market.kind == MarketKind::Divisible) {
    MCREV_EXPECTS(!(ms.reserve < 0.0), path + ".reserve",
                  "must be at least 0 (the seller never pays to sell), got " + num_text(ms.reserve));
    MCREV_EXPECTS(ms.seller_value >= 0.0, path + ".seller_value",
                  "must be >= 0 in the divisible market, got " + num_text(ms.seller_value));
  }
  if (ms.incentives.sybil_aliases > 0)
    MCREV_EXPECTS(sc.market.kind == MarketKind::Divisible, path + ".incentives.sybil",
                  "the sybil gain is implemented for [market] kind = \"divisible\" only");
}

}  // namespace

void validate(const Scenario& sc) {
  MCREV_EXPECTS(sc.samples > 0, "samples", "must be at least 1");
  MCREV_EXPECTS(sc.samples <= kMaxSamples, "samples",
                "too large (the largest supported is " + std::to_string(kMaxSamples) + " = 1e17), got " +
                    std::to_string(sc.samples));
  MCREV_EXPECTS(sc.confidence > 0 && sc.confidence < 1, "confidence", "must lie strictly between 0 and 1");
  MCREV_EXPECTS(!sc.groups.empty(), "bidders", "at least one [[bidders]] group is required");
  MCREV_EXPECTS(static_cast<int>(sc.groups.size()) <= kMaxGroups, "bidders",
                "at most " + std::to_string(kMaxGroups) + " groups are supported");
  const bool units = sc.market.kind == MarketKind::Units;
  if (units) MCREV_EXPECTS(sc.market.units >= 1, "market.units", "must be at least 1");
  validate_market_clearing(sc);
  const bool two_sided = sc.market.kind == MarketKind::DoubleAuction;
  if (sc.market.kind == MarketKind::PublicProject)
    MCREV_EXPECTS(std::isfinite(sc.market.cost), "market.cost", "must be a finite number");
  int buyers = 0, sellers = 0;
  long total = 0, values = 0;
  for (size_t g = 0; g < sc.groups.size(); ++g) {
    const std::string path = "bidders[" + std::to_string(g) + "]";
    MCREV_EXPECTS(sc.groups[g].count >= 1, path + ".count", "must be at least 1");
    MCREV_EXPECTS(sc.groups[g].demand >= 1 && sc.groups[g].demand <= kMaxDemand, path + ".demand",
                  "must be between 1 and " + std::to_string(kMaxDemand) + ", got " + std::to_string(sc.groups[g].demand));
    MCREV_EXPECTS(units || sc.groups[g].demand == 1 ||
                      (sc.market.kind == MarketKind::Divisible && sc.groups[g].utility == Utility::Steps),
                  path + ".demand",
                  "applies to [market] kind = \"units\" only (a single item is worth one value)");
    MCREV_EXPECTS(sc.groups[g].demand == 1 || sc.correlation.kind == CorrelationKind::Independent, path + ".demand",
                  "multi-unit demand is not supported with a [correlation] table");
    MCREV_EXPECTS(sc.groups[g].role == 0 || two_sided, path + ".role",
                  "applies to [market] kind = \"double_auction\" only");
    MCREV_EXPECTS(sc.groups[g].risk == 1.0 || sc.market.kind == MarketKind::SingleItem, path + ".risk",
                  "applies to [market] kind = \"single_item\" only");
    MCREV_EXPECTS(sc.groups[g].risk > 0 && sc.groups[g].risk <= 1, path + ".risk.rho", "must lie in (0, 1]");
    (sc.groups[g].role == static_cast<int>(Role::Seller) ? sellers : buyers) += sc.groups[g].count;
    total += sc.groups[g].count;
    values += static_cast<long>(sc.groups[g].count) * sc.groups[g].demand;
  }
  if (two_sided)
    MCREV_EXPECTS(buyers >= 1 && sellers >= 1, "bidders",
                  "a double auction needs at least one group with role = \"buyer\" and one with role = \"seller\"");
  if (sc.market.kind == MarketKind::PublicProject)
    MCREV_EXPECTS(total >= 2, "bidders", "a public project needs at least 2 agents");
  MCREV_EXPECTS(total <= kMaxBidders, "bidders",
                std::to_string(total) + " bidders per profile; at most " + std::to_string(kMaxBidders) +
                    " are supported");
  MCREV_EXPECTS(values <= kMaxBidders, "bidders",
                std::to_string(values) + " values per profile (count x " +
                    (sc.market.kind == MarketKind::Divisible ? "steps" : "demand") + "); at most " +
                    std::to_string(kMaxBidders) + " are supported");
  if (units)
    MCREV_EXPECTS(sc.market.units <= values, "market.units",
                  std::to_string(sc.market.units) + " units but only " + std::to_string(values) +
                      " marginal values (count x demand) in all: at most that many units can be sold");
  MCREV_EXPECTS(!sc.mechanisms.empty(), "mechanisms", "at least one [[mechanisms]] entry is required");
  MCREV_EXPECTS(static_cast<int>(sc.mechanisms.size()) <= kMaxMechanisms, "mechanisms",
                "at most " + std::to_string(kMaxMechanisms) + " mechanisms are supported");
  validate_values(sc);  // [values] (host/solvers/interdependent.hpp)
  for (size_t m = 0; m < sc.mechanisms.size(); ++m) {
    const MechanismSpec& ms = sc.mechanisms[m];
    const std::string path = "mechanisms[" + std::to_string(m) + "]";
    MCREV_EXPECTS(market_of(ms.kind) == sc.market.kind, path + ".kind",
                  std::string("'") + kind_name(ms.kind) + "' runs in [market] kind = \"" + market_name(market_of(ms.kind)) +
                      "\", but the scenario's market is \"" + market_name(sc.market.kind) + "\"");
    if (two_sided && (ms.kind == MechKind::DaDagva || ms.kind == MechKind::SecondBest))
      for (size_t g = 0; g < sc.groups.size(); ++g)
        MCREV_EXPECTS(sc.groups[g].value.dist.kind != DistKind::Discrete && sc.groups[g].value.dist.kind != DistKind::Mixture,
                      path + ".kind", std::string(kind_name(ms.kind)) + " tabulates in the agents' quantiles and needs "
                      "continuous distributions (bidders[" + std::to_string(g) + "] is discrete or a mixture)");
    if (ms.kind == MechKind::SecondBest)
      MCREV_EXPECTS(sc.groups.size() == 2 && sc.groups[0].count == 1 && sc.groups[1].count == 1, path + ".kind",
                    "second_best is the bilateral-trade mechanism: one buyer and one seller (two groups of count 1)");
    if (ms.kind == MechKind::Groves)
      MCREV_EXPECTS(ms.group_params.size() == 1 || ms.group_params.size() == sc.groups.size(), path + ".h",
                    "give one number or one per group (" + std::to_string(sc.groups.size()) + ")");
    for (double h : ms.group_params) MCREV_EXPECTS(std::isfinite(h), path + ".h", "must be finite");
    if (sc.correlation.kind != CorrelationKind::Independent)
      MCREV_EXPECTS(ms.kind != MechKind::DaDagva && ms.kind != MechKind::PpDagva && ms.kind != MechKind::SecondBest,
                    path + ".kind", std::string(kind_name(ms.kind)) + " is derived for independent values; remove the [correlation] table");
    if (ms.strategy.kind == StrategySpec::Bne && ms.kind == MechKind::KDoubleAuction)
      MCREV_EXPECTS(sc.groups.size() == 2 && sc.groups[0].count == 1 && sc.groups[1].count == 1 &&
                        sc.groups[0].value.dist.kind == DistKind::Uniform && sc.groups[1].value.dist.kind == DistKind::Uniform,
                    path + ".strategy",
                    "bne for k_double_auction is the Chatterjee–Samuelson linear equilibrium: one uniform buyer and one "
                    "uniform seller; no equilibrium is implemented for this market (use truthful, shade or table)");
    if (units)
      MCREV_EXPECTS(ms.strategy.kind != StrategySpec::Bne, path + ".strategy",
                    "no equilibrium bid function is implemented for multi-unit auctions; use truthful, shade or table");
    validate_market_clearing_mechanism(sc, m);
    MCREV_EXPECTS(std::isfinite(ms.reserve), path + ".reserve", "must be a finite number");
    MCREV_EXPECTS(std::isfinite(ms.price), path + ".price", "must be a finite number");
    MCREV_EXPECTS(std::isfinite(ms.seller_value), path + ".seller_value", "must be a finite number");
    MCREV_EXPECTS(ms.seller_value == 0.0 || (sc.market.kind != MarketKind::DoubleAuction &&
                                             sc.market.kind != MarketKind::PublicProject),
                  path + ".seller_value",
                  std::string("has no meaning in the ") + market_name(sc.market.kind) +
                      " market (there is no seller's unsold good); remove it");
    MCREV_EXPECTS(ms.group_reserves.empty() || ms.group_reserves.size() == sc.groups.size(), path + ".reserve",
                  "a list of reserves needs one per bidder group (" + std::to_string(sc.groups.size()) + ")");
    for (double r : ms.group_reserves) MCREV_EXPECTS(std::isfinite(r), path + ".reserve", "must be finite");
    // The seller never pays to sell: a negative reserve, minimum bid or price is refused for every
    // mechanism kind (README "Mechanisms"), rather than read one way by one rule and another way by another.
    MCREV_EXPECTS(!(ms.reserve < 0), path + ".reserve",
                  "must be at least 0 (the seller never pays to sell), got " + num_text(ms.reserve));
    for (size_t g = 0; g < ms.group_reserves.size(); ++g)
      MCREV_EXPECTS(!(ms.group_reserves[g] < 0), path + ".reserve[" + std::to_string(g) + "]",
                    "must be at least 0 (the seller never pays to sell), got " + num_text(ms.group_reserves[g]));
    MCREV_EXPECTS(!(ms.price < 0), path + ".price",
                  "must be at least 0 (the seller never pays to sell), got " + num_text(ms.price));
    if (ms.kind == MechKind::Quantized) validate_quantized(sc, static_cast<int>(m));
    if (ms.strategy.kind == StrategySpec::Shade)
      MCREV_EXPECTS(std::isfinite(ms.strategy.factor) && ms.strategy.factor > 0, path + ".factor",
                    "the shading factor must be positive");
    const bool kth = ms.kind == MechKind::ThirdPrice || ms.kind == MechKind::KthPrice;
    if (kth)
      MCREV_EXPECTS(kth_of(ms) >= 2 && kth_of(ms) <= total, path + (ms.kind == MechKind::KthPrice ? ".k" : ".kind"),
                    "the winner pays the k-th highest bid: k = " + std::to_string(kth_of(ms)) +
                        " needs at least k bidders, the scenario has " + std::to_string(total));
    if (ms.strategy.kind == StrategySpec::Bne) {
      MCREV_EXPECTS(ms.kind == MechKind::FirstPrice || ms.kind == MechKind::AllPay || ms.kind == MechKind::SecondPrice ||
                        ms.kind == MechKind::KDoubleAuction || kth,
                    path + ".strategy",
                    "bne applies to first_price, all_pay, second_price, third_price, kth_price and k_double_auction");
      bool risk_averse = false;
      for (const GroupSpec& gs : sc.groups) risk_averse = risk_averse || gs.risk != 1.0;
      if (risk_averse && ms.kind != MechKind::SecondPrice) {
        MCREV_EXPECTS(ms.kind == MechKind::FirstPrice || (kth && kth_of(ms) == 2), path + ".strategy",
                      std::string("strategy = \"bne\" with risk-averse bidders (risk = { kind = \"crra\" }) is "
                                  "implemented for first_price (and the truthful second-price formats) only, not for ") +
                          kind_name(ms.kind));
        for (size_t g = 1; g < sc.groups.size(); ++g)
          MCREV_EXPECTS(sc.groups[g].risk == sc.groups[0].risk && same_distribution(sc.groups[0].value, sc.groups[g].value),
                        path + ".strategy",
                        "strategy = \"bne\" with risk-averse bidders is implemented for symmetric bidders only (the "
                        "same value distribution and the same rho in every group); groups 0 and " + std::to_string(g) +
                            " differ");
        MCREV_EXPECTS(ms.group_reserves.empty(), path + ".reserve", "strategy = \"bne\" needs one anonymous reserve");
      }
      if (kth)
        for (size_t g = 1; g < sc.groups.size(); ++g)
          MCREV_EXPECTS(same_distribution(sc.groups[0].value, sc.groups[g].value), path + ".strategy",
                        std::string("strategy = \"bne\" for ") + kind_name(ms.kind) +
                            " is implemented for symmetric (iid) bidders only; bidder groups 0 and " +
                            std::to_string(g) + " have different value distributions");
      MCREV_EXPECTS(ms.group_reserves.empty() || ms.kind == MechKind::SecondPrice, path + ".reserve",
                    "strategy = \"bne\" needs one anonymous reserve");
      // Asymmetric groups: first_price and all_pay are solved numerically (host/solvers/
      // asymmetric_bne.hpp, asymmetric_all_pay.hpp; the solvers check the rest of their scope),
      // second_price bids truthfully.
      if (ms.kind == MechKind::AllPay) {
        bool symmetric = true;
        for (size_t g = 1; g < sc.groups.size(); ++g)
          symmetric = symmetric && same_distribution(sc.groups[0].value, sc.groups[g].value);
        if (!symmetric) validate_asymmetric_all_pay(sc, m);
      }
    }
    if (ms.strategy.kind == StrategySpec::Table) validate_strategy_table(ms.strategy, sc.groups.size(), path);
    validate_optimal(sc, m);
  }
  validate_incentives(sc);
  validate_correlation(sc);
}

Model ModelData::view() const {
  Model m;
  m.seed = seed;
  m.n_bidders = n_bidders;
  m.n_values = n_values;
  m.market = market;
  m.n_groups = static_cast<int>(groups.size());
  m.n_mechanisms = static_cast<int>(mechanisms.size());
  m.groups = groups.data();
  m.mechanisms = mechanisms.data();
  m.strategies = strategies.data();
  m.arena = arena.data();
  m.incentives = incentives.empty() ? nullptr : incentives.data();
  m.extra_metrics = extra_metrics;
  m.n_sketches = n_sketches;
  m.risk_averse = risk_averse;
  m.correlation = correlation;
  m.vr = vr;
  m.values = values;
  return m;
}

PartialShape ModelData::shape() const {
  PartialShape s;
  s.metrics = static_cast<int>(mechanisms.size()) * view().metrics_per_mechanism();
  s.pairs = static_cast<int>(mechanisms.size());
  return s;
}

ModelData build_model(const Scenario& sc) {
  validate(sc);
  ModelData md;
  md.seed = sc.seed;
  md.market.kind = sc.market.kind;
  md.market.units = sc.market.kind == MarketKind::Units ? sc.market.units : 1;
  md.market.supply = sc.market.supply;
  md.market.cap = sc.market.cap;
  md.market.items = static_cast<int>(sc.market.items.size());
  md.market.cost = sc.market.kind == MarketKind::PublicProject ? sc.market.cost : 0.0;
  md.solved.resize(sc.mechanisms.size());
  int first = 0, first_value = 0;
  for (const GroupSpec& gs : sc.groups) {
    Group g;
    g.first = first;
    g.count = gs.count;
    g.demand = gs.demand;
    g.role = gs.role;
    g.risk = gs.risk;
    md.risk_averse = md.risk_averse || gs.risk != 1.0;
    g.first_value = first_value;
    first_value += gs.count * gs.demand;
    g.utility = static_cast<int>(gs.utility);
    g.size = gs.size;
    if (sc.market.kind == MarketKind::Combinatorial) g.bundle = bundle_mask(sc, md.groups.size());
    g.dist = gs.value.dist;
    if (g.dist.kind == DistKind::Empirical) {
      g.dist.table = static_cast<int>(md.arena.size());
      g.dist.table_n = static_cast<int>(gs.value.table_x.size());
      md.arena.insert(md.arena.end(), gs.value.table_x.begin(), gs.value.table_x.end());
      md.arena.insert(md.arena.end(), gs.value.table_f.begin(), gs.value.table_f.end());
    } else if (g.dist.kind == DistKind::Discrete || g.dist.kind == DistKind::Mixture) {
      g.dist = place_distribution(gs.value, md.arena);
    }
    md.groups.push_back(g);
    first += gs.count;
  }
  md.n_bidders = first;
  md.n_values = first_value;
  md.correlation = place_correlation(sc.correlation, md.arena);
  md.values = values_model(sc);
  const int G = static_cast<int>(md.groups.size());
  md.bid_tables.resize(sc.mechanisms.size());
  for (size_t m = 0; m < sc.mechanisms.size(); ++m) {
    const MechanismSpec ms = resolve_reserve_rule(sc, m, md);  // reserve = "optimal": ψ̄^{-1}(v0)
    Mechanism mech;
    mech.kind = ms.kind;
    mech.reserve = ms.reserve;
    mech.price = ms.price;
    mech.seller_value = ms.seller_value;
    mech.rule = ms.kind == MechKind::ThirdPrice ? kth_of(ms) : ms.rule;
    mech.reports_values = reports_are_values(ms.kind) ? 1 : 0;
    mech.weight = ms.weight;
    mech.strategies = static_cast<int>(md.strategies.size());
    if (!ms.group_reserves.empty()) {
      mech.group_reserves = static_cast<int>(md.arena.size());
      md.arena.insert(md.arena.end(), ms.group_reserves.begin(), ms.group_reserves.end());
    }
    if (ms.kind == MechKind::Quantized) {
      md.quantized.resize(sc.mechanisms.size());
      md.quantized[m] = design_quantized(sc, static_cast<int>(m), md);
      mech.data = write_quantized_arena(*md.quantized[m], md.arena);
    }
    if (ms.kind == MechKind::Myerson) mech.data = place_myerson(md, ms);
    const std::string mpath = "mechanisms[" + std::to_string(m) + "]";
    if (ms.kind == MechKind::SingleVcg) {  // lowest types α_g: the low ends of the supports
      mech.data = static_cast<int>(md.arena.size());
      for (const Group& g : md.groups) md.arena.push_back(g.dist.low);
    }
    if (ms.kind == MechKind::Groves) {
      mech.data = static_cast<int>(md.arena.size());
      for (int g = 0; g < G; ++g) md.arena.push_back(ms.group_params.size() == 1 ? ms.group_params[0] : ms.group_params[g]);
    }
    if (ms.kind == MechKind::DaDagva || ms.kind == MechKind::PpDagva) mech.data = place_dagva(md, md.solved[m]);
    if (ms.kind == MechKind::SecondBest) mech.data = place_second_best(md, md.solved[m], mpath + ".kind");
    md.mechanisms.push_back(mech);
    Strategy st;
    std::vector<Strategy> per_group;  // when groups bid differently (asymmetric equilibrium, tables)
    switch (ms.strategy.kind) {
      case StrategySpec::Truthful: st.kind = StrategyKind::Truthful; break;
      case StrategySpec::Shade:
        st.kind = StrategyKind::Shade;
        st.factor = ms.strategy.factor;
        break;
      case StrategySpec::Naive:  // [values] only (validate_values)
        per_group = interdependent_strategies(sc, m, md.values, md.arena, &md.bid_tables[m]);
        break;
      case StrategySpec::Bne: {
        if (md.values.kind != ValuesKind::Private) {  // the Milgrom–Weber equilibria (interdependent.hpp)
          per_group = interdependent_strategies(sc, m, md.values, md.arena, &md.bid_tables[m]);
          break;
        }
        if (ms.kind == MechKind::SecondPrice) {  // truthful bidding is the dominant-strategy equilibrium
          st.kind = StrategyKind::Truthful;
          break;
        }
        if ((ms.kind == MechKind::ThirdPrice || ms.kind == MechKind::KthPrice) && mech.rule == 2) {
          st.kind = StrategyKind::Truthful;  // k = 2 is second price
          break;
        }
        if (ms.kind == MechKind::ThirdPrice || ms.kind == MechKind::KthPrice) {
          const KthPriceBne sol = kth_price_bne(md.groups[0].dist, md.arena, md.n_bidders, mech.rule, ms.reserve,
                                                mpath + ".strategy");
          st = sol.strategy;
          for (int g = 0; g < G; ++g) md.bid_tables[m].push_back({sc.groups[g].name, sol.method, sol.nodes, sol.max_error});
          break;
        }
        if (ms.kind == MechKind::KDoubleAuction) {
          per_group = chatterjee_samuelson(md, ms.weight, md.solved[m], mpath + ".strategy");
          break;
        }
        bool symmetric = true;
        for (size_t g = 1; g < sc.groups.size(); ++g)
          symmetric = symmetric && same_distribution(sc.groups[0].value, sc.groups[g].value);
        if (!symmetric && ms.kind == MechKind::AllPay) {
          per_group = asymmetric_all_pay_strategies(md, ms.reserve, mpath + ".strategy", &md.bid_tables[m]);
          for (int g = 0; g < G; ++g) md.bid_tables[m][g].group = sc.groups[g].name;
          break;
        }
        if (!symmetric && ms.kind == MechKind::FirstPrice) {
          per_group = asymmetric_first_price_strategies(md, ms.reserve, "mechanisms[" + std::to_string(m) + "].strategy",
                                                        &md.bid_tables[m]);
          for (int g = 0; g < G; ++g) md.bid_tables[m][g].group = sc.groups[g].name;
          break;
        }
        const Distribution& d = md.groups[0].dist;
        const double rho = md.groups[0].risk;  // symmetric bidders (validate): one rho
        if (symmetric && d.kind == DistKind::Discrete && ms.kind == MechKind::FirstPrice) {  // mixed (discrete_mixed.hpp)
          st = discrete_first_price_mixed(d, md.arena, md.n_bidders, ms.reserve);
          for (int g = 0; g < G; ++g) md.bid_tables[m].push_back({sc.groups[g].name, "mixed discrete", st.table_n, 0.0});
          break;
        }
        if (symmetric && d.kind == DistKind::Uniform && rho == 1.0) {  // closed forms (StrategyKind::UniformFirstPrice/AllPay)
          st = uniform_bne(d, md.arena.data(), md.n_bidders, ms.reserve, ms.kind == MechKind::AllPay);
          for (int g = 0; g < G; ++g) md.bid_tables[m].push_back({sc.groups[g].name, "closed_form", 0, 0.0});
          break;
        }
        const BneTable t = ms.kind == MechKind::FirstPrice
                               ? (rho == 1.0 ? first_price_bne(d, md.arena.data(), md.n_bidders, ms.reserve)
                                             : first_price_bne_crra(d, md.arena.data(), md.n_bidders, ms.reserve, rho))
                               : all_pay_bne(d, md.arena.data(), md.n_bidders, ms.reserve);
        const int bids_at = static_cast<int>(md.arena.size());
        md.arena.insert(md.arena.end(), t.bids.begin(), t.bids.end());
        const int slopes_at = static_cast<int>(md.arena.size());
        md.arena.insert(md.arena.end(), t.slopes.begin(), t.slopes.end());
        st = t.strategy(bids_at, slopes_at);
        for (int g = 0; g < G; ++g)
          md.bid_tables[m].push_back({sc.groups[g].name, rho == 1.0 || ms.kind != MechKind::FirstPrice ? "symmetric" : "symmetric crra",
                                      t.points, t.error});
        break;
      }
      case StrategySpec::Table: per_group = table_strategies(ms.strategy, G, md.arena); break;
    }
    for (int g = 0; g < G; ++g) md.strategies.push_back(per_group.empty() ? st : per_group[g]);
  }
  build_incentives(sc, md);
  if (md.arena.empty()) md.arena.push_back(0.0);  // a valid pointer for every backend
  return md;
}

namespace {

bool aligned(std::uint64_t leaf, int level) { return level < 63 && (leaf & ((std::uint64_t(2) << level) - 1)) == 0; }

}  // namespace

std::uint64_t TreeReducer::next_leaf() const {
  if (stack_.empty()) return first_leaf_;
  return stack_.back().first_leaf + (std::uint64_t(1) << stack_.back().level);
}

void TreeReducer::push(int level, std::vector<double> partial) { push(TreeEntry{next_leaf(), level, std::move(partial)}); }

void TreeReducer::push(TreeEntry e) {
  if (e.level < 0 || e.level > 62 || e.first_leaf != next_leaf() || (e.first_leaf & ((std::uint64_t(1) << e.level) - 1)) != 0)
    throw std::logic_error("TreeReducer: entry at leaf " + std::to_string(e.first_leaf) + " level " +
                           std::to_string(e.level) + " does not continue at leaf " + std::to_string(next_leaf()));
  // Merge with the left neighbour while the two form an aligned block of the canonical tree.
  while (!stack_.empty() && stack_.back().level == e.level && aligned(stack_.back().first_leaf, e.level)) {
    TreeEntry& left = stack_.back();
    partial_merge(left.partial.data(), e.partial.data(), shape_, pairs_, left.partial.data());
    e.partial = std::move(left.partial);
    e.first_leaf = left.first_leaf;
    ++e.level;
    stack_.pop_back();
  }
  stack_.push_back(std::move(e));
}

std::vector<double> TreeReducer::finish() {
  if (stack_.empty()) return std::vector<double>(shape_.size(), 0.0);
  std::vector<double> acc = std::move(stack_.back().partial);
  for (int i = static_cast<int>(stack_.size()) - 2; i >= 0; --i) {
    std::vector<double> out(shape_.size());
    partial_merge(stack_[i].partial.data(), acc.data(), shape_, pairs_, out.data());
    acc = std::move(out);
  }
  stack_.clear();
  return acc;
}

void push_resumed(const RangeState& resume, std::uint64_t first, std::uint64_t end, size_t n_sketch_doubles,
                  TreeReducer& total) {
  MCREV_EXPECTS(resume.first == first && resume.end >= first && resume.end <= end &&
                    (resume.end % kLeafProfiles == 0 || resume.end == end),
                "resume", "the saved state covers [" + std::to_string(resume.first) + ", " + std::to_string(resume.end) +
                              "), which does not start this run's range [" + std::to_string(first) + ", " +
                              std::to_string(end) + ")");
  MCREV_EXPECTS(resume.sketches.size() == n_sketch_doubles, "resume", "the saved state has sketches of another size");
  for (const TreeEntry& e : resume.entries) {
    MCREV_EXPECTS(e.partial.size() == total.shape_size(), "resume", "the saved state has partials of another size");
    total.push(e);
  }
}

void check_profile_range(std::uint64_t first, std::uint64_t end, std::uint64_t samples, const std::string& what) {
  const std::string range = "[" + std::to_string(first) + ", " + std::to_string(end) + ")";
  MCREV_EXPECTS(first < end, what, "the range " + range + " is empty (FIRST must be below END)");
  MCREV_EXPECTS(end <= samples, what,
                "the range " + range + " ends after the run's " + std::to_string(samples) + " profiles");
  MCREV_EXPECTS(first % kLeafProfiles == 0, what,
                "FIRST = " + std::to_string(first) + " must be a multiple of " + std::to_string(kLeafProfiles) +
                    " (a leaf of the reduction tree)");
  MCREV_EXPECTS(end % kLeafProfiles == 0 || end == samples, what,
                "END = " + std::to_string(end) + " must be a multiple of " + std::to_string(kLeafProfiles) +
                    " or the sample count " + std::to_string(samples));
}

RangeState join_states(const ModelData& md, std::vector<RangeState> parts) {
  MCREV_EXPECTS(!parts.empty(), "states", "nothing to join");
  const PartialShape shape = md.shape();
  const Model model = md.view();
  TreeReducer reducer(shape, MechanismPairs{model.metrics_per_mechanism()}, parts[0].first / kLeafProfiles);
  RangeState out;
  out.first = parts[0].first;
  out.end = parts[0].first;
  out.sketches = std::move(parts[0].sketches);
  for (size_t i = 0; i < parts.size(); ++i) {
    RangeState& p = parts[i];
    MCREV_EXPECTS(p.first == out.end, "states",
                  "the range [" + std::to_string(p.first) + ", " + std::to_string(p.end) +
                      ") does not start where the previous one ends (" + std::to_string(out.end) + ")");
    MCREV_EXPECTS(out.end % kLeafProfiles == 0, "states",
                  "a range ends at " + std::to_string(out.end) + ", inside a leaf, and another follows it");
    for (TreeEntry& e : p.entries) {
      MCREV_EXPECTS(e.partial.size() == static_cast<size_t>(shape.size()), "states", "a partial of the wrong size");
      reducer.push(std::move(e));
    }
    if (i > 0) {
      MCREV_EXPECTS(p.sketches.size() == out.sketches.size(), "states", "sketches of the wrong size");
      for (size_t k = 0; k < out.sketches.size(); k += sketch::kDoubles)
        sketch::merge(out.sketches.data() + k, p.sketches.data() + k);
    }
    out.end = p.end;
  }
  out.entries = reducer.take();
  return out;
}

std::vector<double> finish_state(const ModelData& md, RangeState state) {
  const Model model = md.view();
  TreeReducer reducer(md.shape(), MechanismPairs{model.metrics_per_mechanism()});
  MCREV_EXPECTS(state.first == 0, "states", "the state starts at profile " + std::to_string(state.first) + ", not 0");
  for (TreeEntry& e : state.entries) reducer.push(std::move(e));
  std::vector<double> out = reducer.finish();
  out.insert(out.end(), state.sketches.begin(), state.sketches.end());
  return out;
}

namespace {

Estimate estimate(double n, double mean, double m2, double z) {
  return normal_interval(mean, n > 1 ? std::sqrt(m2 / (n - 1) / n) : 0.0, z);
}

std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      const auto c = line.find(':');
      if (c != std::string::npos) return line.substr(c + 2);
    }
  return "CPU";
}

}  // namespace

std::vector<MechanismResult> summarize(const Scenario& sc, const std::vector<double>& partial, double confidence) {
  const int G = static_cast<int>(sc.groups.size());
  const bool single = sc.market.kind == MarketKind::SingleItem;
  const int B = metric::outcome_metrics(G, sc.market.kind) + incentive_extra_metrics(sc) + vr_block_metrics(sc);
  const int M = static_cast<int>(sc.mechanisms.size());
  const int K = M * B;
  const double n = partial[0];
  const double* mean = partial.data() + 1;
  const double* m2 = mean + K;
  const double* cross = m2 + K;
  const double z = normal_quantile(0.5 + 0.5 * confidence);
  std::vector<MechanismResult> out;
  for (int m = 0; m < M; ++m) {
    const int o = m * B;
    auto est = [&](int k) { return estimate(n, mean[o + k], m2[o + k], z); };
    MechanismResult r;
    r.name = sc.mechanisms[m].name;
    r.kind = kind_name(sc.mechanisms[m].kind);
    r.revenue = est(metric::kRevenue);
    r.welfare = est(metric::kWelfare);
    r.seller_utility = est(metric::kSellerUtility);
    r.no_sale = est(metric::kNoSale);
    r.revenue_diff = est(metric::kRevenueDiff);
    // Efficiency E[S]/E[O] with the delta-method variance of a ratio of means.
    const double ms = mean[o + metric::kSurplus], mo = mean[o + metric::kOptSurplus];
    Estimate eff;
    if (mo != 0.0 && n > 1) {
      const double ratio = ms / mo;
      const double vs = m2[o + metric::kSurplus] / (n - 1), vo = m2[o + metric::kOptSurplus] / (n - 1);
      const double cso = cross[m] / (n - 1);
      const double var = (vs - 2 * ratio * cso + ratio * ratio * vo) / (mo * mo);
      eff.mean = ratio;
      eff.stderr_ = std::sqrt(std::max(var, 0.0) / n);
      eff.ci_low = ratio - z * eff.stderr_;
      eff.ci_high = ratio + z * eff.stderr_;
    } else {
      eff.mean = eff.ci_low = eff.ci_high = std::nan("");
    }
    r.efficiency = eff;
    for (int g = 0; g < G; ++g) {
      GroupResult gr;
      gr.name = sc.groups[g].name;
      gr.win = est(metric::win(g));
      gr.payment = est(metric::payment(g));
      gr.utility = est(metric::utility(g));
      if (!single) gr.ir_violation = est(metric::per_mechanism(G) + metric::ir_violation(g));
      r.bidders.push_back(gr);
    }
    if (!single) {
      const int x = metric::per_mechanism(G);
      r.has_budget = true;
      r.budget_surplus = est(x + metric::kBudget);
      r.deficit_prob = est(x + metric::kDeficit);
      r.activity = est(x + metric::kActive);
      if (metric::market_metrics(sc.market.kind) > 0) {
        r.has_market_stat = true;
        r.market_stat = est(x + metric::budget_block(G));
      }
    }
    if (sc.values.kind != ValuesKind::Private) add_winners_curse(sc, z, r);
    out.push_back(r);
  }
  summarize_incentives(sc, partial, confidence, out);
  return out;
}

Backend resolve_backend(const Scenario& sc, const RunOptions& options, std::string* note, std::string* device) {
  Backend b = options.backend != Backend::Auto ? options.backend : sc.backend;
  std::string gpu, why;
  if (b == Backend::Auto) {
    if (cuda_available(&gpu, &why)) {
      b = Backend::Cuda;
    } else {
      b = Backend::Cpu;
      *note = "no usable CUDA device (" + why + "); running on the CPU backend";
    }
  } else if (b == Backend::Cuda && !cuda_available(&gpu, &why)) {
    throw BackendError("--backend cuda: no usable CUDA device (" + why + ")");
  }
  *device = gpu;
  return b;
}

std::string cuda_device_label(const std::vector<int>& devices) {
  const std::vector<std::string> names = cuda_device_names();
  if (names.empty()) return "";
  if (devices.empty()) return names[0];
  if (devices.size() == 1) return devices[0] >= 0 && devices[0] < static_cast<int>(names.size()) ? names[devices[0]] : "";
  std::string list, label;
  bool same = true;
  for (int d : devices) {
    const std::string name = d >= 0 && d < static_cast<int>(names.size()) ? names[d] : "device " + std::to_string(d);
    same = same && name == (d >= 0 && d < static_cast<int>(names.size()) ? names[devices[0]] : name);
    list += (list.empty() ? "" : ",") + std::to_string(d);
    label += (label.empty() ? "" : "; ") + name + " (" + std::to_string(d) + ")";
  }
  return same ? std::to_string(devices.size()) + " x " + names[devices[0]] + " (devices " + list + ")" : label;
}

std::string cpu_device_name(int threads) {
  const unsigned hc = std::thread::hardware_concurrency();
  const int t = threads > 0 ? threads : static_cast<int>(hc ? hc : 1);
  return cpu_name() + " (" + std::to_string(t) + (t == 1 ? " thread)" : " threads)");
}

RunResult finish_run(const Scenario& sc, const ModelData& md, std::vector<double> partial, Backend b,
                     const RunOptions& options) {
  RunResult res;
  res.partial = std::move(partial);
  res.samples = sc.samples;
  res.seed = sc.seed;
  res.backend = backend_name(b);
  res.path = cpu::evaluation_path(md.view(), b == Backend::Cuda, options.fast_path);  // docs/cpu_backend.md, "Fast path"
  cpu::units_evaluation_path(md.view(), b == Backend::Cuda, options.fast_path, &res.path);  // units market
  if (b == Backend::Cuda && res.path.rfind("fast path", 0) == 0) {  // the units kernel's shared memory, per device
    const std::string shortfall = units_shared_memory_shortfall(md, options.devices);
    if (!shortfall.empty()) res.path = "generic path (" + shortfall + ")";
  }
  cpu::divisible_evaluation_path(md.view(), b == Backend::Cuda, &res.path);  // divisible market
  res.confidence = sc.confidence;
  res.mechanisms = summarize(sc, res.partial, sc.confidence);
  for (size_t m = 0; m < md.quantized.size(); ++m) res.mechanisms[m].quantized = md.quantized[m];
  for (size_t m = 0; m < md.bid_tables.size(); ++m) res.mechanisms[m].bid_tables = md.bid_tables[m];
  for (size_t m = 0; m < md.solved.size(); ++m) res.mechanisms[m].solved = md.solved[m];
  run_interim_estimates(sc, md, b, options, res.mechanisms);
  res.warnings = scenario_warnings(sc);
  return res;
}

RunResult run(const Scenario& sc, const RunOptions& options) {
  if (sc.variance_reduction != VrMethod::None) return run_variance_reduced(sc, options);  // docs/variance_reduction.md
  const ModelData md = build_model(sc);
  std::string note, gpu;
  const Backend b = resolve_backend(sc, options, &note, &gpu);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<double> partial = b == Backend::Cuda ? run_cuda(md, sc.samples, options) : run_cpu(md, sc.samples, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  RunResult res = finish_run(sc, md, std::move(partial), b, options);
  res.note = note;
  res.device = b == Backend::Cuda ? cuda_device_label(options.devices) : cpu_device_name(options.threads);
  res.seconds = seconds;
  res.profiles_per_second = seconds > 0 ? sc.samples / seconds : 0.0;
  return res;
}

}  // namespace mcrev
