"""MCMC diagnostics: trace plots and autocorrelation curves of a batch of chains."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.axes import Axes

from ..utils import check_int
from ._common import _check_finite, _new_axes, _to_numpy

__all__ = ["plot_trace", "plot_autocorrelation"]

#: Chains drawn by :func:`plot_trace` when ``chains`` is not given.
MAX_TRACE_CHAINS = 8


def _chains_2d(samples, dim: int, name: str = "samples") -> np.ndarray:
    """Coordinate ``dim`` of the flattened event as an ``(n_draws, n_chains)`` array."""
    a = _to_numpy(samples, name)
    if a.ndim == 0:
        raise ValueError(f"{name} must have shape (n_draws, n_chains, *event), got a scalar")
    if a.ndim == 1:
        a = a[:, None]
    a = a.reshape(a.shape[0], a.shape[1], -1)
    if a.shape[0] < 2 or a.shape[1] < 1:
        raise ValueError(f"{name} must have shape (n_draws >= 2, n_chains >= 1, *event), got {a.shape}")
    dim = check_int(dim, "dim", minimum=0)
    if dim >= a.shape[2]:
        raise ValueError(f"dim must be < {a.shape[2]} (the flattened event size), got {dim}")
    return _check_finite(a[:, :, dim], name)


def _select_chains(n_chains: int, chains) -> list[int]:
    if chains is None:
        return list(range(min(n_chains, MAX_TRACE_CHAINS)))
    if isinstance(chains, (int, np.integer)) and not isinstance(chains, bool):
        k = check_int(chains, "chains", minimum=1)
        return list(range(min(k, n_chains)))
    idx = [check_int(c, "chains", minimum=0) for c in chains]
    if not idx or max(idx) >= n_chains:
        raise ValueError(f"chains must be non-empty indices below n_chains = {n_chains}, got {chains!r}")
    return idx


def plot_trace(samples, *, dim: int = 0, chains: int | Sequence[int] | None = None,
               ax: Axes | None = None, label: str | None = None) -> Axes:
    """Trace plot: one coordinate of each chain against the step.

    Parameters
    ----------
    samples : Tensor or ndarray, shape ``(n_draws, n_chains, *event)``
        E.g. :attr:`ebmbook.samplers.Trace.samples`. ``(n_draws, n_chains)`` is
        a scalar event and ``(n_draws,)`` a single chain.
    dim : int, index into the flattened event
    chains : int or sequence of int, optional
        How many chains (the first ``chains``) or which ones to draw; at most
        the first 8 by default.
    ax : Axes, optional
    label : str, optional; y-axis label (default ``$x_{dim+1}$``)

    Returns
    -------
    Axes

    Examples
    --------
    >>> import torch
    >>> ax = plot_trace(torch.randn(200, 4, 2), dim=1)

    Used in chapter 2.
    """
    x = _chains_2d(samples, dim)
    idx = _select_chains(x.shape[1], chains)
    ax = _new_axes(ax, figsize=(6.0, 2.8))
    steps = np.arange(x.shape[0])
    for c in idx:
        ax.plot(steps, x[:, c], lw=0.8, alpha=0.85, label=f"chain {c}")
    ax.set_xlabel("step")
    ax.set_ylabel(label if label is not None else f"$x_{{{dim + 1}}}$")
    ax.set_xlim(0, x.shape[0] - 1)
    return ax


def _autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Per-chain autocorrelation of ``x`` ``(n, m)`` by FFT, averaged over chains, lags ``0..max_lag``."""
    n = x.shape[0]
    centred = x - x.mean(axis=0, keepdims=True)
    size = 1 << (2 * n - 1).bit_length()
    f = np.fft.rfft(centred, n=size, axis=0)
    acov = np.fft.irfft(f * np.conj(f), n=size, axis=0)[: max_lag + 1] / n
    var = acov[0]
    ok = var > 0
    if not ok.any():
        raise ValueError("samples are constant in every chain: the autocorrelation is undefined")
    return (acov[:, ok] / var[ok]).mean(axis=1)


def plot_autocorrelation(samples, *, dim: int = 0, max_lag: int = 100, ax: Axes | None = None,
                         label: str | None = None) -> Axes:
    r"""Autocorrelation of one coordinate against the lag, averaged over chains.

    For each chain, :math:`\hat\rho_t = \hat\gamma_t / \hat\gamma_0` with
    :math:`\hat\gamma_t = \frac1n\sum_{i=1}^{n-t}(x_i-\bar x)(x_{i+t}-\bar x)`
    (computed by FFT); the curve is the mean of :math:`\hat\rho_t` over chains
    (chains that never move are left out). The faster it decays, the more
    effective samples a chain yields (see :func:`ebmbook.metrics.effective_sample_size`).

    Parameters
    ----------
    samples : Tensor or ndarray, shape ``(n_draws, n_chains, *event)``
    dim : int, index into the flattened event
    max_lag : int, largest lag shown (capped at ``n_draws - 1``)
    ax : Axes, optional; call again with the same ``ax`` to compare samplers
    label : str, optional; legend label

    Returns
    -------
    Axes

    Examples
    --------
    >>> import torch
    >>> ax = plot_autocorrelation(torch.randn(500, 4, 2), max_lag=20, label="iid")

    Used in chapter 2.
    """
    x = _chains_2d(samples, dim)
    max_lag = min(check_int(max_lag, "max_lag", minimum=1), x.shape[0] - 1)
    rho = _autocorrelation(x, max_lag)
    ax = _new_axes(ax, figsize=(5.0, 3.0))
    ax.plot(np.arange(max_lag + 1), rho, lw=1.2, label=label)
    ax.axhline(0.0, color="grey", lw=0.6)
    ax.set_xlabel("lag")
    ax.set_ylabel("autocorrelation")
    ax.set_xlim(0, max_lag)
    if label is not None:
        ax.legend()
    return ax
