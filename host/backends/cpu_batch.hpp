// mcrev CPU backend internals: random draws, evaluation and leaf statistics for batches of
// consecutive profiles (docs/cpu_backend.md).
//
// The CPU backend evaluates each leaf's profiles in batches of at most kMaxBatch, so that the work
// that does not depend on the mechanism runs as vector loops over profiles:
//  * stream_uniforms: the first uniforms of one (seed, profile, lane) stream for every profile of the
//    batch, Philox4x32-10 computed for 4 (AVX2) or 8 (AVX-512) profiles per vector; bitwise the
//    numbers Stream(seed, profile, lane).uniform() returns (mcrev/rng.hpp).
//  * stream_words: the same Philox words as 32-bit integers (the fused divisible path, cpu_divisible).
//  * draw_values_batch: those uniforms through each group's inverse CDF, with the distribution's
//    switch hoisted out of the loop over profiles.
//  * evaluate_batch: the shared per-profile model (evaluate_values) on each profile, compiled with a
//    local copy of the model so that one-group and one-mechanism scenarios fold their loops.
//  * LeafAccumulator: the shifted sums of one leaf (mcrev/stats.hpp) from a [profile][metric]
//    buffer, eight metrics per vector, in leaf_add's order.
// Every step is bitwise the per-profile reference (evaluate_profile, leaf_add, leaf_finish), for
// every instruction set: the CPU backend's partials do not change, only how fast they come.
#pragma once

#include "mcrev/pipeline/evaluate.hpp"
#include "mcrev/core/stats.hpp"

#include <cstdint>
#include <vector>

namespace mcrev::cpu {

/// Most profiles per batch.
inline constexpr int kMaxBatch = 64;

/// Vector code paths (Philox, leaf sums), chosen at run time: function multiversioning by hand.
enum class Isa { Portable, Avx2, Avx512 };
/// The best implementation this processor supports.
Isa best_isa();
bool isa_supported(Isa isa);
const char* isa_name(Isa isa);

/// u[i * stride + j] = the i-th uniform (i < n_uniforms) of stream (seed, first + j, lane), for
/// j < count (1 <= count <= kMaxBatch); bitwise equal to Stream(seed, first + j, lane).uniform()
/// called i + 1 times. Entries j in [count, round_up(count, 8)) are overwritten with unspecified
/// values, so stride >= round_up(count, 8).
void stream_uniforms(Isa isa, std::uint64_t seed, std::uint32_t lane, std::uint64_t first, int count,
                     int n_uniforms, double* u, int stride);

/// The 32-bit Philox words behind stream_uniforms: w[i * stride + j] is the word whose uniform
/// (w + 0.5) 2^-32 (u32_to_open01, exact) is stream_uniforms' u[i * stride + j], for j < count;
/// entries j in [count, round_up(count, 8)) are overwritten with unspecified words. The uniforms'
/// order is the words' order (the map is exact and increasing).
void stream_words(Isa isa, std::uint64_t seed, std::uint32_t lane, std::uint64_t first, int count, int n_uniforms,
                  std::uint32_t* w, int stride);

/// stream_words for eight interleaved runs of profiles: column j is profile first + (j % 8) · leaf + j / 8
/// (the divisible whole-step path draws eight leaves side by side, cpu_divisible.hpp); count a multiple
/// of 8. Same words per profile as stream_words.
void stream_words_interleaved(Isa isa, std::uint64_t seed, std::uint32_t lane, std::uint64_t first,
                              std::uint64_t leaf, int count, int n_uniforms, std::uint32_t* w, int stride);

/// stream_uniforms for eight interleaved runs of profiles: column j is profile
/// first + (j % 8) · leaf + j / 8 (the single-item fast path draws eight leaves of `leaf` profiles side
/// by side, cpu_fast.hpp); count a multiple of 8. Same numbers per profile as stream_uniforms.
void stream_uniforms_interleaved(Isa isa, std::uint64_t seed, std::uint32_t lane, std::uint64_t first,
                                 std::uint64_t leaf, int count, int n_uniforms, double* u, int stride);

/// Values of count consecutive profiles starting at `first`, laid out for the model: v[j * n_values + k]
/// is value slot k in profile first + j, bitwise equal to what draw_values (mcrev/model/model.hpp)
/// writes. Scratch u holds n_values * kMaxBatch doubles.
void draw_values_batch(const Model& md, Isa isa, std::uint64_t first, int count, double* u, double* v);

/// v[j * v_stride] = d's inverse CDF of u[j] for j < count, bitwise Distribution::quantile (the
/// closed-form kinds vectorized); v may be u (stride 1). The single-item fast path's draws (cpu_fast.cpp).
void quantiles_batch(const Distribution& d, const double* arena, const double* u, int count, double* v, int v_stride);

/// Sorts each column j < count of the rows t[e * kMaxBatch + j] (e < d, 2 <= d <= 8) in decreasing
/// order into out[j * n + e], bitwise what sort_decreasing (mcrev/model/model.hpp) gives for values
/// that are not NaN: an odd-even transposition network whose compare-exchanges swap only strictly
/// smaller entries, so it is stable like the insertion sort (equal values, e.g. -0.0 and 0.0, keep
/// their order). Vectorized over the columns; t's columns [count, round_up(count, 4)) are
/// overwritten. draw_values_batch sorts the agents' marginal values with it.
void sort_columns(Isa isa, double* t, int d, int count, double* out, int n);

/// Runs every mechanism of md on count consecutive profiles starting at `first` whose values are
/// v[j * n_values + k] (evaluate_values of mcrev/pipeline/evaluate.hpp); the j-th profile's metrics go
/// to xs + j * row. Scratch: b (Model::scratch_doubles() doubles).
void evaluate_batch(const Model& md, std::uint64_t first, int count, const double* v, double* b, double* xs,
                    int row);

/// Metrics per profile row in a batch buffer: the metric count rounded up to a multiple of 8.
inline int padded_metrics(int metrics) { return (metrics + 7) / 8 * 8; }

/// Shifted sums of one leaf (mcrev/stats.hpp) from batches laid out [profile][metric]: the same
/// arithmetic in the same order as leaf_add called profile after profile, so the leaf partial is
/// bitwise what leaf_add and leaf_finish give; only the metrics are processed eight at a time.
class LeafAccumulator {
 public:
  LeafAccumulator(PartialShape shape, MechanismPairs pairs, Isa isa = best_isa());
  /// Starts a new leaf.
  void reset() { n_ = 0; }
  /// Adds `count` profiles; metric k of the j-th is x[j * row + k] for k < padded_metrics(metrics)
  /// (entries past the metrics are read and ignored, so they must be initialized).
  void add(const double* x, int row, int count);
  /// The leaf's partial (leaf_finish layout, shape.size() doubles).
  void finish(double* out) const;

 private:
  PartialShape shape_;
  MechanismPairs pairs_;
  Isa isa_;
  int padded_;
  std::uint64_t n_ = 0;
  std::vector<double> shift_, s1_, s2_, sxy_;  // padded_, padded_, padded_, pairs
  std::vector<int> pair_i_, pair_j_;           // the metrics of each pair
};

}  // namespace mcrev::cpu
