"""A third held-out group for ``benchmarks/discover.py --group heldout3``.

Written on 2026-12-04 (branch ``disc3``) before any change of that session's
structure search, run once on the unchanged code (the baseline) and once on
the final code, and not looked at in between (``docs/discover_results.md``
gives both).  It leans on what the earlier groups lacked: inputs that cross
zero, targets of both signs, sums inside products and functions.  Same format
as ``discover.LAWS``: ``name: (formula in numpy, {column: (lo, hi)}, text)``.
"""
from __future__ import annotations

import numpy as np

G = 6.674e-11
EPS0 = 8.8541878128e-12
MU0 = 1.25663706212e-6
LAMBDA_C = 2.42631e-12  # Compton wavelength of the electron, m

LAWS = {
    # a product with a sum of a term and a product inside; E crosses zero, target of both signs
    "lorentz_force": (lambda q, E, v, B: q * (E + v * B),
                      {"q": (1e-6, 1e-5), "E": (-100, 100), "v": (1, 100), "B": (0.1, 1)},
                      "q (E + v B)"),
    # a current of both signs over a distance
    "wire_field": (lambda I, r: MU0 * I / (2 * np.pi * r), {"I": (-10, 10), "r": (0.01, 0.5)},
                   "mu0 I / (2 pi r)"),
    # a square of an input through zero
    "spring_energy": (lambda k, x: 0.5 * k * x ** 2, {"k": (10, 1000), "x": (-0.2, 0.2)},
                      "k x^2 / 2"),
    # an inverse root of a product
    "lc_resonance": (lambda L, C: 1 / (2 * np.pi * np.sqrt(L * C)),
                     {"L": (1e-4, 1e-2), "C": (1e-9, 1e-6)}, "1 / (2 pi sqrt(L C))"),
    # a product of a sine and a cosine of products (both signs)
    "standing_wave": (lambda A, k, x, w, t: 2 * A * np.sin(k * x) * np.cos(w * t),
                      {"A": (0.5, 2), "k": (1, 3), "x": (0, 2), "w": (1, 3), "t": (0, 2)},
                      "2 A sin(k x) cos(w t)"),
    # one minus a cosine (Compton shift)
    "compton_shift": (lambda theta: LAMBDA_C * (1 - np.cos(theta)), {"theta": (0, np.pi)},
                      "lambda_c (1 - cos(theta))"),
    # a cosine over a square: target of both signs (dipole potential)
    "dipole_potential": (lambda p, theta, r: p * np.cos(theta) / (4 * np.pi * EPS0 * r ** 2),
                         {"p": (1e-12, 1e-11), "theta": (0, np.pi), "r": (0.01, 0.1)},
                         "p cos(theta) / (4 pi eps0 r^2)"),
    # a ratio of a difference and a sum (1-d elastic collision), both signs
    "elastic_collision": (lambda m1, m2, v1: (m1 - m2) / (m1 + m2) * v1,
                          {"m1": (1, 10), "m2": (1, 10), "v1": (1, 20)},
                          "(m1 - m2)/(m1 + m2) v1"),
    # a root of a ratio of 1 + b and 1 - b, b through zero (relativistic Doppler)
    "relativistic_doppler": (lambda f, b: f * np.sqrt((1 + b) / (1 - b)),
                             {"f": (1e3, 1e4), "b": (-0.5, 0.5)}, "f sqrt((1 + b)/(1 - b))"),
    # a sum of a cosine and a sine term (harmonic oscillator's position)
    "oscillator_position": (lambda x0, v0, w, t: x0 * np.cos(w * t) + v0 / w * np.sin(w * t),
                            {"x0": (-1, 1), "v0": (-2, 2), "w": (1, 3), "t": (0, 3)},
                            "x0 cos(w t) + v0/w sin(w t)"),
    # the reciprocal of a sum of three reciprocals (three resistors in parallel)
    "parallel_resistors": (lambda R1, R2, R3: 1 / (1 / R1 + 1 / R2 + 1 / R3),
                           {"R1": (10, 100), "R2": (10, 100), "R3": (10, 100)},
                           "1 / (1/R1 + 1/R2 + 1/R3)"),
    # a negative product over a distance (gravitational potential energy)
    "gravitational_pe": (lambda M, m, r: -G * M * m / r,
                         {"M": (1e22, 1e24), "m": (1, 1000), "r": (1e6, 1e7)}, "-G M m / r"),
    # a decimal log of a ratio (sound level in decibels)
    "sound_level": (lambda I: 10 * np.log10(I / 1e-12), {"I": (1e-8, 1e-2)},
                    "10 log10(I / I0)"),
    # a sum of two squares times factors (kinetic energy of a rolling body)
    "rolling_energy": (lambda m, v, I, w: 0.5 * m * v ** 2 + 0.5 * I * w ** 2,
                       {"m": (1, 10), "v": (0, 5), "I": (0.01, 1), "w": (0, 20)},
                       "m v^2/2 + I w^2/2"),
    # a root of a ratio (skin depth of a conductor)
    "skin_depth": (lambda rho, w, mu: np.sqrt(2 * rho / (w * mu)),
                   {"rho": (1e-8, 1e-6), "w": (1e3, 1e6), "mu": (1e-6, 1e-5)},
                   "sqrt(2 rho / (w mu))"),
    # a sine of an angle times a ratio (Bragg's wavelength)
    "bragg": (lambda d, theta, n: 2 * d * np.sin(theta) / n,
              {"d": (1e-10, 5e-10), "theta": (0.1, 1.4), "n": (1, 3)}, "2 d sin(theta) / n"),
}
