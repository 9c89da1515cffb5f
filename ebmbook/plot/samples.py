"""Samples: 2-D scatter plots, one chain's path, and 1-D marginals against an exact density."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from matplotlib.axes import Axes

from ..utils import check_int
from ._common import (
    EnergyFn,
    _check_finite,
    _check_lim,
    _new_axes,
    _padded_limits,
    _points_2d,
    _to_numpy,
)
from .landscapes import plot_energy_landscape

__all__ = ["plot_samples", "plot_trajectory", "plot_marginal", "plot_histogram_vs_density"]


def plot_samples(samples, *, energy: EnergyFn | None = None,
                 xlim: tuple[float, float] | None = None, ylim: tuple[float, float] | None = None,
                 ax: Axes | None = None, color: str | None = None, s: float = 2.0,
                 alpha: float = 0.5, label: str | None = None, max_points: int = 5000) -> Axes:
    """Scatter 2-D samples, optionally over the density of ``energy``.

    Parameters
    ----------
    samples : Tensor or ndarray, shape ``(n, 2)``, on any device
    energy : callable ``(batch, 2) -> (batch,)``, optional
        If given, its density (:func:`plot_energy_landscape`, no colour bar) is
        drawn underneath.
    xlim, ylim : (low, high), optional
        Plot limits; with ``energy`` and no limits, the samples' range padded by 10 %.
    ax : Axes, optional
    color : str, optional; ``'white'`` over a landscape, ``'C0'`` otherwise
    s, alpha : marker size and opacity
    label : str, optional; legend label
    max_points : int
        At most this many points are drawn (evenly spaced through ``samples``)
        so large sample sets stay fast and light.

    Returns
    -------
    Axes

    Examples
    --------
    >>> ax = plot_samples(torch.randn(500, 2))

    Used in chapters 2, 5 and 6.
    """
    pts = _points_2d(samples, "samples")
    max_points = check_int(max_points, "max_points", minimum=1)
    xlim = _check_lim(xlim, "xlim")
    ylim = _check_lim(ylim, "ylim")
    if len(pts) > max_points:
        pts = pts[np.linspace(0, len(pts) - 1, max_points).round().astype(int)]
    ax = _new_axes(ax)
    if energy is not None:
        xlim = xlim or _padded_limits(pts[:, 0])
        ylim = ylim or _padded_limits(pts[:, 1])
        plot_energy_landscape(energy, xlim, ylim, resolution=150, ax=ax, colorbar=False)
    if color is None:
        color = "white" if energy is not None else "C0"
    ax.scatter(pts[:, 0], pts[:, 1], s=s, alpha=alpha, color=color, label=label, linewidths=0)
    if xlim is not None:
        ax.set_xlim(*xlim)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if label is not None:
        ax.legend(loc="upper right", markerscale=4)
    return ax


def plot_trajectory(positions, *, energy: EnergyFn | None = None,
                    xlim: tuple[float, float] | None = None, ylim: tuple[float, float] | None = None,
                    ax: Axes | None = None, accepted=None, color: str | None = None,
                    legend: bool = True) -> Axes:
    """Draw the path of one chain as a line through its positions, optionally over a landscape.

    The start is a green circle and the end a red square. If ``accepted`` is
    given, the steps whose proposal was rejected (the chain stayed put) are
    marked with a red cross at the position the chain stayed at.

    Parameters
    ----------
    positions : Tensor or ndarray, shape ``(T, 2)``
        Successive states of one chain, e.g. ``run_sampler_path(...).positions``
        or ``trace.samples[:, 0]``.
    energy : callable ``(batch, 2) -> (batch,)``, optional; density drawn underneath
    xlim, ylim : (low, high), optional; default the path's range padded by 10 %
        when ``energy`` is given
    ax : Axes, optional
    accepted : Tensor or ndarray of bool, shape ``(T - 1,)``, optional
        Whether the step from ``positions[t]`` to ``positions[t + 1]`` was accepted.
    color : str, optional
        Colour of the path; ``'white'`` over a landscape, ``'C0'`` otherwise.
    legend : bool, label start, end and rejections in a legend

    Returns
    -------
    Axes

    Examples
    --------
    >>> path = torch.randn(50, 2).cumsum(0) * 0.1
    >>> ax = plot_trajectory(path, accepted=torch.rand(49) < 0.7)

    Used in chapter 2.
    """
    pts = _points_2d(positions, "positions")
    xlim = _check_lim(xlim, "xlim")
    ylim = _check_lim(ylim, "ylim")
    rejected = None
    if accepted is not None:
        acc = _to_numpy(accepted, "accepted")
        if acc.shape != (len(pts) - 1,):
            raise ValueError(f"accepted must have shape (T - 1,) = ({len(pts) - 1},), got {acc.shape}")
        rejected = acc == 0
    ax = _new_axes(ax)
    on_landscape = energy is not None
    if on_landscape:
        xlim = xlim or _padded_limits(pts[:, 0])
        ylim = ylim or _padded_limits(pts[:, 1])
        plot_energy_landscape(energy, xlim, ylim, resolution=150, ax=ax, colorbar=False)
    line_colour = color if color is not None else ("white" if on_landscape else "C0")
    ax.plot(pts[:, 0], pts[:, 1], "-", color=line_colour, lw=0.8, alpha=0.8)
    ax.plot(pts[:, 0], pts[:, 1], "o", color=line_colour, ms=2.5, alpha=0.8, label="chain")
    ax.plot(pts[0, 0], pts[0, 1], "o", color="limegreen", ms=7, mec="black", label="start")
    ax.plot(pts[-1, 0], pts[-1, 1], "s", color="red", ms=6, mec="black", label="end")
    if rejected is not None and rejected.any():
        stay = pts[1:][rejected]
        ax.plot(stay[:, 0], stay[:, 1], "x", color="red", ms=6, mew=1.5,
                label=f"rejected ({int(rejected.sum())})")
    if xlim is not None:
        ax.set_xlim(*xlim)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if legend:
        ax.legend(loc="upper right", fontsize="small", framealpha=0.8)
    return ax


def plot_marginal(samples_1d, *, exact_x=None, exact_density=None, bins: int = 60,
                  ax: Axes | None = None, label: str | None = None) -> Axes:
    """Histogram of a 1-D marginal against an exact density curve.

    Parameters
    ----------
    samples_1d : Tensor or ndarray, shape ``(n,)`` or ``(n_draws, n_chains)`` (flattened)
        Draws of one coordinate, e.g. ``trace.samples[..., 0]``.
    exact_x, exact_density : Tensor or ndarray, shape ``(m,)``, optional
        The exact marginal density evaluated at ``exact_x``; give both or neither.
    bins : int
    ax : Axes, optional
    label : str, optional; legend label of the histogram

    Returns
    -------
    Axes

    Examples
    --------
    >>> x = torch.linspace(-4, 4, 200)
    >>> ax = plot_marginal(torch.randn(2000), exact_x=x,
    ...                    exact_density=torch.exp(-x**2 / 2) / (2 * torch.pi) ** 0.5)

    Used in chapter 2.
    """
    s = _to_numpy(samples_1d, "samples_1d")
    if s.ndim not in (1, 2) or s.size == 0:
        raise ValueError(f"samples_1d must have shape (n,) or (n_draws, n_chains), got {s.shape}")
    s = _check_finite(s.ravel(), "samples_1d")
    bins = check_int(bins, "bins", minimum=1)
    if (exact_x is None) != (exact_density is None):
        raise ValueError("exact_x and exact_density must be given together")
    ax = _new_axes(ax, figsize=(5.0, 3.0))
    ax.hist(s, bins=bins, density=True, alpha=0.5, color="C0", label=label or "samples")
    if exact_x is not None:
        xs = _to_numpy(exact_x, "exact_x")
        ds = _to_numpy(exact_density, "exact_density")
        if xs.ndim != 1 or ds.shape != xs.shape:
            raise ValueError("exact_x and exact_density must be 1-D of the same length, "
                             f"got {xs.shape} and {ds.shape}")
        ax.plot(xs, ds, color="black", lw=1.5, label="exact")
    ax.set_xlabel("$x$")
    ax.set_ylabel("density")
    ax.legend()
    return ax


def plot_histogram_vs_density(samples, density_fn: Callable[[torch.Tensor], torch.Tensor], *,
                              bins: int = 60, ax: Axes | None = None, label: str | None = None,
                              n_points: int = 400) -> Axes:
    """:func:`plot_marginal` with the exact curve given as a function.

    Parameters
    ----------
    samples : Tensor or ndarray, shape ``(n,)`` or ``(n_draws, n_chains)``
    density_fn : callable
        Maps a float64 tensor ``x`` of shape ``(m,)`` to the exact marginal
        density at ``x``, shape ``(m,)``. Evaluated on ``n_points`` points
        spanning the samples' range padded by 10 %.
    bins, ax, label : as in :func:`plot_marginal`
    n_points : int

    Returns
    -------
    Axes

    Examples
    --------
    >>> ax = plot_histogram_vs_density(torch.randn(2000),
    ...                                lambda x: torch.exp(-x**2 / 2) / (2 * torch.pi) ** 0.5)

    Used in chapter 2.
    """
    if not callable(density_fn):
        raise TypeError(f"density_fn must be callable, got {type(density_fn).__name__}")
    s = _to_numpy(samples, "samples")
    if s.ndim not in (1, 2) or s.size == 0:
        raise ValueError(f"samples must have shape (n,) or (n_draws, n_chains), got {s.shape}")
    n_points = check_int(n_points, "n_points", minimum=2)
    low, high = _padded_limits(_check_finite(s.ravel(), "samples"))
    xs = torch.linspace(low, high, n_points, dtype=torch.float64)
    with torch.no_grad():
        ds = density_fn(xs)
    if not isinstance(ds, (torch.Tensor, np.ndarray)) or tuple(ds.shape) != (n_points,):
        raise ValueError(f"density_fn must return shape (m,) = ({n_points},) for input (m,)")
    return plot_marginal(s, exact_x=xs, exact_density=ds, bins=bins, ax=ax, label=label)
