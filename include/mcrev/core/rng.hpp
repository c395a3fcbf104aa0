// mcrev: counter-based random numbers keyed by (seed, profile, lane, index).
//
// Every random number of a profile is a pure function of the seed and its logical position:
//   words = Philox4x32_10(counter = (block, lane, profile_lo, profile_hi), key = (seed_lo, seed_hi))
// so an estimate does not depend on the backend, thread, block or chunk that computes it.
// Host builds (g++) call cuRAND's own curand_Philox4x32_10 from curand_kernel.h; device code too.
// Lane 0 holds bidder values (bidder i uses word i%4 of block i/4); lane 1 + m is mechanism m's
// auxiliary stream (tie breaks, arrival orders).
#pragma once

#include "mcrev/core/config.hpp"

#if __has_include(<curand_kernel.h>)
#include <curand_kernel.h>
#define MCREV_HAVE_CURAND 1
#else
// No CUDA toolkit: the CPU backend uses the portable Philox below (bitwise the same function).
struct uint2 { unsigned int x, y; };
struct uint4 { unsigned int x, y, z, w; };
inline uint2 make_uint2(unsigned int x, unsigned int y) { return {x, y}; }
inline uint4 make_uint4(unsigned int x, unsigned int y, unsigned int z, unsigned int w) { return {x, y, z, w}; }
#define MCREV_HAVE_CURAND 0
#endif

namespace mcrev {

namespace detail {
// nvcc's host pass sees curand's function as __device__-only; it never runs this path for
// kernels, but needs a host body: the same Philox4x32-10 (Salmon et al., SC'11).
MCREV_HD MCREV_INLINE uint4 philox4x32_10_portable(uint4 c, uint2 k) {
  constexpr std::uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
  for (int r = 0; r < 10; ++r) {
    const std::uint64_t p0 = static_cast<std::uint64_t>(M0) * c.x;
    const std::uint64_t p1 = static_cast<std::uint64_t>(M1) * c.z;
    const uint4 n = make_uint4(static_cast<std::uint32_t>(p1 >> 32) ^ c.y ^ k.x, static_cast<std::uint32_t>(p1),
                               static_cast<std::uint32_t>(p0 >> 32) ^ c.w ^ k.y, static_cast<std::uint32_t>(p0));
    c = n;
    k.x += W0;
    k.y += W1;
  }
  return c;
}
}  // namespace detail

/// The antithetic flag of a profile index (variance_reduction = "antithetic", docs/variance_reduction.md):
/// profile p | kAntitheticBit draws the complement ~w of every word w of profile p, in every lane, so each
/// of its uniforms is exactly 1 − u (u32_to_open01(~w) = 1 − u32_to_open01(w), both exact in double).
/// Profile indices of a run stay below kMaxSamples < 2^57, so the bit is free.
inline constexpr std::uint64_t kAntitheticBit = std::uint64_t{1} << 63;

/// One Philox4x32-10 block: four independent 32-bit words (complemented for an antithetic profile).
MCREV_HD MCREV_INLINE uint4 philox_block(std::uint64_t seed, std::uint64_t profile, std::uint32_t lane,
                                         std::uint32_t block) {
  const std::uint32_t flip = 0u - static_cast<std::uint32_t>(profile >> 63);  // all ones when antithetic
  const uint4 c = make_uint4(block, lane, static_cast<std::uint32_t>(profile),
                             static_cast<std::uint32_t>(profile >> 32) & 0x7FFFFFFFu);
  const uint2 k = make_uint2(static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
#if (defined(__CUDACC__) && !defined(__CUDA_ARCH__)) || !MCREV_HAVE_CURAND
  const uint4 w = detail::philox4x32_10_portable(c, k);
#else
  const uint4 w = curand_Philox4x32_10(c, k);
#endif
  return make_uint4(w.x ^ flip, w.y ^ flip, w.z ^ flip, w.w ^ flip);
}

/// Maps a 32-bit word to the open interval (0, 1): (w + 0.5) / 2^32, exact in double.
MCREV_HD MCREV_INLINE double u32_to_open01(std::uint32_t w) {
  return (static_cast<double>(w) + 0.5) * 2.3283064365386962890625e-10;
}

MCREV_HD MCREV_INLINE std::uint32_t block_word(const uint4& b, int i) {
  return i == 0 ? b.x : i == 1 ? b.y : i == 2 ? b.z : b.w;
}

/// Sequential reader of one (seed, profile, lane) stream; a pure function of its position.
class Stream {
 public:
  MCREV_HD Stream(std::uint64_t seed, std::uint64_t profile, std::uint32_t lane)
      : seed_(seed), profile_(profile), lane_(lane) {}
  /// Next uniform on (0, 1).
  MCREV_HD double uniform() {
    if ((pos_ & 3u) == 0) buf_ = philox_block(seed_, profile_, lane_, pos_ >> 2);
    return u32_to_open01(block_word(buf_, static_cast<int>(pos_++ & 3u)));
  }
  /// Uniform integer in [0, k) (k >= 1), by scaling one uniform.
  MCREV_HD int below(int k) {
    int j = static_cast<int>(uniform() * k);
    return j < k ? j : k - 1;
  }

 private:
  std::uint64_t seed_, profile_;
  std::uint32_t lane_;
  std::uint32_t pos_ = 0;
  uint4 buf_{};
};

inline constexpr std::uint32_t kValueLane = 0;
MCREV_HD MCREV_INLINE std::uint32_t aux_lane(int mechanism) { return 1u + static_cast<std::uint32_t>(mechanism); }

}  // namespace mcrev
