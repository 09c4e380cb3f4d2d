"""A fifteenth held-out group for ``benchmarks/discover.py --group heldout15``.

Written on 2026-12-06 by the helper disc15 *before* reading ``kanlab.discover``'s source or
any earlier group's laws (only heldout14's format was read; names and kinds checked by grep
against the earlier groups so none repeats), and run once on the code as it stood (commit
53fc5e6): that run is its blind result (``benchmarks/records/heldout15_blind.jsonl``).
Laws from chemistry, biology, finance, engineering and physics, in ranges as measured
(tiny and huge scales), with constants that are not round, two variables that do not
matter (a column's density in a buckling load, the ion mass in a Debye length), a log10,
a double exponential, an arcsine of a sum of trig products and rationals with powers.
Same format as ``discover.LAWS``.
"""
from __future__ import annotations

import numpy as np

LAWS = {
    # a constant plus a log10 of a ratio (Henderson-Hasselbalch buffer pH)
    "henderson_hasselbalch": (lambda pKa, A, HA: pKa + np.log10(A / HA),
                              {"pKa": (3, 9), "A": (0.01, 1), "HA": (0.01, 1)},
                              "pKa + log10(A / HA)"),
    # a power of ten of a square times a root (Debye-Hueckel activity coefficient, water 25 C)
    "debye_huckel_gamma": (lambda z, I: 10 ** (-0.509 * z ** 2 * np.sqrt(I)),
                           {"z": (1, 3), "I": (0.001, 0.1)},
                           "10^(-0.509 z^2 sqrt(I))"),
    # a rational with a negative power of one plus a ratio (monthly mortgage payment)
    "mortgage_payment": (lambda L, r, n: L * (r / 12) / (1 - (1 + r / 12) ** (-n)),
                         {"L": (1e5, 5e5), "r": (0.02, 0.08), "n": (60, 360)},
                         "L (r/12) / (1 - (1 + r/12)^(-n))"),
    # a difference with a ratio (Kelly betting fraction)
    "kelly_fraction": (lambda p, b: p - (1 - p) / b,
                       {"p": (0.5, 0.7), "b": (1, 3)},
                       "p - (1 - p) / b"),
    # a double exponential (Gompertz growth from a tenth of the capacity)
    "gompertz_growth": (lambda K, r, t: K * np.exp(np.log(0.1) * np.exp(-r * t)),
                        {"K": (100, 1000), "r": (0.1, 1), "t": (0, 20)},
                        "K exp(ln(0.1) exp(-r t))"),
    # a rate times a non-round base to a shifted power (Q10 temperature rule of respiration)
    "q10_respiration": (lambda R20, T: R20 * 2.3 ** ((T - 20) / 10),
                        {"R20": (0.5, 5), "T": (5, 35)},
                        "R20 2.3^((T - 20)/10)"),
    # a product of fractional powers over a small coefficient (Manning open-channel velocity)
    "manning_velocity": (lambda n, R, S: R ** (2 / 3) * np.sqrt(S) / n,
                         {"n": (0.01, 0.05), "R": (0.1, 3), "S": (1e-4, 1e-2)},
                         "R^(2/3) sqrt(S) / n"),
    # a product over a square at huge and tiny scales, density irrelevant (Euler buckling load)
    "euler_buckling": (lambda E, I, L, rho: np.pi ** 2 * E * I / L ** 2,
                       {"E": (7e10, 2.1e11), "I": (1e-8, 1e-6), "L": (1, 5),
                        "rho": (2700, 7850)},
                       "pi^2 E I / L^2"),
    # a voltage times a divider ratio less a half (Wheatstone bridge output, equal arms)
    "wheatstone_bridge": (lambda Vs, R, Rx: Vs * (Rx / (R + Rx) - 0.5),
                          {"Vs": (1, 10), "R": (100, 1000), "Rx": (100, 1000)},
                          "Vs (Rx / (R + Rx) - 1/2)"),
    # a tiny constant times a 3/2 power over a square (Child-Langmuir space-charge current)
    "child_langmuir_current": (lambda V, d: 2.33e-6 * V ** 1.5 / d ** 2,
                               {"V": (10, 1000), "d": (0.001, 0.01)},
                               "2.33e-6 V^1.5 / d^2"),
    # an arcsine of a sum of trig products (solar elevation angle)
    "solar_elevation": (lambda phi, delta, H: np.arcsin(np.sin(phi) * np.sin(delta)
                                                        + np.cos(phi) * np.cos(delta) * np.cos(H)),
                        {"phi": (0, 1.1), "delta": (-0.4, 0.4), "H": (-1.5, 1.5)},
                        "asin(sin(phi) sin(delta) + cos(phi) cos(delta) cos(H))"),
    # a root of a ratio at plasma scales, ion mass irrelevant (Debye length, T in K, n in m^-3)
    "debye_length": (lambda T, n, A: 69.0 * np.sqrt(T / n),
                     {"T": (1e3, 1e5), "n": (1e14, 1e18), "A": (1, 40)},
                     "69 sqrt(T / n)"),
}
