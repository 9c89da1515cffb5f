"""Reliability diagrams: accuracy against confidence, bin by bin, with the ECE in the title."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from ._common import _new_axes

__all__ = ["plot_reliability_diagram"]


def plot_reliability_diagram(result, *, ax: Axes | None = None, title: str | None = None,
                             color: str = "C0") -> Axes:
    r"""Draw a reliability diagram from :func:`ebmbook.metrics.expected_calibration_error`.

    Bars show each bin's accuracy at its position on the confidence axis, a red outline the
    gap to the bin's mean confidence, and the diagonal perfect calibration; the ECE
    (:math:`\sum_m |B_m|/n\, |\mathrm{acc}_m - \mathrm{conf}_m|`) is written in the title.

    Parameters
    ----------
    result : CalibrationResult
    ax : Axes, optional
    title : str, optional, prefix of the title (e.g. the model's name)
    color : matplotlib colour of the accuracy bars

    Returns
    -------
    Axes

    Examples
    --------
    >>> import torch
    >>> from ebmbook.metrics import expected_calibration_error
    >>> r = expected_calibration_error(torch.tensor([[0.9, 0.1], [0.3, 0.7]]), torch.tensor([0, 0]))
    >>> ax = plot_reliability_diagram(r, title="toy")

    Used in chapter 8.
    """
    fields = ("ece", "confidence", "accuracy", "counts", "bin_edges")
    if not all(hasattr(result, f) for f in fields):
        raise TypeError("result must be a CalibrationResult from ebmbook.metrics.expected_calibration_error, "
                        f"got {type(result).__name__}")
    ax = _new_axes(ax)
    edges = np.asarray(result.bin_edges, dtype=np.float64)
    width = np.diff(edges)
    filled = np.asarray(result.counts) > 0
    acc = np.where(filled, np.asarray(result.accuracy, dtype=np.float64), 0.0)
    conf = np.where(filled, np.asarray(result.confidence, dtype=np.float64), 0.0)
    ax.bar(edges[:-1], acc, width=width, align="edge", color=color, edgecolor="white", label="accuracy")
    ax.bar(edges[:-1][filled], (conf - acc)[filled], bottom=acc[filled], width=width[filled], align="edge",
           fill=False, edgecolor="tab:red", hatch="//", label="gap to confidence")
    ax.plot([0, 1], [0, 1], ls="--", color="gray", lw=1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    prefix = f"{title}: " if title else ""
    ax.set_title(f"{prefix}ECE = {100 * result.ece:.2f}%")
    ax.legend(loc="upper left", fontsize="small")
    return ax
