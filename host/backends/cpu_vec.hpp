// GCC vector types at an instruction set's width, for the CPU fast paths (cpu_fast.cpp,
// cpu_fast_units.cpp): Vd<W> is W doubles as one value, W = 8 (AVX-512), 4 (AVX2) or 2 (SSE2, the
// portable build). Its operations are lane by lane the IEEE operations of the scalar code (the files
// are compiled with -ffp-contract=off: no multiply-add is fused), so every width gives the same bits.
// Caution: GCC 12 lowers a selection on combined masks ((a & b) ? x : y), or nested selections, lane
// by lane on AVX-512; the fast paths use single selections.
#pragma once

namespace mcrev::cpu::simd {

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

/// W 64-bit integers (shuffle masks, comparison results).
template <int W>
struct VecIOf;
template <>
struct VecIOf<2> {
  typedef long long type __attribute__((vector_size(16)));
};
template <>
struct VecIOf<4> {
  typedef long long type __attribute__((vector_size(32)));
};
template <>
struct VecIOf<8> {
  typedef long long type __attribute__((vector_size(64)));
};

template <int W>
inline __attribute__((always_inline)) Vd<W> loadv(const double* p) {
  Vd<W> x;
  __builtin_memcpy(&x, p, sizeof x);
  return x;
}
template <int W>
inline __attribute__((always_inline)) void storev(double* p, Vd<W> x) {
  __builtin_memcpy(p, &x, sizeof x);
}
template <int W>
inline __attribute__((always_inline)) Vd<W> splat(double a) {
  Vd<W> x;
  for (int i = 0; i < W; ++i) x[i] = a;
  return x;
}

}  // namespace mcrev::cpu::simd
