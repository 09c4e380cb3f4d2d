// Dense-feature kernels: the feature rows [b(x), B_0(x), ..., B_{n-1}(x)] of a
// block of inputs for a GEMM (features_out), and the contraction of their
// gradient with the features' derivatives (contract_dx).  Parallel over rows
// of the batch, so no two threads write the same memory.
#include "parallel.h"

#include <cstdint>
#include <type_traits>
#include <vector>

#include "kernels.h"
#include "spline_eval.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace kanlab_cpu {
namespace {
// Rows of output per chunk (parallel.h): enough work per chunk to amortise claiming it.
constexpr int64_t kRowGrain = 16;

// t must hold `per` values per entry of x (B, F), contiguous, in x's dtype.
void check_rows(const at::Tensor& t, const at::Tensor& x, int64_t per, const char* name) {
  TORCH_CHECK(t.is_contiguous() && t.numel() == x.numel() * per &&
                  t.scalar_type() == x.scalar_type(),
              name, " must be a contiguous (B, F, ", per, ") tensor of x's dtype");
}

// The base function's values (deriv 0) or derivatives (1) at xs[0..n) from pre, sigmoid(x)
// (SiLU) or tanh(x) (tanh) at the same points (kanlab.ops._strategies.base_precomputation):
// one elementwise pass of ATen's vectorised function serves a forward and its backward pass.
template <int deriv, typename T>
inline void base_from_pre(int64_t base, const T* __restrict xs, const T* __restrict pre, int64_t n,
                          T* __restrict out) {
  if (base == kSilu) {
#pragma omp simd
    for (int64_t j = 0; j < n; ++j)
      out[j] = deriv ? pre[j] * (T(1) + xs[j] * (T(1) - pre[j])) : xs[j] * pre[j];
  } else {  // tanh
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) out[j] = deriv ? T(1) - pre[j] * pre[j] : pre[j];
  }
}

#if defined(__AVX512F__)
// Offsets of points j .. j + 15 in their feature rows (S slots each, point j
// first): row, the base function's slot, and at, that of the first non-zero
// B-spline (nb + first[j]).
inline void slot_offsets(const int32_t* first, int64_t j, int64_t S, int64_t nb, __m512i& row,
                         __m512i& at) {
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  row = _mm512_add_epi32(_mm512_mullo_epi32(lane, _mm512_set1_epi32(static_cast<int32_t>(S))),
                         _mm512_set1_epi32(static_cast<int32_t>(j * S)));
  at = _mm512_add_epi32(row, _mm512_add_epi32(_mm512_loadu_si512(first + j),
                                              _mm512_set1_epi32(static_cast<int32_t>(nb))));
}

// The lanes of points j .. j + 15 whose spline first[j] + r has a slot (see skip below).
inline __mmask16 kept_lanes(const int32_t* first, int64_t j, int r, int64_t skip) {
  return _mm512_cmpneq_epi32_mask(_mm512_add_epi32(_mm512_loadu_si512(first + j), _mm512_set1_epi32(r)),
                                  _mm512_set1_epi32(static_cast<int32_t>(skip)));
}
#endif

#if defined(__AVX2__)
// Rows of at most 8 float slots (S <= 8, k <= 3: the usual G = 5, k = 3 with its last
// spline left out has 8), a point's whole row as one 32-byte vector.  The values of
// 8 points, stored per spline (vals[r * kChunk + j]), are transposed in registers to
// one vector per point, [v_0 .. v_3, base, 0, 0, 0], and a permutation per `first`
// (RowLanes) puts each value in its slot: one permute and one store per point
// instead of a select per non-zero spline.

