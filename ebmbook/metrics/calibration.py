r"""Calibration of a classifier: the expected calibration error (ECE) and its reliability bins.

A classifier is calibrated when, among inputs it labels with confidence :math:`c`, a
fraction :math:`c` is right. Guo et al. (2017) split the confidences
:math:`\hat p_i = \max_y p(y \mid x_i)` into :math:`M` equal-width bins
:math:`B_m = ((m-1)/M,\ m/M]` and average the gap between accuracy and confidence:

.. math:: \mathrm{ECE} = \sum_{m=1}^{M} \frac{|B_m|}{n}\,
    \big|\operatorname{acc}(B_m) - \operatorname{conf}(B_m)\big| .

Used in chapter 8.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from ..utils import check_int

__all__ = ["CalibrationResult", "expected_calibration_error"]


class CalibrationResult(NamedTuple):
    """What :func:`expected_calibration_error` returns (NumPy float64 arrays, one entry per bin).

    Attributes
    ----------
    ece : float, the expected calibration error in [0, 1]
    confidence : ndarray ``(n_bins,)``, mean confidence in each bin (NaN where empty)
    accuracy : ndarray ``(n_bins,)``, fraction correct in each bin (NaN where empty)
    counts : ndarray ``(n_bins,)`` of int, examples per bin
    bin_edges : ndarray ``(n_bins + 1,)``, from 0 to 1
    """

    ece: float
    confidence: np.ndarray
    accuracy: np.ndarray
    counts: np.ndarray
    bin_edges: np.ndarray


def _as_array(x, name: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
        return x.detach().cpu().numpy()
    if isinstance(x, np.ndarray):
        return x
    raise TypeError(f"{name} must be a torch.Tensor or a NumPy array, got {type(x).__name__}")


def check_probs_and_labels(probs, labels, probs_name: str = "probs",
                           labels_name: str = "labels") -> tuple[np.ndarray, np.ndarray]:
    """Validate class probabilities ``(n, K)`` and integer labels ``(n,)``; return float64 / int64 arrays.

    Raises
    ------
    TypeError
        If either is not a tensor or array, ``probs`` is not real floating-point, or
        ``labels`` is not integer.
    ValueError
        If the shapes disagree, ``n = 0``, ``probs`` holds NaN/inf or values outside
        [0, 1], a row does not sum to 1 (tolerance 1e-3), or a label is outside [0, K).
    """
    p, y = _as_array(probs, probs_name), _as_array(labels, labels_name)
    if p.dtype.kind != "f":
        raise TypeError(f"{probs_name} must be floating-point class probabilities, got dtype {p.dtype}")
    if y.dtype.kind not in "iu":
        raise TypeError(f"{labels_name} must hold integer class labels, got dtype {y.dtype}")
    if p.ndim != 2 or p.shape[1] < 2:
        raise ValueError(f"{probs_name} must have shape (n, n_classes >= 2), got {p.shape}")
    if y.ndim != 1 or y.shape[0] != p.shape[0]:
        raise ValueError(f"{labels_name} must have shape ({p.shape[0]},), one label per row of {probs_name}, "
                         f"got {y.shape}")
    if p.shape[0] == 0:
        raise ValueError(f"{probs_name} must hold at least one example, got shape {p.shape}")
    p = p.astype(np.float64)
    if not np.isfinite(p).all():
        raise ValueError(f"{probs_name} contains NaN or infinite values")
    if p.min() < 0 or p.max() > 1:
        raise ValueError(f"{probs_name} must lie in [0, 1], got values in [{p.min():g}, {p.max():g}]")
    worst = np.abs(p.sum(1) - 1).max()
    if worst > 1e-3:
        raise ValueError(f"{probs_name} rows must sum to 1 (softmax outputs), worst row is off by {worst:.3g}")
    if y.min() < 0 or y.max() >= p.shape[1]:
        raise ValueError(f"{labels_name} must hold classes in [0, {p.shape[1] - 1}], got values in "
                         f"[{y.min()}, {y.max()}]")
    return p, y.astype(np.int64)


def expected_calibration_error(probs, labels, n_bins: int = 15) -> CalibrationResult:
    r"""Expected calibration error with equal-width confidence bins (Guo et al., 2017).

    .. math:: \mathrm{ECE} = \sum_m \frac{|B_m|}{n} \big|\operatorname{acc}(B_m) - \operatorname{conf}(B_m)\big|,
        \qquad B_m = \big(\tfrac{m-1}{M}, \tfrac{m}{M}\big]

    The predicted class is the arg-max of each row (the first one on ties); a confidence
    of exactly 0 falls in the first bin.

    Parameters
    ----------
    probs : Tensor or ndarray ``(n, K)``, class probabilities (rows sum to 1)
    labels : Tensor or ndarray ``(n,)``, integer true classes in ``[0, K)``
    n_bins : int, :math:`M \ge 1` (15 as in Guo et al.)

    Returns
    -------
    CalibrationResult, ``ece`` and the per-bin confidence, accuracy and counts
    (for :func:`ebmbook.plot.plot_reliability_diagram`)

    Examples
    --------
    >>> probs = torch.tensor([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]])
    >>> result = expected_calibration_error(probs, torch.tensor([0, 1, 1]), n_bins=10)
    >>> round(result.ece, 4)  # bins (0.5, 0.6]: |0 - 0.6|, (0.7, 0.8]: |1 - 0.8|, (0.8, 0.9]: |1 - 0.9|
    0.3

    Used in chapter 8.
    """
    p, y = check_probs_and_labels(probs, labels)
    n_bins = check_int(n_bins, "n_bins", minimum=1)
    confidence = p.max(1)
    correct = (p.argmax(1) == y).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # bin m holds (edges[m], edges[m+1]]; searchsorted 'left' on the upper edges gives that
    which = np.clip(np.searchsorted(edges[1:], confidence, side="left"), 0, n_bins - 1)
    counts = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        conf = np.bincount(which, weights=confidence, minlength=n_bins) / counts
        acc = np.bincount(which, weights=correct, minlength=n_bins) / counts
    filled = counts > 0
    ece = float(np.sum(counts[filled] / len(y) * np.abs(acc[filled] - conf[filled])))
    return CalibrationResult(ece, conf, acc, counts, edges)
