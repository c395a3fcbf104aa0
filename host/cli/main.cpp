// mcrev command-line interface: `mcrev run [SCENARIO.toml] [options]`.
// Exit codes: 0 success, 2 invalid input (scenario, options, files), 3 backend failure.
#include "mcrev/engine.hpp"
#include "mcrev/core/error.hpp"

#include "output/output.hpp"
#include "cli/reserve_search_cli.hpp"
#include "cli/sweep_cli.hpp"
#include "scenario/scenario.hpp"
#include "state/state_file.hpp"
#include "vr/variance_reduction.hpp"
#include "cli/mpi_world.hpp"
#include "mcrev/core/sketch.hpp"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <tuple>
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

/// --chunk-profiles: kLeafProfiles times a power of two (as RunOptions::chunk_profiles), named by the option.
std::uint64_t parse_chunk(const std::string& text) {
  const std::uint64_t c = mcrev::parse_count(text, "--chunk-profiles", mcrev::kLeafProfiles, mcrev::kMaxChunkProfiles);
  const std::uint64_t leaves = c / mcrev::kLeafProfiles;
  if (c % mcrev::kLeafProfiles != 0 || (leaves & (leaves - 1)) != 0)
    throw mcrev::ScenarioError("--chunk-profiles", "must be " + std::to_string(mcrev::kLeafProfiles) +
                                                       " profiles times a power of two (256, 512, 1024, ...), got " + text);
  return c;
}

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


const std::string kVersionText = std::string("mcrev ") + MCREV_VERSION + " (git " + MCREV_GIT_COMMIT + ")";

struct RunArgs {
  std::string file, format = "table", output;
  std::optional<std::string> samples, seed, backend;  // validated like the file's keys (parse_count)
  std::optional<double> confidence;
  std::optional<std::string> variance_reduction;  // docs/variance_reduction.md
  int threads = 0;
  std::string chunk = "65536";
  bool quiet = false;
  // Scale-out (docs/state_format.md, docs/scaling.md)
  std::optional<std::string> profiles;
  std::string partial_out, checkpoint, resume;
  double checkpoint_every = 60.0;
  std::optional<std::string> devices;  // --devices all|0,1,... (CUDA)
  mcrev::TargetArgs target;  // --target-halfwidth, --target-metric, --max-samples (docs/sweeps.md)
};

void emit(const mcrev::Scenario& sc, const mcrev::RunResult& r, const std::string& format, const std::string& output,
          bool quiet) {
  if (!r.note.empty() && !quiet) std::fprintf(stderr, "mcrev: %s\n", r.note.c_str());
  for (const std::string& w : r.warnings) std::fprintf(stderr, "mcrev: warning: %s\n", w.c_str());
  const std::string text = format == "json" ? mcrev::format_json(sc, r)
                           : format == "csv" ? mcrev::format_csv(sc, r)
                                             : mcrev::format_table(sc, r);
  if (output.empty())
    std::fwrite(text.data(), 1, text.size(), stdout);
  else
    mcrev::write_file_atomic(output, text, "-o");
}

void check_format(const std::string& format) {
  MCREV_EXPECTS(format == "table" || format == "json" || format == "csv", "--format",
                "expected table, json or csv, got '" + format + "'");
}

/// `--profiles FIRST:END` (END may be omitted: the sample count).
std::pair<std::uint64_t, std::uint64_t> parse_profiles(const std::string& text, std::uint64_t samples) {
  const auto colon = text.find(':');
  MCREV_EXPECTS(colon != std::string::npos, "--profiles", "expected FIRST:END, got '" + text + "'");
  const std::uint64_t first = mcrev::parse_count(text.substr(0, colon), "--profiles", 0, mcrev::kMaxSamples);
  const std::string end_text = text.substr(colon + 1);
  const std::uint64_t end = end_text.empty() ? samples : mcrev::parse_count(end_text, "--profiles", 0, mcrev::kMaxSamples);
  mcrev::check_profile_range(first, end, samples, "--profiles");
  return {first, end};
}

