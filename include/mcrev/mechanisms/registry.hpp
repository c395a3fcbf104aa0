// mcrev: the mechanism registry — static dispatch from MechKind to each family's rule, generated from
// the list in mcrev/mechanisms/kinds.hpp (docs/architecture.md, "Adding a mechanism").
//
//   compute_reports(md, m, v, b)  reports of every agent under mechanism m's prescribed strategies
//   allocate(md, m, profile, b, o) the outcome (mcrev/model/outcome.hpp) of mechanism m on reports b
//
// A family is a struct with
//   static constexpr bool kReportsAreValues;   // true: reports are the values (strategies unused)
//   MCREV_HD static void allocate(const Model&, int m, std::uint64_t profile, const double* b,
//                                 double* work, Outcome& o);   // a function of b and the
//                                 // profile's auxiliary stream alone, so deviations re-run it
//   template <class Keys, class Spec> static void read(Keys&, Spec&);  // its TOML keys (host)
#pragma once

#include "mcrev/mechanisms/combinatorial.hpp"
#include "mcrev/mechanisms/divisible.hpp"
#include "mcrev/mechanisms/kinds.hpp"
#include "mcrev/mechanisms/multi_unit.hpp"
#include "mcrev/mechanisms/myerson.hpp"
#include "mcrev/mechanisms/price_offer.hpp"
#include "mcrev/mechanisms/public_project.hpp"
#include "mcrev/mechanisms/quantized.hpp"
#include "mcrev/mechanisms/single_vcg.hpp"
#include "mcrev/mechanisms/standard_auction.hpp"
#include "mcrev/mechanisms/two_sided.hpp"
#include "mcrev/model/model.hpp"

#include <cstring>

