// CUDA fast path for multi-unit markets (docs/gpu.md, "Fast path: multi-unit markets"):
// units_kernel<kV, kT> runs mcrev/pipeline/fast_units_kernel_body.hpp's per-thread body (the profile's
// values, the first-best list and the mechanism's top list in registers: kV value slots, kT list
// entries, two buckets (16, 8) and (32, 16)); contested units are drawn in the thread as the generic
// rule draws them. A thread accumulates one leaf of kLeafProfiles profiles; its leaf sums (3B + 1 rows
// for B = 10 + 4·groups metrics) live in dynamic shared memory laid out [row][thread], and the block
// merges its 128 leaves with the canonical tree (tree_step_comoment, then tree_step_moment per
// metric), so a chunk partial is bitwise estimate_kernel's and the CPU backend's. One mechanism per
// pass (mechanism 0's revenue recomputed in the passes m > 0, for the revenue difference).
#include "mcrev/pipeline/fast_units_kernel_body.hpp"
#include "mcrev/pipeline/kernel_body.hpp"

#include "backends/cpu_fast.hpp"
#include "backends/fast_cuda.hpp"
#include "cuda_check.cuh"
#include "fast_chunks.cuh"

#include <cuda_runtime.h>

#include <algorithm>
#include <memory>
#include <string>

namespace mcrev {

namespace {

using fastk::DeviceBuffer;
using fastk::kBlock;
using fastk::kChunk;
using fastk::kPerThread;
// Registers: the values, the two lists and the owners take 2·kV + 5·kT registers of their own; no
// stack and no spills at __launch_bounds__(128, 3) for (16, 8) (at most 168 registers: 3 blocks per
// SM) and (128, 2) for (32, 16) (at most 255; kernels/resource_bounds.txt).
template <int kV>
constexpr int kMinBlocks = kV <= 16 ? 3 : 2;

template <int kV, int kT>
__global__ void __launch_bounds__(kBlock, kMinBlocks<kV>)
    units_kernel(const fast::UnitsKernelPlan* __restrict__ plan, int m, std::uint64_t samples,
                 std::uint64_t chunk_first, std::uint64_t chunk_count, double* partials) {
  extern __shared__ double acc[];  // (3B + 1) rows × kBlock
  __shared__ double sn[kBlock], sa[kBlock], sb[kBlock];
  const fast::UnitsKernelPlan& kp = *plan;
  const int t = threadIdx.x, B = kp.plan.block();
  for (std::uint64_t i = blockIdx.x; i < chunk_count; i += gridDim.x) {
    const ThreadRange r = thread_range(chunk_first + i, t, kBlock, kPerThread, samples);
    fast::units_kernel_leaf<kV, kT>(kp, m, r.begin, r.end, acc + t, kBlock);
    const double n = static_cast<double>(r.end - r.begin);
    fast::units_leaf_finish(n, acc + t, kBlock, B);
    fastk::block_partial(acc, sn, sa, sb, B, n, t, partials + i * (1 + 2 * B + 1));
  }
}

using UnitsKernel = void (*)(const fast::UnitsKernelPlan*, int, std::uint64_t, std::uint64_t, std::uint64_t, double*);

UnitsKernel kernel_for(int bucket) {
  return bucket == 0 ? units_kernel<16, 8> : units_kernel<32, 16>;
}

// Full chunks through units_kernel, one launch per mechanism; each pass's chunk partials are placed
// into the full-shape partials (as FastChunks and CudaChunks do).
class UnitsChunks final : public ChunkSource {
 public:
  UnitsChunks(const fast::UnitsKernelPlan& host_plan, const ModelData& md, std::uint64_t samples,
              const std::vector<int>& devices)
      : plan_(host_plan), samples_(samples), full_(md.shape()), kernel_(kernel_for(fast::units_kernel_bucket(host_plan.plan))) {
    const int B = plan_.plan.block();
    shared_ = static_cast<size_t>(3 * B + 1) * kBlock * sizeof(double);
    std::uint64_t batch = 4096;
    for (int d : devices) {
      int sms = 0, per_sm = 0;
      MCREV_CUDA(cudaSetDevice(d));
      MCREV_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, d));
      // leaf sums above 48 KB (B > 15: two or more groups) need the opt-in
      MCREV_CUDA(cudaFuncSetAttribute(kernel_, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(shared_)));
      MCREV_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel_, kBlock, shared_));
      grid_.push_back(static_cast<std::uint64_t>(std::max(1, sms * std::max(1, per_sm))));
      batch = std::max(batch, grid_.back());
    }
    batch_ = batch;
    const size_t pass = 1 + 2 * static_cast<size_t>(B) + 1;
    for (int d : devices) {
      MCREV_CUDA(cudaSetDevice(d));
      dev_.push_back(d);
      buf_.push_back(std::make_unique<DeviceBuffer<double>>(batch_ * pass));
      // the plan with the device's copy of the arena (discrete tables)
      arena_.push_back(std::make_unique<DeviceBuffer<double>>(md.arena.size()));
      if (!md.arena.empty())
        MCREV_CUDA(cudaMemcpy(arena_.back()->ptr, md.arena.data(), md.arena.size() * sizeof(double), cudaMemcpyHostToDevice));
      fast::UnitsKernelPlan p = plan_;
      p.arena = arena_.back()->ptr;
      plans_.push_back(std::make_unique<DeviceBuffer<fast::UnitsKernelPlan>>(1));
      MCREV_CUDA(cudaMemcpy(plans_.back()->ptr, &p, sizeof p, cudaMemcpyHostToDevice));
      host_.emplace_back(batch_ * pass);
    }
  }
  ~UnitsChunks() override {
    for (size_t d = 0; d < dev_.size(); ++d) {
      cudaSetDevice(dev_[d]);
      buf_[d].reset();
      arena_[d].reset();
      plans_[d].reset();
    }
  }
  int devices() const override { return static_cast<int>(dev_.size()); }
  std::uint64_t chunk_profiles() const override { return kChunk; }
  std::uint64_t batch_chunks() const override { return batch_; }

  void compute(int d, std::uint64_t c0, std::uint64_t count, double* out) override {
    MCREV_CUDA(cudaSetDevice(dev_[d]));
    const int M = plan_.plan.n_mechanisms, B = plan_.plan.block();
    const size_t pass = 1 + 2 * static_cast<size_t>(B) + 1;
    for (int m = 0; m < M; ++m) {
      const std::uint64_t grid = std::min(grid_[static_cast<size_t>(d)], count);
      kernel_<<<static_cast<unsigned>(grid), kBlock, shared_>>>(plans_[d]->ptr, m, samples_, c0, count, buf_[d]->ptr);
      MCREV_CUDA(cudaGetLastError());
      std::vector<double>& h = host_[d];
      MCREV_CUDA(cudaMemcpy(h.data(), buf_[d]->ptr, count * pass * sizeof(double), cudaMemcpyDeviceToHost));
      fastk::place_pass(h.data(), count, B, m, full_, out);
    }
  }
  void merge_sketches(int, double*) override {}  // eligible models have no sketches

 private:
  fast::UnitsKernelPlan plan_;
  std::uint64_t samples_;
  PartialShape full_;
  UnitsKernel kernel_;
  size_t shared_ = 0;
  std::uint64_t batch_ = 4096;
  std::vector<std::uint64_t> grid_;  // per device
  std::vector<int> dev_;
  std::vector<std::unique_ptr<DeviceBuffer<double>>> buf_, arena_;
  std::vector<std::unique_ptr<DeviceBuffer<fast::UnitsKernelPlan>>> plans_;
  std::vector<std::vector<double>> host_;
};

}  // namespace

