"""Hamiltonian Monte Carlo with the leapfrog integrator (optional step-size jitter, diagonal mass matrix)."""
from __future__ import annotations

import math

import torch

from ..utils import check_finite, check_int, check_nonnegative, check_positive, check_tensor
from .base import Info, Sampler, State, _accept, _grad_step, _required_step_size, _where

__all__ = ["HMC", "leapfrog"]


def _check_mass(mass, name: str = "mass"):
    """A positive float, or a positive finite tensor (the diagonal of M, broadcast over the event)."""
    if isinstance(mass, torch.Tensor):
        check_tensor(mass, name, floating=True)
        check_finite(mass, name)
        if mass.numel() == 0 or not bool((mass > 0).all()):
            raise ValueError(f"{name} must be positive (the diagonal of the mass matrix), got {mass}")
        return mass.detach().clone()
    return check_positive(mass, name)


def _mass_terms(sampler, x: torch.Tensor):
    """``sqrt(M)`` and ``M^{-1}`` of ``sampler.mass`` as floats, or tensors on ``x``'s device and dtype.

    A tensor mass is converted once per device and dtype and kept on the sampler: a
    mass given on the CPU for chains on a GPU would otherwise be copied to the device,
    a blocking host-device transfer, at every step.
    """
    mass = sampler.mass
    if not isinstance(mass, torch.Tensor):
        return math.sqrt(mass), 1.0 / mass
    cached = sampler.__dict__.get("_mass_cache")
    # keyed on the tensor and its version counter, so a mass changed in place is converted again
    key = (mass, mass._version, x.device, x.dtype)
    if cached is not None and cached[0] is mass and cached[1:4] == key[1:]:
        return cached[4], cached[5]
    m = mass.to(device=x.device, dtype=x.dtype)
    sampler._mass_cache = (*key, m.sqrt(), 1.0 / m)
    return sampler._mass_cache[4], sampler._mass_cache[5]


def _leapfrog(energy, x, p, g, step_size, n_steps: int, inv_mass):
    """The integrator without argument checks (the sampler's hot path); ``step_size`` and
    ``inv_mass`` are floats or tensors broadcasting against ``x``."""
    e = None
    p = p - 0.5 * step_size * g
    for i in range(n_steps):
        x = x + step_size * (p * inv_mass)
        e, g = _grad_step(energy, x)
        if i < n_steps - 1:
            p = p - step_size * g
    p = p - 0.5 * step_size * g
    return x, p, e, g


