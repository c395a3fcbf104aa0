// CPU backend: worker threads take fixed chunks of profiles; each chunk reduces its leaves with the
// canonical tree, and the driving thread absorbs chunk results strictly in chunk order, so the
// merged partial is bitwise the same for any thread count and any (aligned) chunk size.
#include "mcrev/engine.hpp"
#include "mcrev/core/error.hpp"
#include "mcrev/core/sketch.hpp"

#include "backends/cpu_batch.hpp"
#include "backends/cpu_divisible.hpp"
#include "backends/cpu_fast.hpp"
#include "backends/cpu_fast_units.hpp"
#include "mcrev/pipeline/variance_reduction.hpp"

#include <algorithm>
#include <chrono>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace mcrev {

namespace {

// A chunk's result: its complete subtrees (aligned within the global tree) and its sketches.
struct ChunkResult {
  std::vector<TreeEntry> entries;
  std::vector<double> sketches;
};

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
  std::vector<double> u, v, b, xs, leaf, partner, leaves;
  cpu::LeafAccumulator acc;
  std::unique_ptr<cpu::FastBatch> fast;  // the single-item fast path (cpu_fast.hpp), when eligible
  std::unique_ptr<cpu::UnitsBatch> units;  // the multi-unit fast path (cpu_fast_units.hpp), when eligible
  std::unique_ptr<cpu::DivisibleBatch> divisible;  // one-group step markets (cpu_divisible.hpp), when eligible

  static int batch_size(const Model& m, int row) {
    // keep the batch's values and metrics within ~32 KiB (L1)
    const int per_profile = 8 * (row + m.n_values);
    int bsz = cpu::kMaxBatch;
    while (bsz > 1 && bsz * per_profile > (32 << 10)) bsz /= 2;
    return bsz;
  }

  ChunkWorker(const Model& m, PartialShape s, bool allow_fast)
      : model(m), shape(s), pairs{m.metrics_per_mechanism()}, isa(cpu::best_isa()),
        row(cpu::padded_metrics(s.metrics)), batch(batch_size(m, row)),
        u(static_cast<size_t>(m.n_values) * cpu::kMaxBatch), v(static_cast<size_t>(m.n_values) * batch),
        b(m.scratch_doubles()), xs(static_cast<size_t>(row) * batch, 0.0), leaf(s.size()), acc(s, pairs, isa) {
    const fast::FastPlan plan = fast::make_fast_plan(m);
    if (allow_fast && plan.eligible && cpu::fast_path_enabled()) {
      fast = std::make_unique<cpu::FastBatch>(m, plan, isa);
      leaves.resize(static_cast<size_t>(cpu::FastBatch::kLeaves) * s.size());
    }
    const fast::UnitsPlan units_plan = cpu::units_plan_for_run(m, allow_fast);
    if (units_plan.eligible) units = std::make_unique<cpu::UnitsBatch>(m, units_plan, isa);
    divisible = cpu::DivisibleBatch::make(m, isa);
    if (divisible && divisible->leaves())
      leaves.resize(std::max(leaves.size(), static_cast<size_t>(cpu::DivisibleBatch::kLeaves) * s.size()));
  }

