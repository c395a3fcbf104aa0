// mcrev: the CUDA fast kernel's per-thread body (kernels/fast_paths.cu, fast_kernel<N, R>; docs/gpu.md,
// "Fast path"), emulated on the CPU in tests/fast_kernel_test.cpp.
//
// Shapes: one group of N <= kMaxDeviceBidders bidders (uniform, exponential or power values), one
// mechanism per pass; a profile's metric block is kKernelMetrics = metric::per_mechanism(1) doubles.
// The body streams over the bidders: bidder k's value is drawn (Stream(seed, profile, kValueLane)'s
// k-th uniform, as draw_values draws it), its bid computed, and the running state of argmax_bid
// updated (top_step's best and second bid, a bit mask of the eligible bidders at the top, the value
// of the bidder that last raised the top) together with vmax and, for all_pay, the running sums of
// the dense outcome. No per-profile array (values, bids, metric block) is live across the profile, so
// the kernel fits in 64 registers with no stack and no spills (kernels/resource_bounds.txt). The rule
// is a template parameter (kernel_form: second and first price share one form).
//
// When several candidates remain (a tie at the top of an auction; several buyers at or above a
// posted price), the winner is the j-th candidate in agent order, j drawn from the mechanism's
// auxiliary stream as argmax_bid and PriceOffer draw it (Stream::below); its value is drawn again from
// its own Philox block (counter-based: the same bits), its bid recomputed. all_pay's utility sum, whose
// winner term sits at the winner's position in the sum, is re-summed over a replay of the stream in
// that case (a tie at the top of all_pay: rare with continuous values).
//
// Bits (determinism): every metric is computed with the IEEE operations of the generic path in the
// same order (fast_single_item.hpp's mechanism_block<N, 1, true, true>, itself bitwise
// evaluate_values), so a profile's block depends only on (seed, profile, pass), not on the thread or
// the grid. The sums of the dense outcome that the stream cannot form in agent order are derived
// exactly:
//   allocated = held = Σ_k x_k = 1 or 0 (sums of 0.0 and one 1.0);
//   welfare = Σ_k v_k x_k = 0.0 + v_w (every other term is ±0, which never changes a sum begun at +0);
//   utility = Σ_k (v_k x_k − t_k): the losers' terms are −t_k (±0 when t_k = 0, no change), so with
//     the winner w the sum is (Σ_{k<w} −t_k) + (v_w − t_w) + Σ_{k>w} −t_k, formed by restarting a
//     copy of the losers' running sum at every new leader;
//   paid = revenue = Σ_k t_k;  payment = revenue · inv, win = allocated · inv for the sparse rules too.
// Checked profile by profile against evaluate_values (tests/fast_kernel_test.cpp).
#pragma once

#include "mcrev/pipeline/fast_single_item.hpp"

#ifdef __CUDA_ARCH__
#define MCREV_FAST_NO_UNROLL _Pragma("unroll 1")
#else
#define MCREV_FAST_NO_UNROLL
#endif

