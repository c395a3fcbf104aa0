// Partial states (docs/state_format.md): ranges of a run joined in order are bitwise the single run;
// the position-aware reduction tree; the state file's encoding, its refusals (with byte offsets) and
// the tiling checks of `mcrev merge`.
#include "test_util.hpp"

#include "mcrev/core/sketch.hpp"
#include "state/state_file.hpp"

#include <cstring>
#include <random>

using namespace mcrev;
using namespace mcrev::test;

namespace {

bool bitwise_equal(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

Scenario mixed(std::uint64_t samples) {
  Scenario sc = default_scenario();
  sc.samples = samples;
  sc.seed = 99;
  sc.backend = Backend::Cpu;
  return sc;
}

// Three bidders with ex-post regret on two mechanisms: the partial carries quantile sketches.
Scenario with_sketches(std::uint64_t samples) {
  return parse_scenario("samples = " + std::to_string(samples) + R"(
seed = 11
[[bidders]]
count = 3
value = { dist = "uniform", low = 0, high = 1 }
[[mechanisms]]
kind = "first_price"
strategy = "bne"
incentives = { expost_regret = true, deviations = 16, quantiles = [0.5, 0.9] }
[[mechanisms]]
kind = "second_price"
incentives = { expost_regret = true, deviations = 16 }
)");
}

RunOptions cpu(int threads, std::uint64_t chunk) {
  RunOptions o;
  o.backend = Backend::Cpu;
  o.threads = threads;
  o.chunk_profiles = chunk;
  return o;
}

// Splits [0, samples) at the given cut points, runs each range (its own thread count and chunk size),
// joins the states in order and returns the merged partial.
std::vector<double> run_in_parts(const ModelData& md, std::uint64_t samples, std::vector<std::uint64_t> cuts) {
  cuts.insert(cuts.begin(), 0);
  cuts.push_back(samples);
  std::vector<RangeState> parts;
  for (size_t i = 0; i + 1 < cuts.size(); ++i)
    parts.push_back(run_cpu_range(md, samples, cuts[i], cuts[i + 1], cpu(1 + static_cast<int>(i % 3), kLeafProfiles << (i % 4))));
  return finish_state(md, join_states(md, std::move(parts)));
}

StateFile sample_file(const ModelData& md, const Scenario& sc, std::uint64_t first, std::uint64_t end) {
  StateFile f;
  f.version = "mcrev test";
  f.scenario_hash = scenario_hash("", md);
  f.seed = sc.seed;
  f.samples = sc.samples;
  f.confidence = sc.confidence;
  f.chunk_profiles = 1024;
  f.device = "test device";
  f.shape = md.shape();
  f.n_sketches = md.n_sketches;
  f.state = run_cpu_range(md, sc.samples, first, end, cpu(2, 1024));
  return f;
}

}  // namespace

TEST(TreeReducer, RangesReplayedInOrderEqualLeafByLeaf) {
  // Reducers over arbitrary leaf ranges keep only globally aligned subtrees; replaying their entries
  // in order into one reducer gives the leaf-by-leaf tree bit for bit.
  const PartialShape sh{metric::per_mechanism(0), 1};
  const MechanismPairs pairs{metric::per_mechanism(0)};
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0, 1);
  auto leaf = [&](std::uint64_t l) {
    std::vector<double> p(sh.size());
    std::mt19937_64 g(l * 7919 + 3);
    p[0] = 256;
    for (int k = 1; k < sh.size(); ++k) p[k] = std::uniform_real_distribution<double>(0, 1)(g);
    return p;
  };
  for (std::uint64_t leaves : {1u, 2u, 7u, 64u, 100u, 257u}) {
    TreeReducer ref(sh, pairs);
    for (std::uint64_t l = 0; l < leaves; ++l) ref.push(0, leaf(l));
    const std::vector<double> want = ref.finish();
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<std::uint64_t> cuts{0};
      while (cuts.back() < leaves) cuts.push_back(std::min<std::uint64_t>(leaves, cuts.back() + 1 + rng() % 40));
      TreeReducer all(sh, pairs);
      for (size_t i = 0; i + 1 < cuts.size(); ++i) {
        TreeReducer part(sh, pairs, cuts[i]);
        for (std::uint64_t l = cuts[i]; l < cuts[i + 1]; ++l) part.push(0, leaf(l));
        for (TreeEntry& e : part.take()) {
          EXPECT_EQ(e.first_leaf % (std::uint64_t(1) << e.level), 0u);
          all.push(std::move(e));
        }
      }
      EXPECT_TRUE(bitwise_equal(all.finish(), want)) << leaves << " leaves, trial " << trial;
    }
  }
}

