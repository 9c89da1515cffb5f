r"""Mode coverage of samples: the nearest mode of each sample, how far it is, and the share per mode.

For a target with known mode centres :math:`\mu_1, \dots, \mu_K` (a Gaussian
mixture, a toy 2-D data set), two summaries tell a collapsed sampler from a
healthy one: how concentrated the samples are around the centres,
:math:`\min_k \lVert x - \mu_k\rVert^2`, and which fraction of the samples lies
nearest to each centre (a sampler that misses a mode, or ignores the weights,
gets the fractions wrong). Applied to the points of an
:func:`ebmbook.exact.grid_quadrature` grid they also give the exact values.
"""
from __future__ import annotations

from typing import NamedTuple

import torch

from ..utils import check_finite, check_tensor

__all__ = ["NearestMode", "nearest_mode", "mode_fractions"]


class NearestMode(NamedTuple):
    """The mode centre nearest to each sample.

    Attributes
    ----------
    index : Tensor ``(n,)``, int64, the index :math:`k` of the nearest centre
    squared_distance : Tensor ``(n,)``, :math:`\\min_k \\lVert x - \\mu_k \\rVert^2`
    """

    index: torch.Tensor
    squared_distance: torch.Tensor


def _check_points_and_modes(x: torch.Tensor, modes: torch.Tensor) -> torch.Tensor:
    check_tensor(x, "x", ndim=2, floating=True)
    check_finite(x, "x")
    check_tensor(modes, "modes", ndim=2, floating=True)
    check_finite(modes, "modes")
    if modes.shape[0] == 0:
        raise ValueError("modes must hold at least one centre: shape (K, d) with K >= 1")
    if modes.shape[1] != x.shape[1]:
        raise ValueError(f"modes must have shape (K, {x.shape[1]}) to match x of shape {tuple(x.shape)}, "
                         f"got {tuple(modes.shape)}")
    return modes.to(device=x.device, dtype=x.dtype)


def nearest_mode(x: torch.Tensor, modes: torch.Tensor) -> NearestMode:
    r"""The nearest mode centre of each sample and the squared distance to it.

    .. math:: k^*(x) = \operatorname*{arg\,min}_k \lVert x - \mu_k\rVert, \qquad
              \text{squared distance} = \min_k \lVert x - \mu_k \rVert^2 .

    Parameters
    ----------
    x : Tensor ``(n, d)``, real floating point, finite (``n = 0`` gives empty results)
    modes : Tensor ``(K, d)``, the centres :math:`\mu_k` (e.g. ``GaussianMixture.means``);
        moved to ``x``'s device and dtype

    Returns
    -------
    NearestMode, tensors on ``x``'s device (ties go to the lowest index)

    Raises
    ------
    TypeError
        If ``x`` or ``modes`` is not a real floating tensor.
    ValueError
        If a shape is wrong (``x`` not ``(n, d)``, ``modes`` not ``(K >= 1, d)``) or either holds NaN/inf.

    Examples
    --------
    >>> modes = torch.tensor([[-1.0, 0.0], [1.0, 0.0]])
    >>> nearest_mode(torch.tensor([[-2.0, 0.0], [0.5, 1.0]]), modes)
    NearestMode(index=tensor([0, 1]), squared_distance=tensor([1.0000, 1.2500]))

    Used in chapter 2 (how far cold Langevin chains collapse onto the modes), and in chapters 5 and 6.
    """
    modes = _check_points_and_modes(x, modes)
    # Differences, not cdist's |x|^2 + |mu|^2 - 2 x.mu matrix-product path (its default beyond 25
    # rows), which cancels catastrophically for points close to a mode: the very case measured here.
    distance = torch.cdist(x, modes, compute_mode="donot_use_mm_for_euclid_dist")
    return NearestMode(distance.argmin(-1), distance.pow(2).min(-1).values)


def mode_fractions(x: torch.Tensor, modes: torch.Tensor) -> torch.Tensor:
    r"""Fraction of the samples nearest to each mode centre.

    .. math:: f_k = \frac{1}{n}\,\#\{i : k^*(x_i) = k\}, \qquad \sum_k f_k = 1,

    with :math:`k^*` as in :func:`nearest_mode`. Compare with the target's
    weights, or (for the basins of nearest-centre cells) with exact fractions from
    :meth:`ebmbook.exact.GridDensity.expectation`.

    Parameters
    ----------
    x : Tensor ``(n, d)``, ``n >= 1``, real floating point, finite
    modes : Tensor ``(K, d)``

    Returns
    -------
    Tensor ``(K,)``, float64, on ``x``'s device

    Raises
    ------
    TypeError
        If ``x`` or ``modes`` is not a real floating tensor.
    ValueError
        If a shape is wrong, ``x`` is empty, or either holds NaN/inf.

    Examples
    --------
    >>> modes = torch.tensor([[-1.0, 0.0], [1.0, 0.0]])
    >>> mode_fractions(torch.tensor([[-2.0, 0.0], [0.5, 1.0], [3.0, 0.0], [2.0, 2.0]]), modes)
    tensor([0.2500, 0.7500], dtype=torch.float64)

    Used in chapters 2, 5 and 6.
    """
    check_tensor(x, "x", ndim=2, floating=True)
    if x.shape[0] == 0:
        raise ValueError("x must hold at least one sample: shape (n, d) with n >= 1")
    index = nearest_mode(x, modes).index
    counts = torch.bincount(index, minlength=modes.shape[0]).double()
    return counts / counts.sum()
