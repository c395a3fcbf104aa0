// mcrev: double auctions and bilateral trade — unit buyers and unit sellers (THEORY.md "Conventions
// for the general markets", double auction and Myerson–Satterthwaite; docs/two_sided.md, which
// derives every value the tests check).
//
// Market: double_auction. Groups carry a role: buyers (value v = what a unit is worth to them) and
// sellers (value c = the cost of the unit each owns). A trading buyer gets x = +1 and pays t > 0; a
// trading seller gets x = −1 (holding value −c) and receives −t > 0. Welfare Σ_i value_i(x_i) is
// the gains from trade; the budget surplus is Σ_i t_i.
//
// The book: buyers' reports sorted decreasingly b_(1) >= b_(2) >= ..., sellers' increasingly
// s_(1) <= s_(2) <= ...; the efficient quantity q = max{k : b_(k) >= s_(k)}. "The r highest buyers"
// are every buyer above b_(r) plus, when several reports tie with b_(r), a uniformly random subset
// of the tied ones (selection sampling in agent order, the mechanism's auxiliary stream); likewise
// for the r lowest sellers.
//  vcg:           the q highest buyers and q lowest sellers trade. A trading buyer pays
//                 max(s_(q), b_(q+1)), a trading seller receives min(b_(q), s_(q+1)) (its
//                 externality, the Clarke pivot); a missing order statistic (all buyers or all
//                 sellers trade) is −∞ for b_(q+1) and +∞ for s_(q+1), i.e. it drops out of the max /
//                 min. Bilateral trade: the buyer pays c, the seller receives v (deficit v − c).
//  posted_price:  buyers with b >= price and sellers with s <= price are willing; min(#willing buyers,
//                 #willing sellers) units trade at `price`; the long side is rationed uniformly at
//                 random (selection sampling).
//  k_double_auction (`k` in [0, 1]): the q efficient trades at the price p = (1 − k)·L + k·H, where
//                 [L, H] = [max(s_(q), b_(q+1)), min(b_(q), s_(q+1))] is the interval of market-clearing
//                 prices (missing order statistics drop out as for vcg). For m buyers and m sellers
//                 L and H are the m-th and (m+1)-th smallest of the 2m reports (the k-double auction of
//                 Rustichini–Satterthwaite–Williams 1994); for 1×1 the price is k·b + (1 − k)·s.
//  mcafee:        trade reduction (McAfee 1992): p0 = (b_(q+1) + s_(q+1))/2; if s_(q) <= p0 <= b_(q)
//                 all q pairs trade at p0; otherwise the q − 1 highest buyers pay b_(q) and the q − 1
//                 lowest sellers receive s_(q) (the mechanism keeps the difference). A missing
//                 b_(q+1) is taken at the lowest point of the buyers' supports, a missing s_(q+1) at
//                 the highest point of the sellers' supports (when that is infinite, the trade is
//                 always reduced); these are constants, so the rule stays dominant-strategy IC. 1×1 on
//                 U[0,1]: the posted price 1/2.
//  dagva:         the q efficient trades and the expected-externality transfers (THEORY.md "dAGVA"):
//                 t_i = −ξ_i(r_i) + (1/(n−1)) Σ_{j≠i} ξ_j(r_j), ξ_i(v) = E_{V−i}[Σ_{j≠i} value_j(x*_j(v,
//                 V−i))] with no additive constant (the canonical transfers; docs/two_sided.md). ξ of each
//                 group is tabulated on the host (host/solvers/two_sided.cpp) on a grid in the agent's
//                 quantile u = F(r) and interpolated linearly. Exact budget balance: the last agent's
//                 transfer is −(t_0 + ... + t_{n−2}) summed in agent order, so Σ_i t_i summed in agent
//                 order (write_metrics) is exactly 0.0 at every profile; mathematically it is the dAGVA
//                 transfer (the n transfers sum to 0), numerically it differs by rounding only.
//  second_best:   one buyer, one seller (Myerson–Satterthwaite 1983): reports are clamped to the
//                 supports; trade iff ψ_a(b) >= φ_a(s), ψ_a(v) = v − a(1 − F(v))/f(v),
//                 φ_a(c) = c + a·G(c)/g(c), a solved on the host (zero expected virtual surplus). The
//                 buyer pays T = P_B(b) + R_S(s) − E[R_S] and the seller receives T, where P_B(v) =
//                 v·X_B(v) − ∫_lo^v X_B and R_S(c) = c·X_S(c) + ∫_c^hi X_S are the interim payments of
//                 the BIC, interim-IR mechanism with worst types at zero (X: interim trade
//                 probabilities), tabulated on the host. Budget: exactly 0 at every profile (t_S = −T).
// Outcome: dense. Work: 2·n_bidders doubles (the book: reports, then owners). Cost O(n²) per profile
// (insertion sort; markets are small). TOML keys: price (posted_price), k (k_double_auction),
// strategy = truthful | shade | table | bne (k_double_auction: the Chatterjee–Samuelson linear
// equilibrium for uniform traders, solved in host/solvers/two_sided.cpp).
#pragma once

