// mcrev: market clearing of one divisible good (THEORY.md "Divisible good"; docs/divisible.md; the
// note in ../shared/seeds/market-clearing-divisible-goods.md).
//
// Market: divisible (`[market] kind = "divisible", supply = S, cap = c`). Agent i reports a utility
// function of its group's family (Group::utility, model.hpp): step demand curves (m reported marginal
// values, each for `width` units), linear (value v for up to d units) or quadratic
// (u(x) = v x − x²/(2s)). Reports are the value slots (the family's parameters d, s, width are the
// group's unless a deviation scales them, see Identities).
//
// Allocation (every kind): x* maximizes Σ_i u_i(x_i) − r·Σ_i x_i subject to x >= 0, Σ_i x_i <= S and
// x_i <= cap (r = the mechanism's `reserve` >= 0, default 0). Exact water-filling: the aggregate
// demand D(p) = Σ_i D_i(p) of the reported curves (D_i(p) = what agent i buys at price p, the
// right-continuous version: steps priced exactly p are not included) is piecewise linear in p with
// breakpoints at the step values, at v_i and at v_i − cap/s_i; a merge of the agents' breakpoints from
// the top price down finds the clearing price
//   λ = min{ p >= r : D(p) <= S }
// (the smallest market-clearing price: with unit steps it is the highest rejected marginal bid, as in
// the units market's uniform_price). Agents receive D_i(λ); the quantity left, S − D(λ), goes to the
// steps priced exactly λ in proportion to their widths (ties; a probability-zero event with continuous
// values). λ is written to Outcome::market_stat (the `clearing_price` metric).
// Payments: vcg: t_i = W_{−i} − Σ_{j≠i} u_j(x*_j), with W_{−i} the optimal welfare without i (0 when
//   x*_i = 0), computed so that t_i does not depend on i's own report (ex-post regret of truthful
//   bidding is exactly 0). Step curves (steps, linear; vcg_fill): t_i is the value of the best x*_i
//   units of the others' rejected quantity priced >= r (the unfilled part of the steps tied at λ,
//   then the steps below λ, from the top price down), one continued merge for all agents at once.
//   With slopes (quadratic curves anywhere in the market): a second water-filling per agent and
//   Σ_{j≠i} summed over the others directly.
//   The reserve r is the seller's value per unit, the seller one of the others: units of x*_i no
//   other step priced >= r takes back cost r each (steps: + r · the unfilled part; slopes:
//   + r · (X* − X_{−i}), the quantities sold with and without i), as in the units market's vcg.
//   pay_as_bid: t_i = u_i(x*_i) of the report; uniform_price: t_i = λ x*_i.
// Cost per profile: O((n + E)·n) for the merge (E = breakpoints above λ); vcg with step curves
// O((n + F)·n) more (F = rejected steps the fill reads), with slopes O(n) further water-fillings.
// Deterministic; no allocation, no recursion: device-compatible.
//
// Identities (deviations, mcrev/incentives/expost.hpp): one agent i may be replaced by K <=
// kMaxIdentities identities of its family, identity a reporting value_factor[a] × i's reports and
// size_factor[a] × the group's size; each identity is capped separately. Agent i's outcome is the sum
// of its identities' allocations and payments (THEORY.md "Sybil identities"). K = 1 with a size
// factor below 1 is demand reduction (reporting less demand, a smaller slope or narrower steps).
#pragma once

#include "mcrev/mechanisms/kinds.hpp"
#include "mcrev/model/model.hpp"

#include <string>

namespace mcrev {

struct Identities {
  int agent = -1;  ///< the agent replaced (−1: none)
  int count = 0;   ///< K identities
  double value_factor[kMaxIdentities] = {};
  double size_factor[kMaxIdentities] = {};
};

struct DivisibleMarket {
  static constexpr bool kReportsAreValues = false;

  /// One agent's reported demand curve.
  struct Curve {
    const double* mv;  ///< reported values (m for steps, one otherwise)
    double vf;         ///< factor on the values
    int utility, m;
    double size, cap;
  };

