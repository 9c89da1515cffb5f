r"""Out-of-distribution (OOD) detection: four scores, AUROC, FPR at 95% TPR and a thresholding detector.

Every score follows one convention: **higher means more in-distribution**. From a
classifier's logits :math:`f(x) \in \mathbb R^K`:

- max softmax probability (Hendrycks & Gimpel, 2017): :math:`\max_y \operatorname{softmax} f(x)_y`;
- energy score (Liu et al., 2020): :math:`T \log \sum_y e^{f(x)[y]/T} = -E_T(x)`;
- JEM's :math:`\log p(x)` up to the constant :math:`\log Z` (Grathwohl et al., 2019):
  :math:`\log \sum_y e^{f(x)[y]} = -E(x)` (the energy score at :math:`T = 1`);
- gradient norm (Grathwohl et al.'s "approximate mass"): :math:`-\lVert \nabla_x \log p(x) \rVert`,
  small near a mode of :math:`p(x)`.

Used in chapter 8.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch

from ..utils import _check_real, check_positive, check_tensor

__all__ = ["auroc", "fpr_at_tpr", "OODDetector", "max_softmax_score", "energy_score", "log_px_score",
           "gradient_norm_score"]


def _scores(x, name: str) -> np.ndarray:
    """A 1-D, non-empty, finite float64 array of scores, or an error naming ``name``."""
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            raise TypeError(f"{name} must hold real scores, got dtype {x.dtype}")
        x = x.detach().cpu().numpy()
    elif not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a torch.Tensor or a NumPy array of scores, got {type(x).__name__}")
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real scores, got dtype {x.dtype}")
    if x.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one score per example), got shape {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one score, got an empty array")
    x = x.astype(np.float64)
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def auroc(score_in, score_out) -> float:
    r"""Area under the ROC curve for telling in-distribution (positive) from OOD inputs by score.

    .. math:: \mathrm{AUROC} = P(s_{\text{in}} > s_{\text{out}}) + \tfrac12 P(s_{\text{in}} = s_{\text{out}})

    computed exactly from mid-ranks (the Mann–Whitney statistic), so ties count one half;
    it equals ``sklearn.metrics.roc_auc_score`` with in-distribution as the positive class.

    Parameters
    ----------
    score_in : Tensor or ndarray ``(n_in,)``, scores of in-distribution inputs (higher = more typical)
    score_out : Tensor or ndarray ``(n_out,)``, scores of OOD inputs

    Returns
    -------
    float in [0, 1]; 0.5 is chance, 1 a perfect separation

    Examples
    --------
    >>> auroc(torch.tensor([3.0, 2.0]), torch.tensor([1.0, 2.0]))
    0.875

    Used in chapter 8.
    """
    s_in, s_out = _scores(score_in, "score_in"), _scores(score_out, "score_out")
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([s_in, s_out]))   # average ranks: ties share one
    n_in, n_out = len(s_in), len(s_out)
    u = ranks[:n_in].sum() - n_in * (n_in + 1) / 2.0
    return float(u / (n_in * n_out))


def _threshold(s_in: np.ndarray, tpr: float) -> float:
    """The largest threshold :math:`t` with at least a fraction ``tpr`` of ``s_in`` at or above it."""
    k = max(1, math.ceil(tpr * len(s_in) - 1e-9))
    return float(np.sort(s_in)[::-1][k - 1])


def _check_tpr(tpr) -> float:
    tpr = _check_real(tpr, "tpr")
    if not 0.0 < tpr <= 1.0:
        raise ValueError(f"tpr must lie in (0, 1], got {tpr}")
    return tpr


def fpr_at_tpr(score_in, score_out, tpr: float = 0.95) -> float:
    r"""False-positive rate at the threshold that keeps a fraction ``tpr`` of in-distribution inputs.

    The threshold :math:`t` is the largest value with :math:`\#\{s_{\text{in}} \ge t\} \ge
    \lceil \text{tpr} \cdot n_{\text{in}} \rceil`; the result is the fraction of OOD scores
    :math:`\ge t` (OOD inputs wrongly accepted). Lower is better; FPR\@95 is ``tpr=0.95``.

    Parameters
    ----------
    score_in, score_out : Tensor or ndarray ``(n,)``, as in :func:`auroc`
    tpr : float in (0, 1]

    Examples
    --------
    >>> fpr_at_tpr(torch.arange(100.0), torch.tensor([-1.0, 4.5, 50.0]), tpr=0.95)
    0.3333333333333333

    Used in chapter 8.
    """
    s_in, s_out = _scores(score_in, "score_in"), _scores(score_out, "score_out")
    t = _threshold(s_in, _check_tpr(tpr))
    return float(np.mean(s_out >= t))


class OODDetector:
    r"""Flag inputs whose score falls below a threshold fitted on in-distribution scores.

    :meth:`fit` sets the threshold so that a fraction ``tpr`` of the in-distribution scores
    pass (for an energy, :math:`-E`, that is: flag :math:`x` when :math:`E(x)` exceeds the
    95th percentile of in-distribution energies).

    Parameters
    ----------
    tpr : float in (0, 1], the fraction of in-distribution inputs kept

    Attributes
    ----------
    threshold : float, set by :meth:`fit`

    Examples
    --------
    >>> detector = OODDetector(tpr=0.95).fit(torch.arange(100.0))
    >>> detector.predict(torch.tensor([-3.0, 50.0])).tolist()
    [True, False]

    Used in chapter 8.
    """

    def __init__(self, tpr: float = 0.95):
        self.tpr = _check_tpr(tpr)
        self.threshold: float | None = None

    def fit(self, score_in) -> "OODDetector":
        """Fit the threshold on in-distribution scores ``(n,)``; returns ``self``."""
        self.threshold = _threshold(_scores(score_in, "score_in"), self.tpr)
        return self

    def predict(self, scores) -> np.ndarray:
        """Boolean array ``(n,)``: True where an input is flagged out-of-distribution (score < threshold)."""
        if self.threshold is None:
            raise RuntimeError("OODDetector is not fitted: call fit(score_in) first")
        return _scores(scores, "scores") < self.threshold

    def false_positive_rate(self, score_out) -> float:
        """Fraction of OOD ``score_out`` that the detector accepts as in-distribution."""
        return float(1.0 - self.predict(score_out).mean())


def _logits(logits, name: str = "logits") -> torch.Tensor:
    check_tensor(logits, name, ndim=2, floating=True)
    if logits.shape[1] < 2 or logits.shape[0] == 0:
        raise ValueError(f"{name} must have shape (batch >= 1, n_classes >= 2), got {tuple(logits.shape)}")
    if not bool(torch.isfinite(logits).all()):
        raise ValueError(f"{name} contains NaN or infinite values")
    return logits.detach()


def max_softmax_score(logits: torch.Tensor) -> torch.Tensor:
    r"""Maximum softmax probability :math:`\max_y \operatorname{softmax} f(x)_y`, shape ``(batch,)``.

    Examples
    --------
    >>> max_softmax_score(torch.tensor([[0.0, 0.0], [5.0, 0.0]])).round(decimals=3)
    tensor([0.5000, 0.9930])

    Used in chapter 8.
    """
    return torch.softmax(_logits(logits), dim=1).amax(1)


def energy_score(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    r"""Liu et al.'s energy score :math:`-E_T(x) = T \log \sum_y e^{f(x)[y]/T}`, shape ``(batch,)``.

    At :math:`T = 1` it is :func:`log_px_score`; :math:`T \to 0` gives the max logit.

    Examples
    --------
    >>> round(energy_score(torch.zeros(1, 4)).item(), 4)  # log 4
    1.3863

    Used in chapter 8.
    """
    t = check_positive(temperature, "temperature")
    return t * torch.logsumexp(_logits(logits) / t, dim=1)


def log_px_score(logits: torch.Tensor) -> torch.Tensor:
    r"""JEM's :math:`\log p(x) + \log Z = \log \sum_y e^{f(x)[y]} = -E(x)`, shape ``(batch,)``.

    Examples
    --------
    >>> round(log_px_score(torch.tensor([[0.0, 0.0]])).item(), 4)  # log 2
    0.6931

    Used in chapter 8.
    """
    return torch.logsumexp(_logits(logits), dim=1)


def gradient_norm_score(energy: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    r"""Negative input-gradient norm :math:`-\lVert \nabla_x E(x) \rVert = -\lVert \nabla_x \log p(x) \rVert`.

    Parameters
    ----------
    energy : callable ``(batch, *event_shape) -> (batch,)``, differentiable (e.g. a JEM)
    x : Tensor ``(batch, *event_shape)``

    Returns
    -------
    Tensor ``(batch,)``, detached, at most 0

    Examples
    --------
    >>> gradient_norm_score(lambda x: 0.5 * x.pow(2).sum(1), torch.tensor([[3.0, 4.0]]))
    tensor([-5.])

    Used in chapter 8.
    """
    if not callable(energy):
        raise TypeError(f"energy must be callable (batch, *event_shape) -> (batch,), got {type(energy).__name__}")
    check_tensor(x, "x", min_ndim=1, floating=True)
    if x.shape[0] == 0:
        raise ValueError("x must hold at least one input, got an empty batch")
    if not bool(torch.isfinite(x).all()):
        raise ValueError("x contains NaN or infinite values")
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        e = energy(x)
        if not isinstance(e, torch.Tensor) or e.shape != (x.shape[0],):
            raise ValueError(f"energy must return a tensor of shape (batch,) = ({x.shape[0]},)")
        if not e.requires_grad:
            raise TypeError("energy is not differentiable with respect to x")
        (grad,) = torch.autograd.grad(e.sum(), x)
    return -grad.flatten(1).norm(dim=1).detach()
