// CUDA backend: one fused kernel draws profiles, evaluates the mechanisms and accumulates moments in
// thread-local storage (one leaf of kLeafProfiles profiles per thread); each block reduces its chunk's
// leaves with the canonical tree (bitwise the CPU backend's) and writes one partial; the host merges
// chunk partials in chunk order with a TreeReducer (no float atomics).
#include "mcrev/engine.hpp"
#include "mcrev/core/error.hpp"
#include "mcrev/pipeline/kernel_body.hpp"

#include "cuda_check.cuh"
#include "device_buffer.cuh"
#include "mcrev/core/sketch.hpp"
#include "backends/chunk_driver.hpp"
#include "backends/fast_cuda.hpp"

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

namespace mcrev {

namespace {


constexpr int kBlock = 128;                  // fixed: part of the reduction order
constexpr std::uint64_t kPerThread = 256;    // profiles per thread per chunk
constexpr std::uint64_t kChunk = kBlock * kPerThread;

// Quantile sketches of the incentive statistics (mcrev/sketch.hpp): integer atomics only, so the
// counts, minima and maxima are exact and independent of thread scheduling.
struct DeviceSketchSink {
  const Model* md;
  int m_begin, m_end;
  unsigned long long* counts;    // n_sketches × sketch::kBuckets
  unsigned long long* min_keys;  // n_sketches, sketch::ordered_key
  unsigned long long* max_keys;
  MCREV_HD void operator()(const double* x) const {
#ifdef __CUDA_ARCH__
    for_each_sketch_value(*md, m_begin, m_end, x, [&](int k, double value) {
      atomicAdd(counts + static_cast<size_t>(k) * sketch::kBuckets + sketch::bucket(value), 1ull);
      if (value == value) {
        atomicMin(min_keys + k, sketch::ordered_key(value));
        atomicMax(max_keys + k, sketch::ordered_key(value));
      }
    });
#endif
  }
};

struct SketchBuffers {
  unsigned long long *counts = nullptr, *min_keys = nullptr, *max_keys = nullptr;
};

// The block's threads hold the leaves of one chunk in order (thread t: profiles [t·256, (t+1)·256) of
// it, one leaf of kLeafProfiles); they are merged with the canonical tree (tree_step_moment in
// mcrev/core/stats.hpp), one metric at a time in shared memory, so the chunk partial is bitwise the
// CPU backend's (docs/determinism.md). Chunk partials are then merged on the host by a TreeReducer.
__device__ void block_tree_moment(double* sn, double* sa, double* sb) {
  for (int s = 1; s < kBlock; s *= 2) {
    if (threadIdx.x % (2 * s) == 0) tree_step_moment(sn, sa, sb, threadIdx.x, s);
    __syncthreads();
  }
}
__device__ void block_tree_comoment(double* sn, double* sa, double* sb, double* sc) {
  for (int s = 1; s < kBlock; s *= 2) {
    if (threadIdx.x % (2 * s) == 0) tree_step_comoment(sn, sa, sb, sc, threadIdx.x, s);
    __syncthreads();
  }
}

// One kernel for every model: a thread's arrays (values, pipeline scratch, metric vector, leaf sums, its
// leaf partial; ThreadWorkspace in mcrev/pipeline/kernel_body.hpp) live in its slice of `workspace`,
// thread_doubles doubles for thread blockIdx.x·kBlock + threadIdx.x of the grid (the grid-stride loop
// reuses it for every chunk), sized by the model on the host: nothing per-thread is sized by a
// compile-time bound, so the stack frame holds only the callees' locals and spills
// (kernels/resource_bounds.txt). The model is a __grid_constant__ parameter: its address goes to the
// pipeline without a copy in local memory. At least 4 resident blocks per SM (<= 128 registers; the
// frame does not depend on the register count).
__global__ void __launch_bounds__(kBlock, 4)
    estimate_kernel(const __grid_constant__ Model md, std::uint64_t samples, std::uint64_t chunk_first,
                    std::uint64_t chunk_count, int m_begin, int m_end, double* partials, SketchBuffers sketches,
                    double* workspace, int thread_doubles) {
  static_assert(kPerThread == kLeafProfiles, "a thread's profiles are one leaf of the CPU backend's tree");
  __shared__ double sn[kBlock], sa[kBlock], sb[kBlock], sc[kBlock];
  const PartialShape sh = pass_shape(md, m_begin, m_end);
  const MechanismPairs pairs{md.metrics_per_mechanism()};
  const int t = threadIdx.x;
  const ThreadWorkspace w = thread_workspace(
      md, sh, workspace + (static_cast<size_t>(blockIdx.x) * kBlock + t) * static_cast<size_t>(thread_doubles));
  const double* part = w.part;
  for (std::uint64_t i = blockIdx.x; i < chunk_count; i += gridDim.x) {
    const std::uint64_t chunk = chunk_first + i;
    thread_partial(md, thread_range(chunk, t, kBlock, kPerThread, samples), m_begin, m_end, w.v, w.b, w.x, w.sums,
                   w.part, DeviceSketchSink{&md, m_begin, m_end, sketches.counts, sketches.min_keys, sketches.max_keys});
    double* out = partials + i * sh.size();
    const double n = part[0];
    for (int k = 0; k < sh.metrics; ++k) {
      sn[t] = n;
      sa[t] = part[1 + k];
      sb[t] = part[1 + sh.metrics + k];
      __syncthreads();
      block_tree_moment(sn, sa, sb);
      if (t == 0) {
        out[0] = sn[0];
        out[1 + k] = sa[0];
        out[1 + sh.metrics + k] = sb[0];
      }
      __syncthreads();
    }
    for (int p = 0; p < sh.pairs; ++p) {
      int pi, pj;
      pairs(p, &pi, &pj);
      sn[t] = n;
      sa[t] = part[1 + pi];
      sb[t] = part[1 + pj];
      sc[t] = part[1 + 2 * sh.metrics + p];
      __syncthreads();
      block_tree_comoment(sn, sa, sb, sc);
      if (t == 0) out[1 + 2 * sh.metrics + p] = sc[0];
      __syncthreads();
    }
  }
}


// Model copies and sketch buffers on one device; freed on that device.
struct DeviceModel {
  int device;
  Model dev;
  DeviceBuffer<Group> groups;
  DeviceBuffer<Mechanism> mechanisms;
  DeviceBuffer<Strategy> strategies;
  DeviceBuffer<double> arena;
  DeviceBuffer<IncentiveSpec> incentives;
  size_t n_sk;
  DeviceBuffer<unsigned long long> sk_counts, sk_min, sk_max;
  DeviceBuffer<double> partials;
  std::vector<double> host;
  double* workspace = nullptr;  // the estimation kernel's thread slices (CudaChunks::allocate_workspace)

