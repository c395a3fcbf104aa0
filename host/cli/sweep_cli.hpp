// mcrev CLI: `mcrev sweep SCENARIO --set KEY=VALUES ... [run options] [--plot FILE.png]` and the
// precision-target options of `mcrev run` and `mcrev sweep` (docs/sweeps.md).
#pragma once

#include "mcrev/sweep.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mcrev {

/// --target-halfwidth EPS, --target-metric NAME (repeatable, or a comma list), --max-samples N.
class TargetArgs {
 public:
  void add_to(CLI::App* cmd);
  bool enabled() const { return halfwidth_.has_value(); }
  /// The target (throws ScenarioError for bad EPS, cap, or --target-metric/--max-samples without EPS).
  PrecisionTarget get() const;

 private:
  std::optional<std::string> halfwidth_, max_samples_;
  std::vector<std::string> metrics_;
};

/// Prints a note when the scenario text has a [sweep] table that `mcrev run` ignores (after checking
/// that the table is well formed: ScenarioError otherwise).
void note_ignored_sweep_table(const std::string& text, const std::string& file, bool quiet);

class SweepCommand {
 public:
  void add_to(CLI::App& app);
  bool parsed() const { return cmd_ && cmd_->parsed(); }
  /// Runs it; returns the exit code (errors are thrown as ScenarioError / BackendError).
  int run() const;

 private:
  CLI::App* cmd_ = nullptr;
  std::string file_, format_ = "table", output_, plot_, plot_metric_ = "revenue", chunk_ = "65536";
  std::vector<std::string> sets_;
  std::optional<std::string> samples_, seed_, backend_;
  std::optional<double> confidence_;
  int threads_ = 0;
  bool quiet_ = false;
  TargetArgs target_;
};

}  // namespace mcrev
