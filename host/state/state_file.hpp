// mcrev: partial-state files (`--partial-out`, `--checkpoint`, `mcrev merge`): a versioned,
// endian-safe encoding of a RangeState with what identifies its run (docs/state_format.md).
//
// Every integer is written little-endian byte by byte and every double as the little-endian bytes of
// its IEEE-754 bit pattern, so a file written on any machine reads back to the same bits on any other.
// Readers check every length against the bytes left before allocating, every range and entry against
// the run, and an FNV-1a 64 checksum over the whole file; a failure names the byte offset.
#pragma once

#include "mcrev/engine.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace mcrev {

inline constexpr char kStateMagic[8] = {'M', 'C', 'R', 'E', 'V', 'S', 'T', '\0'};
inline constexpr std::uint32_t kStateFormatVersion = 1;

enum class StateKind : std::uint32_t { Partial = 1, Checkpoint = 2 };

/// A state file: the run's identity, its scenario (to rebuild the model for the output), and the state.
struct StateFile {
  StateKind kind = StateKind::Partial;
  std::string version;              ///< the writer's `mcrev --version` text (refused by another version)
  std::uint64_t scenario_hash = 0;  ///< scenario_hash(): scenario text and the built model's tables
  std::uint64_t seed = 0, samples = 0;
  double confidence = 0.95;
  std::uint64_t chunk_profiles = 0;  ///< informational: the writer's chunk size
  double seconds = 0;                ///< compute time spent on the state so far
  std::string scenario_text;         ///< the scenario file's bytes; empty for the built-in default
  std::string base_dir;              ///< absolute directory of the scenario file (relative `file =` keys)
  std::string source_name;           ///< the scenario file name, for messages
  std::string device, note;          ///< RunResult::device and ::note of the writer
  PartialShape shape;
  int n_sketches = 0;
  RangeState state;
};

/// The bytes of a state file (docs/state_format.md).
std::string encode_state(const StateFile& f);

/// Reads the bytes of a state file; `name` prefixes messages. Throws ScenarioError(name, "byte N: ...")
/// on a bad magic, unknown format version, truncation, an impossible field or a checksum mismatch.
StateFile decode_state(const std::string& bytes, const std::string& name);

/// Reads a state file (exit 2 on a missing or unreadable file: ScenarioError naming the path).
StateFile read_state_file(const std::string& path);

/// Writes atomically: a temporary file beside `path`, flushed and fsync'ed, renamed over it, and the
/// directory fsync'ed; `path` is never left half-written. `what` names the flag in errors.
void write_file_atomic(const std::string& path, const std::string& bytes, const std::string& what);

/// 64-bit FNV-1a of the scenario text and of the built model's arena (distribution tables read from
/// data files, equilibrium tables): equal hashes mean the same scenario, data and solved tables.
std::uint64_t scenario_hash(const std::string& scenario_text, const ModelData& md);

/// The scenario a state was computed for: its text parsed (or the built-in default) with the file's
/// samples, seed and confidence applied.
Scenario state_scenario(const StateFile& f);

/// Throws ScenarioError(name_b, ...) naming the first field (version, scenario, seed, samples,
/// confidence, shape) in which b differs from a (check_confidence: also the confidence).
void check_same_run(const StateFile& a, const std::string& name_a, const StateFile& b, const std::string& name_b,
                    bool check_confidence);

/// Sorts the states by range and checks that they tile [0, samples): a gap or an overlap throws
/// ScenarioError("merge", ...) naming the ranges and files. names[i] names files[i].
void check_tiling(std::vector<StateFile>& files, std::vector<std::string>& names);

}  // namespace mcrev