TEST(TreeReducer, RefusesAnEntryThatDoesNotContinue) {
  const PartialShape sh{metric::per_mechanism(0), 1};
  TreeReducer r(sh, MechanismPairs{metric::per_mechanism(0)}, 4);
  EXPECT_THROW(r.push(TreeEntry{3, 0, std::vector<double>(sh.size())}), std::logic_error);
  EXPECT_THROW(r.push(TreeEntry{4, 3, std::vector<double>(sh.size())}), std::logic_error);  // not aligned
  r.push(TreeEntry{4, 2, std::vector<double>(sh.size())});
  EXPECT_EQ(r.next_leaf(), 8u);
}

TEST(PartialState, OneTwoAndSevenPartsEqualTheSingleRun) {
  const Scenario sc = mixed(300007);  // the last leaf is short
  const ModelData md = build_model(sc);
  const std::vector<double> one = run(sc, cpu(2, 1 << 14)).partial;
  EXPECT_TRUE(bitwise_equal(run_in_parts(md, sc.samples, {}), one));
  EXPECT_TRUE(bitwise_equal(run_in_parts(md, sc.samples, {150016}), one));
  // Seven uneven parts, none aligned to a chunk (or to anything but a leaf).
  EXPECT_TRUE(bitwise_equal(run_in_parts(md, sc.samples, {256, 768, 33280, 65536 + 256 * 3, 199936, 300032 - 512}), one));
}

TEST(PartialState, SketchesAndIncentiveMetricsJoinExactly) {
  const Scenario sc = with_sketches(20000);
  const ModelData md = build_model(sc);
  ASSERT_GT(md.n_sketches, 0);
  const std::vector<double> one = run(sc, cpu(1, 1024)).partial;
  EXPECT_TRUE(bitwise_equal(run_in_parts(md, sc.samples, {2560, 7680, 7936, 15104}), one));
}

TEST(PartialState, AJoinThatSkipsARangeIsRefused) {
  const Scenario sc = mixed(10000);
  const ModelData md = build_model(sc);
  std::vector<RangeState> parts;
  parts.push_back(run_cpu_range(md, sc.samples, 0, 2560, cpu(1, 1024)));
  parts.push_back(run_cpu_range(md, sc.samples, 5120, 10000, cpu(1, 1024)));
  EXPECT_THROW(join_states(md, std::move(parts)), ScenarioError);
}

TEST(PartialState, RangeBoundsAreChecked) {
  for (auto [first, end] : std::vector<std::pair<std::uint64_t, std::uint64_t>>{{100, 1024}, {0, 1000}, {512, 512}, {0, 20000}}) {
    try {
      check_profile_range(first, end, 10000, "--profiles");
      ADD_FAILURE() << first << ":" << end << " accepted";
    } catch (const ScenarioError& e) {
      EXPECT_EQ(e.path(), "--profiles");
    }
  }
  EXPECT_NO_THROW(check_profile_range(9984, 10000, 10000, "--profiles"));  // END = samples, inside a leaf
}

