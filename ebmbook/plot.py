r"""Figures for the book: energy landscapes, samples, chains, spins and image grids.

Every function draws with matplotlib's object API on an ``Axes`` (or
``Figure``) that it returns; pass ``ax=`` to draw into a panel of your own
figure, or leave it out and a new figure is made with :func:`matplotlib.pyplot.subplots`
(which a notebook displays). Nothing here calls ``plt.show()``.

Inputs may be torch tensors (on any device, with or without gradients) or
NumPy arrays. A 2-D energy is any callable ``(batch, 2) -> (batch,)`` following
the contract :math:`p(x) = \exp(-E(x))/Z`; it is evaluated without gradients on
a grid, in float64 where the energy accepts it, otherwise in the dtype and on
the device of its parameters (a float32 neural energy on a GPU works as is).

This module sits on top of the package: nothing in the core imports it.
Used from chapter 1 on (landscapes, spins), in chapter 2 (trajectories, trace
and autocorrelation plots) and in the deep-EBM chapters (image grids).
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure, FigureBase
from matplotlib.ticker import MaxNLocator

from .exact import GridDensity, grid_quadrature, grid_kl_divergence
from .utils import check_int, check_positive

__all__ = [
    "plot_energy_landscape",
    "plot_samples",
    "plot_density_comparison",
    "plot_trajectory",
    "plot_trace",
    "plot_autocorrelation",
    "plot_spins",
    "plot_spin_grid",
    "plot_image_grid",
    "plot_marginal",
    "plot_histogram_vs_density",
]

EnergyFn = Callable[[torch.Tensor], torch.Tensor]

#: Default colour map of densities and energies.
DENSITY_CMAP = "viridis"
ENERGY_CMAP = "magma"
MAX_TRACE_CHAINS = 8


# ---------------------------------------------------------------------------
# input handling
# ---------------------------------------------------------------------------
def _to_numpy(x, name: str) -> np.ndarray:
    """A detached float64 CPU NumPy copy of a tensor/array, or a TypeError naming ``name``."""
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.is_complex():
            raise TypeError(f"{name} must be real, got dtype {x.dtype}")
        return x.to(device="cpu", dtype=torch.float64).numpy()
    if isinstance(x, np.ndarray):
        if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool) or np.iscomplexobj(x):
            raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
        return x.astype(np.float64)
    raise TypeError(f"{name} must be a torch.Tensor or numpy.ndarray, got {type(x).__name__}")


def _check_finite(x: np.ndarray, name: str) -> np.ndarray:
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def _points_2d(x, name: str) -> np.ndarray:
    """``x`` as a finite ``(n, 2)`` array, or a ValueError naming ``name``."""
    a = _to_numpy(x, name)
    if a.ndim != 2 or a.shape[1] != 2:
        raise ValueError(f"{name} must have shape (n, 2), got {a.shape}")
    if a.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one point")
    return _check_finite(a, name)


def _check_lim(lim, name: str) -> tuple[float, float] | None:
    if lim is None:
        return None
    try:
        low, high = (float(v) for v in lim)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high), got {lim!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"{name} must be a finite pair (low, high) with low < high, got {lim!r}")
    return (low, high)


def _padded_limits(values: np.ndarray, pad: float = 0.1) -> tuple[float, float]:
    low, high = float(values.min()), float(values.max())
    span = high - low if high > low else max(abs(low), 1.0)
    return (low - pad * span, high + pad * span)


def _new_axes(ax: Axes | None, figsize: tuple[float, float] = (4.5, 4.0)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    return ax


# ---------------------------------------------------------------------------
# energies on a grid
# ---------------------------------------------------------------------------
def _energy_placement(energy: EnergyFn) -> tuple[torch.device, torch.dtype | None]:
    """Device of an ``nn.Module`` energy's first parameter/buffer (CPU otherwise) and its float dtype."""
    if isinstance(energy, torch.nn.Module):
        tensors = list(energy.parameters()) + list(energy.buffers())
        if tensors:
            floats = [t.dtype for t in tensors if t.is_floating_point()]
            return tensors[0].device, (floats[0] if floats else None)
    return torch.device("cpu"), None


