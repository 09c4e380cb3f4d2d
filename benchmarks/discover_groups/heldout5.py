"""A fifth held-out group for ``benchmarks/discover.py --group heldout5``.

Written on 2026-12-04 (branch ``disc5``) before any change of that session's
structure search, run once on the unchanged code (the baseline) and once on
the final code, and not looked at in between (``docs/discover_results.md``
gives both).  heldout4 became a development set.  Laws of the kinds of issue 17
item 6 that no earlier group holds, with several hard kinds (an affine offset
around a product, ratios of sums, a difference of powers, a difference of
exponentials, a difference of reciprocals inside an exponential).  Same format
as ``discover.LAWS``: ``name: (formula in numpy, {column: (lo, hi)}, text)``.

A development set since disc6 (2026-12-04): its misses were read and searched for.
"""
from __future__ import annotations

import numpy as np

H = 6.626e-34  # Planck's constant, J s
R = 8.314  # gas constant, J/(mol K)

LAWS = {
    # an offset times one plus a product of a difference (linear thermal expansion)
    "thermal_expansion": (lambda L0, alpha, T, T0: L0 * (1 + alpha * (T - T0)),
                          {"L0": (1, 2), "alpha": (1e-5, 3e-5), "T": (250, 400),
                           "T0": (280, 300)}, "L0 (1 + alpha (T - T0))"),
    # an exponential of a difference of reciprocals (Clausius-Clapeyron vapour pressure)
    "clausius_clapeyron": (lambda p0, L, T, T0: p0 * np.exp(-L / R * (1 / T - 1 / T0)),
                           {"p0": (5e4, 1.5e5), "L": (3e4, 4.5e4), "T": (300, 380),
                            "T0": (330, 350)}, "p0 exp(-L/R (1/T - 1/T0))"),
    # an offset plus a product (hydrostatic pressure)
    "pressure_depth": (lambda p0, rho, h: p0 + rho * 9.81 * h,
                       {"p0": (9.5e4, 1.05e5), "rho": (990, 1030), "h": (0, 100)},
                       "p0 + rho g h"),
    # a difference of powers of a ratio, both signs (Lennard-Jones potential)
    "lennard_jones": (lambda eps, sigma, r: 4 * eps * ((sigma / r) ** 12 - (sigma / r) ** 6),
                      {"eps": (1e-21, 2e-21), "sigma": (3e-10, 3.5e-10), "r": (3.2e-10, 6e-10)},
                      "4 eps ((sigma/r)^12 - (sigma/r)^6)"),
    # a constant over a product (de Broglie wavelength)
    "de_broglie": (lambda m, v: H / (m * v), {"m": (1e-30, 1e-29), "v": (1e5, 1e6)},
                   "h / (m v)"),
    # a product with a square over an input (centripetal force)
    "centripetal_force": (lambda m, v, r: m * v ** 2 / r,
                          {"m": (0.1, 5), "v": (1, 30), "r": (0.5, 10)}, "m v^2 / r"),
    # a ratio of sums with inputs through zero (Doppler shift, source and observer moving)
    "doppler_both": (lambda f, vo, vs: f * (343.0 + vo) / (343.0 - vs),
                     {"f": (200, 2000), "vo": (-30, 30), "vs": (-30, 30)},
                     "f (c + vo) / (c - vs)"),
    # a negative ratio of squares (hydrogen-like energy levels, eV)
    "bohr_energy": (lambda Z, n: -13.6 * Z ** 2 / n ** 2, {"Z": (1, 3), "n": (1, 5)},
                    "-13.6 Z^2 / n^2"),
    # a root of a difference (damped oscillator's frequency)
    "damped_frequency": (lambda k, m, b: np.sqrt(k / m - (b / (2 * m)) ** 2),
                         {"k": (10, 100), "m": (0.5, 2), "b": (0.1, 2)},
                         "sqrt(k/m - (b/(2m))^2)"),
    # a product times a sine of an angle through zero, both signs (torque)
    "torque": (lambda r, F, theta: r * F * np.sin(theta),
               {"r": (0.1, 1), "F": (1, 100), "theta": (-np.pi, np.pi)}, "r F sin(theta)"),
    # a difference of exponentials times a ratio (Bateman: one-compartment oral dose)
    "bateman": (lambda D, ka, ke, t: D * ka / (ka - ke) * (np.exp(-ke * t) - np.exp(-ka * t)),
                {"D": (100, 500), "ka": (1, 3), "ke": (0.1, 0.5), "t": (0, 24)},
                "D ka/(ka - ke) (exp(-ke t) - exp(-ka t))"),
    # a product of powers over a product (cantilever tip deflection)
    "beam_deflection": (lambda F, L, E, I: F * L ** 3 / (3 * E * I),
                        {"F": (10, 1000), "L": (0.5, 3), "E": (1e9, 2e11), "I": (1e-8, 1e-6)},
                        "F L^3 / (3 E I)"),
    # a difference times a square over an input (Stokes terminal velocity)
    "terminal_velocity": (lambda rho_p, rho_f, r, mu: 2 / 9 * (rho_p - rho_f) * 9.81 * r ** 2 / mu,
                          {"rho_p": (2000, 8000), "rho_f": (900, 1100), "r": (1e-5, 1e-4),
                           "mu": (1e-3, 2e-3)}, "2/9 (rho_p - rho_f) g r^2 / mu"),
    # the square of a ratio of an input and a sum (gravity at a height)
    "gravity_height": (lambda Re, h: 9.81 * (Re / (Re + h)) ** 2,
                       {"Re": (6e6, 7e6), "h": (0, 1e6)}, "g (Re/(Re + h))^2"),
    # a ratio of squares over a sum of squares (Hill dose response, n = 2)
    "hill_response": (lambda Emax, C, EC50: Emax * C ** 2 / (EC50 ** 2 + C ** 2),
                      {"Emax": (50, 100), "C": (0, 10), "EC50": (1, 5)},
                      "Emax C^2 / (EC50^2 + C^2)"),
    # six inputs: a ratio of sums of products (temperature after mixing two bodies)
    "mixing_temperature": (lambda m1, c1, T1, m2, c2, T2:
                           (m1 * c1 * T1 + m2 * c2 * T2) / (m1 * c1 + m2 * c2),
                           {"m1": (0.1, 2), "c1": (400, 4200), "T1": (280, 320),
                            "m2": (0.1, 2), "c2": (400, 4200), "T2": (340, 370)},
                           "(m1 c1 T1 + m2 c2 T2) / (m1 c1 + m2 c2)"),
}
