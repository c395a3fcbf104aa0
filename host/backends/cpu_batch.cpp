// Batched Philox draws and leaf accumulation for the CPU backend (see cpu_batch.hpp).
//
// Compiled with -ffp-contract=off (CMakeLists.txt): no multiply and add are ever fused, whatever the
// instruction set of a function, so the AVX2, AVX-512 and portable paths give the same bits.
#include "backends/cpu_batch.hpp"
#include "backends/cpu_divisible.hpp"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MCREV_X86 1
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
// GCC 12's AVX-512 intrinsics trip -Wmaybe-uninitialized (_mm512_undefined_epi32, GCC bug 105593).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#else
#define MCREV_X86 0
#endif

namespace mcrev::cpu {

namespace {

constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u, kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
constexpr int kRounds = 10;

struct RoundKeys {
  std::uint32_t x[kRounds], y[kRounds];
  explicit RoundKeys(std::uint64_t seed) {
    std::uint32_t kx = static_cast<std::uint32_t>(seed), ky = static_cast<std::uint32_t>(seed >> 32);
    for (int r = 0; r < kRounds; ++r) {
      x[r] = kx;
      y[r] = ky;
      kx += kW0;
      ky += kW1;
    }
  }
};

// Column j of a batch is profile first + (j / 8) · A + (j % 8) · B: consecutive profiles (A = 8,
// B = 1) or eight interleaved leaves (A = 1, B = the leaf length).
struct ColumnMap {
  std::uint64_t first, A, B;
  std::uint64_t operator()(int j) const { return first + static_cast<std::uint64_t>(j / 8) * A + static_cast<std::uint64_t>(j % 8) * B; }
};

void uniforms_portable(std::uint64_t seed, std::uint32_t lane, ColumnMap map, int count, int n_uniforms, double* u,
                       int stride) {
  const int blocks = (n_uniforms + 3) / 4;
  for (int j = 0; j < count; ++j)
    for (int blk = 0; blk < blocks; ++blk) {
      const uint4 w = philox_block(seed, map(j), lane, static_cast<std::uint32_t>(blk));
      for (int q = 0; q < 4 && 4 * blk + q < n_uniforms; ++q)
        u[(4 * blk + q) * stride + j] = u32_to_open01(block_word(w, q));
    }
}

#if MCREV_X86
// Philox4x32-10 for W profiles at once: each 64-bit lane holds one profile's 32-bit counter word in
// its low half. vpmuludq reads only the low halves, so the high halves may hold garbage until the
// final mask. A word w becomes (w + 0.5) 2^-32 as ((2^52 + w) − (2^52 − 0.5)) · 2^-32: every step is
// exact, so the result is bitwise u32_to_open01(w).
constexpr std::uint64_t kLow32 = 0xFFFFFFFFull, kMagic = 0x4330000000000000ull;  // bits of 2^52
constexpr double kMagicMinusHalf = 4503599627370495.5, kTwoM32 = 2.3283064365386962890625e-10;

__attribute__((target("avx2"))) void uniforms_avx2(std::uint64_t seed, std::uint32_t lane, ColumnMap map, int count,
                                                   int n_uniforms, double* u, int stride) {
  const RoundKeys rk(seed);
  const __m256i m0 = _mm256_set1_epi64x(kM0), m1 = _mm256_set1_epi64x(kM1);
  const __m256i low = _mm256_set1_epi64x(static_cast<long long>(kLow32));
  const __m256i magic = _mm256_set1_epi64x(static_cast<long long>(kMagic));
  const __m256d off = _mm256_set1_pd(kMagicMinusHalf), scale = _mm256_set1_pd(kTwoM32);
  const __m256i ln = _mm256_set1_epi64x(lane);
  const long long B = static_cast<long long>(map.B);
  const __m256i step = _mm256_set_epi64x(3 * B, 2 * B, B, 0);
  const __m256i half = _mm256_set1_epi64x(4 * B);
  const int blocks = (n_uniforms + 3) / 4;
  // Two groups of 4 profiles at a time (columns j..j+3 and j+4..j+7): two independent multiply chains.
  for (int j = 0; j < count; j += 8) {
    const __m256i pa = _mm256_add_epi64(_mm256_set1_epi64x(static_cast<long long>(map(j))), step);
    const __m256i pb = _mm256_add_epi64(pa, half);
    const __m256i alo = _mm256_and_si256(pa, low), ahi = _mm256_srli_epi64(pa, 32);
    const __m256i blo = _mm256_and_si256(pb, low), bhi = _mm256_srli_epi64(pb, 32);
    for (int blk = 0; blk < blocks; ++blk) {
      __m256i a0 = _mm256_set1_epi64x(blk), a1 = ln, a2 = alo, a3 = ahi;
      __m256i b0 = a0, b1 = ln, b2 = blo, b3 = bhi;
      for (int r = 0; r < kRounds; ++r) {
        const __m256i kx = _mm256_set1_epi64x(rk.x[r]), ky = _mm256_set1_epi64x(rk.y[r]);
        const __m256i pa0 = _mm256_mul_epu32(a0, m0), pa1 = _mm256_mul_epu32(a2, m1);
        const __m256i pb0 = _mm256_mul_epu32(b0, m0), pb1 = _mm256_mul_epu32(b2, m1);
        a0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(pa1, 32), a1), kx);
        a2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(pa0, 32), a3), ky);
        b0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(pb1, 32), b1), kx);
        b2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(pb0, 32), b3), ky);
        a1 = pa1;
        a3 = pa0;
        b1 = pb1;
        b3 = pb0;
      }
      const __m256i words[8] = {a0, a1, a2, a3, b0, b1, b2, b3};
      for (int h = 0; h < 2 && j + 4 * h < count; ++h)
        for (int q = 0; q < 4 && 4 * blk + q < n_uniforms; ++q) {
          const __m256i bits = _mm256_or_si256(_mm256_and_si256(words[4 * h + q], low), magic);
          const __m256d x = _mm256_mul_pd(_mm256_sub_pd(_mm256_castsi256_pd(bits), off), scale);
          _mm256_storeu_pd(u + (4 * blk + q) * stride + j + 4 * h, x);
        }
    }
  }
}