#include "mcrev/mechanisms/kinds.hpp"
#include "mcrev/model/model.hpp"

#include <cmath>
#include <string>

namespace mcrev {

namespace two_sided {

/// Linear interpolation in a table of K + 1 values on the uniform grid u = 0, 1/K, ..., 1.
MCREV_HD MCREV_INLINE double table_at(const double* tab, int K, double u) {
  double s = u * K;
  s = s < 0.0 ? 0.0 : (s > K ? K : s);
  int k = static_cast<int>(s);
  k = k > K - 1 ? K - 1 : k;
  const double w = s - k;
  return tab[k] + w * (tab[k + 1] - tab[k]);
}

/// Buyers' reports sorted decreasingly in val[0, nb), sellers' increasingly in val[nb, nb + ns);
/// own[c] is the agent of entry c. Insertion sort, stable (equal reports keep agent order).
struct Book {
  int nb = 0, ns = 0;
  double* val = nullptr;
  double* own = nullptr;
  MCREV_HD double buyer(int k) const { return val[k]; }       ///< b_(k+1)
  MCREV_HD double seller(int k) const { return val[nb + k]; }  ///< s_(k+1)
  /// The efficient quantity q = max{k : b_(k) >= s_(k)}.
  MCREV_HD int efficient_quantity() const {
    int q = 0;
    while (q < nb && q < ns && val[q] >= val[nb + q]) ++q;
    return q;
  }
};

MCREV_HD inline Book make_book(const Model& md, const double* b, double* work) {
  Book bk;
  bk.val = work;
  bk.own = work + md.n_bidders;
  for (int g = 0; g < md.n_groups; ++g) {
    const Group& gr = md.groups[g];
    if (gr.role != static_cast<int>(Role::Buyer)) continue;
    for (int i = gr.first; i < gr.first + gr.count; ++i) {
      const double x = b[i];
      int p = bk.nb++;
      while (p > 0 && bk.val[p - 1] < x) {
        bk.val[p] = bk.val[p - 1];
        bk.own[p] = bk.own[p - 1];
        --p;
      }
      bk.val[p] = x;
      bk.own[p] = i;
    }
  }
  for (int g = 0; g < md.n_groups; ++g) {
    const Group& gr = md.groups[g];
    if (gr.role != static_cast<int>(Role::Seller)) continue;
    for (int i = gr.first; i < gr.first + gr.count; ++i) {
      const double x = b[i];
      int p = bk.nb + bk.ns++;
      while (p > bk.nb && bk.val[p - 1] > x) {
        bk.val[p] = bk.val[p - 1];
        bk.own[p] = bk.own[p - 1];
        --p;
      }
      bk.val[p] = x;
      bk.own[p] = i;
    }
  }
  return bk;
}

/// Gives allocation x to r entries of the sorted list L[0, m) (owners own): with uniform = false the
/// first r, ties with L[r−1] broken at random; with uniform = true a uniformly random r of all m.
/// Random choices: selection sampling in list order from aux.
MCREV_HD inline void mark(const double* L, const double* own, int m, int r, bool uniform, Stream& aux, double x,
                          Outcome& o) {
  if (r <= 0) return;
  int a = 0, e = m;
  if (!uniform) {
    const double tau = L[r - 1];
    a = r - 1;
    while (a > 0 && L[a - 1] == tau) --a;
    e = r;
    while (e < m && L[e] == tau) ++e;
  }
  for (int c = 0; c < a; ++c) o.alloc[static_cast<int>(own[c])] = x;
  int need = r - a, tied = e - a;
  for (int c = a; c < e && need > 0; ++c) {
    const bool take = tied == need || aux.below(tied) < need;
    if (take) {
      o.alloc[static_cast<int>(own[c])] = x;
      --need;
    }
    --tied;
  }
}

/// The r highest buyers and the r lowest sellers of the book trade (x = +1 / −1).
MCREV_HD inline void trade_top(const Book& bk, int r, Stream& aux, Outcome& o) {
  mark(bk.val, bk.own, bk.nb, r, false, aux, 1.0, o);
  mark(bk.val + bk.nb, bk.own + bk.nb, bk.ns, r, false, aux, -1.0, o);
}

/// Every trading buyer pays pb, every trading seller receives ps.
MCREV_HD inline void set_prices(const Model& md, double pb, double ps, Outcome& o) {
  for (int i = 0; i < md.n_bidders; ++i)
    o.transfer[i] = o.alloc[i] > 0.0 ? pb : (o.alloc[i] < 0.0 ? -ps : 0.0);
}

/// Σ_i t_i = 0.0 exactly when summed in agent order: the last agent's transfer becomes the negated
/// sum of the others'.
MCREV_HD inline void balance_last(const Model& md, Outcome& o) {
  const int n = md.n_bidders;
  double s = 0.0;
  for (int i = 0; i < n - 1; ++i) s += o.transfer[i];
  o.transfer[n - 1] = -s;
}

/// Expected-externality transfers from the host tables (ξ per group at mech.data) given the
/// allocation: t_i = −ξ_i + (Σ_j ξ_j − ξ_i)/(n − 1), then balance_last.
MCREV_HD inline void dagva_transfers(const Model& md, const Mechanism& mech, const double* b, Outcome& o) {
  const int n = md.n_bidders;
  const int K = static_cast<int>(md.arena[mech.data]);
  double total = 0.0;
  for (int g = 0; g < md.n_groups; ++g) {
    const Group& gr = md.groups[g];
    const double* tab = md.arena + mech.data + 1 + g * (K + 1);
    for (int i = gr.first; i < gr.first + gr.count; ++i) {
      const double xi = table_at(tab, K, gr.dist.cdf(b[i], md.arena));
      o.transfer[i] = xi;  // ξ_i, turned into t_i below
      total += xi;
    }
  }
  const double inv = 1.0 / (n - 1);
  for (int i = 0; i < n; ++i) o.transfer[i] = -o.transfer[i] + (total - o.transfer[i]) * inv;
  balance_last(md, o);
}

}  // namespace two_sided

/// Arena layout of second_best at Mechanism::data: a, K, E[R_S], then P_B on the buyer's quantile
/// grid (K + 1), then R_S on the seller's quantile grid (K + 1).
struct SecondBestData {
  static constexpr int kA = 0, kK = 1, kConst = 2, kTables = 3;
};

struct DoubleAuction {
  static constexpr bool kReportsAreValues = false;  ///< reports are bids / asks under the strategy

