// mcrev: the seller's optimal mechanism when bidders report quantized values (THEORY.md, "Quantized
// (binary) bids"; docs/quantized.md derives the multi-level case).
//
// Bidder i holds ascending thresholds θ_i1 <= ... <= θ_ik inside its support [a_i, b_i] and reports
// the cell u_i = #{l : θ_il <= V_i} in {0, ..., k} (k = 1: the bit 1{V_i >= θ_i}). With
// S_il = P(V_i >= θ_il) (S_i0 = 1, θ_i0 = a_i, S_i,k+1 = 0), the cell's probability is
// π_ij = S_ij − S_i,j+1 and its virtual value is
//   c_ij = E[ψ_i(V_i) | cell j] = (θ_ij S_ij − θ_i,j+1 S_i,j+1) / π_ij
//        = θ_ij − (θ_i,j+1 − θ_ij) S_i,j+1 / π_ij         (top cell: c_ik = θ_ik),
// binary: c_i(1) = θ_i, c_i(0) = (a_i − p_i1 θ_i) / p_i0. Cell values are ironed (pool-adjacent-
// violators with weights π_ij) so that c̄_ij is non-decreasing in j; binary cells never need it
// (c_i(0) = a_i − (θ_i − a_i) p_i1 / p_i0 <= a_i <= θ_i = c_i(1)). A cell of probability 0 takes the ironed value of the nearest
// non-empty cell below it (above it if none), which keeps c̄ monotone.
//
// Allocation: the item goes to the bidder with the highest c̄_i(u_i) if that strictly exceeds the
// seller's value v0; ties are broken by a uniformly random priority order (bidder i's priority is
// the i-th uniform of the mechanism's auxiliary stream; equal priorities favour the lower index).
// Payment: the winner pays the lower end of the lowest cell with which it would still have won,
// other reports and priorities fixed: a_i if that is cell 0, θ_il if it is cell l >= 1 (binary:
// a_i if it would also have won with bit 0, θ_i otherwise). Because the priorities are drawn
// independently of the report, winning with cell l implies winning with every higher cell, so the
// expected payment given the others' cells is M_i(j) = a_i Q_i(0) + Σ_{l=1..j} θ_il (Q_i(l) − Q_i(l−1))
// (the IC chain with IR binding at a_i), and for every fixed priority order truthful reporting is
// a dominant strategy with utility >= 0 (ex-post IC and IR in the reports).
//
// Reports are values (b_i = v_i under truth-telling); the cell is computed here, so a deviation is a
// change of one report. A report of kNoBid (or NaN) does not take part.
//
// Arena layout at Mechanism::data:
//   [0] mode (0 = fixed thresholds, 1 = random thresholds), [1] levels k (random mode),
//   fixed mode: [2 + i] = arena offset of bidder i's record [k_i, θ_1..θ_k, c̄_0..c̄_k].
// Random mode draws bidder i's thresholds per profile as the uniforms (i k .. i k + k − 1) of lane
// quantized_threshold_lane(m), mapped to [a_i, b_i] and sorted; the seller knows them.
#pragma once

#include "mcrev/core/config.hpp"
#include "mcrev/distributions/distribution.hpp"
#include "mcrev/core/rng.hpp"
#include "mcrev/model/outcome.hpp"

#include <cmath>
#include <cstdint>

