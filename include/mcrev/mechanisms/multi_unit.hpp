// mcrev: auctions of k identical units to bidders with multi-unit demand (THEORY.md "Multi-unit
// auctions"; docs/multi_unit.md; Krishna, Auction Theory, 2nd ed., ch. 12–13).
//
// Market: units (`[market] kind = "units", units = k`). A bidder of demand d reports d marginal bids
// b_i1, ..., b_id (its strategy applied to each marginal value; the order of an agent's bids does not
// matter: its j-th unit is priced at its j-th highest bid). A bid below the bidder's group reserve r
// does not take part. Let c_(1) >= c_(2) >= ... be all eligible bids and E their number.
//  allocation (every kind): the min(k, E) highest eligible bids win one unit each; x_i is the number
//    of bidder i's bids among them. Bids tied with the lowest winning bid τ = c_(k) share the units
//    left at τ by a uniformly random subset (the mechanism's auxiliary stream, selection sampling in
//    agent order), so every tied bid wins with the same probability.
//  vcg: bidder i pays its externality, t_i = Σ_{j=1..x_i} max(r_i, c^{−i}_(k − x_i + j)), where
//    c^{−i}_(s) is the s-th highest eligible bid of the others (−∞ when there are fewer than s): the
//    bids of others its units displaced, each at least the reserve. With unit demand this is the
//    uniform price max(r, c_(k+1)).
//  uniform_price: every unit sells at one price p and t_i = p · x_i, with
//    price_rule = "first_rejected" (default): p_i = max(r_i, c_(k+1)) (the highest losing bid; r_i
//      alone when no eligible bid loses), or
//    price_rule = "last_accepted": p = the lowest winning bid c_(min(k, E)).
//  pay_as_bid (discriminatory): t_i = the sum of bidder i's winning bids.
// Outcome: dense (alloc = units won, transfer = payment). Cost: O(E · (k + max demand)) per profile.
// Demand reduction (bidding 0 on every unit after the first) is part of the ex-post deviation search
// (mcrev/incentives/expost.hpp). TOML keys: reserve (a number or one per group), price_rule
// (uniform_price), strategy = truthful | shade | table (per marginal bid), factor, file, seller_value.
#pragma once

#include "mcrev/mechanisms/kinds.hpp"
#include "mcrev/model/model.hpp"

#include <string>

namespace mcrev {

/// price_rule of uniform_price (Mechanism::rule).
enum class UniformPriceRule : int { FirstRejected = 0, LastAccepted = 1 };

struct MultiUnit {
  static constexpr bool kReportsAreValues = false;

  /// work: 2 · n_values doubles (eligible bids, then their owners).
  MCREV_HD static void allocate(const Model& md, int m, std::uint64_t profile, const double* b, double* work,
                                Outcome& o) {
    const Mechanism& mech = md.mechanisms[m];
    const int k = md.market.units;
    o.clear_dense(md.n_bidders);
    double* bids = work;
    double* owner = work + md.n_values;
    int E = 0, max_demand = 1;
    for (int g = 0; g < md.n_groups; ++g) {
      const Group& gr = md.groups[g];
      const double r = md.reserve_of(mech, g);
      max_demand = gr.demand > max_demand ? gr.demand : max_demand;
      for (int j = 0; j < gr.count; ++j)
        for (int q = 0; q < gr.demand; ++q) {
          const double x = b[gr.first_value + j * gr.demand + q];
          if (x > kNoBid && x >= r) {
            bids[E] = x;
            owner[E] = gr.first + j;
            ++E;
          }
        }
    }
    if (E == 0) return;
    // The top P bids in decreasing order (selection sort: positions 0..P-1).
    const int P = E < k + max_demand ? E : k + max_demand;
    for (int a = 0; a < P; ++a) {
      int best = a;
      for (int c = a + 1; c < E; ++c) best = bids[c] > bids[best] ? c : best;
      const double tb = bids[a], to = owner[a];
      bids[a] = bids[best];
      owner[a] = owner[best];
      bids[best] = tb;
      owner[best] = to;
    }
    const int sold = E < k ? E : k;
    const double tau = bids[sold - 1];                      // lowest winning bid
    const double first_rejected = E > k ? bids[k] : kNoBid;  // highest losing bid
    // Units won: bids above τ, plus the tied bids chosen at random when τ is contested.
    int above = 0, tied = 0;
    for (int c = 0; c < E; ++c) {
      above += bids[c] > tau;
      tied += bids[c] == tau;
    }
    int need = sold - above;  // units left for the bids tied at τ
    const bool contested = tied > need;
    Stream aux(md.seed, profile, aux_lane(m));
    for (int g = 0; g < md.n_groups; ++g) {
      const Group& gr = md.groups[g];
      const double r = md.reserve_of(mech, g);
      for (int j = 0; j < gr.count; ++j) {
        const int i = gr.first + j;
        double units = 0.0, paid = 0.0;
        for (int q = 0; q < gr.demand; ++q) {
          const double x = b[gr.first_value + j * gr.demand + q];
          if (!(x > kNoBid && x >= r)) continue;
          bool wins = x > tau;
          if (x == tau) {
            if (!contested) {
              wins = true;
            } else {  // selection sampling: the next tied bid wins with probability need / tied
              wins = aux.below(tied) < need;
              need -= wins;
            }
            --tied;
          }
          if (wins) {
            units += 1.0;
            paid += x;  // pay_as_bid
          }
        }
        o.alloc[i] = units;
        if (units == 0.0) continue;
        switch (mech.kind) {
          case MechKind::PayAsBid: o.transfer[i] = paid; break;
          case MechKind::UniformPrice: {
            const double p = mech.rule == static_cast<int>(UniformPriceRule::LastAccepted)
                                 ? tau
                                 : (first_rejected > r ? first_rejected : r);
            o.transfer[i] = p * units;
            break;
          }
          default: o.transfer[i] = vcg_payment(bids, owner, P, k, i, static_cast<int>(units), r); break;
        }
      }
    }
  }

  /// Σ_{j=1..q} max(r, c^{−i}_(k − q + j)) from the top-P list (P >= k + demand when E allows).
  MCREV_HD static double vcg_payment(const double* bids, const double* owner, int P, int k, int i, int q, double r) {
    double total = 0.0;
    int rank = 0;  // rank among the others' bids
    const int from = k - q + 1;
    for (int c = 0; c < P && rank < k; ++c) {
      if (owner[c] == i) continue;
      ++rank;
      if (rank >= from) total += bids[c] > r ? bids[c] : r;
    }
    for (; rank < k; ++rank)  // fewer than k other eligible bids: c^{−i} = −∞, the unit goes at r
      if (rank + 1 >= from) total += r;
    return total;
  }

  template <class Keys, class Spec>
  static void read(Keys& r, Spec& ms) {
    r.forbid("price", "applies to posted_price and random_offer only");
    if (r.has("reserve")) {
      if (r.is_array("reserve")) ms.group_reserves = r.numbers("reserve");
      else ms.reserve = r.number("reserve");
    }
    if (ms.kind == MechKind::UniformPrice) {
      const std::string rule = r.string("price_rule", "first_rejected");
      if (rule == "first_rejected") ms.rule = static_cast<int>(UniformPriceRule::FirstRejected);
      else if (rule == "last_accepted") ms.rule = static_cast<int>(UniformPriceRule::LastAccepted);
      else r.fail("price_rule", "unknown price rule '" + rule + "' (expected first_rejected or last_accepted)");
    } else {
      r.forbid("price_rule", "applies to uniform_price only");
    }
    r.strategy(ms.strategy, "truthful", false);
  }
};

}  // namespace mcrev
