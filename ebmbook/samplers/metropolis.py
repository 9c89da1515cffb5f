"""Metropolis–Hastings with random-walk proposals (continuous) and single spin flips (discrete)."""
from __future__ import annotations

import torch

from ..energies.base import evaluate_energy
from ..utils import check_int, check_spins, check_tensor
from .base import Info, Sampler, State, _required_step_size, _where, metropolis_accept

__all__ = ["RandomWalkMetropolis", "SpinFlipMetropolis"]


class RandomWalkMetropolis(Sampler):
    r"""Random-walk Metropolis with Gaussian proposals.

    .. math::
        x' = x + \sigma \xi,\quad \xi \sim \mathcal N(0, I), \qquad
        \alpha = \min\big(1, \exp(-(E(x') - E(x)))\big)

    The proposal is symmetric, so the Hastings correction cancels. One energy
    evaluation per step, no gradients.

    Parameters
    ----------
    energy : callable ``(batch, *event) -> (batch,)``; optional (see :meth:`bind`)
    step_size : float, the proposal standard deviation :math:`\sigma` (required)

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> s = RandomWalkMetropolis(Gaussian(torch.zeros(2), torch.eye(2)), step_size=1.0)
    >>> state = s.init(torch.zeros(8, 2))
    >>> state, info = s.step(state, generator=torch.Generator().manual_seed(0))

    Used in chapter 2.
    """

    metropolis = True

    def __init__(self, energy=None, step_size: float | None = None):
        self.step_size = _required_step_size(step_size, type(self).__name__)
        super().__init__(energy)

    def log_acceptance_ratio(self, energy_current: torch.Tensor, energy_proposed: torch.Tensor) -> torch.Tensor:
        """:math:`\\log r = E(x) - E(x')` (symmetric proposal)."""
        return energy_current - energy_proposed

    def step(self, state: State, *, generator: torch.Generator | None = None) -> tuple[State, Info]:
        self._check_state(state, generator)
        x = state.position
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        proposal = x + self.step_size * noise
        with torch.no_grad():
            e_prop = evaluate_energy(self.energy, proposal)
        prob, accepted = metropolis_accept(self.log_acceptance_ratio(state.energy, e_prop), generator)
        new = State(_where(accepted, proposal, x), torch.where(accepted, e_prop, state.energy), None)
        return new, Info(prob, accepted)


class SpinFlipMetropolis(Sampler):
    r"""Single-spin-flip Metropolis on :math:`\{-1,+1\}^n`, targeting :math:`\exp(-E(s))`.

    Each chain picks a site :math:`i` uniformly at random and proposes flipping it:

    .. math:: \alpha = \min\big(1, \exp(-(E(s^{(i)}) - E(s)))\big).

    Works for any energy on spins (Ising, Hopfield, ...): it costs one energy
    evaluation per flip, batched over chains. To sample at temperature
    :math:`T`, give it ``Tempered(E, T)`` (the one temperature rule of the
    package): it then targets :math:`\exp(-E/T)` and its states hold :math:`E/T`.

    Parameters
    ----------
    energy : callable ``(batch, n) -> (batch,)``; optional (see :meth:`bind`)
    flips_per_step : int
        Proposed flips per ``step`` (``n`` makes one step a sweep on average).

    Examples
    --------
    >>> from ebmbook.energies import Ising, Tempered
    >>> s = SpinFlipMetropolis(Tempered(Ising.chain(10), 2.0), flips_per_step=10)
    >>> state = s.init(torch.ones(4, 10))

    Used in chapter 2.
    """

    metropolis = True

    def __init__(self, energy=None, flips_per_step: int = 1):
        if isinstance(flips_per_step, float):
            raise TypeError("flips_per_step must be an integer; SpinFlipMetropolis has no temperature argument: "
                            "sample exp(-E/T) with SpinFlipMetropolis(Tempered(energy, T))")
        self.flips_per_step = check_int(flips_per_step, "flips_per_step", minimum=1)
        super().__init__(energy)

    def init(self, x0: torch.Tensor) -> State:
        check_tensor(x0, "x0")
        if x0.ndim != 2:
            raise ValueError(f"x0 must have shape (n_chains, n_spins), got {tuple(x0.shape)}")
        check_spins(x0, "x0")
        return super().init(x0)

    def log_acceptance_ratio(self, energy_current: torch.Tensor, energy_proposed: torch.Tensor) -> torch.Tensor:
        """:math:`\\log r = -(E(s') - E(s))` (flipping a uniformly chosen site is symmetric)."""
        return -(energy_proposed - energy_current)

    def step(self, state: State, *, generator: torch.Generator | None = None) -> tuple[State, Info]:
        self._check_state(state, generator)
        s, e = state.position, state.energy
        batch, n = s.shape
        rows = torch.arange(batch, device=s.device)
        prob_sum = torch.zeros_like(e)
        moved = torch.zeros(batch, device=s.device, dtype=torch.bool)
        for _ in range(self.flips_per_step):
            site = torch.randint(n, (batch,), generator=generator, device=s.device)
            proposal = s.clone()
            proposal[rows, site] = -proposal[rows, site]
            with torch.no_grad():
                e_prop = evaluate_energy(self.energy, proposal)
            prob, accepted = metropolis_accept(self.log_acceptance_ratio(e, e_prop), generator)
            s = _where(accepted, proposal, s)
            e = torch.where(accepted, e_prop, e)
            prob_sum += prob
            moved |= accepted
        return State(s, e, None), Info(prob_sum / self.flips_per_step, moved)
