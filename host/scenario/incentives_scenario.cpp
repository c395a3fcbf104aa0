#include "scenario/incentives_scenario.hpp"

#include "mcrev/core/error.hpp"
#include "mcrev/mechanisms/divisible.hpp"

#include <cmath>

namespace mcrev {

namespace {

const char* kKeys =
    "expost_regret, interim_loss, deviations, shading, bid_range, refine_levels, refine_points, tolerance, "
    "quantiles, values, opponent_samples, batches, crossfit_selection, crossfit_alpha, curve, sybil";

bool read_bool(const toml::node& n, const std::string& path) {
  if (auto b = n.as_boolean()) return b->get();
  throw ScenarioError(path, "expected true or false");
}

double read_number(const toml::node& n, const std::string& path) {
  if (auto i = n.as_integer()) return static_cast<double>(i->get());
  if (auto f = n.as_floating_point()) {
    MCREV_EXPECTS(std::isfinite(f->get()), path, std::string("must be finite, got ") + (std::isnan(f->get()) ? "nan" : f->get() > 0 ? "inf" : "-inf"));
    return f->get();
  }
  throw ScenarioError(path, "expected a number");
}

std::int64_t read_integer(const toml::node& n, const std::string& path, std::int64_t lo, std::int64_t hi) {
  double v;
  if (auto i = n.as_integer()) {
    v = static_cast<double>(i->get());
    MCREV_EXPECTS(i->get() >= lo && i->get() <= hi, path,
                  "must lie in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(i->get()));
    return i->get();
  }
  if (auto f = n.as_floating_point()) {
    v = f->get();
    MCREV_EXPECTS(std::isfinite(v) && v == std::floor(v), path, "must be a whole number");
    MCREV_EXPECTS(v >= static_cast<double>(lo) && v <= static_cast<double>(hi), path,
                  "must lie in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return static_cast<std::int64_t>(v);
  }
  throw ScenarioError(path, "expected an integer");
}

std::vector<double> read_numbers(const toml::node& n, const std::string& path) {
  const toml::array* a = n.as_array();
  MCREV_EXPECTS(a, path, "expected an array of numbers");
  std::vector<double> out;
  for (size_t i = 0; i < a->size(); ++i) out.push_back(read_number(*a->get(i), path + "[" + std::to_string(i) + "]"));
  return out;
}

}  // namespace

IncentiveOptions parse_incentive_options(const toml::node& node, const std::string& path) {
  const toml::table* t = node.as_table();
  MCREV_EXPECTS(t, path, "expected a table, e.g. { expost_regret = true, interim_loss = true }");
  IncentiveOptions o;
  o.enabled = true;
  for (auto&& [k, v] : *t) {
    const std::string key(k.str());
    const std::string kp = path + "." + key;
    if (key == "expost_regret") {
      o.expost_regret = read_bool(v, kp);
    } else if (key == "interim_loss") {
      o.interim_loss = read_bool(v, kp);
    } else if (key == "curve") {
      o.curve = read_bool(v, kp);
    } else if (key == "deviations") {
      o.deviations = static_cast<int>(read_integer(v, kp, 2, 1 << 20));
    } else if (key == "refine_levels") {
      o.refine_levels = static_cast<int>(read_integer(v, kp, 0, 64));
    } else if (key == "refine_points") {
      o.refine_points = static_cast<int>(read_integer(v, kp, 1, 4096));
    } else if (key == "values") {
      o.values = static_cast<int>(read_integer(v, kp, 1, 1 << 20));
    } else if (key == "batches") {
      o.batches = static_cast<int>(read_integer(v, kp, 4, 4096));
      MCREV_EXPECTS(o.batches % 2 == 0, kp, "must be even (two halves for cross-fitting)");
    } else if (key == "opponent_samples") {
      o.opponent_samples = static_cast<std::uint64_t>(read_integer(v, kp, 1, std::int64_t{1} << 40));
    } else if (key == "tolerance") {
      o.tolerance = read_number(v, kp);
      MCREV_EXPECTS(std::isfinite(o.tolerance) && o.tolerance >= 0, kp, "must be a finite number >= 0");
    } else if (key == "crossfit_selection") {
      const auto str = v.as_string();
      MCREV_EXPECTS(str, kp, "expected \"lcb\" or \"argmax\"");
      const std::string rule = str->get();
      MCREV_EXPECTS(rule == "lcb" || rule == "argmax", kp, "unknown rule '" + rule + "' (expected lcb or argmax)");
      o.crossfit_lcb = rule == "lcb";
    } else if (key == "crossfit_alpha") {
      o.crossfit_alpha = read_number(v, kp);
      MCREV_EXPECTS(o.crossfit_alpha > 0 && o.crossfit_alpha < 1, kp, "must lie strictly between 0 and 1");
    } else if (key == "shading") {
      o.shading = read_numbers(v, kp);
    } else if (key == "quantiles") {
      o.quantiles = read_numbers(v, kp);
    } else if (key == "sybil") {
      const toml::table* st = v.as_table();
      MCREV_EXPECTS(st, kp, "expected a table, e.g. { aliases = 2 }");
      for (auto&& [sk, sv] : *st) {
        const std::string skey(sk.str());
        MCREV_EXPECTS(skey == "aliases", kp + "." + skey, "unknown key (expected aliases)");
        o.sybil_aliases = static_cast<int>(read_integer(sv, kp + ".aliases", 2, kMaxIdentities));
      }
      MCREV_EXPECTS(o.sybil_aliases > 0, kp + ".aliases", "is required (the number of identities, 2 to " +
                                                            std::to_string(kMaxIdentities) + ")");
    } else if (key == "bid_range") {
      const std::vector<double> r = read_numbers(v, kp);
      MCREV_EXPECTS(r.size() == 2, kp, "expected [low, high]");
      o.has_bid_range = true;
      o.bid_low = r[0];
      o.bid_high = r[1];
    } else {
      throw ScenarioError(kp, "unknown key (expected one of " + std::string(kKeys) + ")");
    }
  }
  return o;
}

}  // namespace mcrev
