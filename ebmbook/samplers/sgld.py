"""The short-run Langevin sampler of deep-EBM training (SGLD with stabilisers)."""
from __future__ import annotations

import torch

from ..energies.base import energy_and_grad
from ..utils import check_int, check_positive
from .base import Info, State
from .langevin import ULA

__all__ = ["SGLD"]


class SGLD(ULA):
    r"""Unadjusted Langevin steps with the options deep-EBM training relies on.

    .. math:: x' = \operatorname{clamp}\big(x - \epsilon\, \operatorname{clip}(\nabla E(x)) + \sigma \xi\big)

    Papers decouple the step from the noise, e.g. :math:`\epsilon = 10,\ \sigma = 0.005`
    for images in [-1, 1] (Du & Mordatch, 2019; Grathwohl et al., 2019), or
    :math:`\epsilon = 1,\ \sigma = 0.01`; the implied temperature
    :math:`T = \sigma^2 / 2\epsilon` (``temperature``) is then tiny and the
    sampler is close to noisy gradient descent on :math:`E`. Such short-run
    chains do not sample :math:`\exp(-E)`; training adapts the energy so that
    *they* produce data-like samples (Nijkamp et al., 2019).

    Parameters
    ----------
    energy : callable, differentiable
    step_size : float, :math:`\epsilon > 0`
    noise_scale : float, optional, :math:`\sigma \ge 0` (default :math:`\sqrt{2\epsilon}`)
    grad_clip : float, optional, clip each sample's gradient to this Euclidean norm
    clamp : (low, high), optional, clamp positions after each step (e.g. pixel range)

    Examples
    --------
    >>> from ebmbook.models import MLPEnergy
    >>> sgld = SGLD(MLPEnergy(2), step_size=0.1, noise_scale=0.01, clamp=(-4.0, 4.0))
    >>> x = sgld.run(torch.rand(128, 2), n_steps=20, generator=torch.Generator().manual_seed(0))

    Used in chapter 5.
    """

    def __init__(self, energy, step_size: float, noise_scale: float | None = None,
                 grad_clip: float | None = None, clamp: tuple[float, float] | None = None):
        super().__init__(energy, step_size, noise_scale)
        self.grad_clip = check_positive(grad_clip, "grad_clip") if grad_clip is not None else None
        if clamp is not None:
            if len(clamp) != 2 or not float(clamp[0]) < float(clamp[1]):
                raise ValueError(f"clamp must be (low, high) with low < high, got {clamp}")
            clamp = (float(clamp[0]), float(clamp[1]))
        self.clamp = clamp

    def _clipped(self, grad: torch.Tensor) -> torch.Tensor:
        if self.grad_clip is None:
            return grad
        norm = grad.flatten(1).norm(dim=1).clamp_min(1e-12)
        scale = (self.grad_clip / norm).clamp(max=1.0)
        return grad * scale.reshape(-1, *([1] * (grad.ndim - 1)))

    def step(self, state: State, *, generator: torch.Generator | None = None) -> tuple[State, Info]:
        self._check_state(state)
        x = state.position
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        x_new = x - self.step_size * self._clipped(state.grad) + self.noise_scale * noise
        if self.clamp is not None:
            x_new = x_new.clamp(*self.clamp)
        e, g = energy_and_grad(self.energy, x_new)
        ones = torch.ones_like(e)
        return State(x_new, e, g), Info(ones, torch.ones_like(e, dtype=torch.bool))

    def run(self, x0: torch.Tensor, n_steps: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Run ``n_steps`` from ``x0`` and return only the final positions (detached).

        The training loop's sampler: no trace is stored, and each step costs one
        energy+gradient evaluation.

        Raises
        ------
        FloatingPointError
            If the chains' energies become non-finite.
        """
        n_steps = check_int(n_steps, "n_steps", minimum=0)
        state = self.init(x0)
        for t in range(n_steps):
            state, _ = self.step(state, generator=generator)
        if not bool(torch.isfinite(state.energy).all()):
            raise FloatingPointError("SGLD chains reached non-finite energies: lower step_size or set grad_clip")
        return state.position.detach()
