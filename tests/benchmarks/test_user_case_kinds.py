"""benchmarks/pykan_user_patterns.py: ``--kinds`` names case modules; ``round3`` still names
the third round after its split into ``round3_data`` and ``round3_chains``."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import pykan_user_patterns as runner  # noqa: E402
from pykan_user_cases import CASES  # noqa: E402


def _count(kind: str) -> int:
    return sum(runner._of_kind(fn, kind) for fn in CASES.values())


def test_round3_names_both_halves_and_each_half_alone():
    assert _count("round3") == 27
    assert _count("round3_data") + _count("round3_chains") == 27
    assert 0 < _count("round3_data") < 27
    assert _count("round4") == 26
    assert _count("round5") == 37  # round5_models, round5_loops and round5_data
    assert _count("round5_models") + _count("round5_loops") == 29
    assert _count("round5_data") == 8
    assert _count("round") == 0  # a kind is a whole module name or its part before "_"
