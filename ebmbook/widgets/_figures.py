"""Drawing helpers shared by the explorers and their static small-multiples twins."""
from __future__ import annotations

import io
import math
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from ..plot._common import EnergyFn
from ..plot.landscapes import _grid_energy, _landscape_grid
from ..utils import check_positive


class _EnergyGrid(NamedTuple):
    xs: np.ndarray
    ys: np.ndarray
    energy: torch.Tensor  # (ny, nx), float64
    cell_area: float


def _energy_grid(energy: EnergyFn, xlim, ylim, resolution: int) -> _EnergyGrid:
    g = _landscape_grid(energy, xlim, ylim, resolution)
    return _EnergyGrid(g.xs.numpy(), g.ys.numpy(), torch.from_numpy(_grid_energy(g)), g.cell_area)


def _small_multiples(n: int, ncols: int, panel: float = 3.2) -> tuple[Figure, np.ndarray]:
    cols = min(n, ncols)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * panel, rows * panel), squeeze=False,
                             layout="constrained")
    axes = axes.ravel()
    for ax in axes[n:]:
        fig.delaxes(ax)
    return fig, axes[:n]


def _figure_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return buf.getvalue()


def _check_values(values, name: str) -> list[float]:
    try:
        out = [check_positive(v, name) for v in values]
    except TypeError:
        raise TypeError(f"{name} must be a sequence of positive numbers, got {values!r}") from None
    if not out:
        raise ValueError(f"{name} must hold at least one value")
    return out