namespace mcrev {

/// Most thresholds per bidder (cells = levels + 1).
inline constexpr int kMaxQuantizedLevels = 15;
inline constexpr int kMaxQuantizedCells = kMaxQuantizedLevels + 1;

/// Lane of the per-profile random thresholds of mechanism m (new lanes: other streams unchanged).
MCREV_HD MCREV_INLINE std::uint32_t quantized_threshold_lane(int mechanism) {
  return 2000u + static_cast<std::uint32_t>(mechanism);
}

/// The index-th uniform on (0, 1) of stream (seed, profile, lane), by random access (the same number
/// Stream would return as its index-th draw).
MCREV_HD MCREV_INLINE double stream_uniform_at(std::uint64_t seed, std::uint64_t profile, std::uint32_t lane,
                                               std::uint32_t index) {
  return u32_to_open01(block_word(philox_block(seed, profile, lane, index >> 2), static_cast<int>(index & 3u)));
}

/// P(V >= x): 1 − F(x⁻) (left limit for Empirical, whose CDF may jump; F(x) for continuous kinds).
MCREV_HD inline double prob_at_least(const Distribution& d, double x, const double* arena) {
  if (d.kind == DistKind::Empirical) return 1.0 - d.cdf(nextafter(x, -HUGE_VAL), arena);
  return 1.0 - d.cdf(x, arena);
}

/// Ironed cell virtual values c̄_0..c̄_k (and, if prob != nullptr, cell probabilities π_0..π_k) of a
/// bidder with distribution d and ascending thresholds thr[0..k) inside [d.low, d.high].
/// O(k) work, no allocation; usable in kernels.
MCREV_HD MCREV_DEVICE_NOINLINE void quantized_cell_values(const Distribution& d, const double* arena, const double* thr, int k,
                                           double* value, double* prob) {
  // Cells j = 0..k in order: π_j = (S_j − S_{j+1})^+ with S_j = P(V >= θ_j) (S_0 = 1, S_{k+1} = 0),
  // pooled as they come: adjacent violators over the non-empty cells, blocks [start, end) with weight
  // w and sum s. One S at a time, and the blocks' sums kept in `value` (block bl at value[bl]): a
  // small frame on the device.
  unsigned char start[kMaxQuantizedCells];
  double w[kMaxQuantizedCells];
  double* s = value;
  int blocks = 0;
  double at_least = 1.0;  // S_j
  for (int j = 0; j <= k; ++j) {
    const double next = j < k ? prob_at_least(d, thr[j], arena) : 0.0;  // S_{j+1}
    const double p = at_least - next;
    const double pi = p > 0.0 ? p : 0.0;
    const double lower = j == 0 ? d.low : thr[j - 1];
    // π_j c_j = θ_j π_j − (θ_{j+1} − θ_j) S_{j+1}; the top cell has S_{k+1} = 0 (also for b = +inf).
    const double sum = j == k ? lower * pi : lower * pi - (thr[j] - lower) * next;
    if (prob) prob[j] = pi;
    at_least = next;
    if (!(pi > 0.0)) continue;
    start[blocks] = static_cast<unsigned char>(j);
    w[blocks] = pi;
    s[blocks] = sum;
    ++blocks;
    while (blocks > 1 && s[blocks - 2] / w[blocks - 2] > s[blocks - 1] / w[blocks - 1]) {
      w[blocks - 2] += w[blocks - 1];
      s[blocks - 2] += s[blocks - 1];
      --blocks;
    }
  }
  // Assign block means to the cells from each block's start to the next block's start; empty cells
  // before the first non-empty one take the first block's value. Last block first: block bl writes
  // cells >= start[bl] >= bl, above the sums of the blocks still to come.
  for (int bl = blocks - 1; bl >= 0; --bl) {
    const double mean = s[bl] / w[bl];
    const int from = bl == 0 ? 0 : start[bl];
    const int to = bl + 1 < blocks ? start[bl + 1] : k + 1;
    for (int j = from; j < to; ++j) value[j] = mean;
  }
  if (blocks == 0)  // cannot happen for a distribution (the cells' probabilities sum to 1)
    for (int j = 0; j <= k; ++j) value[j] = d.low;
}

/// Cell of report x for ascending thresholds thr[0..k): #{l : thr[l] <= x}; −1 if x does not take
/// part (kNoBid = −inf or NaN).
MCREV_HD MCREV_INLINE int quantized_cell(double x, const double* thr, int k) {
  if (!(x > -HUGE_VAL)) return -1;
  int c = 0;
  while (c < k && thr[c] <= x) ++c;
  return c;
}

/// Winner (−1: the seller keeps the item) and the winner's payment.
struct QuantizedSale {
  int winner = -1;
  double price = 0.0;
};

/// The optimal quantized-bid mechanism on one profile, for any View providing
///   int n() const;                      number of bidders
///   int report(int i);                  bidder i's reported cell, −1 if it does not take part
///   double value(int i, int cell);      ironed cell virtual value c̄_i(cell)
///   double lower(int i, int cell);      lower end of the cell: a_i for cell 0, θ_i,cell otherwise
///   double priority(int i);             tie-break priority (higher wins), independent of reports
/// Work O(n + k) beyond the View's calls.
namespace detail {
/// (x, i) ranks above (y, j): higher cell value, then higher priority, then lower index.
template <class View>
MCREV_HD MCREV_INLINE bool quantized_above(View& view, double x, int i, double y, int j) {
  if (x != y) return x > y;
  const double pi = view.priority(i), pj = view.priority(j);
  return pi != pj ? pi > pj : i < j;
}
}  // namespace detail

template <class View>
MCREV_HD MCREV_DEVICE_NOINLINE QuantizedSale quantized_sale(View& view, double seller_value) {
  int best = -1, second = -1;
  double kb = 0.0, ks = 0.0;
  const int n = view.n();
  for (int i = 0; i < n; ++i) {
    const int r = view.report(i);
    if (r < 0) continue;
    const double x = view.value(i, r);
    if (best < 0 || detail::quantized_above(view, x, i, kb, best)) {
      second = best;
      ks = kb;
      best = i;
      kb = x;
    } else if (second < 0 || detail::quantized_above(view, x, i, ks, second)) {
      second = i;
      ks = x;
    }
  }
  QuantizedSale sale;
  if (best < 0 || !(kb > seller_value)) return sale;
  sale.winner = best;
  const int r = view.report(best);
  sale.price = view.lower(best, r);
  for (int l = 0; l < r; ++l) {  // the lowest cell that still wins
    const double x = view.value(best, l);
    if (x > seller_value && (second < 0 || detail::quantized_above(view, x, best, ks, second))) {
      sale.price = view.lower(best, l);
      break;
    }
  }
  return sale;
}

/// View of mechanism m of a Model on one profile's reports b (fixed or per-profile random thresholds).
template <class ModelT>
class QuantizedModelView {
 public:
  MCREV_HD QuantizedModelView(const ModelT& md, int m, std::uint64_t profile, const double* b)
      : md_(md), m_(m), profile_(profile), b_(b) {
    const double* h = md.arena + md.mechanisms[m].data;
    random_ = h[0] != 0.0;
    levels_ = static_cast<int>(h[1]);
    offsets_ = h + 2;
  }
  MCREV_HD int n() const { return md_.n_bidders; }
  MCREV_HD int report(int i) {
    if (!random_) {
      const double* rec = record(i);
      return quantized_cell(b_[i], rec + 1, static_cast<int>(rec[0]));
    }
    load(i);
    return quantized_cell(b_[i], thr_, levels_);
  }
  MCREV_HD double value(int i, int cell) {
    if (!random_) {
      const double* rec = record(i);
      return rec[1 + static_cast<int>(rec[0]) + cell];
    }
    load(i);
    return val_[cell];
  }
  MCREV_HD double lower(int i, int cell) {
    if (cell == 0) return md_.groups[md_.group_of(i)].dist.low;
    if (!random_) return record(i)[cell];
    load(i);
    return thr_[cell - 1];
  }
  MCREV_HD double priority(int i) const {
    return stream_uniform_at(md_.seed, profile_, aux_lane(m_), static_cast<std::uint32_t>(i));
  }

