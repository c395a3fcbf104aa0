// mcrev: Myerson's optimal auction on reports (THEORY.md "Myerson's optimal auction"; docs/myerson.md).
// Included at the end of mcrev/model.hpp.
//
// Each group g has an ironed virtual value ψ̄_g (mcrev/virtual_value.hpp, one header per group at the
// mechanism's `data`). With levels L_i = ψ̄_{g(i)}(b_i):
//  * allocation: the item goes to a bidder with the highest level if that level is >= v0 (the seller's
//    value); bidders tied at the top level (e.g. pooled in an ironed interval, or on one atom) are
//    separated uniformly at random with the mechanism's auxiliary stream;
//  * payment of the winner w (the expected threshold, x_w(s) = P(w wins | own report s, b_−w)):
//    let c = max_{j≠w} L_j and k = #{ j ≠ w : L_j = c },
//      c < v0:              p = ψ̄_w^{-1}(v0) := inf{ s : ψ̄_w(s) >= v0 }       (the group's reserve)
//      tie (L_w = c >= v0): p = a(c) := inf{ s : ψ̄_w(s) >= c }
//      L_w > c >= v0:       p = e(c) − (e(c) − a(c)) / (k + 1),  e(c) := inf{ s : ψ̄_w(s) > c }
//    This is Myerson's p_w = s x_w(s) − ∫_{−∞}^{s} x_w(t) dt for the step function
//    x_w = 0 below a(c), 1/(k+1) on [a(c), e(c)), 1 from e(c) on, charged only when w wins: a tied
//    winner (probability 1/(k+1)) pays a(c), so its expected payment is a(c)/(k+1); an outright winner
//    wins with probability 1 and pays the integral formula exactly. Where ψ̄_w is strictly increasing
//    a(c) = e(c) and p is the plain threshold. Every payment is <= the winner's report (ex-post IR;
//    the table inverse is clamped to the report against rounding), and truthful reporting is a
//    dominant strategy because ψ̄ is non-decreasing.
#pragma once

#include "mcrev/mechanisms/kinds.hpp"
#include "mcrev/mechanisms/virtual_value.hpp"
#include "mcrev/model/model.hpp"

#include <string>

namespace mcrev {

MCREV_HD inline void myerson_allocate(const Model& md, int m, std::uint64_t profile, const double* b, Outcome& o) {
  const Mechanism& mech = md.mechanisms[m];
  const double v0 = mech.seller_value;
  double best = -HUGE_VAL, second = -HUGE_VAL;
  int n_best = 0, n_second = 0, arg = -1, arg_group = -1;
  for (int g = 0; g < md.n_groups; ++g) {
    const VirtualValue vv = VirtualValue::load(md.arena, mech.data + g * kVirtualValueHeader);
    const Group& gr = md.groups[g];
    for (int i = gr.first; i < gr.first + gr.count; ++i) {
      const double level = vv(b[i]);
      if (level > best) {
        second = best;
        n_second = n_best;
        best = level;
        n_best = 1;
        arg = i;
        arg_group = g;
      } else if (level == best) {
        ++n_best;
      } else if (level > second) {
        second = level;
        n_second = 1;
      } else if (level == second) {
        ++n_second;
      }
    }
  }
  o.set_sale(-1, 0.0);
  if (!(best >= v0) || arg < 0) return;
  if (n_best > 1) {  // uniform tie-break among the bidders at the top level
    int j = Stream(md.seed, profile, aux_lane(m)).below(n_best);
    for (int g = 0; g < md.n_groups && j >= 0; ++g) {
      const VirtualValue vv = VirtualValue::load(md.arena, mech.data + g * kVirtualValueHeader);
      const Group& gr = md.groups[g];
      for (int i = gr.first; i < gr.first + gr.count; ++i) {
        if (vv(b[i]) == best && j-- == 0) {
          arg = i;
          arg_group = g;
          break;
        }
      }
    }
  }
  const VirtualValue w = VirtualValue::load(md.arena, mech.data + arg_group * kVirtualValueHeader);
  double price;
  if (n_best > 1) {
    price = w.lowest_reaching(best);
  } else if (second < v0) {
    price = w.lowest_reaching(v0);
  } else {
    double a, e;
    w.thresholds(second, &a, &e);
    price = a == e ? a : e - (e - a) / (n_second + 1);
  }
  o.set_sale(arg, price < b[arg] ? price : b[arg]);
}

/// Registry family of kind "myerson" (market single_item; reports are the values).
/// TOML keys: virtual_values = "auto" (closed forms where they exist) | "table", seller_value.
struct MyersonFamily {
  static constexpr bool kReportsAreValues = true;
  MCREV_HD static void allocate(const Model& md, int m, std::uint64_t profile, const double* b, double*, Outcome& o) {
    myerson_allocate(md, m, profile, b, o);
  }
  template <class Keys, class Spec>
  static void read(Keys& r, Spec& ms) {
    for (const char* k : {"reserve", "strategy", "factor", "price"})
      r.forbid(k, "does not apply to myerson (bidders report truthfully; reserves are psi_g^{-1}(seller_value))");
    const std::string vv = r.string("virtual_values", "auto");
    r.expect(vv == "auto" || vv == "table", "virtual_values",
             "expected \"auto\" (closed forms where they exist) or \"table\", got '" + vv + "'");
    ms.virtual_value_table = vv == "table";
  }
};

}  // namespace mcrev
