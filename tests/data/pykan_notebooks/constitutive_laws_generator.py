"""Stress laws that pykan's Physics_4A/4B/4C notebooks import (test data, not a kanlab module).

pykan's repository does not ship ``constitutive_laws_generator``; this one was written for
kanlab from the formulas in the notebooks' comments and printed outputs. It is not pykan code.

Both laws take deformation gradients ``F`` of shape ``(N, 3, 3)`` and return a stress ``P`` of
the same shape, with the Lamé parameters of a Young's modulus ``E`` and Poisson ratio ``nu``::

    mu = E / (2 (1 + nu)),   lambda = E nu / ((1 + nu) (1 - 2 nu))

* linear elastic: ``P = mu (F + F^T - 2 I) + lambda tr(F - I) I``, so
  ``P11 = 2 mu (F11 - 1) + lambda (F11 + F22 + F33 - 3)`` and ``P12 = mu (F12 + F21)``;
* Neo-Hookean: ``P = mu (F F^T - I) + lambda log(det F) I``.

The notebooks' comments write the Neo-Hookean terms with ``F^T F`` (``F11^2 + F21^2 + F31^2``,
``F12 F11 + F22 F21 + F32 F31``), but the formulas they print are those of ``F F^T``:
Physics_4A prints ``0.42*F11**2 + 0.42*F12**2 + 0.42*F13**2 + 0.28*log(2.5*|F|) - 0.67`` and
Physics_4C ``0.42*F11*F21 + 0.42*F12*F22 + 0.42*F13*F23``. The printed outputs are followed.

The notebooks zero every ``F`` with ``det F <= 0``; the ``log(det F)`` term is added on the
diagonal only, so the off-diagonal stresses of such a sample stay finite (0).
"""
import torch


class _IsotropicLaw:
    """Lamé parameters of an isotropic material from Young's modulus and Poisson's ratio."""

    def __init__(self, young_modulus: float = 1.0, poisson_ratio: float = 0.2):
        if not -1.0 < poisson_ratio < 0.5:
            raise ValueError(f"poisson_ratio must lie in (-1, 0.5), got {poisson_ratio}")
        self.young_modulus = float(young_modulus)
        self.poisson_ratio = float(poisson_ratio)

    def get_lame_parameters(self) -> tuple[float, float]:
        """``(mu, lambda)``."""
        e, nu = self.young_modulus, self.poisson_ratio
        return e / (2 * (1 + nu)), e * nu / ((1 + nu) * (1 - 2 * nu))

    def __call__(self, F: torch.Tensor) -> torch.Tensor:
        if F.dim() != 3 or F.shape[1:] != (3, 3):
            raise ValueError(f"F must have shape (N, 3, 3), got {tuple(F.shape)}")
        return self.stress(F)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(young_modulus={self.young_modulus}, "
                f"poisson_ratio={self.poisson_ratio})")


class LinearElasticConstitutiveLaw(_IsotropicLaw):
    """``P = mu (F + F^T - 2 I) + lambda tr(F - I) I`` (small-strain Hooke's law)."""

    def stress(self, F):
        mu, lam = self.get_lame_parameters()
        eye = torch.eye(3, dtype=F.dtype, device=F.device)
        trace = F.diagonal(dim1=1, dim2=2).sum(-1) - 3  # (N,)
        return mu * (F + F.transpose(1, 2) - 2 * eye) + lam * trace[:, None, None] * eye


class NeoHookeanConstitutiveLaw(_IsotropicLaw):
    """``P = mu (F F^T - I) + lambda log(det F) I`` (the log term on the diagonal only)."""

    def stress(self, F):
        mu, lam = self.get_lame_parameters()
        eye = torch.eye(3, dtype=F.dtype, device=F.device)
        P = mu * (F @ F.transpose(1, 2) - eye)
        log_j = torch.log(torch.det(F))  # (N,)
        return P + torch.diag_embed(lam * log_j[:, None].expand(-1, 3))
