// mcrev: execution-space macro and compile-time limits shared by host and device code.
#pragma once

#include <cstdint>

#ifdef __CUDACC__
#define MCREV_HD __host__ __device__
#define MCREV_INLINE __forceinline__
#define MCREV_NOINLINE __noinline__
#else
#define MCREV_HD
#define MCREV_INLINE inline
#define MCREV_NOINLINE __attribute__((noinline))
#endif

// Out of line in device code only: the per-profile stages that do not depend on a kernel's template
// bounds are compiled once and shared by every kernel instantiation (ptxas time grows with each
// inlined copy); the CPU backend (g++) still inlines them into its batch loop.
#ifdef __CUDACC__
#define MCREV_DEVICE_NOINLINE __noinline__ inline
#else
#define MCREV_DEVICE_NOINLINE inline
#endif

namespace mcrev {

/// Most agents one profile may hold (sum of all groups' counts); also the most values per profile
/// (Σ_g count_g · demand_g).
inline constexpr int kMaxBidders = 1024;
/// Most values (marginal values) one agent may hold: a group's `demand` in the units market.
inline constexpr int kMaxDemand = 16;
/// Most bidder groups one scenario may declare.
inline constexpr int kMaxGroups = 64;
/// Most mechanisms one scenario may compare.
inline constexpr int kMaxMechanisms = 32;
/// Largest number of profiles one run may sample (10^17): every count product and sum in the backends
/// (chunk counts, per-pass progress) stays far below 2^64 with it. At 10^10 profiles/s it is 4 months.
inline constexpr std::uint64_t kMaxSamples = 100000000000000000ULL;
/// Largest CPU work unit (--chunk-profiles), 2^40 profiles.
inline constexpr std::uint64_t kMaxChunkProfiles = std::uint64_t{1} << 40;
/// Profiles accumulated sequentially into one leaf partial; the reduction tree over leaves is fixed,
/// so results do not depend on thread count, chunk size, backend grid or block size.
inline constexpr std::uint64_t kLeafProfiles = 256;

}  // namespace mcrev
