// Philox streams: cuRAND's function as compiled by g++, the portable copy used by nvcc's host pass,
// and Random123's reference implementation (tests/random123_kat.cpp, a separate translation unit).
#include "mcrev/core/rng.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

namespace mcrev {
// Defined in random123_kat.cpp: Random123's philox4x32-10 of (counter, key).
std::array<std::uint32_t, 4> random123_philox(std::array<std::uint32_t, 4> ctr, std::array<std::uint32_t, 2> key);
}

using namespace mcrev;

TEST(Philox, KnownAnswerZeroVector) {
  // Random123 kat_vectors: philox4x32 10, counter 0, key 0 -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8.
  const uint4 r = philox_block(0, 0, 0, 0);
  EXPECT_EQ(r.x, 0x6627e8d5u);
  EXPECT_EQ(r.y, 0xe169c58du);
  EXPECT_EQ(r.z, 0xbc57ac4cu);
  EXPECT_EQ(r.w, 0x9b00dbd8u);
}

TEST(Philox, CurandEqualsRandom123AndPortableCopy) {
  ASSERT_TRUE(MCREV_HAVE_CURAND) << "host build should use cuRAND's curand_kernel.h";
  std::uint64_t x = 0x9e3779b97f4a7c15ull;
  for (int t = 0; t < 2000; ++t) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    // profile indices stay below 2^63 (bit 63 is the antithetic flag, tested below)
    const std::uint64_t seed = x ^ (x >> 29), profile = ((x >> 7) * 2654435761ull) & ~kAntitheticBit;
    const std::uint32_t lane = static_cast<std::uint32_t>(x >> 50), block = static_cast<std::uint32_t>(x >> 3);
    const uint4 a = philox_block(seed, profile, lane, block);
    const auto ref = random123_philox({block, lane, static_cast<std::uint32_t>(profile),
                                       static_cast<std::uint32_t>(profile >> 32)},
                                      {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)});
    const uint4 p = detail::philox4x32_10_portable(
        make_uint4(block, lane, static_cast<std::uint32_t>(profile), static_cast<std::uint32_t>(profile >> 32)),
        make_uint2(static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)));
    ASSERT_EQ(a.x, ref[0]);
    ASSERT_EQ(a.y, ref[1]);
    ASSERT_EQ(a.z, ref[2]);
    ASSERT_EQ(a.w, ref[3]);
    ASSERT_EQ(p.x, a.x);
    ASSERT_EQ(p.y, a.y);
    ASSERT_EQ(p.z, a.z);
    ASSERT_EQ(p.w, a.w);
  }
}

TEST(Philox, StreamIsPureFunctionOfPosition) {
  Stream s(42, 123456789012ull, 3);
  std::vector<double> seq;
  for (int i = 0; i < 11; ++i) seq.push_back(s.uniform());
  for (int i = 0; i < 11; ++i) {
    const uint4 b = philox_block(42, 123456789012ull, 3, i / 4);
    EXPECT_EQ(seq[i], u32_to_open01(block_word(b, i % 4)));
  }
  // Different lanes and profiles give different numbers.
  EXPECT_NE(Stream(42, 1, 0).uniform(), Stream(42, 1, 1).uniform());
  EXPECT_NE(Stream(42, 1, 0).uniform(), Stream(42, 2, 0).uniform());
  EXPECT_NE(Stream(42, 1, 0).uniform(), Stream(43, 1, 0).uniform());
}

TEST(Philox, UniformsAreInOpenIntervalAndUniform) {
  EXPECT_GT(u32_to_open01(0), 0.0);
  EXPECT_LT(u32_to_open01(0xffffffffu), 1.0);
  // Mean and variance of 10^6 uniforms against 1/2 and 1/12 (5 SE).
  const int n = 1000000;
  double s1 = 0, s2 = 0;
  for (int p = 0; p < n / 4; ++p) {
    Stream s(9, p, 0);
    for (int k = 0; k < 4; ++k) {
      const double u = s.uniform();
      s1 += u;
      s2 += (u - 0.5) * (u - 0.5);
    }
  }
  EXPECT_NEAR(s1 / n, 0.5, 5 * std::sqrt(1.0 / 12 / n));
  EXPECT_NEAR(s2 / n, 1.0 / 12, 5 * std::sqrt(1.0 / 180 / n));
}

TEST(Philox, BelowIsUniformOverK) {
  const int k = 7, n = 700000;
  std::vector<int> hits(k, 0);
  for (int p = 0; p < n; ++p) ++hits[Stream(5, p, 2).below(k)];
  for (int j = 0; j < k; ++j) EXPECT_NEAR(hits[j], n / double(k), 5 * std::sqrt(n * (1.0 / k) * (1 - 1.0 / k)));
}

// variance_reduction = "antithetic": profile p | kAntitheticBit draws exactly 1 − u for every uniform u of
// profile p, in every lane (docs/variance_reduction.md).
TEST(Philox, AntitheticProfileDrawsComplementedUniforms) {
  for (std::uint64_t profile : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{255}, std::uint64_t{123456789012}, kMaxSamples - 1}) {
    for (std::uint32_t lane : {0u, 1u, 7u}) {
      Stream a(42, profile, lane), b(42, profile | kAntitheticBit, lane);
      for (int k = 0; k < 11; ++k) {
        const double u = a.uniform(), w = b.uniform();
        ASSERT_EQ(w, 1.0 - u) << "profile " << profile << " lane " << lane << " uniform " << k;
        ASSERT_GT(w, 0.0);
        ASSERT_LT(w, 1.0);
      }
    }
  }
}
