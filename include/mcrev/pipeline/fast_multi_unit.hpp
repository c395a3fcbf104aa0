// mcrev: the multi-unit fast path (issue 12) — k identical units (`[market] kind = "units"`) sold by
// vcg, uniform_price or pay_as_bid to truthful bidders with sorted marginal values, without the
// generic pipeline's report copy, eligible-bid and owner arrays, selection sort, Outcome object and
// dispatch. The per-profile code is templated on the number type T: T = double is one profile (the
// tests' reference), T = a GCC vector of W doubles is W profiles side by side (the CPU backend,
// host/backends/cpu_fast_units.cpp, docs/cpu_backend.md "Fast path: multi-unit VCG"). The CUDA
// kernel (fast_units_kernel_body.hpp) evaluates the same rule with the same operations per value
// slot, its arrays in registers, and the contested profiles too.
//
// Eligibility (make_units_plan, decided once per run on the host; anything else takes the generic
// path): market units with 1 <= k <= kMaxUnits, private values ([values] absent), independent draws,
// no variance reduction, no incentive block or quantile sketches, 1 <= groups <= kMaxGroups,
// n_values = Σ_g count_g · demand_g <= kMaxUnitsValues, every mechanism vcg, uniform_price (either
// price rule) or pay_as_bid with finite reserves, every group bidding truthfully (reports = the
// marginal values). Refusals name their reason (*why), reported in run.path by the CPU backend.
//
// The rule (mcrev/mechanisms/multi_unit.hpp, MultiUnit::allocate) as computed here, per profile:
//  * the top list: the K = k + max demand highest eligible bids c_(1) >= ... >= c_(K) (a bid x of
//    group g is eligible when x > kNoBid and x >= r_g), each with its owner, built by inserting every
//    bid into a sorted list (compare-exchanges: no branch, no index); missing entries are kNoBid.
//  * the threshold c_(k) (kNoBid when fewer than k bids are eligible): an eligible bid wins when it is
//    >= c_(k). This is MultiUnit's allocation whenever the units at the threshold are not contested,
//    i.e. unless c_(k+1) == c_(k) > kNoBid; a contested profile (the generic rule draws the winners
//    from the auxiliary stream) is flagged, and the caller evaluates it with evaluate_values.
//  * vcg: t_i = Σ_{j=1..x_i} max(r_i, c^{−i}_(k − x_i + j)) — vcg_payment's walk over the top list,
//    skipping agent i's entries, in the same order (ranks whose entry is missing add r_i, as
//    vcg_payment does past the list); tied entries of different owners have equal values, so which
//    copy is skipped does not change a term.
//    uniform_price: t_i = p · x_i with p = max(r_i, c_(k+1)) (first_rejected) or c_(min(k, E))
//    (last_accepted); pay_as_bid: t_i = Σ of i's winning bids (its first x_i marginal bids).
//  * the metric block: write_metrics / dense_group_metrics / budget_metrics for the units market
//    (per group allocation, payment, utility; the budget block with the IR violations and activity;
//    first_best_units from the top k of all values) with the same IEEE operations in the same order,
//    so a profile's block is bitwise what evaluate_values writes. A skipped addition is done as the
//    addition of (finite term) · 0 = ±0.0, which keeps the bits: the sums start at +0.0, and a sum
//    that starts at +0.0 is never −0.0, so adding ±0.0 leaves it unchanged.
// Determinism: a pure function of the values and the plan; every lane width gives the same bits
// (compile with -ffp-contract=off: no fused multiply-add).
// Checked profile by profile in tests/fast_units_test.cpp. Cost per profile: O(n_values · (k + d))
// compare-exchanges per distinct reserve vector, O(n · (k + d)) per vcg mechanism.
//
// Layout of a block: metric::outcome_metrics(n_groups, MarketKind::Units) doubles (metric:: layout).
#pragma once

#include "mcrev/mechanisms/kinds.hpp"
#include "mcrev/mechanisms/multi_unit.hpp"
#include "mcrev/model/model.hpp"
#include "mcrev/pipeline/fast_single_item.hpp"  // MCREV_FAST_INLINE, kMaxGroups

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>

