"""A sixth held-out group for ``benchmarks/discover.py --group heldout6``.

Written on 2026-12-05 by the lead before any change of that session's search,
and run once on the unchanged code (main d31b4e5): that run is the blind
result, given in ``docs/discover_results.md``.  After it the group is a
development set.  Laws of the kinds of issue 17 item 6 that no earlier group
holds: roots of sums and differences, a function with an offset
(1 - cos), a power of two, a logistic curve, the law of cosines, sums of
terms with squares, entropy of mixing (x ln x), a weighted mean of three
bodies, and the sympy-special column names ``N`` and ``I``.  Same format as
``discover.LAWS``: ``name: (formula in numpy, {column: (lo, hi)}, text)``.
"""
from __future__ import annotations

import numpy as np

G = 6.674e-11  # gravitational constant, m^3/(kg s^2)
MU0 = 4e-7 * np.pi  # vacuum permeability, T m/A
R = 8.314  # gas constant, J/(mol K)
SIGMA = 5.670e-8  # Stefan-Boltzmann constant, W/(m^2 K^4)

LAWS = {
    # a root of a constant times a ratio (circular orbital speed)
    "orbital_speed": (lambda M, r: np.sqrt(G * M / r),
                      {"M": (1e23, 1e25), "r": (1e6, 5e7)}, "sqrt(G M / r)"),
    # a product of four inputs, one squared (aerodynamic drag)
    "drag_force": (lambda rho, Cd, A, v: 0.5 * rho * Cd * A * v ** 2,
                   {"rho": (1.0, 1.3), "Cd": (0.2, 1.2), "A": (0.1, 3), "v": (1, 50)},
                   "rho Cd A v^2 / 2"),
    # a constant times a ratio, with sympy-special names N and I (solenoid field)
    "solenoid_field": (lambda N, I, L: MU0 * N * I / L,
                       {"N": (100, 2000), "I": (0.1, 5), "L": (0.05, 1)}, "mu0 N I / L"),
    # a product times one minus a cosine (pendulum's potential energy)
    "pendulum_energy": (lambda m, L, theta: m * 9.81 * L * (1 - np.cos(theta)),
                        {"m": (0.1, 2), "L": (0.2, 2), "theta": (-1.5, 1.5)},
                        "m g L (1 - cos theta)"),
    # one over a root of one plus a squared product (RC low-pass gain)
    "rc_lowpass_gain": (lambda f, R_, C: 1 / np.sqrt(1 + (2 * np.pi * f * R_ * C) ** 2),
                        {"f": (10, 1e4), "R": (100, 1e4), "C": (1e-8, 1e-6)},
                        "1 / sqrt(1 + (2 pi f R C)^2)"),
    # a root of a difference over an input (Bernoulli outflow speed)
    "bernoulli_speed": (lambda p1, p2, rho: np.sqrt(2 * (p1 - p2) / rho),
                        {"p1": (1.5e5, 3e5), "p2": (1e5, 1.4e5), "rho": (800, 1200)},
                        "sqrt(2 (p1 - p2) / rho)"),
    # a power of two of a ratio (radioactive decay by half-lives)
    "half_life_decay": (lambda A0, t, T: A0 * 2.0 ** (-t / T),
                        {"A0": (100, 1000), "t": (0, 50), "T": (5, 20)}, "A0 2^(-t/T)"),
    # a logistic curve (population growth)
    "logistic_growth": (lambda K, N0, r, t: K * N0 / (N0 + (K - N0) * np.exp(-r * t)),
                        {"K": (500, 1000), "N0": (10, 100), "r": (0.1, 1), "t": (0, 20)},
                        "K N0 / (N0 + (K - N0) exp(-r t))"),
    # a root of a sum of squares and a cosine term (law of cosines)
    "law_of_cosines": (lambda a, b, C: np.sqrt(a ** 2 + b ** 2 - 2 * a * b * np.cos(C)),
                       {"a": (1, 5), "b": (1, 5), "C": (0.2, 3)},
                       "sqrt(a^2 + b^2 - 2 a b cos C)"),
    # a sum times a square (rotational energy about a shifted axis)
    "parallel_axis_energy": (lambda Icm, m, d, omega: 0.5 * (Icm + m * d ** 2) * omega ** 2,
                             {"Icm": (0.01, 0.5), "m": (0.5, 5), "d": (0, 0.5),
                              "omega": (1, 20)}, "(Icm + m d^2) omega^2 / 2"),
    # a sum of a product and a product with a square, inputs through zero (kinematics)
    "kinematic_distance": (lambda v0, t, a: v0 * t + 0.5 * a * t ** 2,
                           {"v0": (-10, 10), "t": (0, 5), "a": (-5, 5)}, "v0 t + a t^2 / 2"),
    # x ln x terms (ideal entropy of mixing, per mole)
    "mixing_entropy": (lambda x: -R * (x * np.log(x) + (1 - x) * np.log(1 - x)),
                       {"x": (0.01, 0.99)}, "-R (x ln x + (1 - x) ln(1 - x))"),
    # a product over a product (Reynolds number)
    "reynolds_number": (lambda rho, v, L, mu: rho * v * L / mu,
                        {"rho": (800, 1200), "v": (0.1, 5), "L": (0.01, 1), "mu": (1e-3, 1e-2)},
                        "rho v L / mu"),
    # a two-dimensional Gaussian density
    "gaussian_2d": (lambda x, y, s: np.exp(-(x ** 2 + y ** 2) / (2 * s ** 2)) / (2 * np.pi * s ** 2),
                    {"x": (-3, 3), "y": (-3, 3), "s": (0.5, 2)},
                    "exp(-(x^2 + y^2) / (2 s^2)) / (2 pi s^2)"),
    # a product with a sine minus a square (projectile's height)
    "projectile_height": (lambda v, theta, t: v * np.sin(theta) * t - 0.5 * 9.81 * t ** 2,
                          {"v": (5, 30), "theta": (0.2, 1.4), "t": (0, 3)},
                          "v sin(theta) t - g t^2 / 2"),
    # a fourth power times a product (Stefan-Boltzmann radiated power)
    "radiated_power": (lambda eps, A, T: eps * SIGMA * A * T ** 4,
                       {"eps": (0.1, 1), "A": (0.1, 2), "T": (300, 1500)},
                       "eps sigma A T^4"),
    # a sum of two kinetic energies, velocities through zero
    "two_body_kinetic": (lambda m1, v1, m2, v2: 0.5 * m1 * v1 ** 2 + 0.5 * m2 * v2 ** 2,
                         {"m1": (0.5, 5), "v1": (-10, 10), "m2": (0.5, 5), "v2": (-10, 10)},
                         "(m1 v1^2 + m2 v2^2) / 2"),
    # six inputs: a weighted mean of three positions (centre of mass)
    "center_of_mass": (lambda m1, x1, m2, x2, m3, x3: (m1 * x1 + m2 * x2 + m3 * x3) / (m1 + m2 + m3),
                       {"m1": (1, 10), "x1": (-5, 5), "m2": (1, 10), "x2": (-5, 5),
                        "m3": (1, 10), "x3": (-5, 5)}, "(m1 x1 + m2 x2 + m3 x3) / (m1 + m2 + m3)"),
}
