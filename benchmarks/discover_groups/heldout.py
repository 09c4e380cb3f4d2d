"""Held-out laws for ``benchmarks/discover.py --group heldout``: laws the search was not tuned on.

They were written after the structure search's last change and are run once
per change of the search, at the end (``docs/discover_results.md`` says
when); a law failing here is reported, not fitted for.  Same format as
``discover.LAWS``: ``name: (formula in numpy, {column: (lo, hi)}, text)``.
"""
from __future__ import annotations

import numpy as np

H_OVER_K = 4.799243e-11  # Planck's h / Boltzmann's k, K·s
K_EV = 8.617333e-5  # Boltzmann's constant, eV/K
G = 6.674e-11

LAWS = {
    # a rational function of an exponential (Planck's spectral law, frequency and temperature)
    "planck": (lambda nu, T: nu ** 3 / (np.exp(H_OVER_K * nu / T) - 1),
               {"nu": (1e12, 1e14), "T": (300, 3000)}, "nu^3 / (exp(h nu / (k T)) - 1)"),
    # a peak with a moving centre and width
    "lorentzian": (lambda x, x0, gamma: gamma / (np.pi * ((x - x0) ** 2 + gamma ** 2)),
                   {"x": (-5, 5), "x0": (-1, 1), "gamma": (0.5, 2)},
                   "gamma / (pi ((x - x0)^2 + gamma^2))"),
    # a log of a ratio (isothermal work of an ideal gas)
    "isothermal_work": (lambda n, T, V1, V2: n * 8.314 * T * np.log(V2 / V1),
                        {"n": (1, 5), "T": (250, 400), "V1": (0.01, 0.05), "V2": (0.06, 0.2)},
                        "n R T ln(V2/V1)"),
    # a saturating response (paramagnet: M = Ms tanh(mu B / (k T)))
    "paramagnet_tanh": (lambda Ms, B, T: Ms * np.tanh(0.6717 * B / T),
                        {"Ms": (1, 3), "B": (0.1, 2), "T": (0.5, 5)}, "Ms tanh(0.6717 B / T)"),
    # a sigmoid of a shifted, scaled input (Fermi-Dirac occupation)
    "fermi_dirac": (lambda E, mu, T: 1 / (np.exp((E - mu) / (K_EV * T)) + 1),
                    {"E": (0.0, 0.2), "mu": (0.05, 0.15), "T": (100, 400)},
                    "1 / (exp((E - mu)/(k T)) + 1)"),
    # a power that is not a half (Kleiber's law)
    "kleiber": (lambda M: 70 * M ** 0.75, {"M": (1, 1000)}, "70 M^(3/4)"),
    # a fourth power over a product (Poiseuille's flow rate)
    "poiseuille": (lambda r, dp, mu, L: np.pi * r ** 4 * dp / (8 * mu * L),
                   {"r": (1e-3, 1e-2), "dp": (100, 1000), "mu": (1e-3, 1e-2), "L": (0.1, 1)},
                   "pi r^4 dp / (8 mu L)"),
    # five inputs (Darcy-Weisbach pressure drop)
    "darcy_weisbach": (lambda f, L, D, rho, v: f * L / D * rho * v ** 2 / 2,
                       {"f": (0.01, 0.05), "L": (1, 100), "D": (0.05, 0.5), "rho": (900, 1100),
                        "v": (0.5, 5)}, "f (L/D) rho v^2 / 2"),
    # a log of a ratio of two masses (Tsiolkovsky's rocket equation)
    "tsiolkovsky": (lambda ve, m0, mf: ve * np.log(m0 / mf),
                    {"ve": (2000, 4500), "m0": (100, 200), "mf": (20, 90)}, "ve ln(m0/mf)"),
    # six inputs: gravity between two masses at planar positions
    "gravity_2d": (lambda m1, m2, x1, x2, y1, y2: G * m1 * m2 / ((x1 - x2) ** 2 + (y1 - y2) ** 2),
                   {"m1": (1e3, 1e4), "m2": (1e3, 1e4), "x1": (0, 1), "x2": (2, 3),
                    "y1": (0, 1), "y2": (2, 3)}, "G m1 m2 / ((x1 - x2)^2 + (y1 - y2)^2)"),
}
