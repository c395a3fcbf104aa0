// The range driver of the CUDA backend (host/backends/chunk_driver.hpp) over an emulated device
// (tests/emulated_grid.hpp): full chunks on 1–3 "devices" in rounds, partial chunks at the ends on
// the CPU, resumes and checkpoints. Every state must equal run_cpu_range's bit for bit, which is
// what makes --devices, GPU checkpoints, GPU job arrays and MPI ranks with GPUs give one run's bits.
#include "backends/chunk_driver.hpp"

#include "emulated_grid.hpp"
#include "mcrev/core/sketch.hpp"
#include "mcrev/incentives/expost.hpp"
#include "test_util.hpp"

#include <cstring>
#include <mutex>

using namespace mcrev;
using namespace mcrev::test;

namespace {

constexpr std::uint64_t kChunk = kBlock * kLeafProfiles;

class EmulatedChunks final : public ChunkSource {
 public:
  EmulatedChunks(const ModelData& md, std::uint64_t samples, int devices, std::uint64_t batch)
      : md_(md), samples_(samples), batch_(batch),
        sketches_(devices, std::vector<double>(static_cast<size_t>(md.n_sketches) * sketch::kDoubles)) {
    for (auto& s : sketches_)
      for (size_t k = 0; k < s.size(); k += sketch::kDoubles) sketch::init(s.data() + k);
  }
  int devices() const override { return static_cast<int>(sketches_.size()); }
  std::uint64_t chunk_profiles() const override { return kChunk; }
  std::uint64_t batch_chunks() const override { return batch_; }
  void compute(int d, std::uint64_t c0, std::uint64_t count, double* out) override {
    const Model m = md_.view();
    const size_t S = static_cast<size_t>(md_.shape().size());
    double* sk = sketches_[d].data();
    auto sink = [&](const double* x) {
      for_each_sketch_value(m, 0, m.n_mechanisms, x,
                            [&](int k, double value) { sketch::add(sk + static_cast<size_t>(k) * sketch::kDoubles, value); });
    };
    for (std::uint64_t i = 0; i < count; ++i) {
      EXPECT_LE((c0 + i + 1) * kChunk, samples_) << "a device got a partial chunk";
      const std::vector<double> p = emulate_chunk(md_, samples_, c0 + i, 0, m.n_mechanisms, kBlock, kLeafProfiles, sink);
      std::memcpy(out + i * S, p.data(), S * sizeof(double));
    }
    std::lock_guard<std::mutex> lk(mu_);
    chunks_done += count;
  }
  void merge_sketches(int d, double* acc) override {
    for (size_t k = 0; k < sketches_[d].size(); k += sketch::kDoubles) sketch::merge(acc + k, sketches_[d].data() + k);
  }
  std::uint64_t chunks_done = 0;

 private:
  const ModelData& md_;
  std::uint64_t samples_, batch_;
  std::vector<std::vector<double>> sketches_;
  std::mutex mu_;
};

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

void expect_same_state(const RangeState& a, const RangeState& b) {
  EXPECT_EQ(a.first, b.first);
  EXPECT_EQ(a.end, b.end);
  ASSERT_EQ(a.entries.size(), b.entries.size());
  for (size_t i = 0; i < a.entries.size(); ++i) {
    EXPECT_EQ(a.entries[i].first_leaf, b.entries[i].first_leaf) << "entry " << i;
    EXPECT_EQ(a.entries[i].level, b.entries[i].level) << "entry " << i;
    EXPECT_TRUE(same_bits(a.entries[i].partial, b.entries[i].partial)) << "entry " << i;
  }
  EXPECT_TRUE(same_bits(a.sketches, b.sketches));
}

RunOptions cpu_options(std::uint64_t chunk = 1u << 16) {
  RunOptions o;
  o.backend = Backend::Cpu;
  o.threads = 2;
  o.chunk_profiles = chunk;
  return o;
}

// The default scenario (five single-item mechanisms) and one with ex-post regret (quantile sketches).
std::vector<Scenario> scenarios(std::uint64_t samples) {
  Scenario a = default_scenario();
  a.samples = samples;
  a.seed = 11;
  Scenario b = parse_scenario(R"(
seed = 5
[[bidders]]
count = 3
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[mechanisms]]
kind = "second_price"
[[mechanisms]]
kind = "first_price"
strategy = "shade"
factor = 0.7
incentives = { expost_regret = true, deviations = 4, refine_levels = 0 }
)");
  b.samples = samples;
  return {a, b};
}

}  // namespace

