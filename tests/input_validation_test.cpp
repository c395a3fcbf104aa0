// Input that used to be accepted silently or refused for the wrong reason (issue 8, parts 2 and 5):
// one set of rules for counts from the file and from the command line, the largest sample count,
// wrap-free size arithmetic, non-finite numbers, negative reserves and prices, heavy tails.
#include "scenario/scenario.hpp"

#include "mcrev/core/error.hpp"
#include "test_util.hpp"

#include <cmath>
#include <functional>
#include <string>

using namespace mcrev;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(no error)";
}

const char* kGroups = R"(
[[bidders]]
count = 2
value = { dist = "uniform", low = 0.0, high = 1.0 }
)";

}  // namespace

TEST(CountRules, CommandLineTextMatchesTheFileKey) {
  // Same value, same verdict and message, from TOML and from command-line text.
  struct C {
    const char* toml;
    const char* text;
    const char* message;
  };
  const C cases[] = {
      {"-5", "-5", "samples: must be at least 1, got -5"},
      {"0", "0", "samples: must be at least 1, got 0"},
      {"2.5", "2.5", "samples: must be a whole number, got 2.5"},
      {"1e30", "1e30", "samples: too large (the largest supported is 100000000000000000 = 1e17), got 1e+30"},
      {"inf", "inf", "samples: must be finite, got inf"},
      {"nan", "nan", "samples: must be finite, got nan"},
  };
  for (const C& c : cases) {
    EXPECT_EQ(error_of([&] { parse_scenario(std::string("samples = ") + c.toml + kGroups + "[[mechanisms]]\nkind = \"second_price\"\n"); }),
              c.message)
        << c.toml;
    EXPECT_EQ(error_of([&] { parse_count(c.text, "samples", 1, kMaxSamples); }), c.message) << c.text;
  }
  EXPECT_EQ(parse_count("1e3", "-n", 1, kMaxSamples), 1000u);
  EXPECT_EQ(parse_count("10_000", "-n", 1, kMaxSamples), 10000u);
  EXPECT_EQ(parse_count("100000000000000000", "-n", 1, kMaxSamples), kMaxSamples);
  EXPECT_EQ(parse_count("18446744073709551615", "--seed", 0, UINT64_MAX), UINT64_MAX);
  EXPECT_EQ(error_of([] { parse_count("18446744073709551616", "--seed", 0, UINT64_MAX); }),
            "--seed: too large (the largest supported is 2^64 - 1), got 18446744073709551616");
  EXPECT_EQ(error_of([] { parse_count("-1", "--seed", 0, UINT64_MAX); }), "--seed: must be at least 0, got -1");
  EXPECT_EQ(error_of([] { parse_count("", "-n", 1, 10); }), "-n: expected a whole number, got ''");
  EXPECT_EQ(error_of([] { parse_count("1e3x", "-n", 1, 10); }), "-n: expected a whole number, got '1e3x'");
  EXPECT_EQ(parse_scenario(std::string("samples = 1e7") + kGroups + "[[mechanisms]]\nkind = \"second_price\"\n").samples,
            10000000u);
}

TEST(CountRules, LibraryScenariosAndBackendsRefuseWhatWouldWrap) {
  Scenario sc = test::iid(2, test::uniform(0, 1), kMaxSamples + 1);
  sc.mechanisms.push_back(test::mech(MechKind::SecondPrice));
  EXPECT_EQ(error_of([&] { validate(sc); }),
            "samples: too large (the largest supported is 100000000000000000 = 1e17), got 100000000000000001");
  sc.samples = UINT64_MAX;  // (samples + chunk − 1) would wrap to a handful of chunks
  EXPECT_NE(error_of([&] { validate(sc); }).find("too large"), std::string::npos);
  sc.samples = 1000;
  const ModelData md = build_model(sc);
  RunOptions o;
  o.chunk_profiles = std::uint64_t{1} << 63;  // a power of two × 256, but (samples + chunk − 1) wraps
  EXPECT_NE(error_of([&] { run_cpu(md, 1000, o); }).find("at most 2^40"), std::string::npos);
  o.chunk_profiles = 1 << 16;
  EXPECT_NE(error_of([&] { run_cpu(md, UINT64_MAX, o); }).find("too large"), std::string::npos);
}

