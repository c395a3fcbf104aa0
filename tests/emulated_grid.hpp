// The CUDA estimation kernel emulated on the CPU (kernels/cuda_backend.cu): blocks of kBlock
// threads, one leaf of kLeafProfiles profiles per thread, the canonical block tree
// (tree_step_moment / tree_step_comoment, one metric or pair at a time, in the device's order), each
// thread's arrays carved from its slice of one workspace (ThreadWorkspace) as on the device.
#pragma once

#include "mcrev/engine.hpp"
#include "mcrev/pipeline/kernel_body.hpp"

#include <limits>
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
  // The kernel's workspace: one slice per thread, uninitialized on the device (NaN here).
  const size_t W = static_cast<size_t>(thread_workspace_doubles(m, sh));
  std::vector<double> workspace(block * W, std::numeric_limits<double>::quiet_NaN());
  std::vector<const double*> part(block);
  std::vector<double> sn(block), sa(block), sb(block), sc(block);
  for (int t = 0; t < block; ++t) {
    const ThreadWorkspace w = thread_workspace(m, sh, workspace.data() + t * W);
    thread_partial(m, thread_range(c, t, block, per_thread, samples), m0, m1, w.v, w.b, w.x, w.sums, w.part, sink);
    part[t] = w.part;
  }
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
