"""A tenth held-out group for ``benchmarks/discover.py --group heldout10``.

Written on 2026-12-05 (second session of the day) by the lead before any change
of that session, kept away from every helper and from all search work, and run
once on the unchanged code (8b46bbf) and once on the session's final merged
code: those two runs are its blind results.  Same format as ``discover.LAWS``.
"""
from __future__ import annotations

import numpy as np

G_EARTH = 9.81  # m/s^2
EPS0 = 8.854e-12  # vacuum permittivity, F/m
MU0 = 1.2566e-6  # vacuum permeability, N/A^2

LAWS = {
    # a hyperbolic cosine of a ratio times the same scale (a hanging chain)
    "catenary": (lambda a, x: a * np.cosh(x / a), {"a": (1, 3), "x": (-2, 2)}, "a cosh(x / a)"),
    # an arccosine of a reciprocal product (Cherenkov angle)
    "cherenkov_angle": (lambda n, b: np.arccos(1 / (n * b)),
                        {"n": (1.3, 1.6), "b": (0.8, 1.0)}, "acos(1 / (n beta))"),
    # a square root of one plus a squared ratio, times a scale (Gaussian beam width)
    "gaussian_beam": (lambda w0, z, zr: w0 * np.sqrt(1 + (z / zr) ** 2),
                      {"w0": (0.5, 2), "z": (-5, 5), "zr": (1, 3)}, "w0 sqrt(1 + (z / zr)^2)"),
    # an offset input times a difference of reciprocals (lensmaker's equation)
    "lens_maker": (lambda n, R1, R2: (n - 1) * (1 / R1 - 1 / R2),
                   {"n": (1.3, 1.8), "R1": (0.5, 2), "R2": (-2, -0.5)}, "(n - 1) (1/R1 - 1/R2)"),
    # half a product times a sine (area of a triangle from two sides and their angle)
    "triangle_area": (lambda a, b, C: 0.5 * a * b * np.sin(C),
                      {"a": (1, 5), "b": (1, 5), "C": (0.2, 2.8)}, "a b sin(C) / 2"),
    # an input times a sum (surface of a closed cylinder)
    "cylinder_surface": (lambda r, h: 2 * np.pi * r * (r + h),
                         {"r": (0.5, 3), "h": (0.5, 5)}, "2 pi r (r + h)"),
    # a mass times a Lorentz factor minus one (relativistic kinetic energy, c = 1)
    "relativistic_kinetic": (lambda m, b: m * (1 / np.sqrt(1 - b ** 2) - 1),
                             {"m": (1, 5), "b": (0.1, 0.9)}, "m (1/sqrt(1 - b^2) - 1)"),
    # a power times a decaying exponential with a scale (gamma-like kernel)
    "gamma_kernel": (lambda x, s: x ** 2 * np.exp(-x / s),
                     {"x": (0, 10), "s": (1, 3)}, "x^2 exp(-x / s)"),
    # a difference over the log of a ratio (log-mean temperature difference)
    "log_mean_difference": (lambda T1, T2: (T1 - T2) / np.log(T1 / T2),
                            {"T1": (20, 60), "T2": (2, 15)}, "(T1 - T2) / ln(T1 / T2)"),
    # a damped sine with a phase input
    "damped_phase": (lambda A, t, tau, w, phi: A * np.exp(-t / tau) * np.sin(w * t + phi),
                     {"A": (1, 3), "t": (0, 5), "tau": (1, 4), "w": (1, 3), "phi": (0, 1.5)},
                     "A exp(-t / tau) sin(w t + phi)"),
    # a square root of a sum over a mass (two springs in parallel: frequency)
    "parallel_springs_frequency": (lambda k1, k2, m: np.sqrt((k1 + k2) / m) / (2 * np.pi),
                                   {"k1": (1, 10), "k2": (1, 10), "m": (0.5, 5)},
                                   "sqrt((k1 + k2) / m) / (2 pi)"),
    # a sum of two squares with different physical constants (field energy density)
    "field_energy_density": (lambda E, B: 0.5 * EPS0 * E ** 2 + B ** 2 / (2 * MU0),
                             {"E": (1e4, 3e5), "B": (1e-4, 1e-3)}, "eps0 E^2 / 2 + B^2 / (2 mu0)"),
    # a sum of two inverse squares with their own sources (field of two charges on a line)
    "two_sources": (lambda q1, r1, q2, r2: q1 / r1 ** 2 + q2 / r2 ** 2,
                    {"q1": (1, 5), "r1": (0.5, 3), "q2": (1, 5), "r2": (0.5, 3)},
                    "q1 / r1^2 + q2 / r2^2"),
    # a speed times a tanh of a ratio (falling with quadratic drag)
    "falling_tanh": (lambda vt, t: vt * np.tanh(G_EARTH * t / vt),
                     {"vt": (5, 50), "t": (0, 10)}, "vt tanh(g t / vt)"),
}
