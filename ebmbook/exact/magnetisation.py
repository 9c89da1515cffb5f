r"""The exact distribution of the total magnetisation of a spin system, by enumeration.

For :math:`n` spins :math:`s_i \in \{-1, +1\}` the total magnetisation
:math:`M = \sum_i s_i` takes the :math:`n + 1` values :math:`-n, -n + 2, \dots, n`.
Its distribution is a readable one-dimensional summary of the :math:`2^n`-state
distribution, and the one a sampler's histogram
(:func:`ebmbook.metrics.magnetisation_histogram`) is compared with.
"""
from __future__ import annotations

from typing import Callable

import torch

from ..utils import check_int
from .enumeration import DEFAULT_CHUNK, MAX_UNITS, expectation

__all__ = ["magnetisation_distribution"]

EnergyFn = Callable[[torch.Tensor], torch.Tensor]


def _magnetisation_one_hot(s: torch.Tensor) -> torch.Tensor:
    """One-hot code of :math:`M = \\sum_i s_i`: column ``k`` is :math:`M = 2k - n`, shape ``(batch, n + 1)``."""
    n = s.shape[-1]
    return torch.nn.functional.one_hot(((s.sum(-1) + n) / 2).round().long(), n + 1)


def magnetisation_distribution(energy: EnergyFn, n: int, temperature: float = 1.0,
                               chunk_size: int = DEFAULT_CHUNK,
                               device: torch.device | str | None = None) -> torch.Tensor:
    r"""Exact distribution of the total magnetisation :math:`M = \sum_i s_i` of ``n`` spins.

    Entry :math:`k` is

    .. math:: P_T(M = 2k - n) = \sum_{s:\ \sum_i s_i = 2k - n} p_T(s),
              \qquad k = 0, \dots, n,

    with :math:`p_T` the distribution of :class:`ebmbook.energies.Tempered`
    ``(energy, T)``, computed in one streaming pass over the :math:`2^n`
    states (:func:`ebmbook.exact.expectation` of the one-hot code of :math:`M`).

    Parameters
    ----------
    energy : callable ``(batch, n) -> (batch,)`` on spins :math:`\{-1, +1\}`, accepting float64 input
    n : int, the number of spins, ``1 <= n <= 30``
    temperature : float, positive
    chunk_size : int, states evaluated per call (bounds memory)
    device : where to enumerate (defaults to CPU)

    Returns
    -------
    Tensor, shape ``(n + 1,)``, float64, summing to 1; entry ``k`` is :math:`P(M = 2k - n)`,
    so ``numpy.arange(-n, n + 1, 2)`` lists the values of :math:`M`.

    Raises
    ------
    TypeError
        If ``energy`` is not callable or ``n`` is not an integer.
    ValueError
        If ``n`` is outside ``[1, 30]`` or ``temperature`` is not positive.

    Examples
    --------
    >>> from ebmbook.energies import Ising
    >>> magnetisation_distribution(Ising.chain(2, coupling=0.0), 2)   # independent spins: binomial
    tensor([0.2500, 0.5000, 0.2500], dtype=torch.float64)

    Used in chapter 2.
    """
    n = check_int(n, "n", minimum=1)
    if n > MAX_UNITS:
        raise ValueError(f"n must be <= {MAX_UNITS} for enumeration, got {n}")
    return expectation(energy, n, _magnetisation_one_hot, values="spin", temperature=temperature,
                       chunk_size=chunk_size, device=device)
