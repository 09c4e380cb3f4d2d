"""One optimiser step of pykan's own training loop (its ``fit``, and the loops kept in its
image: ``MLP.fit`` and a subclass's hooks): L-BFGS through a closure, Adam on one evaluation."""
from __future__ import annotations

__all__ = ["take_step"]


def take_step(optimizer, opt: str, objective, idx) -> None:
    """Lower ``objective(idx)`` (a differentiable scalar) with ``optimizer`` (``opt``:
    ``"LBFGS"`` or ``"Adam"``)."""
    if opt == "LBFGS":
        def closure():
            optimizer.zero_grad()
            loss = objective(idx)
            loss.backward()
            return loss
        optimizer.step(closure)
    else:
        optimizer.zero_grad()
        objective(idx).backward()
        optimizer.step()