__attribute__((target("avx512f"))) void uniforms_avx512(std::uint64_t seed, std::uint32_t lane, ColumnMap map,
                                                        int count, int n_uniforms, double* u, int stride) {
  const RoundKeys rk(seed);
  const __m512i m0 = _mm512_set1_epi64(kM0), m1 = _mm512_set1_epi64(kM1);
  const __m512i low = _mm512_set1_epi64(static_cast<long long>(kLow32));
  const __m512i magic = _mm512_set1_epi64(static_cast<long long>(kMagic));
  const __m512d off = _mm512_set1_pd(kMagicMinusHalf), scale = _mm512_set1_pd(kTwoM32);
  const __m512i ln = _mm512_set1_epi64(lane);
  const long long B = static_cast<long long>(map.B);
  const __m512i step = _mm512_set_epi64(7 * B, 6 * B, 5 * B, 4 * B, 3 * B, 2 * B, B, 0);
  const int blocks = (n_uniforms + 3) / 4;
  // Two groups of 8 profiles at a time (columns j..j+7 and j+8..j+15): two independent multiply chains
  // keep the multipliers busy.
  for (int j = 0; j < count; j += 16) {
    const __m512i pa = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(map(j))), step);
    const __m512i pb = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(map(j + 8))), step);
    const __m512i alo = _mm512_and_si512(pa, low), ahi = _mm512_srli_epi64(pa, 32);
    const __m512i blo = _mm512_and_si512(pb, low), bhi = _mm512_srli_epi64(pb, 32);
    for (int blk = 0; blk < blocks; ++blk) {
      __m512i a0 = _mm512_set1_epi64(blk), a1 = ln, a2 = alo, a3 = ahi;
      __m512i b0 = a0, b1 = ln, b2 = blo, b3 = bhi;
      for (int r = 0; r < kRounds; ++r) {
        const __m512i kx = _mm512_set1_epi64(rk.x[r]), ky = _mm512_set1_epi64(rk.y[r]);
        const __m512i pa0 = _mm512_mul_epu32(a0, m0), pa1 = _mm512_mul_epu32(a2, m1);
        const __m512i pb0 = _mm512_mul_epu32(b0, m0), pb1 = _mm512_mul_epu32(b2, m1);
        a0 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(pa1, 32), a1), kx);
        a2 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(pa0, 32), a3), ky);
        b0 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(pb1, 32), b1), kx);
        b2 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(pb0, 32), b3), ky);
        a1 = pa1;
        a3 = pa0;
        b1 = pb1;
        b3 = pb0;
      }
      const __m512i words[8] = {a0, a1, a2, a3, b0, b1, b2, b3};
      for (int h = 0; h < 2 && j + 8 * h < count; ++h)
        for (int q = 0; q < 4 && 4 * blk + q < n_uniforms; ++q) {
          const __m512i bits = _mm512_or_si512(_mm512_and_si512(words[4 * h + q], low), magic);
          const __m512d x = _mm512_mul_pd(_mm512_sub_pd(_mm512_castsi512_pd(bits), off), scale);
          _mm512_storeu_pd(u + (4 * blk + q) * stride + j + 8 * h, x);
        }
    }
  }
}

