r"""Samplers that walk down a ladder of noise levels of a noise-conditional energy :math:`E(x, \sigma)`:
annealed Langevin dynamics (Song & Ermon, 2019) and the reverse-time diffusion (Song et al., 2021)."""
from __future__ import annotations

import math
from typing import NamedTuple

import torch

from ..energies.base import energy_and_grad
from ..energies.noise_conditional import check_noise_ladder, takes_sigma
from ..utils import check_int
from .base import Info, Sampler, _check_start, _required_step_size, _blame_flat_x0

__all__ = ["AnnealedLangevin", "AnnealedState", "ReverseDiffusion"]


class AnnealedState(NamedTuple):
    r"""Where annealed Langevin chains are, and at which noise level.

    Attributes
    ----------
    position : Tensor ``(n_chains, *event_shape)``
    energy : Tensor ``(n_chains,)``, :math:`E(x, \sigma_\text{level})` at ``position``
    grad : Tensor like ``position``, :math:`\nabla_x E(x, \sigma_\text{level})` (cached: the next
        step's drift)
    level : int, index ``i`` (from 0) into the sampler's ``sigmas`` of the level the *next* step
        uses; every chain shares it, so it is a Python int (no tensor, no device sync)
    step : int, steps already taken at ``level`` (``0 .. n_steps_per_level - 1`` before the last
        level; at the last level it keeps counting)
    """

    position: torch.Tensor
    energy: torch.Tensor
    grad: torch.Tensor
    level: int
    step: int