  /// The agents of one clearing: model agents [0, n) (minus the replaced one) and identities [n, n + K).
  /// Per-agent state lives in the work space (Model::work): three arrays of n_bidders + kMaxIdentities
  /// doubles (Model::scratch_doubles reserves them for the divisible market).
  struct Clearing {
    const Model* md;
    const double* b;
    const Identities* ids;
    double* cursor;  ///< per agent: its next breakpoint (a small whole number)
    double* next;    ///< per agent: that breakpoint's price (−inf: none left)
    double* rem;     ///< per agent: the quantity tied at λ, then what the vcg fill still has to place
    int n, K;

    MCREV_HD static Clearing make(const Model& md, const double* b, const Identities& ids, double* work) {
      Clearing cl;
      cl.md = &md;
      cl.b = b;
      cl.ids = &ids;
      cl.n = md.n_bidders;
      cl.K = ids.agent >= 0 ? ids.count : 0;
      const int stride = md.n_bidders + kMaxIdentities;
      cl.cursor = work;
      cl.next = work + stride;
      cl.rem = work + 2 * stride;
      return cl;
    }
    MCREV_HD int agents() const { return n + K; }
    /// True when every agent's curve has the same steps (one group of step curves, no identities):
    /// agent a's step e is then priced mv0[a * stride + e] (vf = 1) for quantity q[e], e < m (the
    /// steps with a positive quantity, as breakpoint() gives them). Fills those.
    MCREV_HD bool same_steps(const double** mv0, int* stride, double* q, int* m) const {
      if (md->n_groups != 1 || ids->agent >= 0) return false;
      const Group& gr = md->groups[0];
      if (gr.utility == static_cast<int>(Utility::Quadratic)) return false;
      *mv0 = b + gr.first_value - gr.first * gr.demand;
      *stride = gr.demand;
      const Curve c = curve(gr.first);
      double price;
      int kind, e = 0;
      while (breakpoint(c, e, &price, &kind, &q[e])) ++e;
      *m = e;
      return true;
    }
    MCREV_HD bool present(int a, int exclude) const { return a != exclude && (a >= n || a != ids->agent); }
    MCREV_HD Curve curve(int a) const {
      const int i = a < n ? a : ids->agent;
      const Group& gr = md->groups[md->group_of(i)];
      Curve c;
      c.mv = b + gr.first_value + (i - gr.first) * gr.demand;
      c.vf = a < n ? 1.0 : ids->value_factor[a - n];
      c.utility = gr.utility;
      c.m = gr.demand;
      c.size = a < n ? gr.size : gr.size * ids->size_factor[a - n];
      c.cap = md->market.cap;
      return c;
    }
    /// Breakpoint e of a curve: its price, and its kind (0: a step of quantity *q; 1: a slope s = *q
    /// starts; 2: a slope ends, the capped quantity *q is held). Returns false when there is none.
    MCREV_HD static bool breakpoint(const Curve& c, int e, double* price, int* kind, double* q) {
      if (c.utility == static_cast<int>(Utility::Quadratic)) {
        if (e == 0) {
          *price = c.vf * c.mv[0];
          *kind = 1;
          *q = c.size;
          return c.size > 0.0;
        }
        if (e == 1 && c.cap < HUGE_VAL) {
          *price = c.vf * c.mv[0] - c.cap / c.size;
          *kind = 2;
          *q = c.cap;
          return true;
        }
        return false;
      }
      const double width = c.size;  // linear: one step of width d
      const int m = c.utility == static_cast<int>(Utility::Linear) ? 1 : c.m;
      if (e >= m) return false;
      const double room = c.cap - e * width;
      const double qe = room < width ? room : width;
      if (!(qe > 0.0)) return false;
      *price = c.vf * c.mv[e];
      *kind = 0;
      *q = qe;
      return true;
    }
    MCREV_HD double& cur(int a) { return cursor[a]; }
    MCREV_HD double& nxt(int a) { return next[a]; }
    MCREV_HD void load(int a) {
      double p, q;
      int kind;
      nxt(a) = breakpoint(curve(a), static_cast<int>(cur(a)), &p, &kind, &q) ? p : -HUGE_VAL;
    }
    /// Index of the first agent with the highest next breakpoint (−1: none left); *beta: its price.
    MCREV_HD int top(double* beta) const {
      int best = -1;
      double hi = -HUGE_VAL;
      for (int a = 0; a < n + K; ++a)
        if (next[a] > hi) {
          hi = next[a];
          best = a;
        }
      *beta = hi;
      return best;
    }
  };

