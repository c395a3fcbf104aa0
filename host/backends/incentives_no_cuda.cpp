// Built instead of kernels/incentives.cu when CMake finds no CUDA compiler.
#include "mcrev/core/error.hpp"
#include "mcrev/incentives/interim.hpp"

namespace mcrev {

InterimSums interim_sums_cuda(const ModelData&, const InterimGrid&, const InterimLayout&) {
  throw BackendError("this build of mcrev has no CUDA backend (no CUDA compiler was found at configure time)");
}

}  // namespace mcrev
