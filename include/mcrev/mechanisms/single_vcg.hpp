// mcrev: VCG (Clarke pivot) for a single item with general lowest types α_i (THEORY.md "Efficient
// mechanisms"; docs/two_sided.md).
//
// Market: single_item. Reports are bids under the strategy (default truthful). The highest bid wins
// (every bid takes part; ties broken uniformly at random with the mechanism's auxiliary stream, as
// in second_price) and pays M_i = W(α_i, b_−i) − W_−i(b) = max(α_g, highest other bid), where α_g is
// the lowest point of its group's value distribution (α_g = `low` of the support); losers pay 0.
// With α = 0 and bids >= 0 it is the second-price auction without reserve, bit for bit.
// Outcome: sparse (winner, price). Arena at Mechanism::data: α_g per group (build_model).
// TOML keys: strategy (truthful | shade | table), factor, file, seller_value.
#pragma once

#include "mcrev/mechanisms/kinds.hpp"
#include "mcrev/mechanisms/standard_auction.hpp"
#include "mcrev/model/model.hpp"

namespace mcrev {

struct SingleItemVcg {
  static constexpr bool kReportsAreValues = false;

  MCREV_HD static void allocate(const Model& md, int m, std::uint64_t profile, const double* b, double*, Outcome& o) {
    Mechanism open = md.mechanisms[m];
    open.reserve = kNoBid;  // every bid takes part
    open.group_reserves = -1;
    const detail::TopBids top = detail::argmax_bid(md, open, m, profile, b);
    if (top.winner < 0) return o.set_sale(-1, 0.0);
    const double alpha = md.arena[open.data + md.group_of(top.winner)];
    o.set_sale(top.winner, top.second > alpha ? top.second : alpha);
  }

  template <class Keys, class Spec>
  static void read(Keys& r, Spec& ms) {
    for (const char* k : {"reserve", "price"}) r.forbid(k, "does not apply to vcg (α_i is the low end of the group's support)");
    r.strategy(ms.strategy, "truthful", false);
  }
};

}  // namespace mcrev
