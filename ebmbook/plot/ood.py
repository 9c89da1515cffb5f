"""Histograms of out-of-distribution scores: in-distribution against each OOD set."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes

from ..utils import check_int
from ._common import _check_finite, _new_axes, _to_numpy

__all__ = ["plot_score_histograms"]


def _flat(x, name: str) -> np.ndarray:
    a = _to_numpy(x, name)
    if a.ndim != 1 or a.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of scores, got shape {a.shape}")
    return _check_finite(a, name)


def plot_score_histograms(score_in, scores_out: Mapping, *, ax: Axes | None = None, bins: int = 30,
                          title: str | None = None, xlabel: str = "score (higher = more in-distribution)") -> Axes:
    """Overlaid density histograms of in-distribution scores and the scores of each OOD set.

    Parameters
    ----------
    score_in : Tensor or ndarray ``(n,)``
    scores_out : dict of name to Tensor or ndarray ``(m,)``
    ax : Axes, optional
    bins : int, bins over the common range
    title, xlabel : str

    Returns
    -------
    Axes

    Examples
    --------
    >>> import torch
    >>> ax = plot_score_histograms(torch.randn(100), {"noise": torch.randn(50) - 3})

    Used in chapter 8.
    """
    s_in = _flat(score_in, "score_in")
    if not isinstance(scores_out, Mapping) or len(scores_out) == 0:
        raise TypeError(f"scores_out must be a non-empty dict of name to scores, got {type(scores_out).__name__}")
    outs = {str(k): _flat(v, f"scores_out[{k!r}]") for k, v in scores_out.items()}
    bins = check_int(bins, "bins", minimum=1)
    ax = _new_axes(ax)
    everything = np.concatenate([s_in, *outs.values()])
    low, high = float(everything.min()), float(everything.max())
    edges = np.linspace(low, high if high > low else low + 1.0, bins + 1)
    ax.hist(s_in, bins=edges, density=True, color="black", alpha=0.35, label="digits (test)")
    for i, (name, s) in enumerate(outs.items()):
        ax.hist(s, bins=edges, density=True, histtype="step", lw=1.5, color=f"C{i}", label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small")
    return ax
