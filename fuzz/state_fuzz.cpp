// libFuzzer target: the partial-state reader (docs/state_format.md). Any byte string must either
// decode or throw ScenarioError naming a byte offset; a decoded state must re-encode to the same
// bytes (the format has one encoding of each state). Anything else is a finding.
#include "mcrev/core/error.hpp"
#include "state/state_file.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const mcrev::StateFile f = mcrev::decode_state(bytes, "fuzz.mcp");
    if (mcrev::encode_state(f) != bytes) std::abort();
  } catch (const mcrev::ScenarioError& e) {
    if (std::string(e.what()).find("byte ") == std::string::npos) std::abort();
  }
  return 0;
}
