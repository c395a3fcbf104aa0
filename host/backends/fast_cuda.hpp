// mcrev CUDA backend: the single-item fast path's chunk source (kernels/fast_paths.cu; docs/gpu.md,
// "Fast path"). Chosen by run_cuda_range when the model's FastPlan is device_eligible.
#pragma once

#include "backends/chunk_driver.hpp"
#include "mcrev/engine.hpp"

#include <memory>
#include <string>
#include <vector>

namespace mcrev {

/// The fast kernel's chunks of md on the given devices, or null when the model is not eligible
/// (fast::make_fast_plan(...).device_eligible false, or MCREV_FAST_PATH=off): the caller then uses the
/// generic estimate_kernel. Chunk partials are bitwise the generic kernel's and the CPU backend's.
std::unique_ptr<ChunkSource> make_fast_chunks(const ModelData& md, std::uint64_t samples, const std::vector<int>& devices);

/// The multi-unit kernel's chunks of md (kernels/fast_units.cu), or null when md is not a units market
/// the kernel takes (fast::make_units_kernel_plan, MCREV_FAST_PATH=off). make_fast_chunks tries it
/// first. Chunk partials are bitwise the generic kernel's and the CPU backend's.
std::unique_ptr<ChunkSource> make_fast_units_chunks(const ModelData& md, std::uint64_t samples,
                                                    const std::vector<int>& devices);

/// Why the units kernel cannot run md on these devices (empty: the current device) although
/// make_units_kernel_plan takes it: its leaf sums need more shared memory per block than a device's
/// opt-in limit. Empty when it fits, or when md is not a market the units kernel takes. run.path
/// reports it (host/engine.cpp). Throws BackendError on a CUDA error.
std::string units_shared_memory_shortfall(const ModelData& md, const std::vector<int>& devices);

}  // namespace mcrev
