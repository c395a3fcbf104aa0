// mcrev: the scenario model shared by the CPU backend and the CUDA kernels, and the per-profile
// evaluation that both run.
//
// A Model is a trivially copyable view (pointers + sizes) onto data owned by the host (ModelData in
// mcrev/engine.hpp) or copied to the device; kernels take it by value.
#pragma once

#include "mcrev/core/config.hpp"
#include "mcrev/distributions/correlation.hpp"
#include "mcrev/distributions/distribution.hpp"
#include "mcrev/incentives/incentive_spec.hpp"
#include "mcrev/mechanisms/quantized.hpp"
#include "mcrev/core/rng.hpp"
#include "mcrev/strategies/strategy.hpp"

#include <cmath>
#include <type_traits>

namespace mcrev {

/// `count` iid bidders with one value distribution; bidders [first, first + count) of every profile.
struct Group {
  int first = 0;
  int count = 1;
  Distribution dist;
};

enum class MechKind : int { SecondPrice, FirstPrice, AllPay, PostedPrice, RandomOffer, Quantized, Myerson };

/// One mechanism's per-profile rules. Reserves apply to bids: a bid below its group's reserve does
/// not take part. For all_pay the reserve is the minimum bid.
struct Mechanism {
  MechKind kind = MechKind::SecondPrice;
  double reserve = 0.0;        ///< anonymous reserve (default 0: the seller never pays to sell)
  int group_reserves = -1;     ///< arena offset of one reserve per group, or -1 for `reserve`
  double price = 0.0;          ///< posted_price / random_offer price
  double seller_value = 0.0;   ///< v0: the seller's value of an unsold item
  int strategies = 0;          ///< index of this mechanism's first group strategy in Model::strategies
  int data = -1;               ///< arena offset of kind-specific data (tables, thresholds), or -1
                               ///< myerson: one VirtualValue header per group (mcrev/virtual_value.hpp)
};

static_assert(std::is_trivially_copyable_v<Mechanism>);

/// Per-mechanism metric block: per-profile quantities whose means the estimator reports.
namespace metric {
inline constexpr int kRevenue = 0;        ///< Σ_i M_i
inline constexpr int kWelfare = 1;        ///< Σ_i v_i Q_i
inline constexpr int kSellerUtility = 2;  ///< Σ_i M_i + v0 (1 − Σ_i Q_i)
inline constexpr int kNoSale = 3;         ///< 1 − Σ_i Q_i
inline constexpr int kRevenueDiff = 4;    ///< revenue − revenue of mechanism 0 (same profile)
inline constexpr int kSurplus = 5;        ///< welfare + v0 (1 − Σ_i Q_i)
inline constexpr int kOptSurplus = 6;     ///< max(v0, max_i v_i)
inline constexpr int kPerGroupBase = 7;   ///< then per group g: win, payment, utility (per bidder)
MCREV_HD MCREV_INLINE constexpr int per_mechanism(int groups) { return kPerGroupBase + 3 * groups; }
MCREV_HD MCREV_INLINE constexpr int win(int g) { return kPerGroupBase + 3 * g; }
MCREV_HD MCREV_INLINE constexpr int payment(int g) { return kPerGroupBase + 3 * g + 1; }
MCREV_HD MCREV_INLINE constexpr int utility(int g) { return kPerGroupBase + 3 * g + 2; }
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
  int n_bidders = 0;
  int n_groups = 0;
  int n_mechanisms = 0;
  const Group* groups = nullptr;          ///< n_groups
  const Mechanism* mechanisms = nullptr;  ///< n_mechanisms
  const Strategy* strategies = nullptr;   ///< n_mechanisms × n_groups
  const double* arena = nullptr;          ///< tables (empirical CDFs, equilibrium bids, reserves)
  const IncentiveSpec* incentives = nullptr;  ///< n_mechanisms entries, or null (mcrev/incentive_spec.hpp)
  int extra_metrics = 0;  ///< incentive metrics appended to every mechanism's block (0: none)
  int n_sketches = 0;     ///< quantile sketches filled next to the moments (mcrev/sketch.hpp)
  Correlation correlation;                ///< joint law of the values (default: independent)

