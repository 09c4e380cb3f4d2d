// One edge (o, f) of a layer: its combined weights from the parameters and the
// parameters' gradients from those of its combined weights, for the packing
// kernels (weights.cpp) and the local backward kernel (local_support.cpp).
#pragma once

#include <cstdint>

namespace kanlab_cpu {

// One edge (o, f): its combined weights [scale_base * mask | scale_sp * mask *
// coef] into w[0], w[step], ... (the base slot only when nb).
template <typename T>
inline void combine_edge(const T* __restrict coef, T scale_base, T scale_sp, T mask, int64_t n,
                         int64_t nb, T* __restrict w, int64_t step) {
  if (nb) w[0] = scale_base * mask;
  const T scale = scale_sp * mask;
  for (int64_t s = 0; s < n; ++s) w[(nb + s) * step] = coef[s] * scale;
}

// The same without the last spline's slot, its weight folded into the
// others': (coef[s] - coef[n - 1]) * scale_sp * mask into w[nb + s] for
// s < n - 1 (the base slot as above).  Returns the last spline's weight
// coef[n - 1] * scale_sp * mask, which the splines' partition of unity turns
// into a constant term of the edge (a bias of its output).
template <typename T>
inline T combine_edge_relative(const T* __restrict coef, T scale_base, T scale_sp, T mask,
                               int64_t n, int64_t nb, T* __restrict w) {
  if (nb) w[0] = scale_base * mask;
  const T scale = scale_sp * mask, c_last = coef[n - 1];
  for (int64_t s = 0; s + 1 < n; ++s) w[nb + s] = (coef[s] - c_last) * scale;
  return c_last * scale;
}

// The reverse for one edge: the gradients of its coef, scale_base (zero without
// a base function) and scale_sp from that of its combined weights g[0], g[step], ...
template <typename T>
inline void split_edge(const T* __restrict g, int64_t step, const T* __restrict coef, T scale_sp,
                       T mask, int64_t n, int64_t nb, T* __restrict g_coef, T& g_base, T& g_sp) {
  g_base = nb ? g[0] * mask : T(0);
  const T scale = scale_sp * mask;
  T dot = T(0);
  for (int64_t s = 0; s < n; ++s) {
    const T gv = g[(nb + s) * step];
    g_coef[s] = gv * scale;
    dot += gv * coef[s];
  }
  g_sp = dot * mask;
}

// The same from the gradient of the weights without the last spline's slot
// (combine_edge_relative's layout, g[0 .. nb + n - 2]): the last spline's own
// gradient is total - (the others'), total being the sum over the batch of
// the output's gradient, since an input's splines sum to one at every point.
template <typename T>
inline void split_edge_relative(const T* __restrict g, T total, const T* __restrict coef,
                                T scale_sp, T mask, int64_t n, int64_t nb, T* __restrict g_coef,
                                T& g_base, T& g_sp) {
  g_base = nb ? g[0] * mask : T(0);
  const T scale = scale_sp * mask;
  T dot = T(0), rest = T(0);
  for (int64_t s = 0; s + 1 < n; ++s) {
    const T gv = g[nb + s];
    g_coef[s] = gv * scale;
    dot += gv * coef[s];
    rest += gv;
  }
  const T gl = total - rest;
  g_coef[n - 1] = gl * scale;
  g_sp = (dot + gl * coef[n - 1]) * mask;
}

}  // namespace kanlab_cpu