// lane[f][l]: which lane of [v_0 .. v_3, base, 0, ...] slot l of a row takes when the
// point's first non-zero spline is f (f < kRowFirsts); slots past the row's S take 0.
// 16 slots per row (AVX-512 rows of up to 16 slots); AVX2 rows read the first 8.
constexpr int kRowFirsts = 16;
struct RowLanes {
  alignas(64) int32_t lane[kRowFirsts][16];
  RowLanes(int KC, int64_t S, int64_t nb) {
    for (int f = 0; f < kRowFirsts; ++f)
      for (int l = 0; l < 16; ++l) {
        const int r = l - static_cast<int>(nb) - f;
        lane[f][l] = l >= S ? 5 : (nb && l == 0) ? 4 : (r >= 0 && r < KC) ? r : 5;
      }
  }
  __m256i at(int32_t first) const {
    return _mm256_load_si256(reinterpret_cast<const __m256i*>(lane[first]));
  }
#if defined(__AVX512F__)
  __m512i at16(int32_t first) const {
    return _mm512_load_si512(reinterpret_cast<const __m512i*>(lane[first]));
  }
#endif
};

// Points j .. j + 7 as vectors out[p] = [v_0, .., v_{KC-1}, (0 ..), base, 0, 0, 0].
template <int KC>
inline void point_vectors(const float* vals, const float* base, int64_t j, __m256 out[8]) {
  __m256 v[4];
  for (int r = 0; r < 4; ++r)
    v[r] = r < KC ? _mm256_loadu_ps(vals + r * kChunk + j) : _mm256_setzero_ps();
  const __m256 t0 = _mm256_unpacklo_ps(v[0], v[1]), t1 = _mm256_unpackhi_ps(v[0], v[1]);
  const __m256 t2 = _mm256_unpacklo_ps(v[2], v[3]), t3 = _mm256_unpackhi_ps(v[2], v[3]);
  // u[p]: point p in the low half, point p + 4 in the high half
  const __m256 u[4] = {_mm256_shuffle_ps(t0, t2, 0x44), _mm256_shuffle_ps(t0, t2, 0xEE),
                       _mm256_shuffle_ps(t1, t3, 0x44), _mm256_shuffle_ps(t1, t3, 0xEE)};
  for (int p = 0; p < 4; ++p) {
    const __m128 b0 = base ? _mm_load_ss(base + j + p) : _mm_setzero_ps();
    const __m128 b4 = base ? _mm_load_ss(base + j + p + 4) : _mm_setzero_ps();
    out[p] = _mm256_set_m128(b0, _mm256_castps256_ps128(u[p]));
    out[p + 4] = _mm256_set_m128(b4, _mm256_extractf128_ps(u[p], 1));
  }
}
#endif

// In scatter_features and gather_contract, spline `skip` (the last, when the
// dense strategy folds it into a bias, see spline_strategies.py; else -1) has
// no slot: it is neither written nor read.

// Lanes of the row writes without AVX-512: 32-byte vectors (AVX2 registers).
template <typename T>
struct Lanes {
  static constexpr int L = 32 / static_cast<int>(sizeof(T));
  typedef T V __attribute__((vector_size(32)));
  typedef std::conditional_t<sizeof(T) == 4, int32_t, int64_t> I;
  typedef I VI __attribute__((vector_size(32)));
  typedef T U __attribute__((vector_size(32), aligned(alignof(T))));  // unaligned access
  static inline V splat(T a) {  // a broadcast (0 + a would turn -0 into +0)
    V v;
    for (int l = 0; l < L; ++l) v[l] = a;
    return v;
  }
  static inline VI iota() {
    VI v = {};
    for (int l = 0; l < L; ++l) v[l] = static_cast<I>(l);
    return v;
  }
};