def _grid_energy_fn(energy: EnergyFn) -> tuple[EnergyFn, torch.device, torch.dtype]:
    """Wrap ``energy`` so it accepts float64 points on its own device.

    Tries float64 first (exact); if the energy rejects float64 input (a float32
    ``nn.Module`` does), falls back to the dtype of its parameters and casts the
    energies back to float64. Returns the wrapped callable, the device to put
    grid points on, and the dtype the energy is evaluated in.
    """
    if not callable(energy):
        raise TypeError(f"energy must be callable (batch, 2) -> (batch,), got {type(energy).__name__}")
    device, param_dtype = _energy_placement(energy)
    probe = torch.zeros(2, 2, dtype=torch.float64, device=device)
    try:
        with torch.no_grad():
            energy(probe)
        return energy, device, torch.float64
    except (RuntimeError, TypeError):
        if param_dtype is None or param_dtype == torch.float64:
            raise

    def cast(x: torch.Tensor) -> torch.Tensor:
        return energy(x.to(param_dtype)).double()

    return cast, device, param_dtype


def _energy_dtype_device(energy: EnergyFn) -> tuple[torch.device, torch.dtype]:
    """Device and dtype in which ``energy`` is best evaluated (float64 when it accepts it)."""
    _, device, dtype = _grid_energy_fn(energy)
    return device, dtype


def _landscape_grid(energy: EnergyFn, xlim: tuple[float, float], ylim: tuple[float, float],
                    resolution: int, temperature: float = 1.0) -> GridDensity:
    """:func:`ebmbook.exact.grid_quadrature` with the dtype/device handling above, moved to CPU."""
    fn, device, _ = _grid_energy_fn(energy)
    g = grid_quadrature(fn, xlim, ylim, resolution=resolution, temperature=temperature, device=device)
    return GridDensity(g.xs.cpu(), g.ys.cpu(), g.log_density.cpu(), g.log_z, g.cell_area)


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


def _chains_2d(samples, dim: int, name: str = "samples") -> np.ndarray:
    """Coordinate ``dim`` of the flattened event as an ``(n_draws, n_chains)`` array."""
    a = _to_numpy(samples, name)
    if a.ndim == 0:
        raise ValueError(f"{name} must have shape (n_draws, n_chains, *event), got a scalar")
    if a.ndim == 1:
        a = a[:, None]
    a = a.reshape(a.shape[0], a.shape[1], -1)
    if a.shape[0] < 2 or a.shape[1] < 1:
        raise ValueError(f"{name} must have shape (n_draws >= 2, n_chains >= 1, *event), got {a.shape}")
    dim = check_int(dim, "dim", minimum=0)
    if dim >= a.shape[2]:
        raise ValueError(f"dim must be < {a.shape[2]} (the flattened event size), got {dim}")
    return _check_finite(a[:, :, dim], name)


def _select_chains(n_chains: int, chains) -> list[int]:
    if chains is None:
        return list(range(min(n_chains, MAX_TRACE_CHAINS)))
    if isinstance(chains, (int, np.integer)) and not isinstance(chains, bool):
        k = check_int(chains, "chains", minimum=1)
        return list(range(min(k, n_chains)))
    idx = [check_int(c, "chains", minimum=0) for c in chains]
    if not idx or max(idx) >= n_chains:
        raise ValueError(f"chains must be non-empty indices below n_chains = {n_chains}, got {chains!r}")
    return idx