TEST(InputRules, NonFiniteNumbersSayMustBeFinite) {
  auto value = [](const std::string& v) {
    return error_of([&] {
      parse_scenario("[[bidders]]\ncount = 2\nvalue = " + v + "\n[[mechanisms]]\nkind = \"second_price\"\n");
    });
  };
  EXPECT_EQ(value(R"({ dist = "uniform", low = 0.0, high = inf })"), "bidders[0].value.high: must be finite, got inf");
  EXPECT_EQ(value(R"({ dist = "uniform", low = nan, high = 1.0 })"), "bidders[0].value.low: must be finite, got nan");
  EXPECT_EQ(value(R"({ dist = "exponential", rate = inf })"), "bidders[0].value.rate: must be finite, got inf");
  EXPECT_EQ(value(R"({ dist = "discrete", values = [0.0, nan], probs = [0.5, 0.5] })"),
            "bidders[0].value.values[1]: must be finite, got nan");
  // +inf stays the documented "unbounded" for the optional upper truncation of the heavy-tailed kinds.
  EXPECT_EQ(value(R"({ dist = "lognormal", mu = 0.0, sigma = 1.0, high = inf })"), "(no error)");
  EXPECT_EQ(value(R"({ dist = "pareto", scale = 1.0, shape = 3.0, high = nan })"),
            "bidders[0].value.high: must be finite, got nan");
  EXPECT_EQ(error_of([] {
              parse_scenario(std::string(kGroups) + "[[mechanisms]]\nkind = \"second_price\"\nreserve = nan\n");
            }),
            "mechanisms[0].reserve: must be finite, got nan");
}

// The seller never pays to sell: a negative reserve (number or per-group list), minimum bid or price
// is refused for every mechanism kind with the same message.
TEST(InputRules, NegativeReservesAndPricesAreRefusedForEveryKind) {
  const std::string two_groups = R"(
[[bidders]]
count = 1
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[bidders]]
name = "b"
count = 1
value = { dist = "uniform", low = 0.0, high = 1.0 }
)";
  const char* msg = ": must be at least 0 (the seller never pays to sell), got -0.5";
  for (const char* kind : {"second_price", "first_price", "all_pay"}) {
    for (const char* st : {"truthful", "bne"}) {
      EXPECT_EQ(error_of([&] {
                  parse_scenario(two_groups + "[[mechanisms]]\nkind = \"" + kind + "\"\nstrategy = \"" + st +
                                 "\"\nreserve = -0.5\n");
                }),
                std::string("mechanisms[0].reserve") + msg)
          << kind << " " << st;
    }
    EXPECT_EQ(error_of([&] {
                parse_scenario(two_groups + "[[mechanisms]]\nkind = \"" + kind + "\"\nreserve = [0.25, -0.5]\n");
              }),
              std::string("mechanisms[0].reserve[1]") + msg)
        << kind;
  }
  for (const char* kind : {"posted_price", "random_offer"})
    EXPECT_EQ(error_of([&] { parse_scenario(two_groups + "[[mechanisms]]\nkind = \"" + kind + "\"\nprice = -0.5\n"); }),
              std::string("mechanisms[0].price") + msg)
        << kind;
  // In code as well (library use).
  Scenario sc = test::iid(1, test::uniform(0, 1), 1000);
  sc.mechanisms.push_back(test::mech(MechKind::SecondPrice, "sp", -1.0));
  EXPECT_EQ(error_of([&] { validate(sc); }), "mechanisms[0].reserve: must be at least 0 (the seller never pays to sell), got -1");
  // Zero is allowed, and with one bidder second price then earns 0 (never −1).
  sc.mechanisms[0].reserve = 0.0;
  const RunResult r = test::run_cpu_scenario(sc);
  EXPECT_EQ(r.mechanisms[0].revenue.mean, 0.0);
}

