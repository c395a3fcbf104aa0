// The CPU backend's batch machinery (host/cpu_batch.hpp) against the per-profile reference code it
// replaces, bit for bit: vector Philox vs Stream, batch values vs draw_values, vector leaf sums vs
// leaf_add, batch evaluation vs evaluate_values, and the whole backend vs a profile-by-profile loop.
// Every instruction set this processor supports is checked (portable always; AVX2 / AVX-512 when
// present).
#include "backends/cpu_batch.hpp"

#include "scenario/scenario.hpp"
#include "test_util.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace mcrev;
using namespace mcrev::test;

namespace {

std::vector<cpu::Isa> isas() {
  std::vector<cpu::Isa> out;
  for (cpu::Isa i : {cpu::Isa::Portable, cpu::Isa::Avx2, cpu::Isa::Avx512})
    if (cpu::isa_supported(i)) out.push_back(i);
  return out;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

// Five groups, one of each distribution kind, 13 bidders (not a multiple of 4); three mechanisms.
Scenario mixed_scenario(std::uint64_t samples, std::uint64_t seed) {
  Scenario sc = parse_scenario(R"(
[[bidders]]
count = 3
value = { dist = "uniform", low = -1.0, high = 3.0 }
[[bidders]]
count = 2
value = { dist = "exponential", rate = 2.0, shift = 0.5 }
[[bidders]]
count = 4
value = { dist = "power", low = 1.0, high = 2.0, k = 3.0 }
[[bidders]]
count = 1
value = { dist = "normal", mean = 0.5, sd = 0.2, low = 0.0, high = 1.0 }
[[bidders]]
count = 3
value = { dist = "empirical", points = [[0.0, 0.0], [1.0, 0.2], [1.0, 0.6], [2.0, 1.0]] }
[[mechanisms]]
kind = "second_price"
reserve = [0.5, 0.0, 1.2, 0.3, 1.0]
[[mechanisms]]
kind = "first_price"
strategy = "shade"
factor = 0.8
reserve = 0.6
seller_value = 0.4
[[mechanisms]]
kind = "all_pay"
strategy = "shade"
factor = 0.5
)");
  sc.samples = samples;
  sc.seed = seed;
  return sc;
}

// Kinds with iterative inverses and joint draws: the batch falls back to the shared per-profile code.
Scenario correlated_scenario(std::uint64_t samples, std::uint64_t seed, const std::string& correlation) {
  Scenario sc = parse_scenario(correlation + R"(
[[bidders]]
count = 2
value = { dist = "beta", alpha = 2.0, beta = 3.0 }
[[bidders]]
count = 1
value = { dist = "gamma", shape = 2.5, scale = 0.4 }
[[bidders]]
count = 2
value = { dist = "mixture", weights = [0.75, 0.25], components = [ { dist = "uniform", low = 0.0, high = 1.0 }, { dist = "uniform", low = 1.0, high = 2.0 } ] }
[[bidders]]
count = 1
value = { dist = "discrete", values = [0.2, 0.5, 0.9], probs = [0.3, 0.3, 0.4] }
[[mechanisms]]
kind = "second_price"
[[mechanisms]]
kind = "myerson"
)");
  sc.samples = samples;
  sc.seed = seed;
  return sc;
}

// The limits: 64 groups of 16 bidders (1,024 per profile) and 32 mechanisms, 6,368 metrics per
// profile: the backend's batches shrink to a single profile.
Scenario largest_scenario(std::uint64_t samples, std::uint64_t seed) {
  Scenario sc;
  sc.samples = samples;
  sc.seed = seed;
  for (int g = 0; g < kMaxGroups; ++g) {
    GroupSpec gs;
    gs.name = "g" + std::to_string(g);
    gs.count = kMaxBidders / kMaxGroups;
    gs.value = g % 2 ? uniform(0.0, 1.0 + 0.01 * g) : exponential(1.0 + 0.1 * g);
    sc.groups.push_back(gs);
  }
  const MechKind kinds[] = {MechKind::SecondPrice, MechKind::FirstPrice, MechKind::AllPay, MechKind::PostedPrice,
                            MechKind::RandomOffer};
  for (int m = 0; m < kMaxMechanisms; ++m) {
    MechanismSpec ms = mech(kinds[m % 5], "m" + std::to_string(m), 0.05 * (m % 7));
    ms.price = 0.5 + 0.1 * (m % 4);
    if (ms.kind == MechKind::FirstPrice || ms.kind == MechKind::AllPay) {
      ms.strategy.kind = StrategySpec::Shade;
      ms.strategy.factor = 0.9;
    }
    sc.mechanisms.push_back(ms);
  }
  return sc;
}

Scenario default_with(std::uint64_t samples, std::uint64_t seed) {
  Scenario sc = default_scenario();
  sc.samples = samples;
  sc.seed = seed;
  return sc;
}

}  // namespace

TEST(CpuBatch, StreamUniformsAreBitwiseStreamUniforms) {
  const std::uint64_t seeds[] = {0, 1, 0xDEADBEEFCAFEF00Dull};
  const std::uint32_t lanes[] = {kValueLane, aux_lane(0), 1000};
  // the third start crosses 2^32 inside a batch (the counter's high word changes between profiles)
  const std::uint64_t firsts[] = {0, 12345, (std::uint64_t(1) << 32) - 5, (std::uint64_t(1) << 40) + 3};
  const int counts[] = {1, 3, 4, 7, 8, 9, 15, 16, 17, 33, 63, 64};
  const int n_uniforms[] = {1, 4, 5, 9, 13};
  const double sentinel = -7.0;
  for (cpu::Isa isa : isas())
    for (std::uint64_t seed : seeds)
      for (std::uint32_t lane : lanes)
        for (std::uint64_t first : firsts)
          for (int count : counts)
            for (int n : n_uniforms) {
              const int stride = 72;  // > round_up(count, 8): the entries past it must stay untouched
              std::vector<double> u(static_cast<size_t>(n) * stride, sentinel);
              cpu::stream_uniforms(isa, seed, lane, first, count, n, u.data(), stride);
              for (int j = 0; j < count; ++j) {
                Stream s(seed, first + j, lane);
                for (int i = 0; i < n; ++i) {
                  const double want = s.uniform();
                  ASSERT_TRUE(same_bits(u[i * stride + j], want))
                      << cpu::isa_name(isa) << " seed " << seed << " lane " << lane << " profile " << first + j
                      << " uniform " << i << ": " << u[i * stride + j] << " vs " << want;
                }
              }
              for (int i = 0; i < n; ++i)
                for (int j = (count + 7) / 8 * 8; j < stride; ++j)
                  ASSERT_EQ(u[i * stride + j], sentinel) << cpu::isa_name(isa) << " wrote past its batch";
            }
}

// stream_words: the words behind the uniforms (u32_to_open01 of each is the stream's uniform), every
// instruction set, nothing written past round_up(count, 8).
TEST(CpuBatch, StreamWordsAreTheUniformsWords) {
  const std::uint32_t sentinel = 0xDEADBEEFu;
  for (cpu::Isa isa : isas())
    for (std::uint64_t first : {std::uint64_t(0), std::uint64_t(1001), (std::uint64_t(1) << 32) - 20})
      for (int count : {1, 8, 13, 16, 37, 64})
        for (int n : {1, 4, 9, 40}) {
          const int stride = 72;
          std::vector<std::uint32_t> w(static_cast<size_t>(n) * stride, sentinel);
          cpu::stream_words(isa, 5, kValueLane, first, count, n, w.data(), stride);
          for (int j = 0; j < count; ++j) {
            Stream s(5, first + j, kValueLane);
            for (int i = 0; i < n; ++i)
              ASSERT_TRUE(same_bits(u32_to_open01(w[i * stride + j]), s.uniform()))
                  << cpu::isa_name(isa) << " profile " << first + j << " uniform " << i;
          }
          for (int i = 0; i < n; ++i)
            for (int j = (count + 7) / 8 * 8; j < stride; ++j)
              ASSERT_EQ(w[i * stride + j], sentinel) << cpu::isa_name(isa) << " wrote past its batch";
        }
}

TEST(CpuBatch, InterleavedUniformsAreBitwiseTheStreams) {
  // Column j = profile first + (j % 8) · leaf + j / 8: eight leaves side by side (the fast path's
  // FastBatch::run_leaves), the counter's high word crossing 2^32 between and inside the leaves.
  const std::uint64_t firsts[] = {0, 256 * 1000, (std::uint64_t(1) << 32) - 700, (std::uint64_t(1) << 40) + 3};
  const std::uint64_t leaves[] = {1, 256, 1000};
  const double sentinel = -7.0;
  for (cpu::Isa isa : isas())
    for (std::uint64_t first : firsts)
      for (std::uint64_t leaf : leaves)
        for (int count : {8, 16, 56, 64})
          for (int n : {1, 5, 9}) {
            const int stride = 72;
            std::vector<double> u(static_cast<size_t>(n) * stride, sentinel);
            cpu::stream_uniforms_interleaved(isa, 99, kValueLane, first, leaf, count, n, u.data(), stride);
            for (int j = 0; j < count; ++j) {
              const std::uint64_t profile = first + static_cast<std::uint64_t>(j % 8) * leaf + static_cast<std::uint64_t>(j / 8);
              Stream s(99, profile, kValueLane);
              for (int i = 0; i < n; ++i) {
                const double want = s.uniform();
                ASSERT_TRUE(same_bits(u[i * stride + j], want))
                    << cpu::isa_name(isa) << " leaf " << leaf << " column " << j << " (profile " << profile
                    << ") uniform " << i << ": " << u[i * stride + j] << " vs " << want;
              }
            }
            for (int i = 0; i < n; ++i)
              for (int j = count; j < stride; ++j) ASSERT_EQ(u[i * stride + j], sentinel) << cpu::isa_name(isa);
          }
}

TEST(CpuBatch, BatchValuesAreBitwiseDrawValues) {
  for (const Scenario& sc : {mixed_scenario(1, 11), default_with(1, 12), correlated_scenario(1, 13, ""),
                            correlated_scenario(1, 14, "[correlation]\nkind = \"gaussian_copula\"\nrho = 0.4\n")}) {
    const ModelData md = build_model(sc);
    const Model m = md.view();
    const int n = m.n_bidders;
    std::vector<double> u(static_cast<size_t>(n) * cpu::kMaxBatch), v(static_cast<size_t>(n) * cpu::kMaxBatch),
        want(n);
    for (cpu::Isa isa : isas())
      for (std::uint64_t first : {std::uint64_t(0), std::uint64_t(977), (std::uint64_t(1) << 32) - 30})
        for (int count : {1, 13, 64}) {
          cpu::draw_values_batch(m, isa, first, count, u.data(), v.data());
          for (int j = 0; j < count; ++j) {
            draw_values(m, first + j, want.data());
            for (int i = 0; i < n; ++i)
              ASSERT_TRUE(same_bits(v[j * n + i], want[i]))
                  << cpu::isa_name(isa) << " profile " << first + j << " bidder " << i;
          }
        }
  }
}

TEST(CpuBatch, SortedMarginalValuesAreBitwiseTheInsertionSort) {
  // draw_values_batch sorts each agent's marginal values with a sorting network across the batch's
  // profiles (demand 2..8) and insertion sort otherwise; draw_values always with insertion sort.
  // Discrete values give ties in most profiles, and -0.0 next to 0.0 (equal, different bits) shows
  // whether equal values keep their order (both sorts are stable). Demand 9 takes the fallback.
  for (int demand = 2; demand <= 9; ++demand) {
    const ModelData md = build_model(parse_scenario(
        "[market]\nkind = \"units\"\nunits = 2\n[[bidders]]\ncount = 3\ndemand = " + std::to_string(demand) +
        "\nvalue = { dist = \"discrete\", values = [-0.0, 0.0, 0.5, 1.0], probs = [0.3, 0.3, 0.2, 0.2] }\n"
        "[[bidders]]\ncount = 2\ndemand = " + std::to_string(demand) +
        "\nvalue = { dist = \"uniform\", low = -1.0, high = 1.0 }\n[[mechanisms]]\nkind = \"vcg\"\n"));
    const Model m = md.view();
    const int n = m.n_values;
    std::vector<double> u(static_cast<size_t>(n) * cpu::kMaxBatch), v(static_cast<size_t>(n) * cpu::kMaxBatch),
        want(n);
    for (cpu::Isa isa : isas())
      for (int count : {1, 6, 64}) {
        cpu::draw_values_batch(m, isa, 1000, count, u.data(), v.data());
        for (int j = 0; j < count; ++j) {
          draw_values(m, 1000 + j, want.data());
          for (int k = 0; k < n; ++k) {
            ASSERT_TRUE(same_bits(v[j * n + k], want[k]))
                << cpu::isa_name(isa) << " demand " << demand << " profile " << j << " slot " << k;
          }
        }
      }
  }
}

TEST(CpuBatch, SortColumnsIsStableLikeTheInsertionSort) {
  // Columns of values from {-1, -0.0, 0.0, 0.5}: ties in almost every column, and -0.0 and 0.0 compare
  // equal with different bits, so any reordering of equal values shows in the bits.
  const double pool[] = {-1.0, -0.0, 0.0, 0.5};
  std::mt19937_64 rng(7);
  for (int d = 2; d <= 8; ++d)
    for (cpu::Isa isa : isas())
      for (int count : {1, 5, 64}) {
        std::vector<double> t(static_cast<size_t>(d) * cpu::kMaxBatch), out(static_cast<size_t>(count) * d), want(d);
        for (double& x : t) x = pool[rng() % 4];
        const std::vector<double> in = t;
        cpu::sort_columns(isa, t.data(), d, count, out.data(), d);
        int signed_zero_ties = 0;
        for (int j = 0; j < count; ++j) {
          for (int e = 0; e < d; ++e) want[e] = in[e * cpu::kMaxBatch + j];
          sort_decreasing(want.data(), d);
          for (int e = 0; e < d; ++e) {
            ASSERT_TRUE(same_bits(out[j * d + e], want[e])) << cpu::isa_name(isa) << " d " << d << " column " << j;
            if (e > 0 && want[e] == 0.0 && want[e - 1] == 0.0 && std::signbit(want[e - 1]) != std::signbit(want[e]))
              ++signed_zero_ties;
          }
        }
        if (count == 64) {
          EXPECT_GT(signed_zero_ties, 0) << "d " << d << ": no -0.0 next to 0.0";
        }
      }
}

TEST(CpuBatch, BatchEvaluationIsBitwiseEvaluateValues) {
  for (const Scenario& sc : {mixed_scenario(1, 21), default_with(1, 22)}) {
    const ModelData md = build_model(sc);
    const Model m = md.view();
    const int n = m.n_bidders, K = md.shape().metrics, row = cpu::padded_metrics(K);
    const std::uint64_t first = 4242;
    const int count = 64;
    std::vector<double> u(static_cast<size_t>(n) * cpu::kMaxBatch), v(static_cast<size_t>(n) * count), b(m.scratch_doubles()),
        xs(static_cast<size_t>(row) * count), x(K);
    cpu::draw_values_batch(m, cpu::Isa::Portable, first, count, u.data(), v.data());
    cpu::evaluate_batch(m, first, count, v.data(), b.data(), xs.data(), row);
    for (int j = 0; j < count; ++j) {
      evaluate_values(m, first + j, 0, m.n_mechanisms, v.data() + j * n, b.data(), x.data());
      for (int k = 0; k < K; ++k) ASSERT_TRUE(same_bits(xs[j * row + k], x[k])) << "profile " << j << " metric " << k;
    }
  }
}

TEST(CpuBatch, LeafAccumulatorIsBitwiseLeafAdd) {
  const ModelData md = build_model(mixed_scenario(1, 31));
  const Model m = md.view();
  const PartialShape sh = md.shape();  // 3 × 22 = 66 metrics: not a multiple of 8
  const MechanismPairs pairs{m.metrics_per_mechanism()};
  const int K = sh.metrics, row = cpu::padded_metrics(K), n = m.n_bidders;
  // Rows from real profiles, plus scaled copies so that the shift matters (large mean, small spread).
  const int leaf = static_cast<int>(kLeafProfiles);
  std::vector<double> xs(static_cast<size_t>(row) * leaf, 0.0), v(n), b(m.scratch_doubles());
  for (int j = 0; j < leaf; ++j) {
    evaluate_profile(m, 100 + j, 0, m.n_mechanisms, v.data(), b.data(), xs.data() + j * row);
    xs[j * row + 1] = 1e6 + 1e-3 * xs[j * row + 1];
  }
  for (int count : {leaf, 37, 1}) {
    std::vector<double> sums(3 * K + sh.pairs), want(sh.size());
    LeafSums s = leaf_view(sums.data(), sh);
    for (int j = 0; j < count; ++j) leaf_add(s, sh, xs.data() + j * row, pairs);
    leaf_finish(s, sh, pairs, want.data());
    for (cpu::Isa isa : isas())
      for (int piece : {1, 5, 8, 64, 256}) {
        cpu::LeafAccumulator acc(sh, pairs, isa);
        acc.reset();
        for (int j = 0; j < count; j += piece) acc.add(xs.data() + j * row, row, std::min(piece, count - j));
        std::vector<double> got(sh.size());
        acc.finish(got.data());
        EXPECT_TRUE(same_bits(got, want)) << cpu::isa_name(isa) << " " << count << " profiles in pieces of " << piece;
      }
  }
}

TEST(CpuBatch, BackendIsBitwiseTheProfileByProfileLoop) {
  // The definition the batched backend must reproduce: every profile evaluated by itself, leaves of
  // kLeafProfiles summed by leaf_add, leaves merged by the canonical tree.
  for (const Scenario& sc : {default_with(30011, 5), mixed_scenario(20005, 6), largest_scenario(300, 7),
                            correlated_scenario(3001, 8, "[correlation]\nkind = \"affiliated\"\nweight = 0.5\ncommon = { dist = \"uniform\", low = 0.0, high = 1.0 }\n")}) {
    const ModelData md = build_model(sc);
    const Model m = md.view();
    const PartialShape sh = md.shape();
    const MechanismPairs pairs{m.metrics_per_mechanism()};
    std::vector<double> v(m.n_values), b(m.scratch_doubles()), x(sh.metrics), sums(3 * sh.metrics + sh.pairs),
        leaf(sh.size());
    TreeReducer tree(sh, pairs);
    for (std::uint64_t begin = 0; begin < sc.samples; begin += kLeafProfiles) {
      LeafSums s = leaf_view(sums.data(), sh);
      for (std::uint64_t p = begin; p < std::min(sc.samples, begin + kLeafProfiles); ++p) {
        evaluate_profile(m, p, 0, m.n_mechanisms, v.data(), b.data(), x.data());
        leaf_add(s, sh, x.data(), pairs);
      }
      leaf_finish(s, sh, pairs, leaf.data());
      tree.push(0, leaf);
    }
    const std::vector<double> want = tree.finish();
    for (int threads : {1, 2}) {
      RunOptions o;
      o.backend = Backend::Cpu;
      o.threads = threads;
      o.chunk_profiles = kLeafProfiles * 8;
      EXPECT_TRUE(same_bits(run_cpu(md, sc.samples, o), want)) << threads << " threads";
    }
  }
}

TEST(CpuBatch, WinnerSearchMatchesADirectReference) {
  // allocate()'s branch-free winner search against the rule written out plainly: among bids at or
  // above their group's reserve, the highest wins; a tie is broken by the j-th tied bidder in index
  // order, j = Stream(seed, profile, aux_lane(m)).below(#ties). Bids on a coarse grid tie often.
  Scenario sc = mixed_scenario(1, 41);
  sc.mechanisms.resize(2);
  const ModelData md = build_model(sc);
  const Model m = md.view();
  const int n = m.n_bidders;
  std::vector<double> bids(m.scratch_doubles());
  int tied_profiles = 0;
  for (std::uint64_t p = 0; p < 4000; ++p) {
    Stream grid(99, p, 0);
    for (int i = 0; i < n; ++i) bids[i] = 0.25 * static_cast<int>(grid.uniform() * 8);  // 0, 0.25, ..., 1.75
    for (int k = 0; k < 2; ++k) {
      const Mechanism& mech = m.mechanisms[k];
      double best = kNoBid, second = kNoBid;
      std::vector<int> top;
      for (int i = 0; i < n; ++i) {
        if (!(bids[i] >= m.reserve_of(mech, m.group_of(i)))) continue;
        if (bids[i] > best) {
          second = best;
          best = bids[i];
          top.assign(1, i);
        } else if (bids[i] == best) {
          second = best;
          top.push_back(i);
        } else {
          second = std::max(second, bids[i]);
        }
      }
      const Outcome o = allocate(m, k, p, bids.data());
      if (top.empty()) {
        EXPECT_EQ(o.winner, -1) << "profile " << p;
        continue;
      }
      tied_profiles += top.size() > 1;
      const int want = top.size() > 1 ? top[Stream(m.seed, p, aux_lane(k)).below(static_cast<int>(top.size()))] : top[0];
      ASSERT_EQ(o.winner, want) << "profile " << p << " mechanism " << k;
      const double r = m.reserve_of(mech, m.group_of(want));
      const double price = mech.kind == MechKind::SecondPrice ? std::max(second, r) : bids[want];
      EXPECT_EQ(o.price, price) << "profile " << p << " mechanism " << k;
    }
  }
  EXPECT_GT(tied_profiles, 1000);  // the grid makes ties common, so the tie path is exercised
}
