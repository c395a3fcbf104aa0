// Built instead of kernels/cuda_backend.cu when CMake finds no CUDA compiler, or when the build
// switches the CUDA backend off (-DMCREV_ENABLE_CUDA=OFF).
#include "mcrev/engine.hpp"
#include "mcrev/core/error.hpp"

#include "backends/fast_cuda.hpp"

namespace mcrev {

namespace {
#if defined(MCREV_CUDA_SWITCHED_OFF)
constexpr const char* kNoCuda = "this build of mcrev has no CUDA backend (configured with -DMCREV_ENABLE_CUDA=OFF)";
#else
constexpr const char* kNoCuda = "this build of mcrev has no CUDA backend (no CUDA compiler was found at configure time)";
#endif
}  // namespace

bool cuda_available(std::string*, std::string* why_not) {
  if (why_not) *why_not = kNoCuda;
  return false;
}

std::vector<double> run_cuda(const ModelData&, std::uint64_t, const RunOptions&) {
  throw BackendError(kNoCuda);
}

RangeState run_cuda_range(const ModelData&, std::uint64_t, std::uint64_t, std::uint64_t, const RunOptions&,
                          const RangeState*) {
  throw BackendError(kNoCuda);
}

std::vector<std::string> cuda_device_names() { return {}; }

std::string units_shared_memory_shortfall(const ModelData&, const std::vector<int>&) { return {}; }

double philox_roofline_cuda(std::uint64_t, int, double*) {
  throw BackendError(kNoCuda);
}

}  // namespace mcrev
