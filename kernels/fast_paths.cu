// CUDA fast path for the standard single-item auctions (docs/gpu.md, "Fast path"): fast_kernel<N, R>
// (N bidders, the pass's rule R) runs mcrev/pipeline/fast_kernel_body.hpp's per-thread body, which
// streams a profile's N values through the mechanism (no per-profile arrays: the running top, the
// candidates and the running sums in registers; bitwise the generic pipeline's arithmetic). A thread
// accumulates one leaf of kLeafProfiles profiles in shared memory ([row][thread], no local memory),
// and the block merges its 128 leaves with the canonical tree (tree_step_moment / comoment), so a
// chunk partial is bitwise estimate_kernel's and the CPU backend's. One mechanism per pass (the
// leaf sums of one block: 31 rows × 128 threads × 8 B in shared memory).
#include "mcrev/pipeline/fast_kernel_body.hpp"
#include "mcrev/pipeline/kernel_body.hpp"

#include "backends/cpu_fast.hpp"
#include "backends/fast_cuda.hpp"
#include "cuda_check.cuh"
#include "fast_chunks.cuh"

#include <cuda_runtime.h>

#include <algorithm>
#include <memory>

namespace mcrev {

namespace {

using fastk::DeviceBuffer;
using fastk::kBlock;
using fastk::kChunk;
using fastk::kPerThread;
constexpr int K = fast::kKernelMetrics;
constexpr int kRows = 3 * K + 1;
// Register allocation sized for 8 resident blocks per SM: at most 64 registers per thread, and ptxas
// needs no stack and no spills at that bound for every N and rule (issue 12's target;
// kernels/resource_bounds.txt lists the measured figures). Shared memory is then the limit on
// sm_90: the block's 34,816 B of leaf sums let 6 blocks reside per SM (228 KB), 24 warps.
constexpr int kMinBlocks = 8;

template <int N, fast::Rule R>
__global__ void __launch_bounds__(kBlock, kMinBlocks) fast_kernel(fast::FastPass pass, std::uint64_t samples,
                                                      std::uint64_t chunk_first, std::uint64_t chunk_count,
                                                      double* partials) {
  __shared__ double acc[kRows * kBlock];
  __shared__ double sn[kBlock], sa[kBlock], sb[kBlock];
  const int t = threadIdx.x;
  for (std::uint64_t i = blockIdx.x; i < chunk_count; i += gridDim.x) {
    const ThreadRange r = thread_range(chunk_first + i, t, kBlock, kPerThread, samples);
    // The leaf's profile count waits in shared memory while the leaf runs (a register fewer there).
    sn[t] = static_cast<double>(r.end - r.begin);
    fast::kernel_leaf<N, R>(pass, r.begin, r.end, acc + t, kBlock);
    const double n = *static_cast<volatile double*>(sn + t);
    fast::kernel_leaf_finish(n, acc + t, kBlock);
    fastk::block_partial(acc, sn, sa, sb, K, n, t, partials + i * (1 + 2 * K + 1));
  }
}

using FastKernel = void (*)(fast::FastPass, std::uint64_t, std::uint64_t, std::uint64_t, double*);

// fast_kernel<N, R> for the rule of a mechanism (R = fast::kernel_form(rule): one instantiation per
// bidder count for second_price and first_price, one for all_pay, one for posted_price).
template <int N>
FastKernel kernel_for(fast::Rule r) {
  switch (fast::kernel_form(r)) {
    case fast::Rule::SecondPrice: return fast_kernel<N, fast::Rule::SecondPrice>;
    case fast::Rule::AllPay: return fast_kernel<N, fast::Rule::AllPay>;
    default: return fast_kernel<N, fast::Rule::PostedPrice>;
  }
}

// Full chunks through fast_kernel<N, R>, one launch per mechanism; each pass's chunk partials are
// placed into the full-shape partials (as CudaChunks does for the generic kernel's passes).
template <int N>
class FastChunks final : public ChunkSource {
 public:
  FastChunks(const fast::FastPlan& plan, const ModelData& md, std::uint64_t samples, const std::vector<int>& devices)
      : plan_(plan), samples_(samples), full_(md.shape()) {
    std::uint64_t batch = 4096;
    const int M = plan_.n_mechanisms;
    for (int d : devices) {
      int sms = 0;
      MCREV_CUDA(cudaSetDevice(d));
      MCREV_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, d));
      for (int m = 0; m < M; ++m) {  // grid of mechanism m's kernel on device d
        int per_sm = 0;
        const FastKernel kernel = kernel_for<N>(plan_.mech[m].rule);
        MCREV_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kBlock, 0));
        grid_.push_back(static_cast<std::uint64_t>(std::max(1, sms * std::max(1, per_sm))));
        batch = std::max(batch, grid_.back());
      }
    }
    batch_ = batch;
    for (int d : devices) {
      MCREV_CUDA(cudaSetDevice(d));
      dev_.push_back(d);
      buf_.push_back(std::make_unique<DeviceBuffer<double>>(batch_ * kPass));
      host_.emplace_back(batch_ * kPass);
    }
  }
  ~FastChunks() override {
    for (size_t d = 0; d < dev_.size(); ++d) {
      cudaSetDevice(dev_[d]);
      buf_[d].reset();
    }
  }
  int devices() const override { return static_cast<int>(dev_.size()); }
  std::uint64_t chunk_profiles() const override { return kChunk; }
  std::uint64_t batch_chunks() const override { return batch_; }

  void compute(int d, std::uint64_t c0, std::uint64_t count, double* out) override {
    MCREV_CUDA(cudaSetDevice(dev_[d]));
    const int M = plan_.n_mechanisms;
    for (int m = 0; m < M; ++m) {
      const std::uint64_t grid = std::min(grid_[static_cast<size_t>(d) * M + m], count);
      const FastKernel kernel = kernel_for<N>(plan_.mech[m].rule);
      kernel<<<static_cast<unsigned>(grid), kBlock>>>(fast::make_fast_pass(plan_, m), samples_, c0, count, buf_[d]->ptr);
      MCREV_CUDA(cudaGetLastError());
      std::vector<double>& h = host_[d];
      MCREV_CUDA(cudaMemcpy(h.data(), buf_[d]->ptr, count * kPass * sizeof(double), cudaMemcpyDeviceToHost));
      fastk::place_pass(h.data(), count, K, m, full_, out);
    }
  }
  void merge_sketches(int, double*) override {}  // eligible models have no sketches

 private:
  static constexpr size_t kPass = 1 + 2 * K + 1;  // pass_shape of one mechanism
  fast::FastPlan plan_;
  std::uint64_t samples_;
  PartialShape full_;
  std::uint64_t batch_ = 4096;
  std::vector<std::uint64_t> grid_;  // [device][mechanism]
  std::vector<int> dev_;
  std::vector<std::unique_ptr<DeviceBuffer<double>>> buf_;
  std::vector<std::vector<double>> host_;
};

}  // namespace

std::unique_ptr<ChunkSource> make_fast_chunks(const ModelData& md, std::uint64_t samples, const std::vector<int>& devices) {
  if (md.market.kind == MarketKind::Units) return make_fast_units_chunks(md, samples, devices);  // fast_units.cu
  const fast::FastPlan plan = fast::make_fast_plan(md.view());
  if (!plan.device_eligible || !cpu::fast_path_enabled()) return nullptr;
  switch (plan.n) {
    case 2: return std::make_unique<FastChunks<2>>(plan, md, samples, devices);
    case 3: return std::make_unique<FastChunks<3>>(plan, md, samples, devices);
    case 4: return std::make_unique<FastChunks<4>>(plan, md, samples, devices);
    case 5: return std::make_unique<FastChunks<5>>(plan, md, samples, devices);
    case 6: return std::make_unique<FastChunks<6>>(plan, md, samples, devices);
    case 7: return std::make_unique<FastChunks<7>>(plan, md, samples, devices);
    case 8: return std::make_unique<FastChunks<8>>(plan, md, samples, devices);
    default: return nullptr;
  }
}

}  // namespace mcrev