  static int set(int d) {
    MCREV_CUDA(cudaSetDevice(d));
    return d;
  }
  DeviceModel(int d, const ModelData& md, size_t partial_doubles)
      : device(set(d)), dev(md.view()), groups(md.groups), mechanisms(md.mechanisms), strategies(md.strategies),
        arena(md.arena), incentives(md.incentives), n_sk(static_cast<size_t>(md.n_sketches)),
        sk_counts(n_sk * sketch::kBuckets),
        sk_min(std::vector<unsigned long long>(n_sk, sketch::ordered_key(HUGE_VAL))),
        sk_max(std::vector<unsigned long long>(n_sk, sketch::ordered_key(-HUGE_VAL))), partials(partial_doubles),
        host(partial_doubles) {
    dev.groups = groups.ptr;
    dev.mechanisms = mechanisms.ptr;
    dev.strategies = strategies.ptr;
    dev.arena = arena.ptr;
    dev.incentives = md.incentives.empty() ? nullptr : incentives.ptr;
    if (n_sk) MCREV_CUDA(cudaMemset(sk_counts.ptr, 0, n_sk * sketch::kBuckets * sizeof(unsigned long long)));
  }
  ~DeviceModel() {
    cudaSetDevice(device);  // the members are freed next, on this device
    cudaFree(workspace);
  }
  DeviceModel(const DeviceModel&) = delete;
  DeviceModel& operator=(const DeviceModel&) = delete;
};

// Most metrics of one pass (whole mechanisms; one mechanism when its block is larger): bounds a
// thread's workspace slice (at most about 15 KB for n <= 32) whatever the number of mechanisms.
constexpr int kMaxPassMetrics = 256;

// Device memory kept free beside the workspace: the kernel's local memory (its stack frame for every
// thread the device can hold) and this margin for the runtime.
constexpr size_t kFreeMarginBytes = size_t{256} << 20;

// Full chunks of kChunk profiles on one or more devices (host/backends/chunk_driver.hpp). A pass
// holds whole mechanisms (at most kMaxPassMetrics metrics); each pass's chunk partials are placed
// into the full-shape partials, which is bitwise what merging the passes separately gives (every
// metric and pair merges on its own). Each device holds a workspace of grid × kBlock thread slices
// (thread_workspace_doubles of the largest pass each); a grid that does not fit in the device's free
// memory is shrunk (the grid size does not change the bits), and one that cannot hold a single block
// is exit 3 (BackendError naming the workspace).
class CudaChunks final : public ChunkSource {
 public:
  CudaChunks(const ModelData& md, std::uint64_t samples, const std::vector<int>& devices)
      : md_(md), samples_(samples), full_(md.shape()) {
    const Model view = md.view();
    B_ = view.metrics_per_mechanism();
    M_ = view.n_mechanisms;
    per_pass_ = std::max(1, kMaxPassMetrics / B_);
    const PartialShape largest = pass_shape(view, 0, std::min(M_, per_pass_));
    thread_doubles_ = thread_workspace_doubles(view, largest);
    std::uint64_t batch = 4096;
    for (int d : devices) {
      int sms = 0, per_sm = 0;
      MCREV_CUDA(cudaSetDevice(d));
      MCREV_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, d));
      MCREV_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, estimate_kernel, kBlock, 0));
      grid_.push_back(static_cast<std::uint64_t>(std::max(1, sms * std::max(1, per_sm))));
      batch = std::max(batch, grid_.back());
    }
    batch_ = batch;
    const size_t pass_doubles = static_cast<size_t>(largest.size());
    for (size_t k = 0; k < devices.size(); ++k) {
      dev_.push_back(std::make_unique<DeviceModel>(devices[k], md, batch_ * pass_doubles));
      grid_[k] = allocate_workspace(*dev_.back(), grid_[k]);
    }
  }
  int devices() const override { return static_cast<int>(dev_.size()); }
  std::uint64_t chunk_profiles() const override { return kChunk; }
  std::uint64_t batch_chunks() const override { return batch_; }

  void compute(int d, std::uint64_t c0, std::uint64_t count, double* out) override {
    DeviceModel& g = *dev_[d];
    MCREV_CUDA(cudaSetDevice(g.device));
    const SketchBuffers sketches{g.sk_counts.ptr, g.sk_min.ptr, g.sk_max.ptr};
    const size_t F = static_cast<size_t>(full_.size());
    for (int m0 = 0; m0 < M_; m0 += per_pass_) {
      const int m1 = std::min(M_, m0 + per_pass_);
      const PartialShape sh = pass_shape(g.dev, m0, m1);
      const size_t P = static_cast<size_t>(sh.size());
      estimate_kernel<<<static_cast<unsigned>(std::min(grid_[d], count)), kBlock>>>(
          g.dev, samples_, c0, count, m0, m1, g.partials.ptr, sketches, g.workspace, thread_doubles_);
      MCREV_CUDA(cudaGetLastError());
      MCREV_CUDA(cudaMemcpy(g.host.data(), g.partials.ptr, count * P * sizeof(double), cudaMemcpyDeviceToHost));
      const int k0 = m0 * B_;
      for (std::uint64_t i = 0; i < count; ++i) {
        const double* p = g.host.data() + i * P;
        double* f = out + i * F;
        f[0] = p[0];
        for (int k = 0; k < sh.metrics; ++k) {
          f[1 + k0 + k] = p[1 + k];
          f[1 + full_.metrics + k0 + k] = p[1 + sh.metrics + k];
        }
        for (int q = 0; q < sh.pairs; ++q) f[1 + 2 * full_.metrics + m0 + q] = p[1 + 2 * sh.metrics + q];
      }
    }
  }

  void merge_sketches(int d, double* acc) override {
    DeviceModel& g = *dev_[d];
    if (!g.n_sk) return;
    MCREV_CUDA(cudaSetDevice(g.device));
    std::vector<unsigned long long> counts(g.n_sk * sketch::kBuckets), mins(g.n_sk), maxs(g.n_sk);
    MCREV_CUDA(cudaMemcpy(counts.data(), g.sk_counts.ptr, counts.size() * sizeof(unsigned long long), cudaMemcpyDeviceToHost));
    MCREV_CUDA(cudaMemcpy(mins.data(), g.sk_min.ptr, g.n_sk * sizeof(unsigned long long), cudaMemcpyDeviceToHost));
    MCREV_CUDA(cudaMemcpy(maxs.data(), g.sk_max.ptr, g.n_sk * sizeof(unsigned long long), cudaMemcpyDeviceToHost));
    std::vector<double> s(sketch::kDoubles);
    for (size_t k = 0; k < g.n_sk; ++k) {
      s[0] = sketch::from_ordered_key(mins[k]);
      s[1] = sketch::from_ordered_key(maxs[k]);
      for (int j = 0; j < sketch::kBuckets; ++j) s[2 + j] = static_cast<double>(counts[k * sketch::kBuckets + j]);
      sketch::merge(acc + k * sketch::kDoubles, s.data());
    }
  }

 private:
  // Allocates g's workspace for up to `grid` blocks (fewer when the device's free memory is short:
  // what fits beside the kernel's local memory and kFreeMarginBytes, halved while cudaMalloc still
  // fails); returns the grid it holds. No block fits: BackendError (exit 3) naming the workspace.
  std::uint64_t allocate_workspace(DeviceModel& g, std::uint64_t grid) const {
    const size_t block_bytes = static_cast<size_t>(kBlock) * static_cast<size_t>(thread_doubles_) * sizeof(double);
    MCREV_CUDA(cudaSetDevice(g.device));
    size_t free = 0, total = 0;
    MCREV_CUDA(cudaMemGetInfo(&free, &total));
    cudaFuncAttributes attr{};
    int sms = 0, threads_per_sm = 0;
    MCREV_CUDA(cudaFuncGetAttributes(&attr, estimate_kernel));
    MCREV_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, g.device));
    MCREV_CUDA(cudaDeviceGetAttribute(&threads_per_sm, cudaDevAttrMaxThreadsPerMultiProcessor, g.device));
    const size_t local = attr.localSizeBytes * static_cast<size_t>(sms) * static_cast<size_t>(threads_per_sm);
    const size_t reserve = local + kFreeMarginBytes;
    const std::uint64_t fits = free > reserve ? (free - reserve) / block_bytes : 0;
    grid = std::min(grid, fits);
    const auto mib = [](double bytes) { return std::to_string(static_cast<long long>(std::ceil(bytes / 1048576.0))); };
    cudaError_t e = cudaErrorMemoryAllocation;
    while (grid > 0 && (e = cudaMalloc(&g.workspace, grid * block_bytes)) == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      grid /= 2;  // what cudaMemGetInfo reported free was not available in one piece
    }
    if (e != cudaSuccess && e != cudaErrorMemoryAllocation) detail::cuda_fail(e, "cudaMalloc(workspace)", __FILE__, __LINE__);
    if (e != cudaSuccess) {
      throw BackendError("CUDA out of device memory for the estimation kernel's workspace on device " +
                         std::to_string(g.device) + ": one block of " + std::to_string(kBlock) + " threads needs " +
                         mib(static_cast<double>(block_bytes)) + " MiB (" + std::to_string(thread_doubles_) +
                         " doubles per thread: the values, the pipeline scratch and " +
                         std::to_string(std::min(M_, per_pass_) * B_) + " metrics' sums), " + mib(static_cast<double>(free)) +
                         " MiB are free and " + mib(static_cast<double>(reserve)) +
                         " MiB are kept for the kernel's stack and the runtime; reduce the number of mechanisms, "
                         "bidders or incentive metrics, or use --backend cpu");
    }
    return grid;
  }

  const ModelData& md_;
  std::uint64_t samples_;
  PartialShape full_;
  int B_ = 0, M_ = 0, per_pass_ = 1, thread_doubles_ = 0;
  std::uint64_t batch_ = 4096;
  std::vector<std::uint64_t> grid_;
  std::vector<std::unique_ptr<DeviceModel>> dev_;
};

