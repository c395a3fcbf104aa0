// mcrev command-line interface: `mcrev run [SCENARIO.toml] [options]`.
// Exit codes: 0 success, 2 invalid input (scenario, options, files), 3 backend failure.
#include "mcrev/engine.hpp"
#include "mcrev/core/error.hpp"

#include "output/output.hpp"
#include "cli/reserve_search_cli.hpp"
#include "scenario/scenario.hpp"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#ifndef MCREV_VERSION
#define MCREV_VERSION "0.0.0"
#endif
#include "mcrev_git_version.hpp"  // generated at build time: MCREV_GIT_COMMIT

namespace {

/// Progress bar on stderr: shown only when stderr is a terminal and the run lasts over ~1 s.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO)), start_(clock::now()) {}
  void update(std::uint64_t done, std::uint64_t total) {
    if (!enabled_) return;
    const double t = seconds();
    if (t < 1.0 || t - last_ < 0.1) return;
    last_ = t;
    shown_ = true;
    const double frac = total ? static_cast<double>(done) / total : 1.0;
    const int width = 30, filled = static_cast<int>(frac * width);
    const double rate = done / t, left = rate > 0 ? (total - done) / rate : 0.0;
    std::fprintf(stderr, "\r[%.*s%*s] %5.1f%%  %.3g profiles/s  %.0f s left ", filled,
                 "##############################", width - filled, "", 100 * frac, rate, left);
    std::fflush(stderr);
  }
  ~Progress() {
    if (shown_) std::fprintf(stderr, "\r%*s\r", 80, "");
  }

 private:
  using clock = std::chrono::steady_clock;
  double seconds() const { return std::chrono::duration<double>(clock::now() - start_).count(); }
  bool enabled_, shown_ = false;
  clock::time_point start_;
  double last_ = 0;
};

/// Writes atomically: a temporary file beside the target, renamed over it only when complete.
void write_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".mcrev-tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw mcrev::ScenarioError("-o", "cannot write '" + path + "'");
    out << text;
    if (!out.flush()) {
      std::remove(tmp.c_str());
      throw mcrev::ScenarioError("-o", "cannot write '" + path + "'");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw mcrev::ScenarioError("-o", "cannot write '" + path + "': " + ec.message());
  }
}

int run_command(const std::string& file, const std::optional<std::string>& samples,
                const std::optional<std::string>& seed, const std::optional<std::string>& backend, int threads,
                const std::optional<double>& confidence, const std::string& format, const std::string& output,
                const std::string& chunk_text, bool quiet) {
  // Numbers from the command line follow the same rules as the file's keys (scenario.hpp).
  const std::optional<std::uint64_t> n =
      samples ? std::optional<std::uint64_t>(mcrev::parse_count(*samples, "--samples", 1, mcrev::kMaxSamples)) : std::nullopt;
  const std::optional<std::uint64_t> s =
      seed ? std::optional<std::uint64_t>(mcrev::parse_count(*seed, "--seed", 0, UINT64_MAX)) : std::nullopt;
  const std::uint64_t chunk = mcrev::parse_count(chunk_text, "--chunk-profiles", mcrev::kLeafProfiles, mcrev::kMaxChunkProfiles);
  mcrev::Scenario sc = file.empty() ? mcrev::default_scenario() : mcrev::load_scenario_file(file);
  if (n) sc.samples = *n;
  if (s) sc.seed = *s;
  if (backend) sc.backend = mcrev::parse_backend(*backend, "--backend");
  if (confidence) {
    MCREV_EXPECTS(*confidence > 0 && *confidence < 1, "--confidence", "must lie strictly between 0 and 1");
    sc.confidence = *confidence;
  }
  MCREV_EXPECTS(threads >= 0, "--threads", "must be 0 (all cores) or more");
  MCREV_EXPECTS(format == "table" || format == "json" || format == "csv", "--format",
                "expected table, json or csv, got '" + format + "'");
  mcrev::validate(sc);

  mcrev::RunOptions opt;
  opt.threads = threads;
  opt.chunk_profiles = chunk;
  Progress bar(!quiet);
  opt.progress = [&](std::uint64_t done, std::uint64_t total) { bar.update(done, total); };
  const mcrev::RunResult r = mcrev::run(sc, opt);
  if (!r.note.empty() && !quiet) std::fprintf(stderr, "mcrev: %s\n", r.note.c_str());
  for (const std::string& w : r.warnings) std::fprintf(stderr, "mcrev: warning: %s\n", w.c_str());

  const std::string text = format == "json" ? mcrev::format_json(sc, r)
                           : format == "csv" ? mcrev::format_csv(sc, r)
                                             : mcrev::format_table(sc, r);
  if (output.empty())
    std::fwrite(text.data(), 1, text.size(), stdout);
  else
    write_file(output, text);
  return 0;
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"mcrev: GPU-accelerated Monte Carlo estimates of auction and mechanism revenue, welfare and incentives"};
  app.set_version_flag("--version", std::string("mcrev ") + MCREV_VERSION + " (git " + MCREV_GIT_COMMIT + ")");
  app.require_subcommand(1);
  CLI::App* run = app.add_subcommand("run", "Estimate every mechanism of a scenario on common random profiles");
  std::string file, format = "table", output;
  std::optional<std::string> samples, seed;  // validated like the file's keys (parse_count)
  std::optional<std::string> backend;
  std::optional<double> confidence;
  int threads = 0;
  std::string chunk = "65536";
  bool quiet = false;
  run->add_option("scenario", file, "Scenario TOML file (default: the built-in revenue-equivalence comparison)");
  run->add_option("--samples,-n", samples, "Number of valuation profiles, 1 to 1e17 (overrides the file)");
  run->add_option("--seed", seed, "Random seed, 0 to 2^64 - 1 (overrides the file)");
  run->add_option("--backend", backend, "auto | cpu | cuda (overrides the file)");
  run->add_option("--threads", threads, "CPU threads (0 = all cores)");
  run->add_option("--confidence", confidence, "Confidence level of the intervals (default 0.95)");
  run->add_option("--format", format, "table | json | csv");
  run->add_option("-o,--output", output, "Write the result to this file instead of stdout");
  run->add_option("--chunk-profiles", chunk, "CPU work unit (256 × a power of two); results do not depend on it");
  run->add_flag("--quiet,-q", quiet, "No progress bar or notes on stderr");
  mcrev::ReserveSearchCommand reserve_search;  // `mcrev reserve-search` (docs/myerson.md)
  reserve_search.add_to(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  if (reserve_search.parsed()) return reserve_search.run();
  return run_command(file, samples, seed, backend, threads, confidence, format, output, chunk, quiet);
} catch (const mcrev::ScenarioError& e) {
  std::fprintf(stderr, "mcrev: error: %s\n", e.what());
  return 2;
} catch (const mcrev::BackendError& e) {
  std::fprintf(stderr, "mcrev: error: %s\n", e.what());
  return 3;
} catch (const std::exception& e) {
  std::fprintf(stderr, "mcrev: error: %s\n", e.what());
  return 3;
}
