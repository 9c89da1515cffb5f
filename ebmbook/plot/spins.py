"""Spin configurations (Ising lattices, Hopfield patterns) as black-and-white images."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure, FigureBase

from ..utils import check_int
from ._common import _grid_shape, _new_axes, _to_numpy

__all__ = ["plot_spins", "plot_spin_grid"]


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
    >>> import torch
    >>> ax = plot_spins(torch.tensor([1., -1.] * 8), (4, 4))

    Used in chapters 1 and 3.
    """
    img = _spin_image(spins, lattice_shape)
    ax = _new_axes(ax, figsize=(4.0, 4.0) if img.shape[0] > 1 else (6.0, 1.0))
    _draw_spins(ax, img)
    if title is not None:
        ax.set_title(title)
    return ax


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
    >>> import torch
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
