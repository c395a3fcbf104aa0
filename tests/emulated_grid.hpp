// The CUDA estimation kernel emulated on the CPU (kernels/cuda_backend.cu): blocks of kBlock
// threads, one leaf of kLeafProfiles profiles per thread, the canonical block tree
// (tree_step_moment / tree_step_comoment, one metric or pair at a time, in the device's order).
#pragma once

#include "mcrev/engine.hpp"
#include "mcrev/pipeline/kernel_body.hpp"

#include <vector>

namespace mcrev::test {

constexpr int kBlock = 128;  // kernels/cuda_backend.cu

/// The partial (pass_shape(m0, m1)) of chunk c as estimate_kernel computes it; sink(x) sees every
/// profile's metric vector (the kernel's quantile sketches).
template <class Sink = NoSketchSink>
std::vector<double> emulate_chunk(const ModelData& md, std::uint64_t samples, std::uint64_t c, int m0, int m1,
                                  int block = kBlock, std::uint64_t per_thread = kLeafProfiles, Sink sink = Sink{}) {
  const Model m = md.view();
  const PartialShape sh = pass_shape(m, m0, m1);
  const MechanismPairs pairs{m.metrics_per_mechanism()};
  std::vector<double> v(m.n_values), b(m.scratch_doubles()), x(sh.metrics), sums(3 * sh.metrics + sh.pairs);
  std::vector<std::vector<double>> part(block, std::vector<double>(sh.size()));
  std::vector<double> sn(block), sa(block), sb(block), sc(block);
  for (int t = 0; t < block; ++t)
    thread_partial(m, thread_range(c, t, block, per_thread, samples), m0, m1, v.data(), b.data(), x.data(),
                   sums.data(), part[t].data(), sink);
  std::vector<double> out(sh.size());
  for (int k = 0; k < sh.metrics; ++k) {
    for (int t = 0; t < block; ++t) {
      sn[t] = part[t][0];
      sa[t] = part[t][1 + k];
      sb[t] = part[t][1 + sh.metrics + k];
    }
    for (int s = 1; s < block; s *= 2)
      for (int t = 0; t < block; t += 2 * s) tree_step_moment(sn.data(), sa.data(), sb.data(), t, s);
    out[0] = sn[0];
    out[1 + k] = sa[0];
    out[1 + sh.metrics + k] = sb[0];
  }
  for (int p = 0; p < sh.pairs; ++p) {
    int pi, pj;
    pairs(p, &pi, &pj);
    for (int t = 0; t < block; ++t) {
      sn[t] = part[t][0];
      sa[t] = part[t][1 + pi];
      sb[t] = part[t][1 + pj];
      sc[t] = part[t][1 + 2 * sh.metrics + p];
    }
    for (int s = 1; s < block; s *= 2)
      for (int t = 0; t < block; t += 2 * s) tree_step_comoment(sn.data(), sa.data(), sb.data(), sc.data(), t, s);
    out[1 + 2 * sh.metrics + p] = sc[0];
  }
  return out;
}

}  // namespace mcrev::test
