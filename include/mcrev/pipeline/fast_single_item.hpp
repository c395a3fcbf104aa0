// mcrev: the single-item fast path (issue 12) — the standard auctions and the posted price on
// independent private values, without the generic pipeline's per-profile arrays, outcome objects and
// dispatch, shared by the CPU backend (vectorized across the profiles of a batch,
// host/backends/cpu_fast.cpp) and the CUDA fast kernel (its building blocks, streamed over the bidders
// with no per-profile arrays: mcrev/pipeline/fast_kernel_body.hpp, kernels/fast_paths.cu).
//
// Eligibility (make_fast_plan, decided once per run on the host; anything else takes the generic path):
//   market single_item, private values ([values] absent), independent draws (no [correlation]), no
//   variance reduction, no incentive block or quantile sketches, risk-neutral unit-demand bidders,
//   1 <= groups <= kMaxGroups, 2 <= n <= kMaxBidders (CPU; the CUDA kernel: one group, n <=
//   kMaxDeviceBidders, uniform, exponential or power values), and every mechanism one of
//     second_price (reserve_mode = "eager"), first_price, all_pay — each group bidding truthful,
//       shade or the closed-form uniform equilibrium (StrategyKind::UniformFirstPrice/UniformAllPay);
//     posted_price.
//
// Bits: every metric is computed with the IEEE operations of the generic path in the same order
// (argmax_bid's branch-free passes, write_metrics / dense_group_metrics for the single-item market,
// Strategy::closed_form_bid, PriceOffer's draw from the auxiliary stream), so a profile's metric
// block is bitwise what evaluate_values writes. A tie at the top of an auction (drawn from the
// auxiliary stream by the generic rule) is detected (`ties > 1`): the CPU evaluates that profile with
// the generic path; mechanism_block<..., kTies = true> draws the winner exactly as argmax_bid does
// (the reference of the CUDA kernel's streamed body, which does the same). Checked profile by profile
// in tests/fast_path_test.cpp and tests/fast_kernel_test.cpp.
//
// Layout of a block: metric::per_mechanism(n_groups) doubles (metric:: layout of mcrev/model/model.hpp).
#pragma once

#include "mcrev/mechanisms/kinds.hpp"
#include "mcrev/model/model.hpp"

#include <cstdint>
#include <string>

#ifdef __CUDACC__
#define MCREV_FAST_INLINE __forceinline__
#else
#define MCREV_FAST_INLINE inline __attribute__((always_inline))
#endif
#ifdef __CUDA_ARCH__  // nvcc's device pass (its host pass hands the pragma to g++, which warns)
#define MCREV_FAST_UNROLL _Pragma("unroll")
#else
#define MCREV_FAST_UNROLL
#endif