def plot_trace(samples, *, dim: int = 0, chains: int | Sequence[int] | None = None,
               ax: Axes | None = None, label: str | None = None) -> Axes:
    """Trace plot: one coordinate of each chain against the step.

    Parameters
    ----------
    samples : Tensor or ndarray, shape ``(n_draws, n_chains, *event)``
        E.g. :attr:`ebmbook.samplers.Trace.samples`. ``(n_draws, n_chains)`` is
        a scalar event and ``(n_draws,)`` a single chain.
    dim : int, index into the flattened event
    chains : int or sequence of int, optional
        How many chains (the first ``chains``) or which ones to draw; at most
        the first 8 by default.
    ax : Axes, optional
    label : str, optional; y-axis label (default ``$x_{dim+1}$``)

    Returns
    -------
    Axes

    Examples
    --------
    >>> ax = plot_trace(torch.randn(200, 4, 2), dim=1)

    Used in chapter 2.
    """
    x = _chains_2d(samples, dim)
    idx = _select_chains(x.shape[1], chains)
    ax = _new_axes(ax, figsize=(6.0, 2.8))
    steps = np.arange(x.shape[0])
    for c in idx:
        ax.plot(steps, x[:, c], lw=0.8, alpha=0.85, label=f"chain {c}")
    ax.set_xlabel("step")
    ax.set_ylabel(label if label is not None else f"$x_{{{dim + 1}}}$")
    ax.set_xlim(0, x.shape[0] - 1)
    return ax


