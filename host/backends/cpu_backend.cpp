// CPU backend: worker threads take fixed chunks of profiles; each chunk reduces its leaves with the
// canonical tree, and the driving thread absorbs chunk results strictly in chunk order, so the
// merged partial is bitwise the same for any thread count and any (aligned) chunk size.
#include "mcrev/engine.hpp"
#include "mcrev/core/error.hpp"
#include "mcrev/core/sketch.hpp"

#include "backends/cpu_batch.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

namespace mcrev {

namespace {

using Entries = std::vector<std::pair<int, std::vector<double>>>;

// Profiles of a leaf are evaluated in batches: values drawn for the whole batch (cpu_batch.hpp), the
// shared per-profile model run on each profile, its metrics written to row j of a [profile][metric]
// buffer, and the buffer added to the leaf's sums eight metrics at a time.
struct ChunkWorker {
  const Model model;
  const PartialShape shape;
  const MechanismPairs pairs;
  const cpu::Isa isa;
  const int row;    // doubles per profile in xs
  const int batch;  // profiles per batch
  std::vector<double> u, v, b, xs, leaf;
  cpu::LeafAccumulator acc;
  std::vector<double> sketches;  // quantile sketches: integer counts, min, max (exact, order-free merge)

  static int batch_size(const Model& m, int row) {
    // keep the batch's values and metrics within ~32 KiB (L1)
    const int per_profile = 8 * (row + m.n_values);
    int bsz = cpu::kMaxBatch;
    while (bsz > 1 && bsz * per_profile > (32 << 10)) bsz /= 2;
    return bsz;
  }

  ChunkWorker(const Model& m, PartialShape s)
      : model(m), shape(s), pairs{m.metrics_per_mechanism()}, isa(cpu::best_isa()),
        row(cpu::padded_metrics(s.metrics)), batch(batch_size(m, row)),
        u(static_cast<size_t>(m.n_values) * cpu::kMaxBatch), v(static_cast<size_t>(m.n_values) * batch),
        b(m.scratch_doubles()), xs(static_cast<size_t>(row) * batch, 0.0), leaf(s.size()), acc(s, pairs, isa),
        sketches(static_cast<size_t>(m.n_sketches) * sketch::kDoubles) {
    for (int k = 0; k < m.n_sketches; ++k) sketch::init(sketches.data() + static_cast<size_t>(k) * sketch::kDoubles);
  }

  Entries run(std::uint64_t begin, std::uint64_t end) {
    TreeReducer local(shape, pairs);
    for (std::uint64_t leaf_begin = begin; leaf_begin < end; leaf_begin += kLeafProfiles) {
      const std::uint64_t leaf_end = std::min(end, leaf_begin + kLeafProfiles);
      acc.reset();
      for (std::uint64_t first = leaf_begin; first < leaf_end; first += static_cast<std::uint64_t>(batch)) {
        const int count = static_cast<int>(std::min<std::uint64_t>(batch, leaf_end - first));
        cpu::draw_values_batch(model, isa, first, count, u.data(), v.data());
        cpu::evaluate_batch(model, first, count, v.data(), b.data(), xs.data(), row);
        acc.add(xs.data(), row, count);
        for (int j = 0; j < count && model.n_sketches > 0; ++j)
          for_each_sketch_value(model, 0, model.n_mechanisms, xs.data() + static_cast<size_t>(j) * row, [&](int k, double value) {
            sketch::add(sketches.data() + static_cast<size_t>(k) * sketch::kDoubles, value);
          });
      }
      acc.finish(leaf.data());
      local.push(0, leaf);
    }
    return local.take();
  }
};

}  // namespace

std::vector<double> run_cpu(const ModelData& md, std::uint64_t samples, const RunOptions& options) {
  const std::uint64_t chunk = options.chunk_profiles;
  const std::uint64_t leaves_per_chunk = chunk / kLeafProfiles;
  if (chunk == 0 || chunk % kLeafProfiles != 0 || (leaves_per_chunk & (leaves_per_chunk - 1)) != 0 ||
      chunk > kMaxChunkProfiles)
    throw ScenarioError("chunk_profiles", "must be " + std::to_string(kLeafProfiles) +
                                              " profiles times a power of two, at most 2^40");
  if (samples > kMaxSamples)  // keeps (samples + chunk − 1) and (c + 1) · chunk far from wrapping
    throw ScenarioError("samples", "too large (the largest supported is " + std::to_string(kMaxSamples) + " = 1e17)");
  const Model model = md.view();
  const PartialShape shape = md.shape();
  const MechanismPairs pairs{model.metrics_per_mechanism()};
  const std::uint64_t n_chunks = (samples + chunk - 1) / chunk;
  const unsigned hc = std::thread::hardware_concurrency();
  std::uint64_t threads = options.threads > 0 ? static_cast<std::uint64_t>(options.threads) : (hc ? hc : 1);
  threads = std::max<std::uint64_t>(1, std::min(threads, n_chunks));
  const std::uint64_t window = 4 * threads;  // chunks computed ahead of the in-order absorption

  std::vector<std::optional<Entries>> slots(window);
  std::mutex mu;
  std::condition_variable cv;
  std::uint64_t absorbed = 0;
  std::atomic<std::uint64_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::vector<double> sketches(static_cast<size_t>(model.n_sketches) * sketch::kDoubles);
  for (int k = 0; k < model.n_sketches; ++k) sketch::init(sketches.data() + static_cast<size_t>(k) * sketch::kDoubles);

  auto work = [&] {
    try {
      ChunkWorker w(model, shape);
      struct MergeSketches {  // on every exit of the worker: sketch merges are exact, in any order
        ChunkWorker& w;
        std::vector<double>& into;
        std::mutex& mu;
        ~MergeSketches() {
          std::lock_guard<std::mutex> lk(mu);
          for (size_t k = 0; k < into.size(); k += sketch::kDoubles) sketch::merge(into.data() + k, w.sketches.data() + k);
        }
      } merge_sketches{w, sketches, mu};
      for (;;) {
        const std::uint64_t c = next.fetch_add(1);
        if (c >= n_chunks || failed) break;
        {
          std::unique_lock<std::mutex> lk(mu);
          cv.wait(lk, [&] { return c < absorbed + window || failed; });
          if (failed) break;
        }
        Entries e = w.run(c * chunk, std::min(samples, (c + 1) * chunk));
        std::lock_guard<std::mutex> lk(mu);
        slots[c % window] = std::move(e);
        cv.notify_all();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lk(mu);
      if (!error) error = std::current_exception();
      failed = true;
      cv.notify_all();
    }
  };

  std::vector<std::thread> pool;
  for (std::uint64_t t = 0; t < threads; ++t) pool.emplace_back(work);
  TreeReducer total(shape, pairs);
  for (std::uint64_t c = 0; c < n_chunks; ++c) {
    Entries e;
    {
      std::unique_lock<std::mutex> lk(mu);
      cv.wait(lk, [&] { return slots[c % window].has_value() || failed; });
      if (failed) break;
      e = std::move(*slots[c % window]);
      slots[c % window].reset();
      absorbed = c + 1;
      cv.notify_all();
    }
    for (auto& [level, partial] : e) total.push(level, std::move(partial));
    if (options.progress) options.progress(std::min(samples, (c + 1) * chunk), samples);
  }
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  std::vector<double> out = total.finish();
  out.insert(out.end(), sketches.begin(), sketches.end());
  return out;
}

}  // namespace mcrev
