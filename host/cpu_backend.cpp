// CPU backend: worker threads take fixed chunks of profiles; each chunk reduces its leaves with the
// canonical tree, and the driving thread absorbs chunk results strictly in chunk order, so the
// merged partial is bitwise the same for any thread count and any (aligned) chunk size.
#include "mcrev/engine.hpp"
#include "mcrev/error.hpp"
#include "mcrev/sketch.hpp"

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

struct ChunkWorker {
  const Model model;
  const PartialShape shape;
  const MechanismPairs pairs;
  std::vector<double> v, b, x, sums, leaf;
  std::vector<double> sketches;  // quantile sketches: integer counts, min, max (exact, order-free merge)

  ChunkWorker(const Model& m, PartialShape s)
      : model(m), shape(s), pairs{m.metrics_per_mechanism()}, v(m.n_bidders), b(m.n_bidders),
        x(s.metrics), sums(3 * s.metrics + s.pairs), leaf(s.size()),
        sketches(static_cast<size_t>(m.n_sketches) * sketch::kDoubles) {
    for (int k = 0; k < m.n_sketches; ++k) sketch::init(sketches.data() + static_cast<size_t>(k) * sketch::kDoubles);
  }

  Entries run(std::uint64_t begin, std::uint64_t end) {
    TreeReducer local(shape, pairs);
    for (std::uint64_t leaf_begin = begin; leaf_begin < end; leaf_begin += kLeafProfiles) {
      const std::uint64_t leaf_end = std::min(end, leaf_begin + kLeafProfiles);
      LeafSums s = leaf_view(sums.data(), shape);
      for (std::uint64_t p = leaf_begin; p < leaf_end; ++p) {
        evaluate_profile(model, p, 0, model.n_mechanisms, v.data(), b.data(), x.data());
        for_each_sketch_value(model, 0, model.n_mechanisms, x.data(), [&](int k, double value) {
          sketch::add(sketches.data() + static_cast<size_t>(k) * sketch::kDoubles, value);
        });
        leaf_add(s, shape, x.data(), pairs);
      }
      leaf_finish(s, shape, pairs, leaf.data());
      local.push(0, leaf);
    }
    return local.take();
  }
};

}  // namespace

std::vector<double> run_cpu(const ModelData& md, std::uint64_t samples, const RunOptions& options) {
  const std::uint64_t chunk = options.chunk_profiles;
  const std::uint64_t leaves_per_chunk = chunk / kLeafProfiles;
  if (chunk == 0 || chunk % kLeafProfiles != 0 || (leaves_per_chunk & (leaves_per_chunk - 1)) != 0)
    throw ScenarioError("chunk_profiles", "must be " + std::to_string(kLeafProfiles) +
                                              " profiles times a power of two");
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