def _autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Per-chain autocorrelation of ``x`` ``(n, m)`` by FFT, averaged over chains, lags ``0..max_lag``."""
    n = x.shape[0]
    centred = x - x.mean(axis=0, keepdims=True)
    size = 1 << (2 * n - 1).bit_length()
    f = np.fft.rfft(centred, n=size, axis=0)
    acov = np.fft.irfft(f * np.conj(f), n=size, axis=0)[: max_lag + 1] / n
    var = acov[0]
    ok = var > 0
    if not ok.any():
        raise ValueError("samples are constant in every chain: the autocorrelation is undefined")
    return (acov[:, ok] / var[ok]).mean(axis=1)


def plot_autocorrelation(samples, *, dim: int = 0, max_lag: int = 100, ax: Axes | None = None,
                         label: str | None = None) -> Axes:
    r"""Autocorrelation of one coordinate against the lag, averaged over chains.

    For each chain, :math:`\hat\rho_t = \hat\gamma_t / \hat\gamma_0` with
    :math:`\hat\gamma_t = \frac1n\sum_{i=1}^{n-t}(x_i-\bar x)(x_{i+t}-\bar x)`
    (computed by FFT); the curve is the mean of :math:`\hat\rho_t` over chains
    (chains that never move are left out). The faster it decays, the more
    effective samples a chain yields (see :func:`ebmbook.metrics.effective_sample_size`).

    Parameters
    ----------
    samples : Tensor or ndarray, shape ``(n_draws, n_chains, *event)``
    dim : int, index into the flattened event
    max_lag : int, largest lag shown (capped at ``n_draws - 1``)
    ax : Axes, optional; call again with the same ``ax`` to compare samplers
    label : str, optional; legend label

    Returns
    -------
    Axes

    Examples
    --------
    >>> ax = plot_autocorrelation(torch.randn(500, 4, 2), max_lag=20, label="iid")

    Used in chapter 2.
    """
    x = _chains_2d(samples, dim)
    max_lag = min(check_int(max_lag, "max_lag", minimum=1), x.shape[0] - 1)
    rho = _autocorrelation(x, max_lag)
    ax = _new_axes(ax, figsize=(5.0, 3.0))
    ax.plot(np.arange(max_lag + 1), rho, lw=1.2, label=label)
    ax.axhline(0.0, color="grey", lw=0.6)
    ax.set_xlabel("lag")
    ax.set_ylabel("autocorrelation")
    ax.set_xlim(0, max_lag)
    if label is not None:
        ax.legend()
    return ax


def _spin_image(spins, lattice_shape, name: str = "spins") -> np.ndarray:
    a = _to_numpy(spins, name)
    if not np.isin(a, (-1.0, 1.0)).all():
        raise ValueError(f"{name} must contain only spins -1 and +1")
    if lattice_shape is None:
        if a.ndim != 1:
            raise ValueError(f"{name} must have shape (n,) when lattice_shape is None, got {a.shape}")
        return a[None, :]
    shape = tuple(check_int(v, "lattice_shape", minimum=1) for v in lattice_shape)
    if len(shape) not in (1, 2):
        raise ValueError(f"lattice_shape must have 1 or 2 entries, got {lattice_shape!r}")
    n = int(np.prod(shape))
    if a.size != n or a.ndim not in (1, len(shape)):
        raise ValueError(f"{name} must have shape ({n},) or {shape} for lattice_shape {shape}, got {a.shape}")
    return a.reshape(shape if len(shape) == 2 else (1, n))


def _draw_spins(ax: Axes, img: np.ndarray) -> None:
    ax.imshow(img, cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def plot_spins(spins, lattice_shape: Sequence[int] | None = None, *, ax: Axes | None = None,
               title: str | None = None) -> Axes:
    """Show one spin configuration as a black (-1) and white (+1) image.

    Parameters
    ----------
    spins : Tensor or ndarray, shape ``(n,)`` (or already ``lattice_shape``), entries in {-1, +1}
    lattice_shape : (rows, cols) or (n,), optional
        Shape of the lattice; a 1-D chain (``None`` or ``(n,)``) is a 1 × n strip.
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes

    Examples
    --------
    >>> ax = plot_spins(torch.tensor([1., -1.] * 8), (4, 4))

    Used in chapters 1 and 3.
    """
    img = _spin_image(spins, lattice_shape)
    ax = _new_axes(ax, figsize=(4.0, 4.0) if img.shape[0] > 1 else (6.0, 1.0))
    _draw_spins(ax, img)
    if title is not None:
        ax.set_title(title)
    return ax


def _grid_shape(k: int, ncols: int) -> tuple[int, int]:
    cols = min(k, ncols)
    return (math.ceil(k / cols), cols)


def plot_spin_grid(spins, lattice_shape: Sequence[int], *, ncols: int = 8, fig: Figure | None = None,
                   titles: Sequence[str] | None = None) -> Figure:
    """Several spin configurations as small black/white images in a grid of panels.

    Parameters
    ----------
    spins : Tensor or ndarray, shape ``(k, n)``, entries in {-1, +1}
    lattice_shape : (rows, cols) or (n,)
    ncols : int, panels per row
    fig : Figure, optional; a new one is made when omitted
    titles : sequence of ``k`` str, optional; one title per panel

    Returns
    -------
    Figure

    Examples
    --------
    >>> s = torch.randint(0, 2, (6, 16)) * 2.0 - 1
    >>> fig = plot_spin_grid(s, (4, 4), ncols=3)
    >>> len(fig.axes)
    6

    Used in chapters 1 and 3 (Hopfield memories, samples of an Ising model).
    """
    a = _to_numpy(spins, "spins")
    if a.ndim != 2 or a.shape[0] == 0:
        raise ValueError(f"spins must have shape (k, n), got {a.shape}")
    ncols = check_int(ncols, "ncols", minimum=1)
    if lattice_shape is None:
        raise ValueError("lattice_shape must be given, e.g. (rows, cols) or (n,)")
    images = [_spin_image(row, lattice_shape) for row in a]
    k = len(images)
    if titles is not None and len(titles) != k:
        raise ValueError(f"titles must have {k} entries, one per configuration, got {len(titles)}")
    rows, cols = _grid_shape(k, ncols)
    h, w = images[0].shape
    if fig is None:
        panel = 1.4 if h > 1 else 3.0
        fig = plt.figure(figsize=(cols * panel, rows * panel * max(h / w, 0.15) + 0.3))
    elif not isinstance(fig, FigureBase):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for i, ax in enumerate(axes):
        if i < k:
            _draw_spins(ax, images[i])
            if titles is not None:
                ax.set_title(titles[i], fontsize="small")
        else:
            fig.delaxes(ax)
    return fig


def _image_stack(images, image_shape) -> np.ndarray:
    """Images as ``(k, H, W)`` or ``(k, H, W, 3)``."""
    a = _to_numpy(images, "images")
    if image_shape is not None:
        shape = tuple(check_int(v, "image_shape", minimum=1) for v in image_shape)
        if len(shape) != 2:
            raise ValueError(f"image_shape must be (H, W), got {image_shape!r}")
        if a.ndim < 2 or int(np.prod(a.shape[1:])) != shape[0] * shape[1]:
            raise ValueError(f"images must have shape (k, {shape[0] * shape[1]}) for image_shape "
                             f"{shape}, got {a.shape}")
        a = a.reshape(a.shape[0], *shape)
    if a.ndim == 4 and a.shape[1] in (1, 3):
        a = a[:, 0] if a.shape[1] == 1 else a.transpose(0, 2, 3, 1)
    elif a.ndim != 3:
        raise ValueError("images must have shape (k, H, W), (k, 1, H, W), (k, 3, H, W), or (k, H*W) "
                         f"with image_shape=(H, W), got {a.shape}")
    if a.shape[0] == 0:
        raise ValueError("images must hold at least one image")
    return a


def plot_image_grid(images, *, nrow: int = 8, ax: Axes | None = None, cmap: str = "gray",
                    vmin: float | None = None, vmax: float | None = None, title: str | None = None,
                    image_shape: Sequence[int] | None = None, padding: int = 1) -> Axes:
    """Tile a batch of images into one picture (like ``torchvision.utils.make_grid``).

    Parameters
    ----------
    images : Tensor or ndarray
        ``(k, H, W)``, ``(k, 1, H, W)``, ``(k, 3, H, W)`` (RGB, values in [0, 1]),
        or flat ``(k, H*W)`` together with ``image_shape=(H, W)``.
    nrow : int, images per row
    ax : Axes, optional
    cmap : str, colour map of grey-scale images
    vmin, vmax : float, optional
        Colour range; default the images' min and max, shared by all tiles.
    title : str, optional
    image_shape : (H, W), optional; needed for flat images
    padding : int, pixels of white space between tiles

    Returns
    -------
    Axes

    Examples
    --------
    >>> ax = plot_image_grid(torch.rand(16, 64), image_shape=(8, 8), nrow=4)

    Used in the RBM and deep-EBM chapters (digits, generated samples).
    """
    a = _image_stack(images, image_shape)
    nrow = check_int(nrow, "nrow", minimum=1)
    padding = check_int(padding, "padding", minimum=0)
    k, h, w = a.shape[:3]
    rows, cols = _grid_shape(k, nrow)
    rgb = a.ndim == 4
    canvas_shape = (rows * h + (rows + 1) * padding, cols * w + (cols + 1) * padding)
    canvas = np.full(canvas_shape + ((3,) if rgb else ()), np.nan if not rgb else 1.0)
    for i in range(k):
        r, c = divmod(i, cols)
        y0, x0 = padding + r * (h + padding), padding + c * (w + padding)
        canvas[y0:y0 + h, x0:x0 + w] = a[i]
    ax = _new_axes(ax, figsize=(min(1.0 * cols, 10.0), min(1.0 * rows, 10.0)))
    if rgb:
        ax.imshow(np.clip(canvas, 0.0, 1.0), interpolation="nearest")
    else:
        finite = a[np.isfinite(a)]
        lo = float(finite.min()) if vmin is None and finite.size else vmin
        hi = float(finite.max()) if vmax is None and finite.size else vmax
        cm = colormaps[cmap].with_extremes(bad="white")
        ax.imshow(canvas, cmap=cm, vmin=lo, vmax=hi, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title)
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
