"""The continuous modern Hopfield network (Ramsauer et al., 2020): retrieval is softmax attention."""
from __future__ import annotations

import math

import torch

from ..utils import check_device, check_finite, check_int, check_positive, check_tensor

__all__ = ["ModernHopfield"]


class ModernHopfield:
    r"""Continuous modern Hopfield network (Ramsauer et al., 2020).

    With stored patterns as the rows of :math:`X \in \mathbb R^{P\times d}` and a
    state :math:`\xi \in \mathbb R^d`,

    .. math::
        E(\xi) = -\beta^{-1}\log\sum_\mu e^{\beta\, x_\mu^\top \xi} + \tfrac12 \xi^\top\xi
                 + \beta^{-1}\log P + \tfrac12 M^2, \qquad M = \max_\mu \lVert x_\mu\rVert,

    and the update that minimises it (a CCCP step, which never increases :math:`E`) is

    .. math:: \xi \leftarrow X^\top \operatorname{softmax}(\beta X \xi),

    i.e. softmax attention with query :math:`\xi`, keys and values :math:`X` and
    scale :math:`\beta`. For well-separated patterns one update retrieves the
    nearest pattern, and :math:`P` can grow exponentially in :math:`d`.

    Parameters
    ----------
    beta : float, inverse temperature :math:`\beta > 0`
    chunk_size : int, queries processed at once (bounds the ``(chunk, P)`` score matrix)

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.where(torch.rand(1000, 64, generator=g) < 0.5, -1.0, 1.0)
    >>> net = ModernHopfield(beta=1.0).fit(X)
    >>> torch.equal(torch.sign(net.retrieve(X[:10])), X[:10])
    True

    Used in chapter 3.
    """

    def __init__(self, beta: float = 1.0, chunk_size: int = 2048):
        self.beta = check_positive(beta, "beta")
        self.chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
        self.patterns_: torch.Tensor | None = None

    def fit(self, patterns: torch.Tensor) -> "ModernHopfield":
        """Store real-valued ``patterns`` of shape ``(P, d)``; returns ``self``."""
        check_tensor(patterns, "patterns", ndim=2)
        if patterns.is_complex():
            raise TypeError(f"patterns must be real, got dtype {patterns.dtype}")
        if patterns.shape[0] == 0:
            raise ValueError("patterns must hold at least one pattern (P = 0)")
        check_finite(patterns.float(), "patterns")
        self.patterns_ = patterns.float() if not patterns.is_floating_point() else patterns
        return self

    def _check_queries(self, queries: torch.Tensor) -> torch.Tensor:
        if self.patterns_ is None:
            raise RuntimeError("ModernHopfield is not fitted: call fit(patterns) first")
        check_tensor(queries, "queries", ndim=2)
        if queries.is_complex():
            raise TypeError(f"queries must be real, got dtype {queries.dtype}")
        if queries.shape[1] != self.patterns_.shape[1]:
            raise ValueError(f"queries must have length {self.patterns_.shape[1]}, got {queries.shape[1]}")
        check_finite(queries.float(), "queries")
        return queries.to(self.patterns_.dtype)

    def energy(self, queries: torch.Tensor) -> torch.Tensor:
        """Energy of each state, shape ``(batch,)``."""
        q = self._check_queries(queries)
        x = self.patterns_
        lse = torch.logsumexp(self.beta * q @ x.T, dim=-1) / self.beta
        big_m = x.norm(dim=-1).max()
        return -lse + 0.5 * q.pow(2).sum(-1) + math.log(x.shape[0]) / self.beta + 0.5 * big_m**2

    def attention(self, queries: torch.Tensor) -> torch.Tensor:
        """Softmax weights :math:`\\operatorname{softmax}(\\beta X\\xi)` over patterns, shape ``(batch, P)``."""
        q = self._check_queries(queries)
        return torch.softmax(self.beta * q @ self.patterns_.T, dim=-1)

    def retrieve(self, queries: torch.Tensor, n_steps: int = 1) -> torch.Tensor:
        """Apply ``n_steps`` updates to every query, batched in chunks; shape ``(batch, d)``."""
        q = self._check_queries(queries)
        n_steps = check_int(n_steps, "n_steps", minimum=1)
        x = self.patterns_
        out = []
        for chunk in q.split(self.chunk_size):
            for _ in range(n_steps):
                chunk = torch.softmax(self.beta * chunk @ x.T, dim=-1) @ x
            out.append(chunk)
        return torch.cat(out)

    def to(self, device: torch.device | str) -> "ModernHopfield":
        """Move the stored patterns to ``device``; returns ``self``."""
        device = check_device(device)
        if self.patterns_ is not None:
            self.patterns_ = self.patterns_.to(device)
        return self
