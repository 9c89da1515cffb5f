"""The short-run Langevin sampler of deep-EBM training (SGLD with stabilisers)."""
from __future__ import annotations

import torch

from ..utils import _check_real, check_positive
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

    SGLD is :class:`ULA` with two options and no step of its own: it only
    changes the move (:meth:`_move`), so everything else (binding, states,
    :func:`~ebmbook.samplers.run`) is ULA's.

    Parameters
    ----------
    energy : callable, differentiable; optional (see :meth:`bind`)
    step_size : float, :math:`\epsilon > 0` (required)
    noise_scale : float, optional, :math:`\sigma \ge 0` (default :math:`\sqrt{2\epsilon}`)
    grad_clip : float, optional, clip each sample's gradient to this Euclidean norm
    clamp : (low, high), optional, clamp positions after each step (e.g. pixel range)

    Examples
    --------
    >>> from ebmbook.models import MLPEnergy
    >>> from ebmbook.samplers import run
    >>> sgld = SGLD(step_size=0.1, noise_scale=0.01, clamp=(-4.0, 4.0))
    >>> state = run(sgld.bind(MLPEnergy(2)), torch.rand(128, 2), 20, generator=torch.Generator().manual_seed(0))

    Used in chapter 5.
    """

    def __init__(self, energy=None, step_size: float | None = None, noise_scale: float | None = None,
                 grad_clip: float | None = None, clamp: tuple[float, float] | None = None):
        super().__init__(energy, step_size, noise_scale)
        self.grad_clip = check_positive(grad_clip, "grad_clip") if grad_clip is not None else None
        if clamp is not None:
            if not isinstance(clamp, (tuple, list)) or len(clamp) != 2:
                raise ValueError(f"clamp must be (low, high) with low < high, got {clamp!r}")
            clamp = (_check_real(clamp[0], "clamp"), _check_real(clamp[1], "clamp"))
            if not clamp[0] < clamp[1]:
                raise ValueError(f"clamp must be (low, high) with low < high, got {clamp}")
        self.clamp = clamp

    def _clipped(self, grad: torch.Tensor) -> torch.Tensor:
        if self.grad_clip is None:
            return grad
        norm = grad.flatten(1).norm(dim=1).clamp_min(1e-12)
        scale = (self.grad_clip / norm).clamp(max=1.0)
        return grad * scale.reshape(-1, *([1] * (grad.ndim - 1)))

    def _move(self, x: torch.Tensor, grad: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        x_new = super()._move(x, self._clipped(grad), noise)
        return x_new.clamp(*self.clamp) if self.clamp is not None else x_new
