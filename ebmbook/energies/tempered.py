"""Energy at a temperature: :math:`E_T(x) = E(x) / T`."""
from __future__ import annotations

from typing import Callable

import torch

from ..utils import check_positive
from .base import Energy

__all__ = ["Tempered"]


class Tempered(Energy):
    r"""Wrap an energy so that its Boltzmann density is :math:`p_T(x) \propto \exp(-E(x)/T)`.

    :math:`T > 1` flattens the landscape (modes connect), :math:`T < 1` sharpens
    it (mass piles into the deepest minimum). Any sampler run on ``Tempered(E, T)``
    targets :math:`p_T`.

    Parameters
    ----------
    energy : callable
        Base energy, ``(batch, *event_shape) -> (batch,)``.
    temperature : float, positive

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> hot = Tempered(Gaussian(torch.zeros(1), torch.eye(1)), temperature=4.0)
    >>> hot(torch.tensor([[2.0]]))
    tensor([0.5000])

    Used in chapters 1 and 2.
    """

    def __init__(self, energy: Callable[[torch.Tensor], torch.Tensor], temperature: float):
        super().__init__()
        if not callable(energy):
            raise TypeError(f"energy must be callable, got {type(energy).__name__}")
        self.energy = energy
        self.temperature = check_positive(temperature, "temperature")
        self.event_shape = tuple(getattr(energy, "event_shape", ()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.energy(x) / self.temperature
