#include "backends/chunk_driver.hpp"

#include "mcrev/core/error.hpp"
#include "mcrev/core/sketch.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <thread>

namespace mcrev {

RangeState run_chunked_range(const ModelData& md, std::uint64_t samples, std::uint64_t first, std::uint64_t end,
                             const RunOptions& options, const RangeState* resume, ChunkSource& src) {
  if (samples > kMaxSamples)
    throw ScenarioError("samples", "too large (the largest supported is " + std::to_string(kMaxSamples) + " = 1e17)");
  check_profile_range(first, end, samples, "profiles");
  const std::uint64_t C = src.chunk_profiles();
  int level = 0;
  while ((kLeafProfiles << level) < C) ++level;
  if (C % kLeafProfiles != 0 || (kLeafProfiles << level) != C) throw std::logic_error("run_chunked_range: bad chunk size");
  const int D = std::max(1, src.devices());
  const std::uint64_t batch = std::max<std::uint64_t>(1, src.batch_chunks());
  const PartialShape shape = md.shape();
  const size_t S = static_cast<size_t>(shape.size());
  const MechanismPairs pairs{md.view().metrics_per_mechanism()};
  const size_t n_sk = static_cast<size_t>(md.n_sketches) * sketch::kDoubles;

  RangeState state;
  state.first = state.end = first;
  TreeReducer total(shape, pairs, first / kLeafProfiles);
  std::vector<double> base(n_sk);  // sketches of the resumed state and of the CPU parts
  for (size_t k = 0; k < n_sk; k += sketch::kDoubles) sketch::init(base.data() + k);
  if (resume) {
    push_resumed(*resume, first, end, n_sk, total);
    base = resume->sketches;
    state.end = resume->end;
  }
  auto sketches_now = [&] {
    std::vector<double> s = base;
    for (int d = 0; d < D && n_sk; ++d) src.merge_sketches(d, s.data());
    return s;
  };
  const std::uint64_t start = state.end;
  // CPU parts: the profiles before the first and after the last full chunk of the range.
  RunOptions cpu = options;
  cpu.backend = Backend::Cpu;
  cpu.progress = nullptr;
  cpu.checkpoint = nullptr;
  auto on_cpu = [&](std::uint64_t a, std::uint64_t b) {
    if (a >= b) return;
    RangeState r = run_cpu_range(md, samples, a, b, cpu);
    for (TreeEntry& e : r.entries) total.push(std::move(e));
    for (size_t k = 0; k < n_sk; k += sketch::kDoubles) sketch::merge(base.data() + k, r.sketches.data() + k);
    state.end = b;
    if (options.progress) options.progress(state.end - first, end - first);
  };
  const std::uint64_t ca = (start + C - 1) / C, cb = end / C;
  if (ca >= cb) {
    on_cpu(start, end);
  } else {
    on_cpu(start, ca * C);
    using clock = std::chrono::steady_clock;
    auto last_checkpoint = clock::now();
    std::vector<std::vector<double>> out(D);
    for (std::uint64_t r0 = ca; r0 < cb; r0 += batch * D) {
      // One round: device d computes chunks [r0 + d·batch, + batch) ∩ [r0, cb), all devices at once.
      std::vector<std::uint64_t> c0(D), count(D);
      for (int d = 0; d < D; ++d) {
        c0[d] = std::min(cb, r0 + d * batch);
        count[d] = std::min(cb, c0[d] + batch) - c0[d];
        out[d].resize(count[d] * S);
      }
      std::vector<std::exception_ptr> errors(D);
      auto work = [&](int d) {
        try {
          if (count[d]) src.compute(d, c0[d], count[d], out[d].data());
        } catch (...) {
          errors[d] = std::current_exception();
        }
      };
      if (D == 1) {
        work(0);
      } else {
        std::vector<std::thread> pool;
        for (int d = 0; d < D; ++d) pool.emplace_back(work, d);
        for (std::thread& t : pool) t.join();
      }
      for (int d = 0; d < D; ++d)
        if (errors[d]) std::rethrow_exception(errors[d]);
      for (int d = 0; d < D; ++d)
        for (std::uint64_t i = 0; i < count[d]; ++i)
          total.push(TreeEntry{(c0[d] + i) * (C / kLeafProfiles), level,
                               std::vector<double>(out[d].begin() + i * S, out[d].begin() + (i + 1) * S)});
      state.end = std::min(cb, r0 + batch * D) * C;
      if (options.progress) options.progress(state.end - first, end - first);
      if (options.checkpoint && state.end < end &&
          std::chrono::duration<double>(clock::now() - last_checkpoint).count() >= options.checkpoint_every_s) {
        RangeState s;
        s.first = state.first;
        s.end = state.end;
        s.entries = total.entries();
        s.sketches = sketches_now();
        options.checkpoint(s);
        last_checkpoint = clock::now();
      }
    }
    on_cpu(cb * C, end);
  }
  state.sketches = sketches_now();
  state.entries = total.take();
  if (options.checkpoint) options.checkpoint(state);
  return state;
}

}  // namespace mcrev
