// The single-item fast path of the CPU backend over a batch (see cpu_fast.hpp).
//
// Compiled with -ffp-contract=off (CMakeLists.txt), like cpu_batch.cpp: no multiply-add is fused, so
// every instruction set gives the bits of mcrev/pipeline/fast_single_item.hpp's scalar arithmetic,
// which are those of the generic pipeline. The loops over the profiles of a batch are compiled three
// times (portable, AVX2, AVX-512F) and chosen at run time with the rest of the backend (best_isa).
#include "backends/cpu_fast.hpp"

#include <cctype>

#include "mcrev/engine.hpp"

#include <algorithm>
#include <cstdlib>

namespace mcrev::cpu {

namespace {

constexpr int S = kMaxBatch;  // stride of the structure-of-arrays rows

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
};

namespace {

using fast::FastMech;
using fast::FastPlan;
using fast::Rule;

template <StrategyKind K>
MCREV_FAST_INLINE void bids_of(const Strategy& st, const double* __restrict v, double* __restrict b, int count) {
  for (int j = 0; j < count; ++j) b[j] = st.closed_form_bid<K>(v[j]);
}

// The closed-form equilibria raise to the power n (int_pow): with n a constant the squarings unroll.
template <StrategyKind K, int NB>
MCREV_FAST_INLINE void bids_of_n(Strategy st, const double* __restrict v, double* __restrict b, int count) {
  st.n = NB;
  for (int j = 0; j < count; ++j) b[j] = st.closed_form_bid<K>(v[j]);
}

template <StrategyKind K>
MCREV_FAST_INLINE void equilibrium_bids(const Strategy& st, const double* v, double* b, int count) {
  switch (st.n) {
    case 2: return bids_of_n<K, 2>(st, v, b, count);
    case 3: return bids_of_n<K, 3>(st, v, b, count);
    case 4: return bids_of_n<K, 4>(st, v, b, count);
    case 5: return bids_of_n<K, 5>(st, v, b, count);
    case 6: return bids_of_n<K, 6>(st, v, b, count);
    case 8: return bids_of_n<K, 8>(st, v, b, count);
    case 10: return bids_of_n<K, 10>(st, v, b, count);
    default: return bids_of<K>(st, v, b, count);
  }
}

// The sparse outcome's metric rows from the columns sale, gw (agent index), vw, price; kG > 0: the
// plan has kG groups (the group of the winner is then 0 for kG == 1).
template <int kG>
MCREV_FAST_INLINE void sparse_rows(const FastPlan& p, const FastMech& mk, FastBatch::Scratch& s, const double* price,
                                   int count, double* xs, int row, int off, bool is_base) {
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
template <int kG>
MCREV_FAST_INLINE void mechanism_rows(const FastPlan& p, const FastMech& mk, FastBatch::Scratch& s, int count,
                                      double* xs, int row, int off, bool is_base, Isa isa, std::uint64_t first) {
  const int n = p.n, G = kG > 0 ? kG : p.n_groups;
  const double v0 = mk.seller_value;
  const double* v = s.u;
  double* __restrict vw = s.vw;
  double* __restrict gw = s.gw;
  double* __restrict sale = s.sale;
  if (mk.rule == Rule::PostedPrice) {  // PriceOffer: the pick-th buyer at or above the price
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
    return sparse_rows<kG>(p, mk, s, price, count, xs, row, off, is_base);
  }
  // bids, group by group (the strategy's kind hoisted out of the loop over profiles)
  const double* b = v;
  bool truthful = true;
  for (int g = 0; g < G; ++g) truthful = truthful && mk.strategy[g].kind == StrategyKind::Truthful;
  if (!truthful) {
    for (int g = 0; g < G; ++g)
      for (int k = p.group_first[g]; k < p.group_first[g + 1]; ++k) {
        const Strategy& st = mk.strategy[g];
        double* out = s.bids + k * S;
        const double* in = v + k * S;
        switch (st.kind) {
          case StrategyKind::Shade: bids_of<StrategyKind::Shade>(st, in, out, count); break;
          case StrategyKind::UniformFirstPrice: equilibrium_bids<StrategyKind::UniformFirstPrice>(st, in, out, count); break;
          case StrategyKind::UniformAllPay: equilibrium_bids<StrategyKind::UniformAllPay>(st, in, out, count); break;
          default: std::copy(in, in + count, out); break;
        }
      }
    b = s.bids;
  }
  double* __restrict best = s.best;
  double* __restrict second = s.second;
  for (int j = 0; j < count; ++j) best[j] = second[j] = kNoBid;
  for (int g = 0; g < G; ++g) {
    const double r = mk.reserve[g];
    for (int k = p.group_first[g]; k < p.group_first[g + 1]; ++k) {
      const double* __restrict bk = b + k * S;
      for (int j = 0; j < count; ++j) fast::top_step(bk[j], r, best[j], second[j]);
    }
  }
  double* __restrict ties = s.ties;
  for (int j = 0; j < count; ++j) vw[j] = gw[j] = ties[j] = 0.0;
  for (int g = 0; g < G; ++g) {
    const double r = mk.reserve[g];
    for (int k = p.group_first[g]; k < p.group_first[g + 1]; ++k) {
      const double* __restrict bk = b + k * S;
      const double* __restrict vk = v + k * S;
      const double kd = k;
      for (int j = 0; j < count; ++j) fast::arg_step(bk[j], r, best[j], vk[j], kd, vw[j], gw[j], ties[j]);
    }
  }
  double* __restrict flag = s.flag;
  for (int j = 0; j < count; ++j) {
    sale[j] = best[j] > kNoBid ? 1.0 : 0.0;
    flag[j] = ((best[j] > kNoBid) & (ties[j] > 1.0)) ? 1.0 : flag[j];
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
        double* out = xs + j * row + off;
        out[metric::win(g)] = held[j] * inv;
        out[metric::payment(g)] = paid[j] * inv;
        out[metric::utility(g)] = util[j] * inv;
      }
    }
    for (int j = 0; j < count; ++j)
      fast::tail_metrics(v0, rev[j], wel[j], alloc[j], s.vmax[j], is_base ? rev[j] : s.base[j], xs + j * row + off);
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
  sparse_rows<kG>(p, mk, s, price, count, xs, row, off, is_base);
}

// The whole batch for one instruction set (the loops above inlined into it).
template <int kG>
MCREV_FAST_INLINE void batch_loops(const Model& md, const FastPlan& p, Isa isa, FastBatch::Scratch& s,
                                   std::uint64_t first, int count, double* xs, int row) {
  const int n = p.n;
  stream_uniforms(isa, p.seed, kValueLane, first, count, n, s.u, S);
  for (int g = 0; g < p.n_groups; ++g) {  // values in place of their uniforms
    const Distribution& d = p.dist[g];
    for (int k = p.group_first[g]; k < p.group_first[g + 1]; ++k) {
      double* __restrict uk = s.u + k * S;
      if (d.kind == DistKind::Uniform)  // inline: vectorized for this instruction set
        for (int j = 0; j < count; ++j) uk[j] = d.quantile_of<DistKind::Uniform>(uk[j], md.arena);
      else
        quantiles_batch(d, md.arena, uk, count, uk, 1);
    }
  }
  for (int j = 0; j < count; ++j) {
    s.vmax[j] = s.u[j];
    s.flag[j] = 0.0;
  }
  for (int k = 1; k < n; ++k) {
    const double* __restrict vk = s.u + k * S;
    double* __restrict vmax = s.vmax;
    for (int j = 0; j < count; ++j) vmax[j] = vk[j] > vmax[j] ? vk[j] : vmax[j];
  }
  const int B = p.block();
  for (int m = 0; m < p.n_mechanisms; ++m) {
    mechanism_rows<kG>(p, p.mech[m], s, count, xs, row, m * B, m == 0, isa, first);
    if (m == 0) std::copy(s.rev, s.rev + count, s.base);
  }
}

// A full batch (count = kMaxBatch, nearly every batch) with the count a constant: every loop's trip
// count is known, so the vector loops need no remainder handling.
template <int kG>
MCREV_FAST_INLINE void batch_body(const Model& md, const FastPlan& p, Isa isa, FastBatch::Scratch& s,
                                  std::uint64_t first, int count, double* xs, int row) {
  if (count == S)
    batch_loops<kG>(md, p, isa, s, first, S, xs, row);
  else
    batch_loops<kG>(md, p, isa, s, first, count, xs, row);
}

template <int kG>
void batch_portable(const Model& md, const FastPlan& p, Isa isa, FastBatch::Scratch& s, std::uint64_t first,
                    int count, double* xs, int row) {
  batch_body<kG>(md, p, isa, s, first, count, xs, row);
}

#if defined(__x86_64__) || defined(__i386__)
template <int kG>
__attribute__((target("avx2"))) void batch_avx2(const Model& md, const FastPlan& p, Isa isa, FastBatch::Scratch& s,
                                                std::uint64_t first, int count, double* xs, int row) {
  batch_body<kG>(md, p, isa, s, first, count, xs, row);
}
template <int kG>
__attribute__((target("avx512f"))) void batch_avx512(const Model& md, const FastPlan& p, Isa isa,
                                                     FastBatch::Scratch& s, std::uint64_t first, int count,
                                                     double* xs, int row) {
  batch_body<kG>(md, p, isa, s, first, count, xs, row);
}
#endif

template <int kG>
void run_batch(const Model& md, const FastPlan& p, Isa isa, FastBatch::Scratch& s, std::uint64_t first, int count,
               double* xs, int row) {
#if defined(__x86_64__) || defined(__i386__)
  if (isa == Isa::Avx512) return batch_avx512<kG>(md, p, isa, s, first, count, xs, row);
  if (isa == Isa::Avx2) return batch_avx2<kG>(md, p, isa, s, first, count, xs, row);
#endif
  batch_portable<kG>(md, p, isa, s, first, count, xs, row);
}

}  // namespace

bool fast_path_enabled() {
  static const bool on = [] {
    const char* e = std::getenv("MCREV_FAST_PATH");
    if (!e) return true;
    std::string v(e);
    for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return !(v == "0" || v == "off" || v == "false" || v == "no");
  }();
  return on;
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
    : md_(md), plan_(plan), isa_(isa), s_(std::make_unique<Scratch>()) {}
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