TEST(PartialState, ResumingFromAnyCheckpointEqualsTheSingleRun) {
  const Scenario sc = with_sketches(9000);
  const ModelData md = build_model(sc);
  const std::vector<double> one = run(sc, cpu(2, 1024)).partial;
  std::vector<RangeState> checkpoints;
  RunOptions o = cpu(2, 1024);
  o.checkpoint_every_s = 0;  // every chunk
  o.checkpoint = [&](const RangeState& s) { checkpoints.push_back(s); };
  const RangeState full = run_cpu_range(md, sc.samples, 0, sc.samples, o);
  EXPECT_TRUE(bitwise_equal(finish_state(md, full), one));
  ASSERT_GE(checkpoints.size(), 8u);
  EXPECT_EQ(checkpoints.back().end, sc.samples);
  for (const RangeState& ck : checkpoints) {
    // Resume with another chunk size and thread count: the grid need not match the checkpoint's.
    const RangeState rest = run_cpu_range(md, sc.samples, 0, sc.samples, cpu(1, 512), &ck);
    EXPECT_TRUE(bitwise_equal(finish_state(md, rest), one)) << "resumed at " << ck.end;
  }
}

TEST(StateFile, RoundTripIsBitwise) {
  const Scenario sc = with_sketches(3000);
  const ModelData md = build_model(sc);
  StateFile f = sample_file(md, sc, 512, 3000);
  f.scenario_text = "samples = 3000\n";
  f.base_dir = "/somewhere";
  f.source_name = "x.toml";
  f.note = "a note";
  f.seconds = 1.25;
  const std::string bytes = encode_state(f);
  const StateFile g = decode_state(bytes, "f.mcp");
  EXPECT_EQ(encode_state(g), bytes);
  EXPECT_EQ(g.state.first, 512u);
  EXPECT_EQ(g.state.end, 3000u);
  ASSERT_EQ(g.state.entries.size(), f.state.entries.size());
  for (size_t i = 0; i < g.state.entries.size(); ++i) {
    EXPECT_EQ(g.state.entries[i].first_leaf, f.state.entries[i].first_leaf);
    EXPECT_EQ(g.state.entries[i].level, f.state.entries[i].level);
    EXPECT_TRUE(bitwise_equal(g.state.entries[i].partial, f.state.entries[i].partial));
  }
  EXPECT_TRUE(bitwise_equal(g.state.sketches, f.state.sketches));
  EXPECT_EQ(g.version, f.version);
  EXPECT_EQ(g.scenario_text, f.scenario_text);
  EXPECT_EQ(g.note, f.note);
  EXPECT_EQ(g.seconds, 1.25);
}

TEST(StateFile, TheHeaderIsLittleEndianAtDocumentedOffsets) {
  const Scenario sc = mixed(2048);
  const ModelData md = build_model(sc);
  StateFile f = sample_file(md, sc, 0, 1024);
  const std::string b = encode_state(f);
  auto u64_at = [&](size_t at) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= std::uint64_t(static_cast<unsigned char>(b[at + i])) << (8 * i);
    return v;
  };
  EXPECT_EQ(b.substr(0, 8), std::string("MCREVST\0", 8));
  EXPECT_EQ(static_cast<unsigned char>(b[8]), 1);  // format version 1, little-endian
  EXPECT_EQ(u64_at(24), sc.seed);
  EXPECT_EQ(u64_at(32), sc.samples);
  EXPECT_EQ(u64_at(40), 0u);
  EXPECT_EQ(u64_at(48), 1024u);
  double conf;
  const std::uint64_t bits = u64_at(56);
  std::memcpy(&conf, &bits, 8);
  EXPECT_EQ(conf, 0.95);
}

TEST(StateFile, TruncationAndCorruptionAreRefusedWithAByteOffset) {
  const Scenario sc = with_sketches(2000);
  const ModelData md = build_model(sc);
  const std::string bytes = encode_state(sample_file(md, sc, 0, 2000));
  // Every truncation.
  for (size_t n = 0; n < bytes.size(); n += (n < 200 ? 1 : 97)) {
    try {
      decode_state(bytes.substr(0, n), "t.mcp");
      ADD_FAILURE() << "truncated to " << n << " bytes accepted";
    } catch (const ScenarioError& e) {
      EXPECT_EQ(e.path(), "t.mcp");
      EXPECT_NE(std::string(e.what()).find("byte "), std::string::npos) << e.what();
    }
  }
  // Every single-byte corruption is caught (most by a field check, the rest by the checksum).
  std::mt19937 rng(3);
  for (size_t at = 0; at < bytes.size(); at += 1 + rng() % 53) {
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ (1 + rng() % 255));
    try {
      decode_state(bad, "c.mcp");
      ADD_FAILURE() << "corruption at byte " << at << " accepted";
    } catch (const ScenarioError& e) {
      EXPECT_NE(std::string(e.what()).find("byte "), std::string::npos) << e.what();
    }
  }
  try {
    std::string bad = bytes;
    bad[bytes.size() - 20] ^= 1;
    decode_state(bad, "c.mcp");
  } catch (const ScenarioError& e) {
    EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos) << e.what();
  }
}