  /// True when every curve of the model is a step curve (steps or linear: no slopes); the clearing
  /// then takes the step path (clear_steps, and vcg payments from one fill, vcg_fill).
  MCREV_HD static bool steps_only(const Model& md) {
    for (int g = 0; g < md.n_groups; ++g)
      if (md.groups[g].utility == static_cast<int>(Utility::Quadratic)) return false;
    return true;
  }

  /// Quantity agent curve c demands at price p (right-continuous: steps priced p excluded), and the
  /// quantity of its steps priced exactly p (*tied).
  MCREV_HD static double demand(const Curve& c, double p, double* tied) {
    *tied = 0.0;
    if (c.utility == static_cast<int>(Utility::Quadratic)) {
      const double x = c.size * (c.vf * c.mv[0] - p);
      return x > 0.0 ? (x < c.cap ? x : c.cap) : 0.0;
    }
    double total = 0.0, price, q;
    int kind;
    for (int e = 0; Clearing::breakpoint(c, e, &price, &kind, &q); ++e) {
      if (price > p) total += q;
      else if (price == p) *tied += q;
      else break;
    }
    return total;
  }

  /// The merge of the breakpoints from the top price down (see the header comment) without agent
  /// `exclude` (−1: none) at floor price r: returns λ. Every family.
  MCREV_HD static double merge(Clearing& cl, int exclude, double r) {
    const double S = cl.md->market.supply;
    const int N = cl.agents();
    for (int a = 0; a < N; ++a) {
      cl.cur(a) = 0.0;
      if (cl.present(a, exclude)) cl.load(a);
      else cl.nxt(a) = -HUGE_VAL;
    }
    double A = 0.0, B = 0.0, prev = HUGE_VAL, lam = r;
    int slopes = 0;  // quadratic curves on their sloped part (B is exactly 0 when none)
    for (;;) {
      double beta;
      const int best = cl.top(&beta);
      const double lo = beta > r ? beta : r;
      const double d_lo = slopes > 0 ? A - B * lo : A;
      if (d_lo > S) {  // D crosses S inside (lo, prev]
        lam = prev;
        if (slopes > 0) {
          const double c = (A - S) / B;
          lam = c < prev ? c : prev;
          lam = lam > lo ? lam : lo;
        }
        break;
      }
      if (best < 0 || beta <= r) {
        lam = r;
        break;
      }
      const Curve c = cl.curve(best);
      double price = 0.0, q = 0.0;
      int kind = 0;
      Clearing::breakpoint(c, static_cast<int>(cl.cur(best)), &price, &kind, &q);
      if (kind == 0) {  // a step: D jumps by q below its price
        A += q;
      } else if (kind == 1) {  // D_a = s (v − p) from here down
        A += q * price;
        B += q;
        ++slopes;
      } else {  // D_a = cap from here down
        A += q - c.size * (c.vf * c.mv[0]);
        B -= c.size;
        if (--slopes == 0) B = 0.0;
      }
      cl.cur(best) += 1.0;
      cl.load(best);
      prev = beta;
    }
    return lam;
  }

