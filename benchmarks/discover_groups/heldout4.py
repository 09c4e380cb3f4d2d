"""A fourth held-out group for ``benchmarks/discover.py --group heldout4``.

Written on 2026-12-04 (branch ``disc4``) before any change of that session's
structure search, run once on the unchanged code (the baseline) and once on
the final code, and not looked at in between (``docs/discover_results.md``
gives both).  heldout3 became a development set.  Laws of the kinds of issue 17
item 6 that no earlier group holds, with a few of the kinds heldout3 failed on
(rational functions of like inputs, a factor times a sine of a product over an
input, roots of ratios).  Same format as ``discover.LAWS``:
``name: (formula in numpy, {column: (lo, hi)}, text)``.
"""
from __future__ import annotations

import numpy as np

H = 6.626e-34  # Planck's constant, J s
C = 2.99792458e8
EPS0 = 8.8541878128e-12
R = 8.314  # gas constant, J/(mol K)

LAWS = {
    # a product minus an input: kinetic energy of a photoelectron, both signs
    "photoelectric": (lambda f, W: H * f - W, {"f": (5e14, 1.5e15), "W": (3e-19, 7e-19)},
                      "h f - W"),
    # a negative product times a cosine, both signs (dipole in a field)
    "magnetic_dipole_energy": (lambda mu, B, theta: -mu * B * np.cos(theta),
                               {"mu": (1e-24, 1e-23), "B": (0.1, 2), "theta": (0, np.pi)},
                               "-mu B cos(theta)"),
    # a sum over one plus a product (relativistic velocity addition), inputs through zero
    "velocity_addition": (lambda u, v: (u + v) / (1 + u * v / C ** 2),
                          {"u": (-2e8, 2e8), "v": (-2e8, 2e8)}, "(u + v) / (1 + u v / c^2)"),
    # the square of a ratio of a difference and a sum (Fresnel reflectance at normal incidence)
    "reflection_coefficient": (lambda n1, n2: ((n1 - n2) / (n1 + n2)) ** 2,
                               {"n1": (1.0, 1.8), "n2": (1.2, 2.5)}, "((n1 - n2)/(n1 + n2))^2"),
    # a factor times a sine of a product over an input (charge of a capacitor fed I0 cos(w t))
    "ac_charge": (lambda I0, w, t: I0 * np.sin(w * t) / w,
                  {"I0": (0.1, 2), "w": (10, 100), "t": (0, 0.1)}, "I0 sin(w t) / w"),
    # a root of a product times a ratio of a difference and a sum (Atwood machine's speed)
    "atwood_speed": (lambda m1, m2, h: np.sqrt(2 * 9.81 * h * (m1 - m2) / (m1 + m2)),
                     {"m1": (5, 10), "m2": (1, 4), "h": (0.1, 2)},
                     "sqrt(2 g h (m1 - m2)/(m1 + m2))"),
    # an exponential of a ratio of products (barometric formula)
    "barometric": (lambda p0, M, h, T: p0 * np.exp(-M * 9.81 * h / (R * T)),
                   {"p0": (9e4, 1.1e5), "M": (0.028, 0.030), "h": (0, 5000), "T": (250, 300)},
                   "p0 exp(-M g h / (R T))"),
    # one minus a ratio of offset inputs (Carnot efficiency)
    "carnot_efficiency": (lambda Tc, Th: 1 - Tc / Th, {"Tc": (250, 350), "Th": (400, 800)},
                          "1 - Tc/Th"),
    # a product over a difference (spherical capacitor)
    "spherical_capacitor": (lambda a, b: 4 * np.pi * EPS0 * a * b / (b - a),
                            {"a": (0.01, 0.05), "b": (0.06, 0.2)}, "4 pi eps0 a b / (b - a)"),
    # an offset plus a difference times an exponential of a product (Newton's cooling)
    "newton_cooling": (lambda Te, T0, k, t: Te + (T0 - Te) * np.exp(-k * t),
                       {"Te": (280, 300), "T0": (350, 400), "k": (0.01, 0.1), "t": (0, 60)},
                       "Te + (T0 - Te) exp(-k t)"),
    # a product times a cosine of an angle through zero (AC power), both signs
    "ac_power": (lambda V, I, phi: 0.5 * V * I * np.cos(phi),
                 {"V": (100, 340), "I": (0.1, 10), "phi": (-np.pi, np.pi)}, "V I cos(phi) / 2"),
    # a factor times a sum of two products with cosines (work of two forces), both signs
    "work_two_forces": (lambda d, F1, a1, F2, a2: d * (F1 * np.cos(a1) + F2 * np.cos(a2)),
                        {"d": (1, 10), "F1": (1, 50), "a1": (0, np.pi), "F2": (1, 50),
                         "a2": (0, np.pi)}, "d (F1 cos(a1) + F2 cos(a2))"),
    # a binary log of one plus a ratio (Shannon capacity)
    "shannon_capacity": (lambda B, S, N: B * np.log2(1 + S / N),
                         {"B": (1e3, 1e6), "S": (1e-3, 1), "N": (1e-4, 1e-2)},
                         "B log2(1 + S/N)"),
    # a root of a difference of squares (numerical aperture of a fibre)
    "fiber_na": (lambda n1, n2: np.sqrt(n1 ** 2 - n2 ** 2),
                 {"n1": (1.45, 1.6), "n2": (1.3, 1.44)}, "sqrt(n1^2 - n2^2)"),
    # six inputs: a difference over a sum of ratios (heat flux through two walls in series)
    "series_wall_flux": (lambda T1, T2, d1, k1, d2, k2: (T1 - T2) / (d1 / k1 + d2 / k2),
                         {"T1": (350, 400), "T2": (280, 320), "d1": (0.01, 0.1),
                          "k1": (0.5, 5), "d2": (0.01, 0.1), "k2": (10, 50)},
                         "(T1 - T2) / (d1/k1 + d2/k2)"),
    # a square of a sine over its argument (single-slit intensity)
    "single_slit": (lambda I0, x: I0 * (np.sin(x) / x) ** 2, {"I0": (1, 5), "x": (0.1, 6)},
                    "I0 (sin(x)/x)^2"),
}