  // Profiles [begin, end): begin is a multiple of kLeafProfiles.
  ChunkResult run(std::uint64_t begin, std::uint64_t end) {
    ChunkResult out;
    out.sketches.resize(static_cast<size_t>(model.n_sketches) * sketch::kDoubles);
    for (int k = 0; k < model.n_sketches; ++k) sketch::init(out.sketches.data() + static_cast<size_t>(k) * sketch::kDoubles);
    TreeReducer local(shape, pairs, begin / kLeafProfiles);
    std::uint64_t leaf_begin = begin;
    // The fast path draws eight whole leaves side by side (cpu_fast.hpp); the rest leaf by leaf.
    constexpr std::uint64_t kGroup = cpu::FastBatch::kLeaves * kLeafProfiles;
    for (; fast && model.n_sketches == 0 && leaf_begin + kGroup <= end; leaf_begin += kGroup) {
      fast->run_leaves(leaf_begin, b.data(), leaves.data());
      for (int l = 0; l < cpu::FastBatch::kLeaves; ++l) {
        const double* p = leaves.data() + static_cast<size_t>(l) * shape.size();
        local.push(0, std::vector<double>(p, p + shape.size()));
      }
    }
    // The whole-step divisible clearing likewise (cpu_divisible.hpp).
    constexpr std::uint64_t kDivGroup = cpu::DivisibleBatch::kLeaves * kLeafProfiles;
    for (; divisible && divisible->leaves() && model.n_sketches == 0 && model.vr.method == 0 &&
           leaf_begin + kDivGroup <= end;
         leaf_begin += kDivGroup) {
      divisible->run_leaves(leaf_begin, b.data(), leaves.data());
      for (int l = 0; l < cpu::DivisibleBatch::kLeaves; ++l) {
        const double* p = leaves.data() + static_cast<size_t>(l) * shape.size();
        local.push(0, std::vector<double>(p, p + shape.size()));
      }
    }
    for (; leaf_begin < end; leaf_begin += kLeafProfiles) {
      const std::uint64_t leaf_end = std::min(end, leaf_begin + kLeafProfiles);
      acc.reset();
      for (std::uint64_t first = leaf_begin; first < leaf_end; first += static_cast<std::uint64_t>(batch)) {
        const int count = static_cast<int>(std::min<std::uint64_t>(batch, leaf_end - first));
        if (model.vr.method != 0) {  // variance reduction: one unit at a time (mcrev/pipeline/variance_reduction.hpp)
          if (partner.empty()) partner.resize(static_cast<size_t>(shape.metrics));
          for (int j = 0; j < count; ++j)
            evaluate_unit(model, first + static_cast<std::uint64_t>(j), 0, model.n_mechanisms, v.data(), b.data(),
                          xs.data() + static_cast<size_t>(j) * row, partner.data());
        } else if (fast) {
          fast->run(first, count, b.data(), xs.data(), row);
        } else if (units) {
          units->run(first, count, b.data(), xs.data(), row);
        } else if (divisible) {  // (one-group step markets: draw_evaluate_divisible_steps, the plan made once)
          divisible->run(first, count, b.data(), xs.data(), row);
        } else {
          cpu::draw_values_batch(model, isa, first, count, u.data(), v.data());
          cpu::evaluate_batch(model, first, count, v.data(), b.data(), xs.data(), row);
        }
        acc.add(xs.data(), row, count);
        for (int j = 0; j < count && model.n_sketches > 0; ++j)
          for_each_sketch_value(model, 0, model.n_mechanisms, xs.data() + static_cast<size_t>(j) * row, [&](int k, double value) {
            sketch::add(out.sketches.data() + static_cast<size_t>(k) * sketch::kDoubles, value);
          });
      }
      acc.finish(leaf.data());
      local.push(0, leaf);
    }
    out.entries = local.take();
    return out;
  }
};

}  // namespace

std::vector<double> run_cpu(const ModelData& md, std::uint64_t samples, const RunOptions& options) {
  if (samples > kMaxSamples)
    throw ScenarioError("samples", "too large (the largest supported is " + std::to_string(kMaxSamples) + " = 1e17)");
  return finish_state(md, run_cpu_range(md, samples, 0, samples, options));
}

