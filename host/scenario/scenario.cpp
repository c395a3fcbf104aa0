#include "scenario/scenario.hpp"
#include "vr/variance_reduction.hpp"
#include "scenario/quantized_scenario.hpp"
#include "scenario/incentives_scenario.hpp"
#include "scenario/strategy_table.hpp"

#include "solvers/distribution_ext.hpp"

#include "mcrev/core/error.hpp"
#include "mcrev/core/special.hpp"

#include "scenario/toml_util.hpp"
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace mcrev {

namespace {


/// A table being read: records which keys were used, so leftovers are reported as unknown.
class Reader {
 public:
  Reader(const toml::table& t, std::string path) : t_(t), path_(std::move(path)) {}

  std::string key_path(const std::string& k) const { return path_.empty() ? k : path_ + "." + k; }
  bool has(const std::string& k) const { return t_.contains(k); }
  const toml::node* node(const std::string& k) {
    used_.insert(k);
    return t_.get(k);
  }

  double number(const std::string& k) {
    const toml::node* n = node(k);
    if (!n) missing(k);
    return as_number(*n, key_path(k));
  }
  double number(const std::string& k, double fallback) { return has(k) ? number(k) : fallback; }
  /// Like number(k) but +inf is accepted (an optional upper truncation point: unbounded).
  double number_or_inf(const std::string& k) {
    const toml::node* n = node(k);
    if (!n) missing(k);
    if (auto f = n->as_floating_point(); f && f->get() == HUGE_VAL) return HUGE_VAL;
    return as_number(*n, key_path(k));
  }
  /// Every number of a scenario must be finite: nan and ±inf are refused here, naming the key.
  static double as_number(const toml::node& n, const std::string& path) {
    if (auto i = n.as_integer()) return static_cast<double>(i->get());
    if (auto f = n.as_floating_point()) {
      MCREV_EXPECTS(std::isfinite(f->get()), path, "must be finite, got " + std::string(std::isnan(f->get()) ? "nan" : f->get() > 0 ? "inf" : "-inf"));
      return f->get();
    }
    throw ScenarioError(path, "expected a number, found " + toml_type_name(n));
  }

  std::uint64_t count(const std::string& k, std::uint64_t fallback, std::uint64_t min_value, std::uint64_t max_value) {
    if (!has(k)) return fallback;
    const toml::node* n = node(k);
    if (auto i = n->as_integer()) return checked_count(i->get(), key_path(k), min_value, max_value);
    if (auto f = n->as_floating_point()) return checked_count(f->get(), key_path(k), min_value, max_value);
    throw ScenarioError(key_path(k), "expected an integer, found " + toml_type_name(*n));
  }

  std::string string(const std::string& k, const std::string& fallback) {
    if (!has(k)) return fallback;
    const toml::node* n = node(k);
    if (auto s = n->as_string()) return s->get();
    throw ScenarioError(key_path(k), "expected a string, found " + toml_type_name(*n));
  }

  const toml::table& table(const std::string& k) {
    const toml::node* n = node(k);
    if (!n) missing(k);
    if (auto t = n->as_table()) return *t;
    throw ScenarioError(key_path(k), "expected a table, found " + toml_type_name(*n));
  }

  std::vector<double> numbers(const std::string& k) {
    const toml::node* n = node(k);
    if (!n) missing(k);
    const toml::array* a = n->as_array();
    MCREV_EXPECTS(a, key_path(k), "expected an array of numbers, found " + toml_type_name(*n));
    std::vector<double> out;
    for (size_t i = 0; i < a->size(); ++i) out.push_back(as_number(*a->get(i), key_path(k) + "[" + std::to_string(i) + "]"));
    return out;
  }

  /// A required key k is absent: a key of the table within two edits of k is named as a likely
  /// misspelling ("bidders[0].valeu: unknown key (did you mean 'value'?)"); else "k: is required".
  [[noreturn]] void missing(const std::string& k, const std::string& why = "") const {
    for (auto&& [key, v] : t_) {
      const std::string name(key.str());
      if (!used_.count(name) && name != k && edit_distance(name, k) <= 2)
        throw ScenarioError(key_path(name), "unknown key (did you mean '" + k + "'? '" + k + "' is required)");
    }
    throw ScenarioError(key_path(k), "is required" + (why.empty() ? "" : " " + why));
  }
  static size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<size_t> d(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) d[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      size_t diag = d[0];
      d[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        const size_t up = d[j];
        d[j] = std::min({d[j] + 1, d[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
        diag = up;
      }
    }
    return d[b.size()];
  }

  /// Throws for the first key that was never read.
  void finish() const {
    for (auto&& [k, v] : t_) {
      const std::string key(k.str());
      if (!used_.count(key)) throw ScenarioError(key_path(key), "unknown key");
    }
  }

 private:
  const toml::table& t_;
  std::string path_;
  std::set<std::string> used_;
};

/// Names are CSV fields (--format csv, sweep rows, Python frames): no separators, quotes or line breaks.
void check_csv_name(const std::string& name, const std::string& path) {
  MCREV_EXPECTS(!name.empty(), path, "must not be empty");
  MCREV_EXPECTS(name.find_first_of(",\"\n\r") == std::string::npos, path,
                "must not contain a comma, a double quote or a line break (names are CSV fields), got '" + name + "'");
}

std::string fmt_num(double x) {
  std::ostringstream s;
  s << x;
  return s.str();
}

std::vector<double> read_values_file(const std::string& file, const std::string& path) {
  std::ifstream in = open_readable(file, path, "values file");
  std::vector<double> values;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    const auto c = line.find_first_of(",;\t");
    std::string field = c == std::string::npos ? line : line.substr(0, c);
    field.erase(0, field.find_first_not_of(" \t\r"));
    field.erase(field.find_last_not_of(" \t\r") + 1);
    if (field.empty() || field[0] == '#') continue;
    char* end = nullptr;
    const double v = std::strtod(field.c_str(), &end);
    if (end == field.c_str() || *end != '\0') {
      MCREV_EXPECTS(values.empty() && lineno == 1, path,
                    "'" + file + "' line " + std::to_string(lineno) + ": '" + field + "' is not a number");
      continue;  // a header line
    }
    MCREV_EXPECTS(std::isfinite(v), path, "'" + file + "' line " + std::to_string(lineno) + ": value is not finite");
    values.push_back(v);
  }
  return values;
}

/// Piecewise-linear CDF through the sorted observations: F(x_(k)) = k/(m − 1).
void empirical_from_values(std::vector<double> values, DistributionSpec& spec, const std::string& path) {
  MCREV_EXPECTS(values.size() >= 2, path, "an empirical distribution needs at least 2 observed values");
  std::sort(values.begin(), values.end());
  MCREV_EXPECTS(values.front() < values.back(), path, "all observed values are equal; use a degenerate range");
  const size_t m = values.size();
  spec.table_x = values;
  spec.table_f.resize(m);
  for (size_t k = 0; k < m; ++k) spec.table_f[k] = static_cast<double>(k) / static_cast<double>(m - 1);
}

#include "scenario/scenario_more.inl"

}  // namespace

Backend parse_backend(const std::string& name, const std::string& path) {
  if (name == "auto") return Backend::Auto;
  if (name == "cpu") return Backend::Cpu;
  if (name == "cuda") return Backend::Cuda;
  throw ScenarioError(path, "unknown backend '" + name + "' (expected auto, cpu or cuda)");
}

namespace {

DistributionSpec parse_distribution(Reader& r, const std::string& base_dir) {
  DistributionSpec spec;
  Distribution& d = spec.dist;
  const std::string kind = r.string("dist", "");
  MCREV_EXPECTS(!kind.empty(), r.key_path("dist"),
                "is required (uniform, exponential, power, normal, empirical, beta, lognormal, pareto, gamma, discrete, mixture)");
  if (kind == "uniform") {
    d.kind = DistKind::Uniform;
    d.low = r.number("low");
    d.high = r.number("high");
    MCREV_EXPECTS(std::isfinite(d.low) && std::isfinite(d.high) && d.low < d.high, r.key_path("low"),
                  "low must be below high (low = " + fmt_num(d.low) + ", high = " + fmt_num(d.high) + ")");
    spec.describe = "uniform[" + fmt_num(d.low) + ", " + fmt_num(d.high) + "]";
  } else if (kind == "exponential") {
    d.kind = DistKind::Exponential;
    d.p[0] = r.number("rate");
    MCREV_EXPECTS(std::isfinite(d.p[0]) && d.p[0] > 0, r.key_path("rate"), "must be positive, got " + fmt_num(d.p[0]));
    d.low = r.number("shift", 0.0);
    MCREV_EXPECTS(std::isfinite(d.low), r.key_path("shift"), "must be finite");
    d.high = HUGE_VAL;
    spec.describe = "exponential(rate " + fmt_num(d.p[0]) + (d.low != 0 ? ", shift " + fmt_num(d.low) : "") + ")";
  } else if (kind == "power") {
    d.kind = DistKind::Power;
    d.low = r.number("low", 0.0);
    d.high = r.number("high", 1.0);
    d.p[0] = r.number("k");
    MCREV_EXPECTS(std::isfinite(d.low) && std::isfinite(d.high) && d.low < d.high, r.key_path("low"),
                  "low must be below high");
    MCREV_EXPECTS(std::isfinite(d.p[0]) && d.p[0] > 0, r.key_path("k"), "must be positive, got " + fmt_num(d.p[0]));
    spec.describe = "power(k " + fmt_num(d.p[0]) + ") on [" + fmt_num(d.low) + ", " + fmt_num(d.high) + "]";
  } else if (kind == "normal" || kind == "truncated_normal") {
    d.kind = DistKind::TruncNormal;
    const double mean = r.number("mean"), sd = r.number("sd");
    d.low = r.number("low");
    d.high = r.number("high");
    MCREV_EXPECTS(std::isfinite(mean), r.key_path("mean"), "must be finite");
    MCREV_EXPECTS(std::isfinite(sd) && sd > 0, r.key_path("sd"), "must be positive, got " + fmt_num(sd));
    MCREV_EXPECTS(std::isfinite(d.low) && std::isfinite(d.high) && d.low < d.high, r.key_path("low"),
                  "low must be below high (the normal is truncated to [low, high])");
    d.p[0] = mean;
    d.p[1] = sd;
    d.p[2] = normal_cdf((d.low - mean) / sd);
    d.p[3] = normal_sf((d.high - mean) / sd);
    MCREV_EXPECTS(1.0 - d.p[2] - d.p[3] > 1e-12, r.key_path("low"),
                  "[low, high] holds (almost) no mass of N(mean, sd^2); move the interval or widen sd");
    spec.describe = "normal(" + fmt_num(mean) + ", sd " + fmt_num(sd) + ") truncated to [" + fmt_num(d.low) + ", " +
                    fmt_num(d.high) + "]";
  } else if (kind == "empirical") {
    d.kind = DistKind::Empirical;
    const int sources = r.has("points") + r.has("values") + r.has("file");
    MCREV_EXPECTS(sources == 1, r.key_path("dist"), "an empirical distribution needs exactly one of points, values, file");
    if (r.has("points")) {
      const toml::node* n = r.node("points");
      const toml::array* a = n->as_array();
      const std::string path = r.key_path("points");
      MCREV_EXPECTS(a && a->size() >= 2, path, "expected an array of at least two [x, F] pairs");
      for (size_t i = 0; i < a->size(); ++i) {
        const std::string pi = path + "[" + std::to_string(i) + "]";
        const toml::array* pair = a->get(i)->as_array();
        MCREV_EXPECTS(pair && pair->size() == 2, pi, "expected a pair [x, F]");
        const double x = Reader::as_number(*pair->get(0), pi + "[0]");
        const double f = Reader::as_number(*pair->get(1), pi + "[1]");
        MCREV_EXPECTS(std::isfinite(x), pi, "x must be finite");
        MCREV_EXPECTS(f >= 0 && f <= 1, pi, "F must lie in [0, 1], got " + fmt_num(f));
        if (i > 0) {
          MCREV_EXPECTS(x >= spec.table_x.back(), pi, "x must not decrease");
          MCREV_EXPECTS(f >= spec.table_f.back(), pi, "F must not decrease");
        }
        spec.table_x.push_back(x);
        spec.table_f.push_back(f);
      }
      MCREV_EXPECTS(spec.table_f.front() == 0.0, path + "[0]", "the first point must have F = 0");
      MCREV_EXPECTS(spec.table_f.back() == 1.0, path + "[" + std::to_string(a->size() - 1) + "]",
                    "the last point must have F = 1");
      MCREV_EXPECTS(spec.table_x.front() < spec.table_x.back(), path, "the points span no range of values");
    } else if (r.has("values")) {
      empirical_from_values(r.numbers("values"), spec, r.key_path("values"));
    } else {
      std::string file = r.string("file", "");
      if (!file.empty() && file[0] != '/') file = base_dir + "/" + file;
      empirical_from_values(read_values_file(file, r.key_path("file")), spec, r.key_path("file"));
    }
    d.low = spec.table_x.front();
    d.high = spec.table_x.back();
    spec.describe = "empirical(" + std::to_string(spec.table_x.size()) + " points on [" + fmt_num(d.low) + ", " +
                    fmt_num(d.high) + "])";
  } else if (parse_distribution_more(kind, r, spec)) {
  } else if (kind == "discrete") {
    const std::string base = r.key_path("dist").substr(0, r.key_path("dist").size() - 5);  // strip ".dist"
    spec = make_discrete(r.numbers("values"), r.numbers("probs"), base);
  } else if (kind == "mixture") {
    const std::string base = r.key_path("dist").substr(0, r.key_path("dist").size() - 5);
    const std::vector<double> weights = r.numbers("weights");
    const toml::node* n = r.node("components");
    const std::string path = r.key_path("components");
    const toml::array* a = n ? n->as_array() : nullptr;
    MCREV_EXPECTS(a && !a->empty(), path,
                  n ? "expected a non-empty array of distributions, e.g. [ { dist = \"uniform\", low = 0.0, high = 1.0 } ]"
                    : "is required");
    std::vector<DistributionSpec> components;
    for (size_t i = 0; i < a->size(); ++i) {
      const std::string pi = path + "[" + std::to_string(i) + "]";
      const toml::table* t = a->get(i)->as_table();
      MCREV_EXPECTS(t, pi, "expected a distribution table such as { dist = \"uniform\", low = 0.0, high = 1.0 }");
      Reader cr(*t, pi);
      components.push_back(parse_distribution(cr, base_dir));
    }
    spec = make_mixture(weights, std::move(components), base);
  } else {
    throw ScenarioError(r.key_path("dist"), "unknown distribution '" + kind +
                                                "' (expected uniform, exponential, power, normal, empirical, beta, "
                                                "lognormal, pareto, gamma, discrete, mixture)");
  }
  r.finish();
  return spec;
}

/// The kind named `k` in `market` (mcrev/mechanisms/kinds.hpp).
MechKind parse_kind(const std::string& k, MarketKind market, const std::string& path) {
  std::string names;
#define MCREV_KIND_LOOKUP(name, mk, toml, family)                    \
  if (MarketKind::mk == market) {                                   \
    if (k == toml) return MechKind::name;                           \
    names += names.empty() ? toml : std::string(", ") + toml;      \
  }
  MCREV_MECHANISMS(MCREV_KIND_LOOKUP)
#undef MCREV_KIND_LOOKUP
  std::string elsewhere;
#define MCREV_KIND_ELSEWHERE(name, mk, toml, family) \
  if (MarketKind::mk != market && k == toml && elsewhere.empty()) elsewhere = market_name(MarketKind::mk);
  MCREV_MECHANISMS(MCREV_KIND_ELSEWHERE)
#undef MCREV_KIND_ELSEWHERE
  if (!elsewhere.empty())
    throw ScenarioError(path, "'" + k + "' runs in [market] kind = \"" + elsewhere + "\"; the scenario's market is \"" +
                                  market_name(market) + "\" (expected " + names + ")");
  throw ScenarioError(path, "unknown mechanism kind '" + k + "' for [market] kind = \"" + market_name(market) +
                                "\" (expected " + names + ")");
}

/// What a mechanism family's `read` sees of its [[mechanisms]] table (docs/architecture.md): the
/// scenario reader plus the services shared by several families (strategies, quantized keys).
class MechanismKeys {
 public:
  MechanismKeys(Reader& r, const toml::table& t, std::string kind, const Scenario& sc, std::string base_dir)
      : r_(r), t_(t), kind_(std::move(kind)), sc_(sc), base_dir_(std::move(base_dir)) {}
  bool has(const std::string& k) const { return r_.has(k); }
  double number(const std::string& k) { return r_.number(k); }
  double number(const std::string& k, double fallback) { return r_.number(k, fallback); }
  std::string string(const std::string& k, const std::string& fallback) { return r_.string(k, fallback); }
  std::vector<double> numbers(const std::string& k) { return r_.numbers(k); }
  bool is_array(const std::string& k) const { return has(k) && t_.get(k)->is_array(); }
  bool is_string(const std::string& k) const { return has(k) && t_.get(k)->is_string(); }
  std::string key_path(const std::string& k) const { return r_.key_path(k); }
  const std::string& kind_name() const { return kind_; }
  void forbid(const std::string& k, const std::string& why) const { MCREV_EXPECTS(!has(k), key_path(k), why); }
  void expect(bool ok, const std::string& k, const std::string& why) const { MCREV_EXPECTS(ok, key_path(k), why); }
  [[noreturn]] void fail(const std::string& k, const std::string& why) const { throw ScenarioError(key_path(k), why); }

  /// strategy (+ factor, file): truthful | shade | table, and bne where allowed.
  void strategy(StrategySpec& out, const std::string& fallback, bool allow_bne) {
    const std::string st = r_.string("strategy", fallback);
    if (st == "truthful") {
      out.kind = StrategySpec::Truthful;
    } else if (st == "shade") {
      out.kind = StrategySpec::Shade;
      out.factor = r_.number("factor");
    } else if (st == "bne" && allow_bne) {
      out.kind = StrategySpec::Bne;
    } else if (st == "naive") {  // [values] only (host/solvers/interdependent.cpp checks)
      out.kind = StrategySpec::Naive;
    } else if (st == "table") {
      out.kind = StrategySpec::Table;
      std::string file = r_.string("file", "");
      MCREV_EXPECTS(!file.empty(), key_path("file"), "is required for strategy = \"table\" (a CSV of value,bid rows)");
      if (file[0] != '/') file = base_dir_ + "/" + file;
      std::vector<std::string> names;
      for (const GroupSpec& g : sc_.groups) names.push_back(g.name);
      read_strategy_table(file, names, out, key_path("file"));
    } else {
      throw ScenarioError(key_path("strategy"), "unknown strategy '" + st + "' (expected truthful, shade, " +
                                                    (allow_bne ? "bne or table)" : "or table; no equilibrium is implemented for " + kind_ + ")"));
    }
    MCREV_EXPECTS(st == "shade" || !r_.has("factor"), key_path("factor"), "applies to strategy = \"shade\" only");
    MCREV_EXPECTS(st == "table" || !r_.has("file"), key_path("file"), "applies to strategy = \"table\" only");
  }

  /// kind = "quantized": its keys (docs/quantized.md).
  void quantized(QuantizedSpec& q) {
    const std::string path = key_path("kind").substr(0, key_path("kind").size() - 5);
    for (const std::string& k : parse_quantized_keys(t_, path, q)) r_.node(k);
  }

 private:
  Reader& r_;
  const toml::table& t_;
  std::string kind_;
  const Scenario& sc_;
  std::string base_dir_;
};

/// The family's TOML keys through the registry.
void read_mechanism_keys(MechanismKeys& keys, MechanismSpec& ms) {
  switch (ms.kind) {
#define MCREV_KIND_READ(name, market, toml, family) \
  case MechKind::name: return family::read(keys, ms);
    MCREV_MECHANISMS(MCREV_KIND_READ)
#undef MCREV_KIND_READ
  }
}

const toml::array& array_of_tables(const toml::node* n, const std::string& path) {
  const toml::array* a = n ? n->as_array() : nullptr;
  MCREV_EXPECTS(a, path, n ? "expected an array of tables ([[" + path + "]])" : "is required");
  for (size_t i = 0; i < a->size(); ++i)
    MCREV_EXPECTS(a->get(i)->is_table(), path + "[" + std::to_string(i) + "]", "expected a table");
  return *a;
}

}  // namespace

Scenario parse_scenario(const std::string& text, const std::string& base_dir, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << source_name << ":" << e.source().begin.line << ":" << e.source().begin.column << ": TOML syntax error: "
        << e.description();
    throw ScenarioError("", msg.str());
  }
  Scenario sc;
  Reader top(root, "");
  sc.samples = top.count("samples", sc.samples, 1, kMaxSamples);
  sc.seed = top.count("seed", sc.seed, 0, UINT64_MAX);
  sc.backend = parse_backend(top.string("backend", "auto"), "backend");
  sc.confidence = top.number("confidence", sc.confidence);
  MCREV_EXPECTS(sc.confidence > 0 && sc.confidence < 1, "confidence", "must lie strictly between 0 and 1");
  sc.variance_reduction = parse_variance_reduction(top.string("variance_reduction", "none"), "variance_reduction");
  sc.rqmc_replicates = static_cast<int>(top.count("rqmc_replicates", sc.rqmc_replicates, 2, 1 << 20));
  top.string("description", "");
  if (top.has("sweep")) top.node("sweep");  // the [sweep] table: read by `mcrev sweep` (docs/sweeps.md)
  if (top.has("correlation")) {
    Reader cr(top.table("correlation"), "correlation");
    sc.correlation = parse_correlation(cr, base_dir);
  }

  if (top.has("values")) {  // interdependent and common values (mcrev/model/values.hpp)
    Reader vr(top.table("values"), "values");
    const std::string kind = vr.string("kind", "");
    if (kind == "common") sc.values.kind = ValuesKind::Common;
    else if (kind == "interdependent") sc.values.kind = ValuesKind::Interdependent;
    else if (kind == "mineral_rights") sc.values.kind = ValuesKind::MineralRights;  // host/solvers/mineral_rights.hpp
    else if (kind != "private")
      throw ScenarioError("values.kind", kind.empty() ? "is required (private, common, interdependent or mineral_rights)"
                                                      : "unknown values '" + kind + "' (expected private, common, interdependent or mineral_rights)");
    MCREV_EXPECTS(kind == "interdependent" || !vr.has("gamma"), "values.gamma", "applies to kind = \"interdependent\" only");
    if (kind == "interdependent") sc.values.gamma = vr.number("gamma");
    vr.finish();
  }

  if (top.has("market")) {
    Reader mr(top.table("market"), "market");
    const std::string kind = mr.string("kind", "single_item");
    if (kind == "single_item") {
      sc.market.kind = MarketKind::SingleItem;
    } else if (kind == "units") {
      sc.market.kind = MarketKind::Units;
      if (!mr.has("units")) mr.missing("units", "for kind = \"units\" (the number of identical units)");
      const std::uint64_t units = mr.count("units", 0, 1, UINT64_MAX);
      MCREV_EXPECTS(units <= static_cast<std::uint64_t>(kMaxBidders), "market.units",
                    "at most " + std::to_string(kMaxBidders) + " units are supported");
      sc.market.units = static_cast<int>(units);
    } else if (kind == "divisible") {
      sc.market.kind = MarketKind::Divisible;
      if (!mr.has("supply")) mr.missing("supply", "for kind = \"divisible\" (the quantity for sale)");
      sc.market.supply = mr.number("supply");
      MCREV_EXPECTS(std::isfinite(sc.market.supply) && sc.market.supply > 0, "market.supply",
                    "must be a finite number > 0, got " + fmt_num(sc.market.supply));
      sc.market.cap = mr.number("cap", HUGE_VAL);
      MCREV_EXPECTS(sc.market.cap > 0, "market.cap", "must be > 0 (omit it for no cap), got " + fmt_num(sc.market.cap));
    } else if (kind == "combinatorial") {
      sc.market.kind = MarketKind::Combinatorial;
      const toml::node* n = mr.node("items");
      const toml::array* a = n ? n->as_array() : nullptr;
      MCREV_EXPECTS(a && !a->empty(), "market.items", "expected a non-empty array of item names, e.g. [\"A\", \"B\"]");
      MCREV_EXPECTS(static_cast<int>(a->size()) <= kMaxItems, "market.items",
                    std::to_string(a->size()) + " items; at most " + std::to_string(kMaxItems) + " are supported");
      for (size_t i = 0; i < a->size(); ++i) {
        const std::string pi = "market.items[" + std::to_string(i) + "]";
        const auto* str = a->get(i)->as_string();
        MCREV_EXPECTS(str, pi, "expected an item name (a string)");
        MCREV_EXPECTS(std::find(sc.market.items.begin(), sc.market.items.end(), str->get()) == sc.market.items.end(), pi,
                      "item '" + str->get() + "' is listed twice");
        sc.market.items.push_back(str->get());
      }
    } else if (kind == "double_auction") {
      sc.market.kind = MarketKind::DoubleAuction;
    } else if (kind == "public_project") {
      sc.market.kind = MarketKind::PublicProject;
      if (!mr.has("cost")) mr.missing("cost", "for kind = \"public_project\" (the project's cost C)");
      sc.market.cost = mr.number("cost");
      MCREV_EXPECTS(std::isfinite(sc.market.cost), "market.cost", "must be a finite number");
    } else {
      throw ScenarioError("market.kind", "unknown market '" + kind +
                                            "' (expected single_item, units, divisible, combinatorial, double_auction "
                                            "or public_project)");
    }
    if (sc.market.kind != MarketKind::PublicProject)
      MCREV_EXPECTS(!mr.has("cost"), "market.cost", "applies to kind = \"public_project\" only");
    if (sc.market.kind != MarketKind::Units)
      MCREV_EXPECTS(!mr.has("units"), "market.units", "applies to kind = \"units\" only");
    mr.finish();
  }

  const toml::array& groups = array_of_tables(top.node("bidders"), "bidders");
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::string path = "bidders[" + std::to_string(g) + "]";
    Reader r(*groups.get(g)->as_table(), path);
    GroupSpec gs;
    gs.name = r.string("name", groups.size() == 1 ? "bidders" : "group" + std::to_string(g));
    check_csv_name(gs.name, path + ".name");
    const std::uint64_t count = r.count("count", 1, 1, UINT64_MAX);
    MCREV_EXPECTS(count <= static_cast<std::uint64_t>(kMaxBidders), path + ".count",
                  std::to_string(count) + " bidders; at most " + std::to_string(kMaxBidders) + " per profile are supported");
    gs.count = static_cast<int>(count);
    const std::uint64_t demand = r.count("demand", 1, 1, UINT64_MAX);
    MCREV_EXPECTS(demand <= static_cast<std::uint64_t>(kMaxDemand), path + ".demand",
                  "at most " + std::to_string(kMaxDemand) + " units per bidder are supported, got " + std::to_string(demand));
    MCREV_EXPECTS(demand == 1 || sc.market.kind == MarketKind::Units, path + ".demand",
                  sc.market.kind == MarketKind::Divisible
                      ? "use utility = { kind = \"steps\", steps = m } in the divisible market"
                      : "applies to [market] kind = \"units\" only (a single item is worth one value)");
    gs.demand = static_cast<int>(demand);
    if (sc.market.kind == MarketKind::Divisible) {
      MCREV_EXPECTS(r.has("utility"), path + ".utility",
                    "is required in the divisible market, e.g. { kind = \"linear\", demand = 1.0 }, { kind = "
                    "\"quadratic\", slope = 1.0 } or { kind = \"steps\", steps = 4, width = 1.0 }");
      Reader ur(r.table("utility"), path + ".utility");
      const std::string uk = ur.string("kind", "");
      if (uk == "linear") {
        gs.utility = Utility::Linear;
        gs.size = ur.number("demand");
      } else if (uk == "quadratic") {
        gs.utility = Utility::Quadratic;
        gs.size = ur.number("slope");
      } else if (uk == "steps") {
        gs.utility = Utility::Steps;
        const std::uint64_t steps = ur.count("steps", 1, 1, UINT64_MAX);
        MCREV_EXPECTS(steps <= static_cast<std::uint64_t>(kMaxDemand), path + ".utility.steps",
                      "at most " + std::to_string(kMaxDemand) + " steps are supported, got " + std::to_string(steps));
        gs.demand = static_cast<int>(steps);
        gs.size = ur.number("width", 1.0);
      } else {
        throw ScenarioError(path + ".utility.kind", "unknown utility '" + uk + "' (expected linear, quadratic or steps)");
      }
      {
        const char* key = gs.utility == Utility::Linear ? "demand" : gs.utility == Utility::Quadratic ? "slope" : "width";
        std::ostringstream got;
        got << gs.size;
        MCREV_EXPECTS(std::isfinite(gs.size) && gs.size > 0, path + ".utility." + key,
                      "must be a finite number > 0, got " + got.str());
      }
      ur.finish();
    } else if (sc.market.kind == MarketKind::Combinatorial) {
      const toml::node* n = r.node("bundle");
      const toml::array* a = n ? n->as_array() : nullptr;
      MCREV_EXPECTS(a && !a->empty(), path + ".bundle",
                    "is required in the combinatorial market: a non-empty array of item names, e.g. [\"A\", \"B\"]");
      for (size_t i = 0; i < a->size(); ++i) {
        const std::string pi = path + ".bundle[" + std::to_string(i) + "]";
        const auto* str = a->get(i)->as_string();
        MCREV_EXPECTS(str, pi, "expected an item name (a string)");
        MCREV_EXPECTS(std::find(sc.market.items.begin(), sc.market.items.end(), str->get()) != sc.market.items.end(), pi,
                      "unknown item '" + str->get() + "' (not in market.items)");
        gs.bundle.push_back(str->get());
      }
    }
    if (sc.market.kind == MarketKind::DoubleAuction) {
      MCREV_EXPECTS(r.has("role"), path + ".role", "is required in a double auction (\"buyer\" or \"seller\")");
      const std::string role = r.string("role", "");
      if (role == "buyer") gs.role = static_cast<int>(Role::Buyer);
      else if (role == "seller") gs.role = static_cast<int>(Role::Seller);
      else throw ScenarioError(path + ".role", "unknown role '" + role + "' (expected buyer or seller)");
    } else {
      MCREV_EXPECTS(!r.has("role"), path + ".role", "applies to [market] kind = \"double_auction\" only");
    }
    if (r.has("risk")) {
      MCREV_EXPECTS(sc.market.kind == MarketKind::SingleItem, path + ".risk",
                    "applies to [market] kind = \"single_item\" only");
      const toml::node* rn = r.node("risk");
      MCREV_EXPECTS(rn->is_table(), path + ".risk", "expected a table such as { kind = \"crra\", rho = 0.5 }");
      Reader rr(*rn->as_table(), path + ".risk");
      const std::string rk = rr.string("kind", "");
      if (rk == "crra") {
        gs.risk = rr.number("rho");
        MCREV_EXPECTS(gs.risk > 0 && gs.risk <= 1, path + ".risk.rho",
                      "must lie in (0, 1] (1: risk neutral), got " + fmt_num(gs.risk));
      } else if (rk == "neutral") {
        gs.risk = 1.0;
      } else {
        throw ScenarioError(path + ".risk.kind", rk.empty() ? "is required (\"crra\" or \"neutral\")"
                                                            : "unknown risk attitude '" + rk + "' (expected crra or neutral)");
      }
      rr.finish();
    }
    Reader vr(r.table("value"), path + ".value");
    gs.value = parse_distribution(vr, base_dir);
    r.finish();
    sc.groups.push_back(std::move(gs));
  }

  const toml::array& mechs = array_of_tables(top.node("mechanisms"), "mechanisms");
  for (size_t m = 0; m < mechs.size(); ++m) {
    const std::string path = "mechanisms[" + std::to_string(m) + "]";
    Reader r(*mechs.get(m)->as_table(), path);
    MechanismSpec ms;
    const std::string kind = r.string("kind", "");
    MCREV_EXPECTS(!kind.empty(), path + ".kind", "is required");
    ms.kind = parse_kind(kind, sc.market.kind, path + ".kind");
    ms.name = r.string("name", kind);
    check_csv_name(ms.name, path + ".name");
    ms.seller_value = r.number("seller_value", 0.0);
    MechanismKeys keys(r, *mechs.get(m)->as_table(), kind, sc, base_dir);
    read_mechanism_keys(keys, ms);
    if (r.has("incentives")) ms.incentives = parse_incentive_options(*r.node("incentives"), path + ".incentives");
    r.finish();
    sc.mechanisms.push_back(std::move(ms));
  }
  // Names must be unique: they key the output.
  for (size_t a = 0; a < sc.mechanisms.size(); ++a)
    for (size_t b = 0; b < a; ++b)
      if (sc.mechanisms[a].name == sc.mechanisms[b].name) {
        if (mechs.get(a)->as_table()->contains("name"))
          throw ScenarioError("mechanisms[" + std::to_string(a) + "].name",
                              "'" + sc.mechanisms[a].name + "' is already used by mechanisms[" + std::to_string(b) + "]");
        sc.mechanisms[a].name += "_" + std::to_string(a);
      }
  top.finish();
  validate(sc);
  return sc;
}

