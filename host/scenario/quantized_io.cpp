// Scenario keys and output of quantized-bid mechanisms.
#include "scenario/toml_util.hpp"
#include "output/quantized_output.hpp"
#include "scenario/quantized_scenario.hpp"

#include "mcrev/core/error.hpp"
#include "mcrev/mechanisms/quantized.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <sstream>

namespace mcrev {

namespace {


double number_at(const toml::node& n, const std::string& path) {
  if (auto i = n.as_integer()) return static_cast<double>(i->get());
  if (auto f = n.as_floating_point()) {
    MCREV_EXPECTS(std::isfinite(f->get()), path, std::string("must be finite, got ") + (std::isnan(f->get()) ? "nan" : f->get() > 0 ? "inf" : "-inf"));
    return f->get();
  }
  throw ScenarioError(path, "expected a number, found " + toml_type_name(n));
}

std::int64_t integer_at(const toml::node& n, const std::string& path) {
  if (auto i = n.as_integer()) return i->get();
  throw ScenarioError(path, "expected an integer, found " + toml_type_name(n));
}

const char* mode_name(QuantizedSpec::Mode m) {
  switch (m) {
    case QuantizedSpec::Mode::Fixed: return "fixed";
    case QuantizedSpec::Mode::Optimal: return "optimal";
    case QuantizedSpec::Mode::Random: return "random";
  }
  return "?";
}

bool all_binary(const QuantizedDesign& d) {
  for (const QuantizedBidder& b : d.bidders)
    if (b.thresholds.size() != 1) return false;
  return true;
}

std::string fmt(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

}  // namespace

std::vector<std::string> parse_quantized_keys(const toml::table& t, const std::string& path, QuantizedSpec& spec) {
  for (const char* k : {"reserve", "strategy", "factor", "price"})
    MCREV_EXPECTS(!t.contains(k), path + "." + k, "does not apply to quantized");
  std::vector<std::string> used;
  const std::string pt = path + ".thresholds";
  const toml::node* th = t.get("thresholds");
  MCREV_EXPECTS(th, pt, "is required: a list (one entry per bidder or per bidder group), \"optimal\" or \"random\"");
  used.push_back("thresholds");
  if (auto s = th->as_string()) {
    const std::string mode = s->get();
    if (mode == "optimal")
      spec.mode = QuantizedSpec::Mode::Optimal;
    else if (mode == "random")
      spec.mode = QuantizedSpec::Mode::Random;
    else
      throw ScenarioError(pt, "unknown threshold rule '" + mode + "' (expected a list, \"optimal\" or \"random\")");
  } else if (auto a = th->as_array()) {
    spec.mode = QuantizedSpec::Mode::Fixed;
    MCREV_EXPECTS(!a->empty(), pt, "must not be empty");
    for (size_t e = 0; e < a->size(); ++e) {
      const std::string pe = pt + "[" + std::to_string(e) + "]";
      const toml::node& n = *a->get(e);
      std::vector<double> thr;
      if (auto inner = n.as_array()) {
        for (size_t l = 0; l < inner->size(); ++l)
          thr.push_back(number_at(*inner->get(l), pe + "[" + std::to_string(l) + "]"));
      } else if (n.is_number()) {
        thr.push_back(number_at(n, pe));
      } else {
        throw ScenarioError(pe, "expected a threshold or an array of ascending thresholds, found " + toml_type_name(n));
      }
      spec.thresholds.push_back(std::move(thr));
    }
  } else {
    throw ScenarioError(pt, "expected an array of thresholds, \"optimal\" or \"random\", found " + toml_type_name(*th));
  }
  const bool optimal = spec.mode == QuantizedSpec::Mode::Optimal;
  if (const toml::node* n = t.get("levels")) {
    used.push_back("levels");
    MCREV_EXPECTS(spec.mode != QuantizedSpec::Mode::Fixed, path + ".levels",
                  "applies to thresholds = \"optimal\" or \"random\"; a list gives each bidder's thresholds itself");
    const std::int64_t k = integer_at(*n, path + ".levels");
    MCREV_EXPECTS(k >= 1 && k <= kMaxQuantizedLevels, path + ".levels",
                  "must be in 1.." + std::to_string(kMaxQuantizedLevels) + ", got " + std::to_string(k));
    spec.levels = static_cast<int>(k);
  }
  if (const toml::node* n = t.get("threshold_search")) {
    used.push_back("threshold_search");
    MCREV_EXPECTS(optimal, path + ".threshold_search", "applies to thresholds = \"optimal\" only");
    auto s = n->as_string();
    MCREV_EXPECTS(s, path + ".threshold_search", "expected a string, found " + toml_type_name(*n));
    if (s->get() == "symmetric")
      spec.search = QuantizedSpec::Search::Symmetric;
    else if (s->get() == "per_bidder")
      spec.search = QuantizedSpec::Search::PerBidder;
    else
      throw ScenarioError(path + ".threshold_search",
                          "unknown search '" + s->get() + "' (expected symmetric or per_bidder)");
  }
  if (const toml::node* n = t.get("threshold_eval")) {
    used.push_back("threshold_eval");
    MCREV_EXPECTS(optimal, path + ".threshold_eval", "applies to thresholds = \"optimal\" only");
    auto s = n->as_string();
    MCREV_EXPECTS(s, path + ".threshold_eval", "expected a string, found " + toml_type_name(*n));
    if (s->get() == "exact")
      spec.eval = QuantizedSpec::Eval::Exact;
    else if (s->get() == "monte_carlo")
      spec.eval = QuantizedSpec::Eval::MonteCarlo;
    else
      throw ScenarioError(path + ".threshold_eval", "unknown evaluation '" + s->get() + "' (expected exact or monte_carlo)");
  }
  if (const toml::node* n = t.get("threshold_grid")) {
    used.push_back("threshold_grid");
    MCREV_EXPECTS(optimal, path + ".threshold_grid", "applies to thresholds = \"optimal\" only");
    const std::int64_t g = integer_at(*n, path + ".threshold_grid");
    MCREV_EXPECTS(g >= 3 && g <= 100000, path + ".threshold_grid", "must be in 3..100000, got " + std::to_string(g));
    spec.grid = static_cast<int>(g);
  }
  if (const toml::node* n = t.get("threshold_samples")) {
    used.push_back("threshold_samples");
    MCREV_EXPECTS(optimal && spec.eval == QuantizedSpec::Eval::MonteCarlo, path + ".threshold_samples",
                  "applies to threshold_eval = \"monte_carlo\" only");
    const std::int64_t s = integer_at(*n, path + ".threshold_samples");
    MCREV_EXPECTS(s >= 1, path + ".threshold_samples", "must be at least 1, got " + std::to_string(s));
    spec.eval_samples = static_cast<std::uint64_t>(s);
  }
  return used;
}

void append_quantized_json(nlohmann::ordered_json& mech, const QuantizedDesign& d) {
  using json = nlohmann::ordered_json;
  auto num = [](double x) { return std::isfinite(x) ? json(x) : json(nullptr); };
  if (d.mode == QuantizedSpec::Mode::Random) {
    mech["thresholds"] = "random";
  } else {
    json thr = json::array();
    const bool flat = all_binary(d);
    for (const QuantizedBidder& b : d.bidders) thr.push_back(flat ? json(b.thresholds[0]) : json(b.thresholds));
    mech["thresholds"] = thr;
  }
  mech["threshold_mode"] = mode_name(d.mode);
  if (d.mode == QuantizedSpec::Mode::Optimal) {
    mech["threshold_search"] = d.search == QuantizedSpec::Search::Symmetric ? "symmetric" : "per_bidder";
    mech["threshold_eval"] = d.eval == QuantizedSpec::Eval::Exact ? "exact" : "monte_carlo";
    mech["search_objective"] = num(d.search_objective);
    mech["search_evaluations"] = d.search_evaluations;
  }
  if (d.mode != QuantizedSpec::Mode::Fixed) mech["levels"] = d.levels;
  if (!d.bidders.empty()) {
    json values = json::array(), probs = json::array();
    for (const QuantizedBidder& b : d.bidders) {
      json vv = json::array();
      for (double v : b.value) vv.push_back(num(v));
      values.push_back(vv);
      probs.push_back(b.prob);
    }
    mech["cell_values"] = values;
    mech["cell_probabilities"] = probs;
  }
  mech["exact_seller_utility"] = num(d.exact_seller_utility);
  mech["exact_method"] = d.exact_method.empty() ? json(nullptr) : json(d.exact_method);
}

std::string quantized_table_section(const RunResult& r) {
  std::ostringstream o;
  bool any = false;
  for (const MechanismResult& m : r.mechanisms) {
    if (!m.quantized) continue;
    if (!any) {
      o << "\nquantized bids: seller utility (estimate ± s.e., then exact for these thresholds), thresholds\n";
      any = true;
    }
    const QuantizedDesign& d = *m.quantized;
    char head[160];
    std::snprintf(head, sizeof head, "%-20s %.5f ± %.5f   exact %s   ", m.name.c_str(), m.seller_utility.mean,
                  m.seller_utility.stderr_, std::isfinite(d.exact_seller_utility) ? fmt(d.exact_seller_utility).c_str() : "n/a");
    o << head;
    if (d.mode == QuantizedSpec::Mode::Random) {
      o << "random (" << d.levels << " per bidder, uniform on the support, drawn per profile)\n";
      continue;
    }
    o << mode_name(d.mode) << " [";
    const size_t shown = std::min<size_t>(d.bidders.size(), 12);
    for (size_t i = 0; i < shown; ++i) {
      const QuantizedBidder& b = d.bidders[i];
      if (i) o << ", ";
      if (b.thresholds.size() == 1) {
        o << fmt(b.thresholds[0]);
      } else {
        o << "[";
        for (size_t l = 0; l < b.thresholds.size(); ++l) o << (l ? ", " : "") << fmt(b.thresholds[l]);
        o << "]";
      }
    }
    if (shown < d.bidders.size()) o << ", ... (" << d.bidders.size() << " bidders; all in --format json)";
    o << "]\n";
  }
  return o.str();
}

std::string quantized_csv_rows(const RunResult& r) {
  std::ostringstream o;
  o.precision(17);
  for (const MechanismResult& m : r.mechanisms) {
    if (!m.quantized) continue;
    const QuantizedDesign& d = *m.quantized;
    if (std::isfinite(d.exact_seller_utility)) {
      const double x = d.exact_seller_utility;
      o << m.name << ',' << m.kind << ",exact_seller_utility,," << x << ",0," << x << ',' << x << '\n';
    }
    for (size_t i = 0; i < d.bidders.size(); ++i) {
      const std::vector<double>& thr = d.bidders[i].thresholds;
      for (size_t l = 0; l < thr.size(); ++l) {
        o << m.name << ',' << m.kind << ",threshold,bidder" << i;
        if (thr.size() > 1) o << '[' << l << ']';
        o << ',' << thr[l] << ",0," << thr[l] << ',' << thr[l] << '\n';
      }
    }
  }
  return o.str();
}

}  // namespace mcrev