// uniforms_avx512's Philox, the 32-bit words themselves (the uniform is (w + 0.5) 2^-32): each row
// of 8 profiles leaves as eight 32-bit words (vpmovqd keeps each 64-bit lane's low half). Two blocks
// of the two groups of 8 profiles at a time: four independent multiply chains (a round's latency,
// multiply then shift and XOR, is longer than two chains' multiplies take to issue).
__attribute__((target("avx512f"))) void words_avx512(std::uint64_t seed, std::uint32_t lane, ColumnMap map,
                                                     int count, int n_uniforms, std::uint32_t* w, int stride) {
  const RoundKeys rk(seed);
  const __m512i m0 = _mm512_set1_epi64(kM0), m1 = _mm512_set1_epi64(kM1);
  const __m512i low = _mm512_set1_epi64(static_cast<long long>(kLow32));
  const __m512i ln = _mm512_set1_epi64(lane);
  const long long B = static_cast<long long>(map.B);
  const __m512i step = _mm512_set_epi64(7 * B, 6 * B, 5 * B, 4 * B, 3 * B, 2 * B, B, 0);
  const int blocks = (n_uniforms + 3) / 4;
  constexpr int C = 4;  // chains: (group 0, block), (group 1, block), (group 0, block + 1), (group 1, block + 1)
  for (int j = 0; j < count; j += 16) {
    const __m512i pa = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(map(j))), step);
    const __m512i pb = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(map(j + 8))), step);
    const __m512i lo2[2] = {_mm512_and_si512(pa, low), _mm512_and_si512(pb, low)};
    const __m512i hi2[2] = {_mm512_srli_epi64(pa, 32), _mm512_srli_epi64(pb, 32)};
    for (int blk = 0; blk < blocks; blk += 2) {
      __m512i x0[C], x1[C], x2[C], x3[C];
      for (int c = 0; c < C; ++c) {
        x0[c] = _mm512_set1_epi64(blk + c / 2);
        x1[c] = ln;
        x2[c] = lo2[c % 2];
        x3[c] = hi2[c % 2];
      }
      for (int r = 0; r < kRounds; ++r) {
        const __m512i kx = _mm512_set1_epi64(rk.x[r]), ky = _mm512_set1_epi64(rk.y[r]);
        for (int c = 0; c < C; ++c) {
          const __m512i p0 = _mm512_mul_epu32(x0[c], m0), p1 = _mm512_mul_epu32(x2[c], m1);
          x0[c] = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p1, 32), x1[c]), kx);
          x2[c] = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p0, 32), x3[c]), ky);
          x1[c] = p1;
          x3[c] = p0;
        }
      }
      for (int c = 0; c < C; ++c) {
        const int b = blk + c / 2, h = c % 2;
        if (b >= blocks || j + 8 * h >= count) continue;
        const __m512i words[4] = {x0[c], x1[c], x2[c], x3[c]};
        for (int q = 0; q < 4 && 4 * b + q < n_uniforms; ++q)
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(w + (4 * b + q) * stride + j + 8 * h),
                              _mm512_cvtepi64_epi32(words[q]));
      }
    }
  }
}
#endif

// Inverse CDFs of one bidder over the batch, with the distribution's kind fixed at compile time so
// that no switch remains in the loop and it can vectorize (Distribution::quantile_of).
template <DistKind K>
void quantiles_of(const Distribution& d, const double* arena, const double* u, int count, double* v, int v_stride) {
  for (int j = 0; j < count; ++j) v[j * v_stride] = d.quantile_of<K>(u[j], arena);
}

