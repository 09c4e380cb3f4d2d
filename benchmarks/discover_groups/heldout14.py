"""A fourteenth held-out group for ``benchmarks/discover.py --group heldout14``.

Written on 2026-12-06 by the helper disc14 *before* reading ``kanlab.discover``'s source or
any earlier group's laws (only heldout13's format was read; names checked by grep and
duplicates swapped), and run once on the code as it
stood (commit 037f115): that run is its blind result.  Kinds chosen to be new where possible:
ratios under roots, sums and differences of powers, exponentials of ratios, products with
offsets, trig of products, a rational saturation, a log of a ratio.  Same format as
``discover.LAWS``.
"""
from __future__ import annotations

import numpy as np

G_EARTH = 9.81  # m/s^2
V_THERMAL = 0.02585  # V, kT/q at 300 K

LAWS = {
    # a root of a ratio of a sum of squares over a product (period of a rod pendulum pivoted off-centre)
    "rod_pendulum_period": (lambda L, d: 2 * np.pi * np.sqrt((L ** 2 / 12 + d ** 2) / (G_EARTH * d)),
                            {"L": (0.5, 2), "d": (0.05, 1)},
                            "2 pi sqrt((L^2/12 + d^2) / (g d))"),
    # a mass times a sum of squares with coefficients (a solid cylinder about a diameter)
    "cylinder_inertia": (lambda m, r, L: m * (r ** 2 / 4 + L ** 2 / 12),
                         {"m": (1, 5), "r": (0.1, 1), "L": (0.5, 3)},
                         "m (r^2/4 + L^2/12)"),
    # a square times an exponential of a negative ratio (Richardson thermionic emission)
    "thermionic_emission": (lambda A, W, T: A * T ** 2 * np.exp(-W / T),
                            {"A": (1, 2), "W": (1000, 3000), "T": (800, 1600)},
                            "A T^2 exp(-W/T)"),
    # a rational saturation with a product in the denominator (Holling type II predation)
    "holling_type2": (lambda a, N, h: a * N / (1 + a * h * N),
                      {"a": (0.5, 2), "N": (0, 10), "h": (0.1, 1)},
                      "a N / (1 + a h N)"),
    # a current times an exponential of a ratio less one (Shockley diode)
    "shockley_diode": (lambda I0, V, n: I0 * (np.exp(V / (n * V_THERMAL)) - 1),
                       {"I0": (1, 5), "V": (0, 0.2), "n": (1, 2)},
                       "I0 (exp(V / (n Vt)) - 1)"),
    # a depth times a root of one plus a ratio, less one (depth after a hydraulic jump)
    "hydraulic_jump": (lambda h1, v: h1 / 2 * (np.sqrt(1 + 8 * v ** 2 / (G_EARTH * h1)) - 1),
                       {"h1": (0.1, 1), "v": (1, 5)},
                       "h1/2 (sqrt(1 + 8 v^2 / (g h1)) - 1)"),
    # an empirical sum with a fractional power and a product (wind-chill index)
    "wind_chill": (lambda T, v: 13.12 + 0.6215 * T - 11.37 * v ** 0.16 + 0.3965 * T * v ** 0.16,
                   {"T": (-20, 10), "v": (5, 50)},
                   "13.12 + 0.6215 T - 11.37 v^0.16 + 0.3965 T v^0.16"),
    # a pressure times a power of one plus a square (isentropic stagnation pressure)
    "stagnation_pressure": (lambda p, M: p * (1 + 0.2 * M ** 2) ** 3.5,
                            {"p": (50, 150), "M": (0, 2)},
                            "p (1 + 0.2 M^2)^3.5"),
    # a time times a root of one less a ratio (gravitational time dilation)
    "gravity_time_dilation": (lambda t0, rs, r: t0 * np.sqrt(1 - rs / r),
                              {"t0": (1, 5), "rs": (1, 2), "r": (3, 10)},
                              "t0 sqrt(1 - rs/r)"),
    # a tanh of a product over the product (efficiency of a straight fin)
    "fin_efficiency": (lambda m, L: np.tanh(m * L) / (m * L),
                       {"m": (1, 10), "L": (0.01, 0.3)},
                       "tanh(m L) / (m L)"),
    # a time constant times a log of a ratio of differences (Newton cooling time)
    "cooling_time": (lambda tau, T0, T, Ta: tau * np.log((T0 - Ta) / (T - Ta)),
                     {"tau": (1, 10), "T0": (80, 100), "T": (40, 70), "Ta": (15, 25)},
                     "tau ln((T0 - Ta) / (T - Ta))"),
    # a carrier cosine times one plus a modulation cosine (amplitude modulation)
    "am_signal": (lambda m, wm, t: (1 + m * np.cos(wm * t)) * np.cos(10 * t),
                  {"m": (0, 1), "wm": (1, 3), "t": (0, 2)},
                  "(1 + m cos(wm t)) cos(10 t)"),
}