def leapfrog(energy, position: torch.Tensor, momentum: torch.Tensor, grad: torch.Tensor,
             step_size: float, n_steps: int, mass=1.0):
    r"""Integrate Hamilton's equations for :math:`H(x, r) = E(x) + \tfrac12 r^\top M^{-1} r`.

    .. math::
        r_{1/2} = r - \tfrac\epsilon2 \nabla E(x),\quad
        x' = x + \epsilon\, M^{-1} r_{1/2},\quad
        r' = r_{1/2} - \tfrac\epsilon2 \nabla E(x')

    repeated ``n_steps`` times (inner half-kicks merged). The map is
    volume-preserving and reversible (negate :math:`r`, integrate, negate again
    to return), and its energy error is :math:`O(\epsilon^2)`. It costs
    ``n_steps`` gradient evaluations given the gradient at the start.

    Parameters
    ----------
    energy : callable
    position, momentum, grad : Tensor ``(batch, *event)``; ``grad`` is :math:`\nabla E(position)`
    step_size : float
    n_steps : int
    mass : float, or Tensor broadcasting to the event shape: the diagonal of :math:`M`

    Returns
    -------
    position, momentum, energy, grad : the end point, its energy ``(batch,)`` and gradient

    Examples
    --------
    >>> from ebmbook.energies import Gaussian, energy_and_grad
    >>> gauss = Gaussian(torch.zeros(2), torch.eye(2))
    >>> x, r = torch.zeros(4, 2), torch.ones(4, 2)
    >>> x1, r1, e1, g1 = leapfrog(gauss, x, r, energy_and_grad(gauss, x)[1], 0.1, 10)

    Used in chapter 2.
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
    mass = _check_mass(mass)
    inv_mass = 1.0 / mass if not isinstance(mass, torch.Tensor) else (1.0 / mass).to(position)
    return _leapfrog(energy, position, momentum, grad, step_size, n_steps, inv_mass)


class HMC(Sampler):
    r"""Hamiltonian Monte Carlo (Duane et al., 1987; Neal, 2011), with optional step-size jitter.

    Draw a momentum :math:`r \sim \mathcal N(0, M)`, run ``n_leapfrog`` leapfrog
    steps to :math:`(x', r')` and accept with :math:`\min(1, \exp(H(x,r) - H(x',r')))`,
    :math:`H = E(x) + \tfrac12 r^\top M^{-1} r`. Long, directed moves with high
    acceptance: the standard remedy for the random-walk behaviour of Metropolis
    and ULA. Costs ``n_leapfrog`` gradient evaluations per step.

    **Jitter.** With a fixed :math:`\epsilon` and :math:`L`, a direction of the
    target whose leapfrog rotation angle :math:`\theta` satisfies
    :math:`\theta L \approx \pi` is mapped to (almost) its mirror image at every
    step: the chain never forgets that coordinate of its start, while the
    acceptance stays near 1 (on :math:`\Sigma = [[1, .9], [.9, 1]]` with
    :math:`\epsilon = 0.1, L = 10` the stiff direction has :math:`\theta L = 3.17`).
    ``jitter=j`` draws each chain's step size afresh at every iteration,
    uniformly on :math:`\epsilon\,[1 - j, 1 + j]` (Neal, 2011, sec. 5.4.2.2). A
    random step that does not depend on the state keeps the chain exact, and
    ``jitter=0.2`` removes the resonance above. The default is ``0`` (plain HMC,
    reproducible step for step against other libraries); use ``0.1``-``0.3`` on
    targets you have not inspected.

    Parameters
    ----------
    energy : callable, differentiable; optional (see :meth:`bind`)
    step_size : float, :math:`\epsilon > 0` (required; the centre of the jitter)
    n_leapfrog : int, :math:`L \ge 1`
    mass : float, or Tensor of the event shape (or broadcasting to it): the
        diagonal of :math:`M > 0`; set it to the inverse of the target's
        marginal variances to make all directions equally stiff
    jitter : float in ``[0, 1)``, relative half-width of the uniform step-size jitter

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> hmc = HMC(Gaussian(torch.zeros(2), torch.eye(2)), step_size=0.3, n_leapfrog=5, jitter=0.2)
    >>> state = hmc.init(torch.zeros(100, 2))
    >>> state, info = hmc.step(state, generator=torch.Generator().manual_seed(0))

    Used in chapters 2 and 5.
    """

    uses_grad = True
    metropolis = True
    target_accept = 0.65   # the default of step-size adaptation (Beskos et al., 2013)

    def __init__(self, energy=None, step_size: float | None = None, n_leapfrog: int = 10, mass=1.0,
                 *, jitter: float = 0.0):
        self.step_size = _required_step_size(step_size, "HMC")
        self.n_leapfrog = check_int(n_leapfrog, "n_leapfrog", minimum=1)
        self.mass = _check_mass(mass)
        jitter = check_nonnegative(jitter, "jitter")
        if not jitter < 1.0:
            raise ValueError(f"jitter must lie in [0, 1) (a relative half-width of the step size), got {jitter}")
        self.jitter = jitter
        super().__init__(energy)

    @property
    def grad_evals_per_step(self) -> int:
        return self.n_leapfrog

    def _mass_terms(self, x: torch.Tensor):
        """``sqrt(M)`` and ``M^{-1}`` as floats or tensors on ``x``'s device and dtype."""
        return _mass_terms(self, x)

    def _kinetic(self, r: torch.Tensor, inv_mass) -> torch.Tensor:
        return 0.5 * (r.pow(2) * inv_mass).flatten(1).sum(-1)

    def _step_sizes(self, x: torch.Tensor, generator):
        """The step of this iteration: the float ``step_size``, or one jittered step per chain."""
        if not self.jitter:
            return self.step_size
        u = torch.rand((x.shape[0],) + (1,) * (x.ndim - 1), generator=generator, device=x.device, dtype=x.dtype)
        return self.step_size * (1.0 + self.jitter * (2.0 * u - 1.0))

    def step(self, state: State, *, generator: torch.Generator | None = None) -> tuple[State, Info]:
        self._check_state(state, generator)
        x, e, g = state
        sqrt_m, inv_m = self._mass_terms(x)
        r = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype) * sqrt_m
        eps = self._step_sizes(x, generator)
        x_new, r_new, e_new, g_new = _leapfrog(self.energy, x, r, g, eps, self.n_leapfrog, inv_m)
        energy_error = (e_new + self._kinetic(r_new, inv_m)) - (e + self._kinetic(r, inv_m))
        prob, accepted = _accept(-energy_error, generator)
        new = State(_where(accepted, x_new, x), torch.where(accepted, e_new, e), _where(accepted, g_new, g))
        return new, Info(prob, accepted, energy_error)
