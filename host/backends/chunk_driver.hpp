// mcrev: ranges of a run on chunk-computing devices (the CUDA backend; in tests, a CPU emulation of
// its kernel). Full device chunks of the global grid c · chunk_profiles() go to the devices, several
// at once, in rounds; a partial chunk at either end of the range is computed by the CPU backend (the
// same bits, docs/determinism.md). Chunk partials are pushed in chunk order into one TreeReducer, so
// the state is bitwise the one run_cpu_range reaches, for any number of devices, round size, resume
// point or range split (docs/gpu.md, "Ranges, checkpoints, several GPUs").
#pragma once

#include "mcrev/engine.hpp"

#include <cstdint>

namespace mcrev {

class ChunkSource {
 public:
  virtual ~ChunkSource() = default;
  /// Devices to spread the chunks over (≥ 1); compute() runs concurrently for different devices.
  virtual int devices() const = 0;
  /// Profiles per chunk: kLeafProfiles times a power of two.
  virtual std::uint64_t chunk_profiles() const = 0;
  /// Chunks per compute() call (≥ 1).
  virtual std::uint64_t batch_chunks() const = 0;
  /// The full-shape partials (ModelData::shape()) of the full chunks [c0, c0 + count) on device d,
  /// in chunk order, into out (count × shape.size() doubles); each chunk's sketch values are kept on
  /// the device until merge_sketches.
  virtual void compute(int d, std::uint64_t c0, std::uint64_t count, double* out) = 0;
  /// acc ← acc ∪ (device d's sketches of every chunk computed so far); acc holds n_sketches ×
  /// sketch::kDoubles doubles.
  virtual void merge_sketches(int d, double* acc) = 0;
};

/// run_cpu_range's contract (same arguments, same state, same checkpoints at chunk-round
/// boundaries), with the full chunks computed by src. options.threads and options.chunk_profiles
/// serve the CPU parts.
RangeState run_chunked_range(const ModelData& md, std::uint64_t samples, std::uint64_t first, std::uint64_t end,
                             const RunOptions& options, const RangeState* resume, ChunkSource& src);

}  // namespace mcrev
