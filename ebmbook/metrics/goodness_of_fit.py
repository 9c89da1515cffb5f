"""Goodness-of-fit tests of samples against an exact distribution.

They turn "the sampler matches the exact distribution" into a check with a
stated false-failure probability: a correct sampler fails with probability
``alpha``, whatever the seed. Chapter 2 and the sampler tests use them.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
import torch
from scipy import stats

from ..utils import check_finite, check_positive, check_tensor

# state_index packs the n bits of a configuration into one int64
MAX_INDEX_UNITS = 62

__all__ = ["TestResult", "state_index", "discrete_chi_square", "ks_test"]


class TestResult(NamedTuple):
    """Outcome of a goodness-of-fit test.

    Attributes
    ----------
    statistic : float
    p_value : float, probability of a statistic at least this extreme under the null
    dof : int, degrees of freedom (chi-square) or sample size (KS)
    """

    statistic: float
    p_value: float
    dof: int


def state_index(states: torch.Tensor, values: str = "spin") -> torch.Tensor:
    """Index of each configuration in :func:`ebmbook.exact.iter_states` order, shape ``(batch,)``.

    Parameters
    ----------
    states : Tensor ``(batch, n)`` of spins (``values='spin'``) or bits (``'binary'``)
    """
    check_tensor(states, "states", ndim=2)
    if values == "spin":
        if not bool(((states == 1) | (states == -1)).all()):
            raise ValueError("states must contain only spins -1 and +1")
        bits = (states > 0).long()
    elif values == "binary":
        if not bool(((states == 0) | (states == 1)).all()):
            raise ValueError("states must contain only 0 and 1")
        bits = states.long()
    else:
        raise ValueError(f"values must be 'spin' or 'binary', got {values!r}")
    n = states.shape[1]
    if n > MAX_INDEX_UNITS:
        raise ValueError(f"states must have at most {MAX_INDEX_UNITS} units to be indexed as int64, got {n}")
    weights = 2 ** torch.arange(n - 1, -1, -1, device=states.device)
    return (bits * weights).sum(-1)


def discrete_chi_square(indices: torch.Tensor, probs: torch.Tensor, min_expected: float = 5.0) -> TestResult:
    r"""Pearson chi-square test of independent draws against exact state probabilities.

    States whose expected count is below ``min_expected`` are pooled into one
    bin so the chi-square approximation holds.

    .. math:: X^2 = \sum_k \frac{(O_k - N p_k)^2}{N p_k} \sim \chi^2_{K-1}

    Parameters
    ----------
    indices : Tensor ``(N,)``, state index of each draw (see :func:`state_index`).
        Draws must be independent, e.g. the final states of ``N`` independent chains.
    probs : Tensor ``(K,)``, exact probabilities (e.g. :func:`ebmbook.exact.probabilities`)

    Returns
    -------
    TestResult

    Examples
    --------
    >>> probs = torch.tensor([0.5, 0.25, 0.25])
    >>> draws = torch.multinomial(probs, 2000, replacement=True, generator=torch.Generator().manual_seed(0))
    >>> discrete_chi_square(draws, probs).p_value > 1e-4
    True
    """
    check_tensor(indices, "indices", ndim=1)
    check_tensor(probs, "probs", ndim=1, floating=True)
    if indices.numel() == 0:
        raise ValueError("indices must hold at least one draw")
    if indices.is_floating_point() and not bool((indices == indices.round()).all()):
        raise ValueError("indices must be integer state indices (see state_index), got fractional values")
    if indices.is_complex() or indices.dtype == torch.bool:
        raise TypeError(f"indices must be an integer tensor of state indices, got dtype {indices.dtype}")
    check_finite(probs, "probs")
    min_expected = check_positive(min_expected, "min_expected")
    p = probs.detach().double().cpu().numpy()
    if np.any(p < 0) or abs(p.sum() - 1) > 1e-6:
        raise ValueError("probs must be non-negative and sum to 1")
    idx = indices.detach().long().cpu().numpy()
    if idx.min() < 0 or idx.max() >= len(p):
        raise ValueError(f"indices must lie in [0, {len(p) - 1}]")
    n = len(idx)
    observed = np.bincount(idx, minlength=len(p)).astype(float)
    expected = n * p
    small = expected < min_expected
    if small.any():
        observed = np.append(observed[~small], observed[small].sum())
        expected = np.append(expected[~small], expected[small].sum())
        keep = expected > 0
        observed, expected = observed[keep], expected[keep]
    dof = len(expected) - 1
    if dof < 1:
        raise ValueError("too few draws for a chi-square test: increase the number of draws")
    statistic = float(((observed - expected) ** 2 / expected).sum())
    return TestResult(statistic, float(stats.chi2.sf(statistic, dof)), dof)


def ks_test(samples: torch.Tensor, cdf: Callable[[np.ndarray], np.ndarray]) -> TestResult:
    """Kolmogorov–Smirnov test of independent 1-D draws against an exact CDF.

    Parameters
    ----------
    samples : Tensor ``(N,)``, independent draws (e.g. one per chain)
    cdf : callable mapping a NumPy array to CDF values

    Returns
    -------
    TestResult
    """
    check_tensor(samples, "samples", ndim=1)
    if samples.numel() == 0:
        raise ValueError("samples must hold at least one draw")
    if not callable(cdf):
        raise TypeError(f"cdf must be callable (a NumPy array to CDF values), got {type(cdf).__name__}")
    x = samples.detach().double().cpu().numpy()
    if not np.isfinite(x).all():
        raise ValueError("samples contains NaN or infinite values")
    res = stats.kstest(x, cdf)
    return TestResult(float(res.statistic), float(res.pvalue), len(x))
