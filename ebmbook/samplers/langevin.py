"""Langevin samplers: unadjusted (ULA) and Metropolis-adjusted (MALA)."""
from __future__ import annotations

import math

import torch

from .base import Info, Sampler, State, _accept, _grad_step, _required_step_size, _where

__all__ = ["ULA", "MALA"]


class ULA(Sampler):
    r"""Unadjusted Langevin algorithm (the update behind SGLD).

    .. math:: x' = x - \epsilon \nabla E(x) + \sigma \xi, \qquad \xi \sim \mathcal N(0, I)

    With the default :math:`\sigma = \sqrt{2\epsilon}` this discretises the
    Langevin diffusion whose stationary law is :math:`\exp(-E)`; the
    discretisation leaves an :math:`O(\epsilon)` bias because nothing is
    rejected (chapter 2 measures it). Deep-EBM papers decouple the two, e.g.
    :math:`\epsilon = 10,\ \sigma = 0.005`; the continuous-time limit then
    targets :math:`\exp(-E/T)` with :math:`T = \sigma^2 / (2\epsilon)`
    (here :math:`1.25 \times 10^{-6}`: almost pure gradient descent).

    Parameters
    ----------
    energy : callable ``(batch, *event) -> (batch,)``, differentiable; optional
        (an unbound sampler gets one from :meth:`bind`)
    step_size : float, :math:`\epsilon > 0` (required)
    noise_scale : float, optional, :math:`\sigma \ge 0`; default :math:`\sqrt{2\epsilon}`

    Attributes
    ----------
    temperature : float, :math:`\sigma^2 / (2\epsilon)` (1 by default)

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> ula = ULA(Gaussian(torch.zeros(2), torch.eye(2)), step_size=0.1)
    >>> state = ula.init(torch.zeros(100, 2))
    >>> state, info = ula.step(state, generator=torch.Generator().manual_seed(0))
    >>> unbound = ULA(step_size=0.1).bind(Gaussian(torch.zeros(2), torch.eye(2)))

    Used in chapters 2 and 5.
    """

    grad_evals_per_step = 1
    uses_grad = True

    def __init__(self, energy=None, step_size: float | None = None, noise_scale: float | None = None):
        self.step_size = _required_step_size(step_size, type(self).__name__)
        super().__init__(energy)
        if noise_scale is None:
            noise_scale = math.sqrt(2.0 * self.step_size)
        if isinstance(noise_scale, bool) or not isinstance(noise_scale, (int, float)) \
                or not math.isfinite(noise_scale) or noise_scale < 0:
            raise ValueError(f"noise_scale must be a finite number >= 0, got {noise_scale!r}")
        self.noise_scale = float(noise_scale)

    @property
    def temperature(self) -> float:
        """Temperature implied by the step/noise pair, :math:`T = \\sigma^2 / (2\\epsilon)`."""
        return self.noise_scale**2 / (2.0 * self.step_size)

    def _move(self, x: torch.Tensor, grad: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        r"""The update :math:`x - \epsilon \nabla E + \sigma \xi` (SGLD adds clipping and clamping here)."""
        # one new tensor, two fused passes: x + (-eps) grad, then + sigma xi in place
        return torch.add(x, grad, alpha=-self.step_size).add_(noise, alpha=self.noise_scale)

    def step(self, state: State, *, generator: torch.Generator | None = None) -> tuple[State, Info]:
        self._check_state(state, generator)
        x = state.position
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        x_new = self._move(x, state.grad, noise)
        e, g = _grad_step(self.energy, x_new)
        return State(x_new, e, g), self._unit_info(e)


class MALA(Sampler):
    r"""Metropolis-adjusted Langevin algorithm (Roberts & Tweedie, 1996).

    Propose :math:`y = x - \epsilon \nabla E(x) + \sqrt{2\epsilon}\,\xi` and accept with

    .. math::
        \alpha = \min\Big(1, \frac{e^{-E(y)}\, q(x \mid y)}{e^{-E(x)}\, q(y \mid x)}\Big),
        \qquad q(y \mid x) = \mathcal N\big(y;\ x - \epsilon\nabla E(x),\ 2\epsilon I\big),

    which removes ULA's bias: :math:`\exp(-E)` is exactly invariant. One
    energy+gradient evaluation (at the proposal) per step.

    Parameters
    ----------
    energy : callable, differentiable; optional (see :meth:`bind`)
    step_size : float, :math:`\epsilon > 0` (required)

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> mala = MALA(Gaussian(torch.zeros(2), torch.eye(2)), step_size=0.5)
    >>> state = mala.init(torch.zeros(100, 2))

    Used in chapters 2 and 5.
    """

    grad_evals_per_step = 1
    uses_grad = True
    metropolis = True
    target_accept = 0.574   # optimal in high dimension (Roberts & Rosenthal, 1998): the adaptation default

    def __init__(self, energy=None, step_size: float | None = None):
        self.step_size = _required_step_size(step_size, type(self).__name__)
        super().__init__(energy)

    def _log_hastings(self, noise: torch.Tensor, grad_x: torch.Tensor, grad_y: torch.Tensor) -> torch.Tensor:
        r"""The Hastings term :math:`\log q(x \mid y) - \log q(y \mid x)`, shape ``(batch,)``.

        With :math:`y - x = -\epsilon g_x + \sqrt{2\epsilon}\,\xi` the forward log-density is
        :math:`-\lVert\xi\rVert^2/2` (up to a constant), and expanding the reverse one leaves, with
        :math:`t = g_x + g_y`,

        .. math:: \log q(x \mid y) - \log q(y \mid x)
                  = \sqrt{\epsilon/2}\; t \cdot \xi - \tfrac{\epsilon}{4} \lVert t \rVert^2 .

        The same number as the two Gaussian log-densities, in a third of the tensor
        operations and without subtracting two large terms (tests pin it to the
        direct formula).
        """
        t = torch.add(grad_x, grad_y)
        c = math.sqrt(self.step_size / 2.0)
        # t . (c xi - (eps/4) t) = c * t . (xi - (eps / (4c)) t)
        w = torch.add(noise, t, alpha=-self.step_size / (4.0 * c))
        products = t.mul_(w).flatten(1)
        # Summing the event dims as a product with a constant vector: a reduction over a short
        # last dim (2-D toys) is several times slower than this matrix-vector product.
        return products @ products.new_full(products.shape[1:], c)

    def step(self, state: State, *, generator: torch.Generator | None = None) -> tuple[State, Info]:
        self._check_state(state, generator)
        x, e, g = state
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        y = torch.add(x, g, alpha=-self.step_size).add_(noise, alpha=math.sqrt(2.0 * self.step_size))
        e_y, g_y = _grad_step(self.energy, y)
        # not in place: the ratio takes the promoted dtype (a bf16 energy of float32 chains stays float32)
        log_ratio = (e - e_y) + self._log_hastings(noise, g, g_y)
        prob, accepted = _accept(log_ratio, generator)
        new = State(_where(accepted, y, x), torch.where(accepted, e_y, e), _where(accepted, g_y, g))
        return new, Info(prob, accepted)

