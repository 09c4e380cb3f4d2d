// Packing of a layer's parameters into the combined weights of the local-support
// kernels, W (F, S, Op) = [scale_base * mask | scale_sp * mask * coef] with the
// outputs last and zero-padded to Op, and the reverse for their gradient, each
// in one pass over memory (parallel over inputs, so no two threads write the
// same memory).  Inputs are taken in blocks whose slabs of W fit the L1
// cache, so the parameters are read, and W written, in contiguous runs.
#include <ATen/Parallel.h>

#include "kernels.h"

namespace kanlab_cpu {
namespace {

constexpr int64_t kInputs = 16;   // inputs per block
constexpr int64_t kOutputs = 16;  // outputs per tile: whole cache lines of W

void check_params(const at::Tensor& coef, const at::Tensor& scale_sp, const at::Tensor& mask,
                  const at::Tensor& scale_base) {
  TORCH_CHECK(coef.dim() == 3 && coef.is_contiguous(), "coef must be a contiguous (O, F, n) tensor");
  const auto O = coef.size(0), F = coef.size(1);
  for (const at::Tensor* t : {&scale_sp, &mask, &scale_base}) {
    TORCH_CHECK(t->dim() == 2 && t->size(0) == O && t->size(1) == F && t->is_contiguous() &&
                    t->scalar_type() == coef.scalar_type(),
                "scale_base, scale_sp and mask must be contiguous (O, F) tensors of coef's dtype");
  }
}

}  // namespace

at::Tensor pack_weights(const at::Tensor& coef, const at::Tensor& scale_base,
                        const at::Tensor& scale_sp, const at::Tensor& mask, bool base,
                        int64_t padded) {
  check_params(coef, scale_sp, mask, scale_base);
  const int64_t O = coef.size(0), F = coef.size(1), n = coef.size(2), nb = base ? 1 : 0;
  const int64_t S = n + nb;
  TORCH_CHECK(padded >= O, "padded outputs must be at least the outputs");
  auto W = at::empty({F, S, padded}, coef.options());
  AT_DISPATCH_FLOATING_TYPES(coef.scalar_type(), "kanlab_pack_weights", [&] {
    using T = scalar_t;
    const T* c = coef.data_ptr<T>();
    const T* sb = scale_base.data_ptr<T>();
    const T* ss = scale_sp.data_ptr<T>();
    const T* m = mask.data_ptr<T>();
    T* w = W.data_ptr<T>();
    at::parallel_for(0, F, kInputs, [&](int64_t fa, int64_t fb) {
      for (int64_t f0 = fa; f0 < fb; f0 += kInputs) {
        const int64_t f1 = std::min(fb, f0 + kInputs);
        for (int64_t f = f0; f < f1; ++f)
          for (int64_t s = 0; s < S; ++s) {
            T* row = w + (f * S + s) * padded;
            std::fill(row + O, row + padded, T(0));
          }
        // o outside: each row of coef is read in one contiguous run of the block.
        for (int64_t o = 0; o < O; ++o)
          for (int64_t f = f0; f < f1; ++f) {
            const int64_t of = o * F + f;
            T* wf = w + f * S * padded + o;
            if (nb) wf[0] = sb[of] * m[of];
            const T scale = ss[of] * m[of];
            const T* co = c + of * n;
            for (int64_t s = 0; s < n; ++s) wf[(nb + s) * padded] = co[s] * scale;
          }
      }
    });
  });
  return W;
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> unpack_grads(
    const at::Tensor& gW, const at::Tensor& coef, const at::Tensor& scale_base,
    const at::Tensor& scale_sp, const at::Tensor& mask, bool base) {
  check_params(coef, scale_sp, mask, scale_base);
  const int64_t O = coef.size(0), F = coef.size(1), n = coef.size(2), nb = base ? 1 : 0;
  const int64_t S = n + nb;
  TORCH_CHECK(gW.dim() == 3 && gW.is_contiguous() && gW.size(0) == F && gW.size(1) == S &&
                  gW.size(2) >= O && gW.scalar_type() == coef.scalar_type(),
              "gW must be a contiguous (F, S, Op) tensor with Op >= O");
  const int64_t padded = gW.size(2);
  auto g_coef = at::empty_like(coef);
  auto g_base = at::zeros_like(scale_base);  // stays zero without a base function
  auto g_sp = at::empty_like(scale_sp);
  AT_DISPATCH_FLOATING_TYPES(coef.scalar_type(), "kanlab_unpack_grads", [&] {
    using T = scalar_t;
    const T* g = gW.data_ptr<T>();
    const T* c = coef.data_ptr<T>();
    const T* ss = scale_sp.data_ptr<T>();
    const T* m = mask.data_ptr<T>();
    T* gc = g_coef.data_ptr<T>();
    T* gb = g_base.data_ptr<T>();
    T* gs = g_sp.data_ptr<T>();
    at::parallel_for(0, F, kInputs, [&](int64_t fa, int64_t fb) {
      for (int64_t f0 = fa; f0 < fb; f0 += kInputs) {
        const int64_t f1 = std::min(fb, f0 + kInputs);
        for (int64_t oa = 0; oa < O; oa += kOutputs)
          for (int64_t f = f0; f < f1; ++f)
            for (int64_t o = oa; o < std::min(O, oa + kOutputs); ++o) {
            const int64_t of = o * F + f;
            const T* gf = g + f * S * padded + o;
            if (nb) gb[of] = gf[0] * m[of];
            const T scale = ss[of] * m[of];
            const T* co = c + of * n;
            T* gco = gc + of * n;
            T dot = T(0);
            for (int64_t s = 0; s < n; ++s) {
              const T gv = gf[(nb + s) * padded];
              gco[s] = gv * scale;
              dot += gv * co[s];
            }
            gs[of] = dot * m[of];
          }
      }
    });
  });
  return {g_coef, g_base, g_sp};
}

}  // namespace kanlab_cpu