  MCREV_HD static void allocate(const Model& md, int m, std::uint64_t profile, const double* b, double* work,
                                Outcome& o) {
    const Mechanism& mech = md.mechanisms[m];
    o.clear_dense(md.n_bidders);
    Stream aux(md.seed, profile, aux_lane(m));
    if (mech.kind == MechKind::SecondBest) return second_best(md, mech, b, o);
    const two_sided::Book bk = two_sided::make_book(md, b, work);
    if (mech.kind == MechKind::DaPostedPrice) {
      const double p = mech.price;
      int wb = 0, ws = 0;
      while (wb < bk.nb && bk.buyer(wb) >= p) ++wb;
      while (ws < bk.ns && bk.seller(ws) <= p) ++ws;
      const int r = wb < ws ? wb : ws;
      two_sided::mark(bk.val, bk.own, wb, r, true, aux, 1.0, o);
      two_sided::mark(bk.val + bk.nb, bk.own + bk.nb, ws, r, true, aux, -1.0, o);
      return two_sided::set_prices(md, p, p, o);
    }
    const int q = bk.efficient_quantity();
    if (mech.kind == MechKind::DaDagva) {  // transfers at every profile, with or without trade
      two_sided::trade_top(bk, q, aux, o);
      return two_sided::dagva_transfers(md, mech, b, o);
    }
    if (q == 0) return;
    // The interval of clearing prices [L, H] (missing order statistics drop out).
    const double bq = bk.buyer(q - 1), sq = bk.seller(q - 1);
    const double L = q < bk.nb && bk.buyer(q) > sq ? bk.buyer(q) : sq;
    const double H = q < bk.ns && bk.seller(q) < bq ? bk.seller(q) : bq;
    switch (mech.kind) {
      case MechKind::DaVcg:
        two_sided::trade_top(bk, q, aux, o);
        return two_sided::set_prices(md, L, H, o);
      case MechKind::KDoubleAuction: {
        two_sided::trade_top(bk, q, aux, o);
        const double p = (1.0 - mech.weight) * L + mech.weight * H;
        return two_sided::set_prices(md, p, p, o);
      }
      case MechKind::McAfee: {
        double blow = HUGE_VAL, shigh = -HUGE_VAL;
        for (int g = 0; g < md.n_groups; ++g) {
          const Group& gr = md.groups[g];
          if (gr.role == static_cast<int>(Role::Buyer)) blow = gr.dist.low < blow ? gr.dist.low : blow;
          else shigh = gr.dist.high > shigh ? gr.dist.high : shigh;
        }
        const double b1 = q < bk.nb ? bk.buyer(q) : blow;
        const double s1 = q < bk.ns ? bk.seller(q) : shigh;
        const double p0 = 0.5 * (b1 + s1);
        if (p0 - p0 == 0.0 && sq <= p0 && p0 <= bq) {  // p0 finite
          two_sided::trade_top(bk, q, aux, o);
          return two_sided::set_prices(md, p0, p0, o);
        }
        two_sided::trade_top(bk, q - 1, aux, o);
        return two_sided::set_prices(md, bq, sq, o);
      }
      default: return;
    }
  }

