"""kanlab.pykan.LBFGS: a step that cannot move forgets its curvature pairs; working runs are torch's."""
import torch

from kanlab.pykan import LBFGS

A = torch.tensor([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 50.0]], dtype=torch.float64)


def _objective(p):
    return 0.5 * p @ A @ p + 0.1 * (p ** 4).sum()  # smooth, convex, not quadratic


def _run(cls, steps, poison=False, **kw):
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64))
    opt = cls([p], lr=1, history_size=10, line_search_fn="strong_wolfe",
              tolerance_grad=1e-32, tolerance_change=1e-32, **kw)

    def closure():
        opt.zero_grad()
        loss = _objective(p)
        loss.backward()
        return loss

    opt.step(closure)
    if poison:
        # the memory a pair formed across an outside change of the parameters leaves (its
        # gradient change is not curvature): a descent direction 1e12 times too long, and t = 0
        # so the next step forms no new pair
        state = opt.state[opt._params[0]]
        state.update(old_dirs=[], old_stps=[], ro=[], H_diag=1e12, t=0.0)
    losses = []
    for _ in range(steps):
        opt.step(closure)
        losses.append(float(_objective(p.detach())))
    return p.detach().clone(), losses, opt


def test_a_stuck_step_restarts_along_the_gradient():
    """torch's optimiser repeats a failed direction forever; this one starts afresh."""
    kw = dict(max_iter=2, max_eval=3)  # a short line search, so the long direction fails
    stuck, torch_losses, _ = _run(torch.optim.LBFGS, 4, poison=True, **kw)
    assert torch_losses[0] == torch_losses[-1]  # the control: torch's stays where it was
    moved, losses, opt = _run(LBFGS, 4, poison=True, **kw)
    assert losses[0] == torch_losses[0]  # the stuck step itself is torch's
    assert losses[-1] < 0.5 * losses[0]  # then it descends
    assert not torch.equal(moved, stuck)
    assert opt.restarts >= 1


def test_steps_that_move_are_torch_steps():
    """Without a stuck step the iterates are torch's, bit for bit."""
    ours, _, opt = _run(LBFGS, 6, max_iter=3)
    theirs, _, _ = _run(torch.optim.LBFGS, 6, max_iter=3)
    assert torch.equal(ours, theirs)
    assert opt.restarts == 0
