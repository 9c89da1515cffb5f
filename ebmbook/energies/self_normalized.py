r"""An energy with a learnable normaliser: :math:`\log p(x) = -E(x) - c`, with :math:`c` a parameter.

Maximum likelihood cannot learn :math:`c`: raising the density everywhere by lowering :math:`c`
always raises the likelihood, so an unconstrained :math:`c` runs to :math:`-\infty`. Noise-
contrastive estimation can, because it asks the model's *normalised* density to tell data from
noise; at the optimum :math:`c = \log Z` of the energy (Gutmann & Hyvärinen 2012). Chapter 7
checks that it does, by quadrature of the learned energy.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..utils import _check_real
from .base import Energy, evaluate_energy

__all__ = ["SelfNormalized"]


class SelfNormalized(Energy):
    r"""Wrap an energy with a learnable scalar ``log_z``: :math:`\log p(x) = -E(x) - \text{log\_z}`.

    ``forward`` is the wrapped energy unchanged (so samplers and score matching see the
    same landscape); :meth:`log_prob` subtracts the learned normaliser. ``log_z`` is an
    ``nn.Parameter``, so :class:`ebmbook.train.Trainer` trains and checkpoints it with the
    energy's own parameters. Unlike :class:`AnalyticEnergy`'s exact ``log_z`` (a float), this
    one is an estimate: it equals :math:`\log \int e^{-E}` only where an objective such as
    :class:`ebmbook.losses.NCE` has made it so.

    Parameters
    ----------
    energy : callable ``(batch, *event_shape) -> (batch,)``, usually an ``nn.Module`` (it becomes
        a submodule, so ``.to(device)`` moves it); its ``event_shape`` is taken over
    log_z : float, the initial normaliser (default 0)

    Examples
    --------
    >>> from ebmbook.models import MLPEnergy
    >>> model = SelfNormalized(MLPEnergy(2, (16,)))
    >>> model.log_prob(torch.zeros(3, 2)).shape
    torch.Size([3])
    >>> float(model.log_z.detach())
    0.0

    Used in chapter 7.
    """

    def __init__(self, energy: Callable[[torch.Tensor], torch.Tensor], log_z: float = 0.0):
        super().__init__()
        if not callable(energy):
            raise TypeError(f"energy must be callable (batch, *event_shape) -> (batch,), got {type(energy).__name__}")
        if isinstance(energy, SelfNormalized):
            raise TypeError("energy is already SelfNormalized: a second log_z would not be identifiable")
        self.energy = energy
        self.event_shape = tuple(getattr(energy, "event_shape", ()))
        dtype = next((p.dtype for p in energy.parameters() if p.is_floating_point()), None) \
            if isinstance(energy, nn.Module) else None
        device = next((p.device for p in energy.parameters()), None) if isinstance(energy, nn.Module) else None
        self.log_z = nn.Parameter(torch.tensor(_check_real(log_z, "log_z"), dtype=dtype or torch.get_default_dtype(),
                                               device=device))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The wrapped energy :math:`E(x)`, shape ``(batch,)``."""
        return evaluate_energy(self.energy, x)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        r"""Model log density :math:`-E(x) - \text{log\_z}`, shape ``(batch,)``, differentiable in both."""
        return -self(x) - self.log_z.to(x.dtype)