  /// ψ_a(v) = v − a(1 − F(v))/f(v) of the buyer (seller = false) or φ_a(c) = c + a·G(c)/g(c) of the seller.
  MCREV_HD static double weighted_virtual(const Distribution& d, const double* arena, double a, double x, bool seller) {
    const double f = d.pdf(x, arena);
    const double F = d.cdf(x, arena);
    if (seller) return a == 0.0 ? x : x + a * F / f;
    return a == 0.0 ? x : x - a * (1.0 - F) / f;
  }

  MCREV_HD static void second_best(const Model& md, const Mechanism& mech, const double* b, Outcome& o) {
    const int gb = md.groups[0].role == static_cast<int>(Role::Buyer) ? 0 : 1, gs = 1 - gb;
    const Group& B = md.groups[gb];
    const Group& S = md.groups[gs];
    const double* d = md.arena + mech.data;
    const double a = d[SecondBestData::kA];
    const int K = static_cast<int>(d[SecondBestData::kK]);
    auto clamp = [](double x, const Distribution& dist) { return x < dist.low ? dist.low : (x > dist.high ? dist.high : x); };
    const double v = clamp(b[B.first], B.dist), c = clamp(b[S.first], S.dist);
    const double uv = B.dist.cdf(v, md.arena), uc = S.dist.cdf(c, md.arena);
    const double T = two_sided::table_at(d + SecondBestData::kTables, K, uv) +
                     two_sided::table_at(d + SecondBestData::kTables + K + 1, K, uc) - d[SecondBestData::kConst];
    o.transfer[B.first] = T;
    o.transfer[S.first] = -T;
    if (weighted_virtual(B.dist, md.arena, a, v, false) >= weighted_virtual(S.dist, md.arena, a, c, true)) {
      o.alloc[B.first] = 1.0;
      o.alloc[S.first] = -1.0;
    }
  }

  template <class Keys, class Spec>
  static void read(Keys& r, Spec& ms) {
    r.forbid("reserve", "does not apply to double auctions");
    if (ms.kind == MechKind::DaPostedPrice) ms.price = r.number("price");
    else r.forbid("price", "applies to posted_price only");
    if (ms.kind == MechKind::KDoubleAuction) {
      ms.weight = r.number("k");
      r.expect(ms.weight >= 0.0 && ms.weight <= 1.0, "k", "must lie in [0, 1]");
      r.strategy(ms.strategy, "truthful", true);
    } else {
      r.forbid("k", "applies to k_double_auction only");
      if (ms.kind == MechKind::DaVcg || ms.kind == MechKind::McAfee || ms.kind == MechKind::DaPostedPrice)
        r.strategy(ms.strategy, "truthful", false);
      else  // dagva, second_best: direct mechanisms (BIC), reports are the types
        for (const char* k : {"strategy", "factor", "file"}) r.forbid(k, "does not apply to " + r.kind_name() + " (a direct mechanism: reports are the types)");
    }
  }
};

}  // namespace mcrev
