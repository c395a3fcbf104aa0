// Batched clearing of one-group step-curve divisible markets (see cpu_divisible.hpp).
//
// Compiled with -ffp-contract=off (CMakeLists.txt), like cpu_batch.cpp: no fused multiply-adds.
#include "backends/cpu_divisible.hpp"

#include "backends/cpu_batch.hpp"
#include "mcrev/pipeline/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#if defined(__clang__)
// Clang builds (the fuzz preset, CPU only) take the per-profile model for these markets: the batched
// paths' unrolled networks keep clang with ASan and UBSan compiling this file for over ten minutes.
// The per-profile model is the reference these paths reproduce bit for bit, so results are the same.
namespace mcrev::cpu {
bool evaluate_divisible_steps(const Model&, std::uint64_t, int, const double*, double*, double*, int) { return false; }
bool evaluate_divisible_steps(const Model&, Isa, std::uint64_t, int, const double*, double*, double*, int) {
  return false;
}
bool draw_evaluate_divisible_steps(const Model&, Isa, std::uint64_t, int, double*, double*, double*, double*, int) {
  return false;
}
struct DivisibleBatch::State {};
std::unique_ptr<DivisibleBatch> DivisibleBatch::make(const Model&, Isa) { return nullptr; }
DivisibleBatch::DivisibleBatch(std::unique_ptr<State> s) : s_(std::move(s)) {}
DivisibleBatch::~DivisibleBatch() = default;
void DivisibleBatch::run(std::uint64_t, int, double*, double*, int) {}
bool DivisibleBatch::leaves() const { return false; }
int DivisibleBatch::run_leaves(std::uint64_t, double*, double*) { return 0; }
void divisible_evaluation_path(const Model& md, bool, std::string* path) {
  if (md.market.kind == MarketKind::Divisible)
    *path = "generic path (a clang build evaluates divisible markets profile by profile)";
}
}  // namespace mcrev::cpu
#else

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// The 32-byte vectors below never cross a call (everything that takes one is inlined).
#pragma GCC diagnostic ignored "-Wpsabi"

