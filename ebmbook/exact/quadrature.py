"""Exact answers for 2-D densities by midpoint quadrature on a grid (float64 where the energy allows it)."""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

import torch

from ..utils import check_device, check_int
from .enumeration import DEFAULT_CHUNK, _log_weights, _tempered
from .placement import _cast_input, evaluation_placement

__all__ = [
    "GridDensity",
    "grid_quadrature",
    "grid_kl_divergence",
]

EnergyFn = Callable[[torch.Tensor], torch.Tensor]


class GridDensity(NamedTuple):
    """A density normalised by midpoint quadrature on a regular 2-D grid.

    Attributes
    ----------
    xs : Tensor ``(nx,)``, cell centres along x
    ys : Tensor ``(ny,)``, cell centres along y
    log_density : Tensor ``(ny, nx)``, normalised log density at the cell centres
        (row ``i`` is ``y = ys[i]``, ready for ``imshow``/``contour``)
    log_z : float, :math:`\\log \\int \\exp(-E/T)` over the box
    cell_area : float
    """

    xs: torch.Tensor
    ys: torch.Tensor
    log_density: torch.Tensor
    log_z: float
    cell_area: float

    @property
    def density(self) -> torch.Tensor:
        """Normalised density at the cell centres, shape ``(ny, nx)``."""
        return self.log_density.exp()

    def expectation(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> float:
        """:math:`\\mathbb E_p[f(x)]` by quadrature: ``fn`` maps :attr:`points` ``(m, 2)`` to ``(m,)``."""
        if not callable(fn):
            raise TypeError(f"fn must be callable (m, 2) -> (m,), got {type(fn).__name__}")
        values = fn(self.points)
        if not isinstance(values, torch.Tensor) or values.shape != (self.points.shape[0],):
            raise ValueError("fn must map the grid points (m, 2) to values of shape (m,)")
        return float((self.log_density.exp().flatten() * values.double()).sum() * self.cell_area)

    @property
    def points(self) -> torch.Tensor:
        """Cell centres as a batch ``(ny * nx, 2)`` in ``log_density.flatten()`` order."""
        yy, xx = torch.meshgrid(self.ys, self.xs, indexing="ij")
        return torch.stack([xx.flatten(), yy.flatten()], dim=-1)

    def to(self, device: torch.device | str) -> "GridDensity":
        """The same density with its tensors on ``device`` (e.g. ``"cpu"`` to plot it)."""
        device = check_device(device)
        if device is None:
            raise TypeError("device must be a torch.device or a string such as 'cpu' or 'cuda', got None")
        return GridDensity(self.xs.to(device), self.ys.to(device), self.log_density.to(device),
                           self.log_z, self.cell_area)


def grid_quadrature(energy: EnergyFn, xlim: tuple[float, float] = (-4.0, 4.0),
                    ylim: tuple[float, float] = (-4.0, 4.0), resolution: int = 256,
                    temperature: float = 1.0, chunk_size: int = DEFAULT_CHUNK,
                    device: torch.device | str | None = None) -> GridDensity:
    r"""Normalise a 2-D energy on a box by the midpoint rule (float64).

    The density is that of :class:`ebmbook.energies.Tempered` ``(energy, T)``:

    .. math:: p_T(x) = \frac{\exp(-E(x)/T)}{Z_T}, \qquad
              Z_T \approx \sum_{ij} \exp(-E(x_{ij})/T)\, \Delta x\, \Delta y .

    The box must hold essentially all the mass; the error of the midpoint
    rule is :math:`O(h^2)` for smooth densities.

    Parameters
    ----------
    energy : callable ``(batch, 2) -> (batch,)``
        Evaluated without gradients, where and in the precision
        :func:`evaluation_placement` says: float64 on the energy's device when
        it accepts float64, otherwise (a float32 ``nn.Module``) in the dtype of
        its parameters, with the energies cast to float64 before summing.
    xlim, ylim : (low, high)
    resolution : int, cells per axis
    temperature : float, positive
    chunk_size : int, grid points evaluated per call (bounds memory)
    device : torch.device or str, optional
        Where to build the grid; default the energy's device (CPU for a plain function).

    Returns
    -------
    GridDensity, float64, on ``device`` (use :meth:`GridDensity.to` to move it)

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> g = grid_quadrature(Gaussian(torch.zeros(2), torch.eye(2)), resolution=200)
    >>> abs(g.log_z - math.log(2 * math.pi)) < 1e-3
    True

    Used in chapters 1, 2, 4 and 5 (and by every landscape in :mod:`ebmbook.plot`).
    """
    resolution = check_int(resolution, "resolution", minimum=2)
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    for name, lim in (("xlim", xlim), ("ylim", ylim)):
        if isinstance(lim, (str, bytes)) or not hasattr(lim, "__len__"):
            raise TypeError(f"{name} must be a pair (low, high), got {type(lim).__name__}")
        if len(lim) != 2 or not lim[0] < lim[1]:
            raise ValueError(f"{name} must be (low, high) with low < high, got {lim}")
    device, dtype = evaluation_placement(energy, (2,), device)
    tempered = _tempered(energy if dtype == torch.float64 else _cast_input(energy, dtype), temperature)
    dx = (xlim[1] - xlim[0]) / resolution
    dy = (ylim[1] - ylim[0]) / resolution
    xs = torch.linspace(xlim[0] + dx / 2, xlim[1] - dx / 2, resolution, dtype=torch.float64, device=device)
    ys = torch.linspace(ylim[0] + dy / 2, ylim[1] - dy / 2, resolution, dtype=torch.float64, device=device)
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    points = torch.stack([xx.flatten(), yy.flatten()], dim=-1)
    lw = torch.cat([_log_weights(tempered, chunk) for chunk in points.split(chunk_size)])
    cell_area = dx * dy
    log_z = float(torch.logsumexp(lw, 0)) + math.log(cell_area)
    log_density = (lw - log_z).reshape(resolution, resolution)
    return GridDensity(xs, ys, log_density, log_z, cell_area)


def grid_kl_divergence(p: GridDensity, q: GridDensity) -> float:
    r""":math:`\mathrm{KL}(p\,\|\,q) = \int p \log(p/q)` by quadrature on a shared grid.

    Both densities must come from :func:`grid_quadrature` with the same box and
    resolution.
    """
    for name, density in (("p", p), ("q", q)):
        if not isinstance(density, GridDensity):
            raise TypeError(f"{name} must be a GridDensity from grid_quadrature, got {type(density).__name__}")
    if p.log_density.shape != q.log_density.shape or not torch.allclose(p.xs, q.xs) \
            or not torch.allclose(p.ys, q.ys):
        raise ValueError("p and q must be on the same grid (same limits and resolution)")
    pd = p.log_density.exp()
    return float((pd * (p.log_density - q.log_density)).sum() * p.cell_area)