void quantiles(const Distribution& d, const double* arena, const double* u, int count, double* v, int v_stride) {
  switch (d.kind) {
    case DistKind::Uniform: return quantiles_of<DistKind::Uniform>(d, arena, u, count, v, v_stride);
    case DistKind::Exponential: return quantiles_of<DistKind::Exponential>(d, arena, u, count, v, v_stride);
    case DistKind::Power: return quantiles_of<DistKind::Power>(d, arena, u, count, v, v_stride);
    case DistKind::TruncNormal: return quantiles_of<DistKind::TruncNormal>(d, arena, u, count, v, v_stride);
    case DistKind::Empirical: return quantiles_of<DistKind::Empirical>(d, arena, u, count, v, v_stride);
    default: break;  // iterative inverses (beta, gamma, mixtures, ...): the shared code, value by value
  }
  for (int j = 0; j < count; ++j) v[j * v_stride] = d.quantile(u[j], arena);
}

// Exactly leaf_add's arithmetic (d = x − shift; s1 += d; s2 += d·d; sxy += d_i·d_j, profile after
// profile), several metrics per vector: each lane is one metric, so the bits do not depend on the
// instruction set. x[j * row + k]: metric k (< padded, a multiple of 8) of the j-th profile. Metric
// blocks go two at a time and pair 0 rides along the first pass, so that several dependency chains
// (one per accumulator) run side by side.
struct RowSums {
  const double* x;
  int row, count, padded;
  const double* shift;
  double *s1, *s2;
  int pair_i, pair_j;  // pair 0's metrics, or -1
  double* sxy0;
};

void accumulate_portable(const RowSums& r) {
  for (int j = 0; j < r.count; ++j) {
    const double* xj = r.x + j * r.row;
    for (int k = 0; k < r.padded; ++k) {
      const double d = xj[k] - r.shift[k];
      r.s1[k] += d;
      r.s2[k] += d * d;
    }
    if (r.pair_i >= 0) *r.sxy0 += (xj[r.pair_i] - r.shift[r.pair_i]) * (xj[r.pair_j] - r.shift[r.pair_j]);
  }
}

#if MCREV_X86
template <int kBlocks, bool kRide>
__attribute__((target("avx2"), always_inline)) inline void pass_avx2(const RowSums& r, int k) {
  __m256d sh[2 * kBlocks], a1[2 * kBlocks], a2[2 * kBlocks];
  for (int q = 0; q < 2 * kBlocks; ++q) {
    sh[q] = _mm256_loadu_pd(r.shift + k + 4 * q);
    a1[q] = _mm256_loadu_pd(r.s1 + k + 4 * q);
    a2[q] = _mm256_loadu_pd(r.s2 + k + 4 * q);
  }
  double axy = kRide ? *r.sxy0 : 0.0;
  const double si = kRide ? r.shift[r.pair_i] : 0.0, sj = kRide ? r.shift[r.pair_j] : 0.0;
  for (int j = 0; j < r.count; ++j) {
    const double* xj = r.x + j * r.row;
    for (int q = 0; q < 2 * kBlocks; ++q) {
      const __m256d d = _mm256_sub_pd(_mm256_loadu_pd(xj + k + 4 * q), sh[q]);
      a1[q] = _mm256_add_pd(a1[q], d);
      a2[q] = _mm256_add_pd(a2[q], _mm256_mul_pd(d, d));
    }
    if (kRide) axy += (xj[r.pair_i] - si) * (xj[r.pair_j] - sj);
  }
  for (int q = 0; q < 2 * kBlocks; ++q) {
    _mm256_storeu_pd(r.s1 + k + 4 * q, a1[q]);
    _mm256_storeu_pd(r.s2 + k + 4 * q, a2[q]);
  }
  if (kRide) *r.sxy0 = axy;
}

__attribute__((target("avx2"))) void accumulate_avx2(const RowSums& r) {
  int k = 0;
  const bool ride = r.pair_i >= 0;
  if (r.padded >= 16) {
    ride ? pass_avx2<2, true>(r, 0) : pass_avx2<2, false>(r, 0);
    k = 16;
  } else {
    ride ? pass_avx2<1, true>(r, 0) : pass_avx2<1, false>(r, 0);
    k = 8;
  }
  for (; k + 16 <= r.padded; k += 16) pass_avx2<2, false>(r, k);
  if (k < r.padded) pass_avx2<1, false>(r, k);
}

