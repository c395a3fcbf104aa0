#include "cli/sweep_cli.hpp"

#include "mcrev/core/error.hpp"
#include "scenario/scenario.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include "state/state_file.hpp"

#include <filesystem>
#include <fstream>

extern char** environ;

namespace mcrev {

namespace {


/// Runs argv (PATH lookup); returns its exit status, or -1 when it cannot be started. quiet: its
/// stdout and stderr go to /dev/null.
int spawn(const std::vector<std::string>& args, bool quiet) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (quiet) {
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  }
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string python() {
  const char* p = std::getenv("MCREV_PYTHON");
  return p && *p ? p : "python3";
}

/// scripts/mcrev_plot.py: $MCREV_PLOT_SCRIPT, else beside the installed binary
/// (<prefix>/share/mcrev/mcrev_plot.py), else the source tree's.
std::string plot_script() {
  if (const char* p = std::getenv("MCREV_PLOT_SCRIPT"); p && *p) return p;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = exe.parent_path().parent_path() / "share" / "mcrev" / "mcrev_plot.py";
    if (std::filesystem::exists(installed, ec)) return installed.string();
  }
#ifdef MCREV_PLOT_SCRIPT_SOURCE
  if (std::filesystem::exists(MCREV_PLOT_SCRIPT_SOURCE, ec)) return MCREV_PLOT_SCRIPT_SOURCE;
#endif
  throw ScenarioError("--plot", "cannot find mcrev_plot.py (set MCREV_PLOT_SCRIPT to scripts/mcrev_plot.py)");
}

/// One bar over the whole sweep: points done, profiles/s, time left; only on a terminal.
class SweepBar {
 public:
  explicit SweepBar(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO)), start_(clock::now()) {}
  void update(const SweepProgress& p) {
    if (!enabled_) return;
    const double t = std::chrono::duration<double>(clock::now() - start_).count();
    if (t < 1.0 || (t - last_ < 0.1 && p.points_done != p.points)) return;
    last_ = t;
    shown_ = true;
    const double rate = p.profiles_done / t;
    double frac = p.points ? static_cast<double>(p.points_done) / p.points : 1.0;
    if (p.profiles_total) frac = static_cast<double>(p.profiles_done) / p.profiles_total;
    const double left = frac > 0 ? t * (1 - frac) / frac : 0.0;
    const int width = 30, filled = static_cast<int>(std::min(1.0, frac) * width);
    std::fprintf(stderr, "\r[%.*s%*s] point %zu/%zu  %.3g profiles/s  %.0f s left ", filled,
                 "##############################", width - filled, "", std::min(p.points_done + 1, p.points), p.points,
                 rate, left);
    std::fflush(stderr);
  }
  ~SweepBar() {
    if (shown_) std::fprintf(stderr, "\r%*s\r", 90, "");
  }

 private:
  using clock = std::chrono::steady_clock;
  bool enabled_, shown_ = false;
  clock::time_point start_;
  double last_ = 0;
};

}  // namespace

void TargetArgs::add_to(CLI::App* cmd) {
  cmd->add_option("--target-halfwidth", halfwidth_,
                  "Run in doubling batches (from 65536 profiles) until every targeted interval's half-width is <= EPS");
  cmd->add_option("--target-metric", metrics_,
                  "Targeted metric: METRIC (every mechanism) or MECHANISM.METRIC; repeatable or a comma list "
                  "(default: revenue)")
      ->delimiter(',');
  cmd->add_option("--max-samples", max_samples_, "Cap on the profiles of a precision-target run (default 2^30)");
}

PrecisionTarget TargetArgs::get() const {
  PrecisionTarget t;
  MCREV_EXPECTS(halfwidth_ || metrics_.empty(), "--target-metric", "needs --target-halfwidth EPS");
  MCREV_EXPECTS(halfwidth_ || !max_samples_, "--max-samples", "needs --target-halfwidth EPS");
  if (!halfwidth_) return t;
  char* end = nullptr;
  const double eps = std::strtod(halfwidth_->c_str(), &end);
  MCREV_EXPECTS(end != halfwidth_->c_str() && *end == '\0', "--target-halfwidth", "expected a number, got '" + *halfwidth_ + "'");
  MCREV_EXPECTS(std::isfinite(eps) && eps > 0, "--target-halfwidth", "must be a finite number > 0, got '" + *halfwidth_ + "'");
  t.halfwidth = eps;
  for (const std::string& m : metrics_) {
    MCREV_EXPECTS(!m.empty(), "--target-metric", "empty metric name");
    t.metrics.push_back(m);
  }
  if (max_samples_) t.max_samples = parse_count(*max_samples_, "--max-samples", 1, kMaxSamples);
  return t;
}

void note_ignored_sweep_table(const std::string& text, const std::string& file, bool quiet) {
  SweepInput in;
  in.text = text;
  in.source_name = file;
  const std::vector<SweepSet> sets = scenario_sweep_sets(in);
  if (!sets.empty() && !quiet)
    std::fprintf(stderr, "mcrev: note: `mcrev run` ignores the [sweep] table (%zu swept key%s) and runs the scenario as "
                 "written; run the sweep with `mcrev sweep %s`\n",
                 sets.size(), sets.size() == 1 ? "" : "s", file.c_str());
}