// The KC values vals[r * kChunk + j] of n points j, each written to
// feat[j * S + nb + first[j] + r], the base values base[j] to feat[j * S]
// (when nb), and zeros to every other slot: whole rows, no prior zero fill.
// For float rows of at most 16 (AVX-512) or 8 (AVX2) slots, one permuted vector per
// point; AVX-512 scatters of 16 points at a time for longer float rows; otherwise each point's
// spline slots as 32-byte vectors (a select per non-zero spline), whose last
// one may run into the next points' rows, written next (the last points of
// the call, scalar, stay inside the n rows).
template <int KC, typename T>
inline void scatter_features(const T* vals, const int32_t* first, const T* base, int64_t n,
                             int64_t S, int64_t nb, int64_t skip, T* feat) {
  int64_t j = 0;
  const int64_t ns = S - nb;  // spline slots per row: spline `skip` (= ns) has none
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float> && KC <= 4) {
    if (S <= 16 && ns < kRowFirsts) {
      // A point's row as one masked store of its S slots, the values permuted into place
      // (as the AVX2 rows below): a single pass over the rows, no zero fill first.  The
      // scatters below (S > 16), which some CPUs split into single stores, after a zero
      // fill (AMD Zen 4, [784,64] b=512, one thread: 2.3 ms CPU with them, 1.45 ms so).
      const RowLanes lanes(KC, S, nb);
      const __mmask16 in_row = static_cast<__mmask16>((1u << S) - 1);
      for (; j + 8 <= n; j += 8) {
        __m256 pts[8];
        point_vectors<KC>(vals, nb ? base : nullptr, j, pts);
        for (int p = 0; p < 8; ++p)
          _mm512_mask_storeu_ps(feat + (j + p) * S, in_row,
                                _mm512_permutexvar_ps(lanes.at16(first[j + p]),
                                                      _mm512_zextps256_ps512(pts[p])));
      }
    }
  }
  if constexpr (std::is_same_v<T, float>) {
    if (j == 0 && n * S < (int64_t(1) << 31)) {  // rows of more than 16 slots; 32-bit offsets
      std::fill(feat, feat + (n - n % 16) * S, T(0));
      for (; j + 16 <= n; j += 16) {
        __m512i row, at;
        slot_offsets(first, j, S, nb, row, at);
#pragma GCC unroll 8
        for (int r = 0; r < KC; ++r)
          _mm512_mask_i32scatter_ps(feat, kept_lanes(first, j, r, skip),
                                    _mm512_add_epi32(at, _mm512_set1_epi32(r)),
                                    _mm512_loadu_ps(vals + r * kChunk + j), 4);
        if (nb) _mm512_i32scatter_ps(feat, row, _mm512_loadu_ps(base + j), 4);
      }
    }
  }
#endif
#if defined(__AVX2__)
  if constexpr (std::is_same_v<T, float> && KC <= 4) {
    if (S <= 8 && ns < kRowFirsts) {  // every `first` (at most ns) within RowLanes
      // Each store runs up to 8 - S slots into the next points' rows, written after it;
      // the last group's stores end inside the n rows.
      const RowLanes lanes(KC, S, nb);
      for (; j + 8 <= n && (j + 7) * S + 8 <= n * S; j += 8) {
        __m256 pts[8];
        point_vectors<KC>(vals, nb ? base : nullptr, j, pts);
        for (int p = 0; p < 8; ++p)
          _mm256_storeu_ps(feat + (j + p) * S, _mm256_permutevar8x32_ps(pts[p], lanes.at(first[j + p])));
      }
    }
  }
#endif
  using Ln = Lanes<T>;
  using V = typename Ln::V;
  using VI = typename Ln::VI;
  using I = typename Ln::I;
  const VI lane = Ln::iota();
  // A point's vector stores end at j * S + spill: those ending past the n rows
  // (the last points when rows are short) are scalar.
  const int64_t spill = nb + (ns + Ln::L - 1) / Ln::L * Ln::L;
  for (; j * S + spill <= n * S; ++j) {
    T* fs = feat + j * S;
    if (nb) fs[0] = base[j];
    const VI rel0 = lane - static_cast<I>(first[j]);
    for (int64_t v0 = 0; v0 < ns; v0 += Ln::L) {
      const VI rel = rel0 + static_cast<I>(v0);
      V out = {};
#pragma GCC unroll 8
      for (int r = 0; r < KC; ++r) out = rel == static_cast<I>(r) ? Ln::splat(vals[r * kChunk + j]) : out;
      *reinterpret_cast<typename Ln::U*>(fs + nb + v0) = out;
    }
  }
  for (; j < n; ++j) {
    T* fs = feat + j * S;
    if (nb) fs[0] = base[j];
    std::fill(fs + nb, fs + S, T(0));
    for (int r = 0; r < KC; ++r)
      if (first[j] + r < ns) fs[nb + first[j] + r] = vals[r * kChunk + j];
  }
}

