"""An eleventh held-out group for ``benchmarks/discover.py --group heldout11``.

Written on 2026-12-05 (fourth session of the day) by the lead before any change
of that session, kept away from every helper and from all search work, and run
once on the unchanged code (4672c4e) and once on the session's final merged
code: those two runs are its blind results.  Same format as ``discover.LAWS``.
"""
from __future__ import annotations

import numpy as np

MU0 = 1.2566e-6  # vacuum permeability, N/A^2
R_GAS = 8.314  # gas constant, J/(mol K)
G_EARTH = 9.81  # m/s^2

LAWS = {
    # a square root of a cube over a parameter (Kepler's third law)
    "kepler_period": (lambda a, mu: 2 * np.pi * np.sqrt(a ** 3 / mu),
                      {"a": (0.5, 5), "mu": (1, 10)}, "2 pi sqrt(a^3 / mu)"),
    # a decaying exponential over the distance (Yukawa potential)
    "yukawa": (lambda q, r, lam: q * np.exp(-r / lam) / r,
               {"q": (1, 5), "r": (0.5, 5), "lam": (1, 4)}, "q exp(-r / lam) / r"),
    # an arcsine of a ratio times a sine (Snell's law, refracted angle)
    "snell_refraction": (lambda n1, th, n2: np.arcsin(n1 * np.sin(th) / n2),
                         {"n1": (1, 1.3), "th": (0.1, 0.8), "n2": (1.4, 1.8)},
                         "asin(n1 sin(th) / n2)"),
    # a power with an input in the exponent (compound interest)
    "compound_interest": (lambda P, r, n, t: P * (1 + r / n) ** (n * t),
                          {"P": (1, 10), "r": (0.01, 0.2), "n": (1, 12), "t": (1, 10)},
                          "P (1 + r/n)^(n t)"),
    # x / sqrt(1 + x^2) of a product of three inputs (RC high-pass gain)
    "rc_highpass_gain": (lambda w, R, C: w * R * C / np.sqrt(1 + (w * R * C) ** 2),
                         {"w": (1, 10), "R": (0.1, 2), "C": (0.1, 1)},
                         "w R C / sqrt(1 + (w R C)^2)"),
    # a product over a Lorentz root (relativistic momentum, c = 1)
    "relativistic_momentum": (lambda m, v: m * v / np.sqrt(1 - v ** 2),
                              {"m": (1, 5), "v": (0.1, 0.9)}, "m v / sqrt(1 - v^2)"),
    # a weight times a Boltzmann factor
    "boltzmann_ratio": (lambda g, dE, T: g * np.exp(-dE / T),
                        {"g": (1, 4), "dE": (0.5, 3), "T": (0.5, 3)}, "g exp(-dE / T)"),
    # a product of four inputs over a distance, with a constant (force between two wires)
    "wire_force": (lambda I1, I2, L, d: MU0 * I1 * I2 * L / (2 * np.pi * d),
                   {"I1": (1, 10), "I2": (1, 10), "L": (0.5, 2), "d": (0.01, 0.1)},
                   "mu0 I1 I2 L / (2 pi d)"),
    # x^2 e^x / (e^x - 1)^2 of a ratio (Einstein heat capacity)
    "einstein_heat": (lambda th, T: 3 * R_GAS * (th / T) ** 2 * np.exp(th / T)
                      / (np.exp(th / T) - 1) ** 2,
                      {"th": (100, 400), "T": (50, 500)},
                      "3 R (th/T)^2 exp(th/T) / (exp(th/T) - 1)^2"),
    # a scale times the log of one plus an exponential of a ratio (free energy of a two-level site)
    "two_level_free_energy": (lambda T, E: -T * np.log(1 + np.exp(-E / T)),
                              {"T": (0.5, 3), "E": (-2, 2)}, "-T ln(1 + exp(-E / T))"),
    # a square root of a ratio with a constant (rms speed of a gas)
    "gas_rms_speed": (lambda T, M: np.sqrt(3 * R_GAS * T / M),
                      {"T": (200, 600), "M": (0.002, 0.05)}, "sqrt(3 R T / M)"),
    # a root of a ratio times one plus a square (pendulum period, first correction)
    "large_angle_period": (lambda L, th: 2 * np.pi * np.sqrt(L / G_EARTH) * (1 + th ** 2 / 16),
                           {"L": (0.5, 2), "th": (0, 1)}, "2 pi sqrt(L/g) (1 + th^2/16)"),
    # a force over the root of a sum of squares (driven damped oscillator amplitude)
    "driven_amplitude": (lambda F, w0, w, g: F / np.sqrt((w0 ** 2 - w ** 2) ** 2 + (g * w) ** 2),
                         {"F": (1, 3), "w0": (2, 3), "w": (0, 1.5), "g": (0.5, 1)},
                         "F / sqrt((w0^2 - w^2)^2 + (g w)^2)"),
    # a product times a sine over a constant (time of flight of a projectile)
    "time_of_flight": (lambda v, th: 2 * v * np.sin(th) / G_EARTH,
                       {"v": (5, 30), "th": (0.2, 1.4)}, "2 v sin(th) / g"),
}
