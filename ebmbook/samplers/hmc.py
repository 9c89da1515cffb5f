"""Hamiltonian Monte Carlo with the leapfrog integrator."""
from __future__ import annotations

import torch

from ..energies.base import energy_and_grad
from ..utils import check_int, check_positive, check_tensor
from .base import Info, Sampler, State, _required_step_size, _where, metropolis_accept

__all__ = ["HMC", "leapfrog"]


def leapfrog(energy, position: torch.Tensor, momentum: torch.Tensor, grad: torch.Tensor,
             step_size: float, n_steps: int, mass: float = 1.0):
    r"""Integrate Hamilton's equations for :math:`H(x, p) = E(x) + \lVert p\rVert^2 / 2m`.

    .. math::
        p_{1/2} = p - \tfrac\epsilon2 \nabla E(x),\quad
        x' = x + \epsilon\, p_{1/2} / m,\quad
        p' = p_{1/2} - \tfrac\epsilon2 \nabla E(x')

    repeated ``n_steps`` times (inner half-kicks merged). The map is
    volume-preserving and reversible (negate :math:`p`, integrate, negate again
    to return), and its energy error is :math:`O(\epsilon^2)`. It costs
    ``n_steps`` gradient evaluations given the gradient at the start.

    Parameters
    ----------
    energy : callable
    position, momentum, grad : Tensor ``(batch, *event)``; ``grad`` is :math:`\nabla E(position)`
    step_size : float
    n_steps : int
    mass : float

    Returns
    -------
    position, momentum, energy, grad : the end point, its energy ``(batch,)`` and gradient
    """
    if not callable(energy):
        raise TypeError(f"energy must be callable (batch, *event) -> (batch,), got {type(energy).__name__}")
    check_tensor(position, "position", min_ndim=1, floating=True)
    for name, value in (("momentum", momentum), ("grad", grad)):
        check_tensor(value, name)
        if value.shape != position.shape:
            raise ValueError(f"{name} must have the shape of position {tuple(position.shape)}, "
                             f"got {tuple(value.shape)}")
    step_size = check_positive(step_size, "step_size")
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    mass = check_positive(mass, "mass")
    x, p, g = position, momentum, grad
    e = None
    p = p - 0.5 * step_size * g
    for i in range(n_steps):
        x = x + step_size * p / mass
        e, g = energy_and_grad(energy, x)
        if i < n_steps - 1:
            p = p - step_size * g
    p = p - 0.5 * step_size * g
    return x, p, e, g


class HMC(Sampler):
    r"""Hamiltonian Monte Carlo (Duane et al., 1987; Neal, 2011).

    Draw :math:`p \sim \mathcal N(0, mI)`, run ``n_leapfrog`` leapfrog steps to
    :math:`(x', p')` and accept with :math:`\min(1, \exp(H(x,p) - H(x',p')))`.
    Long, directed moves with high acceptance: the standard remedy for the random
    walk behaviour of Metropolis and ULA. Costs ``n_leapfrog`` gradient
    evaluations per step.

    Parameters
    ----------
    energy : callable, differentiable; optional (see :meth:`bind`)
    step_size : float, :math:`\epsilon > 0` (required)
    n_leapfrog : int, :math:`L \ge 1`
    mass : float, :math:`m > 0`

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> hmc = HMC(Gaussian(torch.zeros(2), torch.eye(2)), step_size=0.3, n_leapfrog=5)
    >>> state = hmc.init(torch.zeros(100, 2))
    >>> state, info = hmc.step(state, generator=torch.Generator().manual_seed(0))

    Used in chapters 2 and 5.
    """

    uses_grad = True
    metropolis = True

    def __init__(self, energy=None, step_size: float | None = None, n_leapfrog: int = 10, mass: float = 1.0):
        self.step_size = _required_step_size(step_size, "HMC")
        self.n_leapfrog = check_int(n_leapfrog, "n_leapfrog", minimum=1)
        self.mass = check_positive(mass, "mass")
        super().__init__(energy)

    @property
    def grad_evals_per_step(self) -> int:
        return self.n_leapfrog

    def _kinetic(self, p: torch.Tensor) -> torch.Tensor:
        return p.pow(2).flatten(1).sum(-1) / (2.0 * self.mass)

    def step(self, state: State, *, generator: torch.Generator | None = None) -> tuple[State, Info]:
        self._check_state(state, generator)
        x, e, g = state
        p = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype) * self.mass**0.5
        x_new, p_new, e_new, g_new = leapfrog(self.energy, x, p, g, self.step_size, self.n_leapfrog, self.mass)
        energy_error = (e_new + self._kinetic(p_new)) - (e + self._kinetic(p))
        prob, accepted = metropolis_accept(-energy_error, generator)
        new = State(_where(accepted, x_new, x), torch.where(accepted, e_new, e), _where(accepted, g_new, g))
        return new, Info(prob, accepted, energy_error)
