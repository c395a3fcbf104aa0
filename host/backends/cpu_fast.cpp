// The single-item fast path of the CPU backend over a batch (see cpu_fast.hpp).
//
// Compiled with -ffp-contract=off (CMakeLists.txt), like cpu_batch.cpp: no multiply-add is fused, so
// every instruction set gives the bits of mcrev/pipeline/fast_single_item.hpp's scalar arithmetic,
// which are those of the generic pipeline. The loops over the profiles of a batch are compiled three
// times (portable, AVX2, AVX-512F) and chosen at run time with the rest of the backend (best_isa).
#include "backends/cpu_fast.hpp"

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
  unsigned char fallback[S];
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

// The per-batch work of one mechanism: its bids, its outcome per profile, its metric rows (block at
// xs + j * row + off). All loops run over the profiles j of the batch (vectorizable); the arithmetic
// is the fast header's per-profile building blocks.
MCREV_FAST_INLINE void mechanism_rows(const FastPlan& p, const FastMech& mk, FastBatch::Scratch& s, int count,
                                      double* xs, int row, int off, bool is_base, Isa isa, std::uint64_t first) {
  const int n = p.n, G = p.n_groups;
  const double v0 = mk.seller_value;
  const double* v = s.u;
  if (mk.rule == Rule::PostedPrice) {
    stream_uniforms(isa, p.seed, mk.aux_lane, first, count, 1, s.aux, S);
    for (int j = 0; j < count; ++j) {
      int eligible = 0;
      for (int k = 0; k < n; ++k) eligible += v[k * S + j] >= mk.price;
      const int pick = eligible > 1 ? fast::below(s.aux[j], eligible) : 0;
      int seen = 0, gw = 0;
      double vw = 0.0;
      for (int k = 0; k < n; ++k) {
        const bool in = v[k * S + j] >= mk.price;
        const bool take = in & (seen == pick);
        vw = take ? v[k * S + j] : vw;
        gw = take ? k : gw;
        seen += in;
      }
      s.vw[j] = vw;
      s.gw[j] = gw;
      s.sale[j] = eligible > 0 ? 1.0 : 0.0;
    }
    for (int j = 0; j < count; ++j) {
      int g = 0;
      while (g + 1 < G && s.gw[j] >= p.group_first[g + 1]) ++g;
      const bool sale = s.sale[j] != 0.0;
      const double base = is_base ? (sale ? mk.price : 0.0) : s.base[j];
      s.rev[j] = fast::sparse_metrics(p, v0, sale, g, s.vw[j], mk.price, s.vmax[j], base, xs + j * row + off);
    }
    return;
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
          case StrategyKind::UniformFirstPrice: bids_of<StrategyKind::UniformFirstPrice>(st, in, out, count); break;
          case StrategyKind::UniformAllPay: bids_of<StrategyKind::UniformAllPay>(st, in, out, count); break;
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
  double* __restrict vw = s.vw;
  double* __restrict gw = s.gw;
  double* __restrict ties = s.ties;
  for (int j = 0; j < count; ++j) vw[j] = gw[j] = ties[j] = 0.0;
  for (int g = 0; g < G; ++g) {
    const double r = mk.reserve[g];
    for (int k = p.group_first[g]; k < p.group_first[g + 1]; ++k) {
      const double* __restrict bk = b + k * S;
      const double* __restrict vk = v + k * S;
      const double gd = g;
      for (int j = 0; j < count; ++j) fast::arg_step(bk[j], r, best[j], vk[j], gd, vw[j], gw[j], ties[j]);
    }
  }
  for (int j = 0; j < count; ++j)
    if (best[j] > kNoBid && ties[j] > 1.0) s.fallback[j] = 1;
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
          const double t = (bj > kNoBid && !(bj < r)) ? bj : 0.0;
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
  for (int j = 0; j < count; ++j) {
    const bool sale = best[j] > kNoBid;
    const int g = static_cast<int>(gw[j]);
    double price = best[j];
    if (mk.rule == Rule::SecondPrice) {
      const double r = mk.reserve[g];
      price = second[j] > r ? second[j] : r;
    }
    const double base = is_base ? (sale ? price : 0.0) : s.base[j];
    s.rev[j] = fast::sparse_metrics(p, v0, sale, g, vw[j], price, s.vmax[j], base, xs + j * row + off);
  }
}

// The whole batch for one instruction set (the loops above inlined into it).
MCREV_FAST_INLINE void batch_body(const Model& md, const FastPlan& p, Isa isa, FastBatch::Scratch& s,
                                  std::uint64_t first, int count, double* xs, int row) {
  const int n = p.n;
  stream_uniforms(isa, p.seed, kValueLane, first, count, n, s.u, S);
  for (int g = 0; g < p.n_groups; ++g)  // values in place of their uniforms
    for (int k = p.group_first[g]; k < p.group_first[g + 1]; ++k)
      quantiles_batch(p.dist[g], md.arena, s.u + k * S, count, s.u + k * S, 1);
  for (int j = 0; j < count; ++j) {
    s.vmax[j] = s.u[j];
    s.fallback[j] = 0;
  }
  for (int k = 1; k < n; ++k) {
    const double* __restrict vk = s.u + k * S;
    double* __restrict vmax = s.vmax;
    for (int j = 0; j < count; ++j) vmax[j] = vk[j] > vmax[j] ? vk[j] : vmax[j];
  }
  const int B = p.block();
  for (int m = 0; m < p.n_mechanisms; ++m) {
    mechanism_rows(p, p.mech[m], s, count, xs, row, m * B, m == 0, isa, first);
    if (m == 0) std::copy(s.rev, s.rev + count, s.base);
  }
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2"))) void batch_avx2(const Model& md, const FastPlan& p, Isa isa, FastBatch::Scratch& s,
                                                std::uint64_t first, int count, double* xs, int row) {
  batch_body(md, p, isa, s, first, count, xs, row);
}
__attribute__((target("avx512f"))) void batch_avx512(const Model& md, const FastPlan& p, Isa isa,
                                                     FastBatch::Scratch& s, std::uint64_t first, int count,
                                                     double* xs, int row) {
  batch_body(md, p, isa, s, first, count, xs, row);
}
#endif
void batch_portable(const Model& md, const FastPlan& p, Isa isa, FastBatch::Scratch& s, std::uint64_t first,
                    int count, double* xs, int row) {
  batch_body(md, p, isa, s, first, count, xs, row);
}

}  // namespace

