"""What :func:`kanlab.train.fit` measured, step by step (also readable with pykan's keys)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

__all__ = ["History"]


@dataclass
class History:
    """What :func:`fit` measured.

    Attributes
    ----------
    step
        step numbers at which the RMSEs were evaluated (1-based: after that many steps).
    train_rmse, test_rmse
        RMSE on the full train and test sets (``sqrt(loss_fn)`` when
        ``FitConfig.loss_fn`` is given).
    reg
        value of the regularisation term (weighted) at the last evaluation of each step.
    grid_update_steps
        steps before which the grid was updated.
    continuation_layers
        layers whose continuation beyond the grid ``fit`` switched
        (``FitConfig.choose_continuation``).
    restarted_at
        ``None``, or the step after which the fit went on from a fresh draw whose first
        interval ended clearly lower than its own trapped one (``FitConfig.retry_trapped``);
        the rows up to it are the fit's own draw's.
    best_after
        ``None``, or the number of steps after which the fit met the parameters it returned:
        a full-batch Adam fit hands back its lowest training objective when its last step
        ended higher (``FitConfig.keep_best``); the last row is theirs.
    wall_time
        seconds spent in ``fit``.
    status
        ``"completed"``; ``"nonfinite"`` (the loss became NaN or inf at
        ``stopped_at``; the parameters are those of the last finite step); or
        ``"interrupted"`` (the callback returned True after ``stopped_at`` steps); or
        ``"converged"`` (a full-batch L-BFGS step could not lower the loss any
        more, after ``stopped_at`` steps; the remaining steps are skipped).
    """

    step: list[int] = field(default_factory=list)
    train_rmse: list[float] = field(default_factory=list)
    test_rmse: list[float] = field(default_factory=list)
    reg: list[float] = field(default_factory=list)
    grid_update_steps: list[int] = field(default_factory=list)
    continuation_layers: list[int] = field(default_factory=list)
    restarted_at: int | None = None
    best_after: int | None = None
    wall_time: float = 0.0
    status: str = "completed"
    stopped_at: int | None = None

    def __getitem__(self, key: str) -> list[float]:
        """pykan's keys: ``train_loss``/``test_loss`` (which are RMSEs) and ``reg``."""
        return {"train_loss": self.train_rmse, "test_loss": self.test_rmse, "reg": self.reg}[key]

    def keys(self) -> tuple[str, ...]:
        """pykan's keys, so ``'train_loss' in history`` and ``dict(history)`` work."""
        return ("train_loss", "test_loss", "reg")

    def __contains__(self, key) -> bool:
        return key in self.keys()

    def __iter__(self):
        return iter(self.keys())

    def to_dict(self) -> dict:
        return asdict(self)
