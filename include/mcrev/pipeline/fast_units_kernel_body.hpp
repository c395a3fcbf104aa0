// mcrev: the CUDA multi-unit fast kernel's per-thread body (kernels/fast_units.cu, units_kernel<kV, kT>;
// docs/gpu.md, "Fast path: multi-unit markets"), emulated on the CPU in tests/fast_units_kernel_test.cpp.
//
// Scenarios: those make_units_plan (fast_multi_unit.hpp) declares eligible — `[market] kind = "units"`,
// vcg, uniform_price (either price rule) and pay_as_bid, truthful bids, at most kMaxGroups groups —
// whose values are uniform, exponential, power or discrete (closed-form or table inverse CDFs, inlined:
// no call), with n_values = Σ_g count_g · demand_g <= kMaxDeviceUnitsValues and the top-list length
// k + max demand <= kMaxDeviceUnitsTop (make_units_kernel_plan; anything else: the generic kernel).
//
// Per thread, per profile (one mechanism m per pass, mechanism 0 evaluated too when m > 0 for its
// revenue): the values are drawn into a register array v[kV] (Stream(seed, profile, 0)'s words, the
// key schedule precomputed, through the group's inverse CDF, as draw_values), each agent's marginal
// values sorted by units_profile's odd-even transposition network (the same compare-exchanges), the
// first-best list (top k of all values) and the mechanism's top list (top_insert: k + max demand
// eligible bids and their owners) built in registers; then one walk over the value slots forms each
// agent's units, value and payment with units_profile's operations in its order (vcg_payment's walk
// over the top list, the uniform prices, pay-as-bid's sum), the group sums, and the totals. Every
// register array is indexed by a compile-time slot or list position (the loops unroll to kV and kT;
// the plan's runtime sizes are uniform branches), so the kernel has no stack frame.
//
// The per-slot walk is units_profile's per-group, per-agent loops flattened: the slots of a group's
// agents are consecutive, agent by agent (draw_values' order), so the sums meet the same terms in the
// same order; a group's four sums are emitted and restarted at its last slot (UnitsKernelPlan's
// per-slot attributes).
//
// Contested units (c_(k+1) == c_(k) > kNoBid: more eligible bids tie at the threshold than units are
// left for them) are evaluated in the thread, exactly as MultiUnit::allocate does: with `above`
// eligible bids above τ = c_(k) and `tied` at it, the tied bids are visited in slot order and the
// next one wins with probability need / tied (need = k − above: `aux.below(tied) < need` from the
// mechanism's auxiliary stream Stream(seed, profile, aux_lane(m)), need and tied decremented), as the
// generic rule's selection sampling draws them; the winners are kept as a bit mask over the slots.
// The rest of the rule is unchanged: a tied winning bid equals τ, so an agent's value of its units
// (holding_value: its first x marginal values), its pay-as-bid sum and vcg_payment's walk (tied
// entries of different owners are equal; at most max demand entries of the list are the agent's, so
// the others' top k are in the list) give the generic rule's bits.
//
// Bits: a profile's metric block is bitwise evaluate_values' (and the CPU fast path's); the leaf sums
// are leaf_add's and leaf_finish's operations (UnitsLeafAdd, units_leaf_finish), so a chunk
// partial, after the block tree, is bitwise estimate_kernel's and the CPU backend's.
#pragma once

#include "mcrev/pipeline/fast_kernel_body.hpp"
#include "mcrev/pipeline/fast_multi_unit.hpp"

#include <cfloat>
#include <cstdint>
#include <string>

