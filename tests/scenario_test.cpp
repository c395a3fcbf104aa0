// Scenario parsing: every key, and errors that name the key path and the problem.
#include "scenario/scenario.hpp"

#include "mcrev/core/error.hpp"
#include "test_util.hpp"

#include <dirent.h>

using namespace mcrev;

namespace {

const char* kMinimal = R"(
[[bidders]]
count = 3
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[mechanisms]]
kind = "second_price"
)";

// Expects a ScenarioError whose path equals `path` and whose message contains `needle`.
void expect_error(const std::string& toml, const std::string& path, const std::string& needle) {
  try {
    parse_scenario(toml);
    ADD_FAILURE() << "no error for: " << toml;
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.path(), path) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

std::string replace(std::string s, const std::string& a, const std::string& b) {
  const auto i = s.find(a);
  EXPECT_NE(i, std::string::npos) << a;
  return s.replace(i, a.size(), b);
}

}  // namespace

TEST(Scenario, ParsesEveryKey) {
  const Scenario sc = parse_scenario(R"(
samples = 12345
seed = 99
backend = "cpu"
confidence = 0.9
description = "a test"
[[bidders]]
name = "weak"
count = 2
value = { dist = "uniform", low = 0, high = 1 }
[[bidders]]
name = "strong"
value = { dist = "exponential", rate = 2.0, shift = 1.0 }
[[mechanisms]]
kind = "second_price"
name = "vickrey"
reserve = [0.2, 1.5]
seller_value = 0.1
[[mechanisms]]
kind = "first_price"
strategy = "shade"
factor = 0.75
reserve = 0.3
[[mechanisms]]
kind = "all_pay"
strategy = "truthful"
[[mechanisms]]
kind = "posted_price"
price = 0.8
[[mechanisms]]
kind = "random_offer"
price = 1.2
)");
  EXPECT_EQ(sc.samples, 12345u);
  EXPECT_EQ(sc.seed, 99u);
  EXPECT_EQ(sc.backend, Backend::Cpu);
  EXPECT_DOUBLE_EQ(sc.confidence, 0.9);
  ASSERT_EQ(sc.groups.size(), 2u);
  EXPECT_EQ(sc.groups[0].name, "weak");
  EXPECT_EQ(sc.groups[0].count, 2);
  EXPECT_EQ(sc.groups[1].count, 1);
  EXPECT_EQ(sc.groups[1].value.dist.kind, DistKind::Exponential);
  EXPECT_DOUBLE_EQ(sc.groups[1].value.dist.low, 1.0);
  ASSERT_EQ(sc.mechanisms.size(), 5u);
  EXPECT_EQ(sc.mechanisms[0].name, "vickrey");
  EXPECT_EQ(sc.mechanisms[0].group_reserves, (std::vector<double>{0.2, 1.5}));
  EXPECT_DOUBLE_EQ(sc.mechanisms[0].seller_value, 0.1);
  EXPECT_EQ(sc.mechanisms[1].strategy.kind, StrategySpec::Shade);
  EXPECT_DOUBLE_EQ(sc.mechanisms[1].strategy.factor, 0.75);
  EXPECT_DOUBLE_EQ(sc.mechanisms[1].reserve, 0.3);
  EXPECT_EQ(sc.mechanisms[2].strategy.kind, StrategySpec::Truthful);
  EXPECT_DOUBLE_EQ(sc.mechanisms[3].price, 0.8);
  EXPECT_EQ(sc.mechanisms[4].kind, MechKind::RandomOffer);
}

TEST(Scenario, DefaultsAndUniqueNames) {
  const Scenario sc = parse_scenario(std::string(kMinimal) + "[[mechanisms]]\nkind = \"second_price\"\nreserve = 0.5\n"
                                     "[[mechanisms]]\nkind = \"first_price\"\n");
  EXPECT_EQ(sc.samples, 1000000u);
  EXPECT_EQ(sc.backend, Backend::Auto);
  EXPECT_EQ(sc.mechanisms[0].name, "second_price");
  EXPECT_EQ(sc.mechanisms[1].name, "second_price_1");
  EXPECT_EQ(sc.mechanisms[2].strategy.kind, StrategySpec::Bne);  // first price defaults to its equilibrium
  EXPECT_EQ(parse_scenario("samples = 1e6\n" + std::string(kMinimal)).samples, 1000000u);
}

