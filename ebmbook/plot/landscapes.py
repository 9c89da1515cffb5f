r"""2-D energy landscapes: a density image or energy contours, and true-versus-model panels.

A 2-D energy is any callable ``(batch, 2) -> (batch,)`` following the contract
:math:`p(x) = \exp(-E(x))/Z`. It is normalised on a grid by
:func:`ebmbook.exact.grid_quadrature`, which evaluates it without gradients on
its own device, in float64 where it accepts it and otherwise in the dtype of
its parameters (a float32 neural energy on a GPU works as is).
"""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure, FigureBase
from matplotlib.ticker import MaxNLocator

from ..exact import GridDensity, grid_kl_divergence, grid_quadrature
from ..utils import check_int, check_positive
from ._common import DENSITY_CMAP, ENERGY_CMAP, EnergyFn, _check_lim, _new_axes, _points_2d

__all__ = ["plot_energy_landscape", "plot_density_comparison"]


def _landscape_grid(energy: EnergyFn, xlim: tuple[float, float], ylim: tuple[float, float],
                    resolution: int, temperature: float = 1.0) -> GridDensity:
    """:func:`ebmbook.exact.grid_quadrature` (it picks the energy's device and dtype), moved to the CPU."""
    return grid_quadrature(energy, xlim, ylim, resolution=resolution, temperature=temperature).to("cpu")


def _grid_energy(grid: GridDensity, temperature: float = 1.0) -> np.ndarray:
    """Recover :math:`E` on the grid from ``log p = -E/T - log Z``, shape ``(ny, nx)``."""
    return (-(grid.log_density + grid.log_z) * temperature).numpy()


def _draw_grid(ax: Axes, xs: np.ndarray, ys: np.ndarray, values: np.ndarray, kind: str, *,
               cmap=None, levels=None, colorbar: bool = True, temperature: float = 1.0):
    """Draw density values as an image, or energies as filled contours, on ``ax``."""
    dx = (xs[-1] - xs[0]) / max(len(xs) - 1, 1)
    dy = (ys[-1] - ys[0]) / max(len(ys) - 1, 1)
    extent = (xs[0] - dx / 2, xs[-1] + dx / 2, ys[0] - dy / 2, ys[-1] + dy / 2)
    if kind == "density":
        mappable = ax.imshow(values, origin="lower", extent=extent, aspect="auto",
                             cmap=cmap or DENSITY_CMAP, interpolation="nearest")
        if levels is not None:
            ax.contour(xs, ys, values, levels=levels, colors="white", linewidths=0.6, alpha=0.7)
        label = "density $p(x)$" if temperature == 1.0 else f"density $p_T(x)$, $T={temperature:g}$"
    else:
        if levels is None:
            # Energies grow fast away from the modes; clip the colour range at a
            # high quantile so the structure near the modes stays visible.
            top = float(np.quantile(values, 0.95))
            low = float(values.min())
            levels = MaxNLocator(30).tick_values(low, top if top > low else low + 1.0)
        mappable = ax.contourf(xs, ys, values, levels=levels, cmap=cmap or ENERGY_CMAP, extend="max")
        label = "energy $E(x)$"
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if colorbar:
        ax.figure.colorbar(mappable, ax=ax, label=label)
    return mappable


def _check_kind(kind: str) -> str:
    if kind not in ("density", "energy"):
        raise ValueError(f"kind must be 'density' or 'energy', got {kind!r}")
    return kind


def plot_energy_landscape(energy: EnergyFn, xlim: tuple[float, float] = (-4.0, 4.0),
                          ylim: tuple[float, float] = (-4.0, 4.0), *, resolution: int = 200,
                          kind: str = "density", temperature: float = 1.0, ax: Axes | None = None,
                          cmap: str | None = None, levels: int | Sequence[float] | None = None,
                          colorbar: bool = True, title: str | None = None) -> Axes:
    r"""Show a 2-D energy as its normalised density or as filled energy contours.

    With ``kind="density"`` the image is the tempered Boltzmann density
    normalised on the box by midpoint quadrature
    (:func:`ebmbook.exact.grid_quadrature`),

    .. math:: p_T(x) = \frac{\exp(-E(x)/T)}{Z_T}, \qquad
              Z_T \approx \sum_{ij} \exp(-E(x_{ij})/T)\,\Delta x\,\Delta y .

    With ``kind="energy"`` it is :math:`E(x)` itself as filled contours (the
    colour range is clipped at the 95 % quantile of the grid's energies unless
    ``levels`` is given; ``temperature`` is ignored).

    Parameters
    ----------
    energy : callable ``(batch, 2) -> (batch,)``
        Evaluated without gradients in float64 on the device of its parameters;
        an energy that rejects float64 input (a float32 ``nn.Module``) is
        evaluated in its own dtype instead.
    xlim, ylim : (low, high)
        The box, which should hold essentially all the mass for ``kind="density"``.
    resolution : int, grid cells per axis
    kind : {'density', 'energy'}
    temperature : float, positive
    ax : Axes, optional; a new figure is made when omitted
    cmap : str, optional; ``'viridis'`` for densities, ``'magma'`` for energies
    levels : int or sequence, optional
        Contour levels: for energies the filled levels, for densities contour
        lines drawn over the image.
    colorbar : bool, add a labelled colour bar
    title : str, optional

    Returns
    -------
    Axes

    Examples
    --------
    >>> from ebmbook.energies import Ring
    >>> ax = plot_energy_landscape(Ring(), resolution=64)
    >>> ax.get_xlabel()
    '$x_1$'

    Used in chapters 1, 2 and 5.
    """
    kind = _check_kind(kind)
    xlim = _check_lim(xlim, "xlim")
    ylim = _check_lim(ylim, "ylim")
    resolution = check_int(resolution, "resolution", minimum=2)
    temperature = check_positive(temperature, "temperature")
    ax = _new_axes(ax)
    grid = _landscape_grid(energy, xlim, ylim, resolution,
                           temperature=temperature if kind == "density" else 1.0)
    values = grid.density.numpy() if kind == "density" else _grid_energy(grid)
    _draw_grid(ax, grid.xs.numpy(), grid.ys.numpy(), values, kind, cmap=cmap, levels=levels,
               colorbar=colorbar, temperature=temperature)
    ax.set_aspect("equal", adjustable="box")
    if title is not None:
        ax.set_title(title)
    return ax


