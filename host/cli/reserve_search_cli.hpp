// mcrev CLI: `mcrev reserve-search SCENARIO [--grid N] [--refine K] [--low L] [--high H]
// [--seller-value V] [--samples N] [--seed S] [--backend B] [--threads T] [-o curve.csv] [--quiet]`
// (docs/myerson.md "Reserve search"). The revenue curve goes to -o as CSV (stdout without -o); a
// summary line (best reserve, its revenue, the monopoly reserve's) goes to stderr.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace mcrev {

class ReserveSearchCommand {
 public:
  /// Registers the subcommand and its options on app.
  void add_to(CLI::App& app);
  bool parsed() const { return cmd_ && cmd_->parsed(); }
  /// Runs it; returns the exit code (errors are thrown as ScenarioError / BackendError).
  int run() const;

 private:
  CLI::App* cmd_ = nullptr;
  std::string file_, output_;
  std::optional<std::string> samples_, seed_;  // validated like the file's keys (parse_count)
  std::optional<std::string> backend_;
  std::optional<double> low_, high_;
  double seller_value_ = 0.0;
  int grid_ = 41, refine_ = 21, threads_ = 0;
  bool quiet_ = false;
};

}  // namespace mcrev