// Prefetches the rows of points j + kAhead .. j + kAhead + count - 1 of g (S values each):
// the hardware prefetchers do not follow gathers and masked loads through the rows
// (AMD Zen 4: contract_dx at [784,64] b=512, one thread, 3.6 ms CPU without, 1.55 ms with).
constexpr int64_t kAhead = 64;
template <typename T>
inline void prefetch_rows(const T* g, int64_t j, int64_t count, int64_t S) {
  // Addresses as integers: a hint past the end of g is harmless, pointer arithmetic is not.
  const std::uintptr_t from = reinterpret_cast<std::uintptr_t>(g) + (j + kAhead) * S * sizeof(T);
  for (std::uintptr_t a = from; a < from + count * S * sizeof(T); a += 64)
    __builtin_prefetch(reinterpret_cast<const void*>(a), 0, 3);
}

// sum_r dvals[r * kChunk + j] * g[j * S + nb + first[j] + r] + dbase[j] * g[j * S] (when nb)
// into out[j] for n points: AVX-512 gathers of 16 points at a time for float.
template <int KC, typename T>
inline void gather_contract(const T* dvals, const int32_t* first, const T* dbase, int64_t n,
                            int64_t S, int64_t nb, int64_t skip, const T* g, T* out) {
  int64_t j = 0;
  const int64_t ns = S - nb;  // spline slots per row: spline `skip` (= ns) has none
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    if (n * S < (int64_t(1) << 31)) {  // 32-bit offsets
      for (; j + 16 <= n; j += 16) {
        prefetch_rows(g, j, 16, S);
        __m512i row, at;
        slot_offsets(first, j, S, nb, row, at);
        __m512 acc = _mm512_setzero_ps();
#pragma GCC unroll 8
        for (int r = 0; r < KC; ++r)
          acc = _mm512_fmadd_ps(_mm512_loadu_ps(dvals + r * kChunk + j),
                                _mm512_mask_i32gather_ps(_mm512_setzero_ps(), kept_lanes(first, j, r, skip),
                                                         _mm512_add_epi32(at, _mm512_set1_epi32(r)), g, 4),
                                acc);
        if (nb) acc = _mm512_fmadd_ps(_mm512_loadu_ps(dbase + j), _mm512_i32gather_ps(row, g, 4), acc);
        _mm512_storeu_ps(out + j, acc);
      }
    }
  }
#endif
#if defined(__AVX2__)
  if constexpr (std::is_same_v<T, float> && KC <= 4) {
    if (S <= 8 && ns < kRowFirsts) {  // every `first` (at most ns) within RowLanes
      // A point's row times its derivatives placed in their slots (zero elsewhere, and
      // past the row's S slots, which the masked load reads as 0), summed across lanes.
      const RowLanes lanes(KC, S, nb);
      const __m256i in_row = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(S)),
                                                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
      for (; j + 8 <= n; j += 8) {
        prefetch_rows(g, j, 8, S);
        __m256 pts[8], prod[8];
        point_vectors<KC>(dvals, nb ? dbase : nullptr, j, pts);
        for (int p = 0; p < 8; ++p)
          prod[p] = _mm256_mul_ps(_mm256_maskload_ps(g + (j + p) * S, in_row),
                                  _mm256_permutevar8x32_ps(pts[p], lanes.at(first[j + p])));
        const __m256 h0 = _mm256_hadd_ps(_mm256_hadd_ps(prod[0], prod[1]), _mm256_hadd_ps(prod[2], prod[3]));
        const __m256 h1 = _mm256_hadd_ps(_mm256_hadd_ps(prod[4], prod[5]), _mm256_hadd_ps(prod[6], prod[7]));
        _mm256_storeu_ps(out + j, _mm256_add_ps(_mm256_permute2f128_ps(h0, h1, 0x20),
                                                _mm256_permute2f128_ps(h0, h1, 0x31)));
      }
    }
  }