template <int kBlocks, bool kRide>
__attribute__((target("avx512f"), always_inline)) inline void pass_avx512(const RowSums& r, int k) {
  __m512d sh[kBlocks], a1[kBlocks], a2[kBlocks];
  for (int q = 0; q < kBlocks; ++q) {
    sh[q] = _mm512_loadu_pd(r.shift + k + 8 * q);
    a1[q] = _mm512_loadu_pd(r.s1 + k + 8 * q);
    a2[q] = _mm512_loadu_pd(r.s2 + k + 8 * q);
  }
  double axy = kRide ? *r.sxy0 : 0.0;
  const double si = kRide ? r.shift[r.pair_i] : 0.0, sj = kRide ? r.shift[r.pair_j] : 0.0;
  for (int j = 0; j < r.count; ++j) {
    const double* xj = r.x + j * r.row;
    for (int q = 0; q < kBlocks; ++q) {
      const __m512d d = _mm512_sub_pd(_mm512_loadu_pd(xj + k + 8 * q), sh[q]);
      a1[q] = _mm512_add_pd(a1[q], d);
      a2[q] = _mm512_add_pd(a2[q], _mm512_mul_pd(d, d));
    }
    if (kRide) axy += (xj[r.pair_i] - si) * (xj[r.pair_j] - sj);
  }
  for (int q = 0; q < kBlocks; ++q) {
    _mm512_storeu_pd(r.s1 + k + 8 * q, a1[q]);
    _mm512_storeu_pd(r.s2 + k + 8 * q, a2[q]);
  }
  if (kRide) *r.sxy0 = axy;
}

__attribute__((target("avx512f"))) void accumulate_avx512(const RowSums& r) {
  int k = 0;
  const bool ride = r.pair_i >= 0;
  if (r.padded >= 16) {
    ride ? pass_avx512<2, true>(r, 0) : pass_avx512<2, false>(r, 0);
    k = 16;
  } else {
    ride ? pass_avx512<1, true>(r, 0) : pass_avx512<1, false>(r, 0);
    k = 8;
  }
  for (; k + 16 <= r.padded; k += 16) pass_avx512<2, false>(r, k);
  if (k < r.padded) pass_avx512<1, false>(r, k);
}
#endif

void accumulate_rows(Isa isa, const RowSums& r) {
#if MCREV_X86
  if (isa == Isa::Avx512) return accumulate_avx512(r);
  if (isa == Isa::Avx2) return accumulate_avx2(r);
#endif
  accumulate_portable(r);
}

// Pairs after the first, four at a time.
void accumulate_pairs(const double* x, int row, int count, const double* shift, const int* pi, const int* pj, int n,
                      double* sxy) {
  int p = 0;
  for (; p + 4 <= n; p += 4) {
    double a[4], si[4], sj[4];
    for (int t = 0; t < 4; ++t) {
      a[t] = sxy[p + t];
      si[t] = shift[pi[p + t]];
      sj[t] = shift[pj[p + t]];
    }
    for (int j = 0; j < count; ++j) {
      const double* xj = x + j * row;
      for (int t = 0; t < 4; ++t) a[t] += (xj[pi[p + t]] - si[t]) * (xj[pj[p + t]] - sj[t]);
    }
    for (int t = 0; t < 4; ++t) sxy[p + t] = a[t];
  }
  for (; p < n; ++p) {
    double a = sxy[p];
    const double si = shift[pi[p]], sj = shift[pj[p]];
    for (int j = 0; j < count; ++j) a += (x[j * row + pi[p]] - si) * (x[j * row + pj[p]] - sj);
    sxy[p] = a;
  }
}

}  // namespace

bool isa_supported(Isa isa) {
#if MCREV_X86
  switch (isa) {
    case Isa::Portable: return true;
    case Isa::Avx2: return __builtin_cpu_supports("avx2");
    case Isa::Avx512: return __builtin_cpu_supports("avx512f");
  }
  return false;
#else
  return isa == Isa::Portable;
#endif
}

Isa best_isa() {
  static const Isa best = isa_supported(Isa::Avx512) ? Isa::Avx512 : isa_supported(Isa::Avx2) ? Isa::Avx2 : Isa::Portable;
  return best;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Portable: return "portable";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "?";
}

namespace {

void uniforms(Isa isa, std::uint64_t seed, std::uint32_t lane, ColumnMap map, int count, int n_uniforms, double* u,
              int stride) {
#if MCREV_X86
  if (isa == Isa::Avx512) return uniforms_avx512(seed, lane, map, count, n_uniforms, u, stride);
  if (isa == Isa::Avx2) return uniforms_avx2(seed, lane, map, count, n_uniforms, u, stride);
#endif
  uniforms_portable(seed, lane, map, count, n_uniforms, u, stride);
}

}  // namespace

