// mcrev: take-it-or-leave-it prices for a single item (THEORY.md "Posted prices").
//
// Market: single_item. Reports are the values; a buyer accepts iff its report >= price.
//   posted_price: a uniformly random buyer among those reporting >= price buys at price (the first
//                 such buyer in a uniformly random arrival order);
//   random_offer: one uniformly random buyer is offered price; buys iff its report >= price.
// Outcome: sparse (winner, price). Randomness: the mechanism's auxiliary stream.
// TOML keys: price (required, >= 0), seller_value.
#pragma once

#include "mcrev/mechanisms/kinds.hpp"
#include "mcrev/model/model.hpp"

namespace mcrev {

struct PriceOffer {
  static constexpr bool kReportsAreValues = true;

  MCREV_HD static void allocate(const Model& md, int m, std::uint64_t profile, const double* b, double*, Outcome& o) {
    const Mechanism& mech = md.mechanisms[m];
    o.set_sale(-1, 0.0);
    if (mech.kind == MechKind::PostedPrice) {
      int eligible = 0;
      for (int i = 0; i < md.n_bidders; ++i) eligible += b[i] >= mech.price;
      if (eligible == 0) return;
      int j = eligible > 1 ? Stream(md.seed, profile, aux_lane(m)).below(eligible) : 0;
      for (int i = 0; i < md.n_bidders; ++i)
        if (b[i] >= mech.price && j-- == 0) return o.set_sale(i, mech.price);
      return;
    }
    const int i = md.n_bidders > 1 ? Stream(md.seed, profile, aux_lane(m)).below(md.n_bidders) : 0;
    if (b[i] >= mech.price) o.set_sale(i, mech.price);
  }

  template <class Keys, class Spec>
  static void read(Keys& r, Spec& ms) {
    for (const char* k : {"reserve", "strategy", "factor", "file"}) r.forbid(k, "does not apply to " + r.kind_name());
    ms.price = r.number("price");
  }
};

}  // namespace mcrev
