"""pykan's checkpoints and auto-save, as a mixin of :class:`kanlab.pykan.KAN`.

``auto_save`` (on by default, as in pykan) writes a checkpoint after every
step that changes the model, to ``ckpt_path`` (default ``./model``, relative
to the working directory): ``<ckpt_path>/<round>.<state_id>.pt``.  This is the
only file kanlab writes without being asked, and only :mod:`kanlab.pykan`
does it; ``auto_save=False`` turns it off.  A checkpoint is the whole model
pickled with ``torch.save``, written atomically.
"""
from __future__ import annotations

import copy
import io
import os
import pickle
import warnings

import torch

__all__ = ["Checkpoints"]


class Checkpoints:
    """``saveckpt``, ``loadckpt``, ``rewind``/``checkout``, ``copy`` and the auto-save hook.

    The host class sets ``auto_save``, ``ckpt_path``, ``round`` and ``state_id``.
    """

    def _ckpt_file(self) -> str:
        return os.path.join(self.ckpt_path, f"{self.round}.{self.state_id}")

    def log_history(self, method_name: str = "") -> None:
        """pykan's auto-save: a new checkpoint version after a change of the model, noted in
        the history (:meth:`history`)."""
        if self.auto_save:
            self.history_lines().append(f"{self.round}.{self.state_id} => {method_name} => "
                                        f"{self.round}.{self.state_id + 1}")
            self.state_id += 1
            self.auto_checkpoint()

    def history_lines(self) -> list[str]:
        """The version log pykan writes to ``<ckpt_path>/history.txt`` (kept on the model
        here, shared with the models ``prune``/``refine`` return, as pykan's file is)."""
        if getattr(self, "history_log", None) is None:
            self.history_log = []
        return self.history_log

    def history(self, k="all") -> None:
        """Print the last ``k`` lines of the version log (all with ``'all'``), as pykan."""
        lines = self.history_lines()
        for line in (lines if k == "all" else lines[len(lines) - int(k):] if int(k) > 0 else []):
            print(line)

    def auto_checkpoint(self) -> None:
        """Write the auto-save checkpoint of this version.  A model that cannot be pickled (a
        subclass defined where pickle cannot find it, e.g. inside a function) is not written:
        a RuntimeWarning says so, and the model works on (pykan saves only weights and
        configuration, so its auto-save never stops a model from being built or trained)."""
        try:
            self.saveckpt(self._ckpt_file())
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            warnings.warn(f"auto_save: checkpoint {self._ckpt_file()}.pt not written, the model "
                          f"cannot be pickled ({exc}); define the model's class at module level, "
                          "or pass auto_save=False", RuntimeWarning, stacklevel=3)

    def saveckpt(self, path="model") -> None:
        """Write the whole model (pickled with ``torch.save``) to ``path + '.pt'``."""
        folder = os.path.dirname(str(path))
        if folder:
            os.makedirs(folder, exist_ok=True)
        from kanlab.io import atomic_write_bytes
        buf = io.BytesIO()
        torch.save(self, buf)
        atomic_write_bytes(str(path) + ".pt", buf.getvalue())

    @staticmethod
    def loadckpt(path="model", map_location=None):
        """Read a model written by :meth:`saveckpt`, on the device it was saved from or on
        ``map_location`` (``torch.load``'s: e.g. ``"cpu"`` for a model saved on a GPU, on a
        machine without one)."""
        return torch.load(str(path) + ".pt", weights_only=False, map_location=map_location)

    def rewind(self, model_id: str):
        """The model as auto-saved at version ``model_id`` (``"round.state_id"``), carried on
        in a new round under the same version (pykan: ``0.7`` goes on as ``1.7``, then ``1.8``)."""
        model = self.loadckpt(os.path.join(self.ckpt_path, str(model_id)))
        model.round, model.state_id = self.round + 1, int(str(model_id).split(".")[-1])
        model.history_log = self.history_lines()
        model.history_log.append(f"### Round {model.round} ###")
        model.auto_save = self.auto_save
        if model.auto_save:
            model.auto_checkpoint()
        return model

    checkout = rewind

    def copy(self):
        return copy.deepcopy(self)