void SweepCommand::add_to(CLI::App& app) {
  cmd_ = app.add_subcommand("sweep",
                            "Run a scenario over a grid of parameter values on common random numbers; tidy rows per "
                            "(point, mechanism, metric)");
  cmd_->add_option("scenario", file_, "Scenario TOML file (its [sweep] table, if any, gives sets too)")->required();
  cmd_->add_option("--set", sets_,
                   "KEY=VALUES: a key path (mechanisms[1].reserve, bidders[0].count, market.supply) and LOW:HIGH:COUNT "
                   "or a comma list; repeatable (Cartesian product, the first varies slowest)")
      ->take_all();
  cmd_->add_option("--samples,-n", samples_, "Profiles per point (overrides the file)");
  cmd_->add_option("--seed", seed_, "Random seed of every point (overrides the file)");
  cmd_->add_option("--backend", backend_, "auto | cpu | cuda (overrides the file)");
  cmd_->add_option("--threads", threads_, "CPU threads (0 = all cores)");
  cmd_->add_option("--confidence", confidence_, "Confidence level of the intervals (default 0.95)");
  cmd_->add_option("--format", format_, "table | json | csv");
  cmd_->add_option("-o,--output", output_, "Write the rows to this file instead of stdout");
  cmd_->add_option("--chunk-profiles", chunk_, "CPU work unit (256 × a power of two); results do not depend on it");
  cmd_->add_option("--plot", plot_, "Draw METRIC vs the first swept key, one line per mechanism (matplotlib) to this PNG");
  cmd_->add_option("--plot-metric", plot_metric_, "Metric plotted by --plot (default revenue), or a comma list: one row each");
  cmd_->add_flag("--quiet,-q", quiet_, "No progress bar or notes on stderr");
  target_.add_to(cmd_);
}

int SweepCommand::run() const {
  MCREV_EXPECTS(format_ == "table" || format_ == "json" || format_ == "csv", "--format",
                "expected table, json or csv, got '" + format_ + "'");
  MCREV_EXPECTS(threads_ >= 0, "--threads", "must be 0 (all cores) or more");
  SweepOptions opt;
  if (samples_) opt.overrides.samples = parse_count(*samples_, "--samples", 1, kMaxSamples);
  if (seed_) opt.overrides.seed = parse_count(*seed_, "--seed", 0, UINT64_MAX);
  if (backend_) opt.overrides.backend = parse_backend(*backend_, "--backend");
  if (confidence_) {
    MCREV_EXPECTS(*confidence_ > 0 && *confidence_ < 1, "--confidence", "must lie strictly between 0 and 1");
    opt.overrides.confidence = *confidence_;
  }
  opt.run.threads = threads_;
  opt.run.chunk_profiles = parse_count(chunk_, "--chunk-profiles", kLeafProfiles, kMaxChunkProfiles);
  opt.target = target_.get();
  MCREV_EXPECTS(!(samples_ && opt.target.enabled()), "--samples",
                "a precision target chooses the sample count (cap it with --max-samples)");
  const SweepInput in = SweepInput::from_file(file_);
  std::vector<SweepSet> cli;
  for (const std::string& s : sets_) cli.push_back(parse_set(s));
  const std::vector<SweepSet> sets = combine_sets(scenario_sweep_sets(in), cli);
  MCREV_EXPECTS(!sets.empty(), "--set", "nothing to sweep: give --set KEY=VALUES or a [sweep] table in the scenario");
  std::string script;
  if (!plot_.empty()) {
    // Checked before anything runs: a sweep that cannot be plotted is refused up front.
    script = plot_script();
    const int has_mpl = spawn({python(), "-c", "import matplotlib"}, true);
    MCREV_EXPECTS(has_mpl == 0, "--plot",
                  has_mpl < 0 ? "needs " + python() + " (not found); install Python 3 with matplotlib (scripts/install-deps.sh)"
                              : "needs matplotlib for " + python() +
                                    ": install it with `python3 -m pip install matplotlib` (or apt-get install "
                                    "python3-matplotlib, or scripts/install-deps.sh)");
  }
  SweepResult r;
  {
    SweepBar bar(!quiet_);  // cleared (destroyed) before the notes below
    opt.progress = [&](const SweepProgress& p) { bar.update(p); };
    r = run_sweep(in, sets, opt);
  }
  if (!quiet_ && !r.note.empty()) std::fprintf(stderr, "mcrev: %s\n", r.note.c_str());
  if (!r.points.empty())
    for (const std::string& w : r.points[0].result.warnings) std::fprintf(stderr, "mcrev: warning: %s\n", w.c_str());
  const std::string text = format_ == "json" ? format_sweep_json(r) : format_ == "csv" ? format_sweep_csv(r) : format_sweep_table(r);
  if (!plot_.empty()) {
    std::string rest = plot_metric_ + ",";
    for (size_t c; (c = rest.find(',')) != std::string::npos; rest.erase(0, c + 1)) {
      const std::string metric = rest.substr(0, c);
      bool known = false;
      for (const SweepRow& row : r.rows) known = known || row.metric == metric;
      MCREV_EXPECTS(known, "--plot-metric",
                    "no metric '" + metric + "' in the sweep's rows (e.g. revenue, welfare, revenue_diff, payment[GROUP])");
    }
    const std::string csv = plot_ + ".mcrev-rows.csv";
    write_file_atomic(csv, format_sweep_csv(r), "--plot");
    const int rc = spawn({python(), script, csv, "--out", plot_, "--metric", plot_metric_}, false);
    std::remove(csv.c_str());
    MCREV_EXPECTS(rc == 0, "--plot", "the plot script failed (" + script + ", exit " + std::to_string(rc) + ")");
  }
  if (output_.empty())
    std::fwrite(text.data(), 1, text.size(), stdout);
  else
    write_file_atomic(output_, text, "-o");
  return 0;
}

}  // namespace mcrev