def plot_density_comparison(true_energy: EnergyFn, model, *, xlim: tuple[float, float] = (-4.0, 4.0),
                            ylim: tuple[float, float] = (-4.0, 4.0), resolution: int = 150,
                            titles: tuple[str, str] = ("true density", "model"),
                            fig: Figure | None = None) -> Figure:
    r"""Two panels side by side: the true density and a model's density or samples.

    If ``model`` is an energy, both densities are normalised on the same grid and
    the right panel's title reports
    :math:`\mathrm{KL}(p_\text{true}\,\|\,p_\text{model})` by quadrature
    (:func:`ebmbook.exact.grid_kl_divergence`). If it is a sample tensor
    ``(n, 2)``, the samples are scattered over the true density's box.

    Parameters
    ----------
    true_energy : callable ``(batch, 2) -> (batch,)``
    model : callable ``(batch, 2) -> (batch,)``, or Tensor/ndarray ``(n, 2)`` of samples
    xlim, ylim : (low, high)
    resolution : int
    titles : (str, str)
    fig : Figure, optional; a new one is made when omitted

    Returns
    -------
    Figure

    Examples
    --------
    >>> from ebmbook.energies import Gaussian, Ring
    >>> fig = plot_density_comparison(Ring(), Gaussian(torch.zeros(2), 2 * torch.eye(2)),
    ...                               resolution=64)

    Used in chapters 5 and 6.
    """
    xlim = _check_lim(xlim, "xlim")
    ylim = _check_lim(ylim, "ylim")
    resolution = check_int(resolution, "resolution", minimum=2)
    if isinstance(titles, str) or not isinstance(titles, (tuple, list)):
        raise TypeError(f"titles must be a pair of strings (true, model), got {type(titles).__name__}")
    if len(titles) != 2:
        raise ValueError(f"titles must be a pair of strings (true, model), got {len(titles)}: {tuple(titles)!r}")
    if fig is None:
        fig = plt.figure(figsize=(9.0, 4.0))
    elif not isinstance(fig, FigureBase):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    ax_true, ax_model = fig.subplots(1, 2)
    true_grid = _landscape_grid(true_energy, xlim, ylim, resolution)
    _draw_grid(ax_true, true_grid.xs.numpy(), true_grid.ys.numpy(), true_grid.density.numpy(),
               "density", colorbar=False)
    ax_true.set_title(titles[0])
    if isinstance(model, (torch.Tensor, np.ndarray)):
        pts = _points_2d(model, "model")
        ax_model.scatter(pts[:, 0], pts[:, 1], s=2, alpha=0.5, color="C0", linewidths=0)
        ax_model.set_xlim(*xlim)
        ax_model.set_ylim(*ylim)
        ax_model.set_xlabel("$x_1$")
        ax_model.set_ylabel("$x_2$")
        ax_model.set_title(titles[1])
    elif callable(model):
        model_grid = _landscape_grid(model, xlim, ylim, resolution)
        _draw_grid(ax_model, model_grid.xs.numpy(), model_grid.ys.numpy(),
                   model_grid.density.numpy(), "density", colorbar=False)
        kl = grid_kl_divergence(true_grid, model_grid)
        ax_model.set_title(f"{titles[1]} (KL = {kl:.3f})")
    else:
        raise TypeError("model must be an energy callable or a (n, 2) sample tensor/array, "
                        f"got {type(model).__name__}")
    for ax in (ax_true, ax_model):
        ax.set_aspect("equal", adjustable="box")
    return fig
