"""A thirteenth held-out group for ``benchmarks/discover.py --group heldout13``.

Written on 2026-12-05 (sixth session of the day) by the lead *after* that session's change
to ``kanlab.discover`` (polynomial targets: angles, logistics), which heldout12's misses
had shaped, to check that change on laws it was not made for.  Kept away from every
helper and from all search work, and run once on the code with the change: that run is
its blind result.  Same format as ``discover.LAWS``.
"""
from __future__ import annotations

import numpy as np

G_EARTH = 9.81  # m/s^2

LAWS = {
    # a frequency times a root of a ratio of a sum and a difference (relativistic Doppler)
    "relativistic_doppler": (lambda f, b: f * np.sqrt((1 + b) / (1 - b)),
                             {"f": (1, 10), "b": (0, 0.8)}, "f sqrt((1 + b) / (1 - b))"),
    # an arcsine of a ratio times a sine (an angle from the law of sines)
    "law_of_sines_angle": (lambda a, b, B: np.arcsin(a * np.sin(B) / b),
                           {"a": (1, 2), "b": (2, 3), "B": (0.2, 1.2)}, "asin(a sin(B) / b)"),
    # a saturating ratio of squares (Hill equation, coefficient 2)
    "hill_binding": (lambda V, S, K: V * S ** 2 / (K ** 2 + S ** 2),
                     {"V": (1, 5), "S": (0.1, 5), "K": (0.5, 2)}, "V S^2 / (K^2 + S^2)"),
    # one over an exponential of a shifted ratio less one (Bose-Einstein occupation)
    "bose_einstein": (lambda E, mu, T: 1 / (np.exp((E - mu) / T) - 1),
                      {"E": (1, 3), "mu": (0, 0.8), "T": (0.2, 1)}, "1 / (exp((E - mu)/T) - 1)"),
    # a square times a squared sine over a constant (highest point of a projectile)
    "max_height": (lambda v, th: (v * np.sin(th)) ** 2 / (2 * G_EARTH),
                   {"v": (1, 10), "th": (0.1, 1.4)}, "v^2 sin(th)^2 / (2 g)"),
    # a root of a product with one less a cosine (speed at the bottom of a pendulum swing)
    "pendulum_speed": (lambda L, th: np.sqrt(2 * G_EARTH * L * (1 - np.cos(th))),
                       {"L": (0.5, 2), "th": (0.2, 1.5)}, "sqrt(2 g L (1 - cos th))"),
    # a product over a difference (image distance of a thin lens)
    "lens_image": (lambda f, do: f * do / (do - f),
                   {"f": (1, 2), "do": (3, 6)}, "f do / (do - f)"),
    # a root of a sum of squares and a product with a cosine (two waves' resultant amplitude)
    "wave_resultant": (lambda a, b, phi: np.sqrt(a ** 2 + b ** 2 + 2 * a * b * np.cos(phi)),
                       {"a": (1, 2), "b": (1, 2), "phi": (0, 3)},
                       "sqrt(a^2 + b^2 + 2 a b cos(phi))"),
    # an amplitude times a decaying exponential times a cosine (a damped oscillation)
    "damped_cosine": (lambda A, t, tau, w: A * np.exp(-t / tau) * np.cos(w * t),
                      {"A": (1, 3), "t": (0, 5), "tau": (1, 4), "w": (1, 3)},
                      "A exp(-t/tau) cos(w t)"),
    # a root of a ratio times a tanh of a product with a root (speed under quadratic drag)
    "drag_velocity": (lambda m, k, t: np.sqrt(m * G_EARTH / k) * np.tanh(t * np.sqrt(G_EARTH * k / m)),
                      {"m": (1, 5), "k": (0.1, 1), "t": (0, 3)},
                      "sqrt(m g / k) tanh(t sqrt(g k / m))"),
    # a cube over an exponential of a ratio less one (Planck's law in a reduced form)
    "planck_like": (lambda A, x, T: A * x ** 3 / (np.exp(x / T) - 1),
                    {"A": (1, 2), "x": (0.1, 5), "T": (0.5, 2)}, "A x^3 / (exp(x/T) - 1)"),
    # an arctangent of a product over an input (phase angle of an RL circuit)
    "rl_phase": (lambda w, L, R: np.arctan(w * L / R),
                 {"w": (1, 10), "L": (0.1, 1), "R": (1, 10)}, "atan(w L / R)"),
}
