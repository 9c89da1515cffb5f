"""The uniform density on a box: the simplest noise distribution for noise-contrastive estimation."""
from __future__ import annotations

import math

import torch

from ..utils import check_finite, check_generator, check_int, check_tensor
from .base import AnalyticEnergy

__all__ = ["UniformBox"]


class UniformBox(AnalyticEnergy):
    r"""Uniform density on the box :math:`\prod_i [\text{low}_i, \text{high}_i]`.

    :math:`E(x) = 0` inside the box and :math:`+\infty` outside, so
    :math:`\log Z = \sum_i \log(\text{high}_i - \text{low}_i)` (the box's log volume).
    Chapter 7 uses it as the "poor" noise of NCE: on a box much wider than the data almost
    every noise sample is trivially told apart from data, and the classifier learns little
    about the data's fine structure.

    Parameters
    ----------
    low, high : Tensor, shape ``(d,)``, finite, ``low < high`` in every coordinate

    Examples
    --------
    >>> box = UniformBox(torch.tensor([-1.0, -1.0]), torch.tensor([1.0, 1.0]))
    >>> round(box.log_z, 4)
    1.3863
    >>> box(torch.tensor([[0.0, 0.0], [2.0, 0.0]]))
    tensor([0., inf])

    Used in chapter 7.
    """

    def __init__(self, low: torch.Tensor, high: torch.Tensor):
        super().__init__()
        check_tensor(low, "low", ndim=1, floating=True)
        check_tensor(high, "high", ndim=1, floating=True)
        check_finite(low, "low")
        check_finite(high, "high")
        if low.shape != high.shape or low.shape[0] == 0:
            raise ValueError(f"low and high must have the same non-empty shape (d,), got {tuple(low.shape)} "
                             f"and {tuple(high.shape)}")
        if not bool((high > low).all()):
            raise ValueError("high must exceed low in every coordinate")
        self.event_shape = (low.shape[0],)
        self.register_buffer("low", low.clone())
        self.register_buffer("high", high.to(low).clone())
        self._log_z = float(torch.log((high.double() - low.double())).sum())

    @property
    def log_z(self) -> float:
        return self._log_z

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        inside = ((x >= self.low.to(x.dtype)) & (x <= self.high.to(x.dtype))).all(-1)
        return torch.where(inside, torch.zeros((), dtype=x.dtype, device=x.device),
                           torch.full((), math.inf, dtype=x.dtype, device=x.device))

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` exact samples, shape ``(n, d)``."""
        n = check_int(n, "n", minimum=1)
        check_generator(generator, "generator", device=self.low.device)
        u = torch.rand(n, self.event_shape[0], generator=generator, device=self.low.device, dtype=self.low.dtype)
        return self.low + u * (self.high - self.low)
