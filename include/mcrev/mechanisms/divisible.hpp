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
// Payments: vcg: t_i = W_{−i} − Σ_{j≠i} u_j(x*_j), with W_{−i} the optimal welfare without i (a second
//   water-filling; 0 when x*_i = 0), where Σ_{j≠i} is summed over the others directly so t_i does not
//   depend on i's own report (ex-post regret of truthful bidding is exactly 0);
//   pay_as_bid: t_i = u_i(x*_i) of the report; uniform_price: t_i = λ x*_i.
// Cost per profile: O((n + E)·n) for the merge (E = breakpoints above λ) plus O(n) water-fillings
// for vcg. Deterministic; no allocation, no recursion: device-compatible.
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

/// Most identities one agent may split into (incentives.sybil.aliases).
inline constexpr int kMaxIdentities = 8;

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
  struct Clearing {
    const Model* md;
    const double* b;
    const Identities* ids;
    double* cursor;  ///< n entries (work space): next breakpoint of each model agent
    double* next;    ///< n entries: its price (−inf: none left)
    int n, K;
    double id_cursor[kMaxIdentities], id_next[kMaxIdentities];

    MCREV_HD int agents() const { return n + K; }
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
    MCREV_HD double& cur(int a) { return a < n ? cursor[a] : id_cursor[a - n]; }
    MCREV_HD double& nxt(int a) { return a < n ? next[a] : id_next[a - n]; }
    MCREV_HD void load(int a) {
      double p, q;
      int kind;
      nxt(a) = breakpoint(curve(a), static_cast<int>(cur(a)), &p, &kind, &q) ? p : -HUGE_VAL;
    }
  };

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

  /// Water-filling (see the header comment) without agent `exclude` (−1: none) at floor price r.
  /// Writes λ and returns the welfare Σ u_a(x_a) of the reported curves; x: agents() allocations or null.
  MCREV_HD static double clear(Clearing& cl, int exclude, double r, double* lambda, double* x) {
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
      int best = -1;
      double beta = -HUGE_VAL;
      for (int a = 0; a < N; ++a)
        if (cl.nxt(a) > beta) {
          beta = cl.nxt(a);
          best = a;
        }
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

  /// Mechanism m's outcome with agent ids.agent (if any) replaced by its identities; agent i's
  /// allocation and payment are the sums over its identities. work: 2 n_bidders doubles.
  MCREV_HD static void run(const Model& md, int m, const double* b, double* work, const Identities& ids, Outcome& o) {
    const Mechanism& mech = md.mechanisms[m];
    o.clear_dense(md.n_bidders);
    Clearing cl;
    cl.md = &md;
    cl.b = b;
    cl.ids = &ids;
    cl.n = md.n_bidders;
    cl.K = ids.agent >= 0 ? ids.count : 0;
    cl.cursor = work;
    cl.next = work + md.n_bidders;
    const int n = cl.n, N = cl.agents();
    double xid[kMaxIdentities], tid[kMaxIdentities], uid[kMaxIdentities];
    double lambda;
    clear(cl, -1, mech.reserve, &lambda, nullptr);
    o.market_stat = lambda;
    // Allocations and reported utilities, with the arithmetic of clear(); o.transfer holds the
    // model agents' reported utilities until the payments replace them.
    double strict = 0.0, tied = 0.0;
    for (int a = 0; a < N; ++a) {
      if (!cl.present(a, -1)) continue;
      double t;
      strict += demand(cl.curve(a), lambda, &t);
      tied += t;
    }
    double left = md.market.supply - strict;
    left = left > 0.0 ? left : 0.0;
    const double share = tied > 0.0 ? (left >= tied ? 1.0 : left / tied) : 0.0;
    for (int a = 0; a < N; ++a) {
      double xa = 0.0, ua = 0.0;
      if (cl.present(a, -1)) {
        const Curve c = cl.curve(a);
        double t;
        xa = demand(c, lambda, &t);
        if (t > 0.0) xa += share == 1.0 ? t : t * share;
        ua = utility_value(c.utility, c.mv, c.m, c.size, c.vf, xa);
      }
      if (a < n) {
        o.alloc[a] = xa;
        o.transfer[a] = ua;
      } else {
        xid[a - n] = xa;
        uid[a - n] = ua;
      }
    }
    if (mech.kind == MechKind::DivPayAsBid) {
      for (int k = 0; k < cl.K; ++k) tid[k] = uid[k];
    } else if (mech.kind == MechKind::DivUniformPrice) {
      for (int a = 0; a < n; ++a) o.transfer[a] = lambda * o.alloc[a];
      for (int k = 0; k < cl.K; ++k) tid[k] = lambda * xid[k];
    } else {
      // vcg: t_a = W_{−a} − (Σ_{c<a} u_c + Σ_{c>a} u_c): neither sum involves a's own report.
      double prefix = 0.0;
      for (int a = 0; a < N; ++a) {
        const bool here = cl.present(a, -1);
        const double ua = a < n ? o.transfer[a] : uid[a - n];
        const double xa = a < n ? o.alloc[a] : xid[a - n];
        double t = 0.0;
        if (here && xa > 0.0) {
          double suffix = 0.0;
          for (int c = a + 1; c < N; ++c)
            if (cl.present(c, -1)) suffix += c < n ? o.transfer[c] : uid[c - n];
          double lam_minus;
          t = clear(cl, a, mech.reserve, &lam_minus, nullptr) - (prefix + suffix);
        }
        if (here) prefix += ua;
        if (a < n) o.transfer[a] = t;
        else tid[a - n] = t;
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
  /// quantity it allocates (*allocated). work: 2 n_bidders doubles.
  MCREV_HD static double first_best(const Model& md, const double* v, double r, double* work, double* allocated) {
    Identities none;
    Clearing cl;
    cl.md = &md;
    cl.b = v;
    cl.ids = &none;
    cl.n = md.n_bidders;
    cl.K = 0;
    cl.cursor = work;
    cl.next = work + md.n_bidders;
    double lambda;
    const double w = clear(cl, -1, r, &lambda, nullptr);
    double strict = 0.0, tied = 0.0;
    for (int a = 0; a < cl.n; ++a) {
      double t;
      strict += demand(cl.curve(a), lambda, &t);
      tied += t;
    }
    const double left = md.market.supply - strict;
    *allocated = strict + (tied < left ? tied : (left > 0.0 ? left : 0.0));
    return w;
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
      ms.reserve = r.number("reserve");
      r.expect(ms.reserve >= 0.0, "reserve", "the reserve price must be >= 0");
    }
    r.strategy(ms.strategy, "truthful", false);
  }
};

}  // namespace mcrev
