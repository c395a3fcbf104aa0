// mcrev._mcrev: the nanobind extension behind the Python package (docs/python.md).
//
// The module is thin on purpose: it parses a scenario the way the CLI does (host/scenario), applies
// the same overrides with the same checks and key paths, runs mcrev::run with the GIL released, and
// returns the CLI's own JSON and CSV texts (host/output). The Python package (python/mcrev) turns
// those into a Result. Errors: mcrev::ScenarioError → mcrev.ScenarioError (a ValueError carrying
// .key_path), mcrev::BackendError → mcrev.BackendError (a RuntimeError); see register_errors.
//
// Adding a bound function (e.g. a sweep): take the scenario as (path, text, base_dir, source_name)
// and the overrides as the Overrides fields, build the scenario with load_scenario + apply_overrides,
// run under `nb::gil_scoped_release` with a Ticker as the progress callback, return text (JSON) and
// let the Python side json.loads it. The error translation applies to every function of the module.
#include "mcrev/engine.hpp"
#include "mcrev/sweep.hpp"
#include "mcrev/core/error.hpp"

#include "output/output.hpp"
#include "scenario/scenario.hpp"

#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <chrono>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#ifndef MCREV_VERSION
#define MCREV_VERSION "0.0.0"
#endif
#include "mcrev_git_version.hpp"  // generated at build time: MCREV_GIT_COMMIT

namespace nb = nanobind;

namespace {

/// Where the scenario comes from: a file (`path`), TOML text (`text`, relative `file =` keys resolved
/// against `base_dir`), or neither (the built-in default scenario).
struct ScenarioSource {
  std::optional<std::string> path, text;
  std::string base_dir = ".", source_name = "scenario";
};

mcrev::Scenario load_scenario(const ScenarioSource& src) {
  if (src.path) return mcrev::parse_scenario(mcrev::read_scenario_text(*src.path), mcrev::scenario_dir(*src.path), *src.path);
  if (src.text) return mcrev::parse_scenario(*src.text, src.base_dir, src.source_name);
  return mcrev::default_scenario();
}

/// The keyword overrides of mcrev.run, checked like the CLI's options and named by the scenario's
/// top-level keys. Counts arrive as text so that any Python int reaches parse_count exactly.
struct Overrides {
  std::optional<std::string> samples, seed, backend;
  std::optional<double> confidence;
  int threads = 0;
};

void apply_overrides(mcrev::Scenario& sc, const Overrides& o) {
  if (o.samples) sc.samples = mcrev::parse_count(*o.samples, "samples", 1, mcrev::kMaxSamples);
  if (o.seed) sc.seed = mcrev::parse_count(*o.seed, "seed", 0, UINT64_MAX);
  if (o.backend) sc.backend = mcrev::parse_backend(*o.backend, "backend");
  if (o.confidence) {
    MCREV_EXPECTS(*o.confidence > 0 && *o.confidence < 1, "confidence", "must lie strictly between 0 and 1");
    sc.confidence = *o.confidence;
  }
  MCREV_EXPECTS(o.threads >= 0, "threads", "must be 0 (all cores) or more");
  mcrev::validate(sc);
}

/// Thrown out of a run when Ctrl-C (SIGINT) arrived; the binding turns it into KeyboardInterrupt.
struct Interrupted : std::exception {
  const char* what() const noexcept override { return "interrupted"; }
};

/// The progress callback of a run with the GIL released: every ~0.2 s it takes the GIL, checks for
/// Ctrl-C (throwing Interrupted, which the backends propagate after joining their threads) and, after
/// the first second, calls `report(done, total, seconds)` when one is given. Exceptions raised by
/// `report` are dropped (progress must never change a result).
class Ticker {
 public:
  explicit Ticker(nb::object report) : report_(std::move(report)), start_(clock::now()) {}
  void operator()(std::uint64_t done, std::uint64_t total) {
    const double t = std::chrono::duration<double>(clock::now() - start_).count();
    if (t - last_ < 0.2 && done < total) return;
    last_ = t;
    nb::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
      PyErr_Clear();
      throw Interrupted();
    }
    if (report_.is_none() || t < 1.0) return;
    try {
      report_(done, total, t);
    } catch (nb::python_error& e) {
      e.discard_as_unraisable("mcrev progress callback");
    }
  }

