// The single-item fast path of the CPU backend over a batch (see cpu_fast.hpp).
//
// Compiled with -ffp-contract=off (CMakeLists.txt), like cpu_batch.cpp: no multiply-add is fused, so
// every instruction set gives the bits of mcrev/pipeline/fast_single_item.hpp's scalar arithmetic,
// which are those of the generic pipeline. The loops over the profiles of a batch are compiled three
// times (portable, AVX2, AVX-512F) and chosen at run time with the rest of the backend (best_isa).
#include "backends/cpu_fast.hpp"
#include "backends/cpu_vec.hpp"

#include <cctype>

#include "mcrev/core/error.hpp"
#include "mcrev/engine.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <cstdlib>

namespace mcrev::cpu {

namespace {

// Columns of the structure-of-arrays rows: a batch of FastBatch::run (at most kMaxBatch profiles) or of
// run_leaves (16 profiles of each of the 8 leaves).
constexpr int S = 2 * kMaxBatch;

using simd::loadv;
using simd::splat;
using simd::storev;
using simd::Vd;

// One agent's bid x into the running top two bst >= sec of W profiles: fast::top_step's selections,
// lane by lane (they move values, never compute any).
template <int W>
MCREV_FAST_INLINE void push_top(const Vd<W> x, Vd<W>& bst, Vd<W>& sec) {
  const Vd<W> lo = x < bst ? x : bst;
  sec = lo > sec ? lo : sec;
  bst = x > bst ? x : bst;
}

}  // namespace

struct FastBatch::Scratch {
  alignas(64) double u[fast::kMaxBidders * S];  // uniforms, then (same array) values: v[k * S + j]
  alignas(64) double bids[fast::kMaxBidders * S];
  alignas(64) double aux[S];  // the posted price's uniform (auxiliary stream, word 0)
  alignas(64) double vmax[S], base[S], rev[S];
  alignas(64) double best[S], second[S], vw[S], gw[S], ties[S], sale[S];
  alignas(64) double wel[S], alloc[S], held[S], paid[S], util[S];
  alignas(64) double flag[S];  // 1: a tie at the top of some auction (the generic path evaluates it)
  double agent_values[fast::kMaxBidders];
  // run_leaves: the batch's metric columns ([metric][column]), the eight leaves' sums ([metric][leaf],
  // [pair][leaf]) and one row (a tie's generic evaluation).
  std::vector<double> cols, shift, s1, s2, sxy, row;
};

namespace {

using fast::FastMech;
using fast::FastPlan;
using fast::Rule;

template <StrategyKind K>
MCREV_FAST_INLINE void bids_of(const Strategy& st, const double* __restrict v, double* __restrict b, int count) {
  for (int j = 0; j < count; ++j) b[j] = st.closed_form_bid<K>(v[j]);
}

// int_pow (mcrev/strategies/strategy.hpp) for a vector, the same multiplications in the same order.
template <class T>
MCREV_FAST_INLINE T int_pow_v(T x, int k) {
  T r = x * 0.0 + 1.0;
  bool first = true;
  while (k > 0) {
    if (k & 1) {
      r = first ? x : r * x;  // 1.0 · x is x
      first = false;
    }
    x *= x;
    k >>= 1;
  }
  return r;
}

// Strategy::closed_form_bid<K> of the closed-form equilibria, W values at a time (the count rounded up
// to W: the entries past it are computed and never read); n = NB a constant, so the squarings unroll.
// Single selections only (see sparse_cols).
template <StrategyKind K, int NB, int W>
MCREV_FAST_INLINE void bids_of_n(const Strategy& st, const double* v, double* b, int count) {
  using V = Vd<W>;
  const V low = splat<W>(st.low), width = splat<W>(st.width), entry = splat<W>(st.entry), none = splat<W>(kNoBid),
          n = splat<W>(static_cast<double>(NB)), zero = splat<W>(0.0), one = splat<W>(1.0);
  const bool has_entry = st.t_entry > 0.0;
  const V t_entry = splat<W>(st.t_entry), floor = splat<W>(st.floor);
  const V entry_pow = splat<W>(int_pow(st.t_entry, NB));
  for (int j = 0; j < count; j += W) {
    const V x = loadv<W>(v + j);
    const V t = (x - low) / width;
    V r;
    if constexpr (K == StrategyKind::UniformFirstPrice) {
      const V q = has_entry ? int_pow_v(t_entry / t, NB) : zero;
      const V bid = x - width * t * (one - q) / n;
      r = t > zero ? bid : x;  // !(t > 0) ? v : b
    } else {
      const V bid = x * int_pow_v(t, NB - 1) - width * (int_pow_v(t, NB) - entry_pow) / n;
      r = bid > floor ? bid : floor;
    }
    storev<W>(b + j, x < entry ? none : r);
  }
}

template <StrategyKind K, int W>
MCREV_FAST_INLINE void equilibrium_bids(const Strategy& st, const double* v, double* b, int count) {
  switch (st.n) {
    case 2: return bids_of_n<K, 2, W>(st, v, b, count);
    case 3: return bids_of_n<K, 3, W>(st, v, b, count);
    case 4: return bids_of_n<K, 4, W>(st, v, b, count);
    case 5: return bids_of_n<K, 5, W>(st, v, b, count);
    case 6: return bids_of_n<K, 6, W>(st, v, b, count);
    case 8: return bids_of_n<K, 8, W>(st, v, b, count);
    case 10: return bids_of_n<K, 10, W>(st, v, b, count);
    default: return bids_of<K>(st, v, b, count);
  }
}

// Where metric k of a mechanism's block (at offset off) of the j-th profile of the batch goes: row j of
// xs (xs + j * row + off + k: FastBatch::run) or column j of row off + k (xs + (off + k) * S + j:
// FastBatch::run_leaves).
template <bool kCols>
MCREV_FAST_INLINE double& at(double* xs, int row, int off, int j, int k) {
  return kCols ? xs[(off + k) * S + j] : xs[j * row + off + k];
}

// The sparse outcome's metrics as columns: fast::sparse_metrics' arithmetic, one metric at a time
// over the batch (vectorized).
template <int kG, int W>
MCREV_FAST_INLINE void sparse_cols(const FastPlan& p, const FastMech& mk, FastBatch::Scratch& s, const double* price,
                                   int count, double* xs, int off, bool is_base) {
  const int G = kG > 0 ? kG : p.n_groups;
  using V = Vd<W>;
  const V v0 = splat<W>(mk.seller_value), zero = splat<W>(0.0), one = splat<W>(1.0);
  double* __restrict c = xs + off * S;
  // The groups' constants as locals: read through p inside the loop they were reloaded (the stores
  // to the scratch rows may alias p) and splatted lane by lane every iteration.
  double inv_g[kMaxGroups], lo_g[kMaxGroups], hi_g[kMaxGroups];
  for (int g = 0; g < G; ++g) {
    inv_g[g] = p.group_inv[g];
    lo_g[g] = p.group_first[g];
    hi_g[g] = p.group_first[g + 1];
  }
  for (int j = 0; j < count; j += W) {
    const auto sale = loadv<W>(s.sale + j) != zero;
    const V pr = loadv<W>(price + j), value = loadv<W>(s.vw + j) * one, vmax = loadv<W>(s.vmax + j);
    const V revenue = sale ? pr : zero;
    const V welfare = sale ? value : zero;
    const V allocated = sale ? one : zero;
    const V baseline = is_base ? revenue : loadv<W>(s.base + j);
    const V unsold = one - allocated;  // fast::tail_metrics
    const V kept = unsold == zero ? zero : v0 * unsold;
    storev<W>(s.rev + j, revenue);
    storev<W>(c + metric::kRevenue * S + j, revenue);
    storev<W>(c + metric::kWelfare * S + j, welfare);
    storev<W>(c + metric::kSellerUtility * S + j, revenue + kept);
    storev<W>(c + metric::kNoSale * S + j, unsold);
    storev<W>(c + metric::kRevenueDiff * S + j, revenue - baseline);
    storev<W>(c + metric::kSurplus * S + j, welfare + kept);
    storev<W>(c + metric::kOptSurplus * S + j, vmax > v0 ? vmax : v0);
    for (int g = 0; g < G; ++g) {
      const V inv = splat<W>(inv_g[g]);
      const V gw = loadv<W>(s.gw + j);
      // the winner is in group g: a sale, and its index in [group_first[g], group_first[g + 1])
      // (products of 0/1, not nested selections, which GCC lowers lane by lane)
      const V lo = splat<W>(lo_g[g]), hi = splat<W>(hi_g[g]);
      const V above = gw >= lo ? gw : splat<W>(-1.0);  // -1: no agent index
      const V in = kG == 1 ? one : (above < hi ? (above == splat<W>(-1.0) ? zero : one) : zero);
      const V here = sale ? in : zero;
      storev<W>(c + metric::win(g) * S + j, here == one ? one * inv : zero);
      storev<W>(c + metric::payment(g) * S + j, here == one ? pr * inv : zero);
      storev<W>(c + metric::utility(g) * S + j, here == one ? (value - pr) * inv : zero);
    }
  }
}

// The sparse outcome's metric rows from the columns sale, gw (agent index), vw, price; kG > 0: the
// plan has kG groups (the group of the winner is then 0 for kG == 1).
template <int kG, bool kCols, int W>
MCREV_FAST_INLINE void sparse_rows(const FastPlan& p, const FastMech& mk, FastBatch::Scratch& s, const double* price,
                                   int count, double* xs, int row, int off, bool is_base) {
  if (kCols) return sparse_cols<kG, W>(p, mk, s, price, count, xs, off, is_base);
  const int G = kG > 0 ? kG : p.n_groups;
  for (int j = 0; j < count; ++j) {
    const bool sale = s.sale[j] != 0.0;
    int g = 0;
    if (kG != 1)
      while (g + 1 < G && s.gw[j] >= p.group_first[g + 1]) ++g;
    const double base = is_base ? (sale ? price[j] : 0.0) : s.base[j];
    s.rev[j] = fast::sparse_metrics<kG>(p, mk.seller_value, sale, g, s.vw[j], price[j], s.vmax[j], base,
                                        xs + j * row + off);
  }
}

// The per-batch work of one mechanism: its bids, its outcome per profile, its metric rows (block at
// xs + j * row + off). The loops run over the profiles j of the batch (vectorizable); the arithmetic
// is the fast header's per-profile building blocks. kG as in sparse_rows.
// The top pass's results for columns [j0, j0 + W): the best and second-best eligible bids, the
// winner's value and agent index, the sale, and the tie flag (second == best > kNoBid, ORed into the
// flags of the earlier mechanisms; single selections: GCC lowers a nested selection, or one on a
// combination of masks, lane by lane).
template <int W>
MCREV_FAST_INLINE void store_top(FastBatch::Scratch& s, int j0, Vd<W> bst, Vd<W> sec, Vd<W> w, Vd<W> a) {
  using V = Vd<W>;
  const V none = splat<W>(kNoBid), zero = splat<W>(0.0), one = splat<W>(1.0);
  storev<W>(s.best + j0, bst);
  storev<W>(s.second + j0, sec);
  storev<W>(s.vw + j0, w);
  storev<W>(s.gw + j0, a);
  storev<W>(s.sale + j0, bst == none ? zero : one);  // best > kNoBid (never NaN)
  const V top = sec == bst ? bst : none, was = loadv<W>(s.flag + j0);
  const V tie = top == none ? zero : one;
  storev<W>(s.flag + j0, tie > was ? tie : was);
}

// Whether every group of the mechanism bids truthfully (its bids are then its values).
template <int kG>
MCREV_FAST_INLINE bool all_truthful(const FastPlan& p, const FastMech& mk) {
  const int G = kG > 0 ? kG : p.n_groups;
  bool truthful = true;
  for (int g = 0; g < G; ++g) truthful = truthful && mk.strategy[g].kind == StrategyKind::Truthful;
  return truthful;
}

// The mechanism's bids, group by group (the strategy's kind hoisted out of the loop over profiles): the
// values s.u themselves when every group bids truthfully, else the rows s.bids.
template <int kG, int W>
MCREV_FAST_INLINE const double* bids_pass(const FastPlan& p, const FastMech& mk, FastBatch::Scratch& s, int count) {
  const int G = kG > 0 ? kG : p.n_groups;
  const double* v = s.u;
  if (all_truthful<kG>(p, mk)) return v;
  for (int g = 0; g < G; ++g)
    for (int k = p.group_first[g]; k < p.group_first[g + 1]; ++k) {
      const Strategy& st = mk.strategy[g];
      double* out = s.bids + k * S;
      const double* in = v + k * S;
      switch (st.kind) {
        case StrategyKind::Shade: bids_of<StrategyKind::Shade>(st, in, out, count); break;
        case StrategyKind::UniformFirstPrice: equilibrium_bids<StrategyKind::UniformFirstPrice, W>(st, in, out, count); break;
        case StrategyKind::UniformAllPay: equilibrium_bids<StrategyKind::UniformAllPay, W>(st, in, out, count); break;
        default: std::copy(in, in + count, out); break;
      }
    }
  return s.bids;
}

template <int kG, bool kCols, int W>
MCREV_FAST_INLINE void mechanism_rows(const FastPlan& p, const FastMech& mk, FastBatch::Scratch& s, int count,
                                      double* xs, int row, int off, bool is_base, Isa isa, std::uint64_t first,
                                      std::uint64_t leaf) {
  const int n = p.n, G = kG > 0 ? kG : p.n_groups;
  const double v0 = mk.seller_value;
  const double* v = s.u;
  double* __restrict vw = s.vw;
  double* __restrict gw = s.gw;
  double* __restrict sale = s.sale;
  if (mk.rule == Rule::PostedPrice) {  // PriceOffer: the pick-th buyer at or above the price
    if (kCols)
      stream_uniforms_interleaved(isa, p.seed, mk.aux_lane, first, leaf, count, 1, s.aux, S);
    else
      stream_uniforms(isa, p.seed, mk.aux_lane, first, count, 1, s.aux, S);
    double* __restrict cnt = s.ties;
    double* __restrict seen = s.second;
    double* __restrict pick = s.best;
    double* __restrict price = s.held;
    const double pp = mk.price;
    for (int j = 0; j < count; ++j) cnt[j] = seen[j] = vw[j] = gw[j] = 0.0;
    for (int k = 0; k < n; ++k) {
      const double* __restrict vk = v + k * S;
      for (int j = 0; j < count; ++j) cnt[j] += vk[j] >= pp ? 1.0 : 0.0;
    }
    for (int j = 0; j < count; ++j) {
      const double drawn = fast::below(s.aux[j], cnt[j]);  // used when cnt > 1 (as the generic draw)
      pick[j] = cnt[j] > 1.0 ? drawn : 0.0;
      sale[j] = cnt[j] > 0.0 ? 1.0 : 0.0;
      price[j] = pp;
    }
    for (int k = 0; k < n; ++k) {
      const double* __restrict vk = v + k * S;
      const double kd = k;
      for (int j = 0; j < count; ++j) {
        const bool in = vk[j] >= pp;
        const bool take = in & (seen[j] == pick[j]);
        vw[j] = take ? vk[j] : vw[j];
        gw[j] = take ? kd : gw[j];
        seen[j] += in ? 1.0 : 0.0;
      }
    }
    return sparse_rows<kG, kCols, W>(p, mk, s, price, count, xs, row, off, is_base);
  }
  const bool truthful = all_truthful<kG>(p, mk);
  const double* b = bids_pass<kG, W>(p, mk, s, count);
  // argmax_bid's two passes in one: top_step, and the first agent at the highest eligible bid (its
  // value, its index). Without a tie at the top it is argmax_bid's winner; a tie (two eligible agents
  // at the highest bid) is exactly second == best > kNoBid, and the generic path takes it. W profiles
  // at a time, their running top two and winner in registers (columns past count, up to the next
  // multiple of W, are computed and never read).
  double* __restrict best = s.best;
  double* __restrict second = s.second;
  using V = Vd<W>;
  const V none = splat<W>(kNoBid), zero = splat<W>(0.0);
  if (kG == 1) {
    // One group, one reserve r: top_step's eligibility x = b >= r ? b : kNoBid is a non-decreasing map
    // of the bid, and top_step's selections pick input values, so the top two of the eligible bids are
    // the top two of the bids, mapped afterwards (same values, same bits); the winner (the first agent
    // at the highest bid) is the same agent. Truthful: its value is its bid, the highest.
    const V r = splat<W>(mk.reserve[0]);
    for (int j0 = 0; j0 < count; j0 += W) {
      V bst = none, sec = none, w = zero;
      for (int k = 0; k < n; ++k) {
        const V x = loadv<W>(b + k * S + j0);
        if (!truthful) w = x > bst ? loadv<W>(v + k * S + j0) : w;
        push_top<W>(x, bst, sec);
      }
      if (truthful) w = bst;
      bst = bst >= r ? bst : none;
      sec = sec >= r ? sec : none;
      store_top<W>(s, j0, bst, sec, w, zero);
    }
  } else
  for (int j0 = 0; j0 < count; j0 += W) {
    V bst = none, sec = none, w = zero, a = zero;
    for (int g = 0; g < G; ++g) {
      const V r = splat<W>(mk.reserve[g]);
      for (int k = p.group_first[g]; k < p.group_first[g + 1]; ++k) {
        const V bk = loadv<W>(b + k * S + j0);
        const V x = bk >= r ? bk : none;  // fast::top_step, lane by lane
        const auto up = x > bst;
        w = up ? loadv<W>(v + k * S + j0) : w;
        if (kG != 1) a = up ? splat<W>(k) : a;  // one group: the winner's group is 0
        push_top<W>(x, bst, sec);
      }
    }
    store_top<W>(s, j0, bst, sec, w, a);
  }
  if (mk.rule == Rule::AllPay) {
    double* __restrict rev = s.rev;
    double* __restrict wel = s.wel;
    double* __restrict alloc = s.alloc;
    for (int j = 0; j < count; ++j) rev[j] = wel[j] = alloc[j] = 0.0;
    for (int g = 0; g < G; ++g) {
      const double r = mk.reserve[g];
      double* __restrict held = s.held;
      double* __restrict paid = s.paid;
      double* __restrict util = s.util;
      for (int j = 0; j < count; ++j) held[j] = paid[j] = util[j] = 0.0;
      for (int k = p.group_first[g]; k < p.group_first[g + 1]; ++k) {
        const double* __restrict bk = b + k * S;
        const double* __restrict vk = v + k * S;
        for (int j = 0; j < count; ++j) {
          const double bj = bk[j];
          const bool win = (best[j] > kNoBid) & (bj == best[j]) & (bj >= r);
          const double t = ((bj > kNoBid) & !(bj < r)) ? bj : 0.0;  // all_pay_outcome's transfer
          const double x = win ? 1.0 : 0.0;
          rev[j] += t;
          const double value = vk[j] * x;
          const double u = value - t;
          wel[j] += value;
          alloc[j] += x * 1.0;
          held[j] += x;
          paid[j] += t;
          util[j] += u;
        }
      }
      const double inv = p.group_inv[g];
      for (int j = 0; j < count; ++j) {
        at<kCols>(xs, row, off, j, metric::win(g)) = held[j] * inv;
        at<kCols>(xs, row, off, j, metric::payment(g)) = paid[j] * inv;
        at<kCols>(xs, row, off, j, metric::utility(g)) = util[j] * inv;
      }
    }
    for (int j = 0; j < count; ++j) {
      const double base = is_base ? rev[j] : s.base[j];
      if (!kCols) {
        fast::tail_metrics(v0, rev[j], wel[j], alloc[j], s.vmax[j], base, xs + j * row + off);
        continue;
      }
      double t[metric::kPerGroupBase];
      fast::tail_metrics(v0, rev[j], wel[j], alloc[j], s.vmax[j], base, t);
      for (int k = 0; k < metric::kPerGroupBase; ++k) at<kCols>(xs, row, off, j, k) = t[k];
    }
    return;
  }
  double* __restrict price = s.held;
  if (mk.rule == Rule::SecondPrice) {
    if (kG == 1) {
      const double r = mk.reserve[0];
      for (int j = 0; j < count; ++j) price[j] = second[j] > r ? second[j] : r;
    } else {
      for (int j = 0; j < count; ++j) {
        int g = 0;
        while (g + 1 < G && gw[j] >= p.group_first[g + 1]) ++g;
        const double r = mk.reserve[g];
        price[j] = second[j] > r ? second[j] : r;
      }
    }
  } else {
    for (int j = 0; j < count; ++j) price[j] = best[j];  // first price: the winner's bid
  }
  sparse_rows<kG, kCols, W>(p, mk, s, price, count, xs, row, off, is_base);
}

// The batch's uniforms, then (in place) its values, and max_i v_i (max_value's order) in the same pass.
// kCols: the batch is eight interleaved leaves (see batch_loops).
template <bool kCols>
MCREV_FAST_INLINE void draw_values(const Model& md, const FastPlan& p, Isa isa, FastBatch::Scratch& s,
                                   std::uint64_t first, std::uint64_t leaf, int count) {
  const int n = p.n;
  if (kCols)
    stream_uniforms_interleaved(isa, p.seed, kValueLane, first, leaf, count, n, s.u, S);
  else
    stream_uniforms(isa, p.seed, kValueLane, first, count, n, s.u, S);
  double* __restrict vmax = s.vmax;
  for (int g = 0; g < p.n_groups; ++g) {
    const Distribution& d = p.dist[g];
    for (int k = p.group_first[g]; k < p.group_first[g + 1]; ++k) {
      double* __restrict uk = s.u + k * S;
      if (d.kind == DistKind::Uniform) {  // inline: vectorized for this instruction set
        if (k == 0)
          for (int j = 0; j < count; ++j) vmax[j] = uk[j] = d.quantile_of<DistKind::Uniform>(uk[j], md.arena);
        else
          for (int j = 0; j < count; ++j) {
            const double x = d.quantile_of<DistKind::Uniform>(uk[j], md.arena);
            uk[j] = x;
            vmax[j] = x > vmax[j] ? x : vmax[j];
          }
        continue;
      }
      quantiles_batch(d, md.arena, uk, count, uk, 1);
      if (k == 0)
        std::copy(uk, uk + count, vmax);
      else
        for (int j = 0; j < count; ++j) vmax[j] = uk[j] > vmax[j] ? uk[j] : vmax[j];
    }
  }
}

// The whole batch for one instruction set (the loops above inlined into it). kCols: the batch is eight
// interleaved leaves (column j = profile first + (j % 8) · leaf + j / 8) and the metrics go to columns.
template <int kG, bool kCols, int W>
MCREV_FAST_INLINE void batch_loops(const Model& md, const FastPlan& p, Isa isa, FastBatch::Scratch& s,
                                   std::uint64_t first, std::uint64_t leaf, int count, double* xs, int row) {
  draw_values<kCols>(md, p, isa, s, first, leaf, count);
  if (kCols)  // count == S: whole vectors (GCC made a rep stos of the fill)
    for (int j = 0; j < S; j += W) storev<W>(s.flag + j, splat<W>(0.0));
  else
    std::fill(s.flag, s.flag + count, 0.0);
  const int B = p.block();
  for (int m = 0; m < p.n_mechanisms; ++m) {
    mechanism_rows<kG, kCols, W>(p, p.mech[m], s, count, xs, row, m * B, m == 0, isa, first, leaf);
    if (m == 0) std::copy(s.rev, s.rev + count, s.base);
  }
}

// A full batch (count = kMaxBatch, nearly every batch) with the count a constant: every loop's trip
// count is known, so the vector loops need no remainder handling.
template <int kG, int W>
MCREV_FAST_INLINE void batch_body(const Model& md, const FastPlan& p, Isa isa, FastBatch::Scratch& s,
                                  std::uint64_t first, int count, double* xs, int row) {
  if (count == S)
    batch_loops<kG, false, W>(md, p, isa, s, first, 0, S, xs, row);
  else
    batch_loops<kG, false, W>(md, p, isa, s, first, 0, count, xs, row);
}

// The rows [J0, 8) of the batch's columns into the sums. Pair q (MechanismPairs: mechanism q's surplus
// and optimal surplus, adjacent metrics) rides along its two metrics, from the same differences.
template <int W, int J0>
MCREV_FAST_INLINE void accumulate_rows(const double* __restrict c, const double* __restrict shift,
                                       double* __restrict s1, double* __restrict s2, double* __restrict sxy, int K,
                                       int B) {
  static_assert(metric::kOptSurplus == metric::kSurplus + 1, "a pair is two adjacent metrics");
  constexpr int L = FastBatch::kLeaves;
  using V = Vd<W>;
  for (int k = 0, q = 0, kb = 0; k < K; ++k, ++kb) {  // kb = k % B, q = k / B (no division)
    if (kb == B) kb = 0, ++q;
    if (kb == metric::kSurplus) {
      for (int h = 0; h < L; h += W) {
        const V shi = loadv<W>(shift + k * L + h), shj = loadv<W>(shift + (k + 1) * L + h);
        V a1i = loadv<W>(s1 + k * L + h), a2i = loadv<W>(s2 + k * L + h);
        V a1j = loadv<W>(s1 + (k + 1) * L + h), a2j = loadv<W>(s2 + (k + 1) * L + h);
        V axy = loadv<W>(sxy + q * L + h);
        for (int jj = J0; jj < S / L; ++jj) {
          const V di = loadv<W>(c + k * S + jj * L + h) - shi;
          const V dj = loadv<W>(c + (k + 1) * S + jj * L + h) - shj;
          a1i += di;
          a2i += di * di;
          a1j += dj;
          a2j += dj * dj;
          axy += di * dj;
        }
        storev<W>(s1 + k * L + h, a1i);
        storev<W>(s2 + k * L + h, a2i);
        storev<W>(s1 + (k + 1) * L + h, a1j);
        storev<W>(s2 + (k + 1) * L + h, a2j);
        storev<W>(sxy + q * L + h, axy);
      }
      ++k, ++kb;  // the optimal surplus is done
      continue;
    }
    for (int h = 0; h < L; h += W) {
      const V sh = loadv<W>(shift + k * L + h);
      V a1 = loadv<W>(s1 + k * L + h), a2 = loadv<W>(s2 + k * L + h);
      for (int jj = J0; jj < S / L; ++jj) {
        const V d = loadv<W>(c + k * S + jj * L + h) - sh;
        a1 += d;
        a2 += d * d;
      }
      storev<W>(s1 + k * L + h, a1);
      storev<W>(s2 + k * L + h, a2);
    }
  }
}

// leaf_add for the batch's eight interleaved leaves: lane l of every accumulator is leaf l, and the
// profiles of a leaf (columns l, 8 + l, ..., 56 + l) are added in order, so each leaf's sums are
// bitwise what leaf_add gives profile after profile (LeafAccumulator); the lanes vectorize instead of
// the metrics. first_batch: the leaves' first profiles set the shifts (leaf_add with n = 0).
template <int W>
MCREV_FAST_INLINE void accumulate_lanes(FastBatch::Scratch& s, int K, int P, int B, bool first_batch) {
  constexpr int L = FastBatch::kLeaves;
  const double* __restrict c = s.cols.data();
  double* __restrict shift = s.shift.data();
  double* __restrict s1 = s.s1.data();
  double* __restrict s2 = s.s2.data();
  double* __restrict sxy = s.sxy.data();
  if (first_batch) {
    for (int k = 0; k < K; ++k)
      for (int l = 0; l < L; ++l) {
        shift[k * L + l] = c[k * S + l];
        s1[k * L + l] = s2[k * L + l] = 0.0;
      }
    for (int q = 0; q < P * L; ++q) sxy[q] = 0.0;
    return accumulate_rows<W, 1>(c, shift, s1, s2, sxy, K, B);
  }
  accumulate_rows<W, 0>(c, shift, s1, s2, sxy, K, B);
}

// A tie at the top of some auction: the generic evaluate_values on that profile, into its column.
template <int W>
MCREV_FAST_INLINE bool any_flag(const double* flag) {
  Vd<W> any = splat<W>(0.0);
  for (int j = 0; j < S; j += W) any += loadv<W>(flag + j);  // flags are 0 or 1: the sum is exact
  for (int l = 0; l < W; ++l)
    if (any[l] != 0.0) return true;
  return false;
}

void patch_ties(const Model& md, FastBatch::Scratch& s, std::uint64_t first, std::uint64_t leaf, int K, double* b,
                int* generic) {
  for (int j = 0; j < S; ++j) {
    if (s.flag[j] == 0.0) continue;
    for (int k = 0; k < md.n_bidders; ++k) s.agent_values[k] = s.u[k * S + j];
    const std::uint64_t profile = first + static_cast<std::uint64_t>(j % 8) * leaf + static_cast<std::uint64_t>(j / 8);
    evaluate_values<static_cast<int>(MarketKind::SingleItem)>(md, profile, 0, md.n_mechanisms, s.agent_values, b,
                                                             s.row.data());
    for (int k = 0; k < K; ++k) s.cols[static_cast<size_t>(k) * S + j] = s.row[k];
    ++*generic;
  }
}

// The fused batch (leaves_body): one group, one mechanism, second or first price, W == kLeaves. Column
// j0 = jj · 8 of every row is profile jj of the eight leaves, one per lane, so the top pass, the price,
// the block's metrics (sparse_cols' expressions) and leaf_add's sums (accumulate_rows' operations) run
// in loops over the 16 profiles of each leaf, in order, with the metrics and the sums in registers:
// the same IEEE operations in the same order as batch_loops + accumulate_lanes, without the rows in
// between. Truthful bids of uniform values: the values come from the uniforms in the loop
// (quantile_of<Uniform>, the same operations as draw_values; see fused_batch).
//
// Two passes over a batch at most, both starting from the sums in memory:
// - fused_fast (tried first): no tie handling and no revenue-difference sums; it keeps the sums only
//   when no profile of the batch has a tie at the top and every revenue is finite. Mechanism 0's
//   revenue difference is revenue − revenue, +0 for a finite revenue, so its shift (the leaf's first
//   value) and its sums stay +0 exactly (+0 + (+0 − +0) = +0, +0 + (+0 · +0) = +0). The revenues are
//   known finite when the sum of squared revenue differences is: a non-finite revenue makes its
//   difference from the shift ±inf or NaN (the shift is a revenue of the same leaf), whose square
//   makes the sum +inf or NaN for good (squares are >= 0); a finite sum after the batch thus proves
//   every revenue so far finite (an overflow to +inf only sends the batch to the exact pass).
// - fused_exact (the batch again, when the first pass refused): every metric, and a tie (second ==
//   best > kNoBid) evaluated by the generic evaluate_values, lane by lane, before the profile's
//   metrics are added (patch_ties' values).
constexpr int kFusedK = metric::per_mechanism(1);

// The tie lanes of profile jj (columns jj · 8 + l): the generic metrics replace the fused ones.
// from_uniform: s.u holds the uniforms (the values are quantile_of<Uniform> of them).
__attribute__((noinline)) int patch_tie_lanes(const Model& md, const FastPlan& p, FastBatch::Scratch& s,
                                              std::uint64_t first, std::uint64_t leaf, int jj, bool from_uniform,
                                              const double* tie, double* m, double* b) {
  constexpr int L = FastBatch::kLeaves;
  int generic = 0;
  for (int l = 0; l < L; ++l) {
    if (tie[l] == 0.0) continue;
    const int j = jj * L + l;
    for (int k = 0; k < md.n_bidders; ++k)
      s.agent_values[k] =
          from_uniform ? p.dist[0].quantile_of<DistKind::Uniform>(s.u[k * S + j], md.arena) : s.u[k * S + j];
    evaluate_values<static_cast<int>(MarketKind::SingleItem)>(
        md, first + static_cast<std::uint64_t>(l) * leaf + static_cast<std::uint64_t>(jj), 0, md.n_mechanisms,
        s.agent_values, b, s.row.data());
    for (int k = 0; k < kFusedK; ++k) m[k * L + l] = s.row[k];
    ++generic;
  }
  return generic;
}

// Hides x's origin from the optimizer (fast::opaque of fast_multi_unit.hpp): in one loop, GCC folds a
// comparison of a selected value into a selection on combined conditions, which it lowers lane by lane
// for AVX-512 (batch_loops' rows separated them through memory). No instruction.
template <int W>
MCREV_FAST_INLINE void hide(Vd<W>& x) {
#if defined(__GNUC__) && !defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
  asm("" : "+v"(x));
#endif
  (void)x;
}

// Whether some lane of x (each lane 0 or 1) is 1: a sum of halves (exact), not a lane-by-lane test.
MCREV_FAST_INLINE bool any_lane(Vd<8> x) {
  const Vd<4> h = __builtin_shufflevector(x, x, 0, 1, 2, 3) + __builtin_shufflevector(x, x, 4, 5, 6, 7);
  const Vd<2> q = __builtin_shufflevector(h, h, 0, 1) + __builtin_shufflevector(h, h, 2, 3);
  return q[0] + q[1] != 0.0;
}

// store_top and the price of one vector of profiles from its top two bids bst >= sec (and w, the
// winner's value): the reserve r applied to both, salev 1 where the item sells, tie 1 where the top
// two are equal (a tie the exact pass resolves), pr the price (second price: max(sec, r); first
// price: bst). The values are hidden from the optimizer between the steps (see hide).
template <int W, bool kSecondPrice>
MCREV_FAST_INLINE void top_and_price(const Vd<W> r, const Vd<W> none, const Vd<W> zero, const Vd<W> one, Vd<W>& bst,
                                     Vd<W>& sec, Vd<W>& w, Vd<W>& salev, Vd<W>& tie, Vd<W>& pr) {
  using V = Vd<W>;
  bst = bst >= r ? bst : none;
  sec = sec >= r ? sec : none;
  hide<W>(bst);
  hide<W>(sec);
  hide<W>(w);
  salev = bst == none ? zero : one;  // store_top
  V top = sec == bst ? bst : none;
  hide<W>(salev);
  hide<W>(top);
  tie = top == none ? zero : one;
  hide<W>(tie);
  if constexpr (kSecondPrice)
    pr = sec > r ? sec : r;
  else
    pr = bst;
  hide<W>(pr);
}

// The exact pass over the batch (see above); kN > 0: n = kN bidders (the top pass unrolls), 0: p.n.
// kFromUniform: truthful bids, uniform values computed from s.u.
#if defined(__clang__)
// Clang refuses a 512-bit vector passed between a function with avx512f and an always_inline helper
// without it (cpu_vec.hpp's loadv): inlined into leaves_avx512 instead (Clang builds are the fuzz
// builds; the bits are the same).
#define MCREV_FUSED_EXACT MCREV_FAST_INLINE
#elif defined(__x86_64__) || defined(__i386__)
#define MCREV_FUSED_EXACT __attribute__((noinline, target("avx512f,avx512dq")))  // one copy per kind
#else
#define MCREV_FUSED_EXACT __attribute__((noinline))
#endif
template <int W, bool kSecondPrice, int kN, bool kFromUniform>
MCREV_FUSED_EXACT void fused_exact(const Model& md, const FastPlan& p, FastBatch::Scratch& s, std::uint64_t first,
                                   const double* __restrict bids, bool truthful, double* b, bool first_batch,
                                   int* generic) {
  constexpr int L = FastBatch::kLeaves, K = kFusedK;
  static_assert(W == L, "one vector per profile of the eight leaves");
  static_assert(metric::kOptSurplus == metric::kSurplus + 1, "a pair is two adjacent metrics");
  using V = Vd<W>;
  const FastMech& mk = p.mech[0];
  const double* __restrict v = s.u;
  const int n = kN > 0 ? kN : p.n;
  const V none = splat<W>(kNoBid), zero = splat<W>(0.0), one = splat<W>(1.0), r = splat<W>(mk.reserve[0]);
  const V v0 = splat<W>(mk.seller_value), inv = splat<W>(p.group_inv[0]);
  const Distribution& d0 = p.dist[0];
  const V low = splat<W>(d0.low), width = splat<W>(d0.high - d0.low);  // quantile_of<Uniform>'s terms
  V sh[K], a1[K], a2[K], axy;
  if (first_batch) {
#pragma GCC unroll 16
    for (int k = 0; k < K; ++k) a1[k] = a2[k] = sh[k] = zero;
    axy = zero;
  } else {
#pragma GCC unroll 16
    for (int k = 0; k < K; ++k) {
      sh[k] = loadv<W>(s.shift.data() + k * L);
      a1[k] = loadv<W>(s.s1.data() + k * L);
      a2[k] = loadv<W>(s.s2.data() + k * L);
    }
    axy = loadv<W>(s.sxy.data());
  }
  for (int jj = 0; jj < S / L; ++jj) {
    const int j0 = jj * L;
    // the top pass (mechanism_rows, kG == 1) and, from the uniforms, the values' maximum (draw_values)
    V bst = none, sec = none, w = zero, vmax = zero;
#pragma GCC unroll 16
    for (int k = 0; k < n; ++k) {
      V x;
      if constexpr (kFromUniform) {
        x = low + width * loadv<W>(v + k * S + j0);
        vmax = k == 0 ? x : (x > vmax ? x : vmax);
      } else {
        x = loadv<W>(bids + k * S + j0);
        if (!truthful) w = x > bst ? loadv<W>(v + k * S + j0) : w;
      }
      push_top<W>(x, bst, sec);
    }
    if (kFromUniform || truthful) w = bst;
    if constexpr (!kFromUniform) vmax = loadv<W>(s.vmax + j0);
    V salev, tie, pr;
    top_and_price<W, kSecondPrice>(r, none, zero, one, bst, sec, w, salev, tie, pr);
    // sparse_cols, kG == 1, mechanism 0 (is_base)
    V m[K];
    const auto sale = salev != zero;
    const V value = w * one;
    const V revenue = sale ? pr : zero;
    const V welfare = sale ? value : zero;
    const V allocated = sale ? one : zero;
    V unsold = one - allocated;
    hide<W>(unsold);
    const V kept = unsold == zero ? zero : v0 * unsold;
    m[metric::kRevenue] = revenue;
    m[metric::kWelfare] = welfare;
    m[metric::kSellerUtility] = revenue + kept;
    m[metric::kNoSale] = unsold;
    m[metric::kRevenueDiff] = revenue - revenue;
    m[metric::kSurplus] = welfare + kept;
    m[metric::kOptSurplus] = vmax > v0 ? vmax : v0;
    V here = sale ? one : zero;
    hide<W>(here);
    m[metric::win(0)] = here == one ? one * inv : zero;
    m[metric::payment(0)] = here == one ? pr * inv : zero;
    m[metric::utility(0)] = here == one ? (value - pr) * inv : zero;
    if (__builtin_expect(any_lane(tie), 0)) {
      alignas(64) double t[K * L], tl[L];
      storev<W>(tl, tie);
      for (int k = 0; k < K; ++k) storev<W>(t + k * L, m[k]);
      *generic += patch_tie_lanes(md, p, s, first, kLeafProfiles, jj, kFromUniform, tl, t, b);
      for (int k = 0; k < K; ++k) m[k] = loadv<W>(t + k * L);
    }
    // leaf_add (accumulate_rows): the leaves' first profiles set the shifts
    if (first_batch && jj == 0) {
#pragma GCC unroll 16
      for (int k = 0; k < K; ++k) sh[k] = m[k];
      continue;
    }
    V dd[K];
#pragma GCC unroll 16
    for (int k = 0; k < K; ++k) {
      dd[k] = m[k] - sh[k];
      a1[k] += dd[k];
      a2[k] += dd[k] * dd[k];
    }
    axy += dd[metric::kSurplus] * dd[metric::kOptSurplus];
  }
#pragma GCC unroll 16
  for (int k = 0; k < K; ++k) {
    storev<W>(s.shift.data() + k * L, sh[k]);
    storev<W>(s.s1.data() + k * L, a1[k]);
    storev<W>(s.s2.data() + k * L, a2[k]);
  }
  storev<W>(s.sxy.data(), axy);
}

// The leaf sums of the metrics Ks... of the fused block for the eight leaves (lane l: leaf l), in
// registers: accumulate_rows' operations, and the pair (surplus, optimal surplus) from the differences
// of the metrics at positions PI and PJ of the list (PI < 0: none).
template <int W, int PI, int PJ, int... Ks>
struct LaneSums {
  static constexpr int L = FastBatch::kLeaves, N = sizeof...(Ks);
  static constexpr int kIdx[N] = {Ks...};
  Vd<W> sh[N], a1[N], a2[N], axy;
  MCREV_FAST_INLINE void load(const FastBatch::Scratch& s, bool first_batch) {
    const Vd<W> zero = splat<W>(0.0);
#pragma GCC unroll 16
    for (int k = 0; k < N; ++k) {
      sh[k] = first_batch ? zero : loadv<W>(s.shift.data() + kIdx[k] * L);
      a1[k] = first_batch ? zero : loadv<W>(s.s1.data() + kIdx[k] * L);
      a2[k] = first_batch ? zero : loadv<W>(s.s2.data() + kIdx[k] * L);
    }
    if (PI >= 0) axy = first_batch ? zero : loadv<W>(s.sxy.data());
  }
  // m[k]: the profile's metric kIdx[k]; the leaves' first profiles set the shifts (leaf_add, n = 0)
  MCREV_FAST_INLINE void add(const Vd<W>* m, bool set_shift) {
    if (set_shift) {
#pragma GCC unroll 16
      for (int k = 0; k < N; ++k) sh[k] = m[k];
      return;
    }
    Vd<W> d[N];
#pragma GCC unroll 16
    for (int k = 0; k < N; ++k) {
      d[k] = m[k] - sh[k];
      a1[k] += d[k];
      a2[k] += d[k] * d[k];
    }
    if constexpr (PI >= 0) axy += d[PI] * d[PJ];
  }
  // the sums of list entry k as those of metric `to` too (a metric whose column is bitwise metric kIdx[k]'s)
  MCREV_FAST_INLINE void store(FastBatch::Scratch& s) const {
#pragma GCC unroll 16
    for (int k = 0; k < N; ++k) store_as(s, k, kIdx[k]);
    if constexpr (PI >= 0) storev<W>(s.sxy.data(), axy);
  }
  MCREV_FAST_INLINE void store_as(FastBatch::Scratch& s, int k, int to) const {
    storev<W>(s.shift.data() + to * L, sh[k]);
    storev<W>(s.s1.data() + to * L, a1[k]);
    storev<W>(s.s2.data() + to * L, a2[k]);
  }
};

// The first pass (see above): two loops over the profiles, so that each keeps its sums in registers
// (all of them did not fit: GCC spilled them, a load and a store per sum and profile). The first loop
// runs the top pass, adds some of the metrics and keeps the sale, the price, the winner's value and
// max_i v_i of each column (s.sale, s.held, s.vw, s.vmax); the second adds the others from them.
// kZeroV0 (seller value +0, values and prices never −0: see fused_batch): kept = v0 · unsold is +0, so
// the seller's utility (revenue + kept) is bitwise the revenue, and the surplus (welfare + kept) the
// welfare, column for column: their sums are the revenue's and the welfare's. Returns false (nothing
// stored) when the batch has a tie at the top or the revenues are not known finite; then fused_exact
// runs the batch.
template <int W, bool kSecondPrice, int kN, bool kFromUniform, bool kZeroV0>
MCREV_FAST_INLINE bool fused_fast(const FastPlan& p, FastBatch::Scratch& s, const double* __restrict bids,
                                  bool truthful, bool first_batch) {
  constexpr int L = FastBatch::kLeaves;
  namespace mt = metric;
  static_assert(W == L, "one vector per profile of the eight leaves");
  static_assert(mt::kRevenueDiff == 4 && mt::utility(0) == kFusedK - 1 && mt::win(0) == 7, "the fused block");
  using V = Vd<W>;
  const FastMech& mk = p.mech[0];
  const double* __restrict v = s.u;
  const int n = kN > 0 ? kN : p.n;
  const V none = splat<W>(kNoBid), zero = splat<W>(0.0), one = splat<W>(1.0), r = splat<W>(mk.reserve[0]);
  const V v0 = splat<W>(mk.seller_value);
  const Distribution& d0 = p.dist[0];
  const V low = splat<W>(d0.low), width = splat<W>(d0.high - d0.low);  // quantile_of<Uniform>'s terms
  double* __restrict sale_c = s.sale;
  double* __restrict price_c = s.held;
  double* __restrict value_c = s.vw;
  double* __restrict vmax_c = s.vmax;
  V ties = zero;
  // loop A's metrics: revenue, welfare, seller utility, no sale (kZeroV0: revenue, welfare, no sale,
  // optimal surplus and the pair (welfare standing for the surplus))
  using SumsA = std::conditional_t<kZeroV0, LaneSums<W, 1, 3, mt::kRevenue, mt::kWelfare, mt::kNoSale, mt::kOptSurplus>,
                                   LaneSums<W, -1, -1, mt::kRevenue, mt::kWelfare, mt::kSellerUtility, mt::kNoSale>>;
  SumsA A;
  A.load(s, first_batch);
  for (int jj = 0; jj < S / L; ++jj) {
    const int j0 = jj * L;
    V bst = none, sec = none, w = zero, vmax;
    if constexpr (kFromUniform) {
      // The top two of the uniforms, then the values of those two (see fused_batch: the quantile is
      // non-decreasing and finite, so it maps the top two uniforms to the top two values, and the highest
      // value is max_i v_i). The first uniform (finite, > 0) is top_step's first best.
      V ub = loadv<W>(v + j0), us = none;
#pragma GCC unroll 16
      for (int k = 1; k < n; ++k) {
        const V x = loadv<W>(v + k * S + j0);
        push_top<W>(x, ub, us);
      }
      bst = low + width * ub;
      sec = low + width * us;
      w = bst;
      vmax = bst;
      if constexpr (!kZeroV0) storev<W>(vmax_c + j0, vmax);
    } else {
#pragma GCC unroll 16
      for (int k = 0; k < n; ++k) {
        const V x = loadv<W>(bids + k * S + j0);
        if (!truthful) w = x > bst ? loadv<W>(v + k * S + j0) : w;
        push_top<W>(x, bst, sec);
      }
      if (truthful) w = bst;
      vmax = loadv<W>(vmax_c + j0);
    }
    V salev, tie, pr;
    top_and_price<W, kSecondPrice>(r, none, zero, one, bst, sec, w, salev, tie, pr);
    ties = tie > ties ? tie : ties;
    const V value = w * one;
    storev<W>(sale_c + j0, salev);
    storev<W>(price_c + j0, pr);
    storev<W>(value_c + j0, value);
    // sparse_cols' metrics
    const auto sale = salev != zero;
    const V revenue = sale ? pr : zero;
    const V welfare = sale ? value : zero;
    const V allocated = sale ? one : zero;
    V unsold = one - allocated;
    hide<W>(unsold);
    if constexpr (kZeroV0) {
      const V m[4] = {revenue, welfare, unsold, vmax > v0 ? vmax : v0};
      A.add(m, first_batch && jj == 0);
    } else {
      const V kept = unsold == zero ? zero : v0 * unsold;
      const V m[4] = {revenue, welfare, revenue + kept, unsold};
      A.add(m, first_batch && jj == 0);
    }
  }
  {
    const V sq = A.a2[0];  // the revenue's
    V bad = sq - sq == zero ? ties : one;  // sq - sq is +0 for a finite sq, NaN otherwise
    hide<W>(bad);
    if (any_lane(bad)) return false;
  }
  const V inv = splat<W>(p.group_inv[0]);
  using SumsB = std::conditional_t<kZeroV0, LaneSums<W, -1, -1, mt::win(0), mt::payment(0), mt::utility(0)>,
                                   LaneSums<W, 0, 1, mt::kSurplus, mt::kOptSurplus, mt::win(0), mt::payment(0),
                                            mt::utility(0)>>;
  SumsB B;
  B.load(s, first_batch);
  for (int jj = 0; jj < S / L; ++jj) {
    const int j0 = jj * L;
    const V salev = loadv<W>(sale_c + j0), pr = loadv<W>(price_c + j0), value = loadv<W>(value_c + j0);
    const auto sale = salev != zero;
    V here = sale ? one : zero;
    hide<W>(here);
    const V win = here == one ? one * inv : zero, pay = here == one ? pr * inv : zero,
            util = here == one ? (value - pr) * inv : zero;
    if constexpr (kZeroV0) {
      const V m[3] = {win, pay, util};
      B.add(m, first_batch && jj == 0);
    } else {
      const V vmax = loadv<W>(vmax_c + j0);
      const V welfare = sale ? value : zero;
      const V allocated = sale ? one : zero;
      V unsold = one - allocated;
      hide<W>(unsold);
      const V kept = unsold == zero ? zero : v0 * unsold;
      const V m[5] = {welfare + kept, vmax > v0 ? vmax : v0, win, pay, util};
      B.add(m, first_batch && jj == 0);
    }
  }
  A.store(s);
  B.store(s);
  if constexpr (kZeroV0) {
    A.store_as(s, 0, mt::kSellerUtility);  // the revenue's sums
    A.store_as(s, 1, mt::kSurplus);        // the welfare's
  }
  // mechanism 0's revenue difference: +0 in every column (the revenues are finite), so its shift and sums
  // are +0 (they start at +0: FastBatch's constructor and the first batch)
  for (int l = 0; l < L; ++l)
    s.shift[mt::kRevenueDiff * L + l] = s.s1[mt::kRevenueDiff * L + l] = s.s2[mt::kRevenueDiff * L + l] = 0.0;
  return true;
}

template <int W, bool kSecondPrice, int kN, bool kFromUniform, bool kZeroV0 = false>
MCREV_FAST_INLINE int fused_batch_n(const Model& md, const FastPlan& p, FastBatch::Scratch& s, std::uint64_t first,
                                    const double* bids, bool truthful, double* b, bool first_batch) {
  int generic = 0;
  if (!fused_fast<W, kSecondPrice, kN, kFromUniform, kZeroV0>(p, s, bids, truthful, first_batch))
    fused_exact<W, kSecondPrice, 0, kFromUniform>(md, p, s, first, bids, truthful, b, first_batch, &generic);  // rare: n not unrolled
  return generic;
}

// One batch of the fused path: draws the uniforms (and, unless fused, the values and bids), then the
// passes, with n a constant for the common sizes.
template <int W, bool kSecondPrice>
MCREV_FAST_INLINE int fused_batch(const Model& md, const FastPlan& p, Isa isa, FastBatch::Scratch& s,
                                  std::uint64_t first, double* b, bool first_batch) {
  const FastMech& mk = p.mech[0];
  const bool truthful = all_truthful<1>(p, mk);
  // Uniform values computed in the loop: quantile_of<Uniform>(u) = low + (high − low) · u is then
  // non-decreasing in u (high − low >= 0) and finite for u in (0, 1) (finite ends and width).
  const Distribution& d0 = p.dist[0];
  const double width = d0.high - d0.low;
  if (truthful && d0.kind == DistKind::Uniform && std::isfinite(d0.low) && std::isfinite(d0.high) &&
      std::isfinite(width) && width >= 0.0) {
    stream_uniforms_interleaved(isa, p.seed, kValueLane, first, kLeafProfiles, S, p.n, s.u, S);
    // Seller value +0 and a reserve other than −0: no price, value or revenue is −0 (the values are
    // low + width · u with u > 0, never −0; a price is a value or the reserve), so revenue + (+0) and
    // welfare + (+0) are the revenue and the welfare bit for bit (fused_fast's kZeroV0).
    const double r = mk.reserve[0];
    if (mk.seller_value == 0.0 && !std::signbit(mk.seller_value) && !(r == 0.0 && std::signbit(r))) {
      switch (p.n) {
        case 2: return fused_batch_n<W, kSecondPrice, 2, true, true>(md, p, s, first, s.u, true, b, first_batch);
        case 3: return fused_batch_n<W, kSecondPrice, 3, true, true>(md, p, s, first, s.u, true, b, first_batch);
        case 4: return fused_batch_n<W, kSecondPrice, 4, true, true>(md, p, s, first, s.u, true, b, first_batch);
        case 5: return fused_batch_n<W, kSecondPrice, 5, true, true>(md, p, s, first, s.u, true, b, first_batch);
        case 6: return fused_batch_n<W, kSecondPrice, 6, true, true>(md, p, s, first, s.u, true, b, first_batch);
        case 8: return fused_batch_n<W, kSecondPrice, 8, true, true>(md, p, s, first, s.u, true, b, first_batch);
        case 10: return fused_batch_n<W, kSecondPrice, 10, true, true>(md, p, s, first, s.u, true, b, first_batch);
        default: return fused_batch_n<W, kSecondPrice, 0, true, true>(md, p, s, first, s.u, true, b, first_batch);
      }
    }
    switch (p.n) {
      case 5: return fused_batch_n<W, kSecondPrice, 5, true>(md, p, s, first, s.u, true, b, first_batch);
      case 10: return fused_batch_n<W, kSecondPrice, 10, true>(md, p, s, first, s.u, true, b, first_batch);
      default: return fused_batch_n<W, kSecondPrice, 0, true>(md, p, s, first, s.u, true, b, first_batch);
    }
  }
  draw_values<true>(md, p, isa, s, first, kLeafProfiles, S);
  const double* bids = bids_pass<1, W>(p, mk, s, S);
  switch (p.n) {
    case 5: return fused_batch_n<W, kSecondPrice, 5, false>(md, p, s, first, bids, truthful, b, first_batch);
    case 10: return fused_batch_n<W, kSecondPrice, 10, false>(md, p, s, first, bids, truthful, b, first_batch);
    default: return fused_batch_n<W, kSecondPrice, 0, false>(md, p, s, first, bids, truthful, b, first_batch);
  }
}

// Eight whole leaves [first, first + 8 · kLeafProfiles), kLeafProfiles / 8 batches of 64 columns.
template <int kG, int W>
MCREV_FAST_INLINE int leaves_body(const Model& md, const FastPlan& p, Isa isa, FastBatch::Scratch& s,
                                  std::uint64_t first, double* b) {
  const int K = p.block() * p.n_mechanisms, P = p.n_mechanisms;
  int generic = 0;
  if constexpr (kG == 1 && W == FastBatch::kLeaves) {
    const Rule rule = p.mech[0].rule;
    if (p.n_mechanisms == 1 && (rule == Rule::SecondPrice || rule == Rule::FirstPrice)) {
      for (std::uint64_t jj0 = 0; jj0 < kLeafProfiles; jj0 += S / FastBatch::kLeaves)
        generic += rule == Rule::SecondPrice ? fused_batch<W, true>(md, p, isa, s, first + jj0, b, jj0 == 0)
                                             : fused_batch<W, false>(md, p, isa, s, first + jj0, b, jj0 == 0);
      return generic;
    }
  }
  for (std::uint64_t jj0 = 0; jj0 < kLeafProfiles; jj0 += S / FastBatch::kLeaves) {
    batch_loops<kG, true, W>(md, p, isa, s, first + jj0, kLeafProfiles, S, s.cols.data(), 0);
    if (any_flag<W>(s.flag)) patch_ties(md, s, first + jj0, kLeafProfiles, K, b, &generic);
    accumulate_lanes<W>(s, K, P, p.block(), jj0 == 0);
  }
  return generic;
}

template <int kG>
void batch_portable(const Model& md, const FastPlan& p, Isa isa, FastBatch::Scratch& s, std::uint64_t first,
                    int count, double* xs, int row) {
  batch_body<kG, 2>(md, p, isa, s, first, count, xs, row);
}

#if defined(__x86_64__) || defined(__i386__)
template <int kG>
__attribute__((target("avx2"))) void batch_avx2(const Model& md, const FastPlan& p, Isa isa, FastBatch::Scratch& s,
                                                std::uint64_t first, int count, double* xs, int row) {
  batch_body<kG, 4>(md, p, isa, s, first, count, xs, row);
}
template <int kG>
__attribute__((target("avx512f,avx512dq"))) void batch_avx512(const Model& md, const FastPlan& p, Isa isa,
                                                     FastBatch::Scratch& s, std::uint64_t first, int count,
                                                     double* xs, int row) {
  batch_body<kG, 8>(md, p, isa, s, first, count, xs, row);
}
#endif

#if defined(__x86_64__) || defined(__i386__)
// The AVX-512 loops also use AVX512DQ (a vector compare's mask as a vector: vpmovm2q), which every
// AVX-512 processor but the Xeon Phi has; without it the AVX2 loops run (the same bits).
bool avx512dq() {
  static const bool has = __builtin_cpu_supports("avx512dq");
  return has;
}
#endif

template <int kG>
int leaves_portable(const Model& md, const FastPlan& p, Isa isa, FastBatch::Scratch& s, std::uint64_t first,
                    double* b) {
  return leaves_body<kG, 2>(md, p, isa, s, first, b);
}

#if defined(__x86_64__) || defined(__i386__)
template <int kG>
__attribute__((target("avx2"))) int leaves_avx2(const Model& md, const FastPlan& p, Isa isa, FastBatch::Scratch& s,
                                                std::uint64_t first, double* b) {
  return leaves_body<kG, 4>(md, p, isa, s, first, b);
}
template <int kG>
__attribute__((target("avx512f,avx512dq"))) int leaves_avx512(const Model& md, const FastPlan& p, Isa isa,
                                                     FastBatch::Scratch& s, std::uint64_t first, double* b) {
  return leaves_body<kG, 8>(md, p, isa, s, first, b);
}
#endif

template <int kG>
int run_leaves_isa(const Model& md, const FastPlan& p, Isa isa, FastBatch::Scratch& s, std::uint64_t first, double* b) {
#if defined(__x86_64__) || defined(__i386__)
  if (isa == Isa::Avx512 && avx512dq()) return leaves_avx512<kG>(md, p, isa, s, first, b);
  if (isa == Isa::Avx2) return leaves_avx2<kG>(md, p, isa, s, first, b);
#endif
  return leaves_portable<kG>(md, p, isa, s, first, b);
}

template <int kG>
void run_batch(const Model& md, const FastPlan& p, Isa isa, FastBatch::Scratch& s, std::uint64_t first, int count,
               double* xs, int row) {
#if defined(__x86_64__) || defined(__i386__)
  if (isa == Isa::Avx512 && avx512dq()) return batch_avx512<kG>(md, p, isa, s, first, count, xs, row);
  if (isa == Isa::Avx2) return batch_avx2<kG>(md, p, isa, s, first, count, xs, row);
#endif
  batch_portable<kG>(md, p, isa, s, first, count, xs, row);
}

}  // namespace

bool fast_path_enabled() {
  static const int on = [] {
    const char* e = std::getenv("MCREV_FAST_PATH");
    if (!e) return 1;
    std::string v(e);
    for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (v == "0" || v == "off" || v == "false" || v == "no") return 0;
    if (v.empty() || v == "1" || v == "on" || v == "true" || v == "yes") return 1;
    return -1;  // a typo is an error, not silently "on"
  }();
  if (on < 0)
    throw ScenarioError("MCREV_FAST_PATH", std::string("environment variable must be on, off, 1, 0, true, false, yes or no; got '") +
                                               std::getenv("MCREV_FAST_PATH") + "'");
  return on == 1;
}

std::string describe_fast_plan(const Model& md, const fast::FastPlan& plan, const std::string& why) {
  if (!plan.eligible) return "generic path (" + why + ")";
  std::string kinds;
  for (int m = 0; m < md.n_mechanisms; ++m) {
    const char* k = kind_name(md.mechanisms[m].kind);
    if (kinds.find(k) != std::string::npos) continue;
    kinds += (kinds.empty() ? "" : ", ") + std::string(k);
  }
  return "fast path: " + kinds + " (n = " + std::to_string(plan.n) + ")";
}

std::string evaluation_path(const Model& md, bool cuda, bool allow_fast) {
  std::string why;
  const fast::FastPlan plan = fast::make_fast_plan(md, &why);
  if (plan.eligible && !fast_path_enabled()) return "generic path (MCREV_FAST_PATH=off)";
  if (plan.eligible && !allow_fast) return "generic path (RunOptions::fast_path = false)";
  if (plan.eligible && cuda && !plan.device_eligible)
    return "generic path (the CUDA fast kernel takes one bidder group, n <= " +
           std::to_string(fast::kMaxDeviceBidders) + ", uniform, exponential or power values)";
  return describe_fast_plan(md, plan, why);
}

FastBatch::FastBatch(const Model& md, const fast::FastPlan& plan, Isa isa)
    : md_(md), plan_(plan), isa_(isa), s_(std::make_unique<Scratch>()) {
  const size_t K = static_cast<size_t>(plan.block()) * static_cast<size_t>(plan.n_mechanisms);
  s_->cols.assign(K * S, 0.0);
  s_->shift.assign(K * kLeaves, 0.0);
  s_->s1.assign(K * kLeaves, 0.0);
  s_->s2.assign(K * kLeaves, 0.0);
  s_->sxy.assign(static_cast<size_t>(plan.n_mechanisms) * kLeaves, 0.0);
  s_->row.assign(3 * K + static_cast<size_t>(plan.n_mechanisms), 0.0);  // a metric row, or a leaf's sums
}

int FastBatch::run_leaves(std::uint64_t first, double* b, double* partials) {
  static_assert(S % kLeaves == 0 && kLeafProfiles % (S / kLeaves) == 0, "a batch is S / 8 profiles of 8 leaves");
  Scratch& s = *s_;
  const int generic = plan_.n_groups == 1 ? run_leaves_isa<1>(md_, plan_, isa_, s, first, b)
                                          : run_leaves_isa<0>(md_, plan_, isa_, s, first, b);
  const int K = plan_.block() * plan_.n_mechanisms, P = plan_.n_mechanisms;
  const PartialShape shape{K, P};
  double* sh = s.row.data();  // the leaf's sums, gathered from the lanes: K + K + K + P doubles
  double* a1 = sh + K;
  double* a2 = a1 + K;
  double* xy = a2 + K;
  for (int l = 0; l < kLeaves; ++l) {
    for (int k = 0; k < K; ++k) {
      sh[k] = s.shift[k * kLeaves + l];
      a1[k] = s.s1[k * kLeaves + l];
      a2[k] = s.s2[k * kLeaves + l];
    }
    for (int q = 0; q < P; ++q) xy[q] = s.sxy[q * kLeaves + l];
    const LeafSums sums{sh, a1, a2, xy, static_cast<double>(kLeafProfiles)};
    leaf_finish(sums, shape, MechanismPairs{plan_.block()}, partials + static_cast<size_t>(l) * shape.size());
  }
  return generic;
}
FastBatch::~FastBatch() = default;

int FastBatch::run(std::uint64_t first, int count, double* b, double* xs, int row) {
  Scratch& s = *s_;
  if (plan_.n_groups == 1)
    run_batch<1>(md_, plan_, isa_, s, first, count, xs, row);
  else
    run_batch<0>(md_, plan_, isa_, s, first, count, xs, row);
  int generic = 0;
  for (int j = 0; j < count; ++j) {
    if (s.flag[j] == 0.0) continue;
    for (int k = 0; k < plan_.n; ++k) s.agent_values[k] = s.u[k * S + j];
    evaluate_values<static_cast<int>(MarketKind::SingleItem)>(md_, first + static_cast<std::uint64_t>(j), 0,
                                                             md_.n_mechanisms, s.agent_values, b, xs + j * row);
    ++generic;
  }
  return generic;
}

}  // namespace mcrev::cpu