// The random-number roofline: the Philox words n_uniforms values per profile take (Stream lane
// kValueLane, as draw_values), summed per thread, nothing else (bench/cuda_bench.cpp).
__global__ void __launch_bounds__(kBlock) philox_kernel(std::uint64_t seed, std::uint64_t samples, int n_uniforms,
                                                        double* out) {
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  double acc = 0.0;
  for (std::uint64_t p = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x; p < samples; p += stride) {
    Stream s(seed, p, kValueLane);
    for (int k = 0; k < n_uniforms; ++k) acc += s.uniform();
  }
  out[blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x] = acc;
}

}  // namespace

double philox_roofline_cuda(std::uint64_t samples, int n_uniforms, double* seconds) {
  int device = 0, sms = 0, per_sm = 0;
  MCREV_CUDA(cudaGetDevice(&device));
  MCREV_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  MCREV_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, philox_kernel, kBlock, 0));
  const unsigned grid = static_cast<unsigned>(std::max(1, sms * std::max(1, per_sm)));
  DeviceBuffer<double> out(static_cast<size_t>(grid) * kBlock);
  cudaEvent_t a, b;
  MCREV_CUDA(cudaEventCreate(&a));
  MCREV_CUDA(cudaEventCreate(&b));
  MCREV_CUDA(cudaEventRecord(a));
  philox_kernel<<<grid, kBlock>>>(1, samples, n_uniforms, out.ptr);
  MCREV_CUDA(cudaGetLastError());
  MCREV_CUDA(cudaEventRecord(b));
  MCREV_CUDA(cudaEventSynchronize(b));
  float ms = 0;
  MCREV_CUDA(cudaEventElapsedTime(&ms, a, b));
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  std::vector<double> host(static_cast<size_t>(grid) * kBlock);
  MCREV_CUDA(cudaMemcpy(host.data(), out.ptr, host.size() * sizeof(double), cudaMemcpyDeviceToHost));
  if (seconds) *seconds = ms / 1e3;
  double sum = 0;
  for (double x : host) sum += x;
  return sum;
}

