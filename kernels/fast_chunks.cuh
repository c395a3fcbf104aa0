// Shared by the CUDA fast kernels (fast_paths.cu: single item; fast_units.cu: multi-unit markets):
// their geometry, the block tree that turns a block's 128 leaf sums into one chunk partial, a device
// buffer, and the placement of one mechanism's pass into the full partial shape.
//
// Reduction order (docs/determinism.md): thread t holds leaf t of the chunk (mean in row k, M2 in row
// 2K + k, the co-moment of the surplus pair in row 3K of acc, laid out [row][thread]); the pair is
// merged first on copies of its two means (tree_step_comoment), then every metric in place
// (tree_step_moment), each at strides s = 1, 2, ..., 64: the canonical tree of the CPU backend and of
// estimate_kernel, so a chunk partial is bitwise theirs.
#pragma once

#include "mcrev/engine.hpp"
#include "mcrev/pipeline/kernel_body.hpp"

#include "cuda_check.cuh"
#include "device_buffer.cuh"

#include <cuda_runtime.h>

#include <cstdint>

namespace mcrev::fastk {

inline constexpr int kBlock = 128;                // as estimate_kernel: part of the reduction order
inline constexpr std::uint64_t kPerThread = 256;  // one leaf per thread
inline constexpr std::uint64_t kChunk = kBlock * kPerThread;
static_assert(kPerThread == kLeafProfiles, "a thread's profiles are one leaf of the CPU backend's tree");

/// The block's leaf sums (K metrics, rows as above; n: this thread's profile count) into the chunk
/// partial out = [n, mean[K], M2[K], C] (pass shape of one mechanism). Every thread of the block calls it.
__device__ __forceinline__ void block_partial(double* acc, double* sn, double* sa, double* sb, int K, double n, int t,
                                              double* out) {
  constexpr int I = metric::kSurplus, J = metric::kOptSurplus;
  // the pair (surplus, optimal surplus) first, on copies of the two means
  sn[t] = n;
  sa[t] = acc[I * kBlock + t];
  sb[t] = acc[J * kBlock + t];
  __syncthreads();
  for (int s = 1; s < kBlock; s *= 2) {
    if (t % (2 * s) == 0) tree_step_comoment(sn, sa, sb, acc + 3 * K * kBlock, t, s);
    __syncthreads();
  }
  if (t == 0) out[1 + 2 * K] = acc[3 * K * kBlock];
  __syncthreads();
  for (int k = 0; k < K; ++k) {  // then every metric, in place (mean in row k, M2 in row 2K + k)
    sn[t] = n;
    __syncthreads();
    for (int s = 1; s < kBlock; s *= 2) {
      if (t % (2 * s) == 0) tree_step_moment(sn, acc + k * kBlock, acc + (2 * K + k) * kBlock, t, s);
      __syncthreads();
    }
    if (t == 0) {
      out[0] = sn[0];
      out[1 + k] = acc[k * kBlock];
      out[1 + K + k] = acc[(2 * K + k) * kBlock];
    }
    __syncthreads();
  }
}

using mcrev::DeviceBuffer;  // device_buffer.cuh

/// Mechanism m's pass partials (count chunks of 1 + 2K + 1 doubles each, K metrics a mechanism) into
/// the full-shape partials out (count chunks of full.size() doubles), as CudaChunks places its passes.
inline void place_pass(const double* pass, std::uint64_t count, int K, int m, const PartialShape& full, double* out) {
  const size_t P = 1 + 2 * static_cast<size_t>(K) + 1, F = static_cast<size_t>(full.size());
  for (std::uint64_t i = 0; i < count; ++i) {
    const double* p = pass + i * P;
    double* f = out + i * F;
    f[0] = p[0];
    for (int k = 0; k < K; ++k) {
      f[1 + m * K + k] = p[1 + k];
      f[1 + full.metrics + m * K + k] = p[1 + K + k];
    }
    f[1 + 2 * full.metrics + m] = p[1 + 2 * K];
  }
}

}  // namespace mcrev::fastk