TEST(Scenario, ErrorsNameTheKeyPath) {
  const std::string m = kMinimal;
  expect_error("sample = 10\n" + m, "sample", "unknown key");
  expect_error("samples = 0\n" + m, "samples", "at least 1");
  expect_error("samples = 1.5\n" + m, "samples", "whole number");
  expect_error("samples = \"many\"\n" + m, "samples", "expected an integer");
  expect_error("seed = -1\n" + m, "seed", "at least 0");
  expect_error("backend = \"gpu\"\n" + m, "backend", "unknown backend");
  expect_error("confidence = 1.5\n" + m, "confidence", "strictly between");
  expect_error(replace(m, "low = 0.0", "low = 1.0"), "bidders[0].value.low", "below high");
  expect_error(replace(m, "high = 1.0", "high = \"1\""), "bidders[0].value.high", "expected a number");
  expect_error(replace(m, "count = 3", "count = 0"), "bidders[0].count", "at least 1");
  expect_error(replace(m, "count = 3", "count = 5000"), "bidders[0].count", "at most 1024");
  expect_error(replace(m, "count = 3", "colour = 3"), "bidders[0].colour", "unknown key");
  expect_error(replace(m, "\"uniform\", low = 0.0, high = 1.0", "\"exponential\", rate = -2"),
               "bidders[0].value.rate", "positive");
  expect_error(replace(m, "\"uniform\", low = 0.0, high = 1.0", "\"uniform\", low = 0.0, high = 1.0, rate = 2"),
               "bidders[0].value.rate", "unknown key");
  expect_error(replace(m, "\"uniform\"", "\"cauchy\""), "bidders[0].value.dist", "unknown distribution");
  expect_error(replace(m, "\"uniform\", low = 0.0, high = 1.0", "\"normal\", mean = 0, sd = 0, low = 0, high = 1"),
               "bidders[0].value.sd", "positive");
  expect_error(replace(m, "\"uniform\", low = 0.0, high = 1.0",
                       "\"empirical\", points = [[0.0, 0.0], [1.0, 0.5]]"),
               "bidders[0].value.points[1]", "F = 1");
  expect_error(replace(m, "\"uniform\", low = 0.0, high = 1.0", "\"empirical\", file = \"/nonexistent.csv\""),
               "bidders[0].value.file", "cannot open");
  expect_error(replace(m, "\"second_price\"", "\"dutch\""), "mechanisms[0].kind", "unknown mechanism kind");
  expect_error(m + "reserve = \"high\"\n", "mechanisms[0].reserve", "expected a number");
  expect_error(m + "reserve = [0.1, 0.2]\n", "mechanisms[0].reserve", "one per bidder group");
  expect_error(m + "price = 0.5\n", "mechanisms[0].price", "posted_price and random_offer");
  expect_error(m + "strategy = \"greedy\"\n", "mechanisms[0].strategy", "unknown strategy");
  expect_error(m + "strategy = \"shade\"\n", "mechanisms[0].factor", "is required");
  expect_error(m + "strategy = \"shade\"\nfactor = -1\n", "mechanisms[0].factor", "positive");
  expect_error(m + "[[mechanisms]]\nkind = \"posted_price\"\n", "mechanisms[1].price", "is required");
  expect_error(m + "[[mechanisms]]\nkind = \"posted_price\"\nprice = 1\nstrategy = \"bne\"\n",
               "mechanisms[1].strategy", "does not apply");
  expect_error(m + "[[mechanisms]]\nkind = \"second_price\"\nname = \"second_price\"\n", "mechanisms[1].name",
               "already used");
  expect_error("[[mechanisms]]\nkind = \"second_price\"\n", "bidders", "is required");
  expect_error("[[bidders]]\nvalue = { dist = \"uniform\", low = 0, high = 1 }\n", "mechanisms", "is required");
  expect_error("bidders = 3\n[[mechanisms]]\nkind = \"second_price\"\n", "bidders", "array of tables");
  expect_error(m + "[[bidders]]\ncount = 2\nvalue = { dist = \"uniform\", low = 0, high = 2 }\n"
                   "[[mechanisms]]\nkind = \"all_pay\"\n",
               "mechanisms[1].strategy", "symmetric");
}

TEST(Scenario, SyntaxErrorNamesLineAndColumn) {
  try {
    parse_scenario("samples = 10\nseed = = 3\n", ".", "bad.toml");
    FAIL();
  } catch (const ScenarioError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.toml:2:"), std::string::npos) << e.what();
  }
}

TEST(Scenario, MissingFile) { EXPECT_THROW(load_scenario_file("/nonexistent/x.toml"), ScenarioError); }

TEST(Scenario, EveryExampleParsesAndValidates) {
  const std::string dir = std::string(MCREV_SOURCE_DIR) + "/examples";
  DIR* d = opendir(dir.c_str());
  ASSERT_NE(d, nullptr);
  int n = 0;
  while (dirent* e = readdir(d)) {
    const std::string f = e->d_name;
    if (f.size() > 5 && f.substr(f.size() - 5) == ".toml") {
      EXPECT_NO_THROW(build_model(load_scenario_file(dir + "/" + f))) << f;
      ++n;
    }
  }
  closedir(d);
  EXPECT_GE(n, 3);
}
