r"""Random spin patterns and their corruption: the data of associative memories.

:func:`random_patterns` draws the i.i.d. :math:`\pm 1` patterns of Hopfield's
capacity theory (optionally biased), and :func:`flip_spins` corrupts patterns
by flipping an exact fraction of their units, so a probe starts at a known
overlap with its pattern.

One device rule for every random draw: the numbers are drawn on the
generator's device (the global PyTorch RNG on the CPU without a generator),
unless a tensor argument fixes the device; then the generator must be on that
device, or a ``ValueError`` naming ``generator`` is raised. Same seed, same
device, same numbers.

Used in chapter 3 (and by :func:`ebmbook.widgets.corrupt_and_recall`).
"""
from __future__ import annotations

import torch

from ..utils import check_device, check_generator, check_int, check_probability, check_spins, check_tensor

__all__ = ["random_patterns", "flip_spins"]


def random_patterns(n_patterns: int, n_units: int, *, bias: float = 0.0,
                    generator: torch.Generator | None = None,
                    device: torch.device | str | None = None,
                    dtype: torch.dtype = torch.float32) -> torch.Tensor:
    r"""I.i.d. random spin patterns :math:`\xi^\mu_i \in \{-1, +1\}` with mean ``bias``.

    Every unit of every pattern is independently :math:`+1` with probability
    :math:`(1 + b)/2` and :math:`-1` otherwise, so :math:`\mathbb E[\xi_i] = b`.
    ``bias=0`` gives the unbiased patterns of Hopfield's capacity
    :math:`P/N \approx 0.138`; biased (correlated) patterns lower it.

    Parameters
    ----------
    n_patterns : int, at least 1, the number :math:`P` of patterns
    n_units : int, at least 1, the number :math:`N` of units
    bias : float in [-1, 1], the mean :math:`b` of each unit
    generator : torch.Generator, optional
        The uniforms are drawn on the generator's device (the global RNG on the
        CPU without one) and then moved to ``device``: the same seed gives the
        same patterns on every output device.
    device : torch.device or str, optional; default the generator's device (CPU without one)
    dtype : torch.dtype, floating point

    Returns
    -------
    Tensor ``(n_patterns, n_units)`` of ±1

    Examples
    --------
    >>> xi = random_patterns(3, 100, generator=torch.Generator().manual_seed(0))
    >>> xi.shape, sorted(xi.unique().tolist())
    (torch.Size([3, 100]), [-1.0, 1.0])

    Used in chapter 3.
    """
    n_patterns = check_int(n_patterns, "n_patterns", minimum=1)
    n_units = check_int(n_units, "n_units", minimum=1)
    if isinstance(bias, bool) or not isinstance(bias, (int, float)) or not -1.0 <= bias <= 1.0:
        raise ValueError(f"bias must be a number in [-1, 1] (the mean of each unit), got {bias!r}")
    check_generator(generator)
    device = check_device(device)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype such as torch.float32, got {dtype!r}")
    draw_device = generator.device if generator is not None else torch.device("cpu")
    u = torch.rand(n_patterns, n_units, generator=generator, device=draw_device)
    # u < P(-1) = (1 - b) / 2 -> -1: with b = 0 this is the book's `rand < 0.5 -> -1`.
    xi = torch.where(u < (1.0 - float(bias)) / 2.0, -1.0, 1.0)
    return xi.to(device=draw_device if device is None else device, dtype=dtype)


def flip_spins(patterns: torch.Tensor, flip_fraction: float, *,
               generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Corrupt spin patterns by flipping a fixed fraction of their units.

    In every pattern exactly :math:`k = \operatorname{round}(f N)` units, chosen
    uniformly at random without replacement, change sign, so the overlap of the
    corrupted pattern with the original is exactly :math:`m = 1 - 2k/N`.

    Parameters
    ----------
    patterns : Tensor ``(N,)`` or ``(batch, N)`` of ±1
    flip_fraction : float in [0, 1], the fraction :math:`f` of units to flip
    generator : torch.Generator, optional
        On the patterns' device (the random choice is drawn there); a generator
        on another device is a ``ValueError``.

    Returns
    -------
    Tensor, same shape, dtype and device as ``patterns``

    Examples
    --------
    >>> x = torch.ones(2, 10)
    >>> (flip_spins(x, 0.3, generator=torch.Generator().manual_seed(0)) == -1).sum(-1)
    tensor([3, 3])

    Used in chapter 3 (and by :func:`ebmbook.widgets.corrupt_and_recall`).
    """
    check_tensor(patterns, "patterns")
    if patterns.ndim not in (1, 2) or patterns.shape[-1] == 0:
        raise ValueError(f"patterns must have shape (N,) or (batch, N) with N >= 1, got {tuple(patterns.shape)}")
    check_spins(patterns, "patterns")
    flip_fraction = check_probability(flip_fraction, "flip_fraction")
    check_generator(generator, device=patterns.device)
    batch = patterns.reshape(-1, patterns.shape[-1])
    n = batch.shape[1]
    k = int(round(flip_fraction * n))
    out = batch.clone()
    if k > 0:
        # The first k entries of a random permutation per row: k distinct units, uniformly.
        scores = torch.rand(batch.shape, generator=generator, device=patterns.device)
        idx = scores.argsort(dim=-1)[:, :k]
        out.scatter_(1, idx, -out.gather(1, idx))
    return out.reshape(patterns.shape)