bool cuda_available(std::string* device_name, std::string* why_not) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    if (why_not)
      *why_not = (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver || count == 0)
                     ? "no CUDA device or driver found"
                     : std::string("CUDA: ") + cudaGetErrorString(e);
    cudaGetLastError();
    return false;
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) {
    if (why_not) *why_not = "cannot query device 0";
    return false;
  }
  if (device_name) *device_name = prop.name;
  // The build holds SASS for its CMAKE_CUDA_ARCHITECTURES and PTX for the lowest virtual one (JIT-compiled
  // by the driver on newer devices); a device older than the PTX has no image: `auto` then uses the CPU.
  cudaFuncAttributes attr{};
  const cudaError_t img = cudaFuncGetAttributes(&attr, estimate_kernel);
  if (img != cudaSuccess) {
    cudaGetLastError();
    if (why_not)
      *why_not = std::string("no kernel image in this build runs on ") + prop.name + " (sm_" +
                 std::to_string(prop.major) + std::to_string(prop.minor) + ": " + cudaGetErrorString(img) +
                 "); rebuild with -DCMAKE_CUDA_ARCHITECTURES=" + std::to_string(prop.major) +
                 std::to_string(prop.minor);
    return false;
  }
  return true;
}

std::vector<std::string> cuda_device_names() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return {};
  }
  std::vector<std::string> names;
  for (int d = 0; d < count; ++d) {
    cudaDeviceProp prop{};
    names.push_back(cudaGetDeviceProperties(&prop, d) == cudaSuccess ? prop.name : "device " + std::to_string(d));
  }
  return names;
}