  /// merge() of all present agents when every curve is a step curve: the same λ, bit for bit (the
  /// same comparisons and the same sum A), the steps taken in one pass. The merge is left after the
  /// steps it consumed and rem[a] holds the quantity agent a's consumed steps add up to (in demand()'s
  /// order); *tail counts the last steps consumed at the price λ when λ is such a price (0 when λ = r),
  /// *last the agent of the last one.
  MCREV_HD static double clear_steps(Clearing& cl, double r, int* tail, int* last) {
    const double S = cl.md->market.supply;
    const int N = cl.agents();
    const double* mv0 = nullptr;
    double qs[kMaxDemand];
    int stride = 0, m = 0;
    if (cl.same_steps(&mv0, &stride, qs, &m)) {
      // The same merge with the curves' parameters read once: the price of agent a's step e is
      // 1.0 · mv0[a·stride + e] = mv0[a·stride + e] and its quantity qs[e]. (A loser tree, a
      // sorted list of the agents and a runner-up kept from each scan all cost more instructions
      // than top()'s scan of 10 agents; docs/divisible.md, "Performance".)
      for (int a = 0; a < N; ++a) {
        cl.cursor[a] = 0.0;
        cl.rem[a] = 0.0;
        cl.next[a] = m > 0 ? mv0[a * stride] : -HUGE_VAL;
      }
      double A = 0.0, prev = HUGE_VAL;
      int run = 0, who = -1;
      for (;;) {
        if (A > S) {  // D crosses S at prev
          *tail = run;
          *last = who;
          return prev;
        }
        double beta;
        const int best = cl.top(&beta);
        if (best < 0 || beta <= r) {
          *tail = 0;
          *last = -1;
          return r;
        }
        const int e = static_cast<int>(cl.cursor[best]);
        const double q = qs[e];
        A += q;
        cl.rem[best] += q;
        cl.cursor[best] = e + 1;
        cl.next[best] = e + 1 < m ? mv0[best * stride + e + 1] : -HUGE_VAL;
        run = beta == prev ? run + 1 : 1;
        who = best;
        prev = beta;
      }
    }
    for (int a = 0; a < N; ++a) {
      cl.cursor[a] = 0.0;
      cl.rem[a] = 0.0;
      if (cl.present(a, -1)) cl.load(a);
      else cl.next[a] = -HUGE_VAL;
    }
    double A = 0.0, prev = HUGE_VAL;
    int run = 0, who = -1;
    for (;;) {
      double beta;
      const int best = cl.top(&beta);
      if (A > S) {  // D crosses S at prev
        *tail = run;
        *last = who;
        return prev;
      }
      if (best < 0 || beta <= r) {
        *tail = 0;
        *last = -1;
        return r;
      }
      const int e = static_cast<int>(cl.cursor[best]);
      const Curve c = cl.curve(best);
      double price = 0.0, q = 0.0, p1, q1;  // set: the agent's next breakpoint exists
      int kind;
      Clearing::breakpoint(c, e, &price, &kind, &q);
      A += q;
      cl.rem[best] += q;
      cl.cursor[best] = e + 1;
      cl.next[best] = Clearing::breakpoint(c, e + 1, &p1, &kind, &q1) ? p1 : -HUGE_VAL;
      run = beta == prev ? run + 1 : 1;
      who = best;
      prev = beta;
    }
  }

  /// demand(curve(a), λ, tied) after clear_steps (tail, last: its outputs), bit for bit: when none of
  /// a's steps is priced λ its strict demand is the quantity of the steps the merge consumed, summed
  /// in the same order (rem[a]), and nothing is tied; otherwise demand() itself.
  MCREV_HD static double demand_after(const Clearing& cl, int a, double lambda, int tail, int last, double* tied) {
    if (tail <= 1 && a != last && cl.next[a] != lambda) {
      *tied = 0.0;
      return cl.rem[a];
    }
    return demand(cl.curve(a), lambda, tied);
  }

