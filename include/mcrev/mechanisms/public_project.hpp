// mcrev: the public project — build or not, for n agents with values of any sign (THEORY.md
// "Efficient mechanisms" and "Conventions for the general markets", public project;
// docs/two_sided.md derives the values the tests check).
//
// Market: public_project, cost C (`[market] cost`). Agent i reports r_i; its net value is
// w_i = r_i − C/n. The efficient rule builds iff Σ_i w_i >= 0 (sum in agent order). When built every
// agent gets x_i = 1 and the outcome's cost is C, so welfare = Σ_i v_i − C and the budget surplus is
// Σ_i t_i − C (pipeline/evaluate.hpp). Cost shares s_i = C/n for i < n − 1 and
// s_{n−1} = C − (s_0 + ... + s_{n−2}) (exact by Sterbenz' lemma), so the shares sum to C exactly.
// With S_{−i} = Σ_{j≠i} w_j (summed directly over the others, so it does not depend on r_i):
//  vcg:    t_i = s_i·built + max(0, S_{−i}) − S_{−i}·built (equal cost shares plus the Clarke pivot
//          tax, |S_{−i}| when agent i changes the decision, else 0). Σ_i t_i >= C·built at every
//          profile (the taxes are >= 0); should rounding make the agent-order sum fall below C, the
//          last agent's transfer is raised by ulps until it does not, so P(deficit) is exactly 0.
//  groves: t_i = s_i·built + h_g − S_{−i}·built with h_g a constant per group (`h`, default 0):
//          dominant-strategy IC and efficient, never budget balanced on every profile
//          (Green–Laffont).
//  dagva:  on net values: t_i = s_i·built − δ_i(r_i) + (1/(n−1)) Σ_{j≠i} δ_j(r_j),
//          δ_i(r) = E_{w−i}[S_{−i} · 1{r − C/n + S_{−i} >= 0}] with no additive constant, tabulated on
//          the host per group on a grid in the agent's quantile F(r) (host/solvers/two_sided.cpp).
//          The last agent's transfer is set so that the agent-order sum is exactly C·built (its
//          dAGVA value up to rounding): the budget surplus is exactly 0.0 at every profile whenever
//          that sum is representable (always when the others' transfers sum within a factor 2 of
//          C, by Sterbenz' lemma; the tests check max |budget| = 0).
// Outcome: dense. Work: none. Cost O(n²) per profile (S_{−i} summed directly, for exact DSIC).
// TOML keys: h (groves: a number or one per group), seller_value.
#pragma once

#include "mcrev/mechanisms/kinds.hpp"
#include "mcrev/mechanisms/two_sided.hpp"
#include "mcrev/model/model.hpp"

#include <cmath>

namespace mcrev {

struct PublicProject {
  static constexpr bool kReportsAreValues = true;

  MCREV_HD static void allocate(const Model& md, int m, std::uint64_t, const double* b, double*, Outcome& o) {
    const Mechanism& mech = md.mechanisms[m];
    const int n = md.n_bidders;
    const double C = md.market.cost, share = C / n;
    o.clear_dense(n);
    double W = 0.0;
    for (int i = 0; i < n; ++i) W += b[i] - share;
    const bool built = W >= 0.0;
    if (built) {
      o.cost = C;
      for (int i = 0; i < n; ++i) o.alloc[i] = 1.0;
    }
    double shares = 0.0;  // s_0 + ... + s_{n−2}
    for (int i = 0; i < n - 1; ++i) shares += share;
    const double last_share = C - shares;
    if (mech.kind == MechKind::PpDagva) {
      two_sided::dagva_transfers(md, mech, b, o);  // −δ_i + (Σ δ − δ_i)/(n−1), last = −Σ others
      if (built)
        for (int i = 0; i < n - 1; ++i) o.transfer[i] += share;
      settle_last(o, n, built ? C : 0.0, true);
      return;
    }
    for (int g = 0; g < md.n_groups; ++g) {
      const Group& gr = md.groups[g];
      for (int i = gr.first; i < gr.first + gr.count; ++i) {
        double others = 0.0;
        for (int j = 0; j < n; ++j)
          if (j != i) others += b[j] - share;
        const double s = built ? (i == n - 1 ? last_share : share) : 0.0;
        if (mech.kind == MechKind::Groves)
          o.transfer[i] = s + md.arena[mech.data + g] - (built ? others : 0.0);
        else
          o.transfer[i] = s + ((others > 0.0 ? others : 0.0) - (built ? others : 0.0));
      }
    }
    if (mech.kind == MechKind::PpVcg && built) settle_last(o, n, C, false);
  }

  /// Adjusts the last transfer so that the agent-order sum of the transfers equals `target`
  /// (exact = true; starts from target − Σ others) or is at least `target` (exact = false; raised
  /// by ulps only if it falls short). At most 64 steps of one ulp.
  MCREV_HD static void settle_last(Outcome& o, int n, double target, bool exact) {
    double s = 0.0;
    for (int i = 0; i < n - 1; ++i) s += o.transfer[i];
    double& t = o.transfer[n - 1];
    if (exact) t = target - s;
    for (int step = 0; step < 64; ++step) {
      const double sum = s + t;
      if (sum == target || (!exact && sum > target)) return;
      t = nextafter(t, sum < target ? HUGE_VAL : -HUGE_VAL);
    }
  }

  template <class Keys, class Spec>
  static void read(Keys& r, Spec& ms) {
    for (const char* k : {"reserve", "price", "strategy", "factor", "file"})
      r.forbid(k, "does not apply to " + r.kind_name() + " (a direct mechanism: reports are the values)");
    if (ms.kind == MechKind::Groves) {
      if (r.is_array("h")) ms.group_params = r.numbers("h");
      else ms.group_params = {r.number("h", 0.0)};
    } else {
      r.forbid("h", "applies to groves only");
    }
  }
};

}  // namespace mcrev