  MCREV_HD int metrics_per_mechanism() const { return metric::per_mechanism(n_groups) + extra_metrics; }
  MCREV_HD int group_of(int bidder) const {
    int g = 0;
    while (g + 1 < n_groups && bidder >= groups[g + 1].first) ++g;
    return g;
  }
  MCREV_HD double reserve_of(const Mechanism& mech, int g) const {
    return mech.group_reserves >= 0 ? arena[mech.group_reserves + g] : mech.reserve;
  }
};

static_assert(std::is_trivially_copyable_v<Model>);

/// Draws the profile's values: bidder i gets the i-th uniform of lane 0 (word i%4 of Philox block
/// i/4), mapped by its group's inverse CDF. Correlated models (mcrev/correlation.hpp) transform these
/// uniforms first.
MCREV_HD inline void draw_values(const Model& md, std::uint64_t profile, double* v) {
  if (md.correlation.kind != CorrelationKind::Independent)
    return draw_correlated_values(md.correlation, md.groups, md.n_groups, md.n_bidders, md.arena, md.seed, profile, v);
  Stream s(md.seed, profile, kValueLane);
  for (int g = 0; g < md.n_groups; ++g) {
    const Group& gr = md.groups[g];
    for (int i = gr.first; i < gr.first + gr.count; ++i) v[i] = gr.dist.quantile(s.uniform(), md.arena);
  }
}

/// Single-item outcome: winner (-1: unsold) and the winner's payment; all-pay payments are the bids.
struct Outcome {
  int winner = -1;
  double price = 0.0;
};

namespace detail {

/// Highest eligible bid with uniform random tie-breaking from the mechanism's auxiliary stream.
/// `second` is the highest bid among the other eligible bidders (kNoBid if none). The first pass is
/// branch-free (max / second max); the winner's index is found in a second, short pass, also
/// branch-free (a data-dependent branch there costs a misprediction per profile).
struct TopBids {
  int winner;     ///< -1 if no eligible bid
  double second;  ///< highest bid among the other eligible bidders (kNoBid if none)
};

MCREV_HD inline TopBids argmax_bid(const Model& md, const Mechanism& mech, int m, std::uint64_t profile,
                                   const double* b) {
  double best = kNoBid, second = kNoBid;
  for (int g = 0; g < md.n_groups; ++g) {
    const double r = md.reserve_of(mech, g);
    const Group& gr = md.groups[g];
    for (int i = gr.first; i < gr.first + gr.count; ++i) {
      const double x = b[i] >= r ? b[i] : kNoBid;  // ineligible bids drop out
      const double lo = x < best ? x : best;
      second = lo > second ? lo : second;
      best = x > best ? x : best;
    }
  }
  if (!(best > kNoBid)) return {-1, second};
  int arg = -1, ties = 0;
  for (int g = 0; g < md.n_groups; ++g) {
    const double r = md.reserve_of(mech, g);
    const Group& gr = md.groups[g];
    for (int i = gr.first; i < gr.first + gr.count; ++i) {
      const bool top = (b[i] == best) & (b[i] >= r);  // &, not &&: no data-dependent branch
      arg = top ? i : arg;  // the winner when ties == 1; ties are drawn below
      ties += top;
    }
  }
  if (ties > 1) {
    Stream aux(md.seed, profile, aux_lane(m));
    int j = aux.below(ties);
    for (int g = 0; g < md.n_groups && j >= 0; ++g) {
      const double r = md.reserve_of(mech, g);
      const Group& gr = md.groups[g];
      for (int i = gr.first; i < gr.first + gr.count; ++i) {
        if (b[i] == best && b[i] >= r && j-- == 0) {
          arg = i;
          break;
        }
      }
    }
  }
  return {arg, second};
}

}  // namespace detail

/// Myerson's optimal auction on reports b (mcrev/myerson.hpp).
MCREV_HD inline Outcome myerson_allocate(const Model& md, int m, std::uint64_t profile, const double* b);

/// Reports of every bidder under mechanism m's prescribed strategies: bids β_g(v_i) for auctions,
/// the values themselves for posted_price / random_offer (a buyer accepts iff its report >= price)
/// and quantized (the cell is computed from the report in allocate, mcrev/quantized.hpp).
MCREV_HD inline void compute_reports(const Model& md, int m, const double* v, double* b) {
  const Mechanism& mech = md.mechanisms[m];
  for (int g = 0; g < md.n_groups; ++g) {
    const Group& gr = md.groups[g];
    const Strategy& st = md.strategies[mech.strategies + g];
    if (mech.kind == MechKind::PostedPrice || mech.kind == MechKind::RandomOffer || mech.kind == MechKind::Quantized ||
        st.kind == StrategyKind::Truthful) {
      for (int i = gr.first; i < gr.first + gr.count; ++i) b[i] = v[i];
      continue;
    }
    for (int i = gr.first; i < gr.first + gr.count; ++i) b[i] = st.bid(v[i], gr.dist, md.arena);
  }
}

/// Mechanism m's allocation and the winner's payment, a function of the reports b alone (and of the
/// profile's auxiliary stream for tie-breaks), so a deviation is evaluated by changing one report:
///  second_price: highest eligible bid wins, pays max(own group's reserve, highest other eligible bid);
///  first_price: highest eligible bid wins, pays its bid;
///  all_pay: highest eligible bid wins, every eligible bidder pays its bid (see bidder_payment);
///  posted_price: a uniformly random buyer among those reporting >= price buys at price (the first
///    such buyer in a uniformly random arrival order);
///  random_offer: one uniformly random buyer is offered price; buys iff its report >= price;
///  quantized: the optimal mechanism for the reported threshold cells (mcrev/quantized.hpp);
///  myerson: highest ironed virtual value >= v0 wins, pays its (expected) threshold (mcrev/myerson.hpp).
MCREV_HD inline Outcome allocate(const Model& md, int m, std::uint64_t profile, const double* b) {
  const Mechanism& mech = md.mechanisms[m];
  Outcome o;
  switch (mech.kind) {
    case MechKind::SecondPrice:
    case MechKind::FirstPrice:
    case MechKind::AllPay: {
      const detail::TopBids top = detail::argmax_bid(md, mech, m, profile, b);
      const double second = top.second;
      o.winner = top.winner;
      if (o.winner >= 0) {
        if (mech.kind == MechKind::SecondPrice) {
          const double r = md.reserve_of(mech, md.group_of(o.winner));
          o.price = second > r ? second : r;
        } else {
          o.price = b[o.winner];
        }
      }
      break;
    }
    case MechKind::PostedPrice: {
      int eligible = 0;
      for (int i = 0; i < md.n_bidders; ++i) eligible += b[i] >= mech.price;
      if (eligible > 0) {
        int j = eligible > 1 ? Stream(md.seed, profile, aux_lane(m)).below(eligible) : 0;
        for (int i = 0; i < md.n_bidders; ++i)
          if (b[i] >= mech.price && j-- == 0) {
            o.winner = i;
            break;
          }
        o.price = mech.price;
      }
      break;
    }
    case MechKind::RandomOffer: {
      const int i = md.n_bidders > 1 ? Stream(md.seed, profile, aux_lane(m)).below(md.n_bidders) : 0;
      if (b[i] >= mech.price) {
        o.winner = i;
        o.price = mech.price;
      }
      break;
    }
    case MechKind::Quantized: {
      const QuantizedSale sale = quantized_allocate(md, m, profile, b);
      o.winner = sale.winner;
      o.price = sale.price;
      break;
    }
    case MechKind::Myerson: return myerson_allocate(md, m, profile, b);
  }
  return o;
}

/// Runs mechanism m on values v under its prescribed strategies (reports written to b).
MCREV_HD inline Outcome run_mechanism(const Model& md, int m, std::uint64_t profile, const double* v, double* b) {
  compute_reports(md, m, v, b);
  return allocate(md, m, profile, b);
}

/// Payment of bidder i in outcome o (all-pay: its bid if eligible; otherwise the winner's price).
MCREV_HD inline double bidder_payment(const Model& md, int m, const Outcome& o, const double* b, int i) {
  const Mechanism& mech = md.mechanisms[m];
  if (mech.kind == MechKind::AllPay) {
    const double r = md.reserve_of(mech, md.group_of(i));
    return (b[i] > kNoBid && !(b[i] < r)) ? b[i] : 0.0;
  }
  return i == o.winner ? o.price : 0.0;
}

/// True when bidders other than the winner may pay (revenue is then a sum over all bidders).
MCREV_HD MCREV_INLINE bool losers_pay(MechKind k) { return k == MechKind::AllPay; }

/// Revenue Σ_i M_i of an outcome.
MCREV_HD inline double outcome_revenue(const Model& md, int m, const Outcome& o, const double* b) {
  if (!losers_pay(md.mechanisms[m].kind)) return o.winner >= 0 ? o.price : 0.0;
  double total = 0.0;
  for (int i = 0; i < md.n_bidders; ++i) total += bidder_payment(md, m, o, b, i);
  return total;
}

/// Writes mechanism m's metric block (metric:: layout) for one profile.
MCREV_HD inline void write_metrics(const Model& md, int m, const Outcome& o, const double* v, const double* b,
                                   double baseline_revenue, double v_max, double* out) {
  const Mechanism& mech = md.mechanisms[m];
  const bool sold = o.winner >= 0;
  const double revenue = outcome_revenue(md, m, o, b);
  const double welfare = sold ? v[o.winner] : 0.0;
  const double kept = sold ? 0.0 : mech.seller_value;
  out[metric::kRevenue] = revenue;
  out[metric::kWelfare] = welfare;
  out[metric::kSellerUtility] = revenue + kept;
  out[metric::kNoSale] = sold ? 0.0 : 1.0;
  out[metric::kRevenueDiff] = revenue - baseline_revenue;
  out[metric::kSurplus] = welfare + kept;
  out[metric::kOptSurplus] = v_max > mech.seller_value ? v_max : mech.seller_value;
  for (int g = 0; g < md.n_groups; ++g) {
    out[metric::win(g)] = 0.0;
    out[metric::payment(g)] = 0.0;
    out[metric::utility(g)] = 0.0;
  }
  if (losers_pay(mech.kind)) {
    for (int g = 0; g < md.n_groups; ++g) {
      const Group& gr = md.groups[g];
      double paid = 0.0;
      for (int i = gr.first; i < gr.first + gr.count; ++i) paid += bidder_payment(md, m, o, b, i);
      out[metric::payment(g)] = paid / gr.count;
      out[metric::utility(g)] = -paid / gr.count;
    }
  }
  if (sold) {
    const int g = md.group_of(o.winner);
    const double inv = 1.0 / md.groups[g].count;
    out[metric::win(g)] = inv;
    if (losers_pay(mech.kind)) {
      out[metric::utility(g)] += v[o.winner] * inv;
    } else {
      out[metric::payment(g)] = o.price * inv;
      out[metric::utility(g)] = (v[o.winner] - o.price) * inv;
    }
  }
}

/// Incentive metric block of mechanism m (defined in mcrev/expost.hpp, included at the end).
MCREV_HD inline void write_incentive_metrics(const Model& md, int m, std::uint64_t profile, const double* v, double* b,
                                            const Outcome& o, double* out);

/// Evaluates mechanisms [m_begin, m_end) on one profile whose values v are drawn; b is bid scratch;
/// writes (m_end − m_begin) metric blocks to out. Mechanism 0 is also run when m_begin > 0, for the
/// revenue differences.
MCREV_HD inline void evaluate_values(const Model& md, std::uint64_t profile, int m_begin, int m_end, const double* v,
                                     double* b, double* out) {
  double v_max = v[0];
  for (int i = 1; i < md.n_bidders; ++i) v_max = v[i] > v_max ? v[i] : v_max;
  double baseline = 0.0;
  if (m_begin > 0) baseline = outcome_revenue(md, 0, run_mechanism(md, 0, profile, v, b), b);
  const int block = md.metrics_per_mechanism();
  for (int m = m_begin; m < m_end; ++m) {
    const Outcome o = run_mechanism(md, m, profile, v, b);
    if (m == 0) baseline = outcome_revenue(md, 0, o, b);
    write_metrics(md, m, o, v, b, baseline, v_max, out + (m - m_begin) * block);
    if (md.extra_metrics > 0)
      write_incentive_metrics(md, m, profile, v, b, o, out + (m - m_begin) * block + metric::per_mechanism(md.n_groups));
  }
}

/// Draws profile's values into v and evaluates mechanisms [m_begin, m_end) (see evaluate_values).
MCREV_HD inline void evaluate_profile(const Model& md, std::uint64_t profile, int m_begin, int m_end, double* v,
                                      double* b, double* out) {
  draw_values(md, profile, v);
  evaluate_values(md, profile, m_begin, m_end, v, b, out);
}

}  // namespace mcrev

#include "mcrev/incentives/expost.hpp"
#include "mcrev/mechanisms/myerson.hpp"
