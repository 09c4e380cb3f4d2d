"""An eighth held-out group for ``benchmarks/discover.py --group heldout8``.

Written on 2026-12-05 by the lead at the start of that session's work and kept
out of the repository and away from every helper until the end of the
session's search work; run once on the final merged code: that run is the
round's blind result (``docs/discover_results.md``).  Same format as
``discover.LAWS``.  Harder on purpose than heldout7: sums with functions,
products of functions, roots and ratios of sums.
"""
from __future__ import annotations

import numpy as np

SIGMA = 5.670e-8  # Stefan-Boltzmann constant, W/(m^2 K^4)
R = 8.314  # gas constant, J/(mol K)
G_EARTH = 9.81  # m/s^2

LAWS = {
    # a ratio of two affine functions times an input (Doppler shift, sound in air)
    "doppler_shift": (lambda f, vr, vs: f * (343 + vr) / (343 - vs),
                      {"f": (100, 1000), "vr": (0, 30), "vs": (0, 30)},
                      "f (c + vr) / (c - vs)"),
    # a square times a sine of a doubled angle (projectile range)
    "projectile_range": (lambda v, theta: v ** 2 * np.sin(2 * theta) / G_EARTH,
                         {"v": (5, 50), "theta": (0.1, 1.4)}, "v^2 sin(2 theta) / g"),
    # an input plus a constant times one minus a cosine (Compton shift)
    "compton_wavelength": (lambda lam, theta: lam + 2.426e-12 * (1 - np.cos(theta)),
                           {"lam": (1e-11, 1e-10), "theta": (0, 3)},
                           "lam + h/(m c) (1 - cos theta)"),
    # a cube over an exponential minus one (Planck's spectrum, one input)
    "planck_spectrum": (lambda x: x ** 3 / (np.exp(x) - 1), {"x": (0.5, 5)},
                        "x^3 / (exp(x) - 1)"),
    # a root of a mean of three squares (rms of three)
    "rms_three": (lambda a, b, c: np.sqrt((a ** 2 + b ** 2 + c ** 2) / 3),
                  {"a": (-5, 5), "b": (-5, 5), "c": (-5, 5)}, "sqrt((a^2 + b^2 + c^2) / 3)"),
    # an exponential decay times a cosine (damped oscillation)
    "damped_oscillation": (lambda A, b, w, t: A * np.exp(-b * t) * np.cos(w * t),
                           {"A": (1, 3), "b": (0.05, 0.5), "w": (1, 5), "t": (0, 10)},
                           "A exp(-b t) cos(w t)"),
    # a difference of fourth powers (radiative exchange)
    "radiative_exchange": (lambda A, T1, T2: SIGMA * A * (T1 ** 4 - T2 ** 4),
                           {"A": (0.1, 2), "T1": (300, 600), "T2": (200, 300)},
                           "sigma A (T1^4 - T2^4)"),
    # a shifted, scaled Gaussian density
    "gaussian_density": (lambda x, mu, s: np.exp(-(x - mu) ** 2 / (2 * s ** 2))
                         / (s * np.sqrt(2 * np.pi)),
                         {"x": (-3, 3), "mu": (-1, 1), "s": (0.5, 2)},
                         "exp(-(x - mu)^2 / (2 s^2)) / (s sqrt(2 pi))"),
    # a product with a sum of a sine and a cosine times an input (work on an incline)
    "incline_work": (lambda m, theta, mu, d: m * G_EARTH * (np.sin(theta) + mu * np.cos(theta)) * d,
                     {"m": (1, 10), "theta": (0.1, 1.0), "mu": (0.1, 0.5), "d": (1, 10)},
                     "m g (sin theta + mu cos theta) d"),
    # a sum of a kinetic and a potential energy
    "mechanical_energy": (lambda m, v, h: 0.5 * m * v ** 2 + m * G_EARTH * h,
                          {"m": (1, 5), "v": (0, 10), "h": (0, 10)}, "m v^2 / 2 + m g h"),
    # an inverse root of a product (LC resonance)
    "lc_resonance": (lambda L, Cap: 1 / (2 * np.pi * np.sqrt(L * Cap)),
                     {"L": (1e-3, 1e-1), "Cap": (1e-6, 1e-4)}, "1 / (2 pi sqrt(L C))"),
    # a root of a sum of two squares of different inputs (relativistic energy, c = 1)
    "relativistic_energy": (lambda p, m: np.sqrt(p ** 2 + m ** 2),
                            {"p": (0, 5), "m": (0.5, 3)}, "sqrt(p^2 + m^2)"),
    # an exponential of a product with a difference of reciprocals (Arrhenius ratio)
    "arrhenius_ratio": (lambda Ea, T1, T2: np.exp(-Ea / R * (1 / T1 - 1 / T2)),
                        {"Ea": (2e4, 6e4), "T1": (280, 320), "T2": (320, 380)},
                        "exp(-Ea/R (1/T1 - 1/T2))"),
    # a squared sinc times an input (single-slit intensity)
    "slit_intensity": (lambda I0, b: I0 * (np.sin(b) / b) ** 2,
                       {"I0": (1, 10), "b": (0.1, 4)}, "I0 (sin b / b)^2"),
    # a harmonic mean of two
    "harmonic_mean": (lambda a, b: 2 * a * b / (a + b),
                      {"a": (1, 10), "b": (1, 10)}, "2 a b / (a + b)"),
    # a root of a product with a tanh (water waves' dispersion)
    "wave_dispersion": (lambda k, h: np.sqrt(G_EARTH * k * np.tanh(k * h)),
                        {"k": (0.1, 2), "h": (0.5, 10)}, "sqrt(g k tanh(k h))"),
    # a logistic curve in time with three parameters
    "logistic_growth": (lambda K, r, t: K / (1 + 9 * np.exp(-r * t)),
                        {"K": (50, 200), "r": (0.1, 1), "t": (0, 10)},
                        "K / (1 + 9 exp(-r t))"),
    # a sum of two products of an input with a log ratio (work of two isothermal steps)
    "isothermal_work": (lambda n, T, V1, V2: n * R * T * np.log(V2 / V1),
                        {"n": (0.5, 3), "T": (250, 400), "V1": (0.01, 0.05), "V2": (0.06, 0.2)},
                        "n R T ln(V2 / V1)"),
}
