// mcrev: scrambled Sobol points for randomized quasi-Monte Carlo (variance_reduction = "rqmc",
// docs/variance_reduction.md).
//
// Point i (0 <= i < 2^32) of the Sobol sequence, coordinate d, in binary (not Gray-code) order:
//   x_d(i) = XOR_{k : bit k of i is set} V_d[k]
// with the direction numbers V_d[k] (32-bit, the top bit first) of Joe & Kuo (2008), "Constructing
// Sobol sequences with better two-dimensional projections", SIAM J. Sci. Comput. 30, 2635-2654 — copied
// on the host from Boost.Random's table (boost/random/sobol.hpp, host/vr/) into the model's arena as
// doubles (exact for 32-bit integers), so the CPU backend and the CUDA kernels read the same numbers.
// The first 2^m points in binary order are the same set as in Gray-code order (a (t, m, s)-net).
//
// Scrambling: a hash-based nested uniform (Owen) scramble of each coordinate, Burley (2020),
// "Practical hash-based Owen scrambling", JCGT 9(4): reverse the bits, apply the Laine–Karras
// permutation x += seed; x ^= x·c_1; ...; x ^= x·c_4 (each step changes a bit only as a function of the
// bits below it, i.e. of the higher-order bits of the original word: a nested permutation), reverse
// back. Each scrambled point is uniform on the 2^32 grid, so u = (x + 0.5)/2^32 is uniform on (0, 1)
// up to that grid, and the points of one randomization keep the net's stratification.
// Every function here is a pure function of its arguments: host and device give the same bits.
#pragma once

#include "mcrev/core/config.hpp"
#include "mcrev/core/rng.hpp"

namespace mcrev {

/// Bits of a Sobol coordinate (direction numbers per dimension).
inline constexpr int kSobolBits = 32;

/// Reverses the 32 bits of x.
MCREV_HD MCREV_INLINE std::uint32_t reverse_bits32(std::uint32_t x) {
#ifdef __CUDA_ARCH__
  return __brev(x);
#else
  x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
  x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
  x = ((x >> 4) & 0x0F0F0F0Fu) | ((x & 0x0F0F0F0Fu) << 4);
  x = ((x >> 8) & 0x00FF00FFu) | ((x & 0x00FF00FFu) << 8);
  return (x >> 16) | (x << 16);
#endif
}

/// Burley's (2020) hash-based Owen scramble of a 32-bit coordinate with a 32-bit seed.
MCREV_HD MCREV_INLINE std::uint32_t owen_scramble(std::uint32_t x, std::uint32_t seed) {
  x = reverse_bits32(x);
  x += seed;  // Laine–Karras permutation with Burley's constants
  x ^= x * 0x6c50b47cu;
  x ^= x * 0xb82f1e52u;
  x ^= x * 0xc7afe638u;
  x ^= x * 0x8d22f6e6u;
  return reverse_bits32(x);
}

/// Unscrambled Sobol coordinate of point `index` from one dimension's direction numbers
/// (directions[k] = V[k] as a double holding a 32-bit integer, k < kSobolBits).
MCREV_HD MCREV_INLINE std::uint32_t sobol_coordinate(const double* directions, std::uint32_t index) {
  std::uint32_t x = 0;
  for (int k = 0; index != 0; ++k, index >>= 1)
    if (index & 1u) x ^= static_cast<std::uint32_t>(directions[k]);
  return x;
}

/// Scrambled Sobol uniform on (0, 1): coordinate d of point `index`, direction numbers at
/// directions + d·kSobolBits, the dimension's scramble seed seeds[d] (doubles holding 32-bit integers).
MCREV_HD MCREV_INLINE double scrambled_sobol_uniform(const double* directions, const double* seeds, int d,
                                                     std::uint32_t index) {
  const std::uint32_t x = sobol_coordinate(directions + d * kSobolBits, index);
  return u32_to_open01(owen_scramble(x, static_cast<std::uint32_t>(seeds[d])));
}

}  // namespace mcrev
