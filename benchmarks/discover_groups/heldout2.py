"""A second held-out group for ``benchmarks/discover.py --group heldout2``.

Written on 2026-12-04 before any change of that session's structure search,
run once on the unchanged code (the baseline) and once on the final code,
and not looked at in between (``docs/discover_results.md`` gives both).
The first held-out group (``discover_groups/heldout.py``) became a development set
in that session; this one is the check of generalisation.  Same format as
``discover.LAWS``: ``name: (formula in numpy, {column: (lo, hi)}, text)``.
"""
from __future__ import annotations

import numpy as np

R = 8.314  # gas constant, J/(mol K)
F = 96485.0  # Faraday's constant, C/mol
SIGMA = 5.670e-8  # Stefan-Boltzmann constant, W/(m^2 K^4)
C = 2.99792458e8

LAWS = {
    # a function of a dimensionless product (deep/shallow water waves)
    "water_wave": (lambda k, h: np.sqrt(9.81 / k * np.tanh(k * h)),
                   {"k": (0.1, 2.0), "h": (0.5, 10.0)}, "sqrt(g/k tanh(k h))"),
    # an arctangent of a ratio (Brewster's angle)
    "brewster": (lambda n1, n2: np.arctan(n2 / n1), {"n1": (1.0, 1.5), "n2": (1.3, 2.5)},
                 "atan(n2/n1)"),
    # a log of a ratio times a ratio (Nernst potential)
    "nernst": (lambda T, z, co, ci: R * T / (z * F) * np.log(co / ci),
               {"T": (280, 320), "z": (1, 3), "co": (50, 150), "ci": (5, 20)},
               "R T/(z F) ln(co/ci)"),
    # a sum of two logs of ratios (entropy change of an ideal gas)
    "entropy_change": (lambda n, T1, T2, V1, V2: n * R * (1.5 * np.log(T2 / T1) + np.log(V2 / V1)),
                       {"n": (1, 3), "T1": (250, 350), "T2": (300, 600), "V1": (0.01, 0.05),
                        "V2": (0.02, 0.1)}, "n R (3/2 ln(T2/T1) + ln(V2/V1))"),
    # the root of a sum of squares of products (relativistic energy)
    "relativistic_energy": (lambda p, m: np.sqrt((p * C) ** 2 + (m * C ** 2) ** 2),
                            {"p": (1e-19, 1e-18), "m": (1e-28, 3e-27)},
                            "sqrt(p^2 c^2 + m^2 c^4)"),
    # a rational function with a difference (thin-lens image distance)
    "thin_lens_image": (lambda f, do: f * do / (do - f), {"f": (0.05, 0.2), "do": (0.3, 2.0)},
                        "f do / (do - f)"),
    # a saturating rational function (Michaelis-Menten)
    "michaelis_menten": (lambda Vmax, S, Km: Vmax * S / (Km + S),
                         {"Vmax": (1, 10), "S": (0.1, 10), "Km": (0.5, 5)}, "Vmax S / (Km + S)"),
    # a rational function of a product (Langmuir isotherm)
    "langmuir": (lambda qmax, K, p: qmax * K * p / (1 + K * p),
                 {"qmax": (1, 5), "K": (0.1, 10), "p": (0.1, 10)}, "qmax K p / (1 + K p)"),
    # two rational terms (van der Waals gas, CO2's a and b)
    "van_der_waals": (lambda T, Vm: R * T / (Vm - 4.267e-5) - 0.3640 / Vm ** 2,
                      {"T": (300, 500), "Vm": (5e-4, 5e-3)}, "R T/(Vm - b) - a/Vm^2"),
    # a sine of a difference of products (travelling wave)
    "travelling_wave": (lambda A, k, x, w, t: A * np.sin(k * x - w * t),
                        {"A": (0.5, 2), "k": (1, 3), "x": (0, 2), "w": (1, 3), "t": (0, 2)},
                        "A sin(k x - w t)"),
    # a squared cosine (Malus's law)
    "malus": (lambda I0, theta: I0 * np.cos(theta) ** 2, {"I0": (1, 10), "theta": (0, 1.5)},
              "I0 cos(theta)^2"),
    # a difference of inverse squares (Rydberg's formula)
    "rydberg": (lambda n1, n2: 1.097e7 * (1 / n1 ** 2 - 1 / n2 ** 2),
                {"n1": (1, 2), "n2": (3, 6)}, "R (1/n1^2 - 1/n2^2)"),
    # a power that is not a half (adiabatic compression, gamma = 1.4)
    "adiabatic": (lambda p1, V1, V2: p1 * (V1 / V2) ** 1.4,
                  {"p1": (1e5, 2e5), "V1": (1, 2), "V2": (0.2, 0.8)}, "p1 (V1/V2)^1.4"),
    # a difference of fourth powers (net radiated power)
    "net_radiation": (lambda eps, A, T, Ts: SIGMA * eps * A * (T ** 4 - Ts ** 4),
                      {"eps": (0.1, 1), "A": (0.1, 2), "T": (400, 800), "Ts": (250, 350)},
                      "sigma eps A (T^4 - Ts^4)"),
    # a root times an exponential of a ratio (collision-theory rate constant)
    "arrhenius_collision": (lambda A, Ea, T: A * np.sqrt(T) * np.exp(-Ea / (R * T)),
                            {"A": (1e3, 1e4), "Ea": (1e4, 3e4), "T": (300, 600)},
                            "A sqrt(T) exp(-Ea/(R T))"),
    # one minus an exponential of a ratio of a product (charging capacitor)
    "capacitor_charge": (lambda V0, t, R_, Cap: V0 * (1 - np.exp(-t / (R_ * Cap))),
                         {"V0": (1, 10), "t": (0, 2e-3), "R": (1e3, 1e4), "Cap": (1e-7, 1e-6)},
                         "V0 (1 - exp(-t/(R C)))"),
}
