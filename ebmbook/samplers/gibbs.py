"""Heat-bath (Gibbs) sampling for Ising-type energies."""
from __future__ import annotations

import torch

from ..energies.base import evaluate_energy
from ..utils import check_spins, check_square_symmetric, check_tensor
from .base import Info, Sampler, State

__all__ = ["Gibbs", "colour_classes"]

SCHEDULES = ("sequential", "random", "checkerboard")


def colour_classes(couplings: torch.Tensor) -> list[torch.Tensor]:
    """Split the sites into independent sets of the coupling graph (greedy colouring).

    Spins in one class share no coupling, so given the other classes they are
    conditionally independent and can be resampled at once. On a periodic
    square lattice with even side this is the checkerboard (two classes).

    Returns
    -------
    list of LongTensor
        Site indices of each class, in order.
    """
    check_square_symmetric(couplings, "couplings")
    n = couplings.shape[0]
    adjacency = (couplings != 0).cpu()
    colours = [-1] * n
    for i in range(n):
        taken = {colours[j] for j in torch.nonzero(adjacency[i]).flatten().tolist() if colours[j] >= 0}
        c = 0
        while c in taken:
            c += 1
        colours[i] = c
    colours_t = torch.tensor(colours)
    return [torch.nonzero(colours_t == c).flatten().to(couplings.device) for c in range(max(colours) + 1)]


class Gibbs(Sampler):
    r"""Heat-bath sampler for :math:`E(s) = -\tfrac12 s^\top J s - h^\top s`.

    Each site is redrawn from its exact conditional

    .. math:: p(s_i = +1 \mid s_{-i}) = \sigma\!\big(2 (Js + h)_i\big),

    so every update is accepted. To sample at temperature :math:`T`, give it
    ``Tempered(ising, T)`` (the one temperature rule of the package): a tempered
    Ising model exposes couplings :math:`J/T` and field :math:`h/T`, so the
    conditional becomes :math:`\sigma(2 (Js + h)_i / T)` and states hold
    :math:`E/T`, exactly as for :class:`SpinFlipMetropolis`. One ``step`` is one
    sweep over all sites:

    - ``"sequential"``: sites in order :math:`1, \dots, n`;
    - ``"random"``: :math:`n` sites drawn uniformly (independently per chain);
    - ``"checkerboard"``: the sites are split into independent sets of the
      coupling graph (:func:`colour_classes`; the two colours of a lattice) and
      each set is redrawn at once: two tensor operations per sweep on a lattice.

    Parameters
    ----------
    energy : :class:`ebmbook.energies.Ising` or ``Tempered(Ising, T)`` (anything with
        ``couplings`` and ``field``); optional (see :meth:`bind`)
    schedule : {'sequential', 'random', 'checkerboard'}

    Attributes
    ----------
    classes : list of LongTensor or None
        The independent sets redrawn together (``"checkerboard"`` only; computed
        when the energy is bound).

    Examples
    --------
    >>> from ebmbook.energies import Ising, Tempered
    >>> gibbs = Gibbs(Tempered(Ising.lattice(8), 2.5), schedule="checkerboard")
    >>> state = gibbs.init(torch.ones(16, 64))

    Used in chapter 2.
    """

    def __init__(self, energy=None, schedule: str = "sequential"):
        if not isinstance(schedule, str):
            raise TypeError("schedule must be 'sequential', 'random' or 'checkerboard'; Gibbs has no temperature "
                            "argument: sample exp(-E/T) with Gibbs(Tempered(ising, T))")
        if schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
        self.schedule = schedule
        self.classes = None
        super().__init__(energy)

    def _check_energy(self, energy) -> None:
        if not (hasattr(energy, "couplings") and hasattr(energy, "field")):
            raise TypeError("Gibbs needs an Ising-type energy with `couplings` and `field` attributes "
                            f"(an Ising model, or Tempered(ising, T)), got {type(energy).__name__}")
        self.classes = colour_classes(energy.couplings) if self.schedule == "checkerboard" else None

    def init(self, x0: torch.Tensor) -> State:
        self._require_energy()
        n = self.energy.couplings.shape[0]
        check_tensor(x0, "x0")
        if x0.ndim != 2 or x0.shape[1] != n:
            raise ValueError(f"x0 must have shape (n_chains, {n}), got {tuple(x0.shape)}")
        check_spins(x0, "x0")
        return super().init(x0)

    def _redraw(self, s: torch.Tensor, local: torch.Tensor, generator) -> torch.Tensor:
        p_up = torch.sigmoid(2.0 * local)
        u = torch.rand(p_up.shape, generator=generator, device=s.device, dtype=s.dtype)
        return torch.where(u < p_up, 1.0, -1.0).to(s.dtype)

    def step(self, state: State, *, generator: torch.Generator | None = None) -> tuple[State, Info]:
        self._check_state(state, generator)
        s = state.position.clone()
        J = self.energy.couplings.to(s.dtype)
        h = self.energy.field.to(s.dtype)
        batch, n = s.shape
        if self.schedule == "checkerboard":
            for sites in self.classes:
                local = s @ J[:, sites] + h[sites]
                s[:, sites] = self._redraw(s, local, generator)
        elif self.schedule == "sequential":
            for i in range(n):
                s[:, i] = self._redraw(s, s @ J[:, i] + h[i], generator)
        else:
            rows = torch.arange(batch, device=s.device)
            for _ in range(n):
                site = torch.randint(n, (batch,), generator=generator, device=s.device)
                local = (s * J[site]).sum(-1) + h[site]
                s[rows, site] = self._redraw(s, local, generator)
        with torch.no_grad():
            e = evaluate_energy(self.energy, s)
        return State(s, e, None), self._unit_info(e)