namespace mcrev::cpu {

namespace {

constexpr int kMarketDivisible = static_cast<int>(MarketKind::Divisible);
constexpr int kMaxTop = 64;      // most values the network keeps (K*, + the vcg walk; else the general path)
constexpr int kMaxSlots = 512;  // most padded values per profile the network holds
constexpr int kMaxFastAgents = 64;  // most agents (else the general path)
constexpr int kMaxWalk = kMaxDemand + 3;  // StepsPlan::walk's bound

// What the batch path needs of the model, or ok = false.
struct StepsPlan {
  bool ok = false;
  int agents = 0, m = 0, first_value = 0;
  int kstar = 0;        // A > S first after K* steps (0: never; λ = r)
  int top = 1;          // L: the network keeps the top L values (a power of two >= K*)
  int list = 1;         // each agent's list padded to a power of two, at most L
  int walk = 0;         // vcg: rejected steps walked per lane (more: vcg_fill for that profile)
  double q = 0.0;       // every step's quantity
  bool vcg = false;     // some mechanism is vcg (it reads the sorted values after λ)
  bool exact = false;   // q = width and c · q exact for c <= m (q summed c times is c · q): see clear_eight
  double recip = 0.0;   // 1 / q when q is a power of two (x / q = x · (1 / q), both correctly rounded), else 0
  double qsum[kMaxDemand + 1] = {};  // q summed c times from +0, in order (an agent's strict demand)
  // whole: the whole-step clearing on the words (z8::sixteen_whole, z8::clear_whole) applies: values
  // U[0, 2^k] (every value, w · value and sum of them exact), q = w a power of two, S = (K* − 1) q
  // (the steps above λ fill the supply: nothing of the step priced λ is sold), every mechanism
  // uniform_price, pay_as_bid or vcg with reserve = seller value = 0. gq = (K* − 1) q; unit =
  // w · high · 2^-33 (the value of word y is (2y + 1) · high · 2^-33, times w).
  bool whole = false;
  int wtop = 8;  // the whole-step selection's lists: a power of two >= 8 and >= the ranks read
  // counts: vcg's takers by counts on each agent's sorted words (z8::take_counts) instead of the walk:
  // whole, vcg, and m = 1, 2, 4 or 8 (each agent's words one aligned run of a sorted group of 8)
  bool counts = false;
  double gq = 0.0, unit = 0.0;
};

StepsPlan plan_of(const Model& md) {
  StepsPlan p;
  if (md.market.kind != MarketKind::Divisible || md.n_groups != 1 || md.extra_metrics != 0 ||
      md.values.kind != ValuesKind::Private || md.vr.block_metrics() != 0)
    return p;
  const Group& gr = md.groups[0];
  if (gr.utility != static_cast<int>(Utility::Steps) || gr.demand < 1 || gr.demand > kMaxDemand ||
      gr.count != md.n_bidders || gr.count > kMaxFastAgents || gr.risk != 1.0)
    return p;
  for (int k = 0; k < md.n_mechanisms; ++k) {
    const Mechanism& mech = md.mechanisms[k];
    if (mech.kind != MechKind::DivUniformPrice && mech.kind != MechKind::DivPayAsBid && mech.kind != MechKind::DivVcg)
      return p;
    if (mech.reports_values == 0 && md.strategies[mech.strategies].kind != StrategyKind::Truthful) return p;
  }
  // The steps' quantities exactly as Clearing::breakpoint gives them: all m present and equal.
  const double prices[kMaxDemand] = {};
  DivisibleMarket::Curve c{prices, 1.0, gr.utility, gr.demand, gr.size, md.market.cap};
  double price = 0.0, q = 0.0, q0 = 0.0;
  int kind = 0;
  for (int e = 0; e < gr.demand; ++e) {
    if (!DivisibleMarket::Clearing::breakpoint(c, e, &price, &kind, &q)) return p;
    if (e == 0) q0 = q;
    if (!(q == q0)) return p;
  }
  p.agents = gr.count;
  p.m = gr.demand;
  p.first_value = gr.first_value;
  p.q = q0;
  int exponent = 0;
  if (q0 > 0.0 && std::frexp(q0, &exponent) == 0.5) {  // a power of two with a power-of-two reciprocal
    const double rq = 1.0 / q0;
    if (std::isfinite(rq) && std::frexp(rq, &exponent) == 0.5) p.recip = rq;
  }
  for (int c = 1; c <= p.m; ++c) p.qsum[c] = p.qsum[c - 1] + q0;
  // exact: c · w exact for every c <= m, and q (= w) summed c times from +0 (the strict demand's sum)
  // equal to it
  p.exact = q0 == gr.size && gr.size > 0.0;
  double sum = 0.0;
  for (int c = 1; c <= p.m && p.exact; ++c) {
    sum += q0;
    const double cw = static_cast<double>(c) * gr.size;
    p.exact = sum == cw && std::fma(static_cast<double>(c), gr.size, -cw) == 0.0;
  }
  // clear_steps' sum: A > S first after K* steps, if ever.
  const int steps = p.agents * p.m;
  double A = 0.0;
  for (int k = 1; k <= steps; ++k) {
    A += q0;
    if (A > md.market.supply) {
      p.kstar = k;
      break;
    }
  }
  // vcg: the walk over the rejected steps reads the sorted values K* − 1 ... K* + walk (StepsPlan::walk).
  bool vcg = false;
  for (int k = 0; k < md.n_mechanisms; ++k) vcg = vcg || md.mechanisms[k].kind == MechKind::DivVcg;
  p.vcg = vcg;
  p.walk = p.m + 1;  // an agent fills its x_a from at most m + 1 steps (see profiles_of)
  const int keep = p.kstar == 0 ? 0 : (vcg ? p.kstar + p.walk : p.kstar);
  while (p.top < keep) p.top *= 2;
  while (p.list < p.m) p.list *= 2;
  if (p.list > p.top) p.list = p.top;
  if (p.top > kMaxTop || p.agents * p.list > kMaxSlots) return p;
  p.ok = true;
  // whole (see StepsPlan)
  const double high = gr.dist.high;
  int e_high = 0, e_w = 0;
  bool whole = gr.dist.kind == DistKind::Uniform && gr.dist.low == 0.0 && high > 0.0 &&
               std::frexp(high, &e_high) == 0.5 && p.exact && p.recip > 0.0 && q0 == gr.size &&
               std::frexp(q0, &e_w) == 0.5 && p.kstar >= 1 && e_high + e_w > -900 && e_high + e_w < 900;
  for (int k = 0; k < md.n_mechanisms && whole; ++k) {
    const Mechanism& mech = md.mechanisms[k];
    whole = mech.reserve == 0.0 && mech.seller_value == 0.0;
  }
  if (whole) {
    double gq = 0.0;
    for (int k = 1; k < p.kstar; ++k) gq += q0;
    whole = gq == md.market.supply;
    p.counts = vcg && p.m <= 8 && (p.m & (p.m - 1)) == 0;
    // ranks read: up to K* + 1, with vcg up to K* + m (counts) or K* + 1 + walk (the walk)
    const int ranks = p.kstar + 1 + (vcg ? (p.counts ? p.m - 1 : p.walk) : 0);
    while (p.wtop < ranks) p.wtop *= 2;
    whole = whole && p.wtop <= kMaxTop;
    p.gq = gq;
    p.unit = gr.size * high * 0x1p-33;
  }
  p.whole = whole;
  p.counts = p.counts && whole;
  return p;
}

// Four profiles per vector (GCC vector extension; AVX2 where the caller is compiled for it, pairs
// of SSE2 registers otherwise). Comparisons give 0 / −1 masks; `mask ? a : b` selects lane by lane.
// The network's max/min select one of the operands: it moves values, it never computes any.
typedef double V4 __attribute__((vector_size(32)));
#define MCREV_AI __attribute__((always_inline)) inline

// Through memory: a broadcast load (valgrind, used for the instruction counts, rejects the
// register form of vmovq that GCC emits for V4{x, x, x, x}).
template <class V>
MCREV_AI V splat(double x) {
  double lanes[sizeof(V) / sizeof(double)];
  for (double& l : lanes) l = x;
  V r;
  std::memcpy(&r, lanes, sizeof r);
  return r;
}
// The network's padding: −inf for values; 0 for the 32-bit words of uniforms (U16: sixteen words,
// unsigned; the smallest word, never above a value's word).
typedef unsigned U16 __attribute__((vector_size(64)));
template <class V>
MCREV_AI V lowest() { return splat<V>(-HUGE_VAL); }
template <>
MCREV_AI U16 lowest<U16>() { return U16{}; }
template <class V>
MCREV_AI V vmax(V a, V b) { return a > b ? a : b; }
template <class V>
MCREV_AI V vmin(V a, V b) { return a > b ? b : a; }

// Batcher's bitonic merge of c[0, P) (a bitonic sequence; P a power of two) into decreasing order.
template <int P, class V>
MCREV_AI void bitonic_merge(V* c) {
#pragma GCC unroll 8
  for (int s = P / 2; s >= 1; s /= 2)
#pragma GCC unroll 16
    for (int i = 0; i < P; ++i)
      if ((i & s) == 0) {
        const V a = c[i], b = c[i + s];
        c[i] = vmax(a, b);
        c[i + s] = vmin(a, b);
      }
}

// `lists` sorted lists of LEN values at cur (each decreasing) merged pairwise, keeping the top TOP of
// each merge (max of one list against the other reversed is a bitonic sequence holding the top TOP
// of both), until one list remains; returns it. nxt: room for the next level. kth > 0: only the
// kth largest value is wanted (returned at index kth − 1): the last merge of two lists is then
// max_i min(A[i − 1], B[kth − 1 − i]) (A[−1] = B[−1] = +inf), the kth largest of their union, one of
// the values (with ties, the same value; ties at λ go to the per-profile model anyway).
// two: stop at two lists (at the returned pointer, each of *two entries) instead (lists >= 2).
template <int LEN, int TOP, class V>
MCREV_AI const V* reduce_lists(V* cur, V* nxt, int lists, int kth = 0, int* two = nullptr) {
  constexpr int OUT = 2 * LEN <= TOP ? 2 * LEN : TOP;
  const V ninf = lowest<V>();
  while (lists > 1) {
    if (two && lists == 2) {
      *two = LEN;
      return cur;
    }
    if (lists == 2 && kth > 0 && kth <= LEN) {
      const V* A = cur;
      const V* B = cur + LEN;
      V best = vmax(B[kth - 1], A[kth - 1]);
      for (int i = 1; i < kth; ++i) best = vmax(best, vmin(A[i - 1], B[kth - 1 - i]));
      cur[kth - 1] = best;
      return cur;
    }
#pragma GCC unroll 4
    for (int i = 0; 2 * i < lists; ++i) {
      V* o = nxt + i * OUT;
      const V* A = cur + 2 * i * LEN;
      if (2 * i + 1 == lists) {  // the odd list: padded
        for (int e = 0; e < OUT; ++e) o[e] = e < LEN ? A[e] : ninf;
        continue;
      }
      const V* B = A + LEN;
      if constexpr (2 * LEN <= TOP) {
        for (int e = 0; e < LEN; ++e) {
          o[e] = A[e];
          o[LEN + e] = B[LEN - 1 - e];
        }
      } else {
        for (int e = 0; e < LEN; ++e) o[e] = vmax(A[e], B[LEN - 1 - e]);
      }
      bitonic_merge<OUT>(o);
    }
    lists = (lists + 1) / 2;
    if constexpr (OUT != LEN) return reduce_lists<OUT, TOP>(nxt, cur, lists, kth, two);
    V* t = cur;
    cur = nxt;
    nxt = t;
  }
  return cur;
}

template <int LEN, class V>
MCREV_AI const V* reduce_top(int top, V* cur, V* nxt, int lists, int kth = 0, int* two = nullptr) {
  switch (top) {
#define MCREV_TOP_CASE(T) \
  case T:                 \
    if constexpr (LEN <= T) return reduce_lists<LEN, T>(cur, nxt, lists, kth, two); \
    break;
    MCREV_TOP_CASE(1) MCREV_TOP_CASE(2) MCREV_TOP_CASE(4) MCREV_TOP_CASE(8) MCREV_TOP_CASE(16) MCREV_TOP_CASE(32)
    MCREV_TOP_CASE(64)
#undef MCREV_TOP_CASE
  }
  return cur;
}

// The top p.top of each lane's values x[a * m + e] (agents' sorted lists), in decreasing order (−inf
// past the values); entry K* − 1 is the clearing price candidate. buf_a, buf_b: kMaxSlots each.
// Without a vcg mechanism only entry K* − 1 is read (reduce_lists' kth).
template <class V>
MCREV_AI const V* top_of(const StepsPlan& p, const V* x, V* buf_a, V* buf_b) {
  const V ninf = splat<V>(-HUGE_VAL);
  for (int a = 0; a < p.agents; ++a)
    for (int e = 0; e < p.list; ++e) buf_a[a * p.list + e] = e < p.m ? x[a * p.m + e] : ninf;
  const int kth = p.vcg ? 0 : p.kstar;
  switch (p.list) {
    case 1: return reduce_top<1>(p.top, buf_a, buf_b, p.agents, kth);
    case 2: return reduce_top<2>(p.top, buf_a, buf_b, p.agents, kth);
    case 4: return reduce_top<4>(p.top, buf_a, buf_b, p.agents, kth);
    case 8: return reduce_top<8>(p.top, buf_a, buf_b, p.agents, kth);
    default: return reduce_top<16>(p.top, buf_a, buf_b, p.agents, kth);
  }
}

// vcg_fill's payment of one agent over the walk: its want (X) is filled from the steps R[i] in order,
// skipping its own steps (those equal to one of its values own[0, M)), each step giving
// min(want, res[i]) at price R[i]; returns the payment and leaves in want what is still unfilled.
// M = 0: m values read from memory. Branch-free: a lane whose want is spent takes nothing more
// (stopping there instead costs more in mispredicted branches than it saves).
template <int M, class V>
MCREV_AI V walk_agent(int walk, const V* R, const V* res, const V* base, const V* own, V& want, V zero, V one,
                      int m = M) {
  V t = zero;
  V o[M > 0 ? M : 1];
  if constexpr (M > 0)
    for (int e = 0; e < M; ++e) o[e] = own[e];
  for (int i = 0; i < walk; ++i) {
    const V y = R[i];
    V ok = base[i];
    if constexpr (M > 0) {
      for (int e = 0; e < M; ++e) ok = y == o[e] ? zero : ok;
    } else {
      for (int e = 0; e < m; ++e) ok = y == own[e] ? zero : ok;
    }
    ok = want > zero ? ok : zero;
    const V take = want < res[i] ? want : res[i];
    t = ok == one ? t + y * take : t;
    want = ok == one ? want - take : want;
  }
  return t;
}

// Whether the batched paths solve the first best at the seller's value by an allocation pass at
// reserve v0 (some reserve differs from v0, and every mechanism has the same v0), instead of
// DivisibleMarket::first_best profile by profile.
inline bool first_best_pass(const Model& md) {
  bool differs = false;
  for (int mi = 0; mi < md.n_mechanisms; ++mi) {
    if (md.mechanisms[mi].seller_value != md.mechanisms[0].seller_value) return false;
    differs = differs || md.mechanisms[mi].reserve != md.mechanisms[mi].seller_value;
  }
  return differs;
}

// One vector of W = 4 profiles (lanes >= live are padding): every mechanism's outcome with
// DivisibleMarket::run's arithmetic and its metric block with write_metrics' arithmetic, lane by
// lane. Returns a bit per lane whose profile has a tie at λ for some mechanism (its rows are
// rewritten by the caller).
template <class V>
MCREV_AI int profiles_of(const Model& md, const StepsPlan& p, const double* v, int n, int live, double* b,
                           double* xs, int row) {
  const int N = p.agents, m = p.m, block = md.metrics_per_mechanism();
  const double q = p.q, w = md.groups[0].size, S = md.market.supply, count = md.groups[0].count;
  constexpr int W = sizeof(V) / sizeof(double);
  const V zero = splat<V>(0.0), one = splat<V>(1.0);
  V x[kMaxFastAgents * kMaxDemand];
  for (int a = 0; a < N; ++a)
    for (int e = 0; e < m; ++e) {
      alignas(64) double lanes[W];
      for (int l = 0; l < W; ++l) lanes[l] = l < live ? v[l * n + p.first_value + a * m + e] : -HUGE_VAL;
      std::memcpy(&x[a * m + e], lanes, sizeof lanes);
    }
  V buf_a[kMaxSlots], buf_b[kMaxSlots];
  const V* top = p.kstar > 0 ? top_of(p, x, buf_a, buf_b) : nullptr;
  const V kth = top ? top[p.kstar - 1] : splat<V>(-HUGE_VAL);
  V X[kMaxFastAgents], T[kMaxFastAgents], C[kMaxFastAgents];
  V baseline = zero;
  int bad = 0;
  // The first best at v0: an allocation pass mi = −1 at reserve v0 (see clear_eight).
  const bool opt_pass = first_best_pass(md);
  V gross_opt = zero, quantity_opt = zero;
  for (int mi = opt_pass ? -1 : 0; mi < md.n_mechanisms; ++mi) {
    const Mechanism& mech = md.mechanisms[mi < 0 ? 0 : mi];
    const V r = splat<V>(mi < 0 ? mech.seller_value : mech.reserve);
    // Every select below tests a comparison directly (a mask kept in a variable is tested lane by
    // lane by GCC's lowering of the vector extension).
    const V lambda = kth > r ? kth : r;
    const V qv = splat<V>(q);
    // Counts of the steps above λ and at λ; strict demand as demand() sums it (q per step above λ,
    // then + 0.0 for the rest: the same bits, as the steps are sorted and a sum of q's is never −0).
    V strict = zero, ties = zero;
    for (int a = 0; a < N; ++a) {
      V c = zero, t = zero, s = zero;
      for (int e = 0; e < m; ++e) {
        const V y = x[a * m + e];
        c += y > lambda ? one : zero;
        t += y == lambda ? one : zero;
        s += y > lambda ? qv : zero;
      }
      C[a] = c;
      T[a] = t;  // this agent's steps priced λ (the tied quantity's owner), for now
      X[a] = s;
      strict += s;
      ties += t;
    }
    const V want = kth > r ? one : zero;
    for (int l = 0; l < live; ++l) bad |= ties[l] != want[l] ? 1 << l : 0;
    const V tied = kth > r ? qv : zero;
    const V left0 = splat<V>(S) - strict, left = left0 > zero ? left0 : zero;
    const V share = tied > zero ? (left >= tied ? one : left / tied) : zero;
    const V extra = share == one ? qv : qv * share;
    for (int a = 0; a < N; ++a) X[a] += T[a] > zero ? extra : zero;  // X + 0.0 = X (X >= +0)
    const V quantity = strict + (tied < left0 ? tied : (left0 > zero ? left0 : zero));
    // Each agent's value of its allocation: utility_value of steps (vf = 1), the same terms.
    V value[kMaxFastAgents];
    const V wv = splat<V>(w);

    for (int a = 0; a < N; ++a) {
      V val = zero;
      for (int k = 0; k < m; ++k) {
        const V rest = X[a] - splat<V>(static_cast<double>(k) * w);
        const V piece = (rest < wv ? rest : wv) * x[a * m + k];
        val += rest > zero ? piece : zero;  // utility_value's break: + 0.0 leaves val (never −0)
      }
      value[a] = val;
    }
    if (mi < 0) {  // write_metrics' welfare sum (agent order from +0) and the quantity
      V welfare = zero;
      for (int a = 0; a < N; ++a) welfare += value[a];
      gross_opt = welfare;
      quantity_opt = quantity;
      continue;
    }
    if (mech.kind == MechKind::DivUniformPrice) {
      for (int a = 0; a < N; ++a) T[a] = lambda * X[a];
    } else if (mech.kind == MechKind::DivPayAsBid) {
      for (int a = 0; a < N; ++a) T[a] = value[a];  // u_a(x_a) of the report (= the value)
    } else {
      // vcg_fill: t_a is the value of the best X_a units of the others' rejected steps priced >= r
      // (the step priced λ for q − q·share, then the steps below λ), taken in decreasing price
      // order: the sorted values from K* − 1 on (R). A step is a's own when it equals one of a's
      // values; ties among R (where the merge's agent order would matter) and agents still wanting
      // after the walk go to vcg_fill itself, lane by lane (need). The walk is m + 1 steps: agent a
      // holds C_a steps above λ (the owner of the step priced λ also a part of it), so it takes from
      // at most C_a + 1 others' steps (the first one may be the partly filled step priced λ) and
      // skips at most its m − C_a own rejected steps; rounding in want − take (widths that are not
      // sums of exact binary fractions) may ask for one more, which `need` catches.
      int need = 0;
      const bool seller = mech.reserve > 0.0;  // vcg_fill's last step: unfilled units cost r
      if (p.kstar == 0) {  // λ = r and every step above r allocated: none is left at or above r
        for (int a = 0; a < N; ++a) T[a] = seller ? (X[a] > zero ? zero + r * X[a] : zero) : zero;
      } else {
        const V* R = top + (p.kstar - 1);
        const V rq = qv - qv * share;
        for (int i = 0; i < p.walk; ++i)
          for (int l = 0; l < live; ++l) need |= R[i][l] == R[i + 1][l] && R[i][l] >= r[l] ? 1 << l : 0;
        const V more = R[p.walk - 1] >= r ? one : zero;
        // Per step of R: its quantity res and whether it can be taken at all (priced >= r, res > 0).
        V res[kMaxWalk], base[kMaxWalk];
        for (int i = 0; i < p.walk; ++i) {
          res[i] = R[i] == lambda ? rq : qv;
          base[i] = R[i] >= r ? one : zero;
          base[i] = res[i] > zero ? base[i] : zero;
        }
        for (int a = 0; a < N; ++a) {
          V want = X[a] > zero ? X[a] : zero;
          switch (m) {  // the agent's own values in registers for the common step counts
            case 1: T[a] = walk_agent<1>(p.walk, R, res, base, x + a * m, want, zero, one); break;
            case 2: T[a] = walk_agent<2>(p.walk, R, res, base, x + a * m, want, zero, one); break;
            case 3: T[a] = walk_agent<3>(p.walk, R, res, base, x + a * m, want, zero, one); break;
            case 4: T[a] = walk_agent<4>(p.walk, R, res, base, x + a * m, want, zero, one); break;
            default: T[a] = walk_agent<0>(p.walk, R, res, base, x + a * m, want, zero, one, m);
          }
          const V open = want > zero ? more : zero;
          for (int l = 0; l < live; ++l) need |= open[l] != 0.0 ? 1 << l : 0;
          if (seller) T[a] = want > zero ? T[a] + r * want : T[a];
        }
      }
      // vcg_fill from the merge's state after clear_steps with the step priced λ put back: agent
      // a has consumed its C[a] steps priced above λ. One profile at a time.
      for (int l = 0; l < live; ++l) {
        if ((bad >> l & 1) || !(need >> l & 1)) continue;
        Outcome o = md.outcome_storage(b);
        Identities none;
        DivisibleMarket::Clearing cl = DivisibleMarket::Clearing::make(md, v + l * n, none, md.work(b));
        for (int a = 0; a < N; ++a) {
          const int c = static_cast<int>(C[a][l]);
          cl.cursor[a] = c;
          cl.next[a] = c < m ? v[l * n + p.first_value + a * m + c] : -HUGE_VAL;
          o.alloc[a] = X[a][l];
        }
        auto XA = [&](int a) -> double& { return o.alloc[a]; };
        auto TA = [&](int a) -> double& { return o.transfer[a]; };
        DivisibleMarket::vcg_fill(cl, mech.reserve, lambda[l], share[l], 0, -1, XA, TA);
        for (int a = 0; a < N; ++a) T[a][l] = o.transfer[a];
      }
    }
    // write_metrics of the dense outcome (with dense_group_metrics' step-curve loop and the budget
    // block), every sum in agent order.
    V revenue = zero, welfare = zero, allocated = zero, held = zero, paid = zero, util = zero, negative = zero;
    V active = zero;
    for (int a = 0; a < N; ++a) revenue += T[a];
    for (int a = 0; a < N; ++a) {
      const V xa = X[a], ta = T[a], u = value[a] - ta;
      welfare += value[a];
      allocated += xa;
      held += xa;
      paid += ta;
      util += u;
      negative += u < zero ? one : zero;
      active = xa != zero ? one : active;
    }
    if (mi == 0) baseline = revenue;
    const double inv = 1.0 / count, v0 = mech.seller_value, supply = md.supply();
    const V gross = welfare;
    const V budget = revenue - zero;  // revenue − o.cost
    welfare -= zero;                  // − budget_metrics' o.cost
    const V unsold = splat<V>(supply) - allocated;
    const V kept = unsold == zero ? zero : splat<V>(v0) * unsold;
    bool same = mech.reserve == mech.seller_value;  // reports are the values (truthful: plan_of)
    const int per = metric::per_mechanism(1);
    for (int l = 0; l < live; ++l) {
      if (bad >> l & 1) continue;
      double* out = xs + l * row + mi * block;
      out[metric::kRevenue] = revenue[l];
      out[metric::kWelfare] = welfare[l];
      out[metric::kSellerUtility] = revenue[l] + kept[l];
      out[metric::kNoSale] = unsold[l];
      out[metric::kRevenueDiff] = revenue[l] - baseline[l];
      out[metric::kSurplus] = welfare[l] + kept[l];
      double w_opt = gross[l], held_opt = quantity[l];
      if (!same && opt_pass) {
        w_opt = gross_opt[l];
        held_opt = quantity_opt[l];
      } else if (!same) {
        w_opt = DivisibleMarket::first_best(md, v + l * n, v0, md.work(b), &held_opt);
      }
      out[metric::kOptSurplus] = w_opt + v0 * (supply - held_opt);
      out[metric::win(0)] = held[l] * inv;
      out[metric::payment(0)] = paid[l] * inv;
      out[metric::utility(0)] = util[l] * inv;
      out[per + metric::ir_violation(0)] = negative[l] / count;
      out[per + metric::kActive] = active[l];
      out[per + metric::kBudget] = budget[l];
      out[per + metric::kDeficit] = budget[l] < 0.0 ? 1.0 : 0.0;
      out[per + metric::budget_block(1)] = lambda[l];
    }
  }
  return bad;
}

void four_portable(const Model& md, const StepsPlan& p, const double* v, int n, int live, double* b, double* xs,
                   int row, int* bad) {
  *bad = profiles_of<V4>(md, p, v, n, live, b, xs, row);
}
#if defined(__x86_64__)
__attribute__((target("avx2"))) void four_avx2(const Model& md, const StepsPlan& p, const double* v, int n, int live,
                                               double* b, double* xs, int row, int* bad) {
  *bad = profiles_of<V4>(md, p, v, n, live, b, xs, row);
}
#endif

#if defined(__x86_64__)
// DivisibleBatch::run_leaves' sums (clear_whole adds to them instead of writing rows): the batch's
// column j is profile first + j / 8 of leaf j % 8 (stream_words_interleaved), so in each half of
// sixteen_whole's vectors lane l is leaf l, and the halves come in the leaves' profile order. Entry
// [k * 8 + l]: metric k (< K = n_mechanisms · block) of leaf l; sxy[p * 8 + l]: pair p (mechanism p's
// surplus and optimal surplus, MechanismPairs) of leaf l.
constexpr int kBudgetMetric = metric::per_mechanism(1) + metric::kBudget;  // one group's block
constexpr int kLambdaMetric = metric::outcome_metrics(1, false);          // λ, the block's last
struct LaneSums {
  std::uint64_t first = 0;  // column 0's profile
  bool first_batch = false;  // columns 0..7 are the leaves' first profiles (leaf_add with n = 0)
  double* b = nullptr;       // evaluate_values' scratch
  double* rows = nullptr;    // ties: lane l's metric row at rows + l · K
  double *shift = nullptr, *s1 = nullptr, *s2 = nullptr, *sxy = nullptr;
  int generic = 0;           // profiles the per-profile model evaluated
  // No profile of the leaves so far went to the per-profile model: every profile's block is then
  // clear_whole's, whose metrics are of three kinds (add_lanes adds only the first while clean):
  //  * free: revenue R, welfare W, mechanism m > 0's R − R_0, R / n, u / n (uniform price, vcg) and
  //    mechanism 0's λ;
  //  * equal to a free one in every profile, bitwise: R + kept = R (kept = +0; R >= +0 is never −0,
  //    so R + (+0) = R), the budget R, W + kept = W + opt = W (opt = +0), mechanism m > 0's λ = λ_0;
  //    their shifts (the same first profile) are equal too, so their sums are the free metric's,
  //    operation for operation, and the pair's d_surplus · d_opt = d_W · d_W adds to sxy what s2
  //    adds for W: equal_sums copies them when the leaves stop being clean, and at the end;
  //  * constant (unsold, held, deficit 0 (R >= 0), active, IR violation, mechanism 0's R − R = +0,
  //    pay-as-bid's u / n = +0 · 1/n = +0): d = c − c = +0 for the finite c, and s1 + (+0), s2 +
  //    (+0)(+0) keep the sums' bits (they start at +0 and a sum of +0 and finite terms is never −0),
  //    so the sums stay +0 and need nothing.
  bool clean = true;
};

// evaluate_values of one profile, compiled for the baseline target like the row path's caller (out of
// the AVX-512 region below).
__attribute__((noinline)) void evaluate_tie(const Model& md, std::uint64_t profile, const double* v, double* b,
                                            double* row) {
  evaluate_values<kMarketDivisible>(md, profile, 0, md.n_mechanisms, v, b, row);
}

// ---- Eight profiles per vector with AVX-512 (the fused draw and clearing, draw_evaluate_divisible_steps) ----
// profiles_of's arithmetic, operation for operation, with the selects as mask registers: `c ? a : b`
// is a blend, `s += c ? y : 0.0` a masked add (s + 0.0 = s: none of these sums is ever −0), `a > b ?
// a : b` is vmaxpd(a, b) and `a < b ? a : b` vminpd(a, b) (both return the second operand unless the
// comparison holds, as the conditional does). The network (top_of) is the same template on 8-lane
// vectors. Profile-major values are written only for the lanes the per-profile model takes over.
typedef double V8 __attribute__((vector_size(64)));
#pragma GCC push_options
#pragma GCC target("avx2,avx512f,avx512dq,avx512vl,avx512bw")
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12's AVX-512 intrinsics (bug 105593)
#endif
namespace z8 {
typedef __m512d Z;
typedef __mmask8 K;
MCREV_AI K gt(Z a, Z b) { return _mm512_cmp_pd_mask(a, b, _CMP_GT_OQ); }
MCREV_AI K ge(Z a, Z b) { return _mm512_cmp_pd_mask(a, b, _CMP_GE_OQ); }
MCREV_AI K lt(Z a, Z b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
MCREV_AI K eq(Z a, Z b) { return _mm512_cmp_pd_mask(a, b, _CMP_EQ_OQ); }
MCREV_AI K ne(Z a, Z b) { return _mm512_cmp_pd_mask(a, b, _CMP_NEQ_UQ); }  // !(a == b)
MCREV_AI Z sel(K k, Z a, Z b) { return _mm512_mask_blend_pd(k, b, a); }  // k ? a : b
MCREV_AI Z add_if(K k, Z s, Z y) { return _mm512_mask_add_pd(s, k, s, y); }  // s += k ? y : 0.0 (s != −0)
MCREV_AI double lane(Z v, int l) {
  alignas(64) double t[8];
  _mm512_store_pd(t, v);
  return t[l];
}

// r[0..8): rows of 8 doubles, transposed in place (r[l][k] = the former r[k][l]); moves only.
MCREV_AI void transpose8(Z* r) {
  Z t[8], u[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm512_unpacklo_pd(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_pd(r[2 * i], r[2 * i + 1]);
  }
  u[0] = _mm512_shuffle_f64x2(t[0], t[2], 0x88);
  u[1] = _mm512_shuffle_f64x2(t[0], t[2], 0xDD);
  u[2] = _mm512_shuffle_f64x2(t[1], t[3], 0x88);
  u[3] = _mm512_shuffle_f64x2(t[1], t[3], 0xDD);
  u[4] = _mm512_shuffle_f64x2(t[4], t[6], 0x88);
  u[5] = _mm512_shuffle_f64x2(t[4], t[6], 0xDD);
  u[6] = _mm512_shuffle_f64x2(t[5], t[7], 0x88);
  u[7] = _mm512_shuffle_f64x2(t[5], t[7], 0xDD);
  r[0] = _mm512_shuffle_f64x2(u[0], u[4], 0x88);
  r[4] = _mm512_shuffle_f64x2(u[0], u[4], 0xDD);
  r[2] = _mm512_shuffle_f64x2(u[1], u[5], 0x88);
  r[6] = _mm512_shuffle_f64x2(u[1], u[5], 0xDD);
  r[1] = _mm512_shuffle_f64x2(u[2], u[6], 0x88);
  r[5] = _mm512_shuffle_f64x2(u[2], u[6], 0xDD);
  r[3] = _mm512_shuffle_f64x2(u[3], u[7], 0x88);
  r[7] = _mm512_shuffle_f64x2(u[3], u[7], 0xDD);
}

struct Lanes {
  const Model& md;
  const StepsPlan& p;
  int j0;               // this vector's first profile (row of v and xs)
  double* v;            // profile-major values, written here for the lanes that need them
  unsigned ready = 0;   // lanes whose values are in v
  const Z* x;           // the agents' sorted values, x[a * m + e]
  void values_of(int l) {
    if (ready >> l & 1) return;
    ready |= 1u << l;
    double* out = v + static_cast<size_t>(j0 + l) * md.n_values + p.first_value;
    for (int k = 0; k < p.agents * p.m; ++k) out[k] = lane(x[k], l);
  }
};

// top_of's network on the lists filled in buf_a (out of line: one copy for every M).
__attribute__((noinline)) const V8* network(const StepsPlan& p, V8* buf_a, V8* buf_b) {
  const int kth_only = p.vcg ? 0 : p.kstar;  // without vcg only λ's candidate is read
  switch (p.list) {
    case 1: return reduce_top<1>(p.top, buf_a, buf_b, p.agents, kth_only);
    case 2: return reduce_top<2>(p.top, buf_a, buf_b, p.agents, kth_only);
    case 4: return reduce_top<4>(p.top, buf_a, buf_b, p.agents, kth_only);
    case 8: return reduce_top<8>(p.top, buf_a, buf_b, p.agents, kth_only);
    default: return reduce_top<16>(p.top, buf_a, buf_b, p.agents, kth_only);
  }
}

template <int M>
__attribute__((noinline)) int clear_eight(const Model& md, const StepsPlan& p, const Z* x, const Z kth, const Z* Rin,
                                          const std::uint8_t* notown, int j0, int live, double* v, double* b,
                                          double* xs, int row);

// Profiles j0 .. j0 + live − 1 of the batch (live <= 8): values from the rows u[k * kMaxBatch + j]
// (uniforms when `uniform`: the group's U[low, high] inverse CDF is applied here; else values),
// sorted per agent here; every mechanism's metric rows as profiles_of writes them. Returns the lanes
// with a tie at λ (their values are in v; the caller evaluates them per profile).
// M: the steps per agent as a constant (0: p.m at run time).
template <int M>
MCREV_AI int eight_lanes(const Model& md, const StepsPlan& p, const double* u, bool uniform, int j0, int live,
                         double* v, double* b, double* xs, int row) {
  const int N = p.agents, m = M > 0 ? M : p.m;
  const Group& gr = md.groups[0];
  const K liveK = static_cast<K>((1u << live) - 1u);
  const Z ninf = _mm512_set1_pd(-HUGE_VAL);
  const Z lo = _mm512_set1_pd(gr.dist.low), span = _mm512_set1_pd(gr.dist.high - gr.dist.low);
  Z x[kMaxFastAgents * kMaxDemand];
  V8 buf_a[kMaxSlots], buf_b[kMaxSlots];
  for (int a = 0; a < N; ++a) {
    Z y[kMaxDemand];
    for (int e = 0; e < m; ++e) {
      const double* src = u + static_cast<size_t>(p.first_value + a * m + e) * kMaxBatch + j0;
      Z t = _mm512_mask_loadu_pd(ninf, liveK, src);
      if (uniform) t = _mm512_add_pd(lo, _mm512_mul_pd(span, t));  // low + (high − low) · u
      y[e] = t;
    }
    // sort_columns' network: m rounds of odd-even transposition, swapping only strictly smaller entries
    for (int r = 0; r < m; ++r)
      for (int i = r & 1; i + 1 < m; i += 2) {
        const Z a0 = y[i], b0 = y[i + 1];
        y[i] = _mm512_max_pd(b0, a0);
        y[i + 1] = _mm512_min_pd(a0, b0);
      }
    for (int e = 0; e < m; ++e) x[a * m + e] = y[e];
    for (int e = 0; e < p.list; ++e) buf_a[a * p.list + e] = static_cast<V8>(e < m ? y[e] : ninf);  // top_of's lists
  }
  const V8* top = p.kstar > 0 ? network(p, buf_a, buf_b) : nullptr;
  const Z kth = top ? static_cast<Z>(top[p.kstar - 1]) : ninf;
  return clear_eight<M>(md, p, x, kth, top ? reinterpret_cast<const Z*>(top + (p.kstar - 1)) : nullptr, nullptr, j0,
                        live, v, b, xs, row);
}

// eight_lanes' clearing from the sorted values x[a * m + e] (lanes >= live: padding), kth (the K*-th
// largest value, −inf when K* = 0) and, with vcg, R[0 .. walk] (the sorted values from K* − 1 on)
// and, when not null, notown[i * N + a]: the lanes where step R[i] is not one of agent a's
// (sixteen_lanes, from the words; else the walk tests the values' bits).
// Out of line: one copy for every M, shared by eight_lanes and sixteen_lanes.
template <int M>
__attribute__((noinline)) int clear_eight(const Model& md, const StepsPlan& p, const Z* x, const Z kth, const Z* Rin,
                                          const std::uint8_t* notown, int j0, int live, double* v, double* b,
                                          double* xs, int row) {
  const int N = p.agents, m = M > 0 ? M : p.m, block = md.metrics_per_mechanism();
  const Group& gr = md.groups[0];
  const double q = p.q, w = gr.size, S = md.market.supply, count = gr.count;
  const K liveK = static_cast<K>((1u << live) - 1u);
  const Z zero = _mm512_setzero_pd(), one = _mm512_set1_pd(1.0), qv = _mm512_set1_pd(q);
  Lanes ln{md, p, j0, v, 0, x};
  Z X[kMaxFastAgents], T[kMaxFastAgents], value[kMaxFastAgents];
  Z baseline = zero;
  K bad = 0;
  const Z wv = _mm512_set1_pd(w);
  const bool unit = w == 1.0;
  Z kw[kMaxDemand], qs[kMaxDemand + 1];
  for (int c = 0; c <= m; ++c) qs[c] = _mm512_set1_pd(p.qsum[c]);
  for (int k = 0; k < m; ++k) kw[k] = _mm512_set1_pd(static_cast<double>(k) * w);
  // The first best at the seller's value v0 is the clearing at reserve v0 (first_best's arithmetic,
  // the same as a mechanism's with reserve = v0): one allocation pass mi = −1 ahead of the
  // mechanisms when some reserve differs from v0 (opt_pass), its welfare and quantity kept.
  const bool opt_pass = first_best_pass(md);
  Z gross_opt = zero, quantity_opt = zero;
  for (int mi = opt_pass ? -1 : 0; mi < md.n_mechanisms; ++mi) {
    const Mechanism& mech = md.mechanisms[mi < 0 ? 0 : mi];
    const Z r = _mm512_set1_pd(mi < 0 ? mech.seller_value : mech.reserve);
    const K above = gt(kth, r);
    const Z lambda = _mm512_max_pd(kth, r);  // kth > r ? kth : r
    Z strict = zero, ties = zero;
    for (int a = 0; a < N; ++a) {
      Z t = zero, s = zero, val = zero;
      for (int e = 0; e < m; ++e) {
        const Z y = x[a * m + e];
        const K g = gt(y, lambda);
        t = add_if(eq(y, lambda), t, one);
        s = sel(g, qs[e + 1], s);  // the steps above λ are a prefix (sorted): s = q summed C_a times
        if (p.exact) val = add_if(g, val, unit ? y : _mm512_mul_pd(wv, y));  // the steps above λ: w · y
      }
      T[a] = t;
      X[a] = s;
      value[a] = val;
      strict = _mm512_add_pd(strict, s);
      ties = _mm512_add_pd(ties, t);
    }
    const Z want1 = _mm512_maskz_mov_pd(above, one);
    bad |= ne(ties, want1) & liveK;
    const Z tied = _mm512_maskz_mov_pd(above, qv);
    const Z left0 = _mm512_sub_pd(_mm512_set1_pd(S), strict), left = _mm512_max_pd(left0, zero);
    // left / tied with tied = q (the lanes kept): left · (1 / q) when q is a power of two
    const Z ratio = p.recip > 0.0 ? _mm512_mul_pd(left, _mm512_set1_pd(p.recip)) : _mm512_div_pd(left, tied);
    const Z share = _mm512_maskz_mov_pd(gt(tied, zero), sel(ge(left, tied), one, ratio));
    const Z extra = sel(eq(share, one), qv, _mm512_mul_pd(qv, share));
    const Z quantity = _mm512_add_pd(strict, sel(lt(tied, left0), tied, left));
    if (p.exact) {
      // profiles_of's sum, term by term, with c · w exact (StepsPlan::exact): agent a holds C_a steps
      // above λ, its strict demand S0 = C_a · w, and X = S0 or (the owner of the step priced λ) S0 +
      // extra with 0 <= extra <= w. For k < C_a, rest = X − k w >= (C_a − k) w >= w (rounding is
      // monotone and (C_a − k) w is exact), so the term is min(rest, w) · y_k = w · y_k, added: the
      // masked sum above (w · y = y for w = 1). For k > C_a, rest <= (C_a + 1) w − k w <= 0: not
      // added. k = C_a: rest = X − S0 (k w = S0 bitwise), +0 for all but the owner, whose step y_k
      // is λ itself (the one value equal to λ; a lane with another is recomputed), added last as
      // the sum does.
      for (int a = 0; a < N; ++a) {
        const Z s0 = X[a], xa = add_if(gt(T[a], zero), s0, extra);  // X + 0.0 = X (X >= +0)
        const Z rest = _mm512_sub_pd(xa, s0);
        value[a] = add_if(gt(rest, zero), value[a], _mm512_mul_pd(_mm512_min_pd(rest, wv), lambda));
        X[a] = xa;
      }
    } else {
      for (int a = 0; a < N; ++a) X[a] = add_if(gt(T[a], zero), X[a], extra);
      for (int a = 0; a < N; ++a) {
        Z val = zero;
        for (int k = 0; k < m; ++k) {
          const Z rest = _mm512_sub_pd(X[a], kw[k]);
          const Z piece = _mm512_mul_pd(_mm512_min_pd(rest, wv), x[a * m + k]);
          val = add_if(gt(rest, zero), val, piece);
        }
        value[a] = val;
      }
    }
    if (mi < 0) {  // write_metrics' welfare sum (agent order from +0) and the quantity
      Z welfare = zero;
      for (int a = 0; a < N; ++a) welfare = _mm512_add_pd(welfare, value[a]);
      gross_opt = welfare;
      quantity_opt = quantity;
      continue;
    }
    if (mech.kind == MechKind::DivUniformPrice) {
      for (int a = 0; a < N; ++a) T[a] = _mm512_mul_pd(lambda, X[a]);
    } else if (mech.kind == MechKind::DivPayAsBid) {
      for (int a = 0; a < N; ++a) T[a] = value[a];
    } else {  // vcg: profiles_of's walk (see there), the own-step tests as masks
      K need = 0;
      const bool seller = mech.reserve > 0.0;  // vcg_fill's last step: unfilled units cost r
      if (p.kstar == 0) {
        for (int a = 0; a < N; ++a)
          T[a] = seller ? add_if(gt(X[a], zero), zero, _mm512_mul_pd(r, X[a])) : zero;
      } else {
        Z R[kMaxWalk + 1], res[kMaxWalk];
        K base[kMaxWalk];
        for (int i = 0; i <= p.walk; ++i) R[i] = Rin[i];
        const Z rq = _mm512_sub_pd(qv, _mm512_mul_pd(qv, share));
        for (int i = 0; i < p.walk; ++i) need |= eq(R[i], R[i + 1]) & ge(R[i], r);
        const K more = ge(R[p.walk - 1], r);
        for (int i = 0; i < p.walk; ++i) {
          res[i] = sel(eq(R[i], lambda), rq, qv);
          base[i] = ge(R[i], r) & gt(res[i], zero);
        }
        // Step by step for all agents (each agent's operations in walk_agent's order; the agents'
        // chains through `want` are independent, so they overlap).
        Z want[kMaxFastAgents];
        for (int a = 0; a < N; ++a) {
          want[a] = _mm512_max_pd(X[a], zero);  // X > 0 ? X : 0
          T[a] = zero;
        }
        // Two shortcuts, neither changing a bit of a profile that is not recomputed (by vcg_fill or
        // the per-profile model): (1) "R[i] is one of a's values" as equal bit patterns, the
        // smallest of the XORs with a's values being 0: a step of R that equals another agent's
        // value numerically but not in bits (+0 and −0), or equals it at all, is a tie among the
        // sorted values next to it, which `need` or `bad` flags; (2) no `want > 0` test: want >= +0
        // throughout (min(want, res) <= want), and with want = +0 the step adds y · (+0) = +0 to
        // t >= +0 (y >= r >= 0) and leaves want = +0 − +0 = +0, the bits the test would keep.
        const __m512i zi = _mm512_setzero_si512();
        if (notown && M > 0) {
          // The own-step tests given (sixteen_lanes): agent by agent, its walk in registers (the
          // agents' chains are independent; out-of-order execution overlaps them).
          constexpr int WALK = M + 1;  // StepsPlan::walk
          for (int a = 0; a < N; ++a) {
            Z wa = want[a], ta = zero;
            for (int i = 0; i < WALK; ++i) {
              const K ok = base[i] & static_cast<K>(notown[i * N + a]);
              const Z take = _mm512_min_pd(wa, res[i]);  // want < res ? want : res
              ta = add_if(ok, ta, _mm512_mul_pd(R[i], take));
              wa = _mm512_mask_sub_pd(wa, ok, wa, take);
            }
            want[a] = wa;
            T[a] = ta;
          }
        } else {
          for (int i = 0; i < p.walk; ++i) {
            const Z y = R[i], ri = res[i];
            const __m512i yb = _mm512_castpd_si512(y);
            for (int a = 0; a < N; ++a) {
              const Z* own = x + a * m;
              __m512i d = _mm512_xor_si512(yb, _mm512_castpd_si512(own[0]));
              for (int e = 1; e < m; ++e) d = _mm512_min_epu64(d, _mm512_xor_si512(yb, _mm512_castpd_si512(own[e])));
              const K ok = _mm512_mask_cmpneq_epu64_mask(base[i], d, zi);
              const Z wa = want[a];
              const Z take = _mm512_min_pd(wa, ri);  // want < res ? want : res
              T[a] = add_if(ok, T[a], _mm512_mul_pd(y, take));
              want[a] = _mm512_mask_sub_pd(wa, ok, wa, take);
            }
          }
        }
        for (int a = 0; a < N; ++a) need |= gt(want[a], zero) & more;
        if (seller)
          for (int a = 0; a < N; ++a) T[a] = add_if(gt(want[a], zero), T[a], _mm512_mul_pd(r, want[a]));
      }
      need &= liveK & static_cast<K>(~bad);
      for (int l = 0; l < live; ++l) {  // vcg_fill itself, from the merge's state the counts give
        if (!(need >> l & 1)) continue;
        ln.values_of(l);
        const double* vl = v + static_cast<size_t>(j0 + l) * md.n_values;
        Outcome o = md.outcome_storage(b);
        Identities none;
        DivisibleMarket::Clearing cl = DivisibleMarket::Clearing::make(md, vl, none, md.work(b));
        const double lam = lane(lambda, l);
        for (int a = 0; a < N; ++a) {
          int c = 0;  // the agent's steps priced above λ
          while (c < m && vl[p.first_value + a * m + c] > lam) ++c;
          cl.cursor[a] = c;
          cl.next[a] = c < m ? vl[p.first_value + a * m + c] : -HUGE_VAL;
          o.alloc[a] = lane(X[a], l);
        }
        auto XA = [&](int a) -> double& { return o.alloc[a]; };
        auto TA = [&](int a) -> double& { return o.transfer[a]; };
        DivisibleMarket::vcg_fill(cl, mech.reserve, lane(lambda, l), lane(share, l), 0, -1, XA, TA);
        alignas(64) double t8[8];
        for (int a = 0; a < N; ++a) {
          _mm512_store_pd(t8, T[a]);
          t8[l] = o.transfer[a];
          T[a] = _mm512_load_pd(t8);
        }
      }
    }
    // write_metrics (see profiles_of)
    Z revenue = zero, welfare = zero, allocated = zero, held = zero, paid = zero, util = zero, negative = zero;
    K act = 0;
    for (int a = 0; a < N; ++a) revenue = _mm512_add_pd(revenue, T[a]);
    for (int a = 0; a < N; ++a) {
      const Z xa = X[a], ta = T[a], ua = _mm512_sub_pd(value[a], ta);
      welfare = _mm512_add_pd(welfare, value[a]);
      allocated = _mm512_add_pd(allocated, xa);
      util = _mm512_add_pd(util, ua);
      negative = add_if(lt(ua, zero), negative, one);
      act |= ne(xa, zero);
    }
    held = allocated;  // the same sums in the same order (of x_a; of t_a, = revenue)
    paid = revenue;
    if (mi == 0) baseline = revenue;
    const double inv = 1.0 / count, v0 = mech.seller_value, supply = md.supply();
    const Z gross = welfare, v0v = _mm512_set1_pd(v0), sv = _mm512_set1_pd(supply), invv = _mm512_set1_pd(inv);
    const Z budget = _mm512_sub_pd(revenue, zero);
    welfare = _mm512_sub_pd(welfare, zero);
    const Z unsold = _mm512_sub_pd(sv, allocated);
    const Z kept = sel(eq(unsold, zero), zero, _mm512_mul_pd(v0v, unsold));
    const bool same = mech.reserve == mech.seller_value;
    Z o[16] = {revenue,
               welfare,
               _mm512_add_pd(revenue, kept),
               unsold,
               _mm512_sub_pd(revenue, baseline),
               _mm512_add_pd(welfare, kept),
               same || !opt_pass ? _mm512_add_pd(gross, _mm512_mul_pd(v0v, _mm512_sub_pd(sv, quantity)))
                                 : _mm512_add_pd(gross_opt, _mm512_mul_pd(v0v, _mm512_sub_pd(sv, quantity_opt))),
               _mm512_mul_pd(held, invv),
               _mm512_mul_pd(paid, invv),
               _mm512_mul_pd(util, invv),
               budget,
               _mm512_maskz_mov_pd(lt(budget, zero), one),
               _mm512_maskz_mov_pd(act, one),
               _mm512_div_pd(negative, _mm512_set1_pd(count)),
               lambda,
               zero};
    transpose8(o);  // o[l]: lane l's metrics 0..7, o[8 + l]: its metrics 8..14
    transpose8(o + 8);
    static_assert(metric::kRevenue == 0 && metric::kWelfare == 1 && metric::kSellerUtility == 2 &&
                      metric::kNoSale == 3 && metric::kRevenueDiff == 4 && metric::kSurplus == 5 &&
                      metric::kOptSurplus == 6 && metric::win(0) == 7 && metric::payment(0) == 8 &&
                      metric::utility(0) == 9 && metric::per_mechanism(1) + metric::kBudget == 10 &&
                      metric::per_mechanism(1) + metric::kDeficit == 11 &&
                      metric::per_mechanism(1) + metric::kActive == 12 &&
                      metric::per_mechanism(1) + metric::ir_violation(0) == 13 &&
                      metric::per_mechanism(1) + metric::budget_block(1) == 14,
                  "the metric block's layout (one group)");
    for (int l = 0; l < live; ++l) {
      if (bad >> l & 1) continue;
      double* out = xs + static_cast<size_t>(j0 + l) * row + mi * block;
      _mm512_storeu_pd(out, o[l]);
      _mm512_mask_storeu_pd(out + 8, 0x7F, o[8 + l]);
      if (!same && !opt_pass) {
        ln.values_of(l);
        double held_opt = 0.0;
        const double w_opt = DivisibleMarket::first_best(md, v + static_cast<size_t>(j0 + l) * md.n_values, v0,
                                                         md.work(b), &held_opt);
        out[metric::kOptSurplus] = w_opt + v0 * (supply - held_opt);
      }
    }
  }
  for (int l = 0; l < live; ++l)
    if (bad >> l & 1) ln.values_of(l);
  return bad;
}

// run_leaves' ties (the lanes in bad8 of the half whose lane l is column col0 + l, profile
// ls.first + col0 / 8 + l · kLeafProfiles): the per-profile model on the values clear_whole wrote to
// v, each row to ls.rows + l · K, as the row path's caller does after sixteen_whole.
__attribute__((noinline)) void tie_rows(const Model& md, LaneSums& ls, const double* v, int col0, unsigned bad8) {
  const int K = md.n_mechanisms * md.metrics_per_mechanism();
  for (int l = 0; l < 8; ++l) {
    if (!(bad8 >> l & 1)) continue;
    const std::uint64_t profile = ls.first + static_cast<std::uint64_t>(col0 / 8) +
                                  static_cast<std::uint64_t>(l) * static_cast<std::uint64_t>(kLeafProfiles);
    evaluate_tie(md, profile, v + static_cast<size_t>(col0 + l) * md.n_values, ls.b, ls.rows + static_cast<size_t>(l) * K);
    ++ls.generic;
  }
}

// o[k] (k < 15, mechanism block at metric m0) with lane l replaced by the tie row's metric for l in bad8.
__attribute__((noinline)) void patch_ties(const double* rows, int K, int m0, unsigned bad8, Z* o) {
  alignas(64) double t[8];
  for (int k = 0; k < 15; ++k) {
    _mm512_store_pd(t, o[k]);
    for (int l = 0; l < 8; ++l)
      if (bad8 >> l & 1) t[l] = rows[static_cast<size_t>(l) * K + m0 + k];
    o[k] = _mm512_load_pd(t);
  }
}

// leaf_add of one profile per leaf (lane l: leaf l) for the 15 metrics of one mechanism's block
// (metrics m0 ...) and its pair p: LeafAccumulator's operations (accumulate_avx512, accumulate_pairs)
// in the same order, d = x − shift, s1 += d, s2 += d · d, sxy += d_surplus · d_opt_surplus, lane by
// lane (each lane's IEEE operations are the scalar ones, so the bits are the rows' bits); `first`:
// the leaves' first profiles set the shifts and the sums start at +0 (leaf_add with n = 0).
// While ls.clean only the free metrics (see LaneSums); pab: the mechanism is pay-as-bid.
MCREV_AI void add_lanes(LaneSums& ls, const Z* o, int m0, int p, bool first, bool pab) {
  double* sh = ls.shift + static_cast<size_t>(m0) * 8;
  double* a1 = ls.s1 + static_cast<size_t>(m0) * 8;
  double* a2 = ls.s2 + static_cast<size_t>(m0) * 8;
  const Z zero = _mm512_setzero_pd();
  if (first) {
    for (int k = 0; k < 15; ++k) {
      _mm512_storeu_pd(sh + 8 * k, o[k]);
      _mm512_storeu_pd(a1 + 8 * k, zero);
      _mm512_storeu_pd(a2 + 8 * k, zero);
    }
    _mm512_storeu_pd(ls.sxy + 8 * p, zero);
    return;
  }
  auto add = [&](int k) {
    const Z d = _mm512_sub_pd(o[k], _mm512_loadu_pd(sh + 8 * k));
    _mm512_storeu_pd(a1 + 8 * k, _mm512_add_pd(_mm512_loadu_pd(a1 + 8 * k), d));
    _mm512_storeu_pd(a2 + 8 * k, _mm512_add_pd(_mm512_loadu_pd(a2 + 8 * k), _mm512_mul_pd(d, d)));
  };
  if (ls.clean) {
    add(metric::kRevenue);
    add(metric::kWelfare);
    if (p > 0) add(metric::kRevenueDiff);
    add(metric::payment(0));
    if (!pab) add(metric::utility(0));
    if (p == 0) add(kLambdaMetric);
    return;
  }
  Z di = zero, dj = zero;
  for (int k = 0; k < 15; ++k) {
    const Z d = _mm512_sub_pd(o[k], _mm512_loadu_pd(sh + 8 * k));
    _mm512_storeu_pd(a1 + 8 * k, _mm512_add_pd(_mm512_loadu_pd(a1 + 8 * k), d));
    _mm512_storeu_pd(a2 + 8 * k, _mm512_add_pd(_mm512_loadu_pd(a2 + 8 * k), _mm512_mul_pd(d, d)));
    if (k == metric::kSurplus) di = d;
    if (k == metric::kOptSurplus) dj = d;
  }
  _mm512_storeu_pd(ls.sxy + 8 * p, _mm512_add_pd(_mm512_loadu_pd(ls.sxy + 8 * p), _mm512_mul_pd(di, dj)));
}

// The sums of the metrics equal to a free one while the leaves were clean (LaneSums), copied from it;
// the leaves are not clean after (every metric added).
__attribute__((noinline)) void equal_sums(LaneSums& ls, int n_mechanisms, int block) {
  auto copy = [&](int from, int to) {
    std::memcpy(ls.s1 + 8 * to, ls.s1 + 8 * from, 8 * sizeof(double));
    std::memcpy(ls.s2 + 8 * to, ls.s2 + 8 * from, 8 * sizeof(double));
  };
  for (int mi = 0; mi < n_mechanisms; ++mi) {
    const int m0 = mi * block;
    copy(m0 + metric::kRevenue, m0 + metric::kSellerUtility);
    copy(m0 + metric::kRevenue, m0 + kBudgetMetric);
    copy(m0 + metric::kWelfare, m0 + metric::kSurplus);
    copy(m0 + metric::kWelfare, m0 + metric::kOptSurplus);
    std::memcpy(ls.sxy + 8 * mi, ls.s2 + 8 * (m0 + metric::kWelfare), 8 * sizeof(double));
    if (mi > 0) copy(kLambdaMetric, m0 + kLambdaMetric);
  }
  ls.clean = false;
}

// clear_eight's outcome and metric block for sixteen profiles of a whole-step market (StepsPlan::whole)
// from λ's word kw (the K*-th largest), the sum of the words above it (lo, hi) and vcg's sum of the
// words the agents' walks take (vlo, vhi), without a value per step (sixteen_whole computes them).
// With r = 0 < every value, λ = value(kw) (kth > r); the lanes in bad (a tie at λ, or vcg's need)
// get their values in v and no row, as in clear_eight. Otherwise exactly K* − 1 steps lie above λ and
// S − (K* − 1) q = 0: share = 0, extra = +0, every X_a = C_a q, strict = held = allocated =
// quantity = (K* − 1) q. Every value is (2y + 1) · high · 2^-33, so every product w · y, λ · X_a
// and every sum of them in clear_eight is exact (at most 512 terms of 33 + 9 significant bits):
// the sums depend only on their terms, not on their order, and equal the real sums. Hence welfare =
// (2 Σ y + K* − 1) · w · high · 2^-33 (Σ over the words above λ; integer sums below 2^42, exact in
// doubles), uniform price's revenue = λ · (K* − 1) q and utility = welfare − revenue (u_a >= 0:
// no IR violation), pay-as-bid's revenue = welfare and utility +0, vcg's revenue = (2 Σ taken y +
// K* − 1) · w · high · 2^-33 (each agent takes C_a steps; K* − 1 in all) and utility = welfare −
// revenue (t_a < u_a: no IR violation). The rest of the block is constant, computed with
// clear_eight's operations in the same order.
//
// With ls (DivisibleBatch::run_leaves: lane l of each half is leaf l, see LaneSums) the block's
// vectors are added to the leaves' sums instead (add_lanes), a tie's lane replaced first by the
// per-profile model's row (tie_rows, patch_ties): no transpose, no row.
MCREV_AI int clear_whole(const Model& md, const StepsPlan& p, const std::uint32_t* w0, const __m512i kw,
                         const __m512i lo, const __m512i hi, const __m512i vlo, const __m512i vhi, int bad, int j0,
                         int live, double* v, double* xs, int row, LaneSums* ls) {
  const int block = md.metrics_per_mechanism();
  const Group& gr = md.groups[0];
  const bool unit = gr.dist.high == 1.0;
  for (int l = 0; l < live; ++l) {  // the per-profile model's values (sorted per agent) for the bad lanes
    if (!(bad >> l & 1)) continue;
    double* out = v + static_cast<size_t>(j0 + l) * md.n_values + p.first_value;
    for (int a = 0; a < p.agents; ++a) {
      std::uint32_t t[kMaxDemand];
      for (int e = 0; e < p.m; ++e) t[e] = w0[static_cast<size_t>(a * p.m + e) * kMaxBatch + l];
      std::sort(t, t + p.m, [](std::uint32_t x, std::uint32_t y) { return x > y; });
      for (int e = 0; e < p.m; ++e) {
        const double uu = (static_cast<double>(t[e]) + 0.5) * 0x1p-32;
        out[a * p.m + e] = unit ? uu : 0.0 + gr.dist.high * uu;
      }
    }
  }
  // Σ y over the words above λ from two u32 sums: lo (mod 2^32) and hi = Σ (y >> 16) (below 2^25);
  // Σ y = 2^16 hi + ((lo − 2^16 hi) mod 2^32), the second term Σ (y & 0xFFFF) < 2^25.
  const __m512i low16 = _mm512_sub_epi32(lo, _mm512_slli_epi32(hi, 16));
  const __m512i vlow16 = _mm512_sub_epi32(vlo, _mm512_slli_epi32(vhi, 16));
  const double v0 = 0.0, supply = md.supply(), inv = 1.0 / gr.count, count = gr.count;
  const double unsold = supply - p.gq;                            // sv − allocated
  const double kept = unsold == 0.0 ? 0.0 : v0 * unsold;          // seller value 0
  const double opt = v0 * (supply - p.gq);                        // v0 · (sv − quantity)
  const Z zero = _mm512_setzero_pd(), one = _mm512_set1_pd(1.0);
  const Z keptv = _mm512_set1_pd(kept), optv = _mm512_set1_pd(opt), invv = _mm512_set1_pd(inv);
  const Z heldc = _mm512_set1_pd(p.gq * inv), unsoldv = _mm512_set1_pd(unsold);
  const Z activec = p.gq != 0.0 ? one : zero;   // some X_a = C_a q != 0 iff K* − 1 > 0
  const Z negc = _mm512_set1_pd(0.0 / count);  // no u_a < 0
  const Z half = _mm512_set1_pd(0.5), scale = _mm512_set1_pd(0x1p-32), span = _mm512_set1_pd(gr.dist.high);
  for (int h = 0; h < 2 && 8 * h < live; ++h) {
    const unsigned bad8 = static_cast<unsigned>(bad) >> (8 * h) & 0xFFu;
    if (ls && bad8) {
      if (ls->clean) equal_sums(*ls, md.n_mechanisms, block);
      tie_rows(md, *ls, v, j0 + 8 * h, bad8);
    }
    auto part = [&](__m512i x) {
      return _mm512_cvtepu32_pd(h == 0 ? _mm512_castsi512_si256(x) : _mm512_extracti64x4_epi64(x, 1));
    };
    const Z u = _mm512_mul_pd(_mm512_add_pd(part(kw), half), scale);  // sixteen_lanes' value_of
    const Z lambda = unit ? u : _mm512_add_pd(zero, _mm512_mul_pd(span, u));
    // 2 Σ y + (K* − 1) = 2^17 hi + 2 low16 + (K* − 1), every step exact
    const Z sum = _mm512_add_pd(_mm512_mul_pd(part(hi), _mm512_set1_pd(131072.0)),
                                _mm512_add_pd(_mm512_add_pd(part(low16), part(low16)), _mm512_set1_pd(p.kstar - 1)));
    const Z welfare = _mm512_mul_pd(sum, _mm512_set1_pd(p.unit));
    // vcg: Σ_a t_a = q Σ_a Σ (values of the steps a's walk takes), each a value of R (see sixteen_whole)
    const Z vsum = _mm512_add_pd(_mm512_mul_pd(part(vhi), _mm512_set1_pd(131072.0)),
                                 _mm512_add_pd(_mm512_add_pd(part(vlow16), part(vlow16)), _mm512_set1_pd(p.kstar - 1)));
    const Z vcg_revenue = _mm512_mul_pd(vsum, _mm512_set1_pd(p.unit));
    Z baseline = zero;
    for (int mi = 0; mi < md.n_mechanisms; ++mi) {
      const MechKind kind = md.mechanisms[mi].kind;
      const bool up = kind == MechKind::DivUniformPrice, vcg = kind == MechKind::DivVcg;
      const Z revenue = up ? _mm512_mul_pd(lambda, _mm512_set1_pd(p.gq)) : vcg ? vcg_revenue : welfare;
      const Z util = up || vcg ? _mm512_sub_pd(welfare, revenue) : zero;
      if (mi == 0) baseline = revenue;
      Z o[16] = {revenue,
                 welfare,
                 _mm512_add_pd(revenue, keptv),
                 unsoldv,
                 _mm512_sub_pd(revenue, baseline),
                 _mm512_add_pd(welfare, keptv),
                 _mm512_add_pd(welfare, optv),
                 heldc,
                 _mm512_mul_pd(revenue, invv),
                 _mm512_mul_pd(util, invv),
                 revenue,
                 _mm512_maskz_mov_pd(lt(revenue, zero), one),
                 activec,
                 negc,
                 lambda,
                 zero};
      if (ls) {  // run_leaves: the vectors (lanes = leaves) added to the sums, ties' rows in their lanes
        if (bad8) patch_ties(ls->rows, md.n_mechanisms * block, mi * block, bad8, o);
        add_lanes(*ls, o, mi * block, mi, ls->first_batch && j0 + 8 * h == 0, !up && !vcg);
        continue;
      }
      transpose8(o);
      transpose8(o + 8);
      for (int l = 0; l < 8 && 8 * h + l < live; ++l) {
        if (bad >> (8 * h + l) & 1) continue;
        double* out = xs + static_cast<size_t>(j0 + 8 * h + l) * row + mi * block;
        _mm512_storeu_pd(out, o[l]);
        _mm512_mask_storeu_pd(out + 8, 0x7F, o[8 + l]);
      }
    }
  }
  return bad;
}

// top_of's network on sixteen profiles' 32-bit words (out of line: one copy for every M).
__attribute__((noinline)) const U16* network16(const StepsPlan& p, U16* buf_a, U16* buf_b) {
  const int kth_only = p.vcg ? 0 : p.kstar;
  switch (p.list) {
    case 1: return reduce_top<1>(p.top, buf_a, buf_b, p.agents, kth_only);
    case 2: return reduce_top<2>(p.top, buf_a, buf_b, p.agents, kth_only);
    case 4: return reduce_top<4>(p.top, buf_a, buf_b, p.agents, kth_only);
    default: return reduce_top<8>(p.top, buf_a, buf_b, p.agents, kth_only);
  }
}

// sixteen_whole's vcg walk (see there) for every agent, M steps each (0: p.m): adds to takers[i]
// the agents taking step R[i]; returns the lanes where an agent is still wanting after the walk.
template <int M>
MCREV_AI __mmask16 walk_words(const StepsPlan& p, const std::uint32_t* w0, __mmask16 liveK, __m512i kw,
                              const __m512i* R, int walk, __m512i* takers) {
  const int m = M > 0 ? M : p.m;
  if (M > 0) walk = M + 1;  // StepsPlan::walk
  const __m512i zi = _mm512_setzero_si512(), onei = _mm512_set1_epi32(1);
  __mmask16 open = 0;
  for (int a = 0; a < p.agents; ++a) {
    __m512i y[M > 0 ? M : kMaxDemand], C = zi, taken = zi;
    for (int e = 0; e < m; ++e) {
      y[e] = _mm512_maskz_loadu_epi32(liveK, w0 + static_cast<size_t>(a * m + e) * kMaxBatch);
      C = _mm512_mask_add_epi32(C, _mm512_cmpgt_epu32_mask(y[e], kw), C, onei);
    }
    for (int i = 0; i < walk; ++i) {
      // not a's own: the smallest XOR of R[i]'s word with a's words is not 0 (vector operations, one test)
      __m512i d = _mm512_xor_si512(R[i], y[0]);
      for (int e = 1; e < m; ++e) d = _mm512_min_epu32(d, _mm512_xor_si512(R[i], y[e]));
      const __mmask16 take = _mm512_mask_cmplt_epu32_mask(_mm512_test_epi32_mask(d, d), taken, C);
      takers[i] = _mm512_mask_add_epi32(takers[i], take, takers[i], onei);
      taken = _mm512_mask_add_epi32(taken, take, taken, onei);
    }
    open |= _mm512_cmpneq_epi32_mask(taken, C);
  }
  return open;
}

// One level of a sorting network on words: y[c[0]] gets the larger, y[c[1]] the smaller.
template <int N>
MCREV_AI void compare_exchange(__m512i* y, const int (&cs)[N][2]) {
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) {
    const __m512i a0 = y[cs[i][0]], b0 = y[cs[i][1]];
    y[cs[i][0]] = _mm512_max_epu32(a0, b0);
    y[cs[i][1]] = _mm512_min_epu32(a0, b0);
  }
}

// vcg's takers by counts (StepsPlan::counts): agent a's words sorted s[0] > ... > s[M − 1]
// (sorted + a · M) and the steps R[0 .. M) of ranks K* ... K* + M − 1. Walking R in order, skipping
// its own steps, a takes the first C_a (its steps above λ = R[0]); with no two equal words among the
// ranks K* − 1 ... K* + M, a takes R[i] iff s[i] > R[i] and R[i] is not one of s[i + 1 .. M): the
// words of a above R[i] number g = C_a + (a's own among R[0 .. i)) (every word between R[i] and λ
// is one of R[0 .. i)), so a has taken i − (g − C_a) before R[i] and takes it, not its own, iff
// that is below C_a, i.e. g > i, i.e. s[i] > R[i]; and a's own R[i] is s[j] with j >= i + 1 when
// s[i] > R[i]. Only R[0 .. M) are taken (i < g <= M): a's own in R[0 .. M) are at most M − C_a,
// so the others' fill its C_a.
// R[i]'s owner o is the one agent with R[i] among its words, at some position j; a ≠ o takes R[i]
// iff s[i] > R[i], and o never does. So takers[i] = Σ_a [s_a[i] > R[i] and R[i] is none of
// s_a[i + 1 ..]] (the owner counted iff j > i, then removed), or equally Σ_a ([s_a[i] >= R[i]] +
// [R[i] is one of s_a[0 .. i)]) − 1 (the owner counted once iff j <= i, and added once iff j > i:
// s_o[i] >= R[i] iff j >= i; one of s_o[0 .. i) iff j < i). The first form takes M − 1 − i
// equality tests an agent, the second i: each R[i] takes the cheaper (for M = 4, 2 tests an agent
// instead of 6). Counts go up by subtracting the compare's mask as −1s (no blend).
template <int M>
MCREV_AI void take_counts(const __m512i* sorted, int agents, const __m512i* R, __m512i* takers) {
  for (int a = 0; a < agents; ++a) {
    const __m512i* s = sorted + a * M;
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      __mmask16 take;
      if (i <= M - 1 - i) {  // [s[i] >= R[i]] + [R[i] one of s[0 .. i)]: the tests are exclusive (s[j] > s[i])
        take = _mm512_cmpge_epu32_mask(s[i], R[i]);
#pragma GCC unroll 8
        for (int j = 0; j < i; ++j) take |= _mm512_cmpeq_epu32_mask(s[j], R[i]);
      } else {  // [s[i] > R[i] and R[i] none of s[i + 1 ..]]
        take = _mm512_cmpgt_epu32_mask(s[i], R[i]);
#pragma GCC unroll 8
        for (int j = i + 1; j < M; ++j) take = _mm512_mask_cmpneq_epu32_mask(take, s[j], R[i]);
      }
      takers[i] = _mm512_sub_epi32(takers[i], _mm512_movm_epi32(take));
    }
  }
  const __m512i onei = _mm512_set1_epi32(1);
  for (int i = 0; i < M; ++i)
    if (i <= M - 1 - i) takers[i] = _mm512_sub_epi32(takers[i], onei);  // the owner's count
}

// sixteen_whole with vcg's counts (StepsPlan::counts): the group lists merged into one sorted list
// C of the top wtop >= K* + m words; kw = C[K* − 1], the words above it C[0 .. K* − 1), R[i] =
// C[K* − 1 + i]; a lane with two equal words among the ranks K* − 1 ... K* + m is bad (the
// per-profile model), as in sixteen_whole.
__attribute__((noinline)) int whole_counts(const Model& md, const StepsPlan& p, const std::uint32_t* w0,
                                           __mmask16 liveK, const __m512i* sorted, U16* buf_a, U16* buf_b, int groups,
                                           int j0, int live, double* v, double* xs, int row, LaneSums* ls) {
  const U16* c = reduce_top<8>(p.wtop, buf_a, buf_b, groups);
  const int K = p.kstar, m = p.m;
  const __m512i kw = (__m512i)c[K - 1], zi = _mm512_setzero_si512();
  __m512i lo = zi, hi = zi;
  for (int e = 0; e + 1 < K; ++e) {
    lo = _mm512_add_epi32(lo, (__m512i)c[e]);
    hi = _mm512_add_epi32(hi, _mm512_srli_epi32((__m512i)c[e], 16));
  }
  __mmask16 tie = 0;
  for (int e = K >= 2 ? K - 2 : K - 1; e < K + m - 1; ++e) tie |= _mm512_cmpeq_epi32_mask((__m512i)c[e], (__m512i)c[e + 1]);
  __m512i takers[8] = {zi, zi, zi, zi, zi, zi, zi, zi};
  const __m512i* R = reinterpret_cast<const __m512i*>(c + K - 1);
  switch (m) {
    case 1: take_counts<1>(sorted, p.agents, R, takers); break;
    case 2: take_counts<2>(sorted, p.agents, R, takers); break;
    case 4: take_counts<4>(sorted, p.agents, R, takers); break;
    default: take_counts<8>(sorted, p.agents, R, takers);
  }
  __m512i vlo = zi, vhi = zi;
  for (int i = 0; i < m; ++i) {  // n R_i summed mod 2^32, and n (R_i >> 16) (n <= 64: below 2^22)
    vlo = _mm512_add_epi32(vlo, _mm512_mullo_epi32(takers[i], R[i]));
    vhi = _mm512_add_epi32(vhi, _mm512_mullo_epi32(takers[i], _mm512_srli_epi32(R[i], 16)));
  }
  const int bad = tie & liveK;
  return clear_whole(md, p, w0, kw, lo, hi, vlo, vhi, bad, j0, live, v, xs, row, ls);
}

// sixteen_lanes for a whole-step market (StepsPlan::whole). Only λ's word and the sum of the words
// above it are needed, which do not depend on which agent holds which word: the words are sorted
// in groups of eight as drawn (the 19-comparator network of Knuth, TAOCP 5.3.4; the last group
// padded with the word 0, never above a value's word), the lists merged as top_of's network does
// until two lists A and B remain (kept to their top wtop >= K* + 1 entries), and then, as for two
// sorted lists the largest k of their union are max(A[e], B[k − 1 − e]) for e < k, the K*-th
// largest word kw is the smallest of those maxima for k = K*, their sum less kw is the sum of the
// words above λ (when nothing else equals kw), and the (K* − 1)-th and (K* + 1)-th largest words
// (k = K* − 1, K* + 1) tell whether another word equals kw (a tie at λ: the lane is returned bad).
__attribute__((noinline)) int sixteen_whole(const Model& md, const StepsPlan& p, const std::uint32_t* words, int j0,
                                            int live, double* v, double* xs, int row, LaneSums* ls) {
  const int steps = p.agents * p.m, groups = steps > 8 ? (steps + 7) / 8 : 2;
  const __mmask16 liveK = static_cast<__mmask16>(live >= 16 ? 0xFFFFu : (1u << live) - 1u);
  const std::uint32_t* w0 = words + static_cast<size_t>(p.first_value) * kMaxBatch + j0;
  const __m512i zi = _mm512_setzero_si512();
  U16 buf_a[kMaxSlots], buf_b[kMaxSlots];
  // Batcher's odd-even merge sort of 8 (19 comparators, Knuth TAOCP 5.3.4) level by level: after the
  // pairs, the fours and the eight, each aligned run of 2, 4 and 8 words is sorted. With vcg's counts
  // (StepsPlan::counts: m = 1, 2, 4 or 8, so each agent's m words are one aligned run of a group) the
  // runs of m are the agents' sorted words, kept in sorted[a * m + e].
  static constexpr int kPairs[4][2] = {{0, 1}, {2, 3}, {4, 5}, {6, 7}};
  static constexpr int kFours[6][2] = {{0, 2}, {1, 3}, {4, 6}, {5, 7}, {1, 2}, {5, 6}};
  static constexpr int kEights[9][2] = {{0, 4}, {1, 5}, {2, 6}, {3, 7}, {2, 4}, {3, 5}, {1, 2}, {3, 4}, {5, 6}};
  __m512i sorted[kMaxSlots];
  for (int g = 0; g < groups; ++g) {
    __m512i y[8];
    for (int e = 0; e < 8; ++e) {
      const int k = 8 * g + e;
      y[e] = k < steps ? _mm512_maskz_loadu_epi32(liveK, w0 + static_cast<size_t>(k) * kMaxBatch) : zi;
    }
    auto keep_runs = [&](int run) {
      if (p.counts && p.m == run)
        for (int e = 0; e < 8 && 8 * g + e < steps; ++e) sorted[8 * g + e] = y[e];
    };
    keep_runs(1);
    compare_exchange(y, kPairs);
    keep_runs(2);
    compare_exchange(y, kFours);
    keep_runs(4);
    compare_exchange(y, kEights);
    keep_runs(8);
    for (int e = 0; e < 8; ++e) buf_a[8 * g + e] = (U16)y[e];
  }
  if (p.counts) return whole_counts(md, p, w0, liveK, sorted, buf_a, buf_b, groups, j0, live, v, xs, row, ls);
  int len = 0;
  const U16* c = reduce_top<8>(p.wtop, buf_a, buf_b, groups, 0, &len);
  const int K = p.kstar;
  const U16 *A = c, *B = c + len;
  const int walk = p.vcg ? p.walk : 0, ranks = K + 1 + walk;  // ranks read: up to K* + 1 (+ vcg's walk)
  U16 pad[2 * (kMaxTop + 1)];
  if (len < ranks) {  // short lists (never cut to wtop): padded with the word 0
    for (int e = 0; e < ranks; ++e) {
      pad[e] = e < len ? c[e] : U16{};
      pad[ranks + e] = e < len ? c[len + e] : U16{};
    }
    A = pad;
    B = pad + ranks;
  }
  auto kth_of = [&](int k) {  // the k-th largest word (1 <= k <= ranks)
    __m512i r = _mm512_max_epu32((__m512i)A[0], (__m512i)B[k - 1]);
    for (int e = 1; e < k; ++e) r = _mm512_min_epu32(r, _mm512_max_epu32((__m512i)A[e], (__m512i)B[k - 1 - e]));
    return r;
  };
  __m512i kw = _mm512_max_epu32((__m512i)A[0], (__m512i)B[K - 1]), lo = kw, hi = _mm512_srli_epi32(kw, 16);
  for (int e = 1; e < K; ++e) {
    const __m512i t = _mm512_max_epu32((__m512i)A[e], (__m512i)B[K - 1 - e]);
    kw = _mm512_min_epu32(kw, t);
    lo = _mm512_add_epi32(lo, t);
    hi = _mm512_add_epi32(hi, _mm512_srli_epi32(t, 16));
  }
  lo = _mm512_sub_epi32(lo, kw);  // the K* − 1 words above kw
  hi = _mm512_sub_epi32(hi, _mm512_srli_epi32(kw, 16));
  __mmask16 tie = _mm512_cmpeq_epi32_mask(kth_of(K + 1), kw);
  if (K >= 2) tie |= _mm512_cmpeq_epi32_mask(kth_of(K - 1), kw);
  // vcg (profiles_of's walk): agent a takes, at q each, the first C_a steps of R (the words of rank
  // K* ... K* + m) that are not its own, C_a its steps above λ. With no tie among R (else the lane is
  // bad, as need sends it to vcg_fill) a's own steps in R are its words <= kw, at most m − C_a, so
  // the m + 1 steps hold at least C_a + 1 others' (a lane where the walk still wants is bad too);
  // want = C_a q − (steps taken) q exactly, each step taken gives min(want, q) = q, and the steps
  // priced >= r = 0 all count. Every product y · q and sum is exact (as in clear_whole), so Σ_a t_a
  // is q times the sum of the taken values: vlo / vhi sum the taken words over all agents.
  __m512i vlo = zi, vhi = zi;
  if (walk > 0) {
    const int m = p.m;
    __m512i R[kMaxWalk + 1], Rh[kMaxWalk];
    R[0] = kw;
    for (int i = 1; i <= walk; ++i) R[i] = kth_of(K + i);
    for (int i = 0; i < walk; ++i) {
      tie |= _mm512_cmpeq_epi32_mask(R[i], R[i + 1]);
      Rh[i] = _mm512_srli_epi32(R[i], 16);
    }
    __m512i takers[kMaxWalk];  // per step of R: the agents taking it
    for (int i = 0; i < walk; ++i) takers[i] = zi;
    switch (m) {
      case 1: tie |= walk_words<1>(p, w0, liveK, kw, R, walk, takers); break;
      case 2: tie |= walk_words<2>(p, w0, liveK, kw, R, walk, takers); break;
      case 3: tie |= walk_words<3>(p, w0, liveK, kw, R, walk, takers); break;
      case 4: tie |= walk_words<4>(p, w0, liveK, kw, R, walk, takers); break;
      default: tie |= walk_words<0>(p, w0, liveK, kw, R, walk, takers);
    }
    for (int i = 0; i < walk; ++i) {  // n R_i summed mod 2^32, and n (R_i >> 16) (n <= 64: below 2^22)
      vlo = _mm512_add_epi32(vlo, _mm512_mullo_epi32(takers[i], R[i]));
      vhi = _mm512_add_epi32(vhi, _mm512_mullo_epi32(takers[i], Rh[i]));
    }
  }
  const int bad = tie & liveK;
  return clear_whole(md, p, w0, kw, lo, hi, vlo, vhi, bad, j0, live, v, xs, row, ls);
}

// Sixteen profiles j0 .. j0 + live − 1 (live <= 16) of a U[low, high] market from the Philox words
// w[k * kMaxBatch + j] (stream_words): the value of word y is low + (high − low) · u with u =
// (y + 0.5) 2^-32 (u32_to_open01, exact; then stream_uniforms' u and eight_lanes' arithmetic), a
// non-decreasing function of y, so sorting the words and mapping them gives the same sorted values
// as sorting the values (sorted sequences of the same values are equal entry for entry, ties
// included), and the network's top entries on words map to its top entries on values; sixteen words
// per vector halve the per-agent sorts and the network. The words of lanes >= live are 0 (the
// padding's word, never read back). Needs at least K* + walk values (vcg; K* without): the entries
// read are then never padding (the caller checks). The clearing is clear_eight's, eight lanes at a
// time. Returns the lanes with a tie at λ (bit l: lane l).
template <int M>
MCREV_AI int sixteen_lanes(const Model& md, const StepsPlan& p, const std::uint32_t* words, int j0, int live,
                           double* v, double* b, double* xs, int row) {
  const int N = p.agents, m = M > 0 ? M : p.m;
  const Group& gr = md.groups[0];
  const __mmask16 liveK = static_cast<__mmask16>(live >= 16 ? 0xFFFFu : (1u << live) - 1u);
  const Z lo = _mm512_set1_pd(gr.dist.low), span = _mm512_set1_pd(gr.dist.high - gr.dist.low);
  const Z half = _mm512_set1_pd(0.5), scale = _mm512_set1_pd(0x1p-32);
  const bool unit = gr.dist.low == 0.0 && gr.dist.high == 1.0;  // 0 + 1 · u = u (u > 0)
  auto value_of = [&](__m256i y) {  // low + (high − low) · ((y + 0.5) · 2^-32)
    const Z u = _mm512_mul_pd(_mm512_add_pd(_mm512_cvtepu32_pd(y), half), scale);
    return unit ? u : _mm512_add_pd(lo, _mm512_mul_pd(span, u));
  };
  Z xl[kMaxFastAgents * kMaxDemand], xh[kMaxFastAgents * kMaxDemand];
  U16 buf_a[kMaxSlots], buf_b[kMaxSlots];
  __m512i keys[kMaxFastAgents * kMaxDemand];  // with vcg (M > 0: clear_eight's walk reads notown)
  const bool own_tests = p.vcg && p.kstar > 0 && M > 0;
  for (int a = 0; a < N; ++a) {
    __m512i y[kMaxDemand];
    for (int e = 0; e < m; ++e)
      y[e] = _mm512_maskz_loadu_epi32(liveK, words + static_cast<size_t>(p.first_value + a * m + e) * kMaxBatch + j0);
    for (int r = 0; r < m; ++r)  // sort_columns' network on the words
      for (int i = r & 1; i + 1 < m; i += 2) {
        const __m512i a0 = y[i], b0 = y[i + 1];
        y[i] = _mm512_max_epu32(a0, b0);
        y[i + 1] = _mm512_min_epu32(a0, b0);
      }
    for (int e = 0; e < m; ++e) {
      if (own_tests) keys[a * m + e] = y[e];
      xl[a * m + e] = value_of(_mm512_castsi512_si256(y[e]));
      xh[a * m + e] = value_of(_mm512_extracti64x4_epi64(y[e], 1));
    }
    for (int e = 0; e < p.list; ++e) buf_a[a * p.list + e] = e < m ? (U16)y[e] : U16{};
  }
  const U16* top = p.kstar > 0 ? network16(p, buf_a, buf_b) : nullptr;
  Z kl = _mm512_set1_pd(-HUGE_VAL), kh = kl, Rl[kMaxWalk + 1], Rh[kMaxWalk + 1];
  // vcg's own-step tests on the words: R[i] is agent a's where its word is one of a's words (the
  // same value; a lane where another agent's step or a rejected step next to R[i] has R[i]'s value
  // is a tie that need or bad flags, as for the values' bits in clear_eight).
  std::uint8_t notown[2][kMaxWalk * kMaxFastAgents];  // lanes 0..7, 8..15
  if (top) {
    const int entries = p.vcg ? p.walk + 1 : 1;
    for (int i = 0; i < entries; ++i) {
      const __m512i t = (__m512i)top[p.kstar - 1 + i];
      Rl[i] = value_of(_mm512_castsi512_si256(t));
      Rh[i] = value_of(_mm512_extracti64x4_epi64(t, 1));
    }
    kl = Rl[0];
    kh = Rh[0];
    if (own_tests) {
      // Not one of a's words: the smallest XOR of R[i]'s word with a's words is not 0 (one test into
      // a mask register per agent and step; the XORs and minima are plain vector operations).
      __m512i t[kMaxWalk];
      for (int i = 0; i < p.walk; ++i) t[i] = (__m512i)top[p.kstar - 1 + i];
      for (int a = 0; a < N; ++a) {
        __m512i k[kMaxDemand];
        for (int e = 0; e < m; ++e) k[e] = keys[a * m + e];
        for (int i = 0; i < p.walk; ++i) {
          __m512i d = _mm512_xor_si512(t[i], k[0]);
          for (int e = 1; e < m; ++e) d = _mm512_min_epu32(d, _mm512_xor_si512(t[i], k[e]));
          const __mmask16 no = _mm512_test_epi32_mask(d, d);
          notown[0][i * N + a] = static_cast<std::uint8_t>(no);
          notown[1][i * N + a] = static_cast<std::uint8_t>(no >> 8);
        }
      }
    }
  }
  const bool own = own_tests;
  int bad = clear_eight<M>(md, p, xl, kl, top ? Rl : nullptr, own ? notown[0] : nullptr, j0, live < 8 ? live : 8, v, b,
                           xs, row);
  if (live > 8)
    bad |= clear_eight<M>(md, p, xh, kh, top ? Rh : nullptr, own ? notown[1] : nullptr, j0 + 8, live - 8, v, b, xs, row)
           << 8;
  return bad;
}
}  // namespace z8
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic pop
#endif
#pragma GCC pop_options

__attribute__((target("avx2,avx512f,avx512dq,avx512vl,avx512bw"))) int eight_avx512(
    const Model& md, const StepsPlan& p, const double* u, bool uniform, int j0, int live, double* v, double* b,
    double* xs, int row) {
  switch (p.m) {
    case 1: return z8::eight_lanes<1>(md, p, u, uniform, j0, live, v, b, xs, row);
    case 2: return z8::eight_lanes<2>(md, p, u, uniform, j0, live, v, b, xs, row);
    case 3: return z8::eight_lanes<3>(md, p, u, uniform, j0, live, v, b, xs, row);
    case 4: return z8::eight_lanes<4>(md, p, u, uniform, j0, live, v, b, xs, row);
    default: return z8::eight_lanes<0>(md, p, u, uniform, j0, live, v, b, xs, row);
  }
}

__attribute__((target("avx2,avx512f,avx512dq,avx512vl,avx512bw"))) int sixteen_avx512(
    const Model& md, const StepsPlan& p, const std::uint32_t* words, int j0, int live, double* v, double* b, double* xs,
    int row) {
  if (p.whole) return z8::sixteen_whole(md, p, words, j0, live, v, xs, row, nullptr);
  switch (p.m) {
    case 1: return z8::sixteen_lanes<1>(md, p, words, j0, live, v, b, xs, row);
    case 2: return z8::sixteen_lanes<2>(md, p, words, j0, live, v, b, xs, row);
    case 3: return z8::sixteen_lanes<3>(md, p, words, j0, live, v, b, xs, row);
    case 4: return z8::sixteen_lanes<4>(md, p, words, j0, live, v, b, xs, row);
    default: return z8::sixteen_lanes<0>(md, p, words, j0, live, v, b, xs, row);
  }
}

// run_leaves' batch: 64 columns (eight profiles of each of the eight leaves), sixteen per call.
__attribute__((target("avx2,avx512f,avx512dq,avx512vl,avx512bw"))) void leaves_avx512(
    const Model& md, const StepsPlan& p, const std::uint32_t* words, double* v, LaneSums* ls) {
  for (int j = 0; j < kMaxBatch; j += 16) z8::sixteen_whole(md, p, words, j, 16, v, nullptr, 0, ls);
}
#endif

// draw_evaluate_divisible_steps for a model whose plan is p (p.ok; vr.method == 0, independent values).
bool draw_evaluate(const Model& md, const StepsPlan& p, Isa isa, std::uint64_t first, int count, double* u, double* v,
                   double* b, double* xs, int row);

}  // namespace

bool evaluate_divisible_steps(const Model& md, std::uint64_t first, int count, const double* v, double* b,
                              double* xs, int row) {
  return evaluate_divisible_steps(md, best_isa(), first, count, v, b, xs, row);
}

bool evaluate_divisible_steps(const Model& md, Isa isa, std::uint64_t first, int count, const double* v, double* b,
                              double* xs, int row) {
  const StepsPlan p = plan_of(md);
  if (!p.ok) return false;
  const int n = md.n_values;
  // Four profiles per vector on every x86 instruction set with AVX2 (GCC's lowering of the
  // 8-lane vector extension for AVX-512 tested masks lane by lane: slower, so not used).
  const bool avx2 = isa != Isa::Portable && isa_supported(Isa::Avx2);
  for (int j = 0; j < count; j += 4) {
    const int live = count - j < 4 ? count - j : 4;
    int bad = 0;
#if defined(__x86_64__)
    if (avx2) four_avx2(md, p, v + j * n, n, live, b, xs + j * row, row, &bad);
    else
#endif
      four_portable(md, p, v + j * n, n, live, b, xs + j * row, row, &bad);
    for (int l = 0; l < live; ++l)  // a tie at λ: the per-profile model itself
      if (bad >> l & 1)
        evaluate_values<kMarketDivisible>(md, first + static_cast<std::uint64_t>(j + l), 0, md.n_mechanisms,
                                          v + (j + l) * n, b, xs + (j + l) * row);
  }
  return true;
}

}  // namespace mcrev::cpu

