// mcrev: the mechanism registry's list — one registration line per mechanism kind.
//
//   X(Enumerator, market, "toml kind", Family)
//
// Enumerator names MechKind::Enumerator; market is the [market] kind it runs in (MarketKind); the
// TOML name is what `kind = "..."` selects within that market (names may repeat across markets);
// Family is the struct in mcrev/mechanisms/<family>.hpp that holds the kind's per-profile rule
// (allocate, on host and device) and its TOML keys (read, on the host). Adding a mechanism: write
// the family header, add its line here and its #include in mcrev/mechanisms/registry.hpp, add tests
// (docs/architecture.md walks through it). Dispatch is a switch generated from this list: static,
// no virtual calls on the device.
#pragma once

#define MCREV_MECHANISMS(X)                                                  \
  X(SecondPrice, SingleItem, "second_price", StandardAuction)                \
  X(FirstPrice, SingleItem, "first_price", StandardAuction)                  \
  X(AllPay, SingleItem, "all_pay", StandardAuction)                          \
  X(PostedPrice, SingleItem, "posted_price", PriceOffer)                     \
  X(RandomOffer, SingleItem, "random_offer", PriceOffer)                     \
  X(Quantized, SingleItem, "quantized", QuantizedFamily)                     \
  X(Myerson, SingleItem, "myerson", MyersonFamily)                           \
  X(UnitsVcg, Units, "vcg", MultiUnit)                                       \
  X(UniformPrice, Units, "uniform_price", MultiUnit)                         \
  X(PayAsBid, Units, "pay_as_bid", MultiUnit)                                \
  X(DivVcg, Divisible, "vcg", DivisibleMarket)                               \
  X(DivPayAsBid, Divisible, "pay_as_bid", DivisibleMarket)                   \
  X(DivUniformPrice, Divisible, "uniform_price", DivisibleMarket)            \
  X(CombVcg, Combinatorial, "vcg", CombinatorialAuction)                     \
  X(CombPayAsBid, Combinatorial, "pay_as_bid", CombinatorialAuction)         \
  X(NearestVcg, Combinatorial, "nearest_vcg", CombinatorialAuction)          \
  X(NearestBid, Combinatorial, "nearest_bid", CombinatorialAuction)          \
  X(NearestZero, Combinatorial, "nearest_zero", CombinatorialAuction)        \
  X(Proxy, Combinatorial, "proxy", CombinatorialAuction)                     \
  X(SingleVcg, SingleItem, "vcg", SingleItemVcg)                             \
  X(DaVcg, DoubleAuction, "vcg", DoubleAuction)                              \
  X(DaPostedPrice, DoubleAuction, "posted_price", DoubleAuction)             \
  X(KDoubleAuction, DoubleAuction, "k_double_auction", DoubleAuction)        \
  X(McAfee, DoubleAuction, "mcafee", DoubleAuction)                          \
  X(DaDagva, DoubleAuction, "dagva", DoubleAuction)                          \
  X(SecondBest, DoubleAuction, "second_best", DoubleAuction)                 \
  X(PpVcg, PublicProject, "vcg", PublicProject)                              \
  X(Groves, PublicProject, "groves", PublicProject)                          \
  X(PpDagva, PublicProject, "dagva", PublicProject)                          \
  X(ThirdPrice, SingleItem, "third_price", StandardAuction)                  \
  X(KthPrice, SingleItem, "kth_price", StandardAuction)

namespace mcrev {

#define MCREV_KIND_ENUMERATOR(name, market, toml, family) name,
enum class MechKind : int { MCREV_MECHANISMS(MCREV_KIND_ENUMERATOR) };
#undef MCREV_KIND_ENUMERATOR

}  // namespace mcrev