#endif
  // Branch-free: spline `skip` (= ns) has no slot, its index is clamped and its term dropped.
  for (; j < n; ++j) {
    if (j % 8 == 0) prefetch_rows(g, j, 8, S);
    const T* gs = g + j * S + nb;
    const int64_t f = first[j];
    T acc = T(0);
#pragma GCC unroll 8
    for (int r = 0; r < KC; ++r) {
      const bool in = f + r < ns;
      const T term = dvals[r * kChunk + j] * gs[in ? f + r : 0];
      acc += in ? term : T(0);
    }
    if (nb) acc += dbase[j] * g[j * S];
    out[j] = acc;
  }
}
}  // namespace


// Writes the dense feature rows out (B, F, S) of x (B, F): zero, then the
// base value (from bx (B, F), computed by the caller with torch's vectorised
// function, or formed from it when pre (bx is then sigmoid(x) or tanh(x), see
// base_from_pre), or computed here when bx is empty) and the k + 1 non-zero bases; without
// the last spline's slot when drop_last (rows of S - 1).
void features_out(const at::Tensor& x, const at::Tensor& out, const at::Tensor& bx,
                  const at::Tensor& knots, const at::Tensor& table, const at::Tensor& origin,
                  const at::Tensor& last, int64_t k, bool uniform, bool linear, int64_t base,
                  bool drop_last, bool pre) {
  check_args(x, knots, table, origin, last, k, uniform);
  const int64_t B = x.size(0), F = x.size(1);
  TORCH_CHECK(!pre || base == kSilu || base == kTanh, "pre needs a SiLU or tanh base function");
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "kanlab_features", [&] {
    const auto sp = make_spline<scalar_t>(knots, table, origin, last, k, uniform, linear, base);
    TORCH_CHECK(!drop_last || sp.n >= 2, "drop_last needs at least two splines");
    const int64_t S = sp.S - (drop_last ? 1 : 0), nb = sp.nb, skip = drop_last ? sp.n - 1 : -1;
    check_rows(out, x, S, "out");
    const bool given = sp.nb && bx.numel() > 0;
    if (given) check_rows(bx, x, 1, "bx");
    const scalar_t* bp = given ? bx.data_ptr<scalar_t>() : nullptr;
    const scalar_t* xp = x.data_ptr<scalar_t>();
    scalar_t* op = out.data_ptr<scalar_t>();
    dispatch_k(k, [&](auto kc) {
    constexpr int KC = decltype(kc)::value;
    parallel_for(0, B, kRowGrain, [&](int64_t b0, int64_t b1) {
      std::vector<scalar_t> vals(std::max<int64_t>(S, (KC > 0 ? KC : 1) * kChunk));
      std::vector<scalar_t> bvals(kChunk);
      std::vector<int32_t> first(kChunk);
      for (int64_t b = b0; b < b1; ++b) {
        scalar_t* row = op + b * F * S;
        if (KC > 0 && sp.uniform) {  // scatter_features writes every slot
          for (int64_t c0 = 0; c0 < F; c0 += kChunk) {
            const int64_t n = std::min(kChunk, F - c0);
            eval_uniform<(KC > 0 ? KC : 1), 0>(sp, xp + b * F + c0, c0, n, vals.data(), kChunk,
                                            first.data());
            const scalar_t* bv = given && !pre ? bp + b * F + c0 : bvals.data();
            if (given && pre)
              base_from_pre<0>(base, xp + b * F + c0, bp + b * F + c0, n, bvals.data());
            if (nb && !given)
              for (int64_t j = 0; j < n; ++j) bvals[j] = base_value(base, xp[b * F + c0 + j]);
            scatter_features<(KC > 0 ? KC : 1)>(vals.data(), first.data(), bv, n, S, nb, skip,
                                                row + c0 * S);
          }
          continue;
        }
        std::fill(row, row + F * S, scalar_t(0));
        for (int64_t f = 0; f < F; ++f) {
          scalar_t* feat = row + f * S;
          const int64_t first1 = sp.template features<KC>(xp[b * F + f], f, 0, vals.data());
          if (nb) {
            scalar_t bval = vals[0];
            if (given && pre) base_from_pre<0>(base, xp + b * F + f, bp + b * F + f, 1, &bval);
            else if (given) bval = bp[b * F + f];
            feat[0] = bval;
          }
          for (int64_t r = 0; r < (KC > 0 ? KC : k + 1); ++r)
            if (first1 - nb + r != skip) feat[first1 + r] = vals[nb + r];
        }
      }
    });
    });
  });
}

