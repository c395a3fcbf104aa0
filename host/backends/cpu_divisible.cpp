// Batched clearing of one-group step-curve divisible markets (see cpu_divisible.hpp).
//
// Compiled with -ffp-contract=off (CMakeLists.txt), like cpu_batch.cpp: no fused multiply-adds.
#include "backends/cpu_divisible.hpp"

#include "backends/cpu_batch.hpp"
#include "mcrev/pipeline/evaluate.hpp"

// The 32-byte vectors below never cross a call (everything that takes one is inlined).
#pragma GCC diagnostic ignored "-Wpsabi"

namespace mcrev::cpu {

namespace {

constexpr int kMarketDivisible = static_cast<int>(MarketKind::Divisible);
constexpr int kMaxTop = 64;      // most steps K* the network selects from (else the general path)
constexpr int kMaxSlots = 1024;  // most padded values per profile the network holds

// What the batch path needs of the model, or ok = false.
struct StepsPlan {
  bool ok = false;
  int agents = 0, m = 0, first_value = 0;
  int kstar = 0;        // A > S first after K* steps (0: never; λ = r)
  int top = 1;          // L: the network keeps the top L values (a power of two >= K*)
  int list = 1;         // each agent's list padded to a power of two, at most L
  double q = 0.0;       // every step's quantity
  double sums[kMaxDemand + 1] = {};  // sums[k] = q + q + ... (k terms, from 0.0): demand()'s sum
};

StepsPlan plan_of(const Model& md) {
  StepsPlan p;
  if (md.market.kind != MarketKind::Divisible || md.n_groups != 1 || md.extra_metrics != 0 ||
      md.values.kind != ValuesKind::Private || md.vr.block_metrics() != 0)
    return p;
  const Group& gr = md.groups[0];
  if (gr.utility != static_cast<int>(Utility::Steps) || gr.demand < 1 || gr.demand > kMaxDemand ||
      gr.count != md.n_bidders)
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
  for (int k = 1; k <= p.m; ++k) p.sums[k] = p.sums[k - 1] + q0;
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
  while (p.top < p.kstar) p.top *= 2;
  while (p.list < p.m) p.list *= 2;
  if (p.list > p.top) p.list = p.top;
  if (p.top > kMaxTop || p.agents * p.list > kMaxSlots) return p;
  p.ok = true;
  return p;
}

// Four profiles per vector (GCC vector extension; AVX2 when the function is compiled for it, pairs
// of SSE2 registers otherwise). max/min select one of the operands: the network moves values, it
// never computes any.
typedef double V4 __attribute__((vector_size(32)));

__attribute__((always_inline)) inline V4 vmax(V4 a, V4 b) { return a > b ? a : b; }
__attribute__((always_inline)) inline V4 vmin(V4 a, V4 b) { return a > b ? b : a; }

// Batcher's bitonic merge of c[0, P) (a bitonic sequence; P a power of two) into decreasing order.
__attribute__((always_inline)) inline void bitonic_merge(V4* c, int P) {
  for (int s = P / 2; s >= 1; s /= 2)
    for (int i = 0; i < P; ++i)
      if ((i & s) == 0) {
        const V4 a = c[i], b = c[i + s];
        c[i] = vmax(a, b);
        c[i + s] = vmin(a, b);
      }
}

// kth[j] = the K*-th largest of profile j's step prices (the agents' sorted values), −inf when K* = 0.
// Each agent's values form a sorted list (padded with −inf to p.list); lists are merged in pairs by
// bitonic merges, keeping the top L = p.top of each merge (max of one list against the other
// reversed gives a bitonic sequence holding the top L of both), until one list remains.
// kIsa: one copy per instruction set (the callers below), each inlined into its caller.
template <int kIsa>
__attribute__((always_inline)) inline void kth_largest_of(const StepsPlan& p, const double* v, int n, int count,
                                                          double* kth) {
  const double ninf = -HUGE_VAL;
  if (p.kstar == 0) {
    for (int j = 0; j < count; ++j) kth[j] = ninf;
    return;
  }
  V4 buf_a[kMaxSlots], buf_b[kMaxSlots];
  for (int j = 0; j < count; j += 4) {
    V4* cur = buf_a;
    V4* nxt = buf_b;
    for (int a = 0; a < p.agents; ++a)
      for (int e = 0; e < p.list; ++e) {
        V4 x = {ninf, ninf, ninf, ninf};
        if (e < p.m)
          for (int l = 0; l < 4; ++l)
            if (j + l < count) x[l] = v[(j + l) * n + p.first_value + a * p.m + e];
        cur[a * p.list + e] = x;
      }
    int lists = p.agents, len = p.list;
    while (lists > 1) {
      const int out_len = 2 * len <= p.top ? 2 * len : p.top;
      for (int i = 0; 2 * i < lists; ++i) {
        V4* o = nxt + i * out_len;
        const V4* A = cur + 2 * i * len;
        if (2 * i + 1 == lists) {  // the odd list: padded
          for (int e = 0; e < out_len; ++e) o[e] = e < len ? A[e] : V4{ninf, ninf, ninf, ninf};
          continue;
        }
        const V4* B = A + len;
        if (2 * len <= p.top) {
          for (int e = 0; e < len; ++e) {
            o[e] = A[e];
            o[len + e] = B[len - 1 - e];
          }
        } else {
          for (int e = 0; e < len; ++e) o[e] = vmax(A[e], B[len - 1 - e]);
        }
        bitonic_merge(o, out_len);
      }
      lists = (lists + 1) / 2;
      len = out_len;
      V4* t = cur;
      cur = nxt;
      nxt = t;
    }
    for (int l = 0; l < 4 && j + l < count; ++l) kth[j + l] = cur[p.kstar - 1][l];
  }
}

void kth_largest_portable(const StepsPlan& p, const double* v, int n, int count, double* kth) {
  kth_largest_of<0>(p, v, n, count, kth);
}
#if defined(__x86_64__)
__attribute__((target("avx2"))) void kth_largest_avx2(const StepsPlan& p, const double* v, int n, int count,
                                                      double* kth) {
  kth_largest_of<1>(p, v, n, count, kth);
}
#endif

void kth_largest(const StepsPlan& p, const double* v, int n, int count, double* kth) {
#if defined(__x86_64__)
  if (best_isa() != Isa::Portable) return kth_largest_avx2(p, v, n, count, kth);
#endif
  kth_largest_portable(p, v, n, count, kth);
}

// Mechanism m's outcome on profile values v (= the truthful reports) at clearing price candidate
// kth, with DivisibleMarket::run's arithmetic; false (o untouched beyond scratch) when a value other
// than the one step priced λ equals λ.
bool outcome_of(const Model& md, const StepsPlan& p, int m, const double* v, double kth, double* b, Outcome& o) {
  const Mechanism& mech = md.mechanisms[m];
  const double r = mech.reserve, S = md.market.supply, q = p.q;
  const bool priced = kth > r;
  const double lambda = priced ? kth : r;
  const double* mv = v + p.first_value;
  int counts[kMaxBidders];
  int ties = 0, owner = -1;
  for (int a = 0; a < p.agents; ++a) {
    int c = 0, t = 0;
    for (int e = 0; e < p.m; ++e) {
      const double x = mv[a * p.m + e];
      c += x > lambda ? 1 : 0;
      t += x == lambda ? 1 : 0;
    }
    counts[a] = c;
    ties += t;
    owner = t > 0 ? a : owner;
  }
  if (ties != (priced ? 1 : 0)) return false;
  o.clear_dense(md.n_bidders);
  double strict = 0.0;
  for (int a = 0; a < p.agents; ++a) {
    const double s = p.sums[counts[a]];
    strict += s;
    o.alloc[a] = s;
  }
  const double tied = priced ? q : 0.0;  // 0.0 + ... + q + ... + 0.0 in run()
  const double left0 = S - strict, left = left0 > 0.0 ? left0 : 0.0;
  const double share = tied > 0.0 ? (left >= tied ? 1.0 : left / tied) : 0.0;
  if (priced) o.alloc[owner] += share == 1.0 ? q : q * share;
  o.quantity = strict + (tied < left0 ? tied : (left0 > 0.0 ? left0 : 0.0));
  o.market_stat = lambda;
  const Group& gr = md.groups[0];
  if (mech.kind == MechKind::DivUniformPrice) {
    for (int a = 0; a < p.agents; ++a) o.transfer[a] = lambda * o.alloc[a];
  } else if (mech.kind == MechKind::DivPayAsBid) {
    for (int a = 0; a < p.agents; ++a)
      o.transfer[a] = utility_value(gr.utility, mv + a * p.m, p.m, gr.size, 1.0, o.alloc[a]);
  } else {
    // The merge's state after clear_steps with the step priced λ put back (vcg_fill's tail = 1):
    // agent a has consumed its counts[a] steps priced above λ.
    Identities none;
    DivisibleMarket::Clearing cl = DivisibleMarket::Clearing::make(md, v, none, md.work(b));
    for (int a = 0; a < p.agents; ++a) {
      const int c = counts[a];
      cl.cursor[a] = c;
      cl.next[a] = c < p.m ? mv[a * p.m + c] : -HUGE_VAL;
    }
    auto X = [&](int a) -> double& { return o.alloc[a]; };
    auto T = [&](int a) -> double& { return o.transfer[a]; };
    DivisibleMarket::vcg_fill(cl, r, lambda, share, 0, -1, X, T);
  }
  return true;
}

}  // namespace

bool evaluate_divisible_steps(const Model& md, std::uint64_t first, int count, const double* v, double* b,
                              double* xs, int row) {
  const StepsPlan p = plan_of(md);
  if (!p.ok) return false;
  const int n = md.n_values, block = md.metrics_per_mechanism();
  double kth[kMaxBatch];
  kth_largest(p, v, n, count, kth);
  for (int j = 0; j < count; ++j) {
    const double* vj = v + j * n;
    double* out = xs + j * row;
    double baseline = 0.0;
    for (int m = 0; m < md.n_mechanisms; ++m) {
      Outcome o = md.outcome_storage(b);
      if (!outcome_of(md, p, m, vj, kth[j], b, o)) {  // a tie at λ: the per-profile model itself
        evaluate_values<kMarketDivisible>(md, first + static_cast<std::uint64_t>(j), 0, md.n_mechanisms, vj, b, out);
        break;
      }
      if (m == 0) baseline = outcome_revenue(md, o);
      write_metrics(md, m, o, vj, baseline, vj[0], out + m * block, md.work(b));
    }
  }
  return true;
}

}  // namespace mcrev::cpu
