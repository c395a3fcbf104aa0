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

namespace mcrev::cpu {

namespace {

constexpr int S = kMaxBatch;  // columns of the structure-of-arrays rows

template <int W>
struct VecOf;
template <>
struct VecOf<2> {
  typedef double type __attribute__((vector_size(16)));
};
template <>
struct VecOf<4> {
  typedef double type __attribute__((vector_size(32)));
};
template <>
struct VecOf<8> {
  typedef double type __attribute__((vector_size(64)));
};
template <int W>
using Vd = typename VecOf<W>::type;

// units_profile on W profiles at a time: columns [j0, j0 + W) of the values vs[slot * S + j] into the
// metric columns cols[metric * S + j] and the tie flags. Columns up to count rounded up to W are
// computed (initialized, never read).
template <int W>
MCREV_FAST_INLINE void units_body(const fast::UnitsPlan& p, const double* vs, int count, double* cols, double* flag) {
  using V = Vd<W>;
  const int K = p.block() * p.n_mechanisms;
  V v[fast::kMaxUnitsValues];
  V out[kMaxMechanisms * metric::outcome_metrics(fast::kMaxGroups, MarketKind::Units)];
  for (int j0 = 0; j0 < count; j0 += W) {
    for (int s = 0; s < p.n_values; ++s) __builtin_memcpy(&v[s], vs + s * S + j0, sizeof(V));
    V tie;
    fast::units_profile<V>(p, v, out, &tie);
    for (int k = 0; k < K; ++k) __builtin_memcpy(cols + k * S + j0, &out[k], sizeof(V));
    __builtin_memcpy(flag + j0, &tie, sizeof(V));
  }
}

void units_portable(const fast::UnitsPlan& p, const double* vs, int count, double* cols, double* flag) {
  units_body<2>(p, vs, count, cols, flag);
}
#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2"))) void units_avx2(const fast::UnitsPlan& p, const double* vs, int count, double* cols,
                                                double* flag) {
  units_body<4>(p, vs, count, cols, flag);
}
__attribute__((target("avx512f"))) void units_avx512(const fast::UnitsPlan& p, const double* vs, int count,
                                                     double* cols, double* flag) {
  units_body<8>(p, vs, count, cols, flag);
}
#endif

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
  if (!plan.eligible) {
    *path = "generic path (" + why + ")";
  } else if (cuda) {
    *path = "generic path (the multi-unit fast path runs on the CPU backend only)";
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
    *path = "fast path: " + kinds + " (units k = " + std::to_string(plan.units) + ", n = " + std::to_string(plan.n) +
            ", n_values = " + std::to_string(plan.n_values) + ")";
  }
}

UnitsBatch::UnitsBatch(const Model& md, const fast::UnitsPlan& plan, Isa isa)
    : md_(md), plan_(plan), isa_(isa), u_(static_cast<size_t>(md.n_values) * kMaxBatch, 0.0),
      v_(static_cast<size_t>(md.n_values) * kMaxBatch, 0.0),
      cols_(static_cast<size_t>(md.n_values + plan.block() * plan.n_mechanisms) * S, 0.0), flag_(S, 0.0) {}

int UnitsBatch::run(std::uint64_t first, int count, double* b, double* xs, int row) {
  const int nv = md_.n_values, K = plan_.block() * plan_.n_mechanisms;
  draw_values_batch(md_, isa_, first, count, u_.data(), v_.data());
  double* vs = cols_.data();
  double* mc = vs + static_cast<size_t>(nv) * S;
  for (int j = 0; j < count; ++j)
    for (int s = 0; s < nv; ++s) vs[s * S + j] = v_[static_cast<size_t>(j) * nv + s];
#if defined(__x86_64__) || defined(__i386__)
  if (isa_ == Isa::Avx512)
    units_avx512(plan_, vs, count, mc, flag_.data());
  else if (isa_ == Isa::Avx2)
    units_avx2(plan_, vs, count, mc, flag_.data());
  else
#endif
    units_portable(plan_, vs, count, mc, flag_.data());
  int generic = 0;
  for (int j = 0; j < count; ++j) {
    double* x = xs + static_cast<size_t>(j) * row;
    if (flag_[j] != 0.0) {
      evaluate_values(md_, first + static_cast<std::uint64_t>(j), 0,
                                                          md_.n_mechanisms, v_.data() + static_cast<size_t>(j) * nv, b, x);
      ++generic;
      continue;
    }
    for (int k = 0; k < K; ++k) x[k] = mc[k * S + j];
  }
  return generic;
}

}  // namespace mcrev::cpu