std::string units_shared_memory_shortfall(const ModelData& md, const std::vector<int>& devices) {
  const Model view = md.view();
  if (view.market.kind != MarketKind::Units) return {};
  const fast::UnitsPlan plan = fast::make_units_plan(view);
  fast::UnitsKernelPlan kp;
  if (!fast::make_units_kernel_plan(view, plan, nullptr, &kp)) return {};
  // the leaf sums must fit a block's shared memory on every device (sm_75: 64 KB; sm_80 and later:
  // 163–227 KB); otherwise the generic kernel
  const size_t shared = static_cast<size_t>(3 * kp.plan.block() + 1) * kBlock * sizeof(double) + 3 * kBlock * sizeof(double);
  std::vector<int> ds = devices;
  if (ds.empty()) {
    int d = 0;
    MCREV_CUDA(cudaGetDevice(&d));
    ds.push_back(d);
  }
  for (int d : ds) {
    int optin = 0;
    MCREV_CUDA(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, d));
    if (static_cast<size_t>(optin) < shared)
      return "the units kernel's leaf sums need " + std::to_string(shared) + " bytes of shared memory per block; device " +
             std::to_string(d) + " allows " + std::to_string(optin);
  }
  return {};
}

std::unique_ptr<ChunkSource> make_fast_units_chunks(const ModelData& md, std::uint64_t samples,
                                                    const std::vector<int>& devices) {
  const Model view = md.view();
  if (view.market.kind != MarketKind::Units || !cpu::fast_path_enabled()) return nullptr;
  const fast::UnitsPlan plan = fast::make_units_plan(view);
  fast::UnitsKernelPlan kp;
  if (!fast::make_units_kernel_plan(view, plan, nullptr, &kp)) return nullptr;
  if (!units_shared_memory_shortfall(md, devices).empty()) return nullptr;
  return std::make_unique<UnitsChunks>(kp, md, samples, devices);
}

}  // namespace mcrev