TEST(InputRules, HeavyTailsWarnThatIntervalsAreNotValid) {
  auto warnings = [](const std::string& value) {
    return scenario_warnings(parse_scenario("[[bidders]]\ncount = 2\nvalue = " + value +
                                            "\n[[mechanisms]]\nkind = \"second_price\"\n"));
  };
  for (double shape : {0.5, 1.0, 1.5, 2.0, 2.5}) {
    char v[128];
    std::snprintf(v, sizeof v, R"({ dist = "pareto", scale = 1.0, shape = %g })", shape);
    const std::vector<std::string> w = warnings(v);
    if (shape > 2) {
      EXPECT_TRUE(w.empty()) << shape;
      continue;
    }
    ASSERT_EQ(w.size(), 1u) << shape;
    EXPECT_NE(w[0].find(shape <= 1 ? "infinite mean" : "infinite variance"), std::string::npos) << w[0];
    EXPECT_NE(w[0].find("not valid"), std::string::npos) << w[0];
  }
  // A truncated Pareto has every moment; a Pareto inside a mixture still has its tail.
  EXPECT_TRUE(warnings(R"({ dist = "pareto", scale = 1.0, shape = 0.5, high = 100.0 })").empty());
  EXPECT_EQ(warnings(R"({ dist = "mixture", weights = [0.5, 0.5], components = [ { dist = "uniform", low = 0.0, high = 1.0 }, { dist = "pareto", scale = 1.0, shape = 1.5 } ] })")
                .size(),
            1u);
}

TEST(InputRules, DirectoriesAreNotReadableFiles) {
  const std::string dir = std::string(MCREV_SOURCE_DIR) + "/examples";
  EXPECT_EQ(error_of([&] { load_scenario_file(dir); }), "scenario file '" + dir + "' is not a readable file (it is a directory)");
  EXPECT_EQ(error_of([&] {
              parse_scenario(std::string(kGroups) + "[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"table\"\nfile = \"data\"\n",
                             dir);
            }),
            "mechanisms[0].file: strategy table '" + dir + "/data' is not a readable file (it is a directory)");
  EXPECT_EQ(error_of([&] {
              parse_scenario("[[bidders]]\ncount = 2\nvalue = { dist = \"empirical\", file = \"data\" }\n"
                             "[[mechanisms]]\nkind = \"second_price\"\n",
                             dir);
            }),
            "bidders[0].value.file: values file '" + dir + "/data' is not a readable file (it is a directory)");
}

TEST(InputRules, AMisspeltRequiredKeyIsNamedNotReportedMissing) {
  // A required key that is absent next to an unread key within two edits of it: the misspelt key
  // is named (it used to read "bidders[0].value: is required").
  auto path_of = [](const std::string& text) {
    try {
      parse_scenario(text);
    } catch (const ScenarioError& e) {
      return std::make_pair(e.path(), std::string(e.what()));
    }
    return std::make_pair(std::string("(none)"), std::string());
  };
  const std::string mech = "[[mechanisms]]\nkind = \"second_price\"\n";
  auto [p1, m1] = path_of("[[bidders]]\ncount = 2\nvaleu = { dist = \"uniform\", low = 0.0, high = 1.0 }\n" + mech);
  EXPECT_EQ(p1, "bidders[0].valeu");
  EXPECT_NE(m1.find("did you mean 'value'"), std::string::npos) << m1;
  auto [p2, m2] = path_of("[[bidders]]\ncount = 2\nrisk = { kind = \"crra\", rhoo = 0.5 }\n"
                          "value = { dist = \"uniform\", low = 0.0, high = 1.0 }\n" + mech);
  EXPECT_EQ(p2, "bidders[0].risk.rhoo");
  EXPECT_NE(m2.find("did you mean 'rho'"), std::string::npos) << m2;
  // Nothing close: still "is required".
  auto [p3, m3] = path_of("[[bidders]]\ncount = 2\nxyzzy = 1\n" + mech);
  EXPECT_EQ(p3, "bidders[0].value");
  EXPECT_NE(m3.find("is required"), std::string::npos) << m3;
}

TEST(InputRules, NamesThatWouldBreakCsvFieldsAreRefused) {
  const std::string group = "[[bidders]]\ncount = 2\nvalue = { dist = \"uniform\", low = 0.0, high = 1.0 }\n";
  for (const char* bad : {"a,b", "say \\\"hi\\\"", ""}) {
    const std::string mech = std::string("[[mechanisms]]\nkind = \"second_price\"\nname = \"") + bad + "\"\n";
    const std::string e = error_of([&] { parse_scenario(group + mech); });
    EXPECT_EQ(e.rfind("mechanisms[0].name: ", 0), 0u) << e;
  }
  const std::string e = error_of([&] {
    parse_scenario("[[bidders]]\nname = \"x,y\"\ncount = 2\nvalue = { dist = \"uniform\", low = 0.0, high = 1.0 }\n"
                   "[[mechanisms]]\nkind = \"second_price\"\n");
  });
  EXPECT_EQ(e.rfind("bidders[0].name: must not contain a comma", 0), 0u) << e;
}
