"""A twelfth held-out group for ``benchmarks/discover.py --group heldout12``.

Written on 2026-12-05 (fifth session of the day) by the lead before any change
of that session, kept away from every helper and from all search work, and run
once on the unchanged code (230da03) and once on the session's final merged
code: those two runs are its blind results.  Same format as ``discover.LAWS``.
"""
from __future__ import annotations

import numpy as np

SIGMA_SB = 5.670e-8  # Stefan-Boltzmann constant, W/(m^2 K^4)
G_EARTH = 9.81  # m/s^2

LAWS = {
    # a fourth power times two inputs and a constant (radiated power of a grey body)
    "radiant_power": (lambda eps, A, T: eps * SIGMA_SB * A * T ** 4,
                      {"eps": (0.1, 1), "A": (0.5, 2), "T": (200, 600)}, "eps sigma A T^4"),
    # a scale times the root of one plus a squared ratio (Gaussian beam radius)
    "beam_radius": (lambda w0, z, zr: w0 * np.sqrt(1 + (z / zr) ** 2),
                    {"w0": (0.5, 2), "z": (-3, 3), "zr": (0.5, 2)}, "w0 sqrt(1 + (z/zr)^2)"),
    # an arcsine of a ratio (critical angle of total internal reflection)
    "critical_angle": (lambda n1, n2: np.arcsin(n2 / n1),
                       {"n1": (1.4, 2.0), "n2": (1.0, 1.3)}, "asin(n2 / n1)"),
    # a logistic of a shifted, scaled input (logistic growth curve with a midpoint)
    "logistic_curve": (lambda K, r, t, t0: K / (1 + np.exp(-r * (t - t0))),
                       {"K": (1, 5), "r": (0.5, 2), "t": (0, 10), "t0": (3, 7)},
                       "K / (1 + exp(-r (t - t0)))"),
    # an arccosine of a ratio of a quadratic form (angle from the law of cosines)
    "cosine_rule_angle": (lambda a, b, c: np.arccos((a ** 2 + b ** 2 - c ** 2) / (2 * a * b)),
                          {"a": (2, 3), "b": (2, 3), "c": (1, 2)},
                          "acos((a^2 + b^2 - c^2) / (2 a b))"),
    # an inverse square with an exponential cutoff
    "cutoff_power_law": (lambda A, x, xc: A * np.exp(-x / xc) / x ** 2,
                         {"A": (1, 3), "x": (0.5, 3), "xc": (1, 5)}, "A exp(-x/xc) / x^2"),
    # a product over a cube (tidal acceleration, G = 1)
    "tidal_acceleration": (lambda M, r, d: 2 * M * r / d ** 3,
                           {"M": (1, 10), "r": (0.1, 1), "d": (2, 5)}, "2 M r / d^3"),
    # the length of a vector in three dimensions
    "vector_norm3": (lambda x, y, z: np.sqrt(x ** 2 + y ** 2 + z ** 2),
                     {"x": (-2, 2), "y": (-2, 2), "z": (-2, 2)}, "sqrt(x^2 + y^2 + z^2)"),
    # a scale times one plus a product with a shifted input (resistance against temperature)
    "resistor_temperature": (lambda R0, a, T: R0 * (1 + a * (T - 20)),
                             {"R0": (1, 10), "a": (0.003, 0.006), "T": (0, 100)},
                             "R0 (1 + a (T - 20))"),
    # a root of a product over a third input (quality factor of an oscillator)
    "quality_factor": (lambda m, k, b: np.sqrt(m * k) / b,
                       {"m": (0.5, 3), "k": (1, 10), "b": (0.2, 2)}, "sqrt(m k) / b"),
    # a product of two cosines of products (beats of two tones)
    "beat_signal": (lambda w1, w2, t: np.cos(0.5 * (w1 - w2) * t) * np.cos(0.5 * (w1 + w2) * t),
                    {"w1": (1, 2), "w2": (2, 3), "t": (0, 3)},
                    "cos((w1 - w2) t / 2) cos((w1 + w2) t / 2)"),
    # a scale times one less an exponential of a ratio with a constant (approach to terminal speed)
    "terminal_approach": (lambda vt, t: vt * (1 - np.exp(-G_EARTH * t / vt)),
                          {"vt": (1, 5), "t": (0, 2)}, "vt (1 - exp(-g t / vt))"),
    # a Gaussian envelope times a cosine (a wave packet)
    "wave_packet": (lambda x, s, k: np.exp(-x ** 2 / (2 * s ** 2)) * np.cos(k * x),
                    {"x": (-3, 3), "s": (0.5, 2), "k": (1, 3)}, "exp(-x^2 / (2 s^2)) cos(k x)"),
    # a scale times a product of an input and the input plus one (rotational energy levels)
    "rotor_levels": (lambda B, J: B * J * (J + 1),
                     {"B": (0.5, 2), "J": (0, 5)}, "B J (J + 1)"),
}
