#include "cli/reserve_search_cli.hpp"

#include "mcrev/engine.hpp"
#include "mcrev/core/error.hpp"

#include "solvers/reserve_search.hpp"
#include "scenario/scenario.hpp"

#include <cstdio>
#include "state/state_file.hpp"

#include <filesystem>
#include <fstream>

namespace mcrev {

namespace {


}  // namespace

void ReserveSearchCommand::add_to(CLI::App& app) {
  cmd_ = app.add_subcommand("reserve-search",
                            "Find the best anonymous reserve of a second-price auction by simulation (common random "
                            "numbers across candidates); writes the revenue curve as CSV");
  cmd_->add_option("scenario", file_, "Scenario TOML file (its bidders are used; its mechanisms are ignored)")->required();
  cmd_->add_option("--grid", grid_, "Stage-1 grid points over [low, high] (default 41)");
  cmd_->add_option("--refine", refine_, "Stage-2 points around the best grid point (default 21; 0 = none)");
  cmd_->add_option("--low", low_, "Lowest candidate reserve (default: lowest support end)");
  cmd_->add_option("--high", high_, "Highest candidate reserve (default: highest support end, or Q(0.999))");
  cmd_->add_option("--seller-value", seller_value_, "Seller's value v0 (the objective is revenue + v0 P(no sale))");
  cmd_->add_option("--samples,-n", samples_, "Number of valuation profiles (overrides the file)");
  cmd_->add_option("--seed", seed_, "Random seed (overrides the file)");
  cmd_->add_option("--backend", backend_, "auto | cpu | cuda (overrides the file)");
  cmd_->add_option("--threads", threads_, "CPU threads (0 = all cores)");
  cmd_->add_option("-o,--output", output_, "Write the CSV curve to this file instead of stdout");
  cmd_->add_flag("--quiet,-q", quiet_, "No summary or notes on stderr");
}

int ReserveSearchCommand::run() const {
  const std::uint64_t n = samples_ ? parse_count(*samples_, "--samples", 1, kMaxSamples) : 0;
  const std::uint64_t seed = seed_ ? parse_count(*seed_, "--seed", 0, UINT64_MAX) : 0;
  Scenario sc = load_scenario_file(file_);
  if (samples_) sc.samples = n;
  if (seed_) sc.seed = seed;
  if (backend_) sc.backend = parse_backend(*backend_, "--backend");
  MCREV_EXPECTS(threads_ >= 0, "--threads", "must be 0 (all cores) or more");
  ReserveSearchOptions opt;
  opt.grid = grid_;
  opt.refine = refine_;
  opt.low = low_;
  opt.high = high_;
  opt.seller_value = seller_value_;
  RunOptions ro;
  ro.threads = threads_;
  const ReserveSearchResult r = reserve_search(sc, opt, ro);
  const std::string csv = format_reserve_csv(r);
  if (output_.empty()) std::fwrite(csv.data(), 1, csv.size(), stdout);
  else write_file_atomic(output_, csv, "-o");
  if (!quiet_) {
    if (!r.note.empty()) std::fprintf(stderr, "mcrev: %s\n", r.note.c_str());
    std::fprintf(stderr, "mcrev: best reserve %.6g: revenue %.6f ± %.6f, seller utility %.6f ± %.6f (%zu candidates, %llu profiles each, %s, %.2f s)\n",
                 r.best.reserve, r.best.revenue.mean, r.best.revenue.stderr_, r.best.seller_utility.mean,
                 r.best.seller_utility.stderr_, r.curve.size(), static_cast<unsigned long long>(r.samples),
                 r.backend.c_str(), r.seconds);
    for (const ReservePoint& p : r.curve)
      if (p.stage == "monopoly")
        std::fprintf(stderr, "mcrev: monopoly reserve psi^{-1}(v0) = %.6g: revenue %.6f ± %.6f\n", p.reserve,
                     p.revenue.mean, p.revenue.stderr_);
  }
  return 0;
}

}  // namespace mcrev
