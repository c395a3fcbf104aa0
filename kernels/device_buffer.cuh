// mcrev CUDA backend: n elements of device memory (cudaMalloc; freed on destruction), shared by the
// generic backend (cuda_backend.cu) and the fast chunk sources (fast_chunks.cuh). Allocation failures
// throw through MCREV_CUDA (cudaErrorMemoryAllocation: exit 3, docs/gpu.md). Free on the device that
// allocated it (the owners set the device before destruction).
#pragma once

#include "cuda_check.cuh"

#include <cuda_runtime.h>

#include <cstddef>
#include <vector>

namespace mcrev {

template <class T>
struct DeviceBuffer {
  T* ptr = nullptr;
  explicit DeviceBuffer(size_t n) {
    if (n) MCREV_CUDA(cudaMalloc(&ptr, n * sizeof(T)));
  }
  /// A device copy of h.
  explicit DeviceBuffer(const std::vector<T>& h) : DeviceBuffer(h.size()) {
    if (!h.empty()) MCREV_CUDA(cudaMemcpy(ptr, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  ~DeviceBuffer() { cudaFree(ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

}  // namespace mcrev
