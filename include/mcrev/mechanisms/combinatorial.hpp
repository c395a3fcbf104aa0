// mcrev: combinatorial auctions with single-minded bidders (THEORY.md "LLG"; docs/divisible.md,
// section "Combinatorial auctions"; Day & Milgrom 2008, "Core-selecting package auctions"; Ausubel &
// Milgrom 2002 for the proxy auction).
//
// Market: combinatorial (`[market] kind = "combinatorial", items = ["A", "B", ...]`, at most kMaxItems
// = 12 items and kMaxCombinatorialBidders = 32 agents). Every agent of a group wants the group's
// `bundle` (an item set) and reports one bid for it; x_i = 1 when it receives the bundle.
// Winner determination (every kind): a set of agents with disjoint bundles maximizing the sum of
// their bids, bids <= 0 never win; exact, by dynamic programming over item sets
//   f(M) = max( f(M \ {low(M)}), max_{j : low(M) ∈ B_j ⊆ M} b_j + f(M \ B_j) ),
// low(M) the lowest item of M: O(2^items · n) per solve, a fixed array of 2^kMaxItems doubles, no
// recursion. Ties go to the assignment met first when tracing back from the full item set, which
// prefers selling the lowest unsold item to the lowest-indexed agent (LLG with the locals listed
// first: the locals win iff b_1 + b_2 >= b_g, as in THEORY.md).
// Payments:
//  vcg:        t_i = W_{−i} − Σ_{j ≠ i winners} b_j (W_{−i}: the optimum without i; one more solve per winner).
//  pay_as_bid: t_i = b_i for winners.
//  LLG shape only (two items, one agent wanting each item alone, one wanting both; validated): the
//  core-selecting rules. With the locals winning, L_1 = (b_g − b_2)^+, L_2 = (b_g − b_1)^+ (their VCG
//  payments) and the minimum-revenue core face p_1 + p_2 = b_g, p_1 ∈ [L_1, b_g − L_2]:
//   nearest_vcg:  the Euclidean projection of (L_1, L_2): p_i = L_i + (b_g − L_1 − L_2)/2;
//   nearest_bid:  the projection of the bids: p_1 = clamp((b_g + b_1 − b_2)/2, L_1, b_g − L_2);
//   nearest_zero: the projection of the origin: p_1 = clamp(b_g/2, L_1, b_g − L_2);
//   proxy:        the ascending proxy auction (equal increments): an equal split b_g/2 each unless a
//                 local's bid is reached, then that local pays its bid and the other the rest — in
//                 LLG the same point as nearest_zero (computed independently);
//  p_2 = b_g − p_1. When the global agent wins, it pays b_1 + b_2 under every core rule (= VCG).
//  A global bid <= 0 leaves the locals their VCG payments (0).
// The core check (Outcome::market_stat, written by write_metrics): 1 when some set L of losing
// agents with disjoint bundles values them at more than the winners holding any of L's items pay,
// Σ_{j∈L} v_j > Σ_{i winner, B_i ∩ B(L) ≠ ∅} t_i + 1e-12·(1 + Σ|t|): the payments lie outside the core.
#pragma once

#include "mcrev/mechanisms/kinds.hpp"
#include "mcrev/model/model.hpp"

#include <string>

namespace mcrev {

struct CombinatorialAuction {
  static constexpr bool kReportsAreValues = false;

  /// Bundles and bids of every agent (n <= kMaxCombinatorialBidders).
  struct Bids {
    int n, items;
    int bundle[kMaxCombinatorialBidders];
    double bid[kMaxCombinatorialBidders];
  };

  MCREV_HD static void load(const Model& md, const double* b, Bids& B) {
    B.n = md.n_bidders;
    B.items = md.market.items;
    for (int g = 0; g < md.n_groups; ++g) {
      const Group& gr = md.groups[g];
      for (int j = 0; j < gr.count; ++j) {
        B.bundle[gr.first + j] = gr.bundle;
        B.bid[gr.first + j] = b[gr.first_value + j];
      }
    }
  }

  /// Optimal value of the agents in `mask` (bit j: agent j takes part) over item sets; f: 2^items.
  /// With `winners` non-null, marks the winners of the full item set (1.0 / 0.0).
  MCREV_HD static double solve(const Bids& B, unsigned mask, double* f, double* winners) {
    const int full = (1 << B.items) - 1;
    f[0] = 0.0;
    for (int M = 1; M <= full; ++M) {
      const int low = M & -M;
      double best = f[M ^ low];
      for (int j = 0; j < B.n; ++j) {
        const int bj = B.bundle[j];
        if (!((mask >> j) & 1u) || !(B.bid[j] > 0.0) || !(bj & low) || (bj & ~M)) continue;
        const double c = B.bid[j] + f[M ^ bj];
        if (c > best) best = c;
      }
      f[M] = best;
    }
    if (winners) {
      for (int j = 0; j < B.n; ++j) winners[j] = 0.0;
      int M = full;
      while (M) {
        const int low = M & -M;
        int chosen = -1;
        for (int j = 0; j < B.n && chosen < 0; ++j) {
          const int bj = B.bundle[j];
          if (!((mask >> j) & 1u) || !(B.bid[j] > 0.0) || !(bj & low) || (bj & ~M)) continue;
          if (B.bid[j] + f[M ^ bj] == f[M]) chosen = j;
        }
        if (chosen >= 0) {
          winners[chosen] = 1.0;
          M ^= B.bundle[chosen];
        } else {
          M ^= low;
        }
      }
    }
    return f[full];
  }