 private:
  MCREV_HD const double* record(int i) const { return md_.arena + static_cast<long>(offsets_[i]); }
  MCREV_HD MCREV_DEVICE_NOINLINE void load(int i) {
    if (i == loaded_) return;
    loaded_ = i;
    const Distribution& d = md_.groups[md_.group_of(i)].dist;
    const std::uint32_t lane = quantized_threshold_lane(m_);
    for (int l = 0; l < levels_; ++l) {  // insertion sort of the k draws
      const double u = stream_uniform_at(md_.seed, profile_, lane, static_cast<std::uint32_t>(i * levels_ + l));
      const double t = d.low + (d.high - d.low) * u;
      int p = l;
      while (p > 0 && thr_[p - 1] > t) {
        thr_[p] = thr_[p - 1];
        --p;
      }
      thr_[p] = t;
    }
    quantized_cell_values(d, md_.arena, thr_, levels_, val_, nullptr);
  }

  const ModelT& md_;
  int m_;
  std::uint64_t profile_;
  const double* b_;
  bool random_ = false;
  int levels_ = 1;
  const double* offsets_ = nullptr;
  int loaded_ = -1;
  double thr_[kMaxQuantizedLevels];
  double val_[kMaxQuantizedCells];
};

/// Mechanism m's quantized sale on reports b (called from allocate() in mcrev/model.hpp).
template <class ModelT>
MCREV_HD inline QuantizedSale quantized_allocate(const ModelT& md, int m, std::uint64_t profile, const double* b) {
  QuantizedModelView<ModelT> view(md, m, profile, b);
  return quantized_sale(view, md.mechanisms[m].seller_value);
}

/// Registry family of kind "quantized" (market single_item; reports are the values, the cell is
/// computed from the report). TOML keys: docs/quantized.md (thresholds, levels, ...), seller_value.
struct QuantizedFamily {
  static constexpr bool kReportsAreValues = true;
  template <class ModelT>
  MCREV_HD static void allocate(const ModelT& md, int m, std::uint64_t profile, const double* b, double*, Outcome& o) {
    const QuantizedSale sale = quantized_allocate(md, m, profile, b);
    o.set_sale(sale.winner, sale.price);
  }
  template <class Keys, class Spec>
  static void read(Keys& r, Spec& ms) {
    r.quantized(ms.quantized);
  }
};

}  // namespace mcrev