RangeState run_cuda_range(const ModelData& md, std::uint64_t samples, std::uint64_t first, std::uint64_t end,
                          const RunOptions& options, const RangeState* resume) {
  std::vector<int> devices = options.devices;
  if (devices.empty()) {
    int d = 0;
    MCREV_CUDA(cudaGetDevice(&d));
    devices.push_back(d);
  }
  int count = 0;
  MCREV_CUDA(cudaGetDeviceCount(&count));
  for (int d : devices)
    MCREV_EXPECTS(d >= 0 && d < count, "--devices",
                  "device " + std::to_string(d) + " does not exist (this machine has " + std::to_string(count) +
                      " CUDA device" + (count == 1 ? "" : "s") + ", numbered from 0)");
  std::unique_ptr<ChunkSource> src = options.fast_path ? make_fast_chunks(md, samples, devices) : nullptr;  // kernels/fast_paths.cu, or null
  if (!src) src = std::make_unique<CudaChunks>(md, samples, devices);
  return run_chunked_range(md, samples, first, end, options, resume, *src);
}

std::vector<double> run_cuda(const ModelData& md, std::uint64_t samples, const RunOptions& options) {
  if (samples > kMaxSamples)
    throw ScenarioError("samples", "too large (the largest supported is " + std::to_string(kMaxSamples) + " = 1e17)");
  return finish_state(md, run_cuda_range(md, samples, 0, samples, options));
}

}  // namespace mcrev
