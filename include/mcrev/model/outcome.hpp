// mcrev: the outcome of one mechanism on one profile, the same type for every market
// (docs/architecture.md, "The outcome model").
//
// For every agent i an outcome gives
//   x_i  its allocation: a probability of the item (single_item), a number of units (units), or a
//        quantity; negative when the agent gives up what it owns (a seller, in later markets);
//   t_i  its transfer: what it pays the mechanism; negative when the mechanism pays the agent.
// Every metric (revenue Σ t_i, welfare Σ value_i(x_i), per-group allocation, payment, utility,
// IR, budget) and every incentive statistic is derived from (x, t) in mcrev/pipeline/evaluate.hpp
// and mcrev/incentives/expost.hpp, with no mechanism-specific code.
//
// Two representations of the same thing:
//  * sparse (dense == false): agent `winner` (−1: nobody) receives `quantity` and pays `price`;
//    every other agent receives and pays exactly 0. Single-item rules where only the winner pays
//    use it, so no per-agent arrays are written per profile.
//  * dense (dense == true): agent i receives alloc[i] and pays transfer[i] (n_bidders entries each,
//    storage provided by the caller through Model::outcome_storage). `winner` may still name the
//    holder of a single item (all-pay) for convenience; it plays no part in the metrics.
// The accessors x(i), t(i) read either form; metrics computed from the sparse form are bitwise those
// of the equivalent dense arrays (every term they skip is an exact 0).
#pragma once

#include "mcrev/core/config.hpp"

namespace mcrev {

struct Outcome {
  bool dense = false;
  int winner = -1;        ///< sparse: the only agent with a non-zero allocation or transfer (−1: none)
  double price = 0.0;     ///< sparse: the winner's transfer
  double quantity = 1.0;  ///< sparse: the winner's allocation
  double cost = 0.0;      ///< resource cost the mechanism incurs (e.g. a public project built); 0 here
  /// Market statistic (metric::market_metrics): divisible: the clearing price λ; combinatorial:
  /// filled by write_metrics (core check). 0 in other markets.
  double market_stat = 0.0;
  double* alloc = nullptr;     ///< dense: n_bidders allocations
  double* transfer = nullptr;  ///< dense: n_bidders transfers

  MCREV_HD MCREV_INLINE double x(int i) const {
    return dense ? alloc[i] : (i == winner ? quantity : 0.0);
  }
  MCREV_HD MCREV_INLINE double t(int i) const {
    return dense ? transfer[i] : (i == winner ? price : 0.0);
  }
  /// Sparse form: agent w (−1: nobody) gets the item and pays p.
  MCREV_HD MCREV_INLINE void set_sale(int w, double p) {
    dense = false;
    winner = w;
    price = w >= 0 ? p : 0.0;
    quantity = 1.0;
    cost = 0.0;
    market_stat = 0.0;
  }
  /// Dense form with every entry zero (n agents); the rule then fills alloc and transfer.
  MCREV_HD MCREV_INLINE void clear_dense(int n) {
    dense = true;
    winner = -1;
    price = 0.0;
    cost = 0.0;
    market_stat = 0.0;
    for (int i = 0; i < n; ++i) {
      alloc[i] = 0.0;
      transfer[i] = 0.0;
    }
  }
};

}  // namespace mcrev
