// CUDA backend of the interim utility loss estimator (mcrev/interim.hpp).
//
// One thread per (work unit, report): a block takes a unit of at most kInterimUnitDraws opponent
// draws and kInterimBlock consecutive reports; per tile of draws its threads first fill the draws'
// prescribed reports into shared memory (interim_draw_reports, one draw per thread), then every
// thread runs its report against the tile (interim_accumulate), carrying its win and payment sums
// across tiles in draw order. Units are written to a buffer and folded into their batches on the
// host in unit order (interim_fold_units), the merge order the CPU backend uses too. No array of
// size values × reports × draws exists anywhere: memory is units × reports × 2 doubles per wave, and
// one workspace slice (values and pipeline scratch) per thread of a grid of resident blocks.
#include "cuda_check.cuh"
#include "mcrev/engine.hpp"
#include "mcrev/core/error.hpp"
#include "mcrev/incentives/interim.hpp"

#include <cuda_runtime.h>

#include <algorithm>
#include <string>

namespace mcrev {

namespace {


constexpr int kInterimBlock = 128;
constexpr int kTileDoubles = 4096;  // shared memory per block: 32 KiB of draw reports

template <class T>
struct Buffer {
  T* ptr = nullptr;
  explicit Buffer(size_t n) {
    if (n) MCREV_CUDA(cudaMalloc(&ptr, n * sizeof(T)));
  }
  explicit Buffer(const std::vector<T>& h) : Buffer(h.size()) {
    if (!h.empty()) MCREV_CUDA(cudaMemcpy(ptr, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  ~Buffer() { cudaFree(ptr); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
};

// Thread blockIdx.x·kInterimBlock + threadIdx.x of the grid owns thread_doubles doubles of `workspace`:
// its draw's values (n_values) and the pipeline scratch (Model::scratch_doubles()), sized by the model
// on the host, so the stack frame holds only the callees' locals and spills (kernels/resource_bounds.txt).
__global__ void __launch_bounds__(kInterimBlock)
    interim_kernel(const __grid_constant__ Model md, int m, int bidder, const double* bids, int nb,
                   InterimLayout layout, std::uint64_t unit_first, std::uint64_t unit_count, int tile_draws,
                   double* win_out, double* pay_out, double* workspace, int thread_doubles) {
  extern __shared__ double tile[];
  const int n = md.n_values;
  const std::uint64_t bid_tiles = (static_cast<std::uint64_t>(nb) + kInterimBlock - 1) / kInterimBlock;
  double* v = workspace + (static_cast<size_t>(blockIdx.x) * kInterimBlock + threadIdx.x) * static_cast<size_t>(thread_doubles);
  double* b = v + n;
  for (std::uint64_t item = blockIdx.x; item < unit_count * bid_tiles; item += gridDim.x) {
    const std::uint64_t rel = item / bid_tiles, u = unit_first + rel;
    const int j = static_cast<int>(item % bid_tiles) * kInterimBlock + static_cast<int>(threadIdx.x);
    const double bid = j < nb ? bids[j] : 0.0;
    double w = 0.0, p = 0.0;
    const std::uint64_t d0 = layout.unit_begin(u), d1 = layout.unit_end(u);
    for (std::uint64_t t0 = d0; t0 < d1; t0 += tile_draws) {
      const int count = static_cast<int>(d1 - t0 < static_cast<std::uint64_t>(tile_draws) ? d1 - t0 : tile_draws);
      for (int t = threadIdx.x; t < count; t += blockDim.x) interim_draw_reports(md, m, t0 + t, v, tile + t * n);
      __syncthreads();
      if (j < nb) interim_accumulate(md, m, bidder, bid, tile, count, t0, b, &w, &p);
      __syncthreads();
    }
    if (j < nb) {
      win_out[rel * nb + j] = w;
      pay_out[rel * nb + j] = p;
    }
  }
}

void launch_interim(const Model& dev, const InterimGrid& grid, const InterimLayout& layout, const double* bids,
                    InterimSums& sums) {
  const int nb = static_cast<int>(grid.bids.size());
  const int tile_draws = std::max(1, std::min(256, kTileDoubles / std::max(1, dev.n_values)));
  const size_t shared = static_cast<size_t>(tile_draws) * dev.n_values * sizeof(double);
  const std::uint64_t units = layout.units();
  const std::uint64_t wave = std::min<std::uint64_t>(units, std::max<std::uint64_t>(1, (std::uint64_t{64} << 20) / (16ull * nb)));
  Buffer<double> win(wave * nb), pay(wave * nb);
  std::vector<double> hw(wave * nb), hp(wave * nb);
  int device = 0, sms = 0, per_sm = 0;
  MCREV_CUDA(cudaGetDevice(&device));
  MCREV_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  MCREV_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, interim_kernel, kInterimBlock, shared));
  const std::uint64_t resident = static_cast<std::uint64_t>(std::max(1, sms * std::max(1, per_sm)));
  const std::uint64_t bid_tiles = (static_cast<std::uint64_t>(nb) + kInterimBlock - 1) / kInterimBlock;
  // One workspace slice per thread of a grid of at most `resident` blocks (a grid-stride loop: the grid
  // size does not change the sums).
  const int thread_doubles = (dev.n_values + dev.scratch_doubles() + 3) / 4 * 4;
  const std::uint64_t max_blocks = std::min(resident, wave * bid_tiles);
  const size_t block_bytes = static_cast<size_t>(kInterimBlock) * static_cast<size_t>(thread_doubles) * sizeof(double);
  double* workspace = nullptr;
  const cudaError_t e = cudaMalloc(&workspace, max_blocks * block_bytes);
  if (e != cudaSuccess && e != cudaErrorMemoryAllocation) detail::cuda_fail(e, "cudaMalloc(workspace)", __FILE__, __LINE__);
  if (e != cudaSuccess) {
    cudaGetLastError();
    throw BackendError("CUDA out of device memory for the interim kernel's workspace: " + std::to_string(max_blocks) +
                       " blocks of " + std::to_string(kInterimBlock) + " threads × " + std::to_string(thread_doubles) +
                       " doubles (" + std::to_string((max_blocks * block_bytes + (1u << 20) - 1) >> 20) +
                       " MiB: the values and the pipeline scratch of every resident thread); use --backend cpu");
  }
  struct Free {
    double* p;
    ~Free() { cudaFree(p); }
  } free_workspace{workspace};
  for (std::uint64_t u0 = 0; u0 < units; u0 += wave) {
    const std::uint64_t count = std::min(wave, units - u0);
    const unsigned blocks = static_cast<unsigned>(std::min(max_blocks, count * bid_tiles));
    interim_kernel<<<blocks, kInterimBlock, shared>>>(dev, grid.mechanism, grid.bidder, bids, nb, layout, u0, count,
                                                      tile_draws, win.ptr, pay.ptr, workspace, thread_doubles);
    MCREV_CUDA(cudaGetLastError());
    MCREV_CUDA(cudaMemcpy(hw.data(), win.ptr, count * nb * sizeof(double), cudaMemcpyDeviceToHost));
    MCREV_CUDA(cudaMemcpy(hp.data(), pay.ptr, count * nb * sizeof(double), cudaMemcpyDeviceToHost));
    interim_fold_units(layout, u0, count, nb, hw.data(), hp.data(), sums);
  }
}

}  // namespace

InterimSums interim_sums_cuda(const ModelData& md, const InterimGrid& grid, const InterimLayout& layout) {
  std::string name, why;
  if (!cuda_available(&name, &why)) throw BackendError("interim loss on the CUDA backend: " + why);
  Buffer<Group> groups(md.groups);
  Buffer<Mechanism> mechanisms(md.mechanisms);
  Buffer<Strategy> strategies(md.strategies);
  Buffer<double> arena(md.arena);
  Buffer<IncentiveSpec> incentives(md.incentives);
  Buffer<double> bids(grid.bids);
  Model dev = md.view();
  dev.groups = groups.ptr;
  dev.mechanisms = mechanisms.ptr;
  dev.strategies = strategies.ptr;
  dev.arena = arena.ptr;
  dev.incentives = md.incentives.empty() ? nullptr : incentives.ptr;
  InterimSums sums;
  sums.layout = layout;
  sums.win.assign(static_cast<size_t>(layout.batches) * grid.bids.size(), 0.0);
  sums.pay.assign(sums.win.size(), 0.0);
  launch_interim(dev, grid, layout, bids.ptr, sums);
  return sums;
}

}  // namespace mcrev