TEST(ChunkDriver, WholeRunOnOneTwoOrThreeDevicesIsTheCpuRun) {
  const std::uint64_t samples = 5 * kChunk + 1234;  // five full chunks and a partial one
  for (const Scenario& sc : scenarios(samples)) {
    const ModelData md = build_model(sc);
    const RangeState cpu = run_cpu_range(md, samples, 0, samples, cpu_options());
    for (int devices : {1, 2, 3})
      for (std::uint64_t batch : {1, 2}) {
        EmulatedChunks src(md, samples, devices, batch);
        const RangeState g = run_chunked_range(md, samples, 0, samples, cpu_options(1u << 8), nullptr, src);
        EXPECT_EQ(src.chunks_done, 5u) << "the full chunks go to the devices";
        expect_same_state(g, cpu);
        EXPECT_TRUE(same_bits(finish_state(md, g), run(sc, cpu_options()).partial));
      }
  }
}

TEST(ChunkDriver, RangesWithPartialChunksAtBothEndsAreTheCpuRanges) {
  const std::uint64_t samples = 6 * kChunk + 700;
  const Scenario sc = scenarios(samples)[0];
  const ModelData md = build_model(sc);
  const std::uint64_t ranges[][2] = {{256 * 3, samples},          {0, 3 * kChunk + 512},     {kChunk + 256, 4 * kChunk - 256},
                                     {kChunk, 2 * kChunk},         {256, 512},                {2 * kChunk + 256, 3 * kChunk},
                                     {5 * kChunk + 256, samples}};
  for (const auto& r : ranges) {
    EmulatedChunks src(md, samples, 2, 1);
    expect_same_state(run_chunked_range(md, samples, r[0], r[1], cpu_options(), nullptr, src),
                      run_cpu_range(md, samples, r[0], r[1], cpu_options()));
  }
  // Adjacent ranges from the two drivers join into the whole run.
  EmulatedChunks src(md, samples, 3, 1);
  std::vector<RangeState> parts;
  parts.push_back(run_cpu_range(md, samples, 0, kChunk + 512, cpu_options()));
  parts.push_back(run_chunked_range(md, samples, kChunk + 512, 5 * kChunk + 256, cpu_options(), nullptr, src));
  parts.push_back(run_cpu_range(md, samples, 5 * kChunk + 256, samples, cpu_options()));
  expect_same_state(join_states(md, std::move(parts)), run_cpu_range(md, samples, 0, samples, cpu_options()));
}

TEST(ChunkDriver, CheckpointsAreStatesAndResumeGivesTheSameBits) {
  const std::uint64_t samples = 7 * kChunk + 999;
  for (const Scenario& sc : scenarios(samples)) {
    const ModelData md = build_model(sc);
    const RangeState whole = run_cpu_range(md, samples, 0, samples, cpu_options());
    std::vector<RangeState> saved;
    RunOptions o = cpu_options();
    o.checkpoint_every_s = 0.0;  // after every round
    o.checkpoint = [&](const RangeState& s) { saved.push_back(s); };
    EmulatedChunks src(md, samples, 2, 1);
    expect_same_state(run_chunked_range(md, samples, 0, samples, o, nullptr, src), whole);
    ASSERT_GE(saved.size(), 4u);  // rounds of two chunks, and the final state
    expect_same_state(saved.back(), whole);
    for (size_t i = 0; i + 1 < saved.size(); ++i) {
      const RangeState& s = saved[i];
      EXPECT_EQ(s.end % kChunk, 0u);
      // Each checkpoint is the CPU state of its prefix, and resuming it (on the devices or on the
      // CPU) reaches the whole run's state.
      expect_same_state(s, run_cpu_range(md, samples, 0, s.end, cpu_options()));
      EmulatedChunks again(md, samples, 1, 3);
      expect_same_state(run_chunked_range(md, samples, 0, samples, cpu_options(), &s, again), whole);
      expect_same_state(run_cpu_range(md, samples, 0, samples, cpu_options(), &s), whole);
    }
    // A CPU checkpoint that ends inside a chunk resumes on the devices.
    const RangeState cpu_part = run_cpu_range(md, samples, 0, 2 * kChunk + 256 * 5, cpu_options(1u << 8));
    EmulatedChunks resumed(md, samples, 3, 1);
    expect_same_state(run_chunked_range(md, samples, 0, samples, cpu_options(), &cpu_part, resumed), whole);
  }
}

TEST(ChunkDriver, ADeviceErrorPropagates) {
  struct Failing final : ChunkSource {
    int devices() const override { return 2; }
    std::uint64_t chunk_profiles() const override { return kChunk; }
    std::uint64_t batch_chunks() const override { return 1; }
    void compute(int d, std::uint64_t, std::uint64_t, double*) override {
      if (d == 1) throw BackendError("CUDA error: out of memory");
    }
    void merge_sketches(int, double*) override {}
  } src;
  const Scenario sc = scenarios(4 * kChunk)[0];
  const ModelData md = build_model(sc);
  EXPECT_THROW(run_chunked_range(md, sc.samples, 0, sc.samples, cpu_options(), nullptr, src), BackendError);
}
