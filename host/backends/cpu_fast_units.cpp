// The multi-unit fast path of the CPU backend over a batch (see cpu_fast_units.hpp).
//
// Compiled with -ffp-contract=off (CMakeLists.txt), like cpu_fast.cpp: no multiply-add is fused, so
// every instruction set gives the bits of units_profile's scalar arithmetic, which are those of the
// generic pipeline. The loop over the profiles of a batch is compiled three times (portable, AVX2,
// AVX-512F) and chosen at run time (best_isa). Vectors are passed by value between always-inline
// functions only.
#pragma GCC diagnostic ignored "-Wpsabi"

#include "backends/cpu_fast_units.hpp"

#include "backends/cpu_fast.hpp"  // fast_path_enabled
#include "backends/cpu_vec.hpp"
#include "mcrev/pipeline/fast_units_kernel_body.hpp"  // make_units_kernel_plan (the CUDA path)

namespace mcrev::cpu {

namespace {

constexpr int S = kMaxBatch;  // columns of the structure-of-arrays rows

using simd::VecIOf;
using simd::Vd;

// Lane j of the result is lane m[j] of (a, b) concatenated: GCC's __builtin_shuffle; clang (the fuzz
// build) has only constant-index shuffles, so it moves the lanes one by one (the same bits).
template <int W>
MCREV_FAST_INLINE Vd<W> shuffle2(Vd<W> a, Vd<W> b, typename VecIOf<W>::type m) {
#if defined(__clang__)
  Vd<W> r;
  for (int j = 0; j < W; ++j) r[j] = m[j] < W ? a[m[j]] : b[m[j] - W];
  return r;
#else
  return __builtin_shuffle(a, b, m);
#endif
}

// One stage of a W × W transpose (rows r[i], element j = lane j): for the rows i with bit h clear,
// r[i][j] and r[i + h][j − h] exchange for the j with bit h set (the off-diagonal h-blocks swap).
// lo[j] = j or W + j − h, hi[j] = j + h or W + j (bit h of j clear or set): constant masks.
template <int W, int h>
MCREV_FAST_INLINE void transpose_stage(Vd<W>* r) {
  using Vi = typename VecIOf<W>::type;
  Vi lo, hi;
  if constexpr (W == 2) {
    lo = Vi{0, 2};
    hi = Vi{1, 3};
  } else if constexpr (W == 4 && h == 1) {
    lo = Vi{0, 4, 2, 6};
    hi = Vi{1, 5, 3, 7};
  } else if constexpr (W == 4) {
    lo = Vi{0, 1, 4, 5};
    hi = Vi{2, 3, 6, 7};
  } else if constexpr (h == 1) {
    lo = Vi{0, 8, 2, 10, 4, 12, 6, 14};
    hi = Vi{1, 9, 3, 11, 5, 13, 7, 15};
  } else if constexpr (h == 2) {
    lo = Vi{0, 1, 8, 9, 4, 5, 12, 13};
    hi = Vi{2, 3, 10, 11, 6, 7, 14, 15};
  } else {
    lo = Vi{0, 1, 2, 3, 8, 9, 10, 11};
    hi = Vi{4, 5, 6, 7, 12, 13, 14, 15};
  }
  for (int i = 0; i < W; ++i) {
    if (i & h) continue;
    const Vd<W> a = r[i], b = r[i + h];
    r[i] = shuffle2<W>(a, b, lo);
    r[i + h] = shuffle2<W>(a, b, hi);
  }
}

// Transposes the W × W matrix whose row i is r[i]: one stage per bit of the index.
template <int W>
MCREV_FAST_INLINE void transpose(Vd<W>* r) {
  transpose_stage<W, 1>(r);
  if constexpr (W >= 4) transpose_stage<W, 2>(r);
  if constexpr (W >= 8) transpose_stage<W, 4>(r);
}

// units_profile on W profiles at a time: columns [j0, j0 + W) of the drawn values vs[slot * S + j]
// (unsorted), each agent's marginal values sorted in registers, the metric blocks written to the rows
// xs + j * row of the profiles j < count, the contested flags to flag[j] (columns up to count rounded
// up to W are computed, initialized and never stored).
template <int W, int kK, int kD>
MCREV_FAST_INLINE void units_body(const fast::UnitsPlan& p, const double* vs, int count, double* xs, int row,
                                  double* flag) {
  using V = Vd<W>;
  const int K = p.block() * p.n_mechanisms;
  V v[fast::kMaxUnitsValues];
  V out[kMaxMechanisms * metric::outcome_metrics(fast::kMaxGroups, MarketKind::Units)];
  for (int j0 = 0; j0 < count; j0 += W) {
    for (int s = 0; s < p.n_values; ++s) __builtin_memcpy(&v[s], vs + s * S + j0, sizeof(V));
    fast::sort_marginal_values<kD, V>(p, v);
    V tie;
    fast::units_profile<kK, kD, V>(p, v, out, &tie);
    const int lanes = count - j0 < W ? count - j0 : W;
    // the metric columns into the profiles' rows: W metrics at a time as a W × W transpose
    int k0 = 0;
    for (; k0 + W <= K; k0 += W) {
      transpose<W>(out + k0);
      double* x = xs + static_cast<size_t>(j0) * row + k0;
      if (lanes == W) {
        for (int l = 0; l < W; ++l) __builtin_memcpy(x + static_cast<size_t>(l) * row, &out[k0 + l], sizeof(V));
      } else {
        for (int l = 0; l < lanes; ++l) __builtin_memcpy(x + static_cast<size_t>(l) * row, &out[k0 + l], sizeof(V));
      }
    }
    for (int l = 0; l < lanes; ++l) {
      double* x = xs + static_cast<size_t>(j0 + l) * row;
      for (int k = k0; k < K; ++k) x[k] = out[k][l];
      flag[j0 + l] = tie[l];
    }
  }
}

template <int kK, int kD>
void units_portable(const fast::UnitsPlan& p, const double* vs, int count, double* xs, int row, double* flag) {
  units_body<2, kK, kD>(p, vs, count, xs, row, flag);
}
#if defined(__x86_64__) || defined(__i386__)
template <int kK, int kD>
__attribute__((target("avx2"))) void units_avx2(const fast::UnitsPlan& p, const double* vs, int count, double* xs,
                                                int row, double* flag) {
  units_body<4, kK, kD>(p, vs, count, xs, row, flag);
}
template <int kK, int kD>
__attribute__((target("avx512f,avx512dq"))) void units_avx512(const fast::UnitsPlan& p, const double* vs, int count,
                                                     double* xs, int row, double* flag) {
  units_body<8, kK, kD>(p, vs, count, xs, row, flag);
}
#endif

template <int kK, int kD>
UnitsBatch::Body body_for(Isa isa) {
#if defined(__x86_64__) || defined(__i386__)
  // AVX-512 with AVX512DQ (a compare's mask as a vector, as in cpu_fast.cpp); else the AVX2 loops
  if (isa == Isa::Avx512 && __builtin_cpu_supports("avx512dq")) return units_avx512<kK, kD>;
  if (isa == Isa::Avx512 || isa == Isa::Avx2) return units_avx2<kK, kD>;
#endif
  (void)isa;
  return units_portable<kK, kD>;
}

// The loops for k units and demand d of every group: unrolled for the small cases, else read from
// the plan.
UnitsBatch::Body pick_body(const fast::UnitsPlan& p, Isa isa) {
  bool same_demand = true;
  for (int g = 0; g < p.n_groups; ++g) same_demand = same_demand && p.group_demand[g] == p.max_demand;
  if (!same_demand) return body_for<0, 0>(isa);
  switch (p.units * 16 + p.max_demand) {
    case 1 * 16 + 1: return body_for<1, 1>(isa);
    case 2 * 16 + 1: return body_for<2, 1>(isa);
    case 3 * 16 + 1: return body_for<3, 1>(isa);
    case 1 * 16 + 2: return body_for<1, 2>(isa);
    case 2 * 16 + 2: return body_for<2, 2>(isa);
    case 3 * 16 + 2: return body_for<3, 2>(isa);
    case 4 * 16 + 2: return body_for<4, 2>(isa);
    default: return body_for<0, 0>(isa);
  }
}

const char* rule_name(fast::UnitsRule r) {
  switch (r) {
    case fast::UnitsRule::Vcg: return "vcg";
    case fast::UnitsRule::PayAsBid: return "pay_as_bid";
    default: return "uniform_price";
  }
}

}  // namespace

fast::UnitsPlan units_plan_for_run(const Model& md, bool allow_fast) {
  if (!allow_fast || !fast_path_enabled()) return fast::UnitsPlan{};
  return fast::make_units_plan(md);
}

void units_evaluation_path(const Model& md, bool cuda, bool allow_fast, std::string* path) {
  if (md.market.kind != MarketKind::Units) return;
  std::string why;
  const fast::UnitsPlan plan = fast::make_units_plan(md, &why);
  fast::UnitsKernelPlan kernel_plan;  // the CUDA kernel's (kernels/fast_units.cu)
  if (!plan.eligible) {
    *path = "generic path (" + why + ")";
  } else if (cuda && !fast::make_units_kernel_plan(md, plan, nullptr, &kernel_plan, &why)) {
    *path = "generic path (" + why + ")";
  } else if (!fast_path_enabled()) {
    *path = "generic path (MCREV_FAST_PATH=off)";
  } else if (!allow_fast) {
    *path = "generic path (RunOptions::fast_path = false)";
  } else {
    std::string kinds;
    for (int m = 0; m < plan.n_mechanisms; ++m) {
      const std::string k = rule_name(plan.mech[m].rule);
      if ((", " + kinds + ", ").find(", " + k + ", ") != std::string::npos) continue;
      kinds += (kinds.empty() ? "" : ", ") + k;
    }
    *path = std::string(cuda ? "fast path (CUDA units kernel): " : "fast path: ") + kinds + " (units k = " + std::to_string(plan.units) + ", n = " + std::to_string(plan.n) +
            ", n_values = " + std::to_string(plan.n_values) + ")";
  }
}

UnitsBatch::UnitsBatch(const Model& md, const fast::UnitsPlan& plan, Isa isa)
    : md_(md), plan_(plan), isa_(isa), body_(pick_body(plan, isa)), vs_(static_cast<size_t>(md.n_values) * S, 0.0),
      v_(md.n_values), flag_(S, 0.0) {}

int UnitsBatch::run(std::uint64_t first, int count, double* b, double* xs, int row) {
  const int nv = md_.n_values;
  // draw_values' uniforms (lane 0, slot k = the k-th uniform) and quantiles, laid out [slot][profile]
  stream_uniforms(isa_, plan_.seed, kValueLane, first, count, nv, vs_.data(), S);
  for (int g = 0; g < md_.n_groups; ++g) {
    const Group& gr = md_.groups[g];
    for (int s = gr.first_value; s < gr.first_value + gr.count * gr.demand; ++s)
      quantiles_batch(gr.dist, md_.arena, vs_.data() + static_cast<size_t>(s) * S, count,
                      vs_.data() + static_cast<size_t>(s) * S, 1);
  }
  body_(plan_, vs_.data(), count, xs, row, flag_.data());
  int generic = 0;
  for (int j = 0; j < count; ++j) {
    if (flag_[j] == 0.0) continue;
    // contested units: the generic path on this profile's values, sorted as draw_values sorts them
    for (int s = 0; s < nv; ++s) v_[s] = vs_[static_cast<size_t>(s) * S + j];
    for (int g = 0; g < md_.n_groups; ++g) {
      const Group& gr = md_.groups[g];
      if (gr.demand > 1)
        for (int s = gr.first_value; s < gr.first_value + gr.count * gr.demand; s += gr.demand)
          sort_decreasing(v_.data() + s, gr.demand);
    }
    evaluate_values(md_, first + static_cast<std::uint64_t>(j), 0, md_.n_mechanisms, v_.data(), b,
                    xs + static_cast<size_t>(j) * row);
    ++generic;
  }
  return generic;
}

}  // namespace mcrev::cpu