 private:
  using clock = std::chrono::steady_clock;
  nb::object report_;
  clock::time_point start_;
  double last_ = 0;
};

/// mcrev.run's engine: (JSON text, CSV text, note, warnings) of the run, as `mcrev run --format json`
/// and `--format csv` write them.
std::tuple<std::string, std::string, std::string, std::vector<std::string>> run(
    const ScenarioSource& src, const Overrides& over, nb::object report) {
  Ticker ticker(std::move(report));
  mcrev::Scenario sc;
  mcrev::RunResult r;
  std::string json, csv;
  try {
    nb::gil_scoped_release release;
    sc = load_scenario(src);
    apply_overrides(sc, over);
    mcrev::RunOptions opt;
    opt.threads = over.threads;
    opt.progress = [&](std::uint64_t done, std::uint64_t total) { ticker(done, total); };
    r = mcrev::run(sc, opt);
    json = mcrev::format_json(sc, r);
    csv = mcrev::format_csv(sc, r);
  } catch (const Interrupted&) {
    PyErr_SetNone(PyExc_KeyboardInterrupt);
    throw nb::python_error();
  }
  return {std::move(json), std::move(csv), r.note, r.warnings};
}

/// mcrev.sweep's engine: (JSON rows, CSV rows, note, warnings) of the sweep, as `mcrev sweep
/// --format json` and `--format csv` write them. `sets` are "KEY=VALUES" texts (parse_set); the
/// scenario's [sweep] table contributes its sets first (combine_sets), as on the command line.
std::tuple<std::string, std::string, std::string, std::vector<std::string>> sweep(
    const ScenarioSource& src, const std::vector<std::string>& set_texts, const Overrides& over,
    const mcrev::PrecisionTarget& target, nb::object report) {
  Ticker ticker(std::move(report));
  mcrev::SweepResult r;
  std::string json, csv;
  try {
    nb::gil_scoped_release release;
    mcrev::SweepInput in;
    if (src.path) {
      in = mcrev::SweepInput::from_file(*src.path);
    } else if (src.text) {
      in.text = *src.text;
      in.base_dir = src.base_dir;
      in.source_name = src.source_name;
    } else {
      throw mcrev::ScenarioError("scenario", "a sweep needs a scenario: a TOML file or a dict (e.g. mcrev.default_scenario())");
    }
    mcrev::SweepOptions opt;
    if (over.samples) opt.overrides.samples = mcrev::parse_count(*over.samples, "samples", 1, mcrev::kMaxSamples);
    if (over.seed) opt.overrides.seed = mcrev::parse_count(*over.seed, "seed", 0, UINT64_MAX);
    if (over.backend) opt.overrides.backend = mcrev::parse_backend(*over.backend, "backend");
    if (over.confidence) {
      MCREV_EXPECTS(*over.confidence > 0 && *over.confidence < 1, "confidence", "must lie strictly between 0 and 1");
      opt.overrides.confidence = *over.confidence;
    }
    MCREV_EXPECTS(over.threads >= 0, "threads", "must be 0 (all cores) or more");
    MCREV_EXPECTS(!(over.samples && target.enabled()), "samples",
                  "a precision target chooses the sample count (cap it with max_samples)");
    opt.run.threads = over.threads;
    opt.target = target;
    opt.progress = [&](const mcrev::SweepProgress& p) {
      ticker(p.points_done, p.points ? p.points : 1);
    };
    std::vector<mcrev::SweepSet> cli;
    for (const std::string& t : set_texts) {
      try {
        cli.push_back(mcrev::parse_set(t, "sets"));
      } catch (const mcrev::ScenarioError& e) {
        throw mcrev::ScenarioError::with_message("sets", e.what());  // key_path "sets", the message names the set
      }
    }
    const std::vector<mcrev::SweepSet> sets = mcrev::combine_sets(mcrev::scenario_sweep_sets(in), cli);
    MCREV_EXPECTS(!sets.empty(), "sets", "nothing to sweep: give sets={KEY: VALUES} or a [sweep] table in the scenario");
    r = mcrev::run_sweep(in, sets, opt);
    json = mcrev::format_sweep_json(r);
    csv = mcrev::format_sweep_csv(r);
  } catch (const Interrupted&) {
    PyErr_SetNone(PyExc_KeyboardInterrupt);
    throw nb::python_error();
  }
  std::vector<std::string> warnings = r.points.empty() ? std::vector<std::string>() : r.points[0].result.warnings;
  return {std::move(json), std::move(csv), r.note, std::move(warnings)};
}

