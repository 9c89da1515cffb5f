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
    targets :math:`p_T`: this is the package's one way to change temperature,
    for continuous and discrete samplers alike (samplers take no
    ``temperature=`` of their own), and the ``temperature=`` conveniences of
    :mod:`ebmbook.exact` are defined as it.

    For an Ising-type base it also exposes what spin samplers read, scaled so
    that the tempered model is again an Ising model: ``couplings`` :math:`J/T`,
    ``field`` :math:`h/T` and ``local_field(s)`` :math:`(Js + h)/T`; so
    ``Gibbs(Tempered(ising, T))`` draws from :math:`\sigma(2 (Js+h)_i / T)`.

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

    >>> from ebmbook.energies import Ising
    >>> Tempered(Ising.chain(3, coupling=1.0), 2.0).couplings[0, 1].item()
    0.5

    Used in chapters 1 to 3.
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

    def _base(self, name: str):
        # A property that raises AttributeError makes hasattr() false, so a Tempered
        # Gaussian does not pretend to be an Ising model.
        try:
            return getattr(self.energy, name)
        except AttributeError:
            raise AttributeError(f"Tempered({type(self.energy).__name__}) has no {name!r}: "
                                 f"the base energy does not define it") from None

    @property
    def couplings(self) -> torch.Tensor:
        """:math:`J/T` of an Ising-type base."""
        return self._base("couplings") / self.temperature

    @property
    def field(self) -> torch.Tensor:
        """:math:`h/T` of an Ising-type base."""
        return self._base("field") / self.temperature

    def local_field(self, s: torch.Tensor) -> torch.Tensor:
        """:math:`(Js + h)/T`, shape ``(batch, n)``, of an Ising-type base."""
        return self._base("local_field")(s) / self.temperature

    @property
    def lattice_shape(self) -> tuple[int, ...]:
        """The base's lattice shape (plots of tempered spins)."""
        return self._base("lattice_shape")
