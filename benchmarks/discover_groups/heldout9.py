"""A ninth held-out group for ``benchmarks/discover.py --group heldout9``.

Written on 2026-12-05 by the lead during that session, after heldout8 had been
used for development, and kept away from every helper and from all search work;
run once on the final merged code of the session: that run is its blind result.
Same format as ``discover.LAWS``.
"""
from __future__ import annotations

import numpy as np

G_EARTH = 9.81  # m/s^2
KE = 8.988e9  # Coulomb's constant, N m^2/C^2
MU0 = 1.2566e-6  # vacuum permeability, N/A^2

LAWS = {
    # a product over a distance (potential energy of two charges)
    "coulomb_energy": (lambda q1, q2, r: KE * q1 * q2 / r,
                       {"q1": (-1e-6, 1e-6), "q2": (1e-7, 1e-6), "r": (0.01, 1)},
                       "k q1 q2 / r"),
    # a square root of a sum of a square and a product (speed after a fall)
    "fall_speed": (lambda v0, h: np.sqrt(v0 ** 2 + 2 * G_EARTH * h),
                   {"v0": (0, 20), "h": (0, 50)}, "sqrt(v0^2 + 2 g h)"),
    # a cosine squared times an input (Malus's law)
    "malus_law": (lambda I0, theta: I0 * np.cos(theta) ** 2,
                  {"I0": (1, 10), "theta": (0, 1.5)}, "I0 cos^2(theta)"),
    # a field of a finite wire: a product over a distance times a sum of two cosines
    "wire_field": (lambda I, d, a1, a2: MU0 * I / (4 * np.pi * d) * (np.cos(a1) + np.cos(a2)),
                   {"I": (1, 10), "d": (0.01, 0.1), "a1": (0.2, 1.4), "a2": (0.2, 1.4)},
                   "mu0 I / (4 pi d) (cos a1 + cos a2)"),
    # an exponential saturation with a time constant (charging capacitor's voltage)
    "capacitor_charge": (lambda V, t, tau: V * (1 - np.exp(-t / tau)),
                         {"V": (1, 10), "t": (0, 5), "tau": (0.5, 3)}, "V (1 - exp(-t / tau))"),
    # a reduced mass (product over a sum)
    "reduced_mass": (lambda m1, m2: m1 * m2 / (m1 + m2),
                     {"m1": (0.1, 10), "m2": (0.1, 10)}, "m1 m2 / (m1 + m2)"),
    # a log of a ratio of two sums (Nernst-like, with an offset inside)
    "log_ratio_sums": (lambda a, b, c: np.log((a + b) / (a + c)),
                       {"a": (1, 5), "b": (0.1, 2), "c": (0.1, 2)}, "ln((a + b) / (a + c))"),
    # a power law with a fractional exponent times an input (Kleiber-like metabolic rate)
    "kleiber": (lambda M, k: k * M ** 0.75, {"M": (1, 1000), "k": (1, 5)}, "k M^(3/4)"),
    # a difference of two exponentials in time (a pulse)
    "bi_exponential": (lambda A, t: A * (np.exp(-t) - np.exp(-3 * t)),
                       {"A": (1, 5), "t": (0, 4)}, "A (exp(-t) - exp(-3 t))"),
    # a Lorentzian line shape
    "lorentzian": (lambda x, x0, g: g / ((x - x0) ** 2 + g ** 2) / np.pi,
                   {"x": (-3, 3), "x0": (-1, 1), "g": (0.3, 2)}, "g / (pi ((x - x0)^2 + g^2))"),
    # a sine of a sum of a product and a constant phase times an amplitude (travelling wave)
    "travelling_wave": (lambda A, k, x, w, t: A * np.sin(k * x - w * t),
                        {"A": (1, 3), "k": (0.5, 2), "x": (0, 5), "w": (0.5, 2), "t": (0, 5)},
                        "A sin(k x - w t)"),
    # an arctangent of a ratio (phase of an RC circuit)
    "rc_phase": (lambda w, R, Cap: np.arctan(1 / (w * R * Cap)),
                 {"w": (10, 1000), "R": (100, 1000), "Cap": (1e-6, 1e-5)}, "atan(1 / (w R C))"),
}
