r"""The histogram of the total magnetisation of sampled spin configurations.

The sample counterpart of :func:`ebmbook.exact.magnetisation_distribution`:
for draws :math:`s^{(1)}, \dots, s^{(N)}` of :math:`n` spins, the fraction with
each value of :math:`M = \sum_i s_i \in \{-n, -n + 2, \dots, n\}`.
"""
from __future__ import annotations

import torch

from ..utils import check_spins, check_tensor

__all__ = ["magnetisation_histogram"]


def magnetisation_histogram(spins: torch.Tensor) -> torch.Tensor:
    r"""Empirical distribution of the total magnetisation :math:`M = \sum_i s_i` of a batch of spins.

    .. math:: \hat P(M = 2k - n) = \frac1N\,\#\Big\{j : \sum_i s^{(j)}_i = 2k - n\Big\},
              \qquad k = 0, \dots, n .

    Parameters
    ----------
    spins : Tensor ``(N, n)``, ``N >= 1`` configurations of ``n >= 1`` spins in :math:`\{-1, +1\}`
        (any dtype), e.g. the final states of ``N`` independent chains

    Returns
    -------
    Tensor ``(n + 1,)``, float64, on ``spins``' device, summing to 1; entry ``k`` is the
    fraction with :math:`M = 2k - n`, in the order of
    :func:`ebmbook.exact.magnetisation_distribution`.

    Raises
    ------
    TypeError
        If ``spins`` is not a tensor.
    ValueError
        If ``spins`` is not ``(N >= 1, n >= 1)`` or holds values other than -1 and +1.

    Examples
    --------
    >>> magnetisation_histogram(torch.tensor([[1., 1.], [1., -1.], [-1., 1.], [1., 1.]]))
    tensor([0.0000, 0.5000, 0.5000], dtype=torch.float64)

    Used in chapter 2.
    """
    check_tensor(spins, "spins", ndim=2)
    if spins.shape[0] == 0 or spins.shape[1] == 0:
        raise ValueError(f"spins must have shape (N >= 1, n >= 1), got {tuple(spins.shape)}")
    check_spins(spins, "spins")
    n = spins.shape[1]
    index = ((spins.sum(-1) + n) / 2).round().long()           # M = 2k - n  ->  k
    counts = torch.bincount(index, minlength=n + 1).double()
    return counts / counts.sum()
