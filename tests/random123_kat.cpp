// Random123's Philox4x32-10, kept apart from curand_kernel.h (the two headers clash).
#include <Random123/philox.h>

#include <array>
#include <cstdint>

namespace mcrev {

std::array<std::uint32_t, 4> random123_philox(std::array<std::uint32_t, 4> ctr, std::array<std::uint32_t, 2> key) {
  r123::Philox4x32_R<10> g;
  r123::Philox4x32_R<10>::ctr_type c = {{ctr[0], ctr[1], ctr[2], ctr[3]}};
  r123::Philox4x32_R<10>::key_type k = {{key[0], key[1]}};
  const auto r = g(c, k);
  return {r.v[0], r.v[1], r.v[2], r.v[3]};
}

}  // namespace mcrev