namespace mcrev::fast {

/// Metrics of a one-group block (metric::per_mechanism(1)).
inline constexpr int kKernelMetrics = metric::per_mechanism(1);

/// Philox4x32-10's key schedule for one seed: round r's key is (k.x + r·W0, k.y + r·W1) mod 2^32
/// (curand_Philox4x32_10's bumps), computed once on the host. A kernel parameter: the rounds read it
/// from the constant bank instead of holding 20 loop-invariant words in registers.
struct PhiloxKeys {
  std::uint32_t k[10][2] = {};
};

/// The key schedule of `seed` (the key (seed_lo, seed_hi) of philox_block).
inline PhiloxKeys philox_keys(std::uint64_t seed) {
  PhiloxKeys ks;
  std::uint32_t x = static_cast<std::uint32_t>(seed), y = static_cast<std::uint32_t>(seed >> 32);
  for (int r = 0; r < 10; ++r, x += 0x9E3779B9u, y += 0xBB67AE85u) {
    ks.k[r][0] = x;
    ks.k[r][1] = y;
  }
  return ks;
}

/// philox_block(seed, profile, lane, block) with the seed's key schedule precomputed: the same
/// Philox4x32-10 rounds (Salmon et al., SC'11; curand's _philox4x32round), the same bits.
MCREV_HD MCREV_FAST_INLINE uint4 philox_block_keyed(const PhiloxKeys& ks, std::uint64_t profile, std::uint32_t lane,
                                                    std::uint32_t block) {
  constexpr std::uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u;
  const std::uint32_t flip = 0u - static_cast<std::uint32_t>(profile >> 63);
  uint4 c = make_uint4(block, lane, static_cast<std::uint32_t>(profile),
                       static_cast<std::uint32_t>(profile >> 32) & 0x7FFFFFFFu);
#ifdef __CUDA_ARCH__
  // The blocks of one profile share their counter's profile words: without this barrier the compiler
  // keeps the rounds' common terms of block 0 alive (spilled) for block 1 instead of recomputing them.
  asm volatile("" : "+r"(c.y), "+r"(c.z), "+r"(c.w));
#endif
MCREV_FAST_UNROLL
  for (int r = 0; r < 10; ++r) {
    const std::uint64_t p0 = static_cast<std::uint64_t>(M0) * c.x;
    const std::uint64_t p1 = static_cast<std::uint64_t>(M1) * c.z;
    c = make_uint4(static_cast<std::uint32_t>(p1 >> 32) ^ c.y ^ ks.k[r][0], static_cast<std::uint32_t>(p1),
                   static_cast<std::uint32_t>(p0 >> 32) ^ c.w ^ ks.k[r][1], static_cast<std::uint32_t>(p0));
  }
  return make_uint4(c.x ^ flip, c.y ^ flip, c.z ^ flip, c.w ^ flip);
}

/// A pass of the fast kernel: mechanism `m` of the plan (`mech`), with mechanism 0 (`base`) run for
/// the revenue difference when m > 0; one group (model.n_groups == 1); keys = philox_keys(model.seed).
struct FastPass {
  FastModel model;
  FastMech base, mech;
  int m = 0;
  PhiloxKeys keys;
};

/// Distribution::quantile for the kinds of device_eligible plans (uniform, exponential, power).
MCREV_HD MCREV_FAST_INLINE double closed_form_quantile(const Distribution& d, double u) {
  switch (d.kind) {
    case DistKind::Exponential: return d.quantile_of<DistKind::Exponential>(u, nullptr);
    case DistKind::Power: return d.quantile_of<DistKind::Power>(u, nullptr);
    default: return d.quantile_of<DistKind::Uniform>(u, nullptr);
  }
}

/// Bidder k's value on `profile` (one group): the k-th uniform of Stream(seed, profile, kValueLane),
/// from its own Philox block, through the closed-form quantile.
MCREV_HD MCREV_FAST_INLINE double value_of(const FastModel& md, std::uint64_t profile, int k) {
  const uint4 w = philox_block(md.seed, profile, kValueLane, static_cast<std::uint32_t>(k) >> 2);
  return closed_form_quantile(md.dist[0], u32_to_open01(block_word(w, k & 3)));
}

/// Number of set bits (the candidates of a mask).
MCREV_HD MCREV_FAST_INLINE int candidates(unsigned mask) {
#ifdef __CUDA_ARCH__
  return __popc(mask);
#else
  return __builtin_popcount(mask);
#endif
}

/// The instantiation (the template parameter R below, fast_kernel<N, R>) that serves a rule:
/// second_price and first_price share one (the same streamed state; the price is chosen at run time
/// from the mechanism's rule), all_pay and posted_price have their own.
MCREV_HD constexpr Rule kernel_form(Rule r) { return r == Rule::FirstPrice ? Rule::SecondPrice : r; }

/// The running state of one mechanism over bidders 0..k (one group). The fields a rule does not use
/// are never touched (the rule is a template parameter of stream_step), so they take no registers.
struct StreamState {
  double best = kNoBid, second = kNoBid;  ///< top_step's (auctions)
  double vw = 0.0;    ///< value of the last bidder that raised the top (posted price: the last buyer)
  double paid = 0.0;  ///< all_pay: Σ t_k (outcome_revenue's order)
  double util = 0.0;  ///< all_pay: Σ u_k with the current leader as the winner
  unsigned mask = 0;  ///< bit k: bidder k is a candidate (an eligible bid at the top; a buyer at or above the price)
  bool tied = false;  ///< all_pay: several eligible bids at the top (its mask is not kept: replay_candidates)
};

/// all_pay's losers' sum Σ_k −t_k, from paid = Σ_k t_k: rounding to nearest is symmetric, so the two
/// sums are opposite, except that a zero sum begun at +0 is +0 in both.
MCREV_HD MCREV_FAST_INLINE double lost_of(double paid) { return paid == 0.0 ? 0.0 : -paid; }

/// Bidder k (value v) into the state of a mechanism of form R: argmax_bid's first pass (top_step)
/// and the candidates of its second pass for the running top; PriceOffer's buyers for posted_price.
/// kWrite = false: the revenue only (all_pay's utility sum is skipped).
template <Rule R, bool kWrite>
MCREV_HD MCREV_FAST_INLINE void stream_step(const FastMech& mk, int k, double v, StreamState& s) {
  const unsigned bit = 1u << k;
  if constexpr (R == Rule::PostedPrice) {
    const bool in = v >= mk.price;
    s.mask |= in ? bit : 0u;
    s.vw = in ? v : s.vw;
  } else {
    const double r = mk.reserve[0];
    const double b = bid(mk.strategy[0], v);
    const double pb = s.best;
    top_step(b, r, s.best, s.second);
    const bool eligible = b >= r;
    const bool lead = eligible & (b > pb);  // the top rises: bidder k is the only candidate so far
    const bool tie = eligible & (b == pb);
    if constexpr (R == Rule::AllPay) {  // only whether the top is tied (its candidates: replay_candidates)
      if constexpr (kWrite) s.tied = lead ? false : (tie | s.tied);
    } else {
      s.mask = lead ? bit : (tie ? s.mask | bit : s.mask);
    }
    if constexpr (kWrite) s.vw = lead ? v : s.vw;
    if constexpr (R == Rule::AllPay) {
      const double t = (b > kNoBid && !(b < r)) ? b : 0.0;  // all_pay_step's transfer
      if constexpr (kWrite) s.util = lead ? lost_of(s.paid) + (v * 1.0 - t) : s.util + -t;
      s.paid += t;
    }
  }
}

/// The j-th set bit of mask among bits [0, N) (j < candidates(mask)).
template <int N>
MCREV_HD MCREV_FAST_INLINE int nth_candidate(unsigned mask, int j) {
  int kw = 0, seen = 0;
MCREV_FAST_UNROLL
  for (int k = 0; k < N; ++k) {
    const bool in = (mask >> k) & 1u;
    kw = (in & (seen == j)) ? k : kw;
    seen += in ? 1 : 0;
  }
  return kw;
}

/// all_pay's utility sum with winner kw, summed in agent order over a replay of the value stream
/// (all_pay_step's u = v · x − t).
template <int N>
MCREV_HD MCREV_FAST_INLINE double all_pay_utility(const FastModel& md, const FastMech& mk, std::uint64_t profile,
                                               int kw) {
  Stream s(md.seed, profile, kValueLane);
  const double r = mk.reserve[0];
  double util = 0.0;
MCREV_FAST_NO_UNROLL
  for (int k = 0; k < N; ++k) {
    const double v = closed_form_quantile(md.dist[0], s.uniform());
    const double b = bid(mk.strategy[0], v);
    const double t = (b > kNoBid && !(b < r)) ? b : 0.0;
    const double x = k == kw ? 1.0 : 0.0;
    util += v * x - t;
  }
  return util;
}

/// The candidates of argmax_bid's second pass (eligible bids equal to the top `best`), over a replay
/// of the value stream.
template <int N>
MCREV_HD MCREV_FAST_INLINE unsigned replay_candidates(const FastModel& md, const FastMech& mk, std::uint64_t profile,
                                                      double best) {
  Stream s(md.seed, profile, kValueLane);
  const double r = mk.reserve[0];
  unsigned mask = 0;
MCREV_FAST_NO_UNROLL
  for (int k = 0; k < N; ++k) {
    const double b = bid(mk.strategy[0], closed_form_quantile(md.dist[0], s.uniform()));
    mask |= ((b == best) & (b >= r)) ? 1u << k : 0u;
  }
  return mask;
}

/// A profile's outcome of the pass's mechanism, from which kernel_metric derives the metric block.
struct KernelRow {
  double revenue = 0.0;    ///< Σ t (all_pay) or the price of a sale
  double welfare = 0.0;    ///< the winner's value
  double allocated = 0.0;  ///< 1 on a sale
  double utility = 0.0;    ///< the bidders' utility sum
  double baseline = 0.0;   ///< mechanism 0's revenue (the pass's own for m = 0)
  double vmax = 0.0;       ///< max_k v_k as max_value forms it
};

/// The streamed outcome of a mechanism of form R on `profile` (kWrite = false: the revenue only, in
/// row.revenue). Several candidates: the j-th in agent order wins, j drawn from the mechanism's
/// auxiliary stream as argmax_bid and PriceOffer draw it.
template <int N, Rule R, bool kWrite>
MCREV_HD MCREV_FAST_INLINE KernelRow finish(const FastModel& md, const FastMech& mk, std::uint64_t profile,
                                            StreamState s) {
  const bool sale = R == Rule::PostedPrice ? s.mask != 0u : s.best > kNoBid;
  if constexpr (R == Rule::AllPay && kWrite) {
    if (sale && s.tied) s.mask = replay_candidates<N>(md, mk, profile, s.best);
  }
  const int count = candidates(s.mask);
  double vw = s.vw, bw = s.best;
  if (sale && count > 1 && (kWrite || mk.rule == Rule::FirstPrice)) {
    const int j = below(Stream(md.seed, profile, mk.aux_lane).uniform(), count);
    const int kw = nth_candidate<N>(s.mask, j);
    vw = value_of(md, profile, kw);
    if constexpr (R != Rule::PostedPrice) bw = bid(mk.strategy[0], vw);
    if constexpr (kWrite && R == Rule::AllPay) s.util = all_pay_utility<N>(md, mk, profile, kw);
  }
  KernelRow row;
  if constexpr (R == Rule::AllPay) {
    row.revenue = s.paid;
    row.welfare = sale ? 0.0 + vw * 1.0 : 0.0;
    row.allocated = sale ? 1.0 : 0.0;
    row.utility = s.util;
  } else {
    double price = mk.price;  // posted price
    if constexpr (R == Rule::SecondPrice) {  // second_price or first_price
      const double r = mk.reserve[0];
      price = mk.rule == Rule::FirstPrice ? bw : (s.second > r ? s.second : r);  // first price: the winner's bid
    }
    row.revenue = sale ? price : 0.0;
    row.welfare = sale ? vw * 1.0 : 0.0;
    row.allocated = sale ? 1.0 : 0.0;
    row.utility = sale ? vw * 1.0 - price : 0.0;
  }
  return row;
}

/// Mechanism 0's running state in the pass of m > 0, for its revenue only (its rule known at run
/// time): two doubles for every rule, top_step's (best, second) bids for second_price and first_price,
/// Σ t in `second` for all_pay; the candidates (first_price's ties, posted_price's buyers).
struct BaseState {
  double best = kNoBid, second = kNoBid;
  unsigned mask = 0;
};

MCREV_HD MCREV_FAST_INLINE BaseState base_start(const FastMech& mk) {
  BaseState s;
  if (mk.rule == Rule::AllPay) s.second = 0.0;  // Σ t
  return s;
}

MCREV_HD MCREV_FAST_INLINE void base_step(const FastMech& mk, int k, double v, BaseState& b) {
  StreamState s;  // the fields the rule's step reads and writes, in and out of b
  s.best = b.best;
  s.second = b.second;
  s.paid = b.second;
  s.mask = b.mask;
  switch (mk.rule) {
    case Rule::SecondPrice:
    case Rule::FirstPrice: stream_step<Rule::SecondPrice, false>(mk, k, v, s); break;
    case Rule::AllPay: stream_step<Rule::AllPay, false>(mk, k, v, s); break;
    default: stream_step<Rule::PostedPrice, false>(mk, k, v, s); break;
  }
  b.best = s.best;
  b.second = mk.rule == Rule::AllPay ? s.paid : s.second;
  b.mask = s.mask;
}

template <int N>
MCREV_HD MCREV_FAST_INLINE double base_revenue(const FastModel& md, const FastMech& mk, std::uint64_t profile,
                                               const BaseState& b) {
  StreamState s;
  s.best = b.best;
  s.second = b.second;
  s.paid = b.second;
  s.mask = b.mask;
  switch (mk.rule) {
    case Rule::SecondPrice:
    case Rule::FirstPrice: return finish<N, Rule::SecondPrice, false>(md, mk, profile, s).revenue;
    case Rule::AllPay: return finish<N, Rule::AllPay, false>(md, mk, profile, s).revenue;
    default: return finish<N, Rule::PostedPrice, false>(md, mk, profile, s).revenue;
  }
}

/// The pass's outcome on one profile (R = kernel_form(pass.mech.rule)): the values streamed once
/// through the mechanism (and mechanism 0 when m > 0, for the baseline).
template <int N, Rule R>
MCREV_HD MCREV_FAST_INLINE KernelRow kernel_row(const FastPass& pass, std::uint64_t profile) {
  static_assert(R != Rule::FirstPrice, "first_price streams as kernel_form: Rule::SecondPrice");
  StreamState mech;
  BaseState base = base_start(pass.base);
  double vmax = 0.0;
  uint4 w{};
MCREV_FAST_NO_UNROLL
  for (int k = 0; k < N; ++k) {
    if (k % 4 == 0) w = philox_block_keyed(pass.keys, profile, kValueLane, static_cast<std::uint32_t>(k / 4));
    const double v = closed_form_quantile(pass.model.dist[0], u32_to_open01(block_word(w, k % 4)));
    vmax = (k == 0 || v > vmax) ? v : vmax;  // max_value: v[0], then v[k] > vmax ? v[k] : vmax
    stream_step<R, true>(pass.mech, k, v, mech);
    if (pass.m > 0) base_step(pass.base, k, v, base);
  }
  KernelRow row = finish<N, R, true>(pass.model, pass.mech, profile, mech);
  row.baseline = pass.m > 0 ? base_revenue<N>(pass.model, pass.base, profile, base) : row.revenue;
  row.vmax = vmax;
  return row;
}

/// Metric k of the one-group block (tail_metrics and sparse_metrics / dense_group_metrics' group
/// metrics), v0 the seller's value, inv = 1 / n.
MCREV_HD MCREV_FAST_INLINE double kernel_metric(const KernelRow& r, double v0, double inv, int k) {
  const double unsold = 1.0 - r.allocated;  // Model::supply() = 1
  const double kept = unsold == 0.0 ? 0.0 : v0 * unsold;
  switch (k) {
    case metric::kRevenue: return r.revenue;
    case metric::kWelfare: return r.welfare;
    case metric::kSellerUtility: return r.revenue + kept;
    case metric::kNoSale: return unsold;
    case metric::kRevenueDiff: return r.revenue - r.baseline;
    case metric::kSurplus: return r.welfare + kept;
    case metric::kOptSurplus: return r.vmax > v0 ? r.vmax : v0;
    case metric::win(0): return r.allocated * inv;
    case metric::payment(0): return r.revenue * inv;
    default: return r.utility * inv;  // metric::utility(0)
  }
}

/// The pass's metric block of one profile (kKernelMetrics doubles; the tests' view of kernel_row).
MCREV_HD inline void kernel_block(const FastPass& pass, const KernelRow& r, double* x) {
  for (int k = 0; k < kKernelMetrics; ++k) x[k] = kernel_metric(r, pass.mech.seller_value, pass.model.group_inv[0], k);
}

/// leaf_add of the pass's block (kKernelMetrics metrics, pair 0 = (surplus, optimal surplus)), each
/// metric formed as it is added, with the leaf sums at acc[row · stride]: rows [0, K) shift, [K, 2K)
/// s1, [2K, 3K) s2, 3K the co-moment; first: the leaf's first profile (it sets the shift). leaf_add's
/// operations in its order.
MCREV_HD MCREV_FAST_INLINE void kernel_leaf_add(bool first, const KernelRow& r, double v0, double inv, double* acc,
                                                int stride) {
  constexpr int K = kKernelMetrics, I = metric::kSurplus, J = metric::kOptSurplus;
  if (first) {
MCREV_FAST_UNROLL
    for (int k = 0; k < K; ++k) {
      acc[k * stride] = kernel_metric(r, v0, inv, k);
      acc[(K + k) * stride] = 0.0;
      acc[(2 * K + k) * stride] = 0.0;
    }
    acc[3 * K * stride] = 0.0;
    return;
  }
  double dI = 0.0, dJ = 0.0;
  volatile double* a = acc;  // one metric's loads at a time (ptxas would issue all 3K up front)
MCREV_FAST_UNROLL
  for (int k = 0; k < K; ++k) {
    const double d = kernel_metric(r, v0, inv, k) - a[k * stride];
    a[(K + k) * stride] = a[(K + k) * stride] + d;
    a[(2 * K + k) * stride] = a[(2 * K + k) * stride] + d * d;
    if (k == I) dI = d;
    if (k == J) dJ = d;
  }
  a[3 * K * stride] = a[3 * K * stride] + dI * dJ;
}

/// leaf_finish in place for K metrics (any fast kernel's rows): afterwards row k holds mean_k, row
/// 2K + k holds M2_k and row 3K the co-moment (the partial [n, mean, m2, cross] of the leaf).
MCREV_HD MCREV_FAST_INLINE void leaf_finish_rows(double n, double* acc, int stride, int K) {
  constexpr int I = metric::kSurplus, J = metric::kOptSurplus;
  acc[3 * K * stride] = n == 0.0 ? 0.0 : acc[3 * K * stride] - acc[(K + I) * stride] * acc[(K + J) * stride] / n;
MCREV_FAST_UNROLL
  for (int k = 0; k < K; ++k) {
    if (n == 0.0) {
      acc[k * stride] = 0.0;
      acc[(2 * K + k) * stride] = 0.0;
      continue;
    }
    const double s1 = acc[(K + k) * stride];
    acc[k * stride] = acc[k * stride] + s1 / n;
    const double v = acc[(2 * K + k) * stride] - s1 * s1 / n;
    acc[(2 * K + k) * stride] = v > 0.0 ? v : 0.0;
  }
}

/// leaf_finish_rows for the single-item kernel's kKernelMetrics (n returned by kernel_leaf).
MCREV_HD MCREV_FAST_INLINE void kernel_leaf_finish(double n, double* acc, int stride) {
  leaf_finish_rows(n, acc, stride, kKernelMetrics);
}

/// One thread's leaf of the fast kernel: profiles [begin, end) of the pass (R =
/// kernel_form(pass.mech.rule)), each profile's outcome streamed (kernel_row) and added to the leaf
/// sums (kernel_leaf_add). The leaf is one of thread_range's: begin a multiple of kLeafProfiles, at
/// most kLeafProfiles profiles (so the leaf's first profile is the one with p % kLeafProfiles == 0).
/// Its profile count, end − begin, is the caller's (kernel_leaf_finish).
template <int N, Rule R>
MCREV_HD inline void kernel_leaf(const FastPass& pass, std::uint64_t begin, std::uint64_t end, double* acc, int stride) {
  for (std::uint64_t p = begin; p < end; ++p)
    kernel_leaf_add(p % kLeafProfiles == 0, kernel_row<N, R>(pass, p), pass.mech.seller_value, pass.model.group_inv[0],
                    acc, stride);
}

/// kernel_leaf and kernel_row for the rule of pass.mech known at run time (the tests' entries; the
/// kernel is instantiated per form).
template <int N>
inline void kernel_leaf_any(const FastPass& pass, std::uint64_t begin, std::uint64_t end, double* acc, int stride) {
  switch (kernel_form(pass.mech.rule)) {
    case Rule::SecondPrice: return kernel_leaf<N, Rule::SecondPrice>(pass, begin, end, acc, stride);
    case Rule::AllPay: return kernel_leaf<N, Rule::AllPay>(pass, begin, end, acc, stride);
    default: return kernel_leaf<N, Rule::PostedPrice>(pass, begin, end, acc, stride);
  }
}
template <int N>
inline KernelRow kernel_row_any(const FastPass& pass, std::uint64_t profile) {
  switch (kernel_form(pass.mech.rule)) {
    case Rule::SecondPrice: return kernel_row<N, Rule::SecondPrice>(pass, profile);
    case Rule::AllPay: return kernel_row<N, Rule::AllPay>(pass, profile);
    default: return kernel_row<N, Rule::PostedPrice>(pass, profile);
  }
}

/// The fast kernel's pass m of a device_eligible plan. Host only.
inline FastPass make_fast_pass(const FastPlan& plan, int m) {
  FastPass pass;
  pass.model = plan;
  pass.base = plan.mech[0];
  pass.mech = plan.mech[m];
  pass.m = m;
  pass.keys = philox_keys(plan.seed);
  return pass;
}

}  // namespace mcrev::fast