/// Raises the Python exception class `name` of mcrev._errors with (message, key_path).
void raise_mcrev(const char* name, const std::string& message, const std::string& key_path) {
  nb::object cls = nb::module_::import_("mcrev._errors").attr(name);
  nb::object exc = cls(message, key_path);
  PyErr_SetObject(cls.ptr(), exc.ptr());
}

void register_errors() {
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const mcrev::ScenarioError& e) {
      raise_mcrev("ScenarioError", e.what(), e.path());
    } catch (const mcrev::BackendError& e) {
      raise_mcrev("BackendError", e.what(), "");
    }
  });
}

}  // namespace

NB_MODULE(_mcrev, m) {
  m.doc() = "mcrev's compiled core; use the mcrev package (docs/python.md)";
  register_errors();
  m.attr("__version__") = MCREV_VERSION;
  m.attr("version_text") = std::string("mcrev ") + MCREV_VERSION + " (git " + MCREV_GIT_COMMIT + ")";
  m.def(
      "run",
      [](std::optional<std::string> path, std::optional<std::string> text, std::string base_dir, std::string source_name,
         std::optional<std::string> samples, std::optional<std::string> seed, std::optional<std::string> backend,
         int threads, std::optional<double> confidence, nb::object report) {
        ScenarioSource src{std::move(path), std::move(text), std::move(base_dir), std::move(source_name)};
        Overrides over{std::move(samples), std::move(seed), std::move(backend), confidence, threads};
        return run(src, over, std::move(report));
      },
      nb::arg("path").none(), nb::arg("text").none(), nb::arg("base_dir"), nb::arg("source_name"),
      nb::arg("samples").none(), nb::arg("seed").none(), nb::arg("backend").none(), nb::arg("threads"),
      nb::arg("confidence").none(), nb::arg("report").none(),
      "Runs a scenario (file `path`, TOML `text`, or the default when both are None) with the CLI's overrides; "
      "returns (json, csv, note, warnings). The GIL is released during the run.");
  m.def(
      "sweep",
      [](std::optional<std::string> path, std::optional<std::string> text, std::string base_dir, std::string source_name,
         std::vector<std::string> sets, std::optional<std::string> samples, std::optional<std::string> seed,
         std::optional<std::string> backend, int threads, std::optional<double> confidence, double target_halfwidth,
         std::vector<std::string> target_metrics, std::optional<std::string> max_samples, nb::object report) {
        ScenarioSource src{std::move(path), std::move(text), std::move(base_dir), std::move(source_name)};
        Overrides over{std::move(samples), std::move(seed), std::move(backend), confidence, threads};
        mcrev::PrecisionTarget target;
        target.halfwidth = target_halfwidth;
        target.metrics = std::move(target_metrics);
        if (max_samples) target.max_samples = mcrev::parse_count(*max_samples, "max_samples", 1, mcrev::kMaxSamples);
        return sweep(src, sets, over, target, std::move(report));
      },
      nb::arg("path").none(), nb::arg("text").none(), nb::arg("base_dir"), nb::arg("source_name"), nb::arg("sets"),
      nb::arg("samples").none(), nb::arg("seed").none(), nb::arg("backend").none(), nb::arg("threads"),
      nb::arg("confidence").none(), nb::arg("target_halfwidth"), nb::arg("target_metrics"),
      nb::arg("max_samples").none(), nb::arg("report").none(),
      "Sweeps a scenario over the KEY=VALUES sets on common random numbers; returns (json rows, csv rows, note, "
      "warnings). The GIL is released during the sweep.");
}