  /// Water-filling (see the header comment) without agent `exclude` (−1: none) at floor price r, by
  /// the general merge. Writes λ and returns the welfare Σ u_a(x_a) of the reported curves; x:
  /// agents() allocations or null. The vcg payments of curves with slopes (W_{−i}).
  MCREV_HD static double clear(Clearing& cl, int exclude, double r, double* lambda, double* x) {
    const double S = cl.md->market.supply;
    const int N = cl.agents();
    const double lam = merge(cl, exclude, r);
    *lambda = lam;
    // Allocation at λ: strict demand, then the steps priced exactly λ share what is left.
    double strict = 0.0, tied = 0.0;
    for (int a = 0; a < N; ++a) {
      if (!cl.present(a, exclude)) continue;
      double t;
      strict += demand(cl.curve(a), lam, &t);
      tied += t;
    }
    double left = S - strict;
    left = left > 0.0 ? left : 0.0;
    const double share = tied > 0.0 ? (left >= tied ? 1.0 : left / tied) : 0.0;
    double welfare = 0.0;
    for (int a = 0; a < N; ++a) {
      double xa = 0.0;
      if (cl.present(a, exclude)) {
        const Curve c = cl.curve(a);
        double t;
        xa = demand(c, lam, &t);
        if (t > 0.0) xa += share == 1.0 ? t : t * share;
        welfare += utility_value(c.utility, c.mv, c.m, c.size, c.vf, xa);
      }
      if (x) x[a] = xa;
    }
    return welfare;
  }

  /// vcg payments of step curves after clear_steps (tail, last: its outputs) and the allocation X
  /// (the steps tied at λ filled in proportion `share`): t_a = W_{−a} − Σ_{c≠a} u_c(x_c) is the
  /// value of the best x_a units of the others' rejected quantity priced >= r (the unfilled part
  /// q − q·share of the steps tied at λ, then the steps below λ, from the top price down): without
  /// a, the x_a units it held go to the others' next-best steps. One pass of the merge fills every
  /// agent's x_a at once (rem); t_a reads only the others' steps and x_a, never a's own report.
  template <class Alloc, class Pay>
  MCREV_HD static void vcg_fill(Clearing& cl, double r, double lambda, double share, int tail, int last, Alloc X,
                                Pay T) {
    const int N = cl.agents();
    if (tail == 1) {  // the one step consumed at λ is tied: put it back
      cl.cursor[last] -= 1.0;
      cl.next[last] = lambda;
    } else if (tail > 1) {
      for (int a = 0; a < N; ++a) {
        if (!cl.present(a, -1)) continue;
        const Curve c = cl.curve(a);
        int e = static_cast<int>(cl.cursor[a]);
        const int e0 = e;
        double p, q;
        int kind;
        while (e > 0 && Clearing::breakpoint(c, e - 1, &p, &kind, &q) && p == lambda) --e;
        if (e != e0) {
          cl.cursor[a] = e;
          cl.next[a] = lambda;
        }
      }
    }
    int active = 0;
    for (int a = 0; a < N; ++a) {
      const double xa = X(a);
      const bool wins = cl.present(a, -1) && xa > 0.0;
      cl.rem[a] = wins ? xa : 0.0;
      active += wins ? 1 : 0;
      T(a) = 0.0;
    }
    const double* mv0 = nullptr;
    double qs[kMaxDemand];
    int stride = 0, m = 0;
    const bool same = cl.same_steps(&mv0, &stride, qs, &m);  // as in clear_steps
    while (active > 0) {
      double beta;
      const int best = cl.top(&beta);
      if (best < 0 || beta < r) break;
      const int e = static_cast<int>(cl.cursor[best]);
      double q = 0.0;
      if (same) {
        q = qs[e];
        cl.cursor[best] = e + 1;
        cl.next[best] = e + 1 < m ? mv0[best * stride + e + 1] : -HUGE_VAL;
      } else {
        const Curve c = cl.curve(best);
        double price = 0.0, p1, q1;  // set: the agent's next breakpoint exists
        int kind;
        Clearing::breakpoint(c, e, &price, &kind, &q);
        cl.cursor[best] = e + 1;
        cl.next[best] = Clearing::breakpoint(c, e + 1, &p1, &kind, &q1) ? p1 : -HUGE_VAL;
      }
      const double res = beta == lambda ? q - q * share : q;  // a step priced λ is tied
      if (!(res > 0.0)) continue;
      for (int a = 0; a < N; ++a) {
        const double want = cl.rem[a];
        if (a == best || !(want > 0.0)) continue;
        const double take = want < res ? want : res;
        T(a) += beta * take;
        const double still = want - take;
        cl.rem[a] = still;
        if (!(still > 0.0)) --active;
      }
    }
    // What no other step priced >= r takes back stays with the seller, who values it at r: the
    // reserve is the seller's value per unit, so that t_a is a's externality on the others and the
    // seller (a unit no one else wants costs r, as in the units market's vcg).
    if (r > 0.0)
      for (int a = 0; a < N; ++a)
        if (cl.rem[a] > 0.0) T(a) += r * cl.rem[a];
  }