void stream_uniforms(Isa isa, std::uint64_t seed, std::uint32_t lane, std::uint64_t first, int count, int n_uniforms,
                     double* u, int stride) {
  uniforms(isa, seed, lane, ColumnMap{first, 8, 1}, count, n_uniforms, u, stride);
}

namespace {

// stream_words' and stream_words_interleaved's words: column j is profile map(j).
void words(Isa isa, std::uint64_t seed, std::uint32_t lane, ColumnMap map, int count, int n_uniforms, std::uint32_t* w,
           int stride) {
#if MCREV_X86
  if (isa == Isa::Avx512) return words_avx512(seed, lane, map, count, n_uniforms, w, stride);
#else
  (void)isa;
#endif
  const int blocks = (n_uniforms + 3) / 4;
  for (int j = 0; j < count; ++j)
    for (int blk = 0; blk < blocks; ++blk) {
      const uint4 b = philox_block(seed, map(j), lane, static_cast<std::uint32_t>(blk));
      for (int q = 0; q < 4 && 4 * blk + q < n_uniforms; ++q) w[(4 * blk + q) * stride + j] = block_word(b, q);
    }
}

}  // namespace

void stream_words(Isa isa, std::uint64_t seed, std::uint32_t lane, std::uint64_t first, int count, int n_uniforms,
                  std::uint32_t* w, int stride) {
  words(isa, seed, lane, ColumnMap{first, 8, 1}, count, n_uniforms, w, stride);
}

void stream_words_interleaved(Isa isa, std::uint64_t seed, std::uint32_t lane, std::uint64_t first,
                              std::uint64_t leaf, int count, int n_uniforms, std::uint32_t* w, int stride) {
  words(isa, seed, lane, ColumnMap{first, 1, leaf}, count, n_uniforms, w, stride);
}

void stream_uniforms_interleaved(Isa isa, std::uint64_t seed, std::uint32_t lane, std::uint64_t first,
                                 std::uint64_t leaf, int count, int n_uniforms, double* u, int stride) {
  uniforms(isa, seed, lane, ColumnMap{first, 1, leaf}, count, n_uniforms, u, stride);
}

namespace {

// Sorts column j of the rows t[e * kMaxBatch + j] (e < D) in decreasing order for every j < count: the
// odd-even transposition network (D rounds of compare-exchanges of adjacent rows). A compare-exchange
// swaps only when the upper entry is strictly smaller, so equal entries never pass each other: the
// network is a stable sort, and stable sorts by the same order give the same sequence, so each
// column is bitwise what sort_decreasing (insertion sort, also stable) gives (values are never NaN:
// inverse CDFs of uniforms in (0, 1)). Branch-free, and vectorized over the profiles.
// The sorted column j goes to out[j * n + e].
template <int D>
void sort_columns_portable(const double* t, int count, double* out, int n) {
  for (int j = 0; j < count; ++j) {
    double x[D];
    for (int e = 0; e < D; ++e) x[e] = t[e * kMaxBatch + j];
    for (int r = 0; r < D; ++r)
      for (int i = r & 1; i + 1 < D; i += 2) {
        const double a = x[i], b = x[i + 1];
        x[i] = b > a ? b : a;
        x[i + 1] = a < b ? a : b;
      }
    for (int e = 0; e < D; ++e) out[j * n + e] = x[e];
  }
}

#if MCREV_X86
template <int D>
__attribute__((target("avx2"))) void sort_columns_avx2(double* t, int count, double* out, int n) {
  // _mm256_max_pd(b, a) = b > a ? b : a and _mm256_min_pd(a, b) = a < b ? a : b, lane by lane: the
  // portable compare-exchange exactly. Columns past count (up to the next multiple of 4) are
  // sorted too and never stored (t has kMaxBatch columns; their contents do not matter).
  for (int j = 0; j < count; j += 4) {
    __m256d x[D];
    for (int e = 0; e < D; ++e) x[e] = _mm256_loadu_pd(t + e * kMaxBatch + j);
    for (int r = 0; r < D; ++r)
      for (int i = r & 1; i + 1 < D; i += 2) {
        const __m256d a = x[i], b = x[i + 1];
        x[i] = _mm256_max_pd(b, a);
        x[i + 1] = _mm256_min_pd(a, b);
      }
    if constexpr (D == 4) {  // 4 × 4 transpose: profile j + c's four sorted values, in one store
      const __m256d t0 = _mm256_unpacklo_pd(x[0], x[1]), t1 = _mm256_unpackhi_pd(x[0], x[1]);
      const __m256d t2 = _mm256_unpacklo_pd(x[2], x[3]), t3 = _mm256_unpackhi_pd(x[2], x[3]);
      const __m256d r[4] = {_mm256_permute2f128_pd(t0, t2, 0x20), _mm256_permute2f128_pd(t1, t3, 0x20),
                            _mm256_permute2f128_pd(t0, t2, 0x31), _mm256_permute2f128_pd(t1, t3, 0x31)};
      for (int c = 0; c < 4 && j + c < count; ++c) _mm256_storeu_pd(out + (j + c) * n, r[c]);
    } else {
      for (int e = 0; e < D; ++e) _mm256_storeu_pd(t + e * kMaxBatch + j, x[e]);
    }
  }
  if constexpr (D != 4)
    for (int j = 0; j < count; ++j)
      for (int e = 0; e < D; ++e) out[j * n + e] = t[e * kMaxBatch + j];
}
#endif

template <int D>
void sort_columns_of(Isa isa, double* t, int count, double* out, int n) {
#if MCREV_X86
  if (isa != Isa::Portable) return sort_columns_avx2<D>(t, count, out, n);
#endif
  (void)isa;
  sort_columns_portable<D>(t, count, out, n);
}

}  // namespace