  MCREV_HD static unsigned everyone(int n) { return n >= 32 ? 0xffffffffu : ((1u << n) - 1u); }

  /// The LLG agents (local of item 0, local of item 1, global), found by bundle.
  MCREV_HD static void llg_agents(const Bids& B, int* l1, int* l2, int* g) {
    *l1 = *l2 = *g = -1;
    for (int j = 0; j < B.n; ++j) {
      if (B.bundle[j] == 1) *l1 = j;
      else if (B.bundle[j] == 2) *l2 = j;
      else if (B.bundle[j] == 3) *g = j;
    }
  }

  MCREV_HD static double clamp(double x, double lo, double hi) { return x < lo ? lo : (x > hi ? hi : x); }

  /// A core-selecting rule's local payment p_1 (LLG, locals winning, bg > 0); p_2 = bg − p_1.
  MCREV_HD static double llg_local_payment(MechKind k, double b1, double b2, double bg) {
    const double L1 = bg - b2 > 0.0 ? bg - b2 : 0.0, L2 = bg - b1 > 0.0 ? bg - b1 : 0.0;
    const double U1 = bg - L2;
    switch (k) {
      case MechKind::NearestVcg: return L1 + 0.5 * (bg - L1 - L2);
      case MechKind::NearestBid: return clamp(0.5 * (bg + b1 - b2), L1, U1);
      case MechKind::NearestZero: return clamp(0.5 * bg, L1, U1);
      default: {  // proxy: equal increments until a local's bid is reached
        double p1 = 0.5 * bg, p2 = 0.5 * bg;
        if (p1 > b1) {
          p1 = b1;
          p2 = bg - b1;
        } else if (p2 > b2) {
          p2 = b2;
          p1 = bg - b2;
        }
        (void)p2;
        return p1;
      }
    }
  }

  /// work: Model::work, at least 2^items doubles in this market (Model::scratch_doubles).
  MCREV_HD static void allocate(const Model& md, int m, std::uint64_t, const double* b, double* work, Outcome& o) {
    const MechKind kind = md.mechanisms[m].kind;
    o.clear_dense(md.n_bidders);
    Bids B;
    load(md, b, B);
    double* f = work;
    const unsigned all = everyone(B.n);
    solve(B, all, f, o.alloc);
    if (kind == MechKind::CombPayAsBid) {
      for (int j = 0; j < B.n; ++j) o.transfer[j] = o.alloc[j] > 0.0 ? B.bid[j] : 0.0;
      return;
    }
    // VCG payments (also the starting point of the core rules).
    for (int j = 0; j < B.n; ++j) {
      if (!(o.alloc[j] > 0.0)) continue;
      double others = 0.0;
      for (int c = 0; c < B.n; ++c)
        if (c != j && o.alloc[c] > 0.0) others += B.bid[c];
      o.transfer[j] = solve(B, all & ~(1u << j), f, nullptr) - others;
    }
    if (kind == MechKind::CombVcg) return;
    int l1, l2, g;
    llg_agents(B, &l1, &l2, &g);
    if (l1 < 0 || l2 < 0 || g < 0) return;  // not LLG (validated on the host)
    const double bg = B.bid[g];
    if (o.alloc[l1] > 0.0 && o.alloc[l2] > 0.0 && bg > 0.0) {
      const double p1 = llg_local_payment(kind, B.bid[l1], B.bid[l2], bg);
      o.transfer[l1] = p1;
      o.transfer[l2] = bg - p1;
    }
  }

  /// 1 when the outcome's payments lie outside the core with respect to the values v (see above).
  MCREV_HD static double outside_core(const Model& md, const double* v, const Outcome& o, double* work) {
    Bids B;
    load(md, v, B);
    double* f = work;
    unsigned losers = 0;
    double scale = 1.0;
    for (int j = 0; j < B.n; ++j) {
      if (!(o.x(j) > 0.0)) losers |= 1u << j;
      scale += o.t(j) < 0.0 ? -o.t(j) : o.t(j);
    }
    solve(B, losers, f, nullptr);  // f[M]: the best the losers can offer for items within M
    const int full = (1 << B.items) - 1;
    for (int M = 1; M <= full; ++M) {
      double pay = 0.0;
      for (int j = 0; j < B.n; ++j)
        if (o.x(j) > 0.0 && (B.bundle[j] & M)) pay += o.t(j);
      if (f[M] > pay + 1e-12 * scale) return 1.0;
    }
    return 0.0;
  }

  /// Efficient welfare: the optimum of the values.
  MCREV_HD static double first_best(const Model& md, const double* v, double* work) {
    Bids B;
    load(md, v, B);
    double* f = work;
    return solve(B, everyone(B.n), f, nullptr);
  }

  template <class Keys, class Spec>
  static void read(Keys& r, Spec& ms) {
    r.forbid("price", "applies to posted_price and random_offer only");
    r.forbid("price_rule", "applies to the units market's uniform_price only");
    r.forbid("reserve", "reserves are not implemented for combinatorial auctions");
    r.strategy(ms.strategy, "truthful", false);
  }
};

}  // namespace mcrev