/// `--devices all|0,1,...`: CUDA device numbers, each once (docs/gpu.md). Without a usable device:
/// BackendError (exit 3).
std::vector<int> parse_devices(const std::string& text) {
  MCREV_EXPECTS(!text.empty(), "--devices", "expected all or a list of device numbers such as 0,1");
  std::vector<int> out;
  std::vector<std::string> items;
  if (text != "all") {
    size_t at = 0;
    for (;;) {
      const size_t comma = text.find(',', at);
      items.push_back(text.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
    for (const std::string& item : items)
      MCREV_EXPECTS(!item.empty() && item.size() <= 4 && item.find_first_not_of("0123456789") == std::string::npos,
                    "--devices", "expected all or a list of device numbers such as 0,1, got '" + text + "'");
  }
  std::string gpu, why;
  if (!mcrev::cuda_available(&gpu, &why)) throw mcrev::BackendError("--devices: no usable CUDA device (" + why + ")");
  const std::vector<std::string> names = mcrev::cuda_device_names();
  const int n = static_cast<int>(names.size());
  if (text == "all") {
    for (int d = 0; d < n; ++d) out.push_back(d);
    return out;
  }
  for (const std::string& item : items) {
    const int d = std::stoi(item);
    MCREV_EXPECTS(d < n, "--devices",
                  "device " + item + " does not exist (this machine has " + std::to_string(n) + " CUDA device" +
                      (n == 1 ? "" : "s") + ", numbered from 0)");
    MCREV_EXPECTS(std::find(out.begin(), out.end(), d) == out.end(), "--devices", "device " + item + " is listed twice");
    out.push_back(d);
  }
  return out;
}

/// Runs `what`; an exception becomes an exit code (2 input, 3 backend) and its message.
template <class F>
int capture(F&& what, std::string* message) {
  try {
    what();
    return 0;
  } catch (const mcrev::ScenarioError& e) {
    *message = e.what();
    return 2;
  } catch (const mcrev::BackendError& e) {
    *message = e.what();
    return 3;
  } catch (const std::exception& e) {
    *message = e.what();
    return 3;
  }
}

/// Runs `what` on this process; prints the error, returns the exit code.
template <class F>
int guarded(F&& what) {
  std::string message;
  const int code = capture(what, &message);
  if (code) std::fprintf(stderr, "mcrev: error: %s\n", message.c_str());
  return code;
}

/// Runs `what` on every rank; an error on any rank becomes every rank's exit code, and rank 0 prints
/// the first failing rank's message. Returns 0 when every rank succeeded. Collective.
template <class F>
int on_every_rank(F&& what) {
  if (mcrev::mpi::size() == 1) return guarded(what);
  std::string message;
  const int code = capture(what, &message);
  const int worst = mcrev::mpi::max_code(code);
  const std::vector<std::string> messages = mcrev::mpi::gather(code ? message : std::string());
  if (worst && mcrev::mpi::rank() == 0)
    for (size_t r = 0; r < messages.size(); ++r)
      if (!messages[r].empty()) {
        std::fprintf(stderr, "mcrev: error: %s%s\n", r ? ("rank " + std::to_string(r) + ": ").c_str() : "", messages[r].c_str());
        break;
      }
  return worst;
}

/// Scale-out runs: a range of profiles (--profiles, --partial-out), checkpoints (--checkpoint,
/// --resume) and MPI ranks, on either backend (docs/state_format.md, docs/scaling.md, docs/gpu.md).
template <class Prepare>
int run_state_command(const RunArgs& a, Prepare&& prepare, mcrev::Scenario& sc, const std::string& scenario_text) {
  const int rank = mcrev::mpi::rank(), ranks = mcrev::mpi::size();
  mcrev::StateFile head;
  std::optional<mcrev::ModelData> md;
  std::uint64_t first = 0, end = 0;
  std::optional<mcrev::StateFile> resumed;
  mcrev::RunOptions opt;
  // Phase 1, on every rank: inputs, the model and the identity of the run.
  if (int code = on_every_rank([&] {
        prepare();
        MCREV_EXPECTS(sc.variance_reduction == mcrev::VrMethod::None, "variance_reduction",
                      "--profiles, --partial-out, --checkpoint, --resume and MPI runs support only \"none\" (the state "
                      "format holds plain Monte Carlo partials)");
        MCREV_EXPECTS(!a.profiles || !a.partial_out.empty(), "--profiles",
                      "needs --partial-out FILE (a range of profiles is not a result: merge the partials with mcrev merge)");
        MCREV_EXPECTS(a.partial_out.empty() || a.output.empty(), "-o",
                      "a --partial-out run writes its state, not a result; merge the partials with `mcrev merge ... -o FILE`");
        MCREV_EXPECTS(std::isfinite(a.checkpoint_every) && a.checkpoint_every > 0, "--checkpoint-every",
                      "must be a number of seconds > 0");
        MCREV_EXPECTS(ranks == 1 || (a.checkpoint.empty() && a.resume.empty()), a.checkpoint.empty() ? "--resume" : "--checkpoint",
                      "is not supported in an MPI run of several ranks (checkpoint a single process, or split the work "
                      "with --profiles and --partial-out)");
        std::string gpu;
        opt.backend = mcrev::resolve_backend(sc, opt, &head.note, &gpu);
        if (opt.backend == mcrev::Backend::Cuda) {
          // One process: the --devices list (default: the current device). MPI: each rank one device,
          // its rank within the node modulo the list (default: every device of the node).
          std::vector<int> devices = a.devices ? parse_devices(*a.devices) : std::vector<int>();
          if (ranks > 1) {
            if (devices.empty()) devices = parse_devices("all");
            devices = {devices[mcrev::mpi::local_rank() % static_cast<int>(devices.size())]};
          }
          opt.devices = devices;
        }
        opt.threads = a.threads;
        opt.chunk_profiles = parse_chunk(a.chunk);
        opt.checkpoint_every_s = a.checkpoint_every;
        md.emplace(mcrev::build_model(sc));
        first = 0, end = sc.samples;
        if (a.profiles) std::tie(first, end) = parse_profiles(*a.profiles, sc.samples);
        head.version = kVersionText;
        head.scenario_hash = mcrev::scenario_hash(scenario_text, *md);
        head.seed = sc.seed;
        head.samples = sc.samples;
        head.confidence = sc.confidence;
        head.chunk_profiles = opt.chunk_profiles;
        head.scenario_text = scenario_text;
        if (!a.file.empty()) {
          head.base_dir = std::filesystem::absolute(mcrev::scenario_dir(a.file)).lexically_normal().string();
          head.source_name = a.file;
        }
        head.device = opt.backend == mcrev::Backend::Cuda ? mcrev::cuda_device_label(opt.devices)
                                                          : mcrev::cpu_device_name(a.threads);
        head.shape = md->shape();
        head.n_sketches = md->n_sketches;
        if (!a.resume.empty()) {
          resumed = mcrev::read_state_file(a.resume);
          mcrev::check_same_run(head, "this run", *resumed, a.resume, false);
          MCREV_EXPECTS(resumed->state.first == first && resumed->state.end <= end, a.resume,
                        "holds profiles [" + std::to_string(resumed->state.first) + ", " + std::to_string(resumed->state.end) +
                            "), not a start of this run's [" + std::to_string(first) + ", " + std::to_string(end) + ")");
        }
      }))
    return code;

  // Phase 2: this rank's share, in whole chunks of the global grid (rank r: a contiguous block of them).
  const std::uint64_t chunk = opt.chunk_profiles;
  const std::uint64_t c_lo = first / chunk, c_hi = (end + chunk - 1) / chunk, n = c_hi - c_lo;
  const std::uint64_t my_first = std::min(end, std::max(first, (c_lo + n * rank / ranks) * chunk));
  const std::uint64_t my_end = std::min(end, std::max(first, (c_lo + n * (rank + 1) / ranks) * chunk));
  Progress bar(!a.quiet && rank == 0);
  opt.progress = [&](std::uint64_t done, std::uint64_t total) { bar.update(done, total); };
  const double seconds_before = resumed ? resumed->seconds : 0.0;
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  if (!a.checkpoint.empty())
    opt.checkpoint = [&](const mcrev::RangeState& s) {
      mcrev::StateFile f = head;
      f.kind = mcrev::StateKind::Checkpoint;
      f.seconds = elapsed();
      f.state = s;
      mcrev::write_file_atomic(a.checkpoint, mcrev::encode_state(f), "--checkpoint");
    };
  mcrev::RangeState mine;
  try {
    if (my_first < my_end) {
      mine = opt.backend == mcrev::Backend::Cuda
                 ? mcrev::run_cuda_range(*md, sc.samples, my_first, my_end, opt, resumed ? &resumed->state : nullptr)
                 : mcrev::run_cpu_range(*md, sc.samples, my_first, my_end, opt, resumed ? &resumed->state : nullptr);
    } else {
      mine.first = mine.end = my_first;
      mine.sketches = resumed ? resumed->state.sketches : std::vector<double>();
    }
  } catch (const std::exception& e) {
    const int code = dynamic_cast<const mcrev::ScenarioError*>(&e) ? 2 : 3;
    std::fprintf(stderr, "mcrev: error: %s%s\n", ranks > 1 ? ("rank " + std::to_string(rank) + ": ").c_str() : "", e.what());
    mcrev::mpi::abort_all(code);  // ends every rank (MPI); returns without MPI
    return code;
  }
  const double seconds = elapsed();

  // Phase 3: rank 0 gathers the states in rank (= chunk) order, joins them and writes.
  mcrev::StateFile mine_file = head;
  mine_file.state = std::move(mine);
  mine_file.seconds = seconds;
  if (ranks > 1 && mine_file.state.sketches.empty()) mine_file.state.sketches.assign(md->n_sketches * mcrev::sketch::kDoubles, 0.0);
  const std::vector<std::string> states = mcrev::mpi::gather(ranks > 1 ? mcrev::encode_state(mine_file) : std::string());
  int code = 0;
  if (rank == 0) code = guarded([&] {
    mcrev::StateFile all = head;
    if (ranks > 1) {
      std::vector<mcrev::RangeState> parts;
      double total_seconds = 0;
      for (size_t r = 0; r < states.size(); ++r) {
        mcrev::StateFile f = mcrev::decode_state(states[r], "rank " + std::to_string(r));
        total_seconds = std::max(total_seconds, f.seconds);
        if (f.state.first < f.state.end) parts.push_back(std::move(f.state));
      }
      all.state = mcrev::join_states(*md, std::move(parts));
      all.seconds = total_seconds;
    } else {
      all.state = std::move(mine_file.state);
      all.seconds = seconds;
    }
    if (!a.partial_out.empty()) {
      all.kind = mcrev::StateKind::Partial;
      mcrev::write_file_atomic(a.partial_out, mcrev::encode_state(all), "--partial-out");
      return;
    }
    mcrev::RunResult r = mcrev::finish_run(sc, *md, mcrev::finish_state(*md, std::move(all.state)), opt.backend, opt);
    r.note = head.note;
    r.device = head.device;
    r.seconds = all.seconds;
    r.profiles_per_second = all.seconds > 0 ? sc.samples / all.seconds : 0.0;
    emit(sc, r, a.format, a.output, a.quiet);
  });
  return mcrev::mpi::broadcast(code);
}

int run_command(const RunArgs& a) {
  mcrev::Scenario sc;
  std::string text;
  std::uint64_t chunk = 0;
  auto prepare = [&] {
    // Numbers from the command line follow the same rules as the file's keys (scenario.hpp).
    const std::optional<std::uint64_t> n =
        a.samples ? std::optional<std::uint64_t>(mcrev::parse_count(*a.samples, "--samples", 1, mcrev::kMaxSamples)) : std::nullopt;
    const std::optional<std::uint64_t> s =
        a.seed ? std::optional<std::uint64_t>(mcrev::parse_count(*a.seed, "--seed", 0, UINT64_MAX)) : std::nullopt;
    chunk = parse_chunk(a.chunk);
    text = a.file.empty() ? std::string() : mcrev::read_scenario_text(a.file);
    sc = a.file.empty() ? mcrev::default_scenario() : mcrev::parse_scenario(text, mcrev::scenario_dir(a.file), a.file);
    if (n) sc.samples = *n;
    if (s) sc.seed = *s;
    if (a.backend) sc.backend = mcrev::parse_backend(*a.backend, "--backend");
    if (a.devices) {
      MCREV_EXPECTS(sc.backend != mcrev::Backend::Cpu, "--devices", "lists CUDA devices, but the backend is cpu");
      sc.backend = mcrev::Backend::Cuda;  // no device: exit 3, as for --backend cuda
    }
    if (a.confidence) {
      MCREV_EXPECTS(*a.confidence > 0 && *a.confidence < 1, "--confidence", "must lie strictly between 0 and 1");
      sc.confidence = *a.confidence;
    }
    if (a.variance_reduction)
      sc.variance_reduction = mcrev::parse_variance_reduction(*a.variance_reduction, "--variance-reduction");
    MCREV_EXPECTS(a.threads >= 0, "--threads", "must be 0 (all cores) or more");
    check_format(a.format);
    mcrev::validate(sc);
    mcrev::check_variance_reduction(sc);
    if (!text.empty()) mcrev::note_ignored_sweep_table(text, a.file, a.quiet || mcrev::mpi::rank() != 0);
    if (a.target.enabled()) {
      MCREV_EXPECTS(!a.samples, "--samples", "a precision target chooses the sample count (cap it with --max-samples)");
      mcrev::check_target(sc, a.target.get());
    } else {
      a.target.get();  // --target-metric / --max-samples without --target-halfwidth
    }
  };
  if (a.profiles || !a.partial_out.empty() || !a.checkpoint.empty() || !a.resume.empty() || mcrev::mpi::size() > 1) {
    if (a.target.enabled())
      return on_every_rank([] {
        throw mcrev::ScenarioError("--target-halfwidth",
                                   "cannot be combined with --profiles, --partial-out, --checkpoint, --resume or MPI ranks");
      });
    return run_state_command(a, prepare, sc, text);
  }

  prepare();
  mcrev::RunOptions opt;
  opt.threads = a.threads;
  opt.chunk_profiles = chunk;
  if (a.devices) opt.devices = parse_devices(*a.devices);
  Progress bar(!a.quiet);
  opt.progress = [&](std::uint64_t done, std::uint64_t total) { bar.update(done, total); };
  const mcrev::RunResult r = a.target.enabled() ? mcrev::run_to_target(sc, a.target.get(), opt) : mcrev::run(sc, opt);
  emit(sc, r, a.format, a.output, a.quiet);
  return 0;
}

/// `mcrev merge PART... [-o FILE] [--format F]`: partial states that tile [0, samples) → the result.
int merge_command(const std::vector<std::string>& inputs, const std::string& format, const std::string& output,
                  int threads, bool quiet) {
  check_format(format);
  MCREV_EXPECTS(threads >= 0, "--threads", "must be 0 (all cores) or more");
  MCREV_EXPECTS(!inputs.empty(), "merge", "no partial files given");
  std::vector<mcrev::StateFile> files;
  std::vector<std::string> names = inputs;
  for (const std::string& path : inputs) files.push_back(mcrev::read_state_file(path));
  MCREV_EXPECTS(files[0].version == kVersionText, names[0],
                "written by " + files[0].version + ", but this is " + kVersionText +
                    ": merge partials with the mcrev that wrote them (their bits may differ)");
  for (size_t i = 1; i < files.size(); ++i) mcrev::check_same_run(files[0], names[0], files[i], names[i], true);
  mcrev::check_tiling(files, names);
  const mcrev::Scenario sc = mcrev::state_scenario(files[0]);
  const mcrev::ModelData md = mcrev::build_model(sc);
  const std::string shown = files[0].source_name.empty() ? "the built-in scenario" : "'" + files[0].source_name + "'";
  MCREV_EXPECTS(mcrev::scenario_hash(files[0].scenario_text, md) == files[0].scenario_hash, names[0],
                "the model built from its scenario (" + shown + ", data files under " + files[0].base_dir +
                    ") differs from the one it was computed with: a data file changed");
  std::vector<mcrev::RangeState> parts;
  std::vector<std::string> devices, notes;
  double seconds = 0;
  for (mcrev::StateFile& f : files) {
    if (std::find(devices.begin(), devices.end(), f.device) == devices.end()) devices.push_back(f.device);
    if (!f.note.empty() && std::find(notes.begin(), notes.end(), f.note) == notes.end()) notes.push_back(f.note);
    seconds += f.seconds;
    if (f.state.first < f.state.end) parts.push_back(std::move(f.state));
  }
  mcrev::RunOptions opt;
  opt.backend = mcrev::Backend::Cpu;
  opt.threads = threads;
  mcrev::RunResult r = mcrev::finish_run(sc, md, mcrev::finish_state(md, mcrev::join_states(md, std::move(parts))),
                                         mcrev::Backend::Cpu, opt);
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const std::string& x : v) s += (s.empty() ? "" : "; ") + x;
    return s;
  };
  r.device = join(devices);
  r.note = join(notes);
  r.seconds = seconds;
  r.profiles_per_second = seconds > 0 ? sc.samples / seconds : 0.0;
  emit(sc, r, format, output, quiet);
  return 0;
}

}  // namespace