namespace mcrev::fast {

/// Most value slots (n · demand) and top-list length (k + max demand) of the CUDA multi-unit kernel.
inline constexpr int kMaxDeviceUnitsValues = 32;
inline constexpr int kMaxDeviceUnitsTop = 16;

/// Per-slot flags of UnitsKernelPlan::slot_flags.
inline constexpr int kSlotAgentEnd = 1;  ///< the agent's last marginal value
inline constexpr int kSlotGroupEnd = 2;  ///< the group's last agent's last marginal value

/// The CUDA multi-unit kernel's view of a model (trivially copyable; kernels/fast_units.cu keeps it in
/// device memory and reads it through a pointer, the emulation test on the host).
struct UnitsKernelPlan {
  UnitsPlan plan;
  PhiloxKeys keys;                      ///< philox_keys(plan.seed)
  Distribution dist[kMaxGroups];        ///< the groups' value distributions
  const double* arena = nullptr;        ///< the model's arena (discrete tables) where the kernel runs
  int slot_group[kMaxDeviceUnitsValues] = {};
  int slot_agent[kMaxDeviceUnitsValues] = {};
  int slot_q[kMaxDeviceUnitsValues] = {};       ///< index among the agent's marginal values
  int slot_demand[kMaxDeviceUnitsValues] = {};  ///< the agent's demand
  int slot_pair[kMaxDeviceUnitsValues] = {};    ///< sorting: q & 1 when (s, s + 1) is a pair of the agent, else −1
  int slot_flags[kMaxDeviceUnitsValues] = {};   ///< kSlotAgentEnd | kSlotGroupEnd
};

/// The inverse CDF of the kinds the kernel takes, inlined (Distribution::quantile is a call on the
/// device): quantile_of for uniform, exponential and power; discrete_quantile's search, the same
/// comparisons (distribution_mixture.hpp).
MCREV_HD MCREV_FAST_INLINE double units_quantile(const Distribution& d, double u, const double* arena) {
  switch (d.kind) {
    case DistKind::Exponential: return d.quantile_of<DistKind::Exponential>(u, nullptr);
    case DistKind::Power: return d.quantile_of<DistKind::Power>(u, nullptr);
    case DistKind::Discrete: {
      const double* xs = arena + d.table;
      const double* cum = xs + d.table_n;
      if (cum[0] >= u) return xs[0];
      int lo = 0, hi = d.table_n - 1;  // cum[lo] < u <= cum[hi]
#ifdef __CUDA_ARCH__
#pragma unroll 1
#endif
      while (hi - lo > 1) {
        const int mid = (lo + hi) / 2;
        if (cum[mid] >= u) hi = mid; else lo = mid;
      }
      return xs[hi];
    }
    default: return d.quantile_of<DistKind::Uniform>(u, nullptr);
  }
}

/// The profile's values into v[0..kV) (slots >= n_values: kNoBid), each agent's marginal values
/// sorted decreasing with sort_marginal_values' network.
template <int kV>
MCREV_HD MCREV_FAST_INLINE void units_values(const UnitsKernelPlan& kp, std::uint64_t profile, double* v) {
  const int nv = kp.plan.n_values;
  uint4 w{};
MCREV_FAST_UNROLL
  for (int s = 0; s < kV; ++s) {
    v[s] = kNoBid;
    if (s < nv) {
      if (s % 4 == 0) w = philox_block_keyed(kp.keys, profile, kValueLane, static_cast<std::uint32_t>(s / 4));
      v[s] = units_quantile(kp.dist[kp.slot_group[s]], u32_to_open01(block_word(w, s % 4)), kp.arena);
    }
  }
  // sort_marginal_values: round r compares (q, q + 1) for q ≡ r (mod 2) of each agent with r < demand;
  // the pairs of a round are disjoint, so visiting them slot by slot gives the same result
  const int rounds = kp.plan.max_demand > 1 ? kp.plan.max_demand : 0;
MCREV_FAST_NO_UNROLL
  for (int round = 0; round < rounds; ++round) {
MCREV_FAST_UNROLL
    for (int s = 0; s + 1 < kV; ++s) {
      if (s + 1 < nv && round < kp.slot_demand[s] && kp.slot_pair[s] == (round & 1)) {
        const bool swap = v[s] < v[s + 1];
        const double hi = swap ? v[s + 1] : v[s], lo = swap ? v[s] : v[s + 1];
        v[s] = hi;
        v[s + 1] = lo;
      }
    }
  }
}

/// Mechanism m of the plan on one profile (values v from units_values; best: the top kT of all
/// values, first_best_units' list): emit(k, x) receives every metric k of the block (in no
/// particular order: each exactly once; the (surplus, optimal surplus) pair through emit.pair),
/// baseline is mechanism 0's revenue (ignored for m = 0).
/// Returns the mechanism's revenue. units_profile's operations in its order (see the file comment).
template <int kV, int kT, class Emit>
MCREV_HD MCREV_FAST_INLINE double units_mechanism(const UnitsKernelPlan& kp, int m, std::uint64_t profile,
                                                  const double* v, const double* best, double baseline, Emit& emit) {
  const UnitsPlan& p = kp.plan;
  const UnitsMech& mk = p.mech[m];
  const int k = p.units, K = p.top(), nv = p.n_values, G = p.n_groups;
  const double none = kNoBid;
  // the top list: K eligible bids and owners (entries past K: ignored)
  double top[kT];
  int own[kT];
MCREV_FAST_UNROLL
  for (int e = 0; e < kT; ++e) {
    top[e] = none;
    own[e] = -1;
  }
MCREV_FAST_UNROLL
  for (int s = 0; s < kV; ++s) {
    if (s < nv) {
      const double r = mk.reserve[kp.slot_group[s]], x = v[s];
      top_insert(top, own, kT, x >= r ? x : none, kp.slot_agent[s]);  // an ineligible bid is kNoBid: absent
    }
  }
  // c_(k), c_(k+1), c_(min(k, E)): running selections (no comparison e == k, which the compiler would
  // turn into an indexed load from a local copy of the list)
  double thr = none, rejected = none, tau = top[0];
MCREV_FAST_UNROLL
  for (int e = 0; e < kT; ++e) {
    thr = e < k ? top[e] : thr;
    rejected = e <= k ? top[e] : rejected;
    if (e >= 1 && e < k) tau = top[e] == none ? tau : top[e];
  }
  const double floor = thr == none ? -DBL_MAX : thr;
  const bool contested = rejected == floor;
  // contested: MultiUnit::allocate's selection sampling of the bids tied at τ = c_(k), in slot order
  std::uint32_t tied_wins = 0;
  if (contested) {
    int tied = 0, need = k;
MCREV_FAST_UNROLL
    for (int s = 0; s < kV; ++s) {
      if (s < nv) {
        const double x = v[s];
        const bool eligible = x >= mk.reserve[kp.slot_group[s]];
        tied += (eligible && x == thr) ? 1 : 0;
        need -= (eligible && x > thr) ? 1 : 0;
      }
    }
    Stream aux(p.seed, profile, aux_lane(m));
MCREV_FAST_UNROLL
    for (int s = 0; s < kV; ++s) {
      if (s < nv) {
        const double x = v[s];
        if (x == thr && x >= mk.reserve[kp.slot_group[s]]) {
          const bool wins = aux.below(tied) < need;
          need -= wins ? 1 : 0;
          --tied;
          tied_wins |= wins ? (1u << s) : 0u;
        }
      }
    }
  }
  const double kd = static_cast<double>(k);
  double revenue = 0.0, welfare = 0.0, allocated = 0.0, active = 0.0;
  double held = 0.0, paid = 0.0, util = 0.0, negative = 0.0;  // the current group's sums
  double x = 0.0, bid_sum = 0.0, value = 0.0;                   // the current agent's
MCREV_FAST_UNROLL
  for (int s = 0; s < kV; ++s) {
    if (s >= nv) continue;
    const int g = kp.slot_group[s], d = kp.slot_demand[s], flags = kp.slot_flags[s];
    const double r = mk.reserve[g];
    const double lim = r > floor ? r : floor;
    if (kp.slot_q[s] == 0) {
      x = 0.0;
      bid_sum = 0.0;
      value = 0.0;
    }
    const double mv = v[s];
    double w = mv >= lim ? 1.0 : 0.0;
    if (contested && mv == thr && mv >= r) w = ((tied_wins >> s) & 1u) ? 1.0 : 0.0;
    x += w;  // units += 1.0 per winning bid
    const double won = mv * w;
    if (mk.rule == UnitsRule::PayAsBid) bid_sum += won;
    if (d > 1) value += won;
    if (!(flags & kSlotAgentEnd)) continue;
    if (d == 1) value = mv * x;
    double t;
    switch (mk.rule) {
      case UnitsRule::PayAsBid: t = bid_sum; break;
      case UnitsRule::UniformFirstRejected: {
        const double price = rejected > r ? rejected : r;
        const double pay = price * x;
        t = x == 0.0 ? 0.0 : pay;
        break;
      }
      case UnitsRule::UniformLastAccepted: {
        const double pay = tau * x;
        t = x == 0.0 ? 0.0 : pay;
        break;
      }
      default: {  // vcg_payment over the top list (units_profile's weights)
        const int who = kp.slot_agent[s];
        const double from = kd - x + 1.0;
        double rank = 0.0, total = 0.0;
MCREV_FAST_UNROLL
        for (int e = 0; e < kT; ++e) {
          if (e >= K) break;
          const double other = own[e] == who ? 0.0 : 1.0;
          rank += other;
          const double in = rank >= from ? 1.0 : 0.0;
          const double upto = rank > kd ? 0.0 : 1.0;
          const double term = top[e] > r ? top[e] : r;
          total += term * (other * in * upto);
        }
        t = total;
        break;
      }
    }
    revenue += t;
    {
      const double u = value - t;
      welfare += value;
      allocated += x * 1.0;  // x · per_unit (1)
      held += x;
      paid += t;
      util += u;
      negative += u < 0.0 ? 1.0 : 0.0;
      active = x != 0.0 ? 1.0 : active;
      if (flags & kSlotGroupEnd) {
        const double inv = p.group_inv[g];
        emit(metric::win(g), held * inv);
        emit(metric::payment(g), paid * inv);
        emit(metric::utility(g), util * inv);
        emit(metric::per_mechanism(G) + metric::ir_violation(g), negative / p.group_count[g]);
        held = paid = util = negative = 0.0;
      }
    }
  }
  {
    const int bb = metric::per_mechanism(G);
    emit(bb + metric::kActive, active);
    const double budget = revenue - 0.0;  // the outcome's cost is 0
    emit(bb + metric::kBudget, budget);
    emit(bb + metric::kDeficit, budget < 0.0 ? 1.0 : 0.0);
    welfare = welfare - 0.0;  // welfare −= cost
    const double v0 = mk.seller_value;
    const double unsold = kd - allocated;
    const double keep = v0 * unsold;
    const double kept = unsold == 0.0 ? 0.0 : keep;
    emit(metric::kRevenue, revenue);
    emit(metric::kWelfare, welfare);
    emit(metric::kSellerUtility, revenue + kept);
    emit(metric::kNoSale, unsold);
    emit(metric::kRevenueDiff, revenue - (m == 0 ? revenue : baseline));
    double opt = 0.0;  // first_best_units: the top k values above v0, then v0
MCREV_FAST_UNROLL
    for (int e = 0; e < kT; ++e)
      if (e < k) opt += best[e] > v0 ? best[e] : v0;
    emit.pair(welfare + kept, opt);  // kSurplus, kOptSurplus (the pair of the co-moment)
  }
  return revenue;
}

/// The leaf sums of one thread at acc[row · stride] (B = the block's metrics): rows [0, B) shift,
/// [B, 2B) s1, [2B, 3B) s2, 3B the (surplus, optimal surplus) co-moment; leaf_add's operations, one
/// metric at a time as units_mechanism emits it. first: the leaf's first profile (it sets the shift).
struct UnitsLeafAdd {
  double* acc;
  int stride, B;
  bool first;
  MCREV_HD MCREV_FAST_INLINE double operator()(int k, double x) {
    double* a = acc + k * stride;
    if (first) {
      a[0] = x;
      a[B * stride] = 0.0;
      a[2 * B * stride] = 0.0;
      return 0.0;
    }
    const double d = x - a[0];
    a[B * stride] = a[B * stride] + d;
    a[2 * B * stride] = a[2 * B * stride] + d * d;
    return d;
  }
  MCREV_HD MCREV_FAST_INLINE void pair(double surplus, double opt) {
    const double dI = (*this)(metric::kSurplus, surplus), dJ = (*this)(metric::kOptSurplus, opt);
    double* c = acc + 3 * B * stride;
    c[0] = first ? 0.0 : c[0] + dI * dJ;
  }
};

/// emit while `on` (mechanism 0's evaluation for the baseline emits nothing).
template <class Emit>
struct GatedEmit {
  Emit& emit;
  bool on;
  MCREV_HD MCREV_FAST_INLINE void operator()(int k, double x) {
    if (on) emit(k, x);
  }
  MCREV_HD MCREV_FAST_INLINE void pair(double a, double b) {
    if (on) emit.pair(a, b);
  }
};

/// The pass of mechanism m on one profile: every metric of its block to emit (UnitsLeafAdd in the
/// kernel; the tests' block writer), mechanism 0 evaluated first for the baseline when m > 0 (by the
/// same code, in a loop that is not unrolled: one copy of units_mechanism in the kernel, half the
/// compile time).
template <int kV, int kT, class Emit>
MCREV_HD MCREV_FAST_INLINE void units_pass_profile(const UnitsKernelPlan& kp, int m, std::uint64_t profile,
                                                   Emit& emit) {
  double v[kV];
  units_values<kV>(kp, profile, v);
  double best[kT];  // the top k (<= kT) of all values: first_best_units
MCREV_FAST_UNROLL
  for (int e = 0; e < kT; ++e) best[e] = kNoBid;
MCREV_FAST_UNROLL
  for (int s = 0; s < kV; ++s)
    if (s < kp.plan.n_values) top_insert(best, kT, v[s]);
  double baseline = 0.0;
MCREV_FAST_NO_UNROLL
  for (int j = m > 0 ? 0 : 1; j < 2; ++j) {  // j = 0: mechanism 0 for the baseline; j = 1: mechanism m
    GatedEmit<Emit> gated{emit, j == 1};
    baseline = units_mechanism<kV, kT>(kp, j == 1 ? m : 0, profile, v, best, baseline, gated);
  }
}

/// leaf_finish_rows (fast_kernel_body.hpp) for the units kernel's B metrics.
MCREV_HD MCREV_FAST_INLINE void units_leaf_finish(double n, double* acc, int stride, int B) {
  leaf_finish_rows(n, acc, stride, B);
}

/// One thread's leaf: profiles [begin, end) of thread_range (begin a multiple of kLeafProfiles, at
/// most kLeafProfiles profiles) of mechanism m's pass, into the leaf sums at acc (stride: the row
/// stride; the caller runs units_leaf_finish with n = end − begin).
template <int kV, int kT>
MCREV_HD inline void units_kernel_leaf(const UnitsKernelPlan& kp, int m, std::uint64_t begin, std::uint64_t end,
                                       double* acc, int stride) {
  UnitsLeafAdd add{acc, stride, kp.plan.block(), false};
  for (std::uint64_t p = begin; p < end; ++p) {
    add.first = p % kLeafProfiles == 0;
    units_pass_profile<kV, kT>(kp, m, p, add);
  }
}

/// The kernel plan of an eligible UnitsPlan, or false with *why naming the first reason (values of
/// another kind, too many value slots, a longer top list). arena: the model's arena where the kernel
/// runs (a device pointer for the kernel, md.arena for the emulation). Host only.
inline bool make_units_kernel_plan(const Model& md, const UnitsPlan& plan, const double* arena, UnitsKernelPlan* kp,
                                   std::string* why = nullptr) {
  auto no = [&](const std::string& reason) {
    if (why) *why = reason;
    return false;
  };
  if (!plan.eligible) return no("not eligible for the multi-unit fast path");
  if (plan.n_values > kMaxDeviceUnitsValues)
    return no("n · demand above " + std::to_string(kMaxDeviceUnitsValues) + " (the CUDA multi-unit kernel)");
  if (plan.top() > kMaxDeviceUnitsTop)
    return no("units + max demand above " + std::to_string(kMaxDeviceUnitsTop) + " (the CUDA multi-unit kernel)");
  UnitsKernelPlan k;
  k.plan = plan;
  k.keys = philox_keys(plan.seed);
  k.arena = arena;
  for (int g = 0; g < md.n_groups; ++g) {
    const Distribution& d = md.groups[g].dist;
    if (d.kind != DistKind::Uniform && d.kind != DistKind::Exponential && d.kind != DistKind::Power &&
        d.kind != DistKind::Discrete)
      return no("group " + std::to_string(g) + ": values neither uniform, exponential, power nor discrete");
    k.dist[g] = d;
    const int dem = plan.group_demand[g];
    for (int i = plan.group_first[g]; i < plan.group_first[g + 1]; ++i)
      for (int q = 0; q < dem; ++q) {
        const int s = plan.group_first_value[g] + (i - plan.group_first[g]) * dem + q;
        k.slot_group[s] = g;
        k.slot_agent[s] = i;
        k.slot_q[s] = q;
        k.slot_demand[s] = dem;
        k.slot_pair[s] = q + 1 < dem ? (q & 1) : -1;
        k.slot_flags[s] = (q + 1 == dem ? kSlotAgentEnd : 0) |
                          (q + 1 == dem && i + 1 == plan.group_first[g + 1] ? kSlotGroupEnd : 0);
      }
  }
  *kp = k;
  if (why) why->clear();
  return true;
}

/// The smallest kernel bucket (kV, kT) for a plan: (16, 8) or (32, 16).
inline int units_kernel_bucket(const UnitsPlan& plan) {
  return plan.n_values <= 16 && plan.top() <= 8 ? 0 : 1;
}

}  // namespace mcrev::fast
