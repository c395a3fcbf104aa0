// Parameter sweeps (include/mcrev/sweep.hpp, docs/sweeps.md): --set parsing, editing the TOML
// tree, the Cartesian product of points, and the tidy rows.
#include "mcrev/sweep.hpp"

#include "mcrev/core/error.hpp"
#include "scenario/scenario.hpp"
#include "scenario/toml_util.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace mcrev {

namespace {

/// Shortest decimal text that reads back as x.
std::string round_trip(double x) {
  char buf[40];
  for (int p = 1; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  return buf;
}

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  const auto b = s.find_last_not_of(" \t");
  return s.substr(a, b - a + 1);
}

/// A whole-number literal: [+-]digits (underscores between digits allowed, as in TOML).
bool integer_literal(const std::string& t, std::int64_t* out) {
  std::string d;
  for (char c : t)
    if (c != '_') d += c;
  size_t i = (!d.empty() && (d[0] == '+' || d[0] == '-')) ? 1 : 0;
  if (i >= d.size() || !std::all_of(d.begin() + static_cast<long>(i), d.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(d.c_str(), &end, 10);
  if (errno == ERANGE) return false;
  *out = v;
  return true;
}

bool number_literal(const std::string& t, double* out) {
  std::string d;
  for (char c : t)
    if (c != '_') d += c;
  if (d.empty()) return false;
  char* end = nullptr;
  const double v = std::strtod(d.c_str(), &end);
  if (end == d.c_str() || *end != '\0') return false;
  *out = v;
  return true;
}

/// One segment of a key path: a name and the indices after it.
struct Segment {
  std::string name;
  std::vector<std::size_t> index;
};

std::vector<Segment> parse_key_path(const std::string& key, const std::string& where) {
  std::vector<Segment> out;
  size_t i = 0;
  auto bad = [&](const std::string& why) { throw ScenarioError(where, "malformed key path '" + key + "': " + why); };
  if (key.empty()) bad("empty");
  while (i < key.size()) {
    Segment s;
    while (i < key.size() && (std::isalnum(static_cast<unsigned char>(key[i])) || key[i] == '_' || key[i] == '-'))
      s.name += key[i++];
    if (s.name.empty()) bad("expected a key name at position " + std::to_string(i + 1));
    while (i < key.size() && key[i] == '[') {
      const size_t close = key.find(']', i);
      if (close == std::string::npos) bad("'[' without ']'");
      const std::string digits = key.substr(i + 1, close - i - 1);
      if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
          digits.size() > 9)
        bad("expected an index (a whole number >= 0) in [" + digits + "]");
      s.index.push_back(static_cast<std::size_t>(std::stoul(digits)));
      i = close + 1;
    }
    out.push_back(std::move(s));
    if (i == key.size()) break;
    if (key[i] != '.') bad(std::string("unexpected '") + key[i] + "'");
    if (++i == key.size()) bad("ends with '.'");
  }
  return out;
}

/// Calls f with the value as the TOML type it becomes.
template <class F>
void with_value(const SweepValue& v, F&& f) {
  switch (v.kind) {
    case SweepValue::Integer: f(v.integer); break;
    case SweepValue::Float: f(v.number); break;
    case SweepValue::Boolean: f(v.boolean); break;
    default: f(v.string); break;
  }
}

/// Replaces the node at `set.key` in root by `value`; the last key may be new in its table (the
/// scenario parser then accepts or refuses it), everything before it must exist.
void assign_path(toml::table& root, const SweepSet& set, const std::string& key, const SweepValue& value) {
  const std::string where = set.source + " " + set.spec;
  const std::vector<Segment> path = parse_key_path(key, where);
  MCREV_EXPECTS(path[0].name != "sweep", where, "the [sweep] table itself cannot be swept");
  toml::table* table = &root;
  std::string prefix;
  for (size_t s = 0; s < path.size(); ++s) {
    const Segment& seg = path[s];
    const bool last = s + 1 == path.size();
    prefix += (prefix.empty() ? "" : ".") + seg.name;
    if (last && seg.index.empty()) {
      with_value(value, [&](const auto& x) { table->insert_or_assign(seg.name, x); });
      return;
    }
    toml::node* n = table->get(seg.name);
    MCREV_EXPECTS(n, where, "unknown key path: '" + prefix + "' is not in the scenario");
    for (size_t k = 0; k < seg.index.size(); ++k) {
      toml::array* a = n->as_array();
      MCREV_EXPECTS(a, where, "'" + prefix + "' is " + toml_type_name(*n) + ", not an array");
      const std::size_t i = seg.index[k];
      MCREV_EXPECTS(i < a->size(), where,
                    "index out of range: '" + prefix + "' has " + std::to_string(a->size()) + " entr" +
                        (a->size() == 1 ? "y" : "ies") +
                        (a->empty() ? "" : " (indices 0 to " + std::to_string(a->size() - 1) + ")"));
      prefix += "[" + std::to_string(i) + "]";
      if (last && k + 1 == seg.index.size()) {
        with_value(value, [&](const auto& x) { a->replace(a->cbegin() + static_cast<long>(i), x); });
        return;
      }
      n = a->get(i);
    }
    table = n->as_table();
    MCREV_EXPECTS(table, where, "'" + prefix + "' is " + toml_type_name(*n) + ", not a table");
  }
}

void assign(toml::table& root, const SweepSet& set, const SweepValue& value) {
  for (const std::string& key : set.paths) assign_path(root, set, key, value);
}

toml::table parse_toml(const SweepInput& in) {
  try {
    return toml::parse(in.text, in.source_name);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << in.source_name << ":" << e.source().begin.line << ":" << e.source().begin.column
        << ": TOML syntax error: " << e.description();
    throw ScenarioError("", msg.str());
  }
}

std::string point_label(const std::vector<SweepSet>& sets, const std::vector<std::size_t>& index) {
  std::string s;
  for (size_t k = 0; k < sets.size(); ++k)
    s += (k ? ", " : "") + sets[k].key + " = " + sets[k].values[index[k]].text();
  return s;
}

}  // namespace

std::string SweepValue::text() const {
  switch (kind) {
    case Integer: return std::to_string(integer);
    case Float: return round_trip(number);
    case Boolean: return boolean ? "true" : "false";
    default: return string;
  }
}

SweepSet parse_set(const std::string& spec, const std::string& where) {
  const std::string ctx = where + " " + spec;
  const auto eq = spec.find('=');
  MCREV_EXPECTS(eq != std::string::npos, ctx, "expected KEY=VALUES, e.g. mechanisms[1].reserve=0:1:41");
  SweepSet set;
  set.spec = spec;
  set.source = where;
  set.key = trim(spec.substr(0, eq));
  std::string rest = set.key + ",";
  for (size_t c; (c = rest.find(',')) != std::string::npos; rest.erase(0, c + 1)) {
    const std::string path = trim(rest.substr(0, c));
    parse_key_path(path, ctx);
    MCREV_EXPECTS(std::find(set.paths.begin(), set.paths.end(), path) == set.paths.end(), ctx,
                  "key path '" + path + "' is listed twice");
    set.paths.push_back(path);
  }
  const std::string values = trim(spec.substr(eq + 1));
  MCREV_EXPECTS(!values.empty(), ctx, "no values after '='");
  const bool quoted_list = values.find('"') != std::string::npos;
  if (!quoted_list && std::count(values.begin(), values.end(), ':') == 2 && values.find(',') == std::string::npos) {
    // LOW:HIGH:COUNT
    const auto c1 = values.find(':'), c2 = values.find(':', c1 + 1);
    const std::string lo_t = trim(values.substr(0, c1)), hi_t = trim(values.substr(c1 + 1, c2 - c1 - 1)),
                      n_t = trim(values.substr(c2 + 1));
    double lo = 0, hi = 0;
    MCREV_EXPECTS(number_literal(lo_t, &lo) && std::isfinite(lo), ctx, "LOW:HIGH:COUNT: LOW '" + lo_t + "' is not a finite number");
    MCREV_EXPECTS(number_literal(hi_t, &hi) && std::isfinite(hi), ctx, "LOW:HIGH:COUNT: HIGH '" + hi_t + "' is not a finite number");
    std::int64_t count = 0;
    MCREV_EXPECTS(integer_literal(n_t, &count) && count >= 1, ctx,
                  "LOW:HIGH:COUNT: COUNT '" + n_t + "' must be a whole number >= 1");
    MCREV_EXPECTS(count <= 1000000, ctx, "LOW:HIGH:COUNT: COUNT " + n_t + " is too large (at most 1000000 points)");
    MCREV_EXPECTS(count >= 2 || lo == hi, ctx, "LOW:HIGH:COUNT: COUNT = 1 needs LOW == HIGH (both ends are points)");
    std::int64_t ilo = 0, ihi = 0;
    bool integers = integer_literal(lo_t, &ilo) && integer_literal(hi_t, &ihi);
    std::vector<double> xs;
    for (std::int64_t i = 0; i < count; ++i) {
      // Both ends exact; with integer ends every point is one correctly rounded division.
      const double x = i == 0 ? lo : i == count - 1 ? hi
                                   : (lo * static_cast<double>(count - 1 - i) + hi * static_cast<double>(i)) / static_cast<double>(count - 1);
      xs.push_back(x);
      if (x != std::floor(x) || std::fabs(x) > 9.0e15) integers = false;
    }
    for (double x : xs) {
      SweepValue v;
      v.kind = integers ? SweepValue::Integer : SweepValue::Float;
      v.number = x;
      v.integer = integers ? static_cast<std::int64_t>(x) : 0;
      set.values.push_back(v);
    }
    return set;
  }
  // A comma list, each item typed by its text.
  std::vector<std::string> items;
  std::string cur;
  bool in_quote = false;
  for (char c : values) {
    if (c == '"') in_quote = !in_quote;
    if (c == ',' && !in_quote) {
      items.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  MCREV_EXPECTS(!in_quote, ctx, "unbalanced '\"'");
  items.push_back(cur);
  for (size_t k = 0; k < items.size(); ++k) {
    const std::string t = trim(items[k]);
    MCREV_EXPECTS(!t.empty(), ctx, "item " + std::to_string(k + 1) + " of the list is empty");
    SweepValue v;
    std::int64_t i = 0;
    double x = 0;
    if (t.size() >= 2 && t.front() == '"' && t.back() == '"') {
      v.kind = SweepValue::String;
      v.string = t.substr(1, t.size() - 2);
    } else if (integer_literal(t, &i)) {
      v.kind = SweepValue::Integer;
      v.integer = i;
      v.number = static_cast<double>(i);
    } else if (number_literal(t, &x)) {
      MCREV_EXPECTS(std::isfinite(x), ctx, "item '" + t + "' is not a finite number");
      v.kind = SweepValue::Float;
      v.number = x;
    } else if (t == "true" || t == "false") {
      v.kind = SweepValue::Boolean;
      v.boolean = t == "true";
    } else {
      MCREV_EXPECTS(t.find(':') == std::string::npos, ctx,
                    "'" + t + "' is neither a value nor LOW:HIGH:COUNT (a range cannot be part of a list)");
      v.kind = SweepValue::String;
      v.string = t;
    }
    set.values.push_back(v);
  }
  return set;
}

SweepInput SweepInput::from_file(const std::string& path) {
  SweepInput in;
  in.text = read_scenario_text(path);
  in.base_dir = scenario_dir(path);
  in.source_name = path;
  return in;
}

std::vector<SweepSet> scenario_sweep_sets(const SweepInput& in) {
  const toml::table root = parse_toml(in);
  std::vector<SweepSet> out;
  const toml::node* n = root.get("sweep");
  if (!n) return out;
  const toml::table* t = n->as_table();
  MCREV_EXPECTS(t, "sweep", "expected a table such as [sweep] set = [\"mechanisms[0].reserve=0:1:11\"], found " + toml_type_name(*n));
  for (auto&& [k, v] : *t)
    MCREV_EXPECTS(k.str() == "set", "sweep." + std::string(k.str()), "unknown key (the [sweep] table has `set` only)");
  const toml::node* s = t->get("set");
  MCREV_EXPECTS(s, "sweep.set", "is required: an array of \"KEY=VALUES\" strings");
  const toml::array* a = s->as_array();
  MCREV_EXPECTS(a, "sweep.set", "expected an array of \"KEY=VALUES\" strings, found " + toml_type_name(*s));
  for (size_t i = 0; i < a->size(); ++i) {
    const std::string path = "sweep.set[" + std::to_string(i) + "]";
    const auto* str = a->get(i)->as_string();
    MCREV_EXPECTS(str, path, "expected a \"KEY=VALUES\" string, found " + toml_type_name(*a->get(i)));
    out.push_back(parse_set(str->get(), path));
  }
  return combine_sets({}, out);  // the same key twice is an error here too
}

std::vector<SweepSet> combine_sets(const std::vector<SweepSet>& file_sets, const std::vector<SweepSet>& cli_sets) {
  std::vector<SweepSet> out = file_sets;
  for (size_t i = 0; i < cli_sets.size(); ++i) {
    auto same = std::find_if(out.begin(), out.end(), [&](const SweepSet& s) { return s.key == cli_sets[i].key; });
    bool from_file = same != out.end() && same - out.begin() < static_cast<long>(file_sets.size());
    for (size_t j = 0; j < i; ++j) from_file = from_file && cli_sets[j].key != cli_sets[i].key;
    if (from_file) *same = cli_sets[i];
    else out.push_back(cli_sets[i]);
  }
  // No key path may be set by two sets.
  for (size_t i = 0; i < out.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      for (const std::string& p : out[i].paths)
        MCREV_EXPECTS(std::find(out[j].paths.begin(), out[j].paths.end(), p) == out[j].paths.end(), out[i].source + " " + out[i].spec,
                      "'" + p + "' is already swept by " + out[j].source + " " + out[j].spec);
  return out;
}

std::string point_text(const SweepInput& in, const std::vector<SweepSet>& sets, const std::vector<std::size_t>& index) {
  toml::table root = parse_toml(in);
  root.erase("sweep");
  for (size_t k = 0; k < sets.size(); ++k) assign(root, sets[k], sets[k].values.at(index.at(k)));
  std::ostringstream o;
  o << root;
  return o.str();
}

std::vector<std::pair<std::string, Estimate>> tidy_metrics(const Scenario& sc, const MechanismResult& m) {
  std::vector<std::pair<std::string, Estimate>> out = {{"revenue", m.revenue},
                                                       {"welfare", m.welfare},
                                                       {"seller_utility", m.seller_utility},
                                                       {"efficiency", m.efficiency},
                                                       {"no_sale", m.no_sale},
                                                       {"revenue_diff", m.revenue_diff}};
  if (m.has_budget) {
    out.emplace_back("budget_surplus", m.budget_surplus);
    out.emplace_back("deficit_prob", m.deficit_prob);
    out.emplace_back(activity_name(sc.market.kind), m.activity);
    if (m.has_market_stat) out.emplace_back(market_stat_name(sc.market.kind), m.market_stat);
  }
  for (const GroupResult& g : m.bidders) {
    out.emplace_back("win[" + g.name + "]", g.win);
    out.emplace_back("payment[" + g.name + "]", g.payment);
    out.emplace_back("utility[" + g.name + "]", g.utility);
    if (m.has_budget) out.emplace_back("ir_violation[" + g.name + "]", g.ir_violation);
  }
  return out;
}

SweepResult run_sweep(const SweepInput& in, const std::vector<SweepSet>& sets, const SweepOptions& options) {
  SweepResult res;
  std::size_t n_points = 1;
  for (const SweepSet& s : sets) {
    MCREV_EXPECTS(!s.values.empty(), s.source + " " + s.spec, "no values");
    MCREV_EXPECTS(n_points <= 10000000 / s.values.size(), "--set", "too many sweep points (at most 1e7)");
    n_points *= s.values.size();
    res.keys.push_back(s.key);
    res.sets.push_back(s);
    auto sets_key = [&](const char* k) { return std::find(s.paths.begin(), s.paths.end(), k) != s.paths.end(); };
    MCREV_EXPECTS(!(sets_key("samples") && options.overrides.samples), s.source + " " + s.spec,
                  "sweeps samples, which -n/--samples also sets: give one of them");
    MCREV_EXPECTS(!(sets_key("samples") && options.target.enabled()), s.source + " " + s.spec,
                  "sweeps samples, but a precision target chooses the sample count");
    MCREV_EXPECTS(!(sets_key("seed") && options.overrides.seed), s.source + " " + s.spec,
                  "sweeps seed, which --seed also sets: give one of them");
  }
  // Every point is parsed and checked before anything runs.
  std::vector<Scenario> scenarios;
  for (std::size_t p = 0; p < n_points; ++p) {
    SweepPoint pt;
    std::size_t rest = p;
    pt.index.assign(sets.size(), 0);
    for (size_t k = sets.size(); k-- > 0;) {
      pt.index[k] = rest % sets[k].values.size();
      rest /= sets[k].values.size();
    }
    pt.text = point_text(in, sets, pt.index);
    Scenario sc;
    try {
      sc = parse_scenario(pt.text, in.base_dir, in.source_name);
      if (options.overrides.samples) sc.samples = *options.overrides.samples;
      if (options.overrides.seed) sc.seed = *options.overrides.seed;
      if (options.overrides.backend) sc.backend = *options.overrides.backend;
      if (options.overrides.confidence) sc.confidence = *options.overrides.confidence;
      validate(sc);
      if (options.target.enabled()) check_target(sc, options.target);
    } catch (const ScenarioError& e) {
      // The message names the point; the key path stays the parser's (Python: ScenarioError.key_path).
      throw ScenarioError::with_message(e.path(), "sweep point " + std::to_string(p) + " (" + point_label(sets, pt.index) +
                                                      "): " + e.what());
    }
    scenarios.push_back(std::move(sc));
    res.points.push_back(std::move(pt));
  }
  SweepProgress prog;
  prog.points = n_points;
  for (const Scenario& sc : scenarios) prog.profiles_total += options.target.enabled() ? 0 : sc.samples;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t p = 0; p < n_points; ++p) {
    const Scenario& sc = scenarios[p];
    RunOptions ro = options.run;
    const std::uint64_t before = prog.profiles_done;
    ro.progress = [&](std::uint64_t done, std::uint64_t) {
      if (!options.progress) return;
      prog.profiles_done = before + done;
      options.progress(prog);
    };
    RunResult r = options.target.enabled() ? run_to_target(sc, options.target, ro) : run(sc, ro);
    prog.profiles_done = before + r.samples;
    prog.points_done = p + 1;
    if (options.progress) options.progress(prog);
    if (p == 0) {
      res.backend = r.backend;
      res.device = r.device;
      res.note = r.note;
      res.confidence = r.confidence;
    }
    std::vector<std::string> values;
    for (size_t k = 0; k < sets.size(); ++k) values.push_back(sets[k].values[res.points[p].index[k]].text());
    for (const MechanismResult& m : r.mechanisms)
      for (const auto& [metric, e] : tidy_metrics(sc, m)) {
        SweepRow row;
        row.point = p;
        row.values = values;
        row.mechanism = m.name;
        row.metric = metric;
        row.mean = e.mean;
        row.stderr_ = e.stderr_;
        row.ci_low = e.ci_low;
        row.ci_high = e.ci_high;
        row.profiles = r.samples;
        row.target_met = r.target.met;
        res.rows.push_back(std::move(row));
      }
    res.points[p].result = std::move(r);
  }
  res.target = options.target.enabled();
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace mcrev