int main(int argc, char** argv) try {
  if (mcrev::mpi::init(&argc, &argv) < 0) {
    std::fprintf(stderr, "mcrev: error: started as several MPI ranks, but this mcrev was built without MPI "
                         "(install libopenmpi-dev and rebuild)\n");
    return 2;
  }
  struct Finalize {
    ~Finalize() { mcrev::mpi::finalize(); }
  } finalize;
  CLI::App app{"mcrev: GPU-accelerated Monte Carlo estimates of auction and mechanism revenue, welfare and incentives"};
  app.set_version_flag("--version", kVersionText);
  app.require_subcommand(1);
  CLI::App* run = app.add_subcommand("run", "Estimate every mechanism of a scenario on common random profiles");
  RunArgs a;
  run->add_option("scenario", a.file, "Scenario TOML file (default: the built-in revenue-equivalence comparison)");
  run->add_option("--samples,-n", a.samples, "Number of valuation profiles, 1 to 1e17 (overrides the file)");
  run->add_option("--seed", a.seed, "Random seed, 0 to 2^64 - 1 (overrides the file)");
  run->add_option("--backend", a.backend, "auto | cpu | cuda (overrides the file)");
  run->add_option("--threads", a.threads, "CPU threads (0 = all cores)");
  run->add_option("--confidence", a.confidence, "Confidence level of the intervals (default 0.95)");
  run->add_option("--variance-reduction", a.variance_reduction,
                  "none | antithetic | control_variate | rqmc (overrides the file; docs/variance_reduction.md)");
  run->add_option("--format", a.format, "table | json | csv");
  run->add_option("-o,--output", a.output, "Write the result to this file instead of stdout");
  run->add_option("--chunk-profiles", a.chunk, "CPU work unit (256 × a power of two); results do not depend on it");
  run->add_flag("--quiet,-q", a.quiet, "No progress bar or notes on stderr");
  run->add_option("--profiles", a.profiles,
                  "FIRST:END: compute only profiles FIRST <= p < END of the run (multiples of 256, END may be the "
                  "sample count); needs --partial-out");
  run->add_option("--partial-out", a.partial_out, "Write the partial state (for mcrev merge) instead of a result");
  run->add_option("--devices", a.devices, "CUDA devices to split the run over: all or a list such as 0,1 (same bits)");
  run->add_option("--checkpoint", a.checkpoint, "Write the state of the completed chunks to this file, atomically");
  run->add_option("--checkpoint-every", a.checkpoint_every, "Seconds between checkpoints (default 60)");
  run->add_option("--resume", a.resume, "Continue from this checkpoint (same scenario, seed, samples and version)");
  a.target.add_to(run);
  CLI::App* merge = app.add_subcommand("merge", "Merge partial states that tile a run into its result");
  std::vector<std::string> merge_inputs;
  std::string merge_format = "table", merge_output;
  int merge_threads = 0;
  bool merge_quiet = false;
  merge->add_option("partials", merge_inputs, "Partial state files (.mcp) written by run --partial-out or --checkpoint")
      ->required();
  merge->add_option("--format", merge_format, "table | json | csv");
  merge->add_option("-o,--output", merge_output, "Write the result to this file instead of stdout");
  merge->add_option("--threads", merge_threads, "CPU threads for interim estimates (0 = all cores)");
  merge->add_flag("--quiet,-q", merge_quiet, "No notes on stderr");
  mcrev::ReserveSearchCommand reserve_search;  // `mcrev reserve-search` (docs/myerson.md)
  reserve_search.add_to(app);
  mcrev::SweepCommand sweep;  // `mcrev sweep` (docs/sweeps.md)
  sweep.add_to(app);
  // Command-line errors read like every other error: "mcrev: error: ...", exit 2.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("mcrev: error: ") + e.what() + "\nRun with --help for more information.\n";
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return mcrev::mpi::rank() == 0 ? app.exit(e) : 0;
  } catch (const CLI::CallForAllHelp& e) {
    return mcrev::mpi::rank() == 0 ? app.exit(e) : 0;
  } catch (const CLI::CallForVersion& e) {
    return mcrev::mpi::rank() == 0 ? app.exit(e) : 0;
  } catch (const CLI::ParseError& e) {
    if (mcrev::mpi::rank() == 0) app.exit(e);
    return 2;
  }
  if (mcrev::mpi::size() > 1 && !run->parsed())
    return on_every_rank([] {
      throw mcrev::ScenarioError("mpirun", "only `mcrev run` splits over MPI ranks; start merge, reserve-search and sweep as one process");
    });
  if (reserve_search.parsed()) return reserve_search.run();
  if (sweep.parsed()) return sweep.run();
  if (merge->parsed()) return merge_command(merge_inputs, merge_format, merge_output, merge_threads, merge_quiet);
  return run_command(a);
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
