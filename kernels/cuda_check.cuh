// mcrev: CUDA error checking shared by the kernels' launch code. Library code throws BackendError;
// only the CLI's main turns it into a message and an exit code.
#pragma once

#include "mcrev/core/error.hpp"

#include <cuda_runtime.h>

#include <string>

namespace mcrev::detail {

[[noreturn]] inline void cuda_fail(cudaError_t e, const char* call, const char* file, int line) {
  const std::string where = std::string(" (") + file + ":" + std::to_string(line) + ")";
  if (e == cudaErrorMemoryAllocation)
    throw BackendError(std::string("CUDA out of device memory in ") + call + where +
                       "; reduce the number of mechanisms, bidders or grid sizes");
  throw BackendError(std::string("CUDA error in ") + call + ": " + cudaGetErrorString(e) + where);
}

}  // namespace mcrev::detail

/// Checks a CUDA runtime call; throws mcrev::BackendError naming the call on failure.
#define MCREV_CUDA(call)                                                             \
  do {                                                                               \
    const cudaError_t e_ = (call);                                                   \
    if (e_ != cudaSuccess) ::mcrev::detail::cuda_fail(e_, #call, __FILE__, __LINE__); \
  } while (0)
