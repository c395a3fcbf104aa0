// mcrev: the standard single-item auctions — second price, first price and all-pay — with
// anonymous or per-group reserves (THEORY.md "Auctions"; README "Mechanisms").
//
// Market: single_item. Reports b_i are bids β_g(v_i) under the mechanism's strategy (truthful,
// shade, bne, table). A bid below its group's reserve r_g does not take part; ties at the top are
// broken uniformly at random with the mechanism's auxiliary stream (never by index).
//   second_price: the highest eligible bid wins and pays max(r_g(winner), highest other eligible bid);
//   first_price:  the highest eligible bid wins and pays its bid;
//   all_pay:      the highest eligible bid wins; every eligible bidder pays its bid (r is the minimum bid).
// Outcome: sparse (winner, price) for second and first price; dense for all-pay (every eligible
// bidder's transfer is its bid), with `winner` naming the item's holder.
//
// TOML keys: reserve (a number, a list with one per group, or for second_price "optimal" |
// "optimal_personalized"), strategy (truthful | shade | bne | table; default truthful for
// second_price, bne otherwise), factor (shade), file (table), seller_value.
#pragma once

#include "mcrev/mechanisms/kinds.hpp"
#include "mcrev/model/model.hpp"

namespace mcrev {

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

struct StandardAuction {
  static constexpr bool kReportsAreValues = false;  ///< reports are bids β(v) under the strategy

  /// All-pay: every eligible bidder pays its bid (dense); kept out of line so the winner-pays
  /// auctions' hot path stays small.
  MCREV_HD static MCREV_NOINLINE void all_pay_outcome(const Model& md, const Mechanism& mech, const double* b,
                                                      int winner, Outcome& o) {
    o.clear_dense(md.n_bidders);
    for (int g = 0; g < md.n_groups; ++g) {
      const double r = md.reserve_of(mech, g);
      const Group& gr = md.groups[g];
      for (int i = gr.first; i < gr.first + gr.count; ++i) o.transfer[i] = (b[i] > kNoBid && !(b[i] < r)) ? b[i] : 0.0;
    }
    o.winner = winner;
    if (winner >= 0) o.alloc[winner] = 1.0;
  }

  MCREV_HD static void allocate(const Model& md, int m, std::uint64_t profile, const double* b, double*, Outcome& o) {
    const Mechanism& mech = md.mechanisms[m];
    const detail::TopBids top = detail::argmax_bid(md, mech, m, profile, b);
    if (mech.kind == MechKind::AllPay) return all_pay_outcome(md, mech, b, top.winner, o);
    if (top.winner < 0) return o.set_sale(-1, 0.0);
    if (mech.kind == MechKind::SecondPrice) {
      const double r = md.reserve_of(mech, md.group_of(top.winner));
      return o.set_sale(top.winner, top.second > r ? top.second : r);
    }
    o.set_sale(top.winner, b[top.winner]);
  }

  /// TOML keys (host): see the header comment. Keys: the scenario reader (docs/architecture.md).
  template <class Keys, class Spec>
  static void read(Keys& r, Spec& ms) {
    r.forbid("price", "applies to posted_price and random_offer only");
    if (r.has("reserve")) {
      using Rule = decltype(ms.reserve_rule);
      if (r.is_array("reserve")) {
        ms.group_reserves = r.numbers("reserve");
      } else if (r.is_string("reserve")) {
        const std::string rule = r.string("reserve", "");
        r.expect(ms.kind == MechKind::SecondPrice, "reserve",
                 "a reserve rule (\"" + rule + "\") applies to second_price only; give a number");
        if (rule == "optimal") ms.reserve_rule = Rule::Optimal;
        else if (rule == "optimal_personalized") ms.reserve_rule = Rule::OptimalPersonalized;
        else
          r.fail("reserve", "unknown reserve rule '" + rule +
                                "' (expected a number, a list, \"optimal\" or \"optimal_personalized\")");
      } else {
        ms.reserve = r.number("reserve");
      }
    }
    r.strategy(ms.strategy, ms.kind == MechKind::SecondPrice ? "truthful" : "bne", true);
  }
};

}  // namespace mcrev
