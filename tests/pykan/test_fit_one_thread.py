"""kanlab.pykan's fit trains on one thread: the result does not depend on the caller's
thread count, and the caller's setting is restored."""
import torch

from kanlab.pykan import KAN, create_dataset


def _fit(threads):
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        ds = create_dataset(lambda x: torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2),
                            n_var=2, train_num=3000, test_num=200, seed=0)
        model = KAN(width=[2, 5, 1], grid=5, k=3, seed=1, auto_save=False)
        seen = []
        model.fit(ds, opt="LBFGS", steps=4, lamb=0.001, log=0,
                  metrics=[lambda: seen.append(torch.get_num_threads()) or 0.0])
        after = torch.get_num_threads()
        return model, seen, after
    finally:
        torch.set_num_threads(previous)


def test_fit_runs_on_one_thread_and_restores_the_setting():
    one, seen_one, after_one = _fit(1)
    two, seen_two, after_two = _fit(2)
    assert seen_two and set(seen_two) == {1}
    assert (after_one, after_two) == (1, 2)
    # [2,5,1] λ=0.001 on 3000 rows ended 0.0236 / 0.0190 on 1 / 2 threads before
    for p, q in zip(one.parameters(), two.parameters()):
        assert torch.equal(p, q)
