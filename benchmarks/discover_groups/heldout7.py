"""A seventh held-out group for ``benchmarks/discover.py --group heldout7``.

Written on 2026-12-05 by the lead at the start of that session and kept out of
the repository and away from every helper until the end of the session's
search work; run once on the final merged code: that run is the round's blind
result (``docs/discover_results.md``).  Same format as ``discover.LAWS``.
"""
from __future__ import annotations

import numpy as np

G = 6.674e-11  # gravitational constant, m^3/(kg s^2)
EPS0 = 8.854e-12  # vacuum permittivity, F/m
KB = 1.380649e-23  # Boltzmann's constant, J/K
H = 6.62607e-34  # Planck's constant, J s
R = 8.314  # gas constant, J/(mol K)
C = 2.998e8  # speed of light, m/s

LAWS = {
    # a product with a square (energy in a capacitor)
    "capacitor_energy": (lambda Cap, V: 0.5 * Cap * V ** 2,
                         {"Cap": (1e-6, 1e-3), "V": (1, 100)}, "C V^2 / 2"),
    # a root of a ratio (wave speed on a string)
    "string_wave_speed": (lambda T, mu: np.sqrt(T / mu),
                          {"T": (10, 500), "mu": (1e-3, 1e-2)}, "sqrt(T / mu)"),
    # a root of one minus a squared ratio with a constant (length contraction)
    "length_contraction": (lambda L0, v: L0 * np.sqrt(1 - (v / C) ** 2),
                           {"L0": (1, 10), "v": (0, 2.8e8)}, "L0 sqrt(1 - v^2/c^2)"),
    # a product over a power 3/2 of a sum of squares (field on a ring's axis)
    "ring_field": (lambda M, z, a: G * M * z / (z ** 2 + a ** 2) ** 1.5,
                   {"M": (1e3, 1e5), "z": (0.1, 5), "a": (0.5, 2)},
                   "G M z / (z^2 + a^2)^(3/2)"),
    # a ratio times one minus an exponential of a ratio of products (RL circuit current)
    "inductor_current": (lambda V, R_, t, L: V / R_ * (1 - np.exp(-R_ * t / L)),
                         {"V": (1, 12), "R": (1, 100), "t": (0, 0.1), "L": (0.1, 1)},
                         "V/R (1 - exp(-R t / L))"),
    # a ratio with a difference (thin lens magnification)
    "lens_magnification": (lambda f, d: f / (f - d),
                           {"f": (0.1, 0.5), "d": (0.6, 2)}, "f / (f - d)"),
    # a product with a sine over an integer-valued input (grating equation)
    "grating_wavelength": (lambda d, theta, m: d * np.sin(theta) / m,
                           {"d": (1e-6, 1e-5), "theta": (0.1, 1.2), "m": (1, 4)},
                           "d sin(theta) / m"),
    # a temperature times an exponential of a ratio (Eyring rate)
    "eyring_rate": (lambda T, dG: KB * T / H * np.exp(-dG / (R * T)),
                    {"T": (280, 400), "dG": (5e4, 8e4)}, "kB T / h exp(-dG / (R T))"),
    # a sum of two inverse squares times a product (gravity from two bodies)
    "two_body_gravity": (lambda m, M1, r1, M2, r2: G * m * (M1 / r1 ** 2 + M2 / r2 ** 2),
                         {"m": (1, 100), "M1": (1e20, 1e22), "r1": (1e6, 1e7),
                          "M2": (1e20, 1e22), "r2": (1e6, 1e7)},
                         "G m (M1/r1^2 + M2/r2^2)"),
    # an exponential of a ratio of a product (damped amplitude)
    "damped_amplitude": (lambda A, b, t, m: A * np.exp(-b * t / (2 * m)),
                         {"A": (1, 5), "b": (0.1, 1), "t": (0, 20), "m": (0.5, 2)},
                         "A exp(-b t / (2 m))"),
    # a base-10 logarithm of a ratio (gain in decibels)
    "decibel_gain": (lambda V2, V1: 20 * np.log10(V2 / V1),
                     {"V2": (0.1, 10), "V1": (0.1, 10)}, "20 log10(V2 / V1)"),
    # a square of a difference (spring with a rest length)
    "spring_offset_energy": (lambda k, x, x0: 0.5 * k * (x - x0) ** 2,
                             {"k": (10, 100), "x": (0, 2), "x0": (0.5, 1.5)},
                             "k (x - x0)^2 / 2"),
    # a root of a product with a tangent (banked curve's speed)
    "banked_curve_speed": (lambda r, theta: np.sqrt(r * 9.81 * np.tan(theta)),
                           {"r": (10, 200), "theta": (0.1, 0.8)}, "sqrt(r g tan(theta))"),
    # a constant times a product over an input (parallel-plate capacitor)
    "plate_capacitance": (lambda kappa, A, d: EPS0 * kappa * A / d,
                          {"kappa": (1, 10), "A": (1e-4, 1e-2), "d": (1e-4, 1e-2)},
                          "eps0 kappa A / d"),
    # a reciprocal of a sum of reciprocals (three springs in series)
    "springs_in_series": (lambda k1, k2, k3: 1 / (1 / k1 + 1 / k2 + 1 / k3),
                          {"k1": (10, 100), "k2": (10, 100), "k3": (10, 100)},
                          "1 / (1/k1 + 1/k2 + 1/k3)"),
    # a product of a square and an input (angular momentum of a point mass)
    "angular_momentum": (lambda m, r, omega: m * r ** 2 * omega,
                         {"m": (0.1, 5), "r": (0.1, 2), "omega": (1, 50)}, "m r^2 omega"),
}