namespace mcrev {

/// True when mechanism kind k takes the values themselves as reports.
MCREV_HD inline bool reports_are_values(MechKind k) {
  switch (k) {
#define MCREV_KIND_CASE(name, market, toml, family) \
  case MechKind::name: return family::kReportsAreValues;
    MCREV_MECHANISMS(MCREV_KIND_CASE)
#undef MCREV_KIND_CASE
  }
  return true;
}

/// The market a kind runs in.
MCREV_HD inline MarketKind market_of(MechKind k) {
  switch (k) {
#define MCREV_KIND_CASE(name, market, toml, family) \
  case MechKind::name: return MarketKind::market;
    MCREV_MECHANISMS(MCREV_KIND_CASE)
#undef MCREV_KIND_CASE
  }
  return MarketKind::SingleItem;
}

/// Word of mechanism m's auxiliary stream (aux_lane(m)) that value slot k's mixed bid reads: words
/// kMixedBidWord + k, far above the few that tie-breaks read from word 0 on, so the two never share
/// a uniform.
inline constexpr std::uint32_t kMixedBidWord = 1u << 20;

/// Mixed strategies (StrategyKind::DiscreteMixed) of group gr: slot k bids with the uniform at word
/// kMixedBidWord + k of (seed, profile, aux_lane(m)); out of line, off the pure strategies' path.
MCREV_HD MCREV_NOINLINE inline void mixed_reports(const Model& md, int m, std::uint64_t profile, const Group& gr,
                                                  const Strategy& st, const double* v, double* b) {
  const int end = gr.first_value + gr.count * gr.demand;
  for (int k = gr.first_value; k < end; ++k) {
    const std::uint32_t w = kMixedBidWord + static_cast<std::uint32_t>(k);
    const double u = u32_to_open01(block_word(philox_block(md.seed, profile, aux_lane(m), w >> 2), static_cast<int>(w & 3u)));
    b[k] = st.mixed_bid(v[k], u, md.arena);
  }
}

/// Reports of every agent under mechanism m's prescribed strategies, one per value slot: bids
/// β_g(v) for the auctions (per marginal value), the values themselves where the family says so.
/// profile: the draws of mixed strategies (mixed_reports); without it (kNoProfile) a mixed strategy
/// plays the median bid of each type's mix (Strategy::bid).
inline constexpr std::uint64_t kNoProfile = ~std::uint64_t{0};
MCREV_HD inline void compute_reports(const Model& md, int m, const double* v, double* b,
                                     std::uint64_t profile = kNoProfile) {
  const Mechanism& mech = md.mechanisms[m];
  const bool values = mech.reports_values != 0;  // reports_are_values(mech.kind), resolved by build_model
  for (int g = 0; g < md.n_groups; ++g) {
    const Group& gr = md.groups[g];
    const Strategy& st = md.strategies[mech.strategies + g];
    const int end = gr.first_value + gr.count * gr.demand;
    if (values || st.kind == StrategyKind::Truthful) {
      if (end > gr.first_value && b != v)  // one block copy (the values themselves)
        std::memcpy(b + gr.first_value, v + gr.first_value, sizeof(double) * static_cast<size_t>(end - gr.first_value));
      continue;
    }
    if (st.kind == StrategyKind::DiscreteMixed && profile != kNoProfile) {
      mixed_reports(md, m, profile, gr, st, v, b);
      continue;
    }
    for (int k = gr.first_value; k < end; ++k) b[k] = st.bid(v[k], gr.dist, md.arena);
  }
}

/// One family's rule, out of line on the device: each family is compiled once, in a function of its
/// own, so ptxas never sees every family inlined into one body (compile time grows faster than the
/// function's size). The host inlines it.
template <class Family>
MCREV_HD MCREV_DEVICE_NOINLINE void family_allocate(const Model& md, int m, std::uint64_t profile, const double* b,
                                                   double* work, Outcome& o) {
  Family::allocate(md, m, profile, b, work, o);
}

/// Mechanism m's outcome on reports b (b: md.scratch_doubles() doubles whose first n_values are the
/// reports; the family may use the work space behind them). o's dense storage must be set
/// (Model::outcome_storage / deviation_storage). Out of line on the host as well: the CPU batch loop
/// (host/backends/cpu_batch.cpp, `flatten`) would otherwise copy every family into each of its
/// instantiations (compile time); its per-market instantiations use allocate_in instead.
MCREV_HD MCREV_NOINLINE inline void allocate(const Model& md, int m, std::uint64_t profile, double* b, Outcome& o) {
  double* work = md.work(b);
  switch (md.mechanisms[m].kind) {
#define MCREV_KIND_CASE(name, market, toml, family) \
  case MechKind::name: return family_allocate<family>(md, m, profile, b, work, o);
    MCREV_MECHANISMS(MCREV_KIND_CASE)
#undef MCREV_KIND_CASE
  }
}

/// allocate restricted to the kinds of one market (kMarket = static_cast<int>(MarketKind)): the
/// CPU backend's batch loop for a single-item scenario dispatches over that market's kinds only, so
/// the other families' rules are not compiled into its hot loop. kMarket = -1: every kind.
template <int kMarket>
MCREV_HD inline void allocate_in(const Model& md, int m, std::uint64_t profile, double* b, Outcome& o) {
  if constexpr (kMarket < 0) {
    allocate(md, m, profile, b, o);
  } else {
    double* work = md.work(b);
    switch (md.mechanisms[m].kind) {
#define MCREV_KIND_CASE(name, market, toml, family)                                   \
  case MechKind::name:                                                                \
    if constexpr (static_cast<int>(MarketKind::market) == kMarket) family::allocate(md, m, profile, b, work, o); \
    return;
      MCREV_MECHANISMS(MCREV_KIND_CASE)
#undef MCREV_KIND_CASE
    }
  }
}

/// Convenience: the outcome in the scratch's main outcome storage.
MCREV_HD inline Outcome allocate(const Model& md, int m, std::uint64_t profile, double* b) {
  Outcome o = md.outcome_storage(b);
  allocate(md, m, profile, b, o);
  return o;
}

/// Runs mechanism m on values v under its prescribed strategies (reports written to b); kMarket as
/// in allocate_in.
template <int kMarket = -1>
MCREV_HD inline Outcome run_mechanism(const Model& md, int m, std::uint64_t profile, const double* v, double* b) {
  compute_reports(md, m, v, b, profile);
  Outcome o = md.outcome_storage(b);
  allocate_in<kMarket>(md, m, profile, b, o);
  return o;
}

}  // namespace mcrev