void sort_columns(Isa isa, double* t, int d, int count, double* out, int n) {
  switch (d) {
    case 2: return sort_columns_of<2>(isa, t, count, out, n);
    case 3: return sort_columns_of<3>(isa, t, count, out, n);
    case 4: return sort_columns_of<4>(isa, t, count, out, n);
    case 5: return sort_columns_of<5>(isa, t, count, out, n);
    case 6: return sort_columns_of<6>(isa, t, count, out, n);
    case 7: return sort_columns_of<7>(isa, t, count, out, n);
    default: return sort_columns_of<8>(isa, t, count, out, n);
  }
}

void quantiles_batch(const Distribution& d, const double* arena, const double* u, int count, double* v, int v_stride) {
  quantiles(d, arena, u, count, v, v_stride);
}

void draw_values_batch(const Model& md, Isa isa, std::uint64_t first, int count, double* u, double* v) {
  const int n = md.n_values;
  if (md.correlation.kind != CorrelationKind::Independent) {  // joint draws: the shared per-profile code
    for (int j = 0; j < count; ++j) draw_values(md, first + static_cast<std::uint64_t>(j), v + j * n);
    return;
  }
  stream_uniforms(isa, md.seed, kValueLane, first, count, n, u, kMaxBatch);
  // the k-th uniform of the stream goes to value slot k, as in draw_values
  for (int g = 0; g < md.n_groups; ++g) {
    const Group& gr = md.groups[g];
    const int end = gr.first_value + gr.count * gr.demand;
    if (gr.demand >= 2 && gr.demand <= 8) {
      // Each agent's marginal values as rows over the profiles: inverse CDFs, the sorting network
      // across profiles (sort_columns), then into the profiles' value arrays.
      const int d = gr.demand;
      double rows[8 * kMaxBatch];  // columns past count: sorted along, never read
      for (int k = gr.first_value; k < end; k += d) {
        for (int e = 0; e < d; ++e) quantiles(gr.dist, md.arena, u + (k + e) * kMaxBatch, count, rows + e * kMaxBatch, 1);
        sort_columns(isa, rows, d, count, v + k, n);
      }
      continue;
    }
    for (int k = gr.first_value; k < end; ++k) quantiles(gr.dist, md.arena, u + k * kMaxBatch, count, v + k, n);
    if (gr.demand > 1)
      for (int j = 0; j < count; ++j)
        for (int k = gr.first_value; k < end; k += gr.demand) sort_decreasing(v + j * n + k, gr.demand);
  }
}