  /// Mechanism m's outcome with agent ids.agent (if any) replaced by its identities; agent i's
  /// allocation and payment are the sums over its identities. work: Model::work. o.quantity is set
  /// to the quantity allocated as first_best computes it (write_metrics reuses it). reference: the
  /// general merge and the vcg payments from n + K further water-fillings whatever the curves (the
  /// path of curves with slopes; tests compare the step path with it).
  MCREV_HD static void run(const Model& md, int m, const double* b, double* work, const Identities& ids, Outcome& o,
                           bool reference = false) {
    const Mechanism& mech = md.mechanisms[m];
    o.clear_dense(md.n_bidders);
    Clearing cl = Clearing::make(md, b, ids, work);
    const int n = cl.n, N = cl.agents();
    const double S = md.market.supply, r = mech.reserve;
    double xid[kMaxIdentities], tid[kMaxIdentities];
    auto X = [&](int a) -> double& { return a < n ? o.alloc[a] : xid[a - n]; };
    auto T = [&](int a) -> double& { return a < n ? o.transfer[a] : tid[a - n]; };
    const bool steps = !reference && steps_only(md);
    int tail = 0, last = -1;
    const double lambda = steps ? clear_steps(cl, r, &tail, &last) : merge(cl, -1, r);
    o.market_stat = lambda;
    // Allocations, with the arithmetic of clear(): strict demand, then the steps tied at λ.
    double strict = 0.0, tied = 0.0;
    for (int a = 0; a < N; ++a) {
      double s = 0.0, t = 0.0;
      if (cl.present(a, -1)) {
        s = steps ? demand_after(cl, a, lambda, tail, last, &t) : demand(cl.curve(a), lambda, &t);
        strict += s;
        tied += t;
      }
      X(a) = s;
      cl.rem[a] = t;
    }
    const double left0 = S - strict, left = left0 > 0.0 ? left0 : 0.0;
    const double share = tied > 0.0 ? (left >= tied ? 1.0 : left / tied) : 0.0;
    for (int a = 0; a < N; ++a) {
      const double t = cl.rem[a];
      if (t > 0.0) X(a) += share == 1.0 ? t : t * share;
    }
    o.quantity = strict + (tied < left0 ? tied : (left0 > 0.0 ? left0 : 0.0));
    if (mech.kind == MechKind::DivUniformPrice) {
      for (int a = 0; a < N; ++a) T(a) = lambda * X(a);
    } else if (mech.kind == MechKind::DivVcg && steps) {
      vcg_fill(cl, r, lambda, share, tail, last, X, T);
    } else {
      for (int a = 0; a < N; ++a) {  // reported utilities (pay_as_bid's payments)
        if (!cl.present(a, -1)) continue;
        const Curve c = cl.curve(a);
        T(a) = utility_value(c.utility, c.mv, c.m, c.size, c.vf, X(a));
      }
      if (mech.kind == MechKind::DivVcg) {
        // t_a = W_{−a} − (Σ_{c<a} u_c + Σ_{c>a} u_c): neither sum involves a's own report.
        double prefix = 0.0;
        for (int a = 0; a < N; ++a) {
          const bool here = cl.present(a, -1);
          const double ua = T(a), xa = X(a);
          double t = 0.0;
          if (here && xa > 0.0) {
            double suffix = 0.0;
            for (int c = a + 1; c < N; ++c)
              if (cl.present(c, -1)) suffix += T(c);
            double lam_minus;
            t = clear(cl, a, r, &lam_minus, r > 0.0 ? cl.rem : nullptr) - (prefix + suffix);
            if (r > 0.0) {  // the seller's r per unit: + r · (the quantity sold with a − without a)
              double with = 0.0, without = 0.0;
              for (int c = 0; c < N; ++c) {
                if (!cl.present(c, -1)) continue;
                with += X(c);
                if (c != a) without += cl.rem[c];
              }
              t += r * (with - without);
            }
          }
          if (here) prefix += ua;
          T(a) = t;
        }
      }
    }
    if (cl.K > 0) {
      const int i = ids.agent;
      o.alloc[i] = 0.0;
      o.transfer[i] = 0.0;
      for (int k = 0; k < cl.K; ++k) {
        o.alloc[i] += xid[k];
        o.transfer[i] += tid[k];
      }
    }
  }

