"""Input handling shared by every figure: tensors/arrays to NumPy, limits, new axes."""
from __future__ import annotations

import math
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes

EnergyFn = Callable[[torch.Tensor], torch.Tensor]

#: Default colour map of densities and energies.
DENSITY_CMAP = "viridis"
ENERGY_CMAP = "magma"


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


def _grid_shape(k: int, ncols: int) -> tuple[int, int]:
    cols = min(k, ncols)
    return (math.ceil(k / cols), cols)
