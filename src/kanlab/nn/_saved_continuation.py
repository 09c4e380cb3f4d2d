"""A layer's continuation beyond its grid, saved with its ``state_dict``.

``extrapolate`` changes the function beyond the grid (``FitConfig.choose_continuation``
switches it), so it travels with the tensors as its index in ``EXTRAPOLATIONS``
(:mod:`kanlab.nn._saved_settings`).
"""
from __future__ import annotations

from kanlab.nn._saved_settings import setting_tensor, take_setting
from kanlab.splines._bspline import EXTRAPOLATIONS

__all__ = ["CONTINUATION_KEY", "SavedContinuation"]

# the state_dict entry of a layer's continuation: its index in EXTRAPOLATIONS (append only)
CONTINUATION_KEY = "extrapolate"


class SavedContinuation:
    """Mixin for a module with ``extrapolate``, ``k`` and ``knots``: ``state_dict`` holds the
    continuation; loading a ``state_dict`` from before it was saved keeps the module's own."""

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + CONTINUATION_KEY] = setting_tensor(
            self, CONTINUATION_KEY, (EXTRAPOLATIONS.index(self.extrapolate),), self.knots.device)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
        key = prefix + CONTINUATION_KEY
        code = take_setting(state_dict, key, unexpected_keys, error_msgs, 1, 0,
                            len(EXTRAPOLATIONS) - 1)
        if code is None:  # a state_dict from before: the layer keeps its own
            return
        how = EXTRAPOLATIONS[code[0]]
        if how == "extended_quadratic" and self.k < 1:
            error_msgs.append(f"{key}: 'extended_quadratic' needs a degree k >= 1, this layer "
                              f"has k={self.k}")
            return
        self.extrapolate = how