RangeState run_cpu_range(const ModelData& md, std::uint64_t samples, std::uint64_t first, std::uint64_t end,
                         const RunOptions& options, const RangeState* resume) {
  const std::uint64_t chunk = options.chunk_profiles;
  const std::uint64_t leaves_per_chunk = chunk / kLeafProfiles;
  if (chunk == 0 || chunk % kLeafProfiles != 0 || (leaves_per_chunk & (leaves_per_chunk - 1)) != 0 ||
      chunk > kMaxChunkProfiles)
    throw ScenarioError("chunk_profiles", "must be " + std::to_string(kLeafProfiles) +
                                              " profiles times a power of two, at most 2^40");
  if (samples > kMaxSamples)  // keeps (samples + chunk − 1) and (c + 1) · chunk far from wrapping
    throw ScenarioError("samples", "too large (the largest supported is " + std::to_string(kMaxSamples) + " = 1e17)");
  check_profile_range(first, end, samples, "profiles");
  const Model model = md.view();
  const PartialShape shape = md.shape();
  const MechanismPairs pairs{model.metrics_per_mechanism()};
  const size_t n_sketch_doubles = static_cast<size_t>(model.n_sketches) * sketch::kDoubles;

  RangeState state;
  state.first = first;
  state.end = first;
  TreeReducer total(shape, pairs, first / kLeafProfiles);
  state.sketches.resize(n_sketch_doubles);
  for (int k = 0; k < model.n_sketches; ++k) sketch::init(state.sketches.data() + static_cast<size_t>(k) * sketch::kDoubles);
  if (resume) {
    push_resumed(*resume, first, end, n_sketch_doubles, total);
    state.sketches = resume->sketches;
    state.end = resume->end;
  }
  const std::uint64_t start = state.end;
  // Chunks follow the global grid c · chunk, clipped to [start, end).
  const std::uint64_t c0 = start / chunk;
  const std::uint64_t n_chunks = start == end ? 0 : (end + chunk - 1) / chunk - c0;
  auto chunk_begin = [&](std::uint64_t i) { return std::max(start, (c0 + i) * chunk); };
  auto chunk_end = [&](std::uint64_t i) { return std::min(end, (c0 + i + 1) * chunk); };
  const unsigned hc = std::thread::hardware_concurrency();
  std::uint64_t threads = options.threads > 0 ? static_cast<std::uint64_t>(options.threads) : (hc ? hc : 1);
  threads = std::max<std::uint64_t>(1, std::min(threads, std::max<std::uint64_t>(1, n_chunks)));
  const std::uint64_t window = 4 * threads;  // chunks computed ahead of the in-order absorption

  std::vector<std::optional<ChunkResult>> slots(window);
  std::mutex mu;
  std::condition_variable cv;
  std::uint64_t absorbed = 0;
  std::atomic<std::uint64_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  auto fail = [&](std::exception_ptr e) {
    std::lock_guard<std::mutex> lk(mu);
    if (!error) error = e;
    failed = true;
    cv.notify_all();
  };

  auto work = [&] {
    try {
      ChunkWorker w(model, shape, options.fast_path);
      for (;;) {
        const std::uint64_t c = next.fetch_add(1);
        if (c >= n_chunks || failed) break;
        {
          std::unique_lock<std::mutex> lk(mu);
          cv.wait(lk, [&] { return c < absorbed + window || failed; });
          if (failed) break;
        }
        ChunkResult r = w.run(chunk_begin(c), chunk_end(c));
        std::lock_guard<std::mutex> lk(mu);
        slots[c % window] = std::move(r);
        cv.notify_all();
      }
    } catch (...) {
      fail(std::current_exception());
    }
  };

  using clock = std::chrono::steady_clock;
  auto last_checkpoint = clock::now();
  auto snapshot = [&] {
    RangeState s;
    s.first = state.first;
    s.end = state.end;
    s.entries = total.entries();
    s.sketches = state.sketches;
    return s;
  };
  std::vector<std::thread> pool;
  if (n_chunks > 0)
    for (std::uint64_t t = 0; t < threads; ++t) pool.emplace_back(work);
  try {
    for (std::uint64_t c = 0; c < n_chunks; ++c) {
      ChunkResult r;
      {
        std::unique_lock<std::mutex> lk(mu);
        cv.wait(lk, [&] { return slots[c % window].has_value() || failed; });
        if (failed) break;
        r = std::move(*slots[c % window]);
        slots[c % window].reset();
        absorbed = c + 1;
        cv.notify_all();
      }
      for (TreeEntry& e : r.entries) total.push(std::move(e));
      for (size_t k = 0; k < n_sketch_doubles; k += sketch::kDoubles)
        sketch::merge(state.sketches.data() + k, r.sketches.data() + k);
      state.end = chunk_end(c);
      if (options.progress) options.progress(state.end - first, end - first);
      if (options.checkpoint && c + 1 < n_chunks &&
          std::chrono::duration<double>(clock::now() - last_checkpoint).count() >= options.checkpoint_every_s) {
        options.checkpoint(snapshot());
        last_checkpoint = clock::now();
      }
    }
  } catch (...) {
    fail(std::current_exception());
  }
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  if (options.checkpoint) options.checkpoint(snapshot());
  state.entries = total.take();
  return state;
}

}  // namespace mcrev
