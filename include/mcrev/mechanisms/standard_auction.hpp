// mcrev: the standard single-item auctions — second price, first price, all-pay and k-th price —
// with anonymous or per-group reserves (THEORY.md "Auctions"; README "Mechanisms";
// docs/single_item.md).
//
// Market: single_item. Reports b_i are bids β_g(v_i) under the mechanism's strategy (truthful,
// shade, bne, table). A bid below its group's reserve r_g does not take part; ties at the top are
// broken uniformly at random with the mechanism's auxiliary stream (never by index).
//   second_price: the highest eligible bid wins and pays max(r_g(winner), highest other eligible bid)
//                 (reserve_mode = "eager", the default); reserve_mode = "lazy" (Mechanism::rule = 1):
//                 the highest bid of all wins if it is >= its own group's reserve and pays
//                 max(r_g(winner), highest other bid) — reserves do not remove bids first;
//   first_price:  the highest eligible bid wins and pays its bid;
//   all_pay:      the highest eligible bid wins; every eligible bidder pays its bid (r is the minimum bid).
//   kth_price:    the highest eligible bid wins and pays max(r_g(winner), k-th highest eligible bid),
//                 the winner's own bid counted (r_g(winner) alone when fewer than k bids are eligible);
//                 k = Mechanism::rule >= 2 (k = 2 is second price, bitwise); third_price is k = 3.
// Outcome: sparse (winner, price) for second, first and k-th price; dense for all-pay (every eligible
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

/// second_price's reserve_mode (Mechanism::rule): eager reserves remove the bids below them before
/// the ranking; lazy ones are applied to the highest bidder only (Dhangwatnotai–Roughgarden–Yan).
enum class ReserveMode : int { Eager = 0, Lazy = 1 };

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

  /// k-th price: the k-th highest eligible bid (ties counted with multiplicity), kept as a
  /// decreasing list of the k highest in `work` (k <= n_bidders <= its 2 n_values + 2 doubles);
  /// out of line so the other auctions' hot path stays small.
  MCREV_HD static MCREV_NOINLINE double kth_highest_bid(const Model& md, const Mechanism& mech, const double* b, int k,
                                                       double* work) {
    int held = 0;
    for (int g = 0; g < md.n_groups; ++g) {
      const double r = md.reserve_of(mech, g);
      const Group& gr = md.groups[g];
      for (int i = gr.first; i < gr.first + gr.count; ++i) {
        const double x = b[i];
        if (!(x >= r) || !(x > kNoBid)) continue;  // ineligible
        if (held == k && !(x > work[k - 1])) continue;
        int p = held < k ? held++ : k - 1;
        while (p > 0 && work[p - 1] < x) {
          work[p] = work[p - 1];
          --p;
        }
        work[p] = x;
      }
    }
    return held == k ? work[k - 1] : kNoBid;
  }

  /// Second price with lazy reserves: the ranking (and its tie-break) over every bid, then the
  /// winner's own reserve; out of line so the eager path stays as it was.
  MCREV_HD static MCREV_NOINLINE void lazy_second_price(const Model& md, const Mechanism& mech, int m,
                                                        std::uint64_t profile, const double* b, Outcome& o) {
    Mechanism open = mech;
    open.group_reserves = -1;
    open.reserve = -HUGE_VAL;  // every bid takes part in the ranking (kNoBid never wins)
    const detail::TopBids top = detail::argmax_bid(md, open, m, profile, b);
    if (top.winner < 0) return o.set_sale(-1, 0.0);
    const double r = md.reserve_of(mech, md.group_of(top.winner));
    if (!(b[top.winner] >= r)) return o.set_sale(-1, 0.0);
    o.set_sale(top.winner, top.second > r ? top.second : r);
  }

  MCREV_HD static void allocate(const Model& md, int m, std::uint64_t profile, const double* b, double* work,
                                Outcome& o) {
    const Mechanism& mech = md.mechanisms[m];
    if (mech.kind == MechKind::SecondPrice && mech.rule == static_cast<int>(ReserveMode::Lazy))
      return lazy_second_price(md, mech, m, profile, b, o);
    const detail::TopBids top = detail::argmax_bid(md, mech, m, profile, b);
    if (mech.kind == MechKind::AllPay) return all_pay_outcome(md, mech, b, top.winner, o);
    if (top.winner < 0) return o.set_sale(-1, 0.0);
    if (mech.kind == MechKind::ThirdPrice || mech.kind == MechKind::KthPrice) {
      const double r = md.reserve_of(mech, md.group_of(top.winner));
      const double kth = kth_highest_bid(md, mech, b, mech.rule, work);
      return o.set_sale(top.winner, kth > r ? kth : r);
    }
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
    if (ms.kind == MechKind::KthPrice) {
      r.expect(r.has("k"), "k", "is required for kth_price (the winner pays the k-th highest bid; an integer >= 2)");
      const double k = r.number("k");
      r.expect(k == static_cast<double>(static_cast<long long>(k)) && k >= 2 && k <= kMaxBidders, "k",
               "must be a whole number between 2 and " + std::to_string(kMaxBidders) + " (k = 1 is first_price)");
      ms.rule = static_cast<int>(k);
    } else {
      r.forbid("k", "applies to kind = \"kth_price\" only (third_price is k = 3)");
      if (ms.kind == MechKind::ThirdPrice) ms.rule = 3;
    }
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
    if (r.has("reserve_mode")) {
      r.expect(ms.kind == MechKind::SecondPrice, "reserve_mode", "applies to kind = \"second_price\" only");
      const std::string mode = r.string("reserve_mode", "eager");
      if (mode == "eager") ms.rule = static_cast<int>(ReserveMode::Eager);
      else if (mode == "lazy") ms.rule = static_cast<int>(ReserveMode::Lazy);
      else r.fail("reserve_mode", "unknown reserve mode '" + mode + "' (expected \"eager\" or \"lazy\")");
    }
    r.strategy(ms.strategy, ms.kind == MechKind::SecondPrice ? "truthful" : "bne", true);
  }
};

}  // namespace mcrev
