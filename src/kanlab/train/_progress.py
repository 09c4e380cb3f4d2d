"""The progress bar of :func:`kanlab.train.fit`: tqdm's, or one that does nothing."""
from __future__ import annotations

__all__ = ["progress_bar"]


class _NoBar:
    """The part of a tqdm bar that :func:`fit` uses, doing nothing."""

    def __init__(self, steps) -> None:
        self.steps = steps

    def __iter__(self):
        return iter(self.steps)

    def set_postfix(self, **kwargs) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(steps: range, show: bool, desc: str):
    """tqdm's bar over ``steps`` when ``show``, else one with the same methods that does
    nothing (tqdm is then not even imported: a tenth of a second)."""
    if not show:
        return _NoBar(steps)
    from tqdm.auto import tqdm
    return tqdm(steps, desc=desc, leave=False)