namespace mcrev::cpu {

namespace {

// Whether draw_evaluate_divisible_steps takes md, given its plan.
bool takes(const Model& md, const StepsPlan& p) {
  return md.market.kind == MarketKind::Divisible && md.vr.method == 0 &&
         md.correlation.kind == CorrelationKind::Independent && p.ok;
}

// Whether the whole-step words path (sixteen_whole) of draw_evaluate takes every batch of md.
bool whole_words(const Model& md, const StepsPlan& p, Isa isa) {
#if defined(__x86_64__)
  return takes(md, p) && p.whole && isa == Isa::Avx512 && isa_supported(Isa::Avx512) && p.m <= 8 &&
         p.first_value == 0 && md.n_values == p.agents * p.m && md.metrics_per_mechanism() == 15 &&
         md.groups[0].dist.kind == DistKind::Uniform && p.agents * p.m >= p.kstar + (p.vcg ? p.walk : 0);
#else
  return false;
#endif
}

}  // namespace

bool draw_evaluate_divisible_steps(const Model& md, Isa isa, std::uint64_t first, int count, double* u, double* v,
                                   double* b, double* xs, int row) {
  if (md.market.kind != MarketKind::Divisible || md.vr.method != 0 ||
      md.correlation.kind != CorrelationKind::Independent)
    return false;
  const StepsPlan p = plan_of(md);
  if (!p.ok) return false;
  return draw_evaluate(md, p, isa, first, count, u, v, b, xs, row);
}

namespace {

bool draw_evaluate(const Model& md, const StepsPlan& p, Isa isa, std::uint64_t first, int count, double* u, double* v,
                   double* b, double* xs, int row) {
  const int n = md.n_values;
#if defined(__x86_64__)
  if (isa == Isa::Avx512 && isa_supported(Isa::Avx512) && p.m <= 8 && p.first_value == 0 && n == p.agents * p.m &&
      md.metrics_per_mechanism() == 15) {  // the block eight_lanes writes
    const Group& gr = md.groups[0];
    const bool uniform = gr.dist.kind == DistKind::Uniform;
    // U[low, high]: sorts and network on the Philox words, sixteen profiles per vector (sixteen_lanes),
    // when the entries read are never the network's padding.
    if (uniform && p.agents * p.m >= p.kstar + (p.vcg ? p.walk : 0)) {
      std::uint32_t* words = reinterpret_cast<std::uint32_t*>(u);  // n · kMaxBatch words fit in u
      stream_words(isa, md.seed, kValueLane, first, count, n, words, kMaxBatch);
      for (int j = 0; j < count; j += 16) {
        const int live = count - j < 16 ? count - j : 16;
        const int bad = sixteen_avx512(md, p, words, j, live, v, b, xs, row);
        for (int l = 0; l < live; ++l)  // a tie at λ: the per-profile model itself (values written to v)
          if (bad >> l & 1)
            evaluate_values<kMarketDivisible>(md, first + static_cast<std::uint64_t>(j + l), 0, md.n_mechanisms,
                                              v + (j + l) * n, b, xs + (j + l) * row);
      }
      return true;
    }
    stream_uniforms(isa, md.seed, kValueLane, first, count, n, u, kMaxBatch);
    if (!uniform)  // the inverse CDFs in place (draw_values_batch's quantiles), row by row
      for (int k = 0; k < n; ++k) quantiles_batch(gr.dist, md.arena, u + k * kMaxBatch, count, u + k * kMaxBatch, 1);
    for (int j = 0; j < count; j += 8) {
      const int live = count - j < 8 ? count - j : 8;
      const int bad = eight_avx512(md, p, u, uniform, j, live, v, b, xs, row);
      for (int l = 0; l < live; ++l)  // a tie at λ: the per-profile model itself (values written to v)
        if (bad >> l & 1)
          evaluate_values<kMarketDivisible>(md, first + static_cast<std::uint64_t>(j + l), 0, md.n_mechanisms,
                                            v + (j + l) * n, b, xs + (j + l) * row);
    }
    return true;
  }
#endif
  draw_values_batch(md, isa, first, count, u, v);
  return evaluate_divisible_steps(md, isa, first, count, v, b, xs, row);
}

}  // namespace

struct DivisibleBatch::State {
  Model md;
  StepsPlan p;
  Isa isa;
  bool leaves;
  std::vector<double> u, v;                  // draw_evaluate's scratch (kMaxBatch profiles)
  std::vector<double> shift, s1, s2, sxy;    // run_leaves' sums (LaneSums)
  std::vector<double> rows, sums;            // ties' rows (8 · K); one leaf's sums gathered (3K + P)
};

std::unique_ptr<DivisibleBatch> DivisibleBatch::make(const Model& md, Isa isa) {
  const StepsPlan p = plan_of(md);
  if (!takes(md, p)) return nullptr;
  auto s = std::make_unique<State>();
  s->md = md;
  s->p = p;
  s->isa = isa;
  s->leaves = whole_words(md, p, isa);
  const size_t n = static_cast<size_t>(md.n_values), K = static_cast<size_t>(md.n_mechanisms) * md.metrics_per_mechanism();
  s->u.assign(n * kMaxBatch, 0.0);
  s->v.assign(n * kMaxBatch, 0.0);
  if (s->leaves) {
    s->shift.assign(K * kLeaves, 0.0);
    s->s1.assign(K * kLeaves, 0.0);
    s->s2.assign(K * kLeaves, 0.0);
    s->sxy.assign(static_cast<size_t>(md.n_mechanisms) * kLeaves, 0.0);
    s->rows.assign(K * kLeaves, 0.0);
    s->sums.assign(3 * K + static_cast<size_t>(md.n_mechanisms), 0.0);
  }
  return std::unique_ptr<DivisibleBatch>(new DivisibleBatch(std::move(s)));
}

DivisibleBatch::DivisibleBatch(std::unique_ptr<State> s) : s_(std::move(s)) {}
DivisibleBatch::~DivisibleBatch() = default;

void DivisibleBatch::run(std::uint64_t first, int count, double* b, double* xs, int row) {
  State& s = *s_;
  draw_evaluate(s.md, s.p, s.isa, first, count, s.u.data(), s.v.data(), b, xs, row);
}

bool DivisibleBatch::leaves() const { return s_->leaves; }

int DivisibleBatch::run_leaves(std::uint64_t first, double* b, double* partials) {
  static_assert(kMaxBatch == 8 * kLeaves && kLeafProfiles % 8 == 0, "a batch is eight profiles of the eight leaves");
  State& s = *s_;
  const Model& md = s.md;
  const int n = md.n_values, K = md.n_mechanisms * md.metrics_per_mechanism(), P = md.n_mechanisms;
  LaneSums ls;
  ls.b = b;
  ls.rows = s.rows.data();
  ls.shift = s.shift.data();
  ls.s1 = s.s1.data();
  ls.s2 = s.s2.data();
  ls.sxy = s.sxy.data();
#if defined(__x86_64__)
  std::uint32_t* words = reinterpret_cast<std::uint32_t*>(s.u.data());  // n · kMaxBatch words fit in u
  for (int jj = 0; jj < static_cast<int>(kLeafProfiles); jj += kMaxBatch / kLeaves) {
    // column j: profile first + jj + j / 8 of leaf j % 8
    stream_words_interleaved(s.isa, md.seed, kValueLane, first + static_cast<std::uint64_t>(jj), kLeafProfiles,
                             kMaxBatch, n, words, kMaxBatch);
    ls.first = first + static_cast<std::uint64_t>(jj);
    ls.first_batch = jj == 0;
    leaves_avx512(md, s.p, words, s.v.data(), &ls);
  }
  if (ls.clean) z8::equal_sums(ls, md.n_mechanisms, md.metrics_per_mechanism());
#endif
  const PartialShape shape{K, P};
  double* sh = s.sums.data();  // the leaf's sums, gathered from the lanes
  double* a1 = sh + K;
  double* a2 = a1 + K;
  double* xy = a2 + K;
  for (int l = 0; l < kLeaves; ++l) {
    for (int k = 0; k < K; ++k) {
      sh[k] = s.shift[static_cast<size_t>(k) * kLeaves + l];
      a1[k] = s.s1[static_cast<size_t>(k) * kLeaves + l];
      a2[k] = s.s2[static_cast<size_t>(k) * kLeaves + l];
    }
    for (int q = 0; q < P; ++q) xy[q] = s.sxy[static_cast<size_t>(q) * kLeaves + l];
    const LeafSums sums{sh, a1, a2, xy, static_cast<double>(kLeafProfiles)};
    leaf_finish(sums, shape, MechanismPairs{md.metrics_per_mechanism()}, partials + static_cast<size_t>(l) * shape.size());
  }
  return ls.generic;
}

void divisible_evaluation_path(const Model& md, bool cuda, std::string* path) {
  if (md.market.kind != MarketKind::Divisible) return;
  const StepsPlan p = plan_of(md);
  if (!p.ok) {
    *path = "generic path (the batched step clearing takes one group of step curves with equal step quantities, "
            "uniform_price, pay_as_bid or vcg, truthful, without incentive, variance-reduction or [values] blocks)";
  } else if (cuda) {
    *path = "generic path (the batched step clearing runs on the CPU backend only)";
  } else if (md.vr.method != 0) {
    *path = "generic path (variance reduction evaluates one unit at a time)";
  } else {
    *path = "batched step clearing (n = " + std::to_string(p.agents) + " agents x " + std::to_string(p.m) +
            " steps, K* = " + std::to_string(p.kstar) + ")";
    if (whole_words(md, p, best_isa()))  // docs/divisible.md, "Whole steps"
      *path += std::string("; whole steps on the Philox words (AVX-512)") + (p.counts ? ", VCG's takers by counts" : "");
    for (int m = 0; m < md.n_mechanisms && !first_best_pass(md); ++m)
      if (md.mechanisms[m].reserve != md.mechanisms[m].seller_value) {
        // profiles_of / clear_eight: the optimal surplus at the seller's value, one profile at a time
        *path += "; the first-best surplus is solved profile by profile (mechanism " + std::to_string(m) +
                 "'s reserve differs from its seller value, and the mechanisms' seller values differ), many "
                 "times slower";
        break;
      }
  }
}

}  // namespace mcrev::cpu

#endif  // !defined(__clang__)