namespace {

// The shared per-profile model on a batch. With one bidder group the model is copied with the group
// in a local variable and n_groups a constant, so the compiler folds the loops over groups; in the
// single-item market the market kind, unit demand and value slots are constants too. kDivisible: a
// divisible market with one group (the market kind a constant, its mechanism kinds dispatched only).
template <bool kOneGroup, bool kOneMechanism, bool kSingleItem, bool kDivisible = false>
__attribute__((flatten)) void evaluate_profiles(const Model& shared, std::uint64_t first, int count, const double* v, double* b, double* xs,
                       int row) {
  Model md = shared;
  Group group;
  Mechanism mechs[kMaxMechanisms];
  for (int m = 0; m < shared.n_mechanisms; ++m) mechs[m] = shared.mechanisms[m];
  md.mechanisms = mechs;
  if (kOneMechanism) md.n_mechanisms = 1;
  if (kOneGroup) {
    group = shared.groups[0];
    md.groups = &group;
    md.n_groups = 1;
  }
  if (kSingleItem) {  // what the single-item market implies (build_model lays it out so)
    md.market = Market{};
    md.n_values = md.n_bidders;
    if (kOneGroup) {
      group.first = 0;
      group.demand = 1;
      group.first_value = 0;
    }
  }
  if (kDivisible) md.market.kind = MarketKind::Divisible;
  constexpr int kMarket = kSingleItem ? static_cast<int>(MarketKind::SingleItem)
                                      : (kDivisible ? static_cast<int>(MarketKind::Divisible) : -1);
  const int n = md.n_values;
  for (int j = 0; j < count; ++j)
    evaluate_values<kMarket>(
        md, first + static_cast<std::uint64_t>(j), 0, md.n_mechanisms, v + j * n, b, xs + j * row);
}

}  // namespace

void evaluate_batch(const Model& md, std::uint64_t first, int count, const double* v, double* b, double* xs,
                    int row) {
  if (md.market.kind == MarketKind::Divisible && evaluate_divisible_steps(md, first, count, v, b, xs, row)) return;
  if (md.market.kind == MarketKind::Divisible && md.n_groups == 1)
    return evaluate_profiles<true, false, false, true>(md, first, count, v, b, xs, row);
  if (md.market.kind != MarketKind::SingleItem)
    return evaluate_profiles<false, false, false>(md, first, count, v, b, xs, row);
  if (md.n_groups == 1 && md.n_mechanisms == 1) return evaluate_profiles<true, true, true>(md, first, count, v, b, xs, row);
  if (md.n_groups == 1) return evaluate_profiles<true, false, true>(md, first, count, v, b, xs, row);
  if (md.n_mechanisms == 1) return evaluate_profiles<false, true, true>(md, first, count, v, b, xs, row);
  evaluate_profiles<false, false, true>(md, first, count, v, b, xs, row);
}

LeafAccumulator::LeafAccumulator(PartialShape shape, MechanismPairs pairs, Isa isa)
    : shape_(shape), pairs_(pairs), isa_(isa), padded_(padded_metrics(shape.metrics)), shift_(padded_), s1_(padded_),
      s2_(padded_), sxy_(shape.pairs), pair_i_(shape.pairs), pair_j_(shape.pairs) {
  for (int p = 0; p < shape.pairs; ++p) pairs(p, &pair_i_[p], &pair_j_[p]);
}

void LeafAccumulator::add(const double* x, int row, int count) {
  if (count <= 0) return;
  if (n_ == 0) {  // the leaf's first profile sets the shift and adds nothing (as leaf_add)
    std::copy(x, x + padded_, shift_.begin());
    std::fill(s1_.begin(), s1_.end(), 0.0);
    std::fill(s2_.begin(), s2_.end(), 0.0);
    std::fill(sxy_.begin(), sxy_.end(), 0.0);
    x += row;
    --count;
    ++n_;
  }
  const int P = shape_.pairs;
  const RowSums r{x, row, count, padded_, shift_.data(), s1_.data(), s2_.data(), P > 0 ? pair_i_[0] : -1,
                  P > 0 ? pair_j_[0] : -1, sxy_.data()};
  accumulate_rows(isa_, r);
  if (P > 1) accumulate_pairs(x, row, count, shift_.data(), pair_i_.data() + 1, pair_j_.data() + 1, P - 1, sxy_.data() + 1);
  n_ += static_cast<std::uint64_t>(count);
}

void LeafAccumulator::finish(double* out) const {
  const LeafSums s{const_cast<double*>(shift_.data()), const_cast<double*>(s1_.data()),
                   const_cast<double*>(s2_.data()), const_cast<double*>(sxy_.data()), static_cast<double>(n_)};
  leaf_finish(s, shape_, pairs_, out);
}

}  // namespace mcrev::cpu