namespace mcrev::fast {

/// Most bidders of the CPU fast path, of the CUDA fast kernel (values streamed, fast_kernel<N, R>),
/// and most bidder groups.
inline constexpr int kMaxBidders = 32;
inline constexpr int kMaxDeviceBidders = 8;
inline constexpr int kMaxGroups = 4;

enum class Rule : int { SecondPrice = 0, FirstPrice = 1, AllPay = 2, PostedPrice = 3 };

/// One mechanism of the plan: its rule, eager reserves per group (reserve_of), strategies per group.
struct FastMech {
  Rule rule = Rule::SecondPrice;
  std::uint32_t aux_lane = 1;  ///< aux_lane(m): the posted price's draw
  double seller_value = 0.0;   ///< v0
  double price = 0.0;          ///< posted_price's price
  double reserve[kMaxGroups] = {};
  Strategy strategy[kMaxGroups];  ///< auctions: Truthful, Shade, UniformFirstPrice or UniformAllPay
};

/// The bidders of an eligible model (trivially copyable: a kernel parameter).
struct FastModel {
  std::uint64_t seed = 0;
  int n = 0, n_groups = 0;
  int group_first[kMaxGroups + 1] = {};  ///< agents [group_first[g], group_first[g + 1]) form group g
  double group_inv[kMaxGroups] = {};     ///< 1.0 / count, as write_metrics computes it
  Distribution dist[kMaxGroups];
  MCREV_HD int block() const { return metric::per_mechanism(n_groups); }
};

/// The fast path's view of a model: its bidders and mechanisms, and whether it applies.
struct FastPlan : FastModel {
  bool eligible = false;         ///< the CPU fast path applies
  bool device_eligible = false;  ///< the CUDA fast kernel applies too
  int n_mechanisms = 0;
  FastMech mech[kMaxMechanisms];
};

// ---- building blocks (one profile; the CPU runs them in loops over the profiles of a batch) ----

/// β(v) of a closed-form strategy (Strategy::closed_form_bid, the generic Strategy::bid's cases).
MCREV_HD MCREV_FAST_INLINE double bid(const Strategy& st, double v) {
  switch (st.kind) {
    case StrategyKind::Shade: return st.closed_form_bid<StrategyKind::Shade>(v);
    case StrategyKind::UniformFirstPrice: return st.closed_form_bid<StrategyKind::UniformFirstPrice>(v);
    case StrategyKind::UniformAllPay: return st.closed_form_bid<StrategyKind::UniformAllPay>(v);
    default: return v;
  }
}

/// argmax_bid's first pass for one bid b against its group's reserve r (best, second start at kNoBid).
MCREV_HD MCREV_FAST_INLINE void top_step(double b, double r, double& best, double& second) {
  const double x = b >= r ? b : kNoBid;  // ineligible bids drop out
  const double lo = x < best ? x : best;
  second = lo > second ? lo : second;
  best = x > best ? x : best;
}

/// argmax_bid's second pass: the last agent with the highest eligible bid (value vw, group gw) and the
/// number of such agents (ties > 1: the generic rule draws the winner; the caller falls back).
template <class C>
MCREV_HD MCREV_FAST_INLINE void arg_step(double b, double r, double best, double v, C g, double& vw, C& gw, C& ties) {
  const bool top = (b == best) & (b >= r);
  vw = top ? v : vw;
  gw = top ? g : gw;
  ties += top ? C(1) : C(0);
}

/// Stream::below(k) of the uniform u: the generic posted price's draw among k eligible buyers (u · k
/// with k converted to double, truncated). The double form (k a whole number) serves the CPU's
/// vectorized loops: the same product and truncation.
MCREV_HD MCREV_FAST_INLINE int below(double u, int k) {
  const int j = static_cast<int>(u * k);
  return j < k ? j : k - 1;
}
MCREV_HD MCREV_FAST_INLINE double below(double u, double k) {
  const double j = static_cast<double>(static_cast<int>(u * k));
  return j < k ? j : k - 1.0;
}

/// all_pay's dense outcome of one agent (value v, bid b, reserve r; win: it holds the item), summed in
/// agent order as outcome_revenue and dense_group_metrics sum it.
struct DenseSums {
  double revenue = 0.0, welfare = 0.0, allocated = 0.0;
};
struct GroupSums {
  double held = 0.0, paid = 0.0, util = 0.0;
};
MCREV_HD MCREV_FAST_INLINE void all_pay_step(double v, double b, double r, bool win, DenseSums& d, GroupSums& s) {
  const double t = (b > kNoBid && !(b < r)) ? b : 0.0;
  const double x = win ? 1.0 : 0.0;
  d.revenue += t;
  const double value = v * x;  // holding_value(mv, 1, x)
  const double u = value - t;
  d.welfare += value;
  d.allocated += x * 1.0;  // per_unit = 1 outside the combinatorial market
  s.held += x;
  s.paid += t;
  s.util += u;  // risk_utility(1, u) = u
}

/// write_metrics' market-wide metrics of the single-item market, from revenue, welfare and the
/// allocated quantity; vmax = max_i v_i (evaluate_scored's opt_single).
MCREV_HD MCREV_FAST_INLINE void tail_metrics(double v0, double revenue, double welfare, double allocated, double vmax,
                                             double baseline, double* out) {
  const double unsold = 1.0 - allocated;  // Model::supply() = 1
  const double kept = unsold == 0.0 ? 0.0 : v0 * unsold;
  out[metric::kRevenue] = revenue;
  out[metric::kWelfare] = welfare;
  out[metric::kSellerUtility] = revenue + kept;
  out[metric::kNoSale] = unsold;
  out[metric::kRevenueDiff] = revenue - baseline;
  out[metric::kSurplus] = welfare + kept;
  out[metric::kOptSurplus] = vmax > v0 ? vmax : v0;
}

/// write_metrics for a sparse outcome: agent of group gw with value vw buys at `price` (sale), or no
/// sale. G > 0: the plan has G groups; 0: p.n_groups. Returns the revenue.
template <int G = 0>
MCREV_HD MCREV_FAST_INLINE double sparse_metrics(const FastModel& p, double v0, bool sale, int gw, double vw,
                                                 double price, double vmax, double baseline, double* out) {
  for (int g = 0; g < (G > 0 ? G : p.n_groups); ++g) {
    out[metric::win(g)] = 0.0;
    out[metric::payment(g)] = 0.0;
    out[metric::utility(g)] = 0.0;
  }
  const double revenue = sale ? price : 0.0;
  double welfare = 0.0, allocated = 0.0;
  if (sale) {
    const double value = vw * 1.0;  // holding_value(mv, 1, quantity = 1)
    const double inv = p.group_inv[gw];
    welfare = value;
    allocated = 1.0;
    out[metric::win(gw)] = 1.0 * inv;
    out[metric::payment(gw)] = price * inv;
    out[metric::utility(gw)] = (value - price) * inv;
  }
  tail_metrics(v0, revenue, welfare, allocated, vmax, baseline, out);
  return revenue;
}

// ---- one profile (the CUDA fast kernel; the tests' reference) ----

/// Group of agent k (agents of a group are contiguous); G > 0: the plan has G groups (G == 1 folds).
template <int G>
MCREV_HD MCREV_FAST_INLINE int group_of(const FastModel& p, int k) {
  if (G == 1) return 0;
  int g = 0;
  while (g + 1 < p.n_groups && k >= p.group_first[g + 1]) ++g;
  return g;
}

/// Metric block of mechanism `mk` on one profile with values v[0..n) (N > 0: n = N, loops unrolled;
/// N = 0: n = p.n) and groups (G > 0: G groups; G = 0: p.n_groups); vmax = max_i v_i as
/// evaluate_scored computes it; baseline = mechanism 0's revenue on this profile (its own for m = 0).
/// Writes p.block() doubles to out (kWrite = false: nothing, the revenue only) and the revenue to
/// *revenue. A tie at the top of an auction: kTies = true draws the winner exactly as argmax_bid does
/// (the same uniform of the auxiliary stream, the same count); kTies = false returns false (out
/// unspecified) and the caller evaluates the profile with the generic path.
template <int N, int G, bool kWrite = true, bool kTies = false>
MCREV_HD MCREV_FAST_INLINE bool mechanism_block(const FastModel& p, const FastMech& mk, std::uint64_t profile,
                                                const double* v, double vmax, double baseline, double* out,
                                                double* revenue) {
  const int n = N > 0 ? N : p.n;
  const double v0 = mk.seller_value;
  const bool posted = mk.rule == Rule::PostedPrice;
  // Reports: the values (posted_price) or the bids; for the auctions argmax_bid's first pass.
  double bb[N > 0 ? N : kMaxBidders];
  double best = kNoBid, second = kNoBid;
MCREV_FAST_UNROLL
  for (int k = 0; k < (N > 0 ? N : n); ++k) {
    const int g = group_of<G>(p, k);
    bb[k] = posted ? v[k] : bid(mk.strategy[g], v[k]);
    if (!posted) top_step(bb[k], mk.reserve[g], best, second);
  }
  // The candidates: buyers at or above the posted price (PriceOffer), or the highest eligible bids
  // (argmax_bid's second pass). The winner is the j-th candidate in agent order, j drawn from the
  // auxiliary stream among several (Stream::below), as both generic rules draw it.
  int count = 0;
MCREV_FAST_UNROLL
  for (int k = 0; k < (N > 0 ? N : n); ++k) {
    const int g = group_of<G>(p, k);
    count += posted ? bb[k] >= mk.price : (bb[k] == best) & (bb[k] >= mk.reserve[g]);
  }
  const bool sale = posted ? count > 0 : best > kNoBid;
  if (!kTies && !posted && sale && count > 1) return false;
  const int j = count > 1 ? below(Stream(p.seed, profile, mk.aux_lane).uniform(), count) : 0;
  int seen = 0, gw = 0, kw = -1;
  double vw = 0.0, bw = best;
MCREV_FAST_UNROLL
  for (int k = 0; k < (N > 0 ? N : n); ++k) {
    const int g = group_of<G>(p, k);
    const bool in = posted ? bb[k] >= mk.price : (bb[k] == best) & (bb[k] >= mk.reserve[g]);
    const bool take = in & (seen == j);
    kw = take ? k : kw;
    vw = take ? v[k] : vw;
    gw = take ? g : gw;
    bw = take ? bb[k] : bw;
    seen += in;
  }
  if (mk.rule == Rule::AllPay) {
    if (!kWrite) {  // outcome_revenue of the dense outcome
      double total = 0.0;
MCREV_FAST_UNROLL
      for (int k = 0; k < (N > 0 ? N : n); ++k) {
        const double r = mk.reserve[group_of<G>(p, k)];
        total += (bb[k] > kNoBid && !(bb[k] < r)) ? bb[k] : 0.0;
      }
      *revenue = total;
      return true;
    }
    DenseSums d;
    const int groups = G > 0 ? G : p.n_groups;
    for (int g = 0; g < groups; ++g) {
      out[metric::win(g)] = 0.0;
      out[metric::payment(g)] = 0.0;
      out[metric::utility(g)] = 0.0;
    }
    GroupSums s;
    int g_cur = 0;
MCREV_FAST_UNROLL
    for (int k = 0; k < (N > 0 ? N : n); ++k) {
      const int g = group_of<G>(p, k);
      if (G != 1 && g != g_cur) {  // the previous group is complete (groups are contiguous)
        out[metric::win(g_cur)] = s.held * p.group_inv[g_cur];
        out[metric::payment(g_cur)] = s.paid * p.group_inv[g_cur];
        out[metric::utility(g_cur)] = s.util * p.group_inv[g_cur];
        s = GroupSums{};
        g_cur = g;
      }
      all_pay_step(v[k], bb[k], mk.reserve[g], sale && k == kw, d, s);
    }
    out[metric::win(g_cur)] = s.held * p.group_inv[g_cur];
    out[metric::payment(g_cur)] = s.paid * p.group_inv[g_cur];
    out[metric::utility(g_cur)] = s.util * p.group_inv[g_cur];
    tail_metrics(v0, d.revenue, d.welfare, d.allocated, vmax, baseline, out);
    *revenue = d.revenue;
    return true;
  }
  double price = mk.price;  // posted price
  if (mk.rule == Rule::SecondPrice) {
    const double r = mk.reserve[gw];
    price = second > r ? second : r;
  } else if (mk.rule == Rule::FirstPrice) {
    price = bw;  // the winner's bid
  }
  if (!kWrite) {
    *revenue = sale ? price : 0.0;
    return true;
  }
  *revenue = sparse_metrics<G>(p, v0, sale, gw, vw, price, vmax, baseline, out);
  return true;
}

/// vmax as evaluate_scored computes it: v[0], then v[i] > vmax ? v[i] : vmax.
template <int N>
MCREV_HD MCREV_FAST_INLINE double max_value(const FastModel& p, const double* v) {
  double vmax = v[0];
MCREV_FAST_UNROLL
  for (int k = 1; k < (N > 0 ? N : p.n); ++k) vmax = v[k] > vmax ? v[k] : vmax;
  return vmax;
}

/// Mechanisms [m_begin, m_end) of the plan on one profile (values v), as evaluate_values writes them:
/// block (m − m_begin) at out + (m − m_begin) · p.block(); mechanism 0 is run first when m_begin > 0
/// (the revenue differences). Returns false when some mechanism met a tie (use the generic path).
template <int N, int G, bool kTies = false>
MCREV_HD inline bool evaluate_fast(const FastPlan& p, std::uint64_t profile, int m_begin, int m_end, const double* v,
                                   double* out) {
  const double vmax = max_value<N>(p, v);
  double baseline = 0.0, revenue = 0.0;
  if (m_begin > 0 && !mechanism_block<N, G, false, kTies>(p, p.mech[0], profile, v, vmax, 0.0, nullptr, &baseline))
    return false;
  for (int m = m_begin; m < m_end; ++m) {
    double* block = out + (m - m_begin) * p.block();
    if (!mechanism_block<N, G, true, kTies>(p, p.mech[m], profile, v, vmax, baseline, block, &revenue)) return false;
    if (m == 0) {
      baseline = revenue;
      block[metric::kRevenueDiff] = revenue - baseline;  // the generic path's baseline is mechanism 0 itself
    }
  }
  return true;
}

// ---- host: the plan (decided once per run) ----

/// The plan for a model, or a plan with eligible = false and *why naming the first reason. Host only.
inline FastPlan make_fast_plan(const Model& md, std::string* why = nullptr) {
  FastPlan p;
  auto no = [&](const std::string& reason) {
    if (why) *why = reason;
    p.eligible = p.device_eligible = false;
    return p;
  };
  if (md.market.kind != MarketKind::SingleItem) return no("market is not single_item");
  if (md.values.kind != ValuesKind::Private) return no("[values] (interdependent, common or mineral-rights values)");
  if (md.correlation.kind != CorrelationKind::Independent) return no("correlated values");
  if (md.vr.method != 0) return no("variance reduction");
  if (md.extra_metrics != 0 || md.n_sketches != 0) return no("incentive statistics");
  if (md.risk_averse != 0) return no("risk-averse bidders");
  if (md.n_groups < 1 || md.n_groups > kMaxGroups) return no("more than " + std::to_string(kMaxGroups) + " bidder groups");
  if (md.n_bidders < 2 || md.n_bidders > kMaxBidders || md.n_values != md.n_bidders)
    return no("n outside 2.." + std::to_string(kMaxBidders) + " or multi-unit demand");
  if (md.n_mechanisms < 1 || md.n_mechanisms > kMaxMechanisms) return no("no mechanisms");
  if (md.metrics_per_mechanism() != metric::per_mechanism(md.n_groups)) return no("extra metrics");
  p.seed = md.seed;
  p.n = md.n_bidders;
  p.n_groups = md.n_groups;
  p.n_mechanisms = md.n_mechanisms;
  bool closed_form_dists = md.n_groups == 1 && md.n_bidders <= kMaxDeviceBidders;
  for (int g = 0; g < md.n_groups; ++g) {
    const Group& gr = md.groups[g];
    if (gr.demand != 1 || gr.risk != 1.0) return no("multi-unit demand or risk aversion");
    p.group_first[g] = gr.first;
    p.group_inv[g] = 1.0 / gr.count;
    p.dist[g] = gr.dist;
    const DistKind k = gr.dist.kind;
    closed_form_dists = closed_form_dists && (k == DistKind::Uniform || k == DistKind::Exponential || k == DistKind::Power);
  }
  p.group_first[md.n_groups] = md.n_bidders;
  for (int m = 0; m < md.n_mechanisms; ++m) {
    const Mechanism& mech = md.mechanisms[m];
    FastMech& f = p.mech[m];
    f.aux_lane = aux_lane(m);
    f.seller_value = mech.seller_value;
    f.price = mech.price;
    switch (mech.kind) {
      case MechKind::SecondPrice:
        if (mech.rule != 0) return no("second_price with reserve_mode = \"lazy\"");
        f.rule = Rule::SecondPrice;
        break;
      case MechKind::FirstPrice: f.rule = Rule::FirstPrice; break;
      case MechKind::AllPay: f.rule = Rule::AllPay; break;
      case MechKind::PostedPrice: f.rule = Rule::PostedPrice; break;
      default: return no("mechanism " + std::to_string(m) + " is not second_price, first_price, all_pay or posted_price");
    }
    for (int g = 0; g < md.n_groups; ++g) {
      f.reserve[g] = md.reserve_of(mech, g);
      const Strategy& st = md.strategies[mech.strategies + g];
      if (f.rule == Rule::PostedPrice || mech.reports_values != 0) continue;  // reports are the values
      if (st.kind != StrategyKind::Truthful && st.kind != StrategyKind::Shade &&
          st.kind != StrategyKind::UniformFirstPrice && st.kind != StrategyKind::UniformAllPay)
        return no("mechanism " + std::to_string(m) + ": a tabulated or mixed strategy");
      f.strategy[g] = st;
    }
  }
  p.eligible = true;
  p.device_eligible = closed_form_dists;
  if (why) why->clear();
  return p;
}

}  // namespace mcrev::fast