std::string read_scenario_text(const std::string& path) {
  std::ifstream in = open_readable(path, "", "scenario file", std::ios::in | std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string scenario_dir(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

Scenario load_scenario_file(const std::string& path) {
  return parse_scenario(read_scenario_text(path), scenario_dir(path), path);
}

namespace {

std::string count_text(std::uint64_t x) {
  std::string s = std::to_string(x);
  if (x >= 1000000 && x % 10 == 0) {  // 100000000000000000 = 1e17
    int e = 0;
    std::uint64_t m = x;
    while (m % 10 == 0) m /= 10, ++e;
    s += " = " + std::to_string(m) + "e" + std::to_string(e);
  }
  return s;
}

std::string too_large(std::uint64_t max_value) {
  return "too large (the largest supported is " + (max_value == UINT64_MAX ? std::string("2^64 - 1") : count_text(max_value)) + ")";
}

}  // namespace

std::uint64_t checked_count(double v, const std::string& path, std::uint64_t min_value, std::uint64_t max_value) {
  MCREV_EXPECTS(std::isfinite(v), path, "must be finite, got " + fmt_num(v));
  MCREV_EXPECTS(v == std::floor(v), path, "must be a whole number, got " + fmt_num(v));
  MCREV_EXPECTS(v >= static_cast<double>(min_value), path,
                "must be at least " + std::to_string(min_value) + ", got " + fmt_num(v));
  // 2^64 as a double is the first value above UINT64_MAX; doubles below it convert exactly.
  MCREV_EXPECTS(v < 18446744073709551616.0 && static_cast<std::uint64_t>(v) <= max_value, path,
                too_large(max_value) + ", got " + fmt_num(v));
  return static_cast<std::uint64_t>(v);
}

std::uint64_t checked_count(std::int64_t v, const std::string& path, std::uint64_t min_value, std::uint64_t max_value) {
  MCREV_EXPECTS(v >= 0 && static_cast<std::uint64_t>(v) >= min_value, path,
                "must be at least " + std::to_string(min_value) + ", got " + std::to_string(v));
  MCREV_EXPECTS(static_cast<std::uint64_t>(v) <= max_value, path, too_large(max_value) + ", got " + std::to_string(v));
  return static_cast<std::uint64_t>(v);
}

std::uint64_t parse_count(const std::string& text, const std::string& path, std::uint64_t min_value,
                          std::uint64_t max_value) {
  std::string t;
  for (char c : text)
    if (c != '_') t += c;
  MCREV_EXPECTS(!t.empty(), path, "expected a whole number, got '" + text + "'");
  const bool digits = std::all_of(t.begin() + (t[0] == '+' ? 1 : 0), t.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                      t.size() > (t[0] == '+' ? 1u : 0u);
  if (digits) {  // exact, any 64-bit value
    std::uint64_t x = 0;
    for (size_t i = (t[0] == '+' ? 1 : 0); i < t.size(); ++i) {
      const unsigned d = static_cast<unsigned>(t[i] - '0');
      MCREV_EXPECTS(x <= (UINT64_MAX - d) / 10, path, too_large(max_value) + ", got " + text);
      x = 10 * x + d;
    }
    MCREV_EXPECTS(x >= min_value, path, "must be at least " + std::to_string(min_value) + ", got " + text);
    MCREV_EXPECTS(x <= max_value, path, too_large(max_value) + ", got " + text);
    return x;
  }
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  MCREV_EXPECTS(end != t.c_str() && *end == '\0', path, "expected a whole number, got '" + text + "'");
  return checked_count(v, path, min_value, max_value);
}

}  // namespace mcrev