  /// Efficient welfare of values v (reports = values, no identities) at floor price r, and the
  /// quantity it allocates (*allocated). work: Model::work. write_metrics takes it from the outcome
  /// instead when the mechanism's clearing is this one (truthful reports, reserve = seller value).
  MCREV_HD static double first_best(const Model& md, const double* v, double r, double* work, double* allocated) {
    Identities none;
    Clearing cl = Clearing::make(md, v, none, work);
    int tail = 0, last = -1;
    const bool steps = steps_only(md);
    const double lambda = steps ? clear_steps(cl, r, &tail, &last) : merge(cl, -1, r);
    const int n = cl.n;
    double strict = 0.0, tied = 0.0;
    for (int a = 0; a < n; ++a) {  // strict demand and tied quantity, kept in cursor and rem
      double t;
      const double s = steps ? demand_after(cl, a, lambda, tail, last, &t) : demand(cl.curve(a), lambda, &t);
      cl.cursor[a] = s;
      cl.rem[a] = t;
      strict += s;
      tied += t;
    }
    const double left0 = md.market.supply - strict, left = left0 > 0.0 ? left0 : 0.0;
    const double share = tied > 0.0 ? (left >= tied ? 1.0 : left / tied) : 0.0;
    double welfare = 0.0;
    for (int a = 0; a < n; ++a) {
      const Curve c = cl.curve(a);
      double xa = cl.cursor[a];
      const double t = cl.rem[a];
      if (t > 0.0) xa += share == 1.0 ? t : t * share;
      welfare += utility_value(c.utility, c.mv, c.m, c.size, c.vf, xa);
    }
    *allocated = strict + (tied < left0 ? tied : (left0 > 0.0 ? left0 : 0.0));
    return welfare;
  }

  MCREV_HD static void allocate(const Model& md, int m, std::uint64_t, const double* b, double* work, Outcome& o) {
    Identities none;
    run(md, m, b, work, none, o);
  }

  template <class Keys, class Spec>
  static void read(Keys& r, Spec& ms) {
    r.forbid("price", "applies to posted_price and random_offer only");
    r.forbid("price_rule", "applies to the units market's uniform_price only (the divisible market clears at the "
                           "smallest market-clearing price)");
    if (r.has("reserve")) {
      r.expect(!r.is_array("reserve"), "reserve", "one reserve price per unit for every agent in the divisible market");
      ms.reserve = r.number("reserve");  // >= 0: checked with every mechanism's reserve (engine.cpp)
    }
    r.strategy(ms.strategy, "truthful", false);
  }
};

}  // namespace mcrev