bool fast_path_enabled() {
  static const bool on = [] {
    const char* e = std::getenv("MCREV_FAST_PATH");
    return !(e && (std::string(e) == "0" || std::string(e) == "off"));
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

FastBatch::FastBatch(const Model& md, const fast::FastPlan& plan, Isa isa)
    : md_(md), plan_(plan), isa_(isa), s_(std::make_unique<Scratch>()) {}
FastBatch::~FastBatch() = default;

int FastBatch::run(std::uint64_t first, int count, double* b, double* xs, int row) {
  Scratch& s = *s_;
#if defined(__x86_64__) || defined(__i386__)
  if (isa_ == Isa::Avx512)
    batch_avx512(md_, plan_, isa_, s, first, count, xs, row);
  else if (isa_ == Isa::Avx2)
    batch_avx2(md_, plan_, isa_, s, first, count, xs, row);
  else
#endif
    batch_portable(md_, plan_, isa_, s, first, count, xs, row);
  int generic = 0;
  for (int j = 0; j < count; ++j) {
    if (!s.fallback[j]) continue;
    for (int k = 0; k < plan_.n; ++k) s.agent_values[k] = s.u[k * S + j];
    evaluate_values<static_cast<int>(MarketKind::SingleItem)>(md_, first + static_cast<std::uint64_t>(j), 0,
                                                             md_.n_mechanisms, s.agent_values, b, xs + j * row);
    ++generic;
  }
  return generic;
}

}  // namespace mcrev::cpu
