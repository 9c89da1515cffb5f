r"""How temperature reshapes a 2-D density: :math:`p_T(x) \propto \exp(-E(x)/T)`.

The energy is evaluated once on a grid; every temperature reweights it with
:func:`ebmbook.exact.boltzmann_weights`, so the slider of
:func:`temperature_explorer` and the panels of :func:`temperature_small_multiples`
are fast even for a neural energy. No randomness is involved.
"""
from __future__ import annotations

import math
from typing import Sequence

import ipywidgets
from matplotlib.figure import Figure

from ..exact import GridDensity, boltzmann_weights, grid_quadrature
from ..plot._common import EnergyFn, _check_lim
from ..plot.landscapes import _draw_grid
from ..utils import check_int, check_positive
from ._figures import _check_values, _energy_grid, _EnergyGrid, _figure_png, _small_multiples

__all__ = ["tempered_grid_density", "temperature_small_multiples", "temperature_explorer"]


def tempered_grid_density(energy: EnergyFn, temperature: float,
                          xlim: tuple[float, float] = (-4.0, 4.0),
                          ylim: tuple[float, float] = (-4.0, 4.0),
                          resolution: int = 200) -> GridDensity:
    r"""The tempered density :math:`p_T \propto \exp(-E/T)` normalised on a 2-D grid, on the CPU.

    :func:`ebmbook.exact.grid_quadrature` of :class:`ebmbook.energies.Tempered`
    ``(energy, temperature)`` (so float32 neural energies and energies on a GPU
    work as they are), moved to the CPU for drawing.

    Parameters
    ----------
    energy : callable ``(batch, 2) -> (batch,)``
    temperature : float, positive
    xlim, ylim : (low, high)
    resolution : int, cells per axis

    Returns
    -------
    GridDensity, CPU float64

    Examples
    --------
    >>> from ebmbook.energies import Ring
    >>> g = tempered_grid_density(Ring(), 2.0, resolution=100)
    >>> round(float(g.density.sum() * g.cell_area), 6)
    1.0

    Used in chapter 1.
    """
    temperature = check_positive(temperature, "temperature")
    resolution = check_int(resolution, "resolution", minimum=2)
    xlim = _check_lim(xlim, "xlim")
    ylim = _check_lim(ylim, "ylim")
    return grid_quadrature(energy, xlim, ylim, resolution=resolution, temperature=temperature).to("cpu")


def _draw_tempered(ax, grid: _EnergyGrid, temperature: float, colorbar: bool) -> None:
    w = boltzmann_weights(grid.energy.flatten(), temperature)
    density = (w / grid.cell_area).reshape(grid.energy.shape)
    _draw_grid(ax, grid.xs, grid.ys, density.numpy(), "density", colorbar=colorbar,
               temperature=temperature)
    mean_e = float((w * grid.energy.flatten()).sum())
    ax.set_title(rf"$T = {temperature:.3g}$, $\langle E\rangle_T = {mean_e:.2f}$")
    ax.set_aspect("equal", adjustable="box")


def temperature_small_multiples(energy: EnergyFn, temperatures: Sequence[float],
                                xlim: tuple[float, float] = (-4.0, 4.0),
                                ylim: tuple[float, float] = (-4.0, 4.0), *,
                                resolution: int = 150, ncols: int = 4) -> Figure:
    r"""One panel per temperature showing :math:`p_T(x) \propto \exp(-E(x)/T)`.

    The static twin of :func:`temperature_explorer`: the energy is evaluated
    once on the grid and each panel reweights it with :func:`ebmbook.exact.boltzmann_weights`.
    Each title gives :math:`T` and the mean energy :math:`\langle E\rangle_T`.

    Parameters
    ----------
    energy : callable ``(batch, 2) -> (batch,)``
    temperatures : sequence of positive float, one panel each
    xlim, ylim : (low, high)
    resolution : int, cells per axis
    ncols : int, panels per row

    Returns
    -------
    Figure

    Examples
    --------
    >>> from ebmbook.energies import Ring
    >>> fig = temperature_small_multiples(Ring(), [0.25, 1.0, 4.0], resolution=64)
    >>> len(fig.axes)
    3

    Used in chapter 1.
    """
    temps = _check_values(temperatures, "temperatures")
    xlim = _check_lim(xlim, "xlim")
    ylim = _check_lim(ylim, "ylim")
    resolution = check_int(resolution, "resolution", minimum=2)
    ncols = check_int(ncols, "ncols", minimum=1)
    grid = _energy_grid(energy, xlim, ylim, resolution)
    fig, axes = _small_multiples(len(temps), ncols)
    for ax, t in zip(axes, temps):
        _draw_tempered(ax, grid, t, colorbar=False)
    return fig


def temperature_explorer(energy: EnergyFn, xlim: tuple[float, float] = (-4.0, 4.0),
                         ylim: tuple[float, float] = (-4.0, 4.0),
                         temperatures: tuple[float, float] = (0.25, 4.0), *,
                         resolution: int = 150) -> ipywidgets.Widget:
    r"""A slider over the temperature that redraws :math:`p_T(x) \propto \exp(-E(x)/T)`.

    The energy is evaluated once; moving the (logarithmic) slider reweights the
    grid with :func:`ebmbook.exact.boltzmann_weights`, so updates are fast even for a neural
    energy. In the HTML book use :func:`temperature_small_multiples` instead.

    Parameters
    ----------
    energy : callable ``(batch, 2) -> (batch,)``
    xlim, ylim : (low, high)
    temperatures : (low, high), positive; the slider's range (starts at
        :math:`T = 1` when inside it)
    resolution : int

    Returns
    -------
    ipywidgets.VBox
        The slider above the figure; display it as the last expression of a cell.

    Examples
    --------
    >>> from ebmbook.energies import Ring
    >>> temperature_explorer(Ring())   # doctest: +SKIP

    Used in chapter 1.
    """
    t_low, t_high = _check_lim(temperatures, "temperatures")
    if t_low <= 0:
        raise ValueError(f"temperatures must be positive, got {temperatures!r}")
    xlim = _check_lim(xlim, "xlim")
    ylim = _check_lim(ylim, "ylim")
    resolution = check_int(resolution, "resolution", minimum=2)
    grid = _energy_grid(energy, xlim, ylim, resolution)
    t0 = 1.0 if t_low <= 1.0 <= t_high else math.sqrt(t_low * t_high)
    slider = ipywidgets.FloatLogSlider(value=t0, base=10, min=math.log10(t_low), max=math.log10(t_high),
                                    step=0.01, description="T", continuous_update=False,
                                    readout_format=".3g")
    image = ipywidgets.Image(format="png")

    def redraw(temperature: float) -> None:
        fig = Figure(figsize=(5.0, 4.2))
        fig.subplots_adjust(left=0.12, right=0.95, bottom=0.12, top=0.9)
        _draw_tempered(fig.add_subplot(), grid, temperature, colorbar=True)
        image.value = _figure_png(fig)

    slider.observe(lambda change: redraw(change["new"]), names="value")
    redraw(t0)
    return ipywidgets.VBox([slider, image])
