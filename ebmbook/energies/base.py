"""The energy contract.

An energy is any callable ``energy(x) -> Tensor`` that maps a batch ``x`` of
shape ``(batch, *event_shape)`` to energies of shape ``(batch,)``, defining the
Boltzmann density

.. math:: p(x) = \\frac{\\exp(-E(x))}{Z}, \\qquad Z = \\int \\exp(-E(x))\\,dx .

Low energy means likely. :class:`Energy` is the usual form (an ``nn.Module``
that moves with ``.to(device)``); :class:`AnalyticEnergy` adds the exact
``log_z``, ``log_prob`` and ``sample`` that tests and chapters compare against.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..utils import check_tensor

__all__ = ["Energy", "AnalyticEnergy", "energy_and_grad", "evaluate_energy"]

EnergyFn = Callable[[torch.Tensor], torch.Tensor]


class Energy(nn.Module):
    """Base class of energies: subclasses implement ``forward(x) -> (batch,)``.

    Parameters and buffers are ordinary module state, so ``.to(device)`` and
    ``.double()`` work as for any ``nn.Module``. Subclasses compute in the dtype
    of the input ``x`` so that exact enumeration can run in float64.

    Attributes
    ----------
    event_shape : tuple of int
        Shape of one configuration ``x[i]``.
    """

    event_shape: tuple[int, ...] = ()

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x)")

    def _check_input(self, x: torch.Tensor, name: str = "x", floating: bool = True) -> torch.Tensor:
        """Check that ``x`` has shape ``(batch, *event_shape)`` (and a real floating dtype, unless not ``floating``).

        An integer ``x`` would make a continuous energy compute in integers (its parameters
        cast down, silently); an energy on a discrete space passes ``floating=False``.
        """
        check_tensor(x, name, floating=floating)
        expected = tuple(self.event_shape)
        if x.ndim != len(expected) + 1 or tuple(x.shape[1:]) != expected:
            raise ValueError(
                f"{name} must have shape (batch, {', '.join(map(str, expected))}) for "
                f"{type(self).__name__}, got {tuple(x.shape)}"
            )
        return x


class AnalyticEnergy(Energy):
    """An energy whose normaliser is known in closed form.

    Subclasses provide ``log_z`` (a Python float) and ``sample(n, generator=)``
    so that samplers and estimators can be checked against the truth.
    """

    @property
    def log_z(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log density :math:`\\log p(x) = -E(x) - \\log Z`, shape ``(batch,)``."""
        return -self(x) - self.log_z

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError


def evaluate_energy(energy: EnergyFn, x: torch.Tensor) -> torch.Tensor:
    """Call ``energy(x)`` and check the result has shape ``(batch,)``.

    Raises
    ------
    ValueError
        If the energy returns a tensor whose shape is not ``(x.shape[0],)``.
    """
    if not callable(energy):
        raise TypeError(f"energy must be callable (batch, *event_shape) -> (batch,), got {type(energy).__name__}")
    check_tensor(x, "x", min_ndim=1)
    e = energy(x)
    if not isinstance(e, torch.Tensor) or e.shape != (x.shape[0],):
        shape = tuple(e.shape) if isinstance(e, torch.Tensor) else type(e).__name__
        raise ValueError(
            f"energy must return a tensor of shape (batch,) = ({x.shape[0]},), got {shape}"
        )
    if e.is_complex():
        raise TypeError(f"energy must return real values, got dtype {e.dtype}")
    if not e.is_floating_point():
        # Integer energies (e.g. an Ising model on int spins) are promoted once here, so that
        # acceptance probabilities and traces downstream are never truncated to integers.
        e = e.to(x.dtype if x.is_floating_point() else torch.get_default_dtype())
    return e


def energy_and_grad(energy: EnergyFn, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Energy and its gradient with respect to ``x`` from one autograd pass.

    Parameters
    ----------
    energy : callable
        Maps ``(batch, *event_shape)`` to ``(batch,)``.
    x : Tensor, shape ``(batch, *event_shape)``

    Returns
    -------
    energy : Tensor, shape ``(batch,)``, detached
    grad : Tensor, shape like ``x``: :math:`\\nabla_x E(x)`, detached

    Notes
    -----
    Because chains are independent, :math:`\\nabla_x \\sum_i E(x_i)` gives every
    chain's gradient in one backward pass. Gradient-based samplers call this once
    per step and cache the result in their state.

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> e, g = energy_and_grad(Gaussian(torch.zeros(2), torch.eye(2)), torch.ones(4, 2))
    >>> g.shape
    torch.Size([4, 2])
    """
    check_tensor(x, "x", floating=True)
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        e = evaluate_energy(energy, x)
        if not e.requires_grad:
            raise TypeError("energy is not differentiable with respect to x (its output does not depend on x "
                            "through autograd, e.g. it detaches, uses NumPy or runs under no_grad): gradient "
                            "samplers need a differentiable energy; use RandomWalkMetropolis otherwise")
        (grad,) = torch.autograd.grad(e.sum(), x, allow_unused=True)
    if grad is None:  # the energy ignores x: its gradient is zero
        grad = torch.zeros_like(x)
    return e.detach(), grad.detach()
