r"""What an energy says locally: a 1-D energy next to its density, and the score field in 2-D.

Two views that make the contract :math:`p_T(x) = e^{-E(x)/T}/Z_T` concrete:

- :func:`plot_energy_profile` draws a 1-D energy :math:`E(x)` in one panel and
  the normalised densities :math:`p_T` at a few temperatures in the panel next
  to it (normalised on the grid by the midpoint rule), so a reader sees wells
  become modes;
- :func:`plot_score_field` draws the score :math:`\nabla_x \log p(x) = -\nabla_x E(x)`
  of a 2-D energy as arrows over its energy contours: arrows point downhill,
  into the wells, and need no :math:`Z`.
"""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes

from ..energies.base import energy_and_grad, evaluate_energy
from ..exact import evaluation_placement
from ..utils import check_int, check_positive
from ._common import EnergyFn, _check_lim, _new_axes
from .landscapes import plot_energy_landscape

__all__ = ["plot_energy_profile", "plot_score_field"]


def _evaluate(energy: EnergyFn, x: torch.Tensor, *, grad: bool = False):
    """Energy (and gradient) of ``energy`` at float64 points ``x``, in the energy's device and dtype."""
    if not callable(energy):
        raise TypeError(f"energy must be callable (batch, d) -> (batch,), got {type(energy).__name__}")
    device, dtype = evaluation_placement(energy, tuple(x.shape[1:]))
    x = x.to(device=device, dtype=dtype)
    if grad:
        e, g = energy_and_grad(energy, x)
        return e.double().cpu().numpy(), g.double().cpu().numpy()
    with torch.no_grad():
        return evaluate_energy(energy, x).double().cpu().numpy()


def plot_energy_profile(energy: EnergyFn, xlim: tuple[float, float] = (-4.0, 4.0), *,
                        temperatures: Sequence[float] = (1.0,), resolution: int = 400,
                        axes: Sequence[Axes] | None = None, title: str | None = None) -> tuple[Axes, Axes]:
    r"""A 1-D energy (left) next to its normalised densities at a few temperatures (right).

    The densities are normalised on the interval by the midpoint rule,

    .. math:: p_T(x) = \frac{e^{-E(x)/T}}{Z_T}, \qquad
              Z_T \approx \sum_k e^{-E(x_k)/T}\,\Delta x ,

    so the interval should hold essentially all the mass at every temperature.

    Parameters
    ----------
    energy : callable ``(batch, 1) -> (batch,)``
        Evaluated without gradients, in float64 where it accepts it.
    xlim : (low, high)
    temperatures : sequence of positive floats, one density curve each
    resolution : int, grid points (at least 2)
    axes : pair of Axes, optional; a new 1 x 2 figure is made when omitted
    title : str, optional, a title over both panels

    Returns
    -------
    (Axes, Axes), the energy panel and the density panel

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> ax_e, ax_p = plot_energy_profile(Gaussian(torch.zeros(1), torch.eye(1)), temperatures=(0.5, 1.0))
    >>> ax_p.get_ylabel()
    'density $p_T(x)$'

    Used in chapter 1.
    """
    xlim = _check_lim(xlim, "xlim")
    resolution = check_int(resolution, "resolution", minimum=2)
    if isinstance(temperatures, (str, bytes)) or not isinstance(temperatures, Sequence) or not temperatures:
        raise ValueError(f"temperatures must be a non-empty sequence of positive floats, got {temperatures!r}")
    temperatures = [check_positive(t, "temperatures") for t in temperatures]
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.4), layout="constrained")
    if len(axes) != 2 or not all(isinstance(a, Axes) for a in axes):
        raise TypeError("axes must be a pair of matplotlib Axes (energy panel, density panel)")
    dx = (xlim[1] - xlim[0]) / resolution
    xs = torch.linspace(xlim[0] + dx / 2, xlim[1] - dx / 2, resolution, dtype=torch.float64)
    e = _evaluate(energy, xs[:, None])
    if not np.isfinite(e).all():
        raise ValueError("energy returned NaN or infinite values on the grid: choose a smaller xlim")
    ax_e, ax_p = axes
    x = xs.numpy()
    ax_e.plot(x, e, color="k")
    ax_e.set_xlabel("$x$")
    ax_e.set_ylabel("energy $E(x)$")
    for k, T in enumerate(temperatures):
        log_w = -e / T
        w = np.exp(log_w - log_w.max())
        ax_p.plot(x, w / (w.sum() * dx), color=plt.cm.viridis(k / max(len(temperatures), 2)),
                  label=f"$T = {T:g}$")
    ax_p.set_xlabel("$x$")
    ax_p.set_ylabel("density $p_T(x)$")
    ax_p.legend(fontsize="small")
    if title is not None:
        ax_e.figure.suptitle(title)
    return ax_e, ax_p


def plot_score_field(energy: EnergyFn, xlim: tuple[float, float] = (-4.0, 4.0),
                     ylim: tuple[float, float] = (-4.0, 4.0), *, n_arrows: int = 15,
                     resolution: int = 150, ax: Axes | None = None, title: str | None = None) -> Axes:
    r"""The score :math:`-\nabla_x E(x)` of a 2-D energy as arrows over its energy contours.

    The arrows are drawn on an ``n_arrows x n_arrows`` grid, each of length
    proportional to :math:`\lVert\nabla_x E\rVert` (one common scale, matplotlib's
    ``quiver``), over filled contours of :math:`E` from
    :func:`plot_energy_landscape`. The gradient comes from one autograd pass
    (:func:`ebmbook.energies.energy_and_grad`).

    Parameters
    ----------
    energy : callable ``(batch, 2) -> (batch,)``, differentiable
    xlim, ylim : (low, high)
    n_arrows : int, arrows per axis (at least 2)
    resolution : int, grid cells per axis of the contours
    ax : Axes, optional; a new figure is made when omitted
    title : str, optional

    Returns
    -------
    Axes

    Examples
    --------
    >>> from ebmbook.energies import Ring
    >>> ax = plot_score_field(Ring(), n_arrows=5, resolution=32)
    >>> ax.get_xlabel()
    '$x_1$'

    Used in chapter 1.
    """
    xlim = _check_lim(xlim, "xlim")
    ylim = _check_lim(ylim, "ylim")
    n_arrows = check_int(n_arrows, "n_arrows", minimum=2)
    ax = _new_axes(ax)
    plot_energy_landscape(energy, xlim, ylim, resolution=resolution, kind="energy", ax=ax)
    gx = torch.linspace(*xlim, n_arrows + 2, dtype=torch.float64)[1:-1]
    gy = torch.linspace(*ylim, n_arrows + 2, dtype=torch.float64)[1:-1]
    yy, xx = torch.meshgrid(gy, gx, indexing="ij")
    points = torch.stack([xx.flatten(), yy.flatten()], dim=-1)
    _, grad = _evaluate(energy, points, grad=True)
    if not np.isfinite(grad).all():
        raise ValueError("the energy's gradient is NaN or infinite on the arrow grid")
    ax.quiver(points[:, 0].numpy(), points[:, 1].numpy(), -grad[:, 0], -grad[:, 1],
              color="white", angles="xy", pivot="middle", width=0.004)
    if title is not None:
        ax.set_title(title)
    return ax