// grad_x[b, f] = sum_s dF_s(x[b, f]) * gF[b, f, s], over the k + 1 (+ base) non-zero slots
// (without the last spline's when drop_last); the base function's derivative
// comes from dbx (B, F) when given.
at::Tensor contract_dx(const at::Tensor& x, const at::Tensor& gF, const at::Tensor& dbx,
                       const at::Tensor& knots, const at::Tensor& table, const at::Tensor& origin,
                       const at::Tensor& last, int64_t k, bool uniform, bool linear, int64_t base,
                       bool drop_last, bool pre) {
  check_args(x, knots, table, origin, last, k, uniform);
  const int64_t B = x.size(0), F = x.size(1);
  TORCH_CHECK(!pre || base == kSilu || base == kTanh, "pre needs a SiLU or tanh base function");
  auto gx = at::empty_like(x);
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "kanlab_contract_dx", [&] {
    const auto sp = make_spline<scalar_t>(knots, table, origin, last, k, uniform, linear, base);
    TORCH_CHECK(!drop_last || sp.n >= 2, "drop_last needs at least two splines");
    const int64_t S = sp.S - (drop_last ? 1 : 0), nb = sp.nb, skip = drop_last ? sp.n - 1 : -1;
    check_rows(gF, x, S, "gF");
    const bool given = sp.nb && dbx.numel() > 0;
    if (given) check_rows(dbx, x, 1, "dbx");
    const scalar_t* dbp = given ? dbx.data_ptr<scalar_t>() : nullptr;
    const scalar_t* xp = x.data_ptr<scalar_t>();
    const scalar_t* gp = gF.data_ptr<scalar_t>();
    scalar_t* out = gx.data_ptr<scalar_t>();
    dispatch_k(k, [&](auto kc) {
    constexpr int KC = decltype(kc)::value;
    parallel_for(0, B, kRowGrain, [&](int64_t b0, int64_t b1) {
      std::vector<scalar_t> vals(std::max<int64_t>(S, (KC > 0 ? KC : 1) * kChunk));
      std::vector<scalar_t> dbvals(kChunk);
      std::vector<int32_t> first(kChunk);
      for (int64_t b = b0; b < b1; ++b) {
        if (KC > 0 && sp.uniform) {
          for (int64_t c0 = 0; c0 < F; c0 += kChunk) {
            const int64_t n = std::min(kChunk, F - c0);
            eval_uniform<(KC > 0 ? KC : 1), 1>(sp, xp + b * F + c0, c0, n, vals.data(), kChunk,
                                            first.data());
            const scalar_t* db = given && !pre ? dbp + b * F + c0 : dbvals.data();
            if (given && pre)
              base_from_pre<1>(base, xp + b * F + c0, dbp + b * F + c0, n, dbvals.data());
            if (nb && !given)
              for (int64_t j = 0; j < n; ++j) dbvals[j] = base_derivative(base, xp[b * F + c0 + j]);
            gather_contract<(KC > 0 ? KC : 1)>(vals.data(), first.data(), db, n, S, nb, skip,
                                               gp + (b * F + c0) * S, out + b * F + c0);
          }
          continue;
        }
        for (int64_t f = 0; f < F; ++f) {
          const scalar_t* g = gp + (b * F + f) * S;
          const int64_t first1 = sp.template features<KC>(xp[b * F + f], f, 1, vals.data());
          scalar_t acc = scalar_t(0);
          for (int64_t r = 0; r < (KC > 0 ? KC : k + 1); ++r)
            if (first1 - nb + r != skip) acc += vals[nb + r] * g[first1 + r];
          if (nb) {
            scalar_t db = vals[0];
            if (given && pre) base_from_pre<1>(base, xp + b * F + f, dbp + b * F + f, 1, &db);
            else if (given) db = dbp[b * F + f];
            acc += db * g[0];
          }
          out[b * F + f] = acc;
        }
      }
    });
    });
  });
  return gx;
}

}  // namespace kanlab_cpu