class _NoiseLadder(Sampler):
    """What both ladder samplers share: noise levels, a noise-conditional energy, the level-aware state."""

    grad_evals_per_step = 1
    uses_grad = True
    state_type = AnnealedState

    def __init__(self, energy=None, sigmas=None):
        self.sigmas = check_noise_ladder(sigmas)
        super().__init__(energy)

    def _check_energy(self, energy) -> None:
        if takes_sigma(energy) is False:
            raise TypeError(f"energy must be noise-conditional, callable as energy(x, sigma) with sigma of shape "
                            f"(batch,), but this {type(energy).__name__} takes x only: use e.g. "
                            "SmoothedMixture(mixture) or NoiseConditionalEnergy, or ULA for a plain energy")

    @property
    def n_levels(self) -> int:
        """:math:`L`, the number of noise levels."""
        return len(self.sigmas)

    def _evaluate(self, x: torch.Tensor, level: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Energy and gradient of every chain at noise level ``level`` (one autograd pass)."""
        sigma = torch.full((x.shape[0],), self.sigmas[level], dtype=x.dtype, device=x.device)
        return energy_and_grad(lambda y: self.energy(y, sigma), x)

    def init(self, x0: torch.Tensor) -> AnnealedState:
        """Start chains at ``x0`` ``(n_chains, *event_shape)``, at the first (largest) noise level.

        Raises
        ------
        TypeError, ValueError
            As :meth:`Sampler.init`: ``x0`` not a floating tensor ``(n_chains, *event_shape)``,
            NaN/inf in it, or an energy or gradient that is not finite at ``x0``.
        RuntimeError
            If the sampler has no energy (see :meth:`bind`).
        """
        self._require_energy()
        x0 = self._check_x0(x0)
        with _blame_flat_x0(x0):
            e, g = self._evaluate(x0, 0)
        _check_start(e, "energy")
        _check_start(g, "gradient of the energy")
        return AnnealedState(x0, e, g, 0, 0)

    def _check_state(self, state, generator: torch.Generator | None = None) -> None:
        super()._check_state(state, generator)
        for field in ("level", "step"):
            value = getattr(state, field)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"state.{field} must be a Python int, got {type(value).__name__}")
        if not 0 <= state.level < self.n_levels:
            raise ValueError(f"state.level is {state.level}, but this sampler has {self.n_levels} levels "
                             f"(0 .. {self.n_levels - 1}): the state comes from another schedule")
        if state.step < 0:
            raise ValueError(f"state.step must be >= 0, got {state.step}")


class AnnealedLangevin(_NoiseLadder):
    r"""Annealed Langevin dynamics: ULA through a decreasing ladder of noise levels (Song & Ermon, 2019).

    For levels :math:`i = 1, \dots, L` with :math:`\sigma_1 > \dots > \sigma_L`, take
    ``n_steps_per_level`` unadjusted Langevin steps on :math:`E(\cdot, \sigma_i)`,

    .. math::
        x \leftarrow x - \alpha_i \nabla_x E(x, \sigma_i) + \sqrt{2\alpha_i}\, z,
        \qquad z \sim \mathcal N(0, I), \qquad
        \alpha_i = \epsilon\, \frac{\sigma_i^2}{\sigma_L^2},

    each level starting where the previous one stopped. The step grows with
    :math:`\sigma_i^2` because the smoothed density :math:`p_{\sigma_i}` is wider
    by about that much: each level then mixes in a comparable number of steps.
    At the large levels the modes of the data melt into one broad bump, so the
    chains spread over all of them *in proportion to their mass*; the small
    levels then refine each chain within its mode. Plain Langevin on the data
    density cannot do this: chains stay in the mode whose basin they start in,
    and the modes' weights are lost (chapter 6 shows both). In finite time the
    weights come out slightly off: they freeze once the modes separate, before
    all the mass has moved. On Song & Ermon's toy (weights 0.8/0.2) the paper's
    settings (:math:`T = 100`, ``step_size=0.05``) give the major mode 0.778,
    :math:`T = 200` with ``step_size=0.1`` gives 0.793 (and plain Langevin 0.5).

    After the last level's steps the chains stay at :math:`\sigma_L` (further
    steps are ULA on :math:`E(\cdot, \sigma_L)`), so
    ``run(s, x0, s.n_steps)`` with ``n_steps = L * n_steps_per_level`` goes
    through every level once and returns draws of (approximately)
    :math:`p_{\sigma_L}`.

    The chain is *not* a stationary MCMC chain: its target changes every
    ``n_steps_per_level`` steps, so draws kept by
    :func:`~ebmbook.samplers.sample_chain` come from different distributions
    and their ``energies`` change scale across levels: each is
    :math:`E(x, \sigma_\text{level})` of the level in the state, and energies of
    different levels are not comparable (the exact
    :class:`~ebmbook.energies.SmoothedMixture` carries the log normaliser
    :math:`\tfrac d2 \log 2\pi(s^2 + \sigma^2)`, which falls with :math:`\sigma`;
    a network's :math:`E_\theta(\cdot, \sigma)` has an arbitrary offset per level).
    Use the final state, or the draws of the last level only
    (``burn_in=(L - 1) * n_steps_per_level``); ESS and R-hat mean nothing before that.

    **Cost.** One energy+gradient evaluation per step. When a step ends a level,
    the gradient for the next step is evaluated at the *next* level's
    :math:`\sigma` directly, so a level change costs nothing extra, and the
    state's ``energy``/``grad`` are always at :math:`\sigma_\text{level}` of its
    ``level`` (the one the next step uses).

    **Conventions.** ``step_size`` :math:`\epsilon` multiplies :math:`\nabla E`
    as in :class:`ULA`. Song & Ermon write
    :math:`x + \tfrac{\alpha_i}{2} \nabla \log p + \sqrt{\alpha_i} z`, so their
    :math:`\epsilon` is twice this one: their toy's :math:`\epsilon = 0.1` is
    ``step_size=0.05`` here.

    Parameters
    ----------
    energy : noise-conditional callable ``energy(x, sigma) -> (batch,)``, with ``x``
        ``(batch, *event_shape)`` and ``sigma`` a tensor ``(batch,)``; differentiable in
        ``x``; optional (see :meth:`bind`). E.g. :class:`~ebmbook.energies.SmoothedMixture`
        or :class:`~ebmbook.models.NoiseConditionalEnergy`.
    sigmas : sequence of float or 1-D tensor, :math:`\sigma_1 > \dots > \sigma_L > 0` (required)
    step_size : float, :math:`\epsilon > 0`, the step at the last level (required)
    n_steps_per_level : int, :math:`T \ge 1` (default 100, the paper's)

    Attributes
    ----------
    sigmas : tuple of float
    step_sizes : tuple of float, :math:`\alpha_i` of every level
    n_levels : int, :math:`L`
    n_steps : int, :math:`L T`: the steps that visit every level once

    Examples
    --------
    >>> from ebmbook.energies import GaussianMixture, SmoothedMixture
    >>> from ebmbook.samplers import run
    >>> mix = GaussianMixture(torch.tensor([[5., 5.], [-5., -5.]]), torch.ones(2), torch.tensor([0.8, 0.2]))
    >>> sampler = AnnealedLangevin(SmoothedMixture(mix), sigmas=torch.logspace(math.log10(20.0), 0.0, 10),
    ...                            step_size=0.05, n_steps_per_level=100)
    >>> g = torch.Generator().manual_seed(0)
    >>> state = run(sampler, torch.rand(1000, 2, generator=g) * 16 - 8, sampler.n_steps, generator=g)
    >>> state.level, state.step
    (9, 100)
    >>> share = float((state.position.sum(1) > 0).double().mean())   # about 0.78: the weight 0.8, nearly

    Used in chapter 6.
    """

    def __init__(self, energy=None, sigmas=None, step_size: float | None = None, n_steps_per_level: int = 100):
        self.step_size = _required_step_size(step_size, type(self).__name__)
        self.n_steps_per_level = check_int(n_steps_per_level, "n_steps_per_level", minimum=1)
        super().__init__(energy, sigmas)

    @property
    def n_steps(self) -> int:
        """:math:`L \\cdot T`: the number of steps that goes through every level once."""
        return self.n_levels * self.n_steps_per_level

    @property
    def step_sizes(self) -> tuple[float, ...]:
        """:math:`\\alpha_i = \\epsilon\\, \\sigma_i^2 / \\sigma_L^2` for every level."""
        last = self.sigmas[-1]
        return tuple(self.step_size * (s / last) ** 2 for s in self.sigmas)

    def step(self, state: AnnealedState, *, generator: torch.Generator | None = None
             ) -> tuple[AnnealedState, Info]:
        """One Langevin step at ``state.level``; moves to the next level after ``n_steps_per_level`` of them."""
        self._check_state(state, generator)
        x, level = state.position, state.level
        alpha = self.step_sizes[level]
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        x_new = x - alpha * state.grad + math.sqrt(2.0 * alpha) * noise
        taken = state.step + 1
        if taken >= self.n_steps_per_level and level < self.n_levels - 1:
            level, taken = level + 1, 0      # the next step is the next level's: evaluate at its sigma
        e, g = self._evaluate(x_new, level)
        ones = torch.ones_like(e)
        return AnnealedState(x_new, e, g, level, taken), Info(ones, torch.ones_like(e, dtype=torch.bool))


class ReverseDiffusion(_NoiseLadder):
    r"""The reverse-time variance-exploding diffusion (Song et al., 2021), by Euler–Maruyama down a ladder of levels.

    Adding noise along :math:`\sigma(t)` is the SDE :math:`dx = \sqrt{d\sigma^2/dt}\, dw`;
    run backwards (Anderson, 1982) it needs only the score of the noisy marginals,
    :math:`-\nabla_x E(x, \sigma)`. One Euler–Maruyama step from level :math:`i` to
    :math:`i + 1` is

    .. math::
        x \leftarrow x - (\sigma_i^2 - \sigma_{i+1}^2)\, \nabla_x E(x, \sigma_i)
        + \sqrt{\sigma_i^2 - \sigma_{i+1}^2}\; z, \qquad z \sim \mathcal N(0, I).

    Compared with a step of :class:`AnnealedLangevin` at step size :math:`\alpha`,
    the drift is that of :math:`\alpha = \sigma_i^2 - \sigma_{i+1}^2` and the noise
    that of :math:`\alpha / 2`: the reverse process carries the chains along with
    the shrinking marginals instead of re-equilibrating them at every level.
    :attr:`n_steps` :math:`= L - 1` steps take chains started from
    :math:`p_{\sigma_1} \approx \mathcal N(0, \sigma_1^2 I)` (for :math:`\sigma_1` much
    wider than the data) to :math:`p_{\sigma_L}`; further steps leave them where they
    are. One energy+gradient evaluation per step; many small steps (a fine
    geometric ladder) keep the discretisation error small.

    Parameters
    ----------
    energy : noise-conditional callable ``energy(x, sigma) -> (batch,)``, as for
        :class:`AnnealedLangevin`; optional (see :meth:`bind`)
    sigmas : sequence of float or 1-D tensor, :math:`\sigma_1 > \dots > \sigma_L > 0` (required)

    Examples
    --------
    >>> from ebmbook.energies import GaussianMixture, SmoothedMixture
    >>> from ebmbook.samplers import run
    >>> mix = GaussianMixture(torch.tensor([[2., 0.], [-2., 0.]]), torch.full((2,), 0.3))
    >>> reverse = ReverseDiffusion(SmoothedMixture(mix), sigmas=torch.logspace(1, -2, 200))
    >>> g = torch.Generator().manual_seed(0)
    >>> x = run(reverse, 10 * torch.randn(500, 2, generator=g), reverse.n_steps, generator=g).position
    >>> x.shape
    torch.Size([500, 2])

    Used in chapter 6.
    """

    @property
    def n_steps(self) -> int:
        """:math:`L - 1`: the steps from the first level to the last."""
        return self.n_levels - 1

    def step(self, state: AnnealedState, *, generator: torch.Generator | None = None
             ) -> tuple[AnnealedState, Info]:
        """One Euler–Maruyama step of the reverse-time SDE from ``state.level`` to the next level."""
        self._check_state(state, generator)
        x, level = state.position, state.level
        if level == self.n_levels - 1:       # at the last level there is nothing left to integrate
            ones = torch.ones_like(state.energy)
            return state._replace(step=state.step + 1), Info(ones, torch.ones_like(ones, dtype=torch.bool))
        delta = self.sigmas[level] ** 2 - self.sigmas[level + 1] ** 2
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        x_new = x - delta * state.grad + math.sqrt(delta) * noise
        e, g = self._evaluate(x_new, level + 1)
        ones = torch.ones_like(e)
        return AnnealedState(x_new, e, g, level + 1, 0), Info(ones, torch.ones_like(e, dtype=torch.bool))
