r"""MCMC diagnostics: effective sample size, split R-hat and acceptance summaries.

The effective sample size (ESS) and the potential scale reduction factor
(R-hat) follow Vehtari, Gelman, Simpson, Carpenter and Bürkner (2021),
*Rank-normalization, folding, and localization: an improved* :math:`\widehat R`
*for assessing convergence of MCMC*, the algorithm used by Stan, ``posterior``
and ArviZ:

1. every chain is split in half (an odd middle draw is dropped), so a chain
   that drifts looks like two chains that disagree;
2. for the *bulk* diagnostics the pooled draws are replaced by their
   normal scores (rank normalisation), which makes the diagnostics well
   defined for heavy tails and invariant to monotone transformations;
3. autocorrelations are combined over chains, computed with the FFT, and
   truncated with Geyer's initial monotone sequence.

All diagnostics run in float64 and are vectorised over the event
coordinates: ``samples`` of shape ``(n_draws, n_chains, *event)`` give one
number per coordinate, as a tensor of shape ``event``. This is the layout of
:class:`ebmbook.samplers.Trace` samples (``(n_kept, n_chains, ...)``).

Used in chapter 2 (sampling) and wherever a chapter reports how well a
sampler mixes.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch

from ..utils import check_finite

__all__ = [
    "effective_sample_size",
    "rhat",
    "acceptance_summary",
    "AcceptanceSummary",
    "ESS_METHODS",
]

#: Valid values of the ``method`` argument of :func:`effective_sample_size`.
ESS_METHODS: tuple[str, ...] = ("bulk", "tail", "basic")

_MIN_DRAWS = 4


# ---------------------------------------------------------------------------
# input handling
# ---------------------------------------------------------------------------
def _as_float64(x, name: str) -> torch.Tensor:
    """Return ``x`` (tensor or array) as a detached float64 tensor on its device."""
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers, got a NumPy array of dtype {x.dtype}")
        x = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))
    elif isinstance(x, torch.Tensor):
        if x.is_complex():
            raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
        x = x.detach().to(torch.float64)
    else:
        raise TypeError(f"{name} must be a torch.Tensor or numpy.ndarray, got {type(x).__name__}")
    return x


def _check_samples(samples, name: str = "samples") -> torch.Tensor:
    """Validate ``samples`` of shape ``(n_draws, n_chains, *event)`` and return it as float64."""
    x = _as_float64(samples, name)
    if x.ndim < 2:
        raise ValueError(
            f"{name} must have shape (n_draws, n_chains) or (n_draws, n_chains, *event), "
            f"got shape {tuple(x.shape)}; a single chain of draws has shape (n_draws, 1)"
        )
    if x.shape[0] < _MIN_DRAWS:
        raise ValueError(
            f"{name} needs at least {_MIN_DRAWS} draws per chain (dimension 0), "
            f"got shape {tuple(x.shape)}"
        )
    if x.shape[1] < 1:
        raise ValueError(f"{name} needs at least one chain (dimension 1), got shape {tuple(x.shape)}")
    check_finite(x, name)
    return x


# ---------------------------------------------------------------------------
# building blocks, all on (n_draws, n_chains, n_coords) float64 tensors
# ---------------------------------------------------------------------------
def _split_chains(x: torch.Tensor) -> torch.Tensor:
    """Split each chain in half: ``(n, m, C) -> (n // 2, 2 m, C)``; an odd middle draw is dropped."""
    half = x.shape[0] // 2
    return torch.cat((x[:half], x[x.shape[0] - half:]), dim=1)


def _pooled_quantile(x: torch.Tensor, q: float) -> torch.Tensor:
    """Quantile of all draws of each coordinate: ``(n, m, C) -> (C,)``.

    NumPy's default (``"linear"``) rule, with its exact floating-point
    operations, so that ties at the quantile resolve as in NumPy and ArviZ.
    """
    flat = x.reshape(-1, x.shape[-1])
    s = flat.sort(dim=0).values
    size = s.shape[0]
    pos = size * q + (1.0 - q) - 1.0  # NumPy's virtual index for the linear rule
    lo = min(max(math.floor(pos), 0), size - 1)
    hi = min(lo + 1, size - 1)
    t = pos - lo
    diff = s[hi] - s[lo]
    return s[hi] - diff * (1.0 - t) if t >= 0.5 else s[lo] + diff * t


def _rank_normalize(x: torch.Tensor) -> torch.Tensor:
    r"""Normal scores of the pooled draws of each coordinate, same shape as ``x``.

    With :math:`r` the average rank (ties share the mean of their ranks) among
    all :math:`S` draws, :math:`z = \Phi^{-1}\big((r - 3/8) / (S + 1/4)\big)`
    (Blom's offsets).
    """
    shape = x.shape
    flat = x.reshape(-1, shape[-1])  # (S, C)
    size = flat.shape[0]
    sorted_, order = flat.sort(dim=0)
    # Ties: every member of a run of equal values gets the mean of the run's
    # first and last 0-based positions.
    position = torch.arange(size, device=x.device).unsqueeze(1).expand_as(flat)
    starts = torch.ones_like(flat, dtype=torch.bool)
    starts[1:] = sorted_[1:] != sorted_[:-1]
    ends = torch.ones_like(starts)
    ends[:-1] = starts[1:]
    first = torch.where(starts, position, torch.zeros_like(position)).cummax(dim=0).values
    last = torch.where(ends, position, torch.full_like(position, size)).flip(0).cummin(dim=0).values.flip(0)
    rank_sorted = (first + last).to(torch.float64) / 2.0 + 1.0  # average 1-based rank
    rank = torch.empty_like(rank_sorted).scatter_(0, order, rank_sorted)
    z = torch.special.ndtri((rank - 0.375) / (size + 0.25))
    return z.reshape(shape)


def _autocovariance(x: torch.Tensor) -> torch.Tensor:
    r"""Biased per-chain autocovariance via the FFT: ``(n, m, C) -> (n, m, C)``.

    :math:`\hat\gamma_t = \frac1n \sum_{i=0}^{n-t-1} (x_i - \bar x)(x_{i+t} - \bar x)`.
    """
    n = x.shape[0]
    centred = x - x.mean(dim=0, keepdim=True)
    n_fft = 1 << (2 * n - 1).bit_length()  # power of two >= 2n: no circular wrap-around
    f = torch.fft.rfft(centred, n=n_fft, dim=0)
    return torch.fft.irfft(f * f.conj(), n=n_fft, dim=0)[:n] / n


def _constant(x: torch.Tensor) -> torch.Tensor:
    """Coordinates whose draws are all equal: ``(n, m, C) -> (C,)`` bool."""
    flat = x.reshape(-1, x.shape[-1])
    return flat.amax(dim=0) == flat.amin(dim=0)


def _ess_split(x: torch.Tensor) -> torch.Tensor:
    r"""ESS of already split chains ``(n, m, C)``, returned with shape ``(C,)``.

    Multi-chain autocorrelation (Vehtari et al. 2021)
    :math:`\hat\rho_t = 1 - (W - \overline{\hat\gamma}_t) / \widehat{\mathrm{var}}^+`,
    summed in pairs :math:`P_k = \hat\rho_{2k} + \hat\rho_{2k+1}` up to the first
    non-positive pair (Geyer's initial positive sequence), made non-increasing
    (initial monotone sequence), then :math:`\hat\tau = -1 + 2\sum_{k<J} P_k +
    \hat\rho_{2J}` and :math:`\mathrm{ESS} = nm / \max(\hat\tau, 1/\log_{10}(nm))`.
    The index bounds follow ArviZ so the numbers agree with it.
    """
    n, m = x.shape[0], x.shape[1]
    acov = _autocovariance(x).mean(dim=1)  # (n, C), averaged over chains
    within = acov[0] * n / (n - 1)  # W: mean within-chain variance
    var_plus = within * (n - 1) / n + x.mean(dim=0).var(dim=0, correction=1)
    rho = 1.0 - (within - acov) / var_plus  # (n, C)
    rho[0] = 1.0

    n_pairs = 1 + max(0, (n - 3) // 2)  # pairs (2k, 2k+1) that ArviZ's loop may visit
    pairs = rho[0:2 * n_pairs:2] + rho[1:2 * n_pairs:2]  # (n_pairs, C)
    # J: the first non-positive pair, or the last pair visited if all are positive.
    n_positive = torch.cumprod((pairs > 0).to(torch.int64), dim=0).sum(dim=0)
    stop = n_positive.clamp(max=n_pairs - 1)  # (C,)
    k = torch.arange(n_pairs, device=x.device).unsqueeze(1)
    monotone = torch.cummin(pairs, dim=0).values
    head = torch.where(k < stop, monotone, torch.zeros_like(monotone)).sum(dim=0)
    rho_even = rho.gather(0, (2 * stop).unsqueeze(0)).squeeze(0)
    pair_stop = pairs.gather(0, stop.unsqueeze(0)).squeeze(0)
    # The half pair at J lowers the variance for antithetic chains; a negative
    # even term is only kept when its pair was accepted (ArviZ's convention).
    tail = torch.where(pair_stop >= 0, rho_even, rho_even.clamp(min=0.0))
    total = n * m
    tau = (-1.0 + 2.0 * head + tail).clamp(min=1.0 / math.log10(total))
    ess = total / tau
    return torch.where(_constant(x), torch.full_like(ess, float("nan")), ess)


def _rhat_split(x: torch.Tensor) -> torch.Tensor:
    r"""Classic R-hat of already split chains ``(n, m, C)`` -> ``(C,)``.

    :math:`\widehat R = \sqrt{\big(\tfrac{n-1}{n} W + \tfrac1n B\big) / W}` with
    :math:`B = n\,\mathrm{var}(\bar x_{\cdot j})` and :math:`W` the mean
    within-chain variance.
    """
    n = x.shape[0]
    between = n * x.mean(dim=0).var(dim=0, correction=1)
    within = x.var(dim=0, correction=1).mean(dim=0)
    value = torch.sqrt((between / within + n - 1) / n)
    return torch.where(_constant(x), torch.full_like(value, float("nan")), value)


def _flatten_event(x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, ...]]:
    event = tuple(x.shape[2:])
    return x.reshape(x.shape[0], x.shape[1], -1), event


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------
def effective_sample_size(samples: torch.Tensor | np.ndarray, method: str = "bulk") -> torch.Tensor:
    r"""Effective sample size of every coordinate of multi-chain MCMC output.

    The ESS is the number of independent draws that would estimate the mean
    (``"bulk"``, ``"basic"``) or the tails (``"tail"``) as precisely as the
    correlated draws do: :math:`\mathrm{ESS} = nm/\hat\tau` with the integrated
    autocorrelation time

    .. math::
        \hat\tau = -1 + 2\sum_{k=0}^{J-1}\big(\hat\rho_{2k} + \hat\rho_{2k+1}\big)
                   + \hat\rho_{2J},
        \qquad
        \hat\rho_t = 1 - \frac{W - \frac1m\sum_j \hat\gamma_{t,j}}{\widehat{\mathrm{var}}^+},

    computed on split chains, where :math:`\hat\gamma_{t,j}` is the lag-:math:`t`
    autocovariance of chain :math:`j` (via the FFT), :math:`W` the mean
    within-chain variance, :math:`\widehat{\mathrm{var}}^+` the pooled variance
    estimate, and the pair sums are truncated at the first non-positive pair and
    made non-increasing (Geyer's initial monotone sequence). The estimate is
    capped at :math:`nm\log_{10}(nm)`.

    Parameters
    ----------
    samples : Tensor or ndarray, shape ``(n_draws, n_chains)`` or ``(n_draws, n_chains, *event)``
        Draws in the :class:`~ebmbook.samplers.Trace` layout (draw index first,
        chain index second). At least 4 draws per chain; finite values only.
        Integer and boolean input are allowed (e.g. indicator chains).
    method : {"bulk", "tail", "basic"}
        ``"bulk"`` (default): ESS of the rank-normalised draws, the recommended
        diagnostic for means and medians. ``"tail"``: the minimum of the ESS
        of the indicators :math:`I(x \le q_{0.05})` and :math:`I(x \le q_{0.95})`,
        for interval estimates (if one indicator is constant, as happens with
        ties at an extreme value, the other one is used). ``"basic"``: the classic split-chain ESS of
        the raw draws (assumes a finite variance).

    Returns
    -------
    Tensor, float64, shape ``event`` (0-d for 2-D input)
        ESS per coordinate, on the device of ``samples``. A coordinate whose
        (transformed) draws are all equal has no defined ESS and gets NaN.

    Raises
    ------
    TypeError
        If ``samples`` is not a real tensor/array or ``method`` is not a string.
    ValueError
        If ``samples`` has fewer than 2 dimensions or 4 draws, holds NaN/inf,
        or ``method`` is unknown.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> draws = torch.randn(1000, 4, 2, generator=g)  # iid: ESS close to 4000
    >>> ess = effective_sample_size(draws)
    >>> ess.shape
    torch.Size([2])
    >>> bool(((ess > 3000) & (ess < 5000)).all())
    True

    Used in chapter 2 (sampling).
    """
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, one of {ESS_METHODS}, got {type(method).__name__}")
    if method not in ESS_METHODS:
        raise ValueError(f"method must be one of {ESS_METHODS}, got {method!r}")
    x, event = _flatten_event(_check_samples(samples))
    if method == "basic":
        ess = _ess_split(_split_chains(x))
    elif method == "bulk":
        ess = _ess_split(_rank_normalize(_split_chains(x)))
    else:
        per_quantile = []
        for q in (0.05, 0.95):
            indicator = (x <= _pooled_quantile(x, q)).to(torch.float64)
            per_quantile.append(_ess_split(_split_chains(indicator)))
        # A constant indicator (ties at an extreme quantile) has no ESS; use the other.
        ess = torch.fmin(*per_quantile)
    return ess.reshape(event)


def rhat(samples: torch.Tensor | np.ndarray) -> torch.Tensor:
    r"""Rank-normalised split R-hat of every coordinate (Vehtari et al. 2021).

    The larger of the *bulk* R-hat (split chains, rank-normalised) and the
    *tail* R-hat (the same after folding the draws about their median,
    :math:`|x - \operatorname{median}(x)|`, which detects chains that agree in
    location but not in scale). Each is

    .. math::
        \widehat R = \sqrt{\frac{\frac{n-1}{n} W + \frac1n B}{W}},
        \qquad B = \frac{n}{m-1}\sum_j(\bar z_{\cdot j} - \bar z_{\cdot\cdot})^2,
        \quad W = \frac1m\sum_j s_j^2,

    on :math:`m` split chains of length :math:`n`. Values below 1.01 indicate
    that the chains agree; well above 1 means they have not mixed.

    Parameters
    ----------
    samples : Tensor or ndarray, shape ``(n_draws, n_chains)`` or ``(n_draws, n_chains, *event)``
        At least 4 finite draws per chain; one chain is allowed (it is split in two).

    Returns
    -------
    Tensor, float64, shape ``event`` (0-d for 2-D input)
        R-hat per coordinate, on the device of ``samples``; NaN for a
        coordinate whose draws are all equal, ``inf`` when every chain is
        constant but the chains differ.

    Raises
    ------
    TypeError, ValueError
        As for :func:`effective_sample_size`.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> draws = torch.randn(1000, 4, generator=g)
    >>> float(rhat(draws)) < 1.01
    True
    >>> draws[:, 0] += 3.0  # one chain stuck elsewhere
    >>> float(rhat(draws)) > 1.1
    True

    Used in chapter 2 (sampling).
    """
    x, event = _flatten_event(_check_samples(samples))
    split = _split_chains(x)
    bulk = _rhat_split(_rank_normalize(split))
    median = _pooled_quantile(split, 0.5)
    folded = (split - median).abs()
    tail = _rhat_split(_rank_normalize(folded))
    return torch.maximum(bulk, tail).reshape(event)


class AcceptanceSummary(NamedTuple):
    """Summary of Metropolis acceptance probabilities over steps and chains.

    Attributes
    ----------
    mean : float
        Mean over all steps and chains.
    per_chain : Tensor, float64, shape ``(n_chains,)``
        Mean over steps of each chain.
    min_chain : float
        Smallest per-chain mean (a chain that is stuck shows up here).
    max_chain : float
        Largest per-chain mean.
    """

    mean: float
    per_chain: torch.Tensor
    min_chain: float
    max_chain: float


def acceptance_summary(acceptance: torch.Tensor | np.ndarray) -> AcceptanceSummary:
    r"""Summarise per-step, per-chain acceptance probabilities.

    With :math:`a_{tj}` the acceptance probability (or 0/1 accept indicator)
    of step :math:`t` in chain :math:`j`, the per-chain means are
    :math:`\bar a_j = \frac1T\sum_t a_{tj}` and the overall mean
    :math:`\bar a = \frac1m\sum_j \bar a_j`.

    Parameters
    ----------
    acceptance : Tensor or ndarray, shape ``(n_steps, n_chains)``
        Values in :math:`[0, 1]`; boolean accept indicators are allowed.

    Returns
    -------
    AcceptanceSummary
        ``mean``, ``per_chain`` (float64 tensor on the input's device,
        shape ``(n_chains,)``), ``min_chain`` and ``max_chain``.

    Raises
    ------
    TypeError
        If ``acceptance`` is not a real tensor/array.
    ValueError
        If it is not 2-D, is empty, holds NaN/inf or values outside [0, 1].

    Examples
    --------
    >>> acc = torch.tensor([[1.0, 0.5], [0.0, 0.5]])
    >>> s = acceptance_summary(acc)
    >>> s.mean, s.per_chain.tolist(), s.min_chain, s.max_chain
    (0.5, [0.5, 0.5], 0.5, 0.5)

    Used in chapter 2 (sampling).
    """
    a = _as_float64(acceptance, "acceptance")
    if a.ndim != 2:
        raise ValueError(
            f"acceptance must have shape (n_steps, n_chains), got shape {tuple(a.shape)}"
        )
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(
            f"acceptance needs at least one step and one chain, got shape {tuple(a.shape)}"
        )
    check_finite(a, "acceptance")
    if not bool(((a >= 0) & (a <= 1)).all()):
        raise ValueError("acceptance must hold probabilities in [0, 1]")
    per_chain = a.mean(dim=0)
    return AcceptanceSummary(
        mean=float(per_chain.mean()),
        per_chain=per_chain,
        min_chain=float(per_chain.min()),
        max_chain=float(per_chain.max()),
    )
