"""Image grids: a batch of images tiled into one picture."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes

from ..utils import check_int
from ._common import _grid_shape, _new_axes, _to_numpy

__all__ = ["plot_image_grid"]


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
    >>> import torch
    >>> ax = plot_image_grid(torch.rand(16, 64), image_shape=(8, 8), nrow=4)

    Used in the RBM and deep-EBM chapters (digits, generated samples).
    """
    a = _image_stack(images, image_shape)
    nrow = check_int(nrow, "nrow", minimum=1)
    padding = check_int(padding, "padding", minimum=0)
    if not isinstance(cmap, str):
        raise TypeError(f"cmap must be the name of a matplotlib colour map, got {type(cmap).__name__}")
    if cmap not in colormaps:
        raise ValueError(f"cmap {cmap!r} is not a matplotlib colour map: use e.g. 'gray', 'viridis' or 'gray_r'")
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