namespace mcrev::fast {

/// Most units k, values per profile n · d, and top-list length k + max demand of the fast path.
inline constexpr int kMaxUnits = 16;
inline constexpr int kMaxUnitsValues = 64;
inline constexpr int kMaxUnitsTop = kMaxUnits + kMaxDemand;

enum class UnitsRule : int { Vcg = 0, UniformFirstRejected = 1, UniformLastAccepted = 2, PayAsBid = 3 };

/// One mechanism of the plan.
struct UnitsMech {
  UnitsRule rule = UnitsRule::Vcg;
  double seller_value = 0.0;       ///< v0 (per unit)
  double reserve[kMaxGroups] = {};  ///< reserve_of(mech, g)
  bool same_list = false;          ///< its reserves are the previous mechanism's: the top list is reused
};

/// The fast path's view of a units model (trivially copyable).
struct UnitsPlan {
  bool eligible = false;
  std::uint64_t seed = 0;
  int n = 0, n_values = 0, n_groups = 0, units = 0, max_demand = 1;
  int group_first[kMaxGroups + 1] = {};  ///< agents [group_first[g], group_first[g + 1])
  int group_first_value[kMaxGroups] = {};
  int group_demand[kMaxGroups] = {};
  double group_inv[kMaxGroups] = {};    ///< 1.0 / count (dense_group_metrics)
  double group_count[kMaxGroups] = {};  ///< count (the IR violation's divisor)
  int n_mechanisms = 0;
  UnitsMech mech[kMaxMechanisms];
  /// Metrics per mechanism.
  MCREV_HD int block() const { return metric::outcome_metrics(n_groups, MarketKind::Units); }
  /// Top-list length K = k + max demand.
  MCREV_HD int top() const { return units + max_demand; }
};

/// a in every lane of T (double, or a GCC vector of doubles).
template <class T>
MCREV_FAST_INLINE T lanes(double a) {
  if constexpr (std::is_same_v<T, double>) {
    return a;
  } else if constexpr (sizeof(T) == 2 * sizeof(double)) {
    return T{a, a};
  } else if constexpr (sizeof(T) == 4 * sizeof(double)) {
    return T{a, a, a, a};
  } else {
    static_assert(sizeof(T) == 8 * sizeof(double), "2, 4 or 8 lanes");
    return T{a, a, a, a, a, a, a, a};
  }
}

/// Hides x's origin from the optimizer (vectors on the host): GCC would otherwise fold a comparison of
/// a value made by a selection into a selection on combined conditions, which it lowers lane by lane
/// for AVX-512. No instruction; no effect on the value. (GCC only: clang does not fold so, nor take a
/// vector of more than 16 bytes for this constraint.)
template <class T>
MCREV_FAST_INLINE void opaque(T& x) {
#if !defined(__CUDA_ARCH__) && defined(__GNUC__) && !defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
  if constexpr (!std::is_same_v<T, double>) asm("" : "+v"(x));  // an SSE/AVX register
#endif
  (void)x;
}

/// Inserts x (owner o) into the decreasing list top[0..K): compare-exchanges down the list; an
/// entry equal to x stays above it. The owners are T (the CPU's lanes) or int (the CUDA kernel,
/// fast_units_kernel_body.hpp, which passes a compile-time K: the loop unrolls, the list stays in
/// registers). A longer list holds the same first K entries (an entry depends only on those above).
template <class T, class O>
MCREV_HD MCREV_FAST_INLINE void top_insert(T* top, O* owner, int K, T x, O o) {
MCREV_FAST_UNROLL
  for (int s = 0; s < K; ++s) {
    const auto up = x > top[s];
    const T hi = up ? x : top[s], lo = up ? top[s] : x;
    const O oh = up ? o : owner[s], ol = up ? owner[s] : o;
    top[s] = hi;
    owner[s] = oh;
    x = lo;
    o = ol;
  }
}

/// The same without owners (first_best_units' top k of all values).
template <class T>
MCREV_HD MCREV_FAST_INLINE void top_insert(T* top, int K, T x) {
MCREV_FAST_UNROLL
  for (int s = 0; s < K; ++s) {
    const auto up = x > top[s];
    const T hi = up ? x : top[s], lo = up ? top[s] : x;
    top[s] = hi;
    x = lo;
  }
}

/// Sorts each agent's marginal values v[first_value + j · d, + d) in decreasing order, bitwise what
/// sort_decreasing (draw_values) gives for values that are not NaN: an odd-even transposition network
/// whose compare-exchanges swap only strictly smaller entries, hence stable like the insertion sort.
/// kD > 0: every group's demand is kD.
template <int kD = 0, class T>
MCREV_FAST_INLINE void sort_marginal_values(const UnitsPlan& p, T* v) {
  for (int g = 0; g < p.n_groups; ++g) {
    const int d = kD > 0 ? kD : p.group_demand[g];
    if (d == 1) continue;
    for (int i = p.group_first[g]; i < p.group_first[g + 1]; ++i) {
      T* x = v + p.group_first_value[g] + (i - p.group_first[g]) * d;
      for (int round = 0; round < d; ++round)
        for (int a = round & 1; a + 1 < d; a += 2) {
          const auto swap = x[a] < x[a + 1];
          const T hi = swap ? x[a + 1] : x[a], lo = swap ? x[a] : x[a + 1];
          x[a] = hi;
          x[a + 1] = lo;
        }
    }
  }
}

/// Every mechanism of the plan on one profile (T = double) or on W profiles (T = W lanes): values
/// v[0..n_values) (value slot order of draw_values, each agent's marginal values decreasing); writes
/// n_mechanisms blocks of p.block() to out (block m at out + m · p.block()), exactly what
/// evaluate_values writes, in every lane whose *contested is 0. *contested: 1 in a lane where some
/// mechanism's units at the threshold are contested (the generic rule draws; that lane's blocks are
/// unspecified and the caller evaluates the profile with evaluate_values), else 0.
/// kK > 0: p.units == kK, and kD > 0: every group's demand is kD, known at compile time (the loops
/// over the top list and the marginal values unroll, the list stays in registers); 0: read from the
/// plan.
template <int kK = 0, int kD = 0, class T>
MCREV_FAST_INLINE void units_profile(const UnitsPlan& p, const T* v, T* out, T* contested) {
  const T none = lanes<T>(kNoBid), zero = lanes<T>(0.0), one = lanes<T>(1.0), minus = lanes<T>(-1.0);
  const int k = kK > 0 ? kK : p.units, K = k + (kD > 0 ? kD : p.max_demand), B = p.block(), G = p.n_groups;
  const T kd = lanes<T>(static_cast<double>(k)), supply = kd;
  // The top k of all values (first_best_units).
  T best[kMaxUnits];
  for (int s = 0; s < k; ++s) best[s] = none;
  for (int s = 0; s < p.n_values; ++s) top_insert(best, k, v[s]);
  T top[kMaxUnitsTop], own[kMaxUnitsTop];
  T tie = zero, baseline = zero;
  for (int m = 0; m < p.n_mechanisms; ++m) {
    const UnitsMech& mk = p.mech[m];
    T* o = out + m * B;
    if (m == 0 || !mk.same_list) {
      for (int s = 0; s < K; ++s) {
        top[s] = none;
        own[s] = minus;
      }
      for (int g = 0; g < G; ++g) {
        const T r = lanes<T>(mk.reserve[g]);
        const int d = kD > 0 ? kD : p.group_demand[g];
        for (int i = p.group_first[g]; i < p.group_first[g + 1]; ++i) {
          const T who = lanes<T>(static_cast<double>(i));
          const int s0 = p.group_first_value[g] + (i - p.group_first[g]) * d;
          for (int q = 0; q < d; ++q) {
            const T x = v[s0 + q];
            top_insert(top, own, K, x >= r ? x : none, who);  // an ineligible bid is kNoBid: absent
          }
        }
      }
    }
    // Single selections and exact 0/1 arithmetic below, no selection on a combination of conditions:
    // GCC lowers those lane by lane for AVX-512 (docs/cpu_backend.md). A winning bid is eligible and
    // >= c_(k): x >= lim_g = max(r_g, floor) with floor = c_(k), or the lowest double above kNoBid
    // when fewer than k bids are eligible (every eligible bid wins).
    const T thr = top[k - 1], rejected = top[k];  // c_(k), c_(k+1) (kNoBid when missing)
    const T floor = thr == none ? lanes<T>(-DBL_MAX) : thr;
    const T c = rejected == floor ? one : zero;  // contested: c_(k+1) == c_(k) > kNoBid
    tie = c > tie ? c : tie;
    T tau = top[0];  // the lowest winning bid c_(min(k, E)) (last_accepted)
    for (int s = 1; s < k; ++s) tau = top[s] == none ? tau : top[s];
    T revenue = zero, welfare = zero, allocated = zero, active = zero;
    for (int g = 0; g < G; ++g) {
      const T r = lanes<T>(mk.reserve[g]);
      const T lim = r > floor ? r : floor;
      const int d = kD > 0 ? kD : p.group_demand[g];
      T held = zero, paid = zero, util = zero, negative = zero;
      for (int i = p.group_first[g]; i < p.group_first[g + 1]; ++i) {
        const int s0 = p.group_first_value[g] + (i - p.group_first[g]) * d;
        const T* mv = v + s0;
        // x: units won; bid_sum: pay_as_bid's sum of the winning bids; value: holding_value(mv, d, x)
        // (the winning bids are the first x: mv decreases), mv · 0 = ±0 adds nothing to a sum that
        // starts at +0.0
        T x = zero, bid_sum = zero, value = zero;
        for (int q = 0; q < d; ++q) {
          const T w = mv[q] >= lim ? one : zero;
          x += w;  // units += 1.0 per winning bid
          opaque(x);
          const T won = mv[q] * w;
          if (mk.rule == UnitsRule::PayAsBid) bid_sum += won;
          if (d > 1) value += won;
        }
        if (d == 1) value = mv[0] * x;
        T t;
        switch (mk.rule) {
          case UnitsRule::PayAsBid: t = bid_sum; break;
          case UnitsRule::UniformFirstRejected: {
            const T price = rejected > r ? rejected : r;
            const T pay = price * x;
            t = x == zero ? zero : pay;
            break;
          }
          case UnitsRule::UniformLastAccepted: {
            const T pay = tau * x;
            t = x == zero ? zero : pay;
            break;
          }
          default: {  // vcg_payment over the top list
            const T who = lanes<T>(static_cast<double>(i));
            const T from = kd - x + one;  // k − q + 1 (exact: small whole numbers)
            // the e-th entry counts when another agent's and of rank in [from, k] among the others:
            // weight 1, else 0 (term · 0 = ±0: the reserve is finite)
            T rank = zero, total = zero;
            for (int e = 0; e < K; ++e) {
              T other = own[e] == who ? zero : one;
              opaque(other);
              rank += other;
              const T in = rank >= from ? one : zero;
              const T upto = rank > kd ? zero : one;
              const T term = top[e] > r ? top[e] : r;
              total += term * (other * in * upto);
            }
            t = total;
            break;
          }
        }
        revenue += t;
        const T u = value - t;
        welfare += value;
        allocated += x * one;  // x · per_unit (1)
        held += x;
        paid += t;
        util += u;
        negative += u < zero ? one : zero;
        active = x != zero ? one : active;
      }
      const T inv = lanes<T>(p.group_inv[g]);
      o[metric::win(g)] = held * inv;
      o[metric::payment(g)] = paid * inv;
      o[metric::utility(g)] = util * inv;
      o[metric::per_mechanism(G) + metric::ir_violation(g)] = negative / lanes<T>(p.group_count[g]);
    }
    T* bb = o + metric::per_mechanism(G);
    bb[metric::kActive] = active;
    const T budget = revenue - zero;  // the outcome's cost is 0
    bb[metric::kBudget] = budget;
    bb[metric::kDeficit] = budget < zero ? one : zero;
    welfare = welfare - zero;  // welfare −= cost
    const T v0 = lanes<T>(mk.seller_value);
    const T unsold = supply - allocated;
    const T keep = v0 * unsold;
    const T kept = unsold == zero ? zero : keep;
    if (m == 0) baseline = revenue;
    o[metric::kRevenue] = revenue;
    o[metric::kWelfare] = welfare;
    o[metric::kSellerUtility] = revenue + kept;
    o[metric::kNoSale] = unsold;
    o[metric::kRevenueDiff] = revenue - baseline;
    o[metric::kSurplus] = welfare + kept;
    T opt = zero;  // first_best_units: the top k values above v0, then v0
    for (int s = 0; s < k; ++s) opt += best[s] > v0 ? best[s] : v0;
    o[metric::kOptSurplus] = opt;
  }
  *contested = tie;
}

/// The plan for a model, or a plan with eligible = false and *why naming the first reason. Host only.
inline UnitsPlan make_units_plan(const Model& md, std::string* why = nullptr) {
  UnitsPlan p;
  auto no = [&](const std::string& reason) {
    if (why) *why = reason;
    p.eligible = false;
    return p;
  };
  if (md.market.kind != MarketKind::Units) return no("market is not units");
  if (md.values.kind != ValuesKind::Private) return no("[values] (interdependent, common or mineral-rights values)");
  if (md.correlation.kind != CorrelationKind::Independent) return no("correlated values");
  if (md.vr.method != 0) return no("variance reduction");
  if (md.extra_metrics != 0 || md.n_sketches != 0) return no("incentive statistics");
  if (md.market.units < 1 || md.market.units > kMaxUnits) return no("units outside 1.." + std::to_string(kMaxUnits));
  if (md.n_groups < 1 || md.n_groups > kMaxGroups) return no("more than " + std::to_string(kMaxGroups) + " bidder groups");
  if (md.n_values < 1 || md.n_values > kMaxUnitsValues)
    return no("n · demand outside 1.." + std::to_string(kMaxUnitsValues));
  if (md.n_mechanisms < 1 || md.n_mechanisms > kMaxMechanisms) return no("no mechanisms");
  if (md.metrics_per_mechanism() != metric::outcome_metrics(md.n_groups, MarketKind::Units)) return no("extra metrics");
  p.seed = md.seed;
  p.n = md.n_bidders;
  p.n_values = md.n_values;
  p.n_groups = md.n_groups;
  p.units = md.market.units;
  p.n_mechanisms = md.n_mechanisms;
  for (int g = 0; g < md.n_groups; ++g) {
    const Group& gr = md.groups[g];
    if (gr.demand < 1 || gr.demand > kMaxDemand || gr.risk != 1.0) return no("demand outside 1..16 or risk aversion");
    p.group_first[g] = gr.first;
    p.group_first_value[g] = gr.first_value;
    p.group_demand[g] = gr.demand;
    p.group_inv[g] = 1.0 / gr.count;
    p.group_count[g] = gr.count;
    p.max_demand = gr.demand > p.max_demand ? gr.demand : p.max_demand;
  }
  p.group_first[md.n_groups] = md.n_bidders;
  for (int m = 0; m < md.n_mechanisms; ++m) {
    const Mechanism& mech = md.mechanisms[m];
    UnitsMech& f = p.mech[m];
    f.seller_value = mech.seller_value;
    switch (mech.kind) {
      case MechKind::UnitsVcg: f.rule = UnitsRule::Vcg; break;
      case MechKind::UniformPrice:
        f.rule = mech.rule == static_cast<int>(UniformPriceRule::LastAccepted) ? UnitsRule::UniformLastAccepted
                                                                             : UnitsRule::UniformFirstRejected;
        break;
      case MechKind::PayAsBid: f.rule = UnitsRule::PayAsBid; break;
      default: return no("mechanism " + std::to_string(m) + " is not vcg, uniform_price or pay_as_bid");
    }
    bool same = m > 0;
    for (int g = 0; g < md.n_groups; ++g) {
      f.reserve[g] = md.reserve_of(mech, g);
      if (!std::isfinite(f.reserve[g])) return no("mechanism " + std::to_string(m) + ": a reserve that is not finite");
      same = same && f.reserve[g] == p.mech[m - 1].reserve[g];
      const Strategy& st = md.strategies[mech.strategies + g];
      if (mech.reports_values == 0 && st.kind != StrategyKind::Truthful)
        return no("mechanism " + std::to_string(m) + ": bids other than truthful");
    }
    f.same_list = same;
  }
  p.eligible = true;
  if (why) why->clear();
  return p;
}

}  // namespace mcrev::fast
