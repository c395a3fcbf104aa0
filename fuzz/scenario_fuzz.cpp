// libFuzzer target: the scenario parser (TOML text → Scenario, with every validation rule).
// Any input must either parse or throw ScenarioError; anything else — a crash, a sanitizer report,
// another exception type — is a finding. Inputs that name a data file (`file = ...`, or a key spelled
// with \u escapes) are skipped: they would read files of the fuzzing machine (/dev/zero, FIFOs).
#include "mcrev/core/error.hpp"
#include "scenario/scenario.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 1 << 16) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (text.find("file") != std::string::npos || text.find("\\u") != std::string::npos ||
      text.find("\\U") != std::string::npos)
    return 0;
  try {
    mcrev::Scenario sc = mcrev::parse_scenario(text, "/nonexistent-mcrev-fuzz", "fuzz.toml");
    (void)sc;
  } catch (const mcrev::ScenarioError&) {
  }
  return 0;
}