TEST(StateFile, AnotherVersionScenarioOrSeedIsRefused) {
  const Scenario sc = mixed(4096);
  const ModelData md = build_model(sc);
  const StateFile a = sample_file(md, sc, 0, 2048);
  auto refused = [&](StateFile b, const std::string& words) {
    try {
      check_same_run(a, "a.mcp", b, "b.mcp", true);
      return ::testing::AssertionFailure() << "accepted";
    } catch (const ScenarioError& e) {
      if (e.path() == "b.mcp" && std::string(e.what()).find(words) != std::string::npos) return ::testing::AssertionSuccess();
      return ::testing::AssertionFailure() << e.what();
    }
  };
  StateFile b = a;
  EXPECT_NO_THROW(check_same_run(a, "a.mcp", b, "b.mcp", true));
  b.version = "mcrev 9.9.9";
  EXPECT_TRUE(refused(b, "mcrev 9.9.9"));
  b = a;
  Scenario other = sc;
  other.mechanisms.pop_back();
  b.scenario_hash = scenario_hash("", build_model(other));
  EXPECT_TRUE(refused(b, "another scenario"));
  b = a;
  b.seed = 12345;
  EXPECT_TRUE(refused(b, "seed 12345"));
  b = a;
  b.samples = 8192;
  EXPECT_TRUE(refused(b, "8192"));
}

TEST(StateFile, GapsAndOverlapsAreRefusedNamingTheRanges) {
  auto file = [](std::uint64_t first, std::uint64_t end) {
    StateFile f;
    f.samples = 10000;
    f.state.first = first;
    f.state.end = end;
    return f;
  };
  auto message = [&](std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges) -> std::string {
    std::vector<StateFile> files;
    std::vector<std::string> names;
    for (auto [a, b] : ranges) {
      files.push_back(file(a, b));
      names.push_back("p" + std::to_string(a) + ".mcp");
    }
    try {
      check_tiling(files, names);
      return "";
    } catch (const ScenarioError& e) {
      return e.what();
    }
  };
  EXPECT_EQ(message({{5120, 10000}, {0, 5120}}), "");  // any order
  EXPECT_NE(message({{0, 2560}, {5120, 10000}}).find("gap: profiles [2560, 5120)"), std::string::npos);
  EXPECT_NE(message({{256, 10000}}).find("gap: profiles [0, 256)"), std::string::npos);
  EXPECT_NE(message({{0, 5120}}).find("gap: profiles [5120, 10000)"), std::string::npos);
  const std::string overlap = message({{0, 5120}, {4096, 10000}});
  EXPECT_NE(overlap.find("overlap"), std::string::npos) << overlap;
  EXPECT_NE(overlap.find("p0.mcp [0, 5120)"), std::string::npos) << overlap;
  EXPECT_NE(overlap.find("p4096.mcp [4096, 10000)"), std::string::npos) << overlap;
  EXPECT_NE(overlap.find("[4096, 5120)"), std::string::npos) << overlap;
}

TEST(StateFile, ScenarioHashSeesDataTables) {
  // The hash covers the model's arena (distribution tables read from files), not just the text.
  Scenario a = iid(3, uniform(0, 1), 1000);
  a.mechanisms = {mech(MechKind::FirstPrice, "fp", 0.0, StrategySpec::Bne)};
  Scenario b = a;
  b.groups[0].value = uniform(0, 2);
  EXPECT_NE(scenario_hash("same text", build_model(a)), scenario_hash("same text", build_model(b)));
  EXPECT_EQ(scenario_hash("same text", build_model(a)), scenario_hash("same text", build_model(a)));
}
